//! Operations: health and metrics.

use serde_json::{Map, Value, json};

use super::{ok, ok_ref, op, responses};

pub fn paths() -> Map<String, Value> {
    let mut p = Map::new();
    p.insert(
        "/health".into(),
        json!({"get": op("health", "operations",
            "always 200 while the process runs; status degraded while the database is down",
            vec![], responses(&[("200", ok_ref("the server's state", "Health"))], &[]), false)}),
    );
    p.insert(
        "/metrics".into(),
        json!({"get": op("metrics", "operations", "Prometheus text format", vec![],
            responses(&[("200", ok("the metrics", "text/plain", json!({"type": "string"})))], &[]), false)}),
    );
    p
}
