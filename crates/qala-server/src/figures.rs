//! Figures the map views show, computed by the engine so that no browser recomputes them:
//! km of bike lane per zone and status (`GET /bike/km`), and each population cell's distance
//! to the nearest service of an access indicator (`GET /access/cells`).

use axum::Json;
use axum::extract::{RawQuery, State};
use qala_engine::{FeatureFilter, FieldEquals, IndicatorDef, LayerSelector, Measure, Names, ZoneScheme};
use serde_json::{Value, json};

use crate::error::Code;
use crate::indicators::{blocking, check_inputs_visible, check_known, engine, one, pairs, scheme, with_provenance};
use crate::{ApiError, ApiResult, AppState, Caller};

/// The bike-lane statuses, in the order the views list them.
pub const BIKE_STATUSES: [&str; 3] = ["existing", "under_construction", "planned"];

/// Length of the `bike_lanes` role's lanes of one status inside each zone: the engine's
/// length-per-area measure, whose numerator is the clipped length in km (UTM 43N).
fn bike_km_def(status: &str) -> IndicatorDef {
    IndicatorDef {
        id: format!("bike_km_{status}"),
        version: 1,
        names: Names::same(&format!("bike km ({status})")),
        description: format!("length of {status} bike lanes inside each zone, km (UTM 43N)"),
        descriptions: None,
        measure: Measure::LengthPerArea {
            layer: LayerSelector {
                role: Some("bike_lanes".into()),
                filter: FeatureFilter {
                    equals: vec![FieldEquals {
                        field: "status".into(),
                        any_of: vec![status.into()],
                    }],
                    min_area_m2: None,
                },
                ..LayerSelector::default()
            },
        },
        unit: "km".into(),
        norm: None,
        reference: String::new(),
        references: None,
        norm_variants: Vec::new(),
        norm_variant: None,
    }
}

/// `GET /bike/km?zones=districts`: km of bike lane per zone and status, and for the city.
pub async fn bike_km(State(state): State<AppState>, caller: Caller, RawQuery(q): RawQuery) -> ApiResult<Json<Value>> {
    let p = pairs(q.as_deref())?;
    check_known(&p, &["zones"])?;
    let s = scheme(&state, &caller, &p)?;
    let e = engine(&state)?;
    let defs: Vec<IndicatorDef> = BIKE_STATUSES.iter().map(|st| bike_km_def(st)).collect();
    for d in &defs {
        check_inputs_visible(&state, &caller, &e.input_versions(d, &s))?;
    }
    let results = blocking(move || defs.iter().map(|d| e.compute_def(d, &s)).collect::<Result<Vec<_>, _>>()).await?;
    let Some(first) = results.first() else {
        return Ok(Json(json!({"zones": []})));
    };
    let zones: Vec<Value> = first
        .zones
        .iter()
        .enumerate()
        .map(|(i, z)| {
            let km: serde_json::Map<String, Value> = BIKE_STATUSES
                .iter()
                .zip(&results)
                .map(|(st, r)| ((*st).to_owned(), json!(r.zones.get(i).map_or(0.0, |v| v.numerator))))
                .collect();
            json!({"zone": z.zone, "names": z.names, "role": z.role, "km": km})
        })
        .collect();
    let city: serde_json::Map<String, Value> = BIKE_STATUSES
        .iter()
        .zip(&results)
        .map(|(st, r)| ((*st).to_owned(), json!(r.city.numerator)))
        .collect();
    let mut versions = first.layer_versions.clone();
    for r in &results[1..] {
        versions.extend(r.layer_versions.clone());
    }
    let v = json!({
        "scheme": first.scheme, "statuses": BIKE_STATUSES, "unit": "km",
        "zones": zones, "city": city, "layer_versions": versions, "as_of": first.as_of,
    });
    Ok(Json(with_provenance(&state, &caller, v, &versions)))
}

/// `GET /access/cells?indicator=school_500m`: every population cell (centroid) with its
/// straight-line distance to the nearest feature the access indicator counts, from the
/// engine's R-trees; `within` says whether the cell is inside the indicator's radius.
pub async fn access_cells(
    State(state): State<AppState>,
    caller: Caller,
    RawQuery(q): RawQuery,
) -> ApiResult<Json<Value>> {
    let p = pairs(q.as_deref())?;
    check_known(&p, &["indicator"])?;
    let id = one(&p, "indicator").ok_or_else(|| {
        ApiError::bad(
            Code::InvalidParameter,
            "indicator=ID is required (an access indicator of GET /indicators)",
        )
    })?;
    let def = state.governance().definition(id, None)?;
    let Measure::Access { radius_m, .. } = def.measure else {
        return Err(ApiError::bad(
            Code::InvalidParameter,
            format!("{id} measures no distance; use an access indicator"),
        ));
    };
    let e = engine(&state)?;
    let districts: ZoneScheme = ZoneScheme::Districts;
    let versions = e.input_versions(&def, &districts);
    check_inputs_visible(&state, &caller, &versions)?;
    let cells = blocking(move || e.cell_distances(&def)).await?;
    let v = json!({
        "indicator": id, "radius_m": radius_m, "unit": "m", "distance": "straight",
        "count": cells.len(), "cells": cells, "layer_versions": versions,
    });
    Ok(Json(with_provenance(&state, &caller, v, &versions)))
}
