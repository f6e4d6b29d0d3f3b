//! Indicators, access queries, zones and what-if (the in-memory engine).

use serde_json::{Map, Value, json};

use super::{errs, ex, json_body, ok, op, path_param, query_param, responses, schema_ref};

const TAG: &str = "indicators";

fn zones_param() -> Value {
    let p = query_param(
        "zones",
        "zone scheme: districts (default), rings, rings:2,5,10, centre, grid, historic, or a polygon layer's slug",
        json!({"type": "string"}),
    );
    ex(p, json!("districts"))
}

fn distance_param() -> Value {
    query_param(
        "distance",
        "access distance as the crow flies (default) or on foot along the streets",
        json!({"type": "string", "enum": ["straight", "network"]}),
    )
}

fn format_param() -> Value {
    query_param(
        "format",
        "json (default) or csv",
        json!({"type": "string", "enum": ["json", "csv"]}),
    )
}

/// An indicator result as JSON, or CSV with `format=csv`.
fn result() -> Value {
    json!({"description": "the indicator per zone and for centre, periphery and city",
           "content": {"application/json": {"schema": schema_ref("IndicatorResult")},
                       "text/csv": {"schema": {"type": "string"}}}})
}

pub fn paths() -> Map<String, Value> {
    let mut p = Map::new();
    p.insert(
        "/indicators".into(),
        json!({"get": op("listIndicators", TAG, "the indicator definitions", vec![],
            responses(&[("200", ok("the definitions", "application/json", json!({"type": "array", "items": schema_ref("IndicatorDef")})))], &[]), false)}),
    );
    p.insert(
        "/indicators/{id}".into(),
        json!({"get": op("computeIndicator", TAG, "one indicator per zone",
            vec![ex(path_param("id", "an indicator id (GET /indicators)", json!({"type": "string"})), json!("school_500m")), zones_param(), distance_param(), format_param(),
                 query_param("norm", "a norm variant of the indicator (its norm_variants)", json!({"type": "string"})),
                 query_param("edition", "the figure as published in this edition: latest or an edition id", json!({"type": "string", "pattern": "^([0-9]{1,18}|latest)$"}))],
            responses(&[("200", result())], &errs(&[400, 403, 404, 409])), true)}),
    );
    let mut access_params = vec![
        json!({"name": "layer", "in": "query", "required": true, "description": "the layer whose features residents should reach", "schema": {"type": "string"}, "example": "services"}),
        json!({"name": "radius_m", "in": "query", "required": true, "description": "the distance, metres", "schema": {"type": "number"}, "example": 500}),
        json!({"name": "where", "in": "query", "required": false, "style": "form", "explode": true,
               "description": "field=value (several values: field=a,b); repeatable, all must pass",
               "schema": {"type": "array", "items": {"type": "string", "pattern": "^[^=]+=.+$"}}}),
    ];
    access_params.extend([zones_param(), distance_param(), format_param()]);
    p.insert(
        "/access".into(),
        json!({"get": op("access", TAG, "share of residents within radius_m of a layer's features", access_params,
            responses(&[("200", result())], &errs(&[400, 403, 404, 409])), true)}),
    );
    p.insert(
        "/zones/{scheme}".into(),
        json!({"get": op("getZones", TAG, "the zones of a scheme as GeoJSON",
            vec![ex(path_param("scheme", "districts, rings, rings:2,5,10, historic, or a polygon layer's slug", json!({"type": "string"})), json!("districts"))],
            responses(&[("200", ok("the zones", "application/geo+json", schema_ref("FeatureCollection")))], &errs(&[400, 404, 409])), true)}),
    );
    let mut what_if = op(
        "whatIf",
        TAG,
        "before, after and delta of every indicator for one added or removed feature, or a street's new max speed; a bike lane added or removed, or a speed, also gives the low_stress_access indicators on the rebuilt cycling network and `lts` (per scenario touched: islands, low-stress km and the ways whose LTS changes); nothing is written",
        vec![],
        responses(
            &[("200", ok("the effect", "application/json", json!({"type": "object"})))],
            &errs(&[400, 404, 409, 413, 415, 422]),
        ),
        true,
    );
    what_if["requestBody"] = json_body(
        "WhatIfBody",
        json!({"change": {"layer": "services", "action": "add", "geometry": {"type": "Point", "coordinates": [76.95, 43.24]},
                          "attributes": {"category": "school"}}, "zones": "districts"}),
    );
    p.insert("/whatif".into(), json!({"post": what_if}));
    p.insert(
        "/bike/km".into(),
        json!({"get": op("bikeKm", TAG, "km of bike lane per zone and status (existing, under_construction, planned), and for the city",
            vec![zones_param()],
            responses(&[("200", ok("km per zone and status", "application/json", json!({
                "type": "object",
                "required": ["scheme", "statuses", "zones", "city"],
                "properties": {
                    "scheme": {"type": "string"},
                    "statuses": {"type": "array", "items": {"type": "string"}},
                    "zones": {"type": "array", "items": {"type": "object", "required": ["zone", "names", "km"]}},
                    "city": {"type": "object", "additionalProperties": {"type": "number"}},
                },
            })))], &errs(&[400, 403, 404, 409])), true)}),
    );
    p.insert(
        "/access/cells".into(),
        json!({"get": op("accessCells", TAG, "every population cell (centroid) with its straight-line distance to the nearest feature an access indicator counts",
            vec![json!({"name": "indicator", "in": "query", "required": true, "description": "an access indicator id (GET /indicators)", "schema": {"type": "string"}, "example": "school_500m"})],
            responses(&[("200", ok("the cells", "application/json", json!({
                "type": "object",
                "required": ["indicator", "radius_m", "unit", "count", "cells"],
                "properties": {
                    "indicator": {"type": "string"},
                    "radius_m": {"type": "number"},
                    "unit": {"type": "string"},
                    "count": {"type": "integer"},
                    "cells": {"type": "array", "items": {"type": "object", "required": ["lon", "lat", "residents", "distance_m"],
                        "properties": {"lon": {"type": "number"}, "lat": {"type": "number"}, "residents": {"type": "number"},
                                       "distance_m": {"type": "number", "nullable": true}}}},
                },
            })))], &errs(&[400, 403, 404, 409])), true)}),
    );
    p
}
