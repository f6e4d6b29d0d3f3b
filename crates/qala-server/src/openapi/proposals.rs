//! Residents' proposals: submit, the public map, support, stats, moderation.

use serde_json::{Map, Value, json};

use super::{errs, ex, ok, op, path_param, query_param, responses};

const TAG: &str = "proposals";

fn id_param() -> Value {
    ex(path_param("id", "a proposal id", json!({"type": "string"})), json!("1"))
}

fn body(schema: Value, example: Value) -> Value {
    json!({"required": true, "content": {"application/json": {"schema": schema, "example": example}}})
}

fn submission_schema() -> Value {
    json!({"type": "object", "required": ["geometry", "category", "text"],
           "properties": {
               "geometry": {"type": "object", "description": "GeoJSON Point, LineString or Polygon, lon/lat"},
               "category": {"type": "string"},
               "text": {"type": "string", "description": "1 to 2,000 characters"},
               "contact": {"type": "string", "description": "never public; at most 200 characters"},
               "website": {"type": "string", "description": "honeypot: leave empty"}},
           "additionalProperties": false})
}

fn feature_collection() -> Value {
    json!({"type": "object", "required": ["type", "features"],
           "properties": {"type": {"type": "string"}, "features": {"type": "array", "items": {"type": "object"}},
                          "numberMatched": {"type": "integer"}}})
}

fn stats_params() -> Vec<Value> {
    vec![
        ex(
            query_param(
                "zones",
                "zone scheme: districts (default), rings, or a polygon layer's slug",
                json!({"type": "string"}),
            ),
            json!("districts"),
        ),
        query_param(
            "format",
            "json (default) or csv",
            json!({"type": "string", "enum": ["json", "csv"]}),
        ),
    ]
}

fn json_or_csv(what: &str) -> Value {
    json!({"description": what, "content": {"application/json": {"schema": {"type": "object"}},
                                            "text/csv": {"schema": {"type": "string"}}}})
}

pub fn paths() -> Map<String, Value> {
    let mut p = Map::new();
    let mut submit = op(
        "submitProposal",
        TAG,
        "submit a proposal without an account (JSON, or multipart with a `proposal` part and a `photo`)",
        vec![],
        responses(
            &[(
                "202",
                ok(
                    "received; public once a moderator approves it",
                    "application/json",
                    json!({"type": "object"}),
                ),
            )],
            &[400, 409, 413, 415, 422, 429],
        ),
        false,
    );
    let mut sub_body = body(
        submission_schema(),
        json!({"geometry": {"type": "Point", "coordinates": [76.9453, 43.2383]}, "category": "mobility_transport",
               "text": "A pedestrian crossing by the school"}),
    );
    sub_body["content"]["multipart/form-data"] = json!({"schema": {"type": "object", "required": ["proposal"],
        "properties": {"proposal": {"type": "string", "description": "the JSON submission"},
                       "photo": {"type": "string", "format": "binary", "description": "JPEG or PNG, at most 5 MB"}}}});
    submit["requestBody"] = sub_body;
    let list = op(
        "listProposals",
        TAG,
        "approved proposals, public fields only (GeoJSON, or CSV with format=csv)",
        vec![
            query_param("category", "a category code", json!({"type": "string"})),
            query_param(
                "status",
                "a lifecycle status",
                json!({"type": "string", "enum": qala_store::proposal::STATUSES}),
            ),
            query_param(
                "bbox",
                "minlon,minlat,maxlon,maxlat",
                json!({"type": "string", "pattern": "^-?[0-9.]+,-?[0-9.]+,-?[0-9.]+,-?[0-9.]+$"}),
            ),
            query_param(
                "limit",
                "1 to 5000 (default 500)",
                json!({"type": "integer", "minimum": 1, "maximum": 5000}),
            ),
            query_param(
                "offset",
                "from 0",
                json!({"type": "integer", "minimum": 0, "maximum": 10_000_000}),
            ),
            query_param(
                "format",
                "geojson (default) or csv",
                json!({"type": "string", "enum": ["geojson", "json", "csv"]}),
            ),
        ],
        responses(
            &[(
                "200",
                json!({"description": "the proposals", "content": {"application/geo+json": {"schema": feature_collection()},
                                                                 "text/csv": {"schema": {"type": "string"}}}}),
            )],
            &[400],
        ),
        false,
    );
    p.insert("/proposals".into(), json!({"post": submit, "get": list}));
    p.insert(
        "/proposals/categories".into(),
        json!({"get": op("proposalCategories", TAG, "the categories with kk/ru/en names", vec![],
            responses(&[("200", ok("the categories", "application/json", json!({"type": "array", "items": {"type": "object"}})))], &[]), false)}),
    );
    p.insert(
        "/proposals/stats".into(),
        json!({"get": op("proposalStats", TAG, "approved proposals per zone and category, per 10,000 residents", stats_params(),
            responses(&[("200", json_or_csv("counts per zone"))], &errs(&[400, 403, 404, 409])), true)}),
    );
    p.insert(
        "/proposals/demand".into(),
        json!({"get": op("proposalDemand", TAG, "demand beside gap: proposals per 10,000 beside the matching indicator per zone, with Pearson's r", stats_params(),
            responses(&[("200", json_or_csv("demand beside gap"))], &errs(&[400, 403, 404, 409])), true)}),
    );
    p.insert(
        "/proposals/{id}".into(),
        json!({"get": op("getProposal", TAG, "one approved proposal (moderators: any, with contact and log)", vec![id_param()],
            responses(&[("200", ok("the proposal", "application/geo+json", json!({"type": "object"})))], &errs(&[404])), true)}),
    );
    p.insert(
        "/proposals/{id}/photo".into(),
        json!({"get": op("getProposalPhoto", TAG, "the photo of a proposal, metadata stripped", vec![id_param()],
            responses(&[("200", json!({"description": "the photo", "content": {"image/jpeg": {"schema": {"type": "string", "format": "binary"}},
                                                                               "image/png": {"schema": {"type": "string", "format": "binary"}}}}))],
                      &errs(&[404])), true)}),
    );
    p.insert(
        "/proposals/{id}/support".into(),
        json!({"post": op("supportProposal", TAG, "\"me too\": once per client", vec![id_param()],
            responses(&[("201", ok("counted", "application/json", json!({"type": "object"})))], &[404, 409]), false)}),
    );
    let moderation = |id: &str, summary: &str, schema: Value, example: Value, extra: &[u16]| {
        let mut own = vec![400, 403, 404, 409, 413, 415, 422];
        own.extend_from_slice(extra);
        let mut o = op(
            id,
            TAG,
            summary,
            vec![id_param()],
            responses(
                &[(
                    "200",
                    ok(
                        "the proposal after the step",
                        "application/json",
                        json!({"type": "object"}),
                    ),
                )],
                &errs(&own),
            ),
            true,
        );
        o["requestBody"] = body(schema, example);
        o
    };
    p.insert(
        "/proposals/{id}/moderation".into(),
        json!({"post": moderation("moderateProposal", "moderator: approve, or reject with a reason",
            json!({"type": "object", "required": ["action"], "additionalProperties": false,
                   "properties": {"action": {"type": "string", "enum": ["approve", "reject"]}, "reason": {"type": "string"}}}),
            json!({"action": "approve"}), &[])}),
    );
    p.insert(
        "/proposals/{id}/status".into(),
        json!({"post": moderation("setProposalStatus", "moderator: the next lifecycle status, with a public answer",
            json!({"type": "object", "required": ["status"], "additionalProperties": false,
                   "properties": {"status": {"type": "string"}, "public_answer": {"type": "string"}, "reason": {"type": "string"}}}),
            json!({"status": "under_review", "public_answer": "The district akimat is looking at it"}), &[])}),
    );
    p.insert(
        "/proposals/{id}/merge".into(),
        json!({"post": moderation("mergeProposal", "moderator: merge a duplicate into another proposal",
            json!({"type": "object", "required": ["into"], "additionalProperties": false,
                   "properties": {"into": {"type": "integer"}}}),
            json!({"into": 1}), &[])}),
    );
    p.insert(
        "/moderation/proposals".into(),
        json!({"get": op("proposalQueue", TAG, "moderator: proposals waiting for a decision, with contact",
            vec![query_param("limit", "1 to 5000", json!({"type": "integer", "minimum": 1, "maximum": 5000})),
                 query_param("offset", "from 0", json!({"type": "integer", "minimum": 0}))],
            responses(&[("200", ok("the queue", "application/json", feature_collection()))], &errs(&[400, 403])), true)}),
    );
    p
}
