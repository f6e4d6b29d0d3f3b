//! Operations: health and metrics.

use serde_json::{Map, Value, json};

use super::{errs, ex, ok, ok_ref, op, query_param, responses};

pub fn paths() -> Map<String, Value> {
    let mut p = Map::new();
    p.insert(
        "/health".into(),
        json!({"get": op("health", "operations",
            "always 200 while the process runs; status degraded while the database is down",
            vec![], responses(&[("200", ok_ref("the server's state", "Health"))], &[]), false)}),
    );
    p.insert(
        "/livez".into(),
        json!({"get": op("livez", "operations",
            "liveness: 200 whenever the process answers (restart it only when this fails)",
            vec![], responses(&[("200", ok("alive", "application/json", json!({
                "type": "object", "required": ["status"], "properties": {"status": {"type": "string", "enum": ["alive"]}}})))], &[]), false)}),
    );
    let ready = json!({
        "type": "object",
        "required": ["ready", "engine", "database", "layers"],
        "properties": {
            "ready": {"type": "boolean"},
            "engine": {"type": "string", "enum": ["ready", "building"]},
            "database": {"type": "string", "enum": ["ok", "unavailable"]},
            "layers": {"type": "array", "items": {"type": "object", "required": ["slug", "layer_version_id"],
                "properties": {"slug": {"type": "string"}, "layer_version_id": {"type": "integer"}}}},
            "loading": {"type": "array", "description": "served versions not in memory yet: PostGIS cuts their tiles meanwhile",
                "items": {"type": "object", "required": ["slug", "layer_version_id"],
                "properties": {"slug": {"type": "string"}, "layer_version_id": {"type": "integer"},
                    "tiles_from": {"type": "string", "enum": ["database"]}}}},
        },
    });
    p.insert(
        "/readyz".into(),
        json!({"get": op("readyz", "operations",
            "readiness: 200 when every read can be answered from memory (every served layer loaded, indicator engine built); 503 with Retry-After before (qala serve listens at once; PostGIS cuts the tiles of layers still loading). Lists the layer versions held and those loading.",
            vec![], responses(&[
                ("200", ok("ready", "application/json", ready.clone())),
                ("503", json!({"description": "not ready yet: layers loading or the engine building",
                    "headers": {"Retry-After": {"description": "seconds to wait", "schema": {"type": "integer"}}},
                    "content": {"application/json": {"schema": ready}}})),
            ], &[]), false)}),
    );
    p.insert(
        "/metrics".into(),
        json!({"get": op("metrics", "operations", "Prometheus text format", vec![],
            responses(&[("200", ok("the metrics", "text/plain", json!({"type": "string"})))], &[]), false)}),
    );
    p.insert(
        "/search".into(),
        json!({"get": op("search", "operations",
            "streets, services, green spaces and districts by name (kk/ru/en, Cyrillic or Latin), ranked",
            vec![
                ex(query_param("q", "what to look for; empty finds nothing", json!({"type": "string", "maxLength": crate::search::MAX_QUERY_CHARS})), json!("abai")),
                query_param("limit", "results at most", json!({"type": "integer", "minimum": 1, "maximum": crate::search::MAX_LIMIT, "default": crate::search::DEFAULT_LIMIT})),
                query_param("f", "the output format; only JSON is offered", json!({"type": "string", "enum": ["json", "application/json"]})),
            ],
            responses(&[("200", ok("the results, best first", "application/json", json!({
                "type": "object",
                "required": ["query", "count", "results"],
                "properties": {
                    "query": {"type": "string"},
                    "normalised": {"type": "string"},
                    "count": {"type": "integer"},
                    "results": {"type": "array", "items": {"type": "object", "required": ["kind", "layer", "id", "name", "lon", "lat", "bbox"]}},
                },
            })))], &errs(&[400])), true)}),
    );
    p
}
