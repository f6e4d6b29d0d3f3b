//! Vector tiles and TileJSON.

use serde_json::{Map, Value, json};

use super::{AUTH_ERRORS, ex, ok, ok_ref, op, path_param, responses};
use crate::tiles::MVT_CONTENT_TYPE;

const TAG: &str = "tiles";

fn layers_param() -> Value {
    let p = path_param(
        "layers",
        "one layer slug or several, comma separated (bike-lanes,green-spaces)",
        json!({"type": "string", "pattern": "^[a-z0-9][a-z0-9-]{0,62}(,[a-z0-9][a-z0-9-]{0,62})*$"}),
    );
    ex(p, json!("districts,services"))
}

/// Slugs, each optionally with its `layer_version_id` (as TileJSON writes them).
fn versioned_layers_param() -> Value {
    let p = path_param(
        "layers",
        "one layer or several, comma separated, each `slug` or `slug@layer_version_id` (as TileJSON hands them out: bike-lanes@12,green-spaces@7); with every version named the tile is immutable",
        json!({"type": "string", "pattern": "^[a-z0-9][a-z0-9-]{0,62}(@[1-9][0-9]{0,17})?(,[a-z0-9][a-z0-9-]{0,62}(@[1-9][0-9]{0,17})?)*$"}),
    );
    ex(p, json!("districts,services"))
}

pub fn paths() -> Map<String, Value> {
    // The tile of Republic Square at zoom 13.
    let coord =
        |name: &str, d: &str, e: u32| ex(path_param(name, d, json!({"type": "integer", "minimum": 0})), json!(e));
    let errors = [400, 404, AUTH_ERRORS[0], AUTH_ERRORS[1]];
    let mut p = Map::new();
    p.insert(
        "/tiles/{layers}/{z}/{x}/{y}.mvt".into(),
        json!({"get": op("getTile", TAG,
            "a Mapbox Vector Tile (one MVT layer per slug; empty body when no feature); ETag and If-None-Match → 304. With every layer's version named (slug@N) and public: Cache-Control public, max-age=31536000, immutable; an older version → 302 to the current versions' URL; the current version not loaded here yet → 503 layer_version_pending",
            vec![versioned_layers_param(), coord("z", "zoom 0–18", 13), coord("x", "column, 0..2^z", 5846), coord("y", "row from the north, 0..2^z", 3002)],
            {
                let mut r = responses(&[("200", ok("the tile", MVT_CONTENT_TYPE, json!({"type": "string", "format": "binary"})))], &errors);
                r["302"] = json!({"description": "the URL names an older version of a layer: Location is the URL of the versions served now (Cache-Control no-store)",
                    "headers": {"Location": {"schema": {"type": "string"}}}});
                r["304"] = json!({"description": "not modified (If-None-Match matched the ETag)"});
                r
            }, true)}),
    );
    p.insert(
        "/proposals/tiles/{z}/{x}/{y}.mvt".into(),
        json!({"get": op("getProposalTile", "proposals",
            "the public proposals as a Mapbox Vector Tile (layer `proposals`; approved only, public fields only): clusters below zoom 14 (point_count, supports, category), each proposal from 14 on (id, category, status, supports, synthetic); ETag and If-None-Match → 304",
            vec![coord("z", "zoom 0–22", 13), coord("x", "column, 0..2^z", 5846), coord("y", "row from the north, 0..2^z", 3002)],
            {
                let mut r = responses(&[("200", ok("the tile", MVT_CONTENT_TYPE, json!({"type": "string", "format": "binary"})))], &[400, 503]);
                r["304"] = json!({"description": "not modified (If-None-Match matched the ETag)"});
                r
            }, false)}),
    );
    p.insert(
        "/tiles/{layers}.json".into(),
        json!({"get": op("getTileJson", TAG, "TileJSON 3.0.0 of one or several layers; `tiles` names the versions served now (slug@N); Cache-Control no-cache with an ETag (If-None-Match → 304)", vec![layers_param()],
            {
                let mut r = responses(&[("200", ok_ref("TileJSON", "TileJson"))], &errors);
                r["304"] = json!({"description": "not modified (If-None-Match matched the ETag)"});
                r
            }, true)}),
    );
    p
}
