//! The component schemas: what the handlers write and read, as tight as the server is.

use serde_json::{Value, json};

use super::codes;

fn link() -> Value {
    json!({"type": "object", "required": ["href", "rel"],
           "properties": {"href": {"type": "string"}, "rel": {"type": "string"}, "type": {"type": "string"}, "title": {"type": "string"}}})
}

fn links() -> Value {
    json!({"type": "array", "items": link()})
}

/// A text in kk, ru and en (definitions stored before their translation lack the `…s` fields).
fn texts() -> Value {
    json!({"type": "object", "required": ["kk", "ru", "en"],
           "properties": {"kk": str_(), "ru": str_(), "en": str_()}})
}

fn str_() -> Value {
    json!({"type": "string"})
}

fn int() -> Value {
    json!({"type": "integer"})
}

fn nullable(mut v: Value) -> Value {
    v["nullable"] = json!(true);
    v
}

pub fn all() -> Value {
    let bbox = json!({"type": "array", "items": {"type": "number"}, "minItems": 4, "maxItems": 4});
    let titles = json!({"type": "object", "required": ["kk", "ru", "en"],
                        "properties": {"kk": str_(), "ru": str_(), "en": str_()}});
    let feature = json!({"type": "object", "required": ["type", "geometry", "properties"],
        "properties": {"type": {"type": "string", "enum": ["Feature"]},
                       "id": {"oneOf": [int(), str_()]},
                       "geometry": nullable(json!({"type": "object", "required": ["type"]})),
                       "properties": nullable(json!({"type": "object"})),
                       "links": links()}});
    json!({
        "Error": {"type": "object", "required": ["code", "message"],
                  "properties": {"code": {"type": "string", "enum": codes()}, "message": {"type": "string", "minLength": 1}}},
        "Landing": {"type": "object", "required": ["links"], "properties": {"title": str_(), "links": links()}},
        "Conformance": {"type": "object", "required": ["conformsTo"],
                        "properties": {"conformsTo": {"type": "array", "items": str_()}}},
        "Collection": {"type": "object", "required": ["id", "links", "itemType", "crs"],
                       "properties": {"id": str_(), "title": str_(), "description": str_(), "links": links(),
                                      "itemType": {"type": "string", "enum": ["feature"]},
                                      "crs": {"type": "array", "items": str_()}, "storageCrs": str_(),
                                      "extent": {"type": "object"}}},
        "Collections": {"type": "object", "required": ["links", "collections"],
                        "properties": {"links": links(),
                                       "collections": {"type": "array", "items": {"$ref": "#/components/schemas/Collection"}}}},
        "Feature": feature.clone(),
        "FeatureCollection": {"type": "object", "required": ["type", "features"],
            "properties": {"type": {"type": "string", "enum": ["FeatureCollection"]},
                           "features": {"type": "array", "items": feature},
                           "numberMatched": {"type": "integer", "minimum": 0},
                           "numberReturned": {"type": "integer", "minimum": 0},
                           "timeStamp": {"type": "string", "format": "date-time"},
                           "links": links()}},
        "TileJson": {"type": "object", "required": ["tilejson", "tiles", "minzoom", "maxzoom", "bounds", "vector_layers"],
            "properties": {"tilejson": {"type": "string", "enum": ["3.0.0"]},
                           "tiles": {"type": "array", "items": str_(), "minItems": 1},
                           "minzoom": int(), "maxzoom": int(), "bounds": bbox.clone(),
                           "center": {"type": "array", "items": {"type": "number"}},
                           "attribution": str_(),
                           "vector_layers": {"type": "array", "items": {"type": "object", "required": ["id", "fields"],
                               "properties": {"id": str_(), "fields": {"type": "object"}}}}}},
        "Layer": {"type": "object",
            "required": ["slug", "kind", "title", "visibility", "synthetic", "geometry_type", "feature_count", "bbox", "fields", "tiles", "tilejson", "items"],
            "properties": {"slug": str_(), "kind": str_(), "title": titles, "description": str_(),
                           "visibility": {"type": "string", "enum": ["public", "internal"]}, "synthetic": {"type": "boolean"},
                           "licence": str_(), "attribution": str_(), "geometry_type": str_(),
                           "feature_count": int(), "version": nullable(int()),
                           "updated_at": nullable(json!({"type": "string", "format": "date-time"})),
                           "bbox": nullable(bbox),
                           "fields": {"type": "array", "items": {"type": "object", "required": ["name", "type", "required"]}},
                           "tiles": str_(), "tilejson": str_(), "items": str_(),
                           "writable": {"type": "boolean", "description": "whether this caller may change the layer (upload, roll back, edit features)"}}},
        "Version": {"type": "object",
            "required": ["layer_version_id", "version", "created_by", "created_at", "source_name", "source_sha256", "feature_count", "status", "current"],
            "properties": {"layer_version_id": int(), "version": int(), "created_by": str_(),
                           "created_at": {"type": "string", "format": "date-time"}, "source_name": str_(),
                           "source_sha256": str_(), "source_crs": str_(), "feature_count": int(),
                           "status": str_(), "current": {"type": "boolean"}}},
        "LoadReport": {"type": "object",
            "required": ["layer", "kind", "status", "source_name", "source_sha256", "format", "rows_read", "features_loaded", "errors", "warnings", "problems"],
            "properties": {"layer": str_(), "kind": str_(),
                           "status": {"type": "string", "enum": ["loaded", "unchanged", "restored", "dry_run"]},
                           "version": nullable(int()), "layer_version_id": nullable(int()),
                           "source_name": str_(), "source_sha256": str_(), "format": str_(), "source_crs": str_(),
                           "rows_read": int(), "features_loaded": int(), "errors": int(), "warnings": int(),
                           "repaired": int(), "problems": {"type": "array", "items": {"type": "object"}}}},
        "RollbackBody": {"type": "object", "required": ["version"], "additionalProperties": false,
                         "properties": {"version": {"type": "integer", "format": "int32"}}},
        "NewToken": {"type": "object", "required": ["role"], "additionalProperties": false,
                     "properties": {"role": {"type": "string", "enum": ["public", "mapper", "planner", "admin"]},
                                    "layers": {"type": "array", "items": {"type": "string", "pattern": super::SLUG_PATTERN},
                                               "description": "a mapper needs at least one"},
                                    "label": str_()}},
        "NewTokenResponse": {"type": "object", "required": ["token", "id", "role", "layers"],
                             "properties": {"token": {"type": "string", "pattern": "^qala_[0-9a-f]{64}$"}, "id": int(),
                                            "role": str_(), "layers": {"type": "array", "items": str_()}}},
        "IndicatorDef": {"type": "object", "required": ["id", "unit"], "properties": {
            "id": str_(), "version": int(), "names": texts(), "unit": str_(),
            "description": {"type": "string", "description": "what is counted, in English"},
            "descriptions": texts(),
            "reference": {"type": "string", "description": "where the norm or threshold comes from, in English"},
            "references": texts(),
            "norm": {"type": "object", "nullable": true},
            "norm_variants": {"type": "array", "items": {"type": "object", "properties": {
                "id": str_(), "norm": {"type": "object"}, "names": texts(), "source": str_(), "sources": texts()}}},
            "norm_variant": str_()}},
        "IndicatorResult": {"type": "object", "required": ["indicator", "scheme", "zones", "city", "centre", "periphery"],
                            "properties": {"indicator": {"$ref": "#/components/schemas/IndicatorDef"}, "scheme": str_(),
                                           "zones": {"type": "array", "items": {"type": "object"}},
                                           "city": {"type": "object"}, "centre": {"type": "object"}, "periphery": {"type": "object"},
                                           "walk_profile": {"type": "object", "description": "profile_access indicators: the profile (step_free, elderly), its rules, the able-bodied and the profile's distance, and per zone, centre, periphery and city the walk share, the profile share and the gap (walk − profile)"}}},
        "WhatIfBody": {"type": "object", "required": ["change"], "additionalProperties": false,
            "properties": {
                "change": {"oneOf": [
                    {"type": "object", "required": ["layer", "action", "geometry"],
                     "properties": {"layer": str_(), "action": {"type": "string", "enum": ["add"]},
                                    "geometry": {"type": "object", "description": "GeoJSON, lon/lat"},
                                    "attributes": {"type": "object"}}},
                    {"type": "object", "required": ["layer", "action", "source_row"],
                     "properties": {"layer": str_(), "action": {"type": "string", "enum": ["remove"]},
                                    "source_row": {"type": "integer", "minimum": 0}}},
                    {"type": "object", "required": ["layer", "action", "source_row", "max_speed_kmh"],
                     "description": "a street way of the roads layer (its `row` in GET /networks/lts) at a new max speed; changes the low_stress_access figures only",
                     "properties": {"layer": str_(), "action": {"type": "string", "enum": ["set_max_speed"]},
                                    "source_row": {"type": "integer", "minimum": 0},
                                    "max_speed_kmh": {"type": "number", "minimum": 0, "exclusiveMinimum": true, "maximum": 200}}},
                ]},
                "zones": nullable(str_()),
                "distance": nullable(json!({"type": "string", "enum": ["straight", "network"]}))}},
        "Health": {"type": "object", "required": ["status", "database", "layers", "engine"],
                   "properties": {"status": {"type": "string", "enum": ["ok", "degraded"]},
                                  "database": {"type": "string", "enum": ["ok", "unavailable"]},
                                  "serving": str_(), "layers": int(), "tiles_cached": int(),
                                  "engine": {"type": "string", "enum": ["ready", "building"]}}},
    })
}
