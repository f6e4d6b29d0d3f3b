//! What the engine returns. Everything is `serde::Serialize`; the server sends these as
//! JSON and the CLI prints them as tables or CSV.

use std::collections::BTreeMap;

use chrono::NaiveDate;
use geo_types::MultiPolygon;
use serde::Serialize;

use crate::ZoneRole;
use crate::indicator_def::{IndicatorDef, Names, Norm};

/// One indicator computed for one zone scheme.
#[derive(Debug, Clone, Serialize)]
pub struct IndicatorResult {
    /// The full definition the figures were computed from.
    pub indicator: IndicatorDef,
    /// The zone scheme, as it parses back (`districts`, `rings`, `rings:2,5`, a slug).
    pub scheme: String,
    pub zones: Vec<ZoneValue>,
    /// The whole city (every zoned resident / feature).
    pub city: GroupValue,
    /// The zones whose role is centre, taken together.
    pub centre: GroupValue,
    /// The zones whose role is periphery, taken together.
    pub periphery: GroupValue,
    /// periphery value / centre value: below 1 the periphery is worse served (for "more
    /// is better" indicators). `None` when the centre value is 0 or missing.
    pub service_gap: Option<f64>,
    /// Population-weighted inequality across cells (access indicators only).
    pub inequality: Option<Inequality>,
    /// Compensation flows "felled in zone A -> planted in zone B" (compensation indicators).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub flows: Vec<Flow>,
    /// Per-route gaps (the route-gap indicator).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub routes: Vec<RouteGap>,
    /// The layer versions (slug -> layer_version_id) the engine computed from.
    pub layer_versions: BTreeMap<String, i64>,
    /// The date overdue obligations are judged at.
    pub as_of: NaiveDate,
}

/// One zone's figure. `value` = `numerator` / `denominator` (or the count itself for
/// count indicators); `None` when the denominator is 0.
#[derive(Debug, Clone, Serialize)]
pub struct ZoneValue {
    pub zone: String,
    pub names: Names,
    pub role: ZoneRole,
    pub residents: f64,
    pub numerator: f64,
    pub denominator: f64,
    pub value: Option<f64>,
    /// value − norm (negative: short of an at-least norm).
    pub gap_to_norm: Option<f64>,
}

/// A group of zones taken together (city, centre, periphery).
#[derive(Debug, Clone, Serialize, Default)]
pub struct GroupValue {
    pub zones: usize,
    pub residents: f64,
    pub numerator: f64,
    pub denominator: f64,
    pub value: Option<f64>,
    pub gap_to_norm: Option<f64>,
}

/// Inequality of an access indicator across population cells (weights: residents).
#[derive(Debug, Clone, Serialize)]
pub struct Inequality {
    /// Population-weighted Gini of the cell values (1 covered / 0 not), 0 = equal.
    pub gini: Option<f64>,
    /// Theil T index of the cell values; `None` when nobody is covered.
    pub theil_t: Option<f64>,
    /// The between-zone part of Theil T.
    pub theil_between: Option<f64>,
    /// theil_between / theil_t: how much of the inequality is between zones (e.g. centre
    /// vs periphery) rather than within them.
    pub theil_between_share: Option<f64>,
    pub cells: usize,
}

/// Trees planted in `to_zone` for permits felled in `from_zone`.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Flow {
    /// `None`: outside every zone.
    pub from_zone: Option<String>,
    pub to_zone: Option<String>,
    pub trees: f64,
}

/// The longest stretch without a sign along one route.
#[derive(Debug, Clone, Serialize)]
pub struct RouteGap {
    pub layer: String,
    pub source_row: u64,
    pub name: Option<String>,
    pub zone: Option<String>,
    pub length_m: f64,
    pub signs: usize,
    pub longest_gap_m: f64,
}

/// A zone for maps: WGS84 polygon, names, role, residents.
#[derive(Debug, Clone, Serialize)]
pub struct ZoneFeature {
    pub id: String,
    pub names: Names,
    pub role: ZoneRole,
    pub area_m2: f64,
    pub residents: f64,
    /// lon/lat; `to_geojson` writes it out.
    #[serde(skip)]
    pub geometry_wgs84: MultiPolygon<f64>,
}

/// The zones of one scheme.
#[derive(Debug, Clone, Serialize)]
pub struct ZoneCollection {
    pub scheme: String,
    pub zones: Vec<ZoneFeature>,
}

impl ZoneCollection {
    /// A GeoJSON FeatureCollection (RFC 7946, lon/lat) with properties id, name_kk,
    /// name_ru, name_en, role, area_m2, residents.
    pub fn to_geojson(&self) -> serde_json::Value {
        let features: Vec<serde_json::Value> = self
            .zones
            .iter()
            .map(|z| {
                let polys: Vec<serde_json::Value> = z
                    .geometry_wgs84
                    .0
                    .iter()
                    .map(|p| {
                        let ring = |l: &geo_types::LineString<f64>| {
                            serde_json::Value::Array(l.0.iter().map(|c| serde_json::json!([c.x, c.y])).collect())
                        };
                        let mut rings = vec![ring(p.exterior())];
                        rings.extend(p.interiors().iter().map(ring));
                        serde_json::Value::Array(rings)
                    })
                    .collect();
                serde_json::json!({
                    "type": "Feature",
                    "id": z.id,
                    "properties": {
                        "id": z.id, "name_kk": z.names.kk, "name_ru": z.names.ru, "name_en": z.names.en,
                        "role": z.role, "area_m2": z.area_m2, "residents": z.residents,
                    },
                    "geometry": {"type": "MultiPolygon", "coordinates": polys},
                })
            })
            .collect();
        serde_json::json!({"type": "FeatureCollection", "scheme": self.scheme, "features": features})
    }
}

/// The effect of one what-if change on the indicators that use the changed layer.
#[derive(Debug, Clone, Serialize)]
pub struct WhatIfResult {
    pub scheme: String,
    pub change: String,
    pub indicators: Vec<IndicatorDelta>,
    /// Population cells whose value was recomputed (only those within reach of the change).
    pub cells_recomputed: usize,
    pub elapsed_ms: f64,
}

/// Before/after of one indicator.
#[derive(Debug, Clone, Serialize)]
pub struct IndicatorDelta {
    pub indicator: String,
    pub unit: String,
    pub norm: Option<Norm>,
    pub city: ValueDelta,
    pub zones: Vec<ZoneDelta>,
}

#[derive(Debug, Clone, Serialize)]
pub struct ZoneDelta {
    pub zone: String,
    pub names: Names,
    #[serde(flatten)]
    pub delta: ValueDelta,
}

#[derive(Debug, Clone, Copy, Serialize)]
pub struct ValueDelta {
    pub before: Option<f64>,
    pub after: Option<f64>,
    pub delta: Option<f64>,
}

impl ValueDelta {
    pub fn new(before: Option<f64>, after: Option<f64>) -> ValueDelta {
        ValueDelta {
            before,
            after,
            delta: before.zip(after).map(|(b, a)| a - b),
        }
    }
}
