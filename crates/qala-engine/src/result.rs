//! What the engine returns. Everything is `serde::Serialize`; the server sends these as
//! JSON and the CLI prints them as tables or CSV.

use std::collections::BTreeMap;

use chrono::NaiveDate;
use geo_types::MultiPolygon;
use serde::Serialize;

use crate::indicator_def::{IndicatorDef, Names, Norm};
use crate::street_graph::GraphStats;
use crate::{DistanceMode, ZoneRole};

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
    /// How access distances were measured (access indicators only); the figures above are
    /// in this mode.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub distance: Option<DistanceMode>,
    /// In network mode: the straight-line figures alongside and the severance gap.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub severance: Option<Severance>,
    /// Low-stress access indicators: the all-streets share beside the low-stress one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub low_stress: Option<crate::LowStress>,
    /// Walking-profile access indicators: the able-bodied walk's share beside the profile's,
    /// and the gap.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub walk_profile: Option<crate::ProfileComparison>,
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

/// Straight-line vs street-network access, per zone and group: the residents who are
/// "near" a service as the crow flies but not on foot (rivers, highways, gated blocks).
#[derive(Debug, Clone, Serialize)]
pub struct Severance {
    /// The layer the street graph was built from.
    pub roads_layer: String,
    pub graph: GraphStats,
    /// How far a cell or feature may be from a walkable street to join the network.
    pub snap_m: f64,
    pub radius_m: f64,
    pub zones: Vec<ZoneSeverance>,
    pub centre: SeveranceValue,
    pub periphery: SeveranceValue,
    pub city: SeveranceValue,
    /// Zoned cells farther than `snap_m` from any walkable street (never covered on foot).
    pub off_network_cells: usize,
    pub off_network_residents: f64,
}

#[derive(Debug, Clone, Serialize)]
pub struct ZoneSeverance {
    pub zone: String,
    pub role: ZoneRole,
    #[serde(flatten)]
    pub value: SeveranceValue,
}

/// Shares of residents (population-weighted) within reach in both modes.
#[derive(Debug, Clone, Copy, Serialize)]
pub struct SeveranceValue {
    pub straight: Option<f64>,
    pub network: Option<f64>,
    /// straight − network (≥ 0: walking is never shorter than the straight line).
    pub gap: Option<f64>,
    /// Residents within reach in a straight line but not on foot.
    pub residents_cut_off: f64,
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
    /// Where the longest gap runs: a GeoJSON MultiLineString in WGS84 (lon, lat).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub gap_wgs84: Option<serde_json::Value>,
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
    /// What a change to the bike lanes or a street's speed does to each lane scenario's
    /// network it touches (empty for other layers).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub lts: Vec<crate::LtsScenarioChange>,
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

/// The CSV header of [`IndicatorResult::to_csv`].
pub const CSV_HEADER: &str = "indicator,version,scheme,zone,name_en,role,residents,numerator,denominator,value,norm,\
gap_to_norm,unit,distance,straight_value,severance_gap";

fn csv_field(s: &str) -> String {
    if s.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s.to_owned()
    }
}

impl IndicatorResult {
    /// Results as CSV: the header, then per result one row per zone and one per group
    /// (CENTRE, PERIPHERY, CITY; role `group`). `distance` is empty for indicators that
    /// measure no distance; `straight_value` and `severance_gap` are filled in network mode.
    ///
    /// ```no_run
    /// # fn demo(r: qala_engine::IndicatorResult) {
    /// let csv = qala_engine::IndicatorResult::to_csv(&[r]);
    /// assert!(csv.starts_with("indicator,version,scheme,zone"));
    /// # }
    /// ```
    pub fn to_csv(results: &[IndicatorResult]) -> String {
        let mut out = String::from(CSV_HEADER);
        out.push('\n');
        for r in results {
            r.write_csv_rows(&mut out);
        }
        out
    }

    fn write_csv_rows(&self, out: &mut String) {
        let num = |v: Option<f64>| v.map(|v| v.to_string()).unwrap_or_default();
        let d = &self.indicator;
        let norm = d.norm.map(|n| n.value());
        let distance = self.distance.map(|m| m.as_str()).unwrap_or_default();
        let sev = self.severance.as_ref();
        let mut row = |zone: &str, name: &str, role: &str, g: &GroupValue, s: Option<&SeveranceValue>| {
            out.push_str(&format!(
                "{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{}\n",
                csv_field(&d.id),
                d.version,
                csv_field(&self.scheme),
                csv_field(zone),
                csv_field(name),
                role,
                g.residents,
                g.numerator,
                g.denominator,
                num(g.value),
                num(norm),
                num(g.gap_to_norm),
                csv_field(&d.unit),
                distance,
                num(s.and_then(|s| s.straight)),
                num(s.and_then(|s| s.gap)),
            ));
        };
        for (i, z) in self.zones.iter().enumerate() {
            let role = format!("{:?}", z.role).to_lowercase();
            let g = GroupValue {
                zones: 1,
                residents: z.residents,
                numerator: z.numerator,
                denominator: z.denominator,
                value: z.value,
                gap_to_norm: z.gap_to_norm,
            };
            row(
                &z.zone,
                &z.names.en,
                &role,
                &g,
                sev.and_then(|s| s.zones.get(i)).map(|z| &z.value),
            );
        }
        let groups = [
            ("CENTRE", &self.centre, sev.map(|s| &s.centre)),
            ("PERIPHERY", &self.periphery, sev.map(|s| &s.periphery)),
            ("CITY", &self.city, sev.map(|s| &s.city)),
        ];
        for (n, g, s) in groups {
            row(n, &n.to_lowercase(), "group", g, s);
        }
    }
}
