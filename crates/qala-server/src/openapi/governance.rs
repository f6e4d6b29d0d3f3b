//! Governed figures: input bindings and published editions.

use serde_json::{Map, Value, json};

use super::{AUTH_ERRORS, ex, ok, op, path_param, responses};

const TAG: &str = "indicators";

fn errs(own: &[u16]) -> Vec<u16> {
    let mut v = own.to_vec();
    v.extend(AUTH_ERRORS);
    v
}

fn array() -> Value {
    json!({"type": "array", "items": {"type": "object"}})
}

fn role() -> Value {
    ex(
        path_param("role", "an input role (GET /bindings)", json!({"type": "string"})),
        json!("schools"),
    )
}

pub fn paths() -> Map<String, Value> {
    let mut p = Map::new();
    p.insert(
        "/bindings".into(),
        json!({"get": op("listBindings", TAG, "every input role and the layers bound to it", vec![],
            responses(&[("200", ok("the roles", "application/json", array()))], &errs(&[])), true)}),
    );
    let mut bind = op(
        "bind",
        TAG,
        "bind a role to layers (admins)",
        vec![role()],
        responses(
            &[(
                "200",
                ok(
                    "the new binding",
                    "application/json",
                    json!({"type": "object", "required": ["role", "layers", "changed"]}),
                ),
            )],
            &errs(&[400, 403, 404, 409, 413, 415]),
        ),
        true,
    );
    bind["requestBody"] = json!({"required": true, "content": {"application/json": {
        "schema": {"type": "object", "required": ["layers"], "additionalProperties": false,
                   "properties": {"layers": {"type": "array", "items": {"type": "object", "required": ["slug"],
                                     "properties": {"slug": {"type": "string"}, "where": {"type": "array", "items": {"type": "object"}}}}},
                                  "note": {"type": "string"}}},
        "example": {"layers": [{"slug": "services", "where": [{"field": "category", "any_of": ["school"]}]}], "note": "example"}}}});
    p.insert("/bindings/{role}".into(), json!({"put": bind}));
    p.insert(
        "/bindings/{role}/history".into(),
        json!({"get": op("bindingHistory", TAG, "every binding of a role, newest first", vec![role()],
            responses(&[("200", ok("the bindings", "application/json", array()))], &errs(&[400, 404])), true)}),
    );
    let mut publish = op(
        "publishEdition",
        TAG,
        "publish an edition of every figure (admins)",
        vec![],
        responses(
            &[(
                "201",
                ok(
                    "the edition",
                    "application/json",
                    json!({"type": "object", "required": ["edition_id", "url"]}),
                ),
            )],
            &errs(&[400, 403, 404, 409, 413, 415, 422]),
        ),
        true,
    );
    publish["requestBody"] = json!({"required": false, "content": {"application/json": {
        "schema": {"type": "object", "additionalProperties": false,
                   "properties": {"title": {"type": "string"}, "as_of": {"type": "string", "format": "date"}}},
        "example": {"title": "2026 Q4", "as_of": "2026-06-30"}}}});
    p.insert(
        "/editions".into(),
        json!({
            "get": op("listEditions", TAG, "every edition, newest first, without results", vec![],
                responses(&[("200", ok("the editions", "application/json", array()))], &[]), false),
            "post": publish,
        }),
    );
    p.insert(
        "/editions/{id}".into(),
        json!({"get": op("getEdition", TAG, "one edition with its results (figures the caller may not see withheld)",
            vec![ex(path_param("id", "an edition id or latest", json!({"type": "string"})), json!("latest"))],
            responses(&[("200", ok("the edition", "application/json", json!({"type": "object"})))], &errs(&[400, 404])), true)}),
    );
    p
}
