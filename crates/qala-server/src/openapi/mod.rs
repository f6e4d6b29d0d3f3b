//! `GET /api`: the OpenAPI 3.0 document of every endpoint, one module per endpoint family.
//! Parameters and responses say what the server does: a test runs schemathesis against a
//! live `qala serve` and fails on any response the document does not allow.

mod engine;
mod governed;
mod layers;
mod networks;
mod ogc;
mod ogc_write;
mod ops;
mod proposals;
mod schemas;
mod tiles;

use axum::extract::State;
use axum::http::header;
use axum::response::IntoResponse;
use serde_json::{Map, Value, json};

use crate::AppState;
use crate::error::Code;

pub const MEDIA_TYPE: &str = "application/vnd.oai.openapi+json;version=3.0";

/// `GET /api`
pub async fn api(State(state): State<AppState>) -> impl IntoResponse {
    (
        [(header::CONTENT_TYPE, MEDIA_TYPE)],
        axum::Json(document(state.base_url())),
    )
}

/// The whole document, its server at `base` (`""`: the server's own root).
pub fn document(base: &str) -> Value {
    let mut paths = Map::new();
    for family in [
        ogc::paths(),
        tiles::paths(),
        layers::paths(),
        engine::paths(),
        governed::paths(),
        ops::paths(),
        proposals::paths(),
        networks::paths(),
    ] {
        paths.extend(family);
    }
    ogc_write::add(&mut paths);
    json!({
        "openapi": "3.0.3",
        "info": {
            "title": "qala — open city data for Almaty",
            "version": env!("CARGO_PKG_VERSION"),
            "description": "OGC API – Features (Part 1 core, GeoJSON, OpenAPI 3.0; Part 2 crs; Part 3 queryables and CQL2 filter; Part 4 create, replace, update, delete), vector tiles and TileJSON, layers with versioned uploads and rollback, tokens, indicators, access queries, zones, what-if, health and metrics. Every error is {\"code\",\"message\"} with a code of the catalogue (docs/api.md).",
            "license": {"name": "Apache-2.0"},
        },
        "servers": [{"url": if base.is_empty() { "/" } else { base }}],
        "tags": [
            {"name": "OGC API Features"}, {"name": "tiles"}, {"name": "layers"},
            {"name": "tokens"}, {"name": "indicators"}, {"name": "operations"}, {"name": "proposals"},
            {"name": "networks"},
        ],
        "paths": paths,
        "components": {
            "schemas": schemas::all(),
            "responses": {
                "Error": {
                    "description": "an error of the catalogue",
                    "headers": {"Retry-After": {"description": "seconds to wait (429, 503 server_busy)", "schema": {"type": "integer"}}},
                    "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}},
                },
            },
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer", "description": "a token from `qala token create` or POST /tokens"}},
        },
    })
}

/// A 2xx response of `media` with `schema`.
pub(crate) fn ok(description: &str, media: &str, schema: Value) -> Value {
    json!({"description": description, "content": {media: {"schema": schema}}})
}

/// A 2xx JSON response whose schema is the component `name`.
pub(crate) fn ok_ref(description: &str, name: &str) -> Value {
    ok(description, "application/json", schema_ref(name))
}

pub(crate) fn schema_ref(name: &str) -> Value {
    json!({"$ref": format!("#/components/schemas/{name}")})
}

/// What an operation may answer: its successes, the error statuses it can give, and those
/// any request can get (414, 431 from the request limits; 503 from the request timeout).
pub(crate) fn responses(ok: &[(&str, Value)], errors: &[u16]) -> Value {
    let mut r = Map::new();
    for (status, v) in ok {
        r.insert((*status).to_owned(), v.clone());
    }
    for s in errors.iter().chain(&[414, 431, 503]) {
        r.insert(s.to_string(), json!({"$ref": "#/components/responses/Error"}));
    }
    Value::Object(r)
}

/// Errors of anything that reads `Authorization`: a wrong token (401), too many of them
/// (429), a busy or unavailable database while checking it (503).
pub(crate) const AUTH_ERRORS: [u16; 2] = [401, 429];

/// `own` error statuses plus those of authentication ([`AUTH_ERRORS`]).
pub(crate) fn errs(own: &[u16]) -> Vec<u16> {
    let mut v = own.to_vec();
    v.extend(AUTH_ERRORS);
    v
}

/// One operation; `auth`: it reads an optional bearer token.
pub(crate) fn op(id: &str, tag: &str, summary: &str, params: Vec<Value>, responses: Value, auth: bool) -> Value {
    let mut o = json!({"operationId": id, "tags": [tag], "summary": summary, "responses": responses});
    if !params.is_empty() {
        o["parameters"] = Value::Array(params);
    }
    if auth {
        // No token (public) or a bearer token.
        o["security"] = json!([{}, {"bearer": []}]);
    }
    o
}

pub(crate) fn path_param(name: &str, description: &str, schema: Value) -> Value {
    json!({"name": name, "in": "path", "required": true, "description": description, "schema": schema})
}

pub(crate) fn query_param(name: &str, description: &str, schema: Value) -> Value {
    json!({"name": name, "in": "query", "required": false, "description": description, "schema": schema})
}

/// `f=json` on the OGC endpoints.
pub(crate) fn f_param() -> Value {
    query_param(
        "f",
        "the output format; only JSON is offered",
        json!({"type": "string", "enum": ["json", "geojson", "application/json", "application/geo+json"]}),
    )
}

/// A parameter with an example value (the fixtures': what the examples phase of an API
/// fuzzer starts from).
pub(crate) fn ex(mut param: Value, example: Value) -> Value {
    param["example"] = example;
    param
}

/// A layer slug, as `qala_core::LayerSlug` takes it.
pub(crate) const SLUG_PATTERN: &str = "^[a-z0-9][a-z0-9-]{0,62}$";

/// A path parameter naming a layer.
pub(crate) fn slug_param(name: &str) -> Value {
    path_param(name, "a layer slug", json!({"type": "string", "pattern": SLUG_PATTERN}))
}

/// Every code of the catalogue.
pub(crate) fn codes() -> Vec<&'static str> {
    Code::ALL.iter().map(|c| c.as_str()).collect()
}

/// A JSON request body of the component `name`, with an example.
pub(crate) fn json_body(name: &str, example: Value) -> Value {
    json!({"required": true, "content": {"application/json": {"schema": schema_ref(name), "example": example}}})
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every route of the router is documented, and nothing else is.
    #[test]
    fn every_route_is_documented() {
        let doc = document("");
        let paths: Vec<&String> = doc["paths"].as_object().unwrap().keys().collect();
        let src = include_str!("../lib.rs");
        let mut routes: Vec<String> = src
            .split(".route(\"")
            .skip(1)
            .filter_map(|s| s.split('"').next())
            .map(|r| {
                r.replace("{y_mvt}", "{y}.mvt")
                    .replace("{tilejson}", "{layers}.json")
                    .replace("{id}/items/{fid}", "{collectionId}/items/{featureId}")
                    .replace("/collections/{id}", "/collections/{collectionId}")
                    .replace("/indicators/{collectionId}", "/indicators/{id}")
            })
            .collect();
        routes.sort();
        let mut documented: Vec<String> = paths.iter().map(|p| (*p).clone()).collect();
        documented.sort();
        assert_eq!(routes, documented);
        for (path, item) in doc["paths"].as_object().unwrap() {
            for (method, o) in item.as_object().unwrap() {
                let r = o["responses"].as_object().unwrap();
                assert!(r.keys().any(|s| s.starts_with('2')), "{method} {path}: no success");
                assert!(r.contains_key("503"), "{method} {path}");
            }
        }
    }

    /// The bbox schema allows 4 or 6 numbers, never 5 (qala refuses 5).
    #[test]
    fn bbox_is_four_or_six_numbers() {
        let doc = document("");
        let p = &doc["components"]["parameters"];
        assert!(p.is_null());
        let items = &doc["paths"]["/collections/{collectionId}/items"]["get"]["parameters"];
        let bbox = items.as_array().unwrap().iter().find(|p| p["name"] == "bbox").unwrap();
        let s = &bbox["schema"];
        assert_eq!((s["minItems"].as_u64(), s["maxItems"].as_u64()), (Some(4), Some(6)));
        assert_eq!(s["not"], json!({"minItems": 5, "maxItems": 5}));
    }
}
