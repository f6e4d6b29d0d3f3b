//! Governed figures: input bindings and published editions.

use serde_json::{Map, Value, json};

use super::{errs, ex, json_body, ok, op, path_param, responses};

const TAG: &str = "indicators";

fn object() -> Value {
    json!({"type": "object"})
}

pub fn paths() -> Map<String, Value> {
    let mut p = Map::new();
    let role = ex(
        path_param(
            "role",
            "an input role (GET /bindings lists them)",
            json!({"type": "string"}),
        ),
        json!("schools"),
    );
    p.insert(
        "/bindings".into(),
        json!({"get": op("listBindings", TAG, "every input role and the layers bound to it", vec![],
            responses(&[("200", ok("the roles", "application/json", json!({"type": "array", "items": object()})))], &[]), true)}),
    );
    let mut bind = op(
        "bindRole",
        TAG,
        "bind an input role to layers (admin); kept with its history",
        vec![role.clone()],
        responses(
            &[("200", ok("the binding in force", "application/json", object()))],
            &errs(&[400, 403, 404, 413, 415]),
        ),
        true,
    );
    bind["requestBody"] = json_body(
        "BindBody",
        json!({"layers": [{"slug": "services", "where": [{"field": "category", "any_of": ["school"]}]}], "note": "why"}),
    );
    p.insert("/bindings/{role}".into(), json!({"put": bind}));
    p.insert(
        "/bindings/{role}/history".into(),
        json!({"get": op("bindingHistory", TAG, "every binding of a role, newest first", vec![role],
            responses(&[("200", ok("the history", "application/json", json!({"type": "array", "items": object()})))], &errs(&[400, 404])), true)}),
    );
    let mut publish = op(
        "publishEdition",
        TAG,
        "freeze an edition of every governed figure (admin)",
        vec![],
        responses(
            &[("201", ok("the new edition", "application/json", object()))],
            &errs(&[400, 403, 409, 413, 415]),
        ),
        true,
    );
    publish["requestBody"] = json_body("PublishBody", json!({"title": "2026 Q4", "as_of": "2026-06-30"}));
    p.insert(
        "/editions".into(),
        json!({"get": op("listEditions", TAG, "the published editions, newest first", vec![],
                  responses(&[("200", ok("the editions", "application/json", json!({"type": "array", "items": object()})))], &[]), true),
               "post": publish}),
    );
    p.insert(
        "/editions/{id}".into(),
        json!({"get": op("getEdition", TAG, "one edition with its results (figures the caller may not see are withheld)",
            vec![ex(path_param("id", "an edition id, or latest", json!({"type": "string", "pattern": "^([0-9]{1,18}|latest)$"})), json!("latest"))],
            responses(&[("200", ok("the edition", "application/json", object()))], &errs(&[400, 404])), true)}),
    );
    p
}
