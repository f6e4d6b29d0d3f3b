//! OGC API – Features: landing page, conformance, the document itself, collections,
//! queryables, items.

use serde_json::{Map, Value, json};

use super::{AUTH_ERRORS, ex, f_param, ok, ok_ref, op, path_param, query_param, responses, schema_ref};
use crate::ogc_query::{DEFAULT_LIMIT, MAX_LIMIT, crs_list};

const TAG: &str = "OGC API Features";

fn collection_id() -> Value {
    ex(super::slug_param("collectionId"), json!("services"))
}

fn crs_param(name: &str, description: &str) -> Value {
    let mut list = crs_list();
    list.extend(["EPSG:4326", "EPSG:3857", "EPSG:32643", "OGC:CRS84"].map(str::to_owned));
    query_param(name, description, json!({"type": "string", "enum": list}))
}

/// `lang` of the HTML pages.
fn lang_param() -> Value {
    query_param(
        "lang",
        "the language of an HTML page (kk, ru, en); without it Accept-Language chooses, else English",
        json!({"type": "string", "enum": ["kk", "ru", "en"]}),
    )
}

/// `f` where JSON and HTML are offered (HTML also for an Accept that prefers text/html).
fn f_json_html(also: &[&str]) -> Value {
    let mut values = vec![
        "json",
        "geojson",
        "application/json",
        "application/geo+json",
        "html",
        "text/html",
    ];
    values.extend(also);
    query_param(
        "f",
        "the output format: JSON by default and for JSON or */* Accept headers; html (or an Accept that ranks text/html above JSON and */*, as browsers send) for a page in kk/ru/en",
        json!({"type": "string", "enum": values}),
    )
}

/// A success that is JSON (`media`, `schema`) or an HTML page.
fn json_or_html(description: &str, media: &str, schema: Value) -> Value {
    json!({"description": description, "content": {
        media: {"schema": schema},
        "text/html": {"schema": {"type": "string"}},
    }})
}

fn with_auth(errors: &[u16]) -> Vec<u16> {
    let mut v = errors.to_vec();
    v.extend(AUTH_ERRORS);
    v
}

pub fn paths() -> Map<String, Value> {
    let items_params = vec![
        collection_id(),
        ex(
            query_param(
                "limit",
                "features per page (1 to 10000); for f=csv and f=gpkg, features per download: all matches by default, at most 100000",
                json!({"type": "integer", "minimum": 1, "maximum": MAX_LIMIT, "default": DEFAULT_LIMIT}),
            ),
            json!(10),
        ),
        json!({"name": "bbox", "in": "query", "required": false, "style": "form", "explode": false,
               "description": "minx,miny,maxx,maxy (or with heights minx,miny,minz,maxx,maxy,maxz), in bbox-crs (default CRS84)",
               "schema": {"type": "array", "items": {"type": "number"}, "minItems": 4, "maxItems": 6,
                          "not": {"minItems": 5, "maxItems": 5}},
               "example": [76.9, 43.2, 77.0, 43.3]}),
        crs_param("bbox-crs", "the CRS of bbox (OGC API Features Part 2)"),
        crs_param("crs", "the CRS of the returned geometries"),
        query_param(
            "datetime",
            "a date (2024-05-01) or an interval (2024-01-01/2024-12-31, ../2024-12-31, 2024-01-01/..) on the layer's date (its queryable with x-ogc-role primary-instant); a layer with several dates refuses it (use filter)",
            json!({"type": "string", "minLength": 1}),
        ),
        ex(
            query_param(
                "filter",
                "a CQL2 filter (OGC API Features Part 3) on the queryables: comparisons, LIKE, IN, BETWEEN, IS NULL, CASEI, S_INTERSECTS/S_WITHIN/… on geometry, T_BEFORE/T_AFTER/T_DURING/… on a date; an unknown property or a syntax error is 400 invalid_filter naming it",
                json!({"type": "string", "minLength": 1, "maxLength": crate::cql2_filter::MAX_FILTER_BYTES}),
            ),
            json!("status = 'existing'"),
        ),
        query_param(
            "filter-lang",
            "the language of filter",
            json!({"type": "string", "enum": ["cql2-text", "cql2-json"], "default": "cql2-text"}),
        ),
        crs_param("filter-crs", "the CRS of geometry literals in filter (default CRS84)"),
        query_param(
            "after",
            "the paging cursor of a next link",
            json!({"type": "integer", "format": "int64"}),
        ),
        f_json_html(&[
            "csv",
            "text/csv",
            "gpkg",
            "geopackage",
            "application/geopackage+sqlite3",
        ]),
        lang_param(),
    ];
    let mut p = Map::new();
    p.insert(
        "/".into(),
        json!({"get": op("getLandingPage", TAG,
            "the landing page (JSON with ?f=json or Accept: application/json; as an HTML page in kk/ru/en with ?f=html; the web app otherwise)",
            vec![query_param("f", "json or html for the landing page", json!({"type": "string", "enum": ["json", "html"]})), lang_param()],
            {
                let mut r = responses(&[], &[400]);
                r["200"] = json!({"description": "the landing page (JSON or HTML), or the web app",
                    "content": {"application/json": {"schema": schema_ref("Landing")},
                                "text/html": {"schema": {"type": "string"}}}});
                r
            }, false)}),
    );
    p.insert(
        "/conformance".into(),
        json!({"get": op("getConformance", TAG, "conformance classes", vec![f_param()],
            responses(&[("200", ok_ref("the conformance classes", "Conformance"))], &[400]), false)}),
    );
    p.insert(
        "/api".into(),
        json!({"get": op("getApi", TAG, "this document", vec![],
            responses(&[("200", ok("the OpenAPI 3.0 document", super::MEDIA_TYPE, json!({"type": "object", "required": ["openapi", "paths"]})))], &[]), false)}),
    );
    p.insert(
        "/collections".into(),
        json!({"get": op("getCollections", TAG, "the layers this caller may see (JSON, or an HTML table)", vec![f_json_html(&[]), lang_param()],
            responses(&[("200", json_or_html("the collections", "application/json", schema_ref("Collections")))], &with_auth(&[400])), true)}),
    );
    p.insert(
        "/collections/{collectionId}".into(),
        json!({"get": op("describeCollection", TAG, "one layer (JSON, or an HTML page with a preview map and download links)", vec![collection_id(), f_json_html(&[]), lang_param()],
            responses(&[("200", json_or_html("the collection", "application/json", schema_ref("Collection")))], &with_auth(&[400, 404])), true)}),
    );
    p.insert(
        "/collections/{collectionId}/queryables".into(),
        json!({"get": op("getQueryables", TAG, "the properties items can be filtered on (property=value), as JSON Schema",
            vec![collection_id(), f_param()],
            responses(&[("200", ok("JSON Schema of the queryables", "application/schema+json", json!({"type": "object", "required": ["type", "properties"]})))],
                &with_auth(&[400, 404])), true)}),
    );
    p.insert(
        "/collections/{collectionId}/items".into(),
        json!({"get": op("getFeatures", TAG,
            "features of a layer; any typed field of the layer's kind filters too (field=value, see queryables). f=html: the page as an HTML table with a preview map; f=csv: every match as CSV (a WKT column, then the properties); f=gpkg: every match as a GeoPackage",
            items_params,
            responses(&[("200", {
                let mut r = json_or_html("a page of features (X-Qala-Source: memory when answered from memory), a page, or a download", "application/geo+json", schema_ref("FeatureCollection"));
                r["content"]["text/csv"] = json!({"schema": {"type": "string"}});
                r["content"]["application/geopackage+sqlite3"] = json!({"schema": {"type": "string", "format": "binary"}});
                r
            })],
                &with_auth(&[400, 404])), true)}),
    );
    p.insert(
        "/collections/{collectionId}/items/{featureId}".into(),
        json!({"get": op("getFeature", TAG, "one feature",
            vec![collection_id(), ex(path_param("featureId", "the feature id", json!({"type": "string"})), json!("1")),
                 crs_param("crs", "the CRS of the returned geometry (JSON; a page is drawn in CRS84)"), f_json_html(&[]), lang_param()],
            responses(&[("200", json_or_html("the feature", "application/geo+json", schema_ref("Feature")))], &with_auth(&[400, 404])), true)}),
    );
    p
}
