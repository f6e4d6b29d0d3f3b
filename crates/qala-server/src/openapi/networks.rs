//! The cycling stress network: segments with LTS and reason, low-stress islands.

use serde_json::{Map, Value, json};

use super::{errs, ex, ok, op, query_param, responses, schema_ref};

const TAG: &str = "networks";

fn scenario_param() -> Value {
    ex(
        query_param(
            "scenario",
            "which bike lanes count: existing (default), under_construction (existing + under construction) or plan (every lane)",
            json!({"type": "string", "enum": ["existing", "under_construction", "plan"]}),
        ),
        json!("existing"),
    )
}

pub fn paths() -> Map<String, Value> {
    let mut p = Map::new();
    p.insert(
        "/networks/lts".into(),
        json!({"get": op("getLtsSegments", TAG,
            "street segments with their level of traffic stress (1–4), the rule and the assumed inputs, and their low-stress island; GeoJSON, by bbox and page",
            vec![scenario_param(),
                 ex(query_param("bbox", "minlon,minlat,maxlon,maxlat (WGS84): segments whose bounds meet it", json!({"type": "string"})), json!("76.90,43.23,76.96,43.27")),
                 query_param("limit", "segments per page (default 500)", json!({"type": "integer", "minimum": 1, "maximum": 10000})),
                 query_param("offset", "segments to skip (default 0)", json!({"type": "integer", "minimum": 0}))],
            responses(&[("200", ok("a page of segments; total counts every page", "application/geo+json", schema_ref("FeatureCollection")))], &errs(&[400, 403, 409])), true)}),
    );
    p.insert(
        "/networks/lts/islands".into(),
        json!({"get": op("getLtsIslands", TAG,
            "low-stress islands (connected streets at LTS ≤ 2), longest first, with length and residents reached",
            vec![scenario_param()],
            responses(&[("200", ok("the islands", "application/json", json!({"type": "object", "required": ["scenario", "ruleset", "islands"],
                "properties": {"scenario": {"type": "string"}, "ruleset": {"type": "string"}, "ruleset_version": {"type": "integer"},
                    "max_lts": {"type": "integer"}, "ways_by_lts": {"type": "array", "items": {"type": "integer"}},
                    "low_stress_km": {"type": "number"}, "residents_off_network": {"type": "number"},
                    "islands": {"type": "array", "items": {"type": "object", "properties": {
                        "id": {"type": "integer"}, "length_km": {"type": "number"}, "ways": {"type": "integer"},
                        "residents": {"type": "number"}, "cells": {"type": "integer"}}}}}})))], &errs(&[400, 403, 409])), true)}),
    );
    p.insert(
        "/networks/lts/priorities".into(),
        json!({"get": op("getLtsPriorities", TAG,
            "planned lane segments, and missing links (high-stress ways of at most 300 m between two or more low-stress islands, found automatically), ranked by residents newly connected to the centre's low-stress island per km (base: existing + under construction)",
            vec![query_param("format", "json (default) or csv", json!({"type": "string", "enum": ["json", "csv"]})),
                 query_param("limit", "the first N (default all)", json!({"type": "integer", "minimum": 1, "maximum": 10000}))],
            responses(&[("200", json!({"description": "the ranking, best first",
                "content": {"application/json": {"schema": {"type": "object", "required": ["priorities"],
                    "properties": {"base": {"type": "string"}, "with": {"type": "string"}, "ruleset": {"type": "string"},
                        "centre_island_residents": {"type": "number"},
                        "priorities": {"type": "array", "items": {"type": "object", "properties": {
                            "rank": {"type": "integer"}, "source": {"type": "string", "enum": ["planned", "missing_link"]},
                            "row": {"type": "integer"}, "name": {"type": "string", "nullable": true},
                            "length_km": {"type": "number"}, "residents_newly_connected": {"type": "number"},
                            "residents_per_km": {"type": "number"}, "islands_touched": {"type": "integer"},
                            "touches_centre_island": {"type": "boolean"}}}}}}},
                            "text/csv": {"schema": {"type": "string"}}}}))], &errs(&[400, 403, 409])), true)}),
    );
    p.insert(
        "/networks/walk/barriers".into(),
        json!({"get": op("getWalkBarriers", TAG,
            "street ways a walking profile cannot walk, beyond the motorways and trunk roads no profile walks: steps, ways tagged wheelchair=no or kerb=raised, slopes above the profile's threshold where a gradient is known (sql/indicators/walk_profiles.json, docs/walk_profiles.md); GeoJSON with the reason per way",
            vec![ex(query_param("profile", "walk (no extra barriers), step_free (default: stroller, wheelchair) or elderly", json!({"type": "string", "enum": ["walk", "step_free", "elderly"]})), json!("step_free"))],
            responses(&[("200", ok("the barrier ways; total counts them", "application/geo+json", json!({"type": "object", "required": ["type", "profile", "features"],
                "properties": {"type": {"type": "string"}, "profile": {"type": "string"}, "rules": {"type": "string"}, "rules_version": {"type": "integer"},
                    "roads_layer": {"type": "string"}, "total": {"type": "integer"},
                    "graph": {"type": "object", "properties": {"nodes": {"type": "integer"}, "edges": {"type": "integer"}, "components": {"type": "integer"},
                        "walkable_ways": {"type": "integer"}, "barrier_ways": {"type": "integer"}}},
                    "features": {"type": "array", "items": {"type": "object", "properties": {
                        "type": {"type": "string"}, "id": {"type": "integer"}, "geometry": {"type": "object"},
                        "properties": {"type": "object", "properties": {"row": {"type": "integer"}, "highway": {"type": "string", "nullable": true},
                            "name": {"type": "string", "nullable": true}, "barrier": {"type": "string"}}}}}}}})))], &errs(&[400, 403, 409])), true)}),
    );
    p
}
