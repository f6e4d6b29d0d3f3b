//! `qala indicators --benchmark DIR`: the engine against the reference SQL on the loaded
//! data, in one run: times, ratios, agreement, what-if times and peak memory.

use std::path::Path;
use std::time::Instant;

use comfy_table::{Table, presets::UTF8_FULL_CONDENSED};
use qala_core::LayerKind;
use qala_engine::{Change, ChangeAction, Engine, EngineOptions, IndicatorResult, ZoneScheme};
use sqlx::PgPool;

use super::reference;

fn ms(t: Instant) -> f64 {
    t.elapsed().as_secs_f64() * 1000.0
}

/// Peak resident set size of this process (VmHWM), in MiB.
fn peak_rss_mib() -> Option<f64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kb: f64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb / 1024.0)
}

/// Largest relative difference between the engine's and the reference's zone figures.
fn max_rel_diff(engine: &[IndicatorResult], reference: &reference::RefRun) -> f64 {
    let mut worst: f64 = 0.0;
    for r in &reference.indicators {
        let Some(e) = engine.iter().find(|e| e.indicator.id == r.indicator) else {
            continue;
        };
        for (ez, rz) in e.zones.iter().zip(&r.zones) {
            for (a, b) in [(ez.numerator, rz.numerator), (ez.denominator, rz.denominator)] {
                let d = (a - b).abs() / a.abs().max(b.abs()).max(1.0);
                worst = worst.max(d);
            }
        }
    }
    worst
}

pub async fn run(pool: &PgPool, dir: &Path, options: EngineOptions) -> anyhow::Result<()> {
    // The engine's kinds (roads for the street graph and the cycling and walking networks;
    // not buildings), read through the served memory form as `qala serve`, `qala indicators`
    // and editions read them.
    let t = Instant::now();
    let wanted = qala_store::read::served_versions(pool)
        .await?
        .into_iter()
        .filter(|(_, (k, _))| qala_server::state::ENGINE_KINDS.contains(k))
        .collect();
    let layers = qala_server::state::read_engine_layers(pool, &wanted).await?;
    let read_ms = ms(t);
    let features: usize = layers.iter().map(|l| l.features.len()).sum();
    let service_slug = layers
        .iter()
        .find(|l| l.kind == LayerKind::Service)
        .map(|l| l.slug.clone());
    let green_slug = layers
        .iter()
        .find(|l| l.kind == LayerKind::GreenSpace)
        .map(|l| l.slug.clone());
    let t = Instant::now();
    let defs = options.indicators.clone();
    let as_of = options.as_of;
    let bindings = options.bindings.clone().unwrap_or_default();
    let engine = Engine::from_layers(layers, options)?;
    let build_ms = ms(t);

    let schemes = [ZoneScheme::Districts, ZoneScheme::default_rings()];
    let mut table = Table::new();
    table.load_preset(UTF8_FULL_CONDENSED);
    table.set_header([
        "zones",
        "engine (ms)",
        "reference SQL (ms)",
        "SQL / engine",
        "max rel. diff",
    ]);
    let mut engine_total = 0.0;
    let mut ref_total = 0.0;
    for scheme in &schemes {
        let t = Instant::now();
        let results = engine.compute_all(scheme)?;
        let e_ms = ms(t);
        engine_total += e_ms;
        let inputs = reference::RefInputs {
            bindings: &bindings,
            versions: engine.layer_versions(),
        };
        let r = reference::run(
            pool,
            dir,
            scheme,
            &defs,
            as_of,
            qala_engine::DistanceMode::Straight,
            inputs,
        )
        .await?;
        ref_total += r.total_ms;
        table.add_row([
            scheme.to_string(),
            format!("{e_ms:.0}"),
            format!("{:.0} (setup {:.0})", r.total_ms, r.setup_ms),
            format!("{:.1}×", r.total_ms / e_ms),
            format!("{:.1e}", max_rel_diff(&results, &r)),
        ]);
    }
    table.add_row([
        "both (full recompute)".to_owned(),
        format!("{engine_total:.0}"),
        format!("{ref_total:.0}"),
        format!("{:.1}×", ref_total / engine_total),
        String::new(),
    ]);
    // A warm recompute reuses the zone assignment and the per-cell coverage caches.
    let t = Instant::now();
    for scheme in &schemes {
        engine.compute_all(scheme)?;
    }
    let warm_ms = ms(t);

    let mut what_ifs = Vec::new();
    if let Some(slug) = service_slug {
        let change = Change {
            layer: slug,
            action: ChangeAction::Add {
                geometry: serde_json::json!({"type": "Point", "coordinates": [76.86, 43.21]}),
                attributes: serde_json::json!({"category": "bus_stop"})
                    .as_object()
                    .cloned()
                    .unwrap_or_default(),
            },
        };
        let t = Instant::now();
        let r = engine.what_if(&change, &ZoneScheme::Districts)?;
        what_ifs.push(("add a bus stop", ms(t), r.cells_recomputed));
    }
    if let Some(slug) = green_slug {
        let (x, y, d) = (76.86, 43.21, 0.004);
        let change = Change {
            layer: slug,
            action: ChangeAction::Add {
                geometry: serde_json::json!({"type": "Polygon", "coordinates": [[[x, y], [x + d, y], [x + d, y + d], [x, y + d], [x, y]]]}),
                attributes: serde_json::json!({"category": "park", "public_access": true})
                    .as_object()
                    .cloned()
                    .unwrap_or_default(),
            },
        };
        let t = Instant::now();
        let r = engine.what_if(&change, &ZoneScheme::Districts)?;
        what_ifs.push(("add a 10 ha park", ms(t), r.cells_recomputed));
    }

    crate::out(&format!(
        "data: {features} features in {} layers; population {:.0} residents",
        engine.layer_versions().len(),
        engine.total_residents()
    ));
    crate::out(&format!(
        "engine load: read from PostGIS {read_ms:.0} ms, project + index {build_ms:.0} ms"
    ));
    crate::out(&table.to_string());
    crate::out(&format!("engine warm recompute (districts + rings): {warm_ms:.0} ms"));
    for (what, t, cells) in what_ifs {
        crate::out(&format!("what-if {what}: {t:.1} ms ({cells} cells recomputed)"));
    }
    crate::out(&format!(
        "peak RSS of this process: {}",
        peak_rss_mib().map_or("?".into(), |m| format!("{m:.0} MiB"))
    ));
    Ok(())
}
