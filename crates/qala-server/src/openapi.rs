//! `GET /api`: the OpenAPI 3.0 definition of the OGC API Features part of the server.

use axum::extract::State;
use axum::http::header;
use axum::response::IntoResponse;
use serde_json::json;

use crate::ogc::{DEFAULT_LIMIT, MAX_LIMIT};

pub async fn api(State(state): State<crate::AppState>) -> impl IntoResponse {
    let b = state.base_url();
    let json_resp =
        |d: &str| json!({"description": d, "content": {"application/json": {"schema": {"type": "object"}}}});
    let geo_resp =
        |d: &str| json!({"description": d, "content": {"application/geo+json": {"schema": {"type": "object"}}}});
    let err = json!({"description": "error", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}});
    let doc = json!({
        "openapi": "3.0.3",
        "info": {"title": "qala — open city data for Almaty", "version": env!("CARGO_PKG_VERSION"),
                 "description": "OGC API – Features (Part 1 core, GeoJSON, OpenAPI 3.0; Part 2 crs; Part 3 queryables and queryables as query parameters). Vector tiles, layers, uploads and indicators: see docs/api.md.",
                 "license": {"name": "Apache-2.0"}},
        "servers": [{"url": b}],
        "paths": {
            "/": {"get": {"summary": "landing page", "operationId": "getLandingPage", "responses": {"200": json_resp("links to the API")}}},
            "/conformance": {"get": {"summary": "conformance classes", "operationId": "getConformance", "responses": {"200": json_resp("the conformance classes")}}},
            "/collections": {"get": {"summary": "the layers", "operationId": "getCollections", "responses": {"200": json_resp("the collections")}}},
            "/collections/{collectionId}": {"get": {"summary": "one layer", "operationId": "describeCollection",
                "parameters": [{"$ref": "#/components/parameters/collectionId"}],
                "responses": {"200": json_resp("the collection"), "404": err}}},
            "/collections/{collectionId}/queryables": {"get": {"summary": "the properties items can be filtered on (property=value), as JSON Schema", "operationId": "getQueryables",
                "parameters": [{"$ref": "#/components/parameters/collectionId"}],
                "responses": {"200": {"description": "JSON Schema of the queryables", "content": {"application/schema+json": {"schema": {"type": "object"}}}}, "404": err}}},
            "/collections/{collectionId}/items": {"get": {"summary": "features of a layer", "operationId": "getFeatures",
                "parameters": [
                    {"$ref": "#/components/parameters/collectionId"},
                    {"$ref": "#/components/parameters/limit"},
                    {"$ref": "#/components/parameters/bbox"},
                    {"$ref": "#/components/parameters/datetime"},
                    {"$ref": "#/components/parameters/crs"},
                    {"name": "bbox-crs", "in": "query", "required": false, "schema": {"type": "string", "format": "uri"}},
                    {"name": "after", "in": "query", "required": false, "description": "paging cursor from a next link", "schema": {"type": "integer"}},
                ],
                "responses": {"200": geo_resp("a page of features"), "400": err, "404": err}}},
            "/collections/{collectionId}/items/{featureId}": {"get": {"summary": "one feature", "operationId": "getFeature",
                "parameters": [{"$ref": "#/components/parameters/collectionId"},
                               {"name": "featureId", "in": "path", "required": true, "schema": {"type": "integer"}},
                               {"$ref": "#/components/parameters/crs"}],
                "responses": {"200": geo_resp("the feature"), "404": err}}},
        },
        "components": {
            "parameters": {
                "collectionId": {"name": "collectionId", "in": "path", "required": true, "schema": {"type": "string"}},
                "limit": {"name": "limit", "in": "query", "required": false, "style": "form", "explode": false,
                          "schema": {"type": "integer", "minimum": 1, "maximum": MAX_LIMIT, "default": DEFAULT_LIMIT}},
                "bbox": {"name": "bbox", "in": "query", "required": false, "style": "form", "explode": false,
                         "schema": {"type": "array", "minItems": 4, "maxItems": 6, "items": {"type": "number"}}},
                "datetime": {"name": "datetime", "in": "query", "required": false, "style": "form", "explode": false, "schema": {"type": "string"}},
                "crs": {"name": "crs", "in": "query", "required": false, "schema": {"type": "string", "format": "uri"}},
            },
            "schemas": {"Error": {"type": "object", "required": ["code", "message"],
                                   "properties": {"code": {"type": "string"}, "message": {"type": "string"}}}},
        },
    });
    (
        [(header::CONTENT_TYPE, "application/vnd.oai.openapi+json;version=3.0")],
        axum::Json(doc),
    )
}
