//! What planners see of residents' proposals: approved proposals counted per zone (any
//! scheme of `/zones/{scheme}`) and category, per 10,000 residents; and **demand beside
//! gap** — each zone's proposals of a category beside the indicator that measures the
//! matching shortage, with the Pearson correlation across zones.

use std::collections::BTreeMap;
use std::sync::Arc;

use axum::Json;
use axum::extract::{RawQuery, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use geo::{BoundingRect, Contains};
use geo_types::Point;
use qala_engine::ZoneCollection;
use serde_json::{Value, json};

use crate::error::Code;
use crate::state::AppState;
use crate::{ApiError, ApiResult, Caller};

/// Which indicator measures the shortage a category of proposals asks about.
pub const DEMAND_PAIRS: &[(&str, &str)] = &[("mobility_transport", "stops_500m"), ("greening_air", "green_300m_who")];

/// Approved proposals counted per zone: zone index → category → count; and those in no zone.
pub fn count_by_zone(zones: &ZoneCollection, points: &[(f64, f64, String)]) -> (Vec<BTreeMap<String, u64>>, u64) {
    let rects: Vec<_> = zones.zones.iter().map(|z| z.geometry_wgs84.bounding_rect()).collect();
    let mut out = vec![BTreeMap::new(); zones.zones.len()];
    let mut outside = 0;
    for (lon, lat, cat) in points {
        let p = Point::new(*lon, *lat);
        let hit = zones
            .zones
            .iter()
            .enumerate()
            .position(|(i, z)| rects[i].is_some_and(|r| r.contains(&p)) && z.geometry_wgs84.contains(&p));
        match hit {
            Some(i) => *out[i].entry(cat.clone()).or_insert(0) += 1,
            None => outside += 1,
        }
    }
    (out, outside)
}

/// Pearson's r of paired values; `None` with fewer than 3 pairs or no variance.
///
/// ```
/// use qala_server::proposal_stats::pearson;
/// let r = pearson(&[(1.0, 2.0), (2.0, 4.0), (3.0, 6.5)]).unwrap();
/// assert!(r > 0.99);
/// assert!(pearson(&[(1.0, 1.0), (1.0, 2.0), (1.0, 3.0)]).is_none());
/// ```
pub fn pearson(xy: &[(f64, f64)]) -> Option<f64> {
    if xy.len() < 3 {
        return None;
    }
    let n = xy.len() as f64;
    let (mx, my) = (
        xy.iter().map(|p| p.0).sum::<f64>() / n,
        xy.iter().map(|p| p.1).sum::<f64>() / n,
    );
    let (mut sxy, mut sxx, mut syy) = (0.0, 0.0, 0.0);
    for (x, y) in xy {
        sxy += (x - mx) * (y - my);
        sxx += (x - mx) * (x - mx);
        syy += (y - my) * (y - my);
    }
    (sxx > 0.0 && syy > 0.0).then(|| sxy / (sxx * syy).sqrt())
}

fn per_10k(n: u64, residents: f64) -> Option<f64> {
    (residents > 0.0).then(|| n as f64 / residents * 10_000.0)
}

pub(crate) struct Counted {
    zones: ZoneCollection,
    counts: Vec<BTreeMap<String, u64>>,
    outside: u64,
    categories: Vec<String>,
    scheme: qala_engine::ZoneScheme,
}

/// Counts per zone by scheme, kept while neither the public proposals (their count, newest
/// id, newest moderation step) nor the engine's layers change: 100,000 points in polygons is
/// most of a second, and planners read the same figures again and again.
#[derive(Default)]
pub struct StatsCache(std::sync::Mutex<std::collections::HashMap<String, (String, Arc<Counted>)>>);

/// Schemes cached at most; beyond, the cache starts again empty.
const CACHED_SCHEMES: usize = 16;

async fn counted(state: &AppState, caller: &Caller, p: &[(String, String)]) -> ApiResult<Arc<Counted>> {
    let scheme = crate::indicators::scheme(state, caller, p)?;
    let e = crate::indicators::engine(state)?;
    let pool = state.db()?;
    let name = scheme.to_string();
    let key = format!(
        "{}|{:?}",
        qala_store::proposal::public_generation(pool).await?,
        e.layer_versions()
    );
    let cache = &state.proposal_clients.stats;
    if let Ok(m) = cache.0.lock()
        && let Some((k, c)) = m.get(&name)
        && *k == key
    {
        return Ok(c.clone());
    }
    let s = scheme.clone();
    let zones = tokio::task::spawn_blocking(move || e.zones(&s))
        .await
        .map_err(|e| ApiError::internal("zones task", e))??;
    let points = qala_store::proposal::public_points(pool).await?;
    let categories = qala_store::proposal::categories(pool)
        .await?
        .into_iter()
        .map(|c| c.code)
        .collect();
    let (zones, counts, outside) = tokio::task::spawn_blocking(move || {
        let (c, o) = count_by_zone(&zones, &points);
        (zones, c, o)
    })
    .await
    .map_err(|e| ApiError::internal("count task", e))?;
    let c = Arc::new(Counted {
        zones,
        counts,
        outside,
        categories,
        scheme,
    });
    if let Ok(mut m) = cache.0.lock() {
        if m.len() >= CACHED_SCHEMES && !m.contains_key(&name) {
            m.clear();
        }
        m.insert(name, (key, c.clone()));
    }
    Ok(c)
}

fn params(q: Option<&str>) -> ApiResult<(Vec<(String, String)>, bool)> {
    let p = crate::indicators::pairs(q)?;
    if let Some((k, _)) = p.iter().find(|(k, _)| k != "zones" && k != "format") {
        return Err(ApiError::bad(
            Code::UnknownParameter,
            format!("unknown parameter {k:?}; use zones, format"),
        ));
    }
    let csv = match p.iter().find(|(k, _)| k == "format").map(|(_, v)| v.as_str()) {
        None | Some("json") => false,
        Some("csv") => true,
        Some(f) => {
            return Err(ApiError::bad(
                Code::InvalidParameter,
                format!("format={f}: use json or csv"),
            ));
        }
    };
    Ok((p, csv))
}

/// `GET /proposals/stats?zones=districts|rings|…&format=json|csv`.
pub async fn stats(State(state): State<AppState>, caller: Caller, RawQuery(q): RawQuery) -> ApiResult<Response> {
    let (p, csv) = params(q.as_deref())?;
    let c = counted(&state, &caller, &p).await?;
    if csv {
        let mut out = String::from("zone,name_en,residents,category,proposals,per_10k\n");
        for (z, counts) in c.zones.zones.iter().zip(&c.counts) {
            for cat in &c.categories {
                let n = counts.get(cat).copied().unwrap_or(0);
                out.push_str(&format!(
                    "{},\"{}\",{:.0},{},{},{}\n",
                    z.id,
                    z.names.en.replace('"', "\"\""),
                    z.residents,
                    cat,
                    n,
                    per_10k(n, z.residents).map(|v| format!("{v:.3}")).unwrap_or_default()
                ));
            }
        }
        return Ok(([(header::CONTENT_TYPE, "text/csv; charset=utf-8")], out).into_response());
    }
    let zones: Vec<Value> = c
        .zones
        .zones
        .iter()
        .zip(&c.counts)
        .map(|(z, counts)| {
            let total: u64 = counts.values().sum();
            let by: BTreeMap<&str, u64> = c
                .categories
                .iter()
                .map(|k| (k.as_str(), counts.get(k).copied().unwrap_or(0)))
                .collect();
            let by_10k: BTreeMap<&str, Option<f64>> = by.iter().map(|(k, n)| (*k, per_10k(*n, z.residents))).collect();
            json!({"zone": z.id, "names": z.names, "role": z.role, "residents": z.residents,
                   "proposals": total, "per_10k": per_10k(total, z.residents),
                   "by_category": by, "by_category_per_10k": by_10k})
        })
        .collect();
    let total: u64 = c.counts.iter().flat_map(|m| m.values()).sum::<u64>() + c.outside;
    Ok(Json(json!({
        "scheme": c.scheme.to_string(),
        "categories": c.categories,
        "zones": zones,
        "outside_zones": c.outside,
        "proposals": total,
    }))
    .into_response())
}

/// `GET /proposals/demand?zones=…`: per pair of [`DEMAND_PAIRS`], each zone's proposals of
/// the category per 10,000 residents beside the indicator's value, and Pearson's r.
pub async fn demand(State(state): State<AppState>, caller: Caller, RawQuery(q): RawQuery) -> ApiResult<Response> {
    let (p, csv) = params(q.as_deref())?;
    let c = counted(&state, &caller, &p).await?;
    let e = crate::indicators::engine(&state)?;
    let mut pairs = Vec::new();
    let mut rows = String::from("category,indicator,zone,name_en,residents,proposals,per_10k,indicator_value\n");
    for (cat, ind) in DEMAND_PAIRS {
        let def = match state.governance().definition(ind, None) {
            Ok(d) => d,
            Err(err) => {
                pairs.push(json!({"category": cat, "indicator": ind, "error": err.code()}));
                continue;
            }
        };
        crate::indicators::check_inputs_visible(&state, &caller, &e.input_versions(&def, &c.scheme))?;
        let (e2, s) = (e.clone(), c.scheme.clone());
        let r = tokio::task::spawn_blocking(move || e2.compute_def(&def, &s))
            .await
            .map_err(|e| ApiError::internal("indicator task", e))?;
        let r = match r {
            Ok(r) => r,
            Err(err) => {
                pairs.push(json!({"category": cat, "indicator": ind, "error": err.code()}));
                continue;
            }
        };
        let mut zones = Vec::new();
        let mut xy = Vec::new();
        for (z, counts) in c.zones.zones.iter().zip(&c.counts) {
            let n = counts.get(*cat).copied().unwrap_or(0);
            let rate = per_10k(n, z.residents);
            let value = r.zones.iter().find(|v| v.zone == z.id).and_then(|v| v.value);
            if let (Some(x), Some(y)) = (rate, value) {
                xy.push((x, y));
            }
            rows.push_str(&format!(
                "{cat},{ind},{},\"{}\",{:.0},{n},{},{}\n",
                z.id,
                z.names.en.replace('"', "\"\""),
                z.residents,
                rate.map(|v| format!("{v:.3}")).unwrap_or_default(),
                value.map(|v| format!("{v:.4}")).unwrap_or_default()
            ));
            zones.push(
                json!({"zone": z.id, "names": z.names, "residents": z.residents, "proposals": n,
                              "proposals_per_10k": rate, "indicator_value": value}),
            );
        }
        pairs.push(
            json!({"category": cat, "indicator": ind, "indicator_names": r.indicator.names,
                          "zones": zones, "pearson_r": pearson(&xy), "n": xy.len()}),
        );
    }
    if csv {
        return Ok(([(header::CONTENT_TYPE, "text/csv; charset=utf-8")], rows).into_response());
    }
    Ok(Json(json!({"scheme": c.scheme.to_string(), "pairs": pairs})).into_response())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pearson_matches_a_hand_computation() {
        // x = 1,2,3,4; y = 2,1,4,3: sxy = 3, sxx = syy = 5 → r = 0.6
        let r = pearson(&[(1.0, 2.0), (2.0, 1.0), (3.0, 4.0), (4.0, 3.0)]).unwrap();
        assert!((r - 0.6).abs() < 1e-12, "{r}");
        let r = pearson(&[(1.0, 3.0), (2.0, 2.0), (3.0, 1.0)]).unwrap();
        assert!((r + 1.0).abs() < 1e-12);
        assert!(pearson(&[(1.0, 3.0), (2.0, 2.0)]).is_none());
    }
}
