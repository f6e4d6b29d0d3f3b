//! OGC API – Features Part 4 operations, added to the item paths of [`super::ogc`].

use serde_json::{Map, Value, json};

use super::{errs, ex, op, path_param, responses, schema_ref, slug_param};

const TAG: &str = "OGC API Features";

fn collection_id() -> Value {
    ex(slug_param("collectionId"), json!("services"))
}

fn feature_id() -> Value {
    ex(
        path_param("featureId", "the feature id", json!({"type": "string"})),
        json!("1"),
    )
}

fn if_match() -> Value {
    json!({"name": "If-Match", "in": "header", "required": false,
           "description": "the ETag of GET /collections/{collectionId}/items/{featureId}, or *: the write applies only if the feature is unchanged (412 otherwise)",
           "schema": {"type": "string"}})
}

/// A request body of GeoJSON (`application/geo+json` or `application/json`).
fn body(schema: Value) -> Value {
    json!({"required": true, "content": {
        "application/geo+json": {"schema": schema.clone()},
        "application/json": {"schema": schema},
    }})
}

fn allow(description: &str) -> Value {
    json!({"description": description,
           "headers": {"Allow": {"description": "the methods this caller may use here", "required": true, "schema": {"type": "string"}}}})
}

/// Statuses of a write: malformed (400), not allowed (403; 401 via auth), no such
/// collection or feature (404), too large (413), not JSON (415), breaks the kind's rules (422).
const WRITE_ERRORS: [u16; 6] = [400, 403, 404, 413, 415, 422];

/// Adds POST/OPTIONS to the items path and PUT/PATCH/DELETE/OPTIONS to the item path.
pub fn add(paths: &mut Map<String, Value>) {
    let created = json!({"description": "created: Location names the first new feature; the body lists every new id and the change set",
        "headers": {"Location": {"description": "the first new feature", "required": true, "schema": {"type": "string"}}},
        "content": {"application/json": {"schema": {"type": "object", "required": ["ids", "change"],
            "properties": {"ids": {"type": "array", "items": {"type": "integer"}}, "version": {"type": "integer", "nullable": true},
                           "change": {"type": "object", "nullable": true}, "links": {"type": "array"}}}}}});
    let written = json!({"description": "written: a new layer version; ETag is the feature's new one",
        "headers": {"ETag": {"description": "the feature's new ETag", "schema": {"type": "string"}}}});
    let feature_or_collection = json!({"oneOf": [schema_ref("Feature"), schema_ref("FeatureCollection")]});
    if let Some(Value::Object(items)) = paths.get_mut("/collections/{collectionId}/items") {
        let mut post = op(
            "createFeatures",
            TAG,
            "add a Feature or a FeatureCollection (a mapper granted the layer, or an admin): a change set, checked against the kind's rules",
            vec![collection_id()],
            responses(&[("201", created)], &errs(&WRITE_ERRORS)),
            true,
        );
        post["requestBody"] = body(feature_or_collection);
        items.insert("post".into(), post);
        items.insert(
            "options".into(),
            op(
                "optionsFeatures",
                TAG,
                "the methods this caller may use on the items (Allow)",
                vec![collection_id()],
                responses(
                    &[(
                        "204",
                        allow("Allow lists GET, HEAD, OPTIONS, and POST for a caller who may write"),
                    )],
                    &errs(&[404]),
                ),
                true,
            ),
        );
    }
    if let Some(Value::Object(item)) = paths.get_mut("/collections/{collectionId}/items/{featureId}") {
        let params = || vec![collection_id(), feature_id(), if_match()];
        let mut put = op(
            "replaceFeature",
            TAG,
            "replace a feature (same id); a change set checked against the kind's rules",
            params(),
            responses(&[("204", written.clone())], &errs(&[400, 403, 404, 412, 413, 415, 422])),
            true,
        );
        put["requestBody"] = body(schema_ref("Feature"));
        item.insert("put".into(), put);
        let mut patch = op(
            "updateFeature",
            TAG,
            "change some properties and/or the geometry (JSON merge patch, RFC 7396); without If-Match it applies to the feature as read",
            params(),
            responses(&[("204", written)], &errs(&[400, 403, 404, 412, 413, 415, 422])),
            true,
        );
        let patch_schema = json!({"type": "object", "properties": {"properties": {"type": "object"}, "geometry": {"type": "object", "nullable": true}},
                                  "example": {"properties": {"name": "renamed"}}});
        patch["requestBody"] = json!({"required": true, "content": {
            "application/merge-patch+json": {"schema": patch_schema.clone()},
            "application/json": {"schema": patch_schema},
        }});
        item.insert("patch".into(), patch);
        item.insert(
            "delete".into(),
            op(
                "deleteFeature",
                TAG,
                "remove a feature: a change set (a new layer version)",
                params(),
                responses(
                    &[("204", json!({"description": "removed"}))],
                    &errs(&[400, 403, 404, 412, 413]),
                ),
                true,
            ),
        );
        item.insert(
            "options".into(),
            op(
                "optionsFeature",
                TAG,
                "the methods this caller may use on the feature (Allow)",
                vec![collection_id(), feature_id()],
                responses(
                    &[(
                        "204",
                        allow("Allow lists GET, HEAD, OPTIONS, and PUT, PATCH, DELETE for a caller who may write"),
                    )],
                    &errs(&[404]),
                ),
                true,
            ),
        );
    }
}
