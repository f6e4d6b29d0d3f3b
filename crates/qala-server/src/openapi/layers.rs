//! Layers, versions, uploads, rollback and tokens.

use serde_json::{Map, Value, json};

use super::{errs, json_body, ok, ok_ref, op, query_param, responses, schema_ref};

fn slug() -> Value {
    super::ex(super::slug_param("slug"), json!("services"))
}

pub fn paths() -> Map<String, Value> {
    let mut p = Map::new();
    p.insert(
        "/layers".into(),
        json!({"get": op("listLayers", "layers", "the layers this caller may see", vec![],
            responses(&[("200", ok("the layers", "application/json", json!({"type": "array", "items": schema_ref("Layer")})))], &errs(&[])), true)}),
    );
    p.insert(
        "/layers/{slug}".into(),
        json!({"get": op("getLayer", "layers", "one layer", vec![slug()],
            responses(&[("200", ok_ref("the layer", "Layer"))], &errs(&[404])), true)}),
    );
    let upload = json!({
        "required": true,
        "content": {"multipart/form-data": {"schema": {
            "type": "object", "required": ["file"],
            "properties": {"file": {"type": "string", "format": "binary",
                "description": "any format qala ingest reads: GeoJSON, zipped Shapefile, GeoPackage, KML, CSV…"}}}}},
    });
    let kinds: Vec<&str> = qala_core::LayerKind::names();
    p.insert(
        "/layers/{slug}/versions".into(),
        json!({
            "get": op("listVersions", "layers", "the versions of a layer, newest first", vec![slug()],
                responses(&[("200", ok("the versions", "application/json", json!({"type": "array", "items": schema_ref("Version")})))], &errs(&[404])), true),
            "post": {
                "operationId": "uploadVersion", "tags": ["layers"],
                "summary": "upload a new version (a mapper granted the layer, or an admin; ?kind= creates a layer, admins only)",
                "parameters": [
                    slug(),
                    query_param("kind", "the kind of a new layer (must match an existing one)", json!({"type": "string", "enum": kinds})),
                    query_param("crs", "the file's CRS when it has none, e.g. EPSG:32643", json!({"type": "string"})),
                    query_param("mode", "how the file changes the layer (default replace)", json!({"type": "string", "enum": ["replace", "append", "upsert", "delete"]})),
                    query_param("key", "the field matching file features to served ones (required by upsert and delete)", json!({"type": "string"})),
                    query_param("dry_run", "compute the change (counts and samples) and write nothing", json!({"type": "boolean"})),
                    query_param("skip_invalid", "load the valid features and report the invalid ones as skipped", json!({"type": "boolean"})),
                    query_param("progress", "an id of the client's choosing under which GET /layers/{slug}/uploads/{id} tells the features validated so far", json!({"type": "string", "pattern": "^[A-Za-z0-9_-]{8,64}$"})),
                ],
                "requestBody": upload,
                "responses": responses(&[
                    ("201", ok_ref("a new version: the load report", "LoadReport")),
                    ("200", ok_ref("unchanged, restored or a dry run: the load report", "LoadReport")),
                ], &errs(&[400, 403, 404, 413, 422])),
                "security": [{}, {"bearer": []}],
            },
        }),
    );
    let rollback = {
        let mut o = op(
            "rollback",
            "layers",
            "serve an earlier version again (a mapper granted the layer, or an admin)",
            vec![slug()],
            responses(
                &[("200", ok_ref("the version now served", "Version"))],
                &errs(&[400, 403, 404, 413, 415]),
            ),
            true,
        );
        o["requestBody"] = json_body("RollbackBody", json!({"version": 1}));
        o
    };
    p.insert("/layers/{slug}/rollback".into(), json!({"post": rollback}));
    p.insert(
        "/layers/{slug}/uploads/{id}".into(),
        json!({"get": op("uploadProgress", "layers", "how far an upload sent with ?progress=<id> has come: features validated so far (the same token that uploads)",
            vec![slug(), super::path_param("id", "the upload's progress id", json!({"type": "string"}))],
            responses(&[("200", ok("the progress", "application/json", json!({"type": "object", "required": ["features", "done"],
                "properties": {"features": {"type": "integer"}, "total": {"type": "integer", "nullable": true}, "done": {"type": "boolean"}}})))], &errs(&[401, 403, 404])), true)}),
    );
    let tokens = {
        let mut o = op(
            "createToken",
            "tokens",
            "create a token (admins); it is shown once",
            vec![],
            responses(
                &[("201", ok_ref("the new token", "NewTokenResponse"))],
                &errs(&[400, 403, 413, 415]),
            ),
            true,
        );
        o["requestBody"] = json_body(
            "NewToken",
            json!({"role": "mapper", "layers": ["bike-lanes"], "label": "a mapper"}),
        );
        o
    };
    p.insert("/tokens".into(), json!({"post": tokens}));
    p
}
