//! Where `qala serve`'s memory goes (bench/governance/memory.sh runs it): reads every served
//! layer of `DATABASE_URL` the way the server does, and reports the heap each copy holds
//! (glibc `mallinfo2`: bytes allocated and not freed), layer by layer: the served layer
//! (tiles and items) and the engine's own copy.
//! Then the whole engine as the server builds it, and the process's peak RSS.

#![allow(clippy::print_stdout)] // a report printed for bench/governance/memory.sh

use std::collections::BTreeMap;

#[allow(unsafe_code)]
fn heap() -> i64 {
    // SAFETY: mallinfo2 only reads the allocator's counters.
    let m = unsafe { libc::mallinfo2() };
    (m.uordblks + m.hblkhd) as i64
}

fn status(field: &str) -> String {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with(field))
                .map(|l| l.split_whitespace().nth(1).unwrap_or("?").to_owned())
        })
        .unwrap_or_else(|| "?".into())
}

fn mb(b: i64) -> f64 {
    b as f64 / 1_048_576.0
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let url = std::env::var("DATABASE_URL")?;
    let pool = sqlx::postgres::PgPoolOptions::new()
        .max_connections(2)
        .connect(&url)
        .await?;
    let layers = qala_store::catalogue::list_layers(&pool).await?;
    let governance = qala_server::governed::load(&pool).await?;
    println!(
        "{:<22} {:>9} {:>10} {:>10}",
        "layer", "features", "served MB", "engine MB"
    );
    let mut held = Vec::new();
    let mut engine_layers = BTreeMap::new();
    let (mut tot_served, mut tot_engine) = (0, 0);
    for l in layers {
        let (Ok(kind), Some(v)) = (l.kind.parse::<qala_core::LayerKind>(), l.layer_version_id) else {
            continue;
        };
        let h0 = heap();
        let d = qala_server::state::read_layer_data(&pool, l.slug.clone(), kind, v).await?;
        let served = heap() - h0;
        tot_served += served;
        let d = std::sync::Arc::new(d);
        let engine = if qala_server::state::ENGINE_KINDS.contains(&kind) {
            engine_layers.insert(l.slug.clone(), (kind, v));
            let h2 = heap();
            let features = qala_server::memory::engine_features(kind, d.clone());
            let src = qala_engine::SourceLayer {
                slug: l.slug.clone(),
                kind,
                layer_version_id: v,
                features,
            };
            let e = qala_engine::Engine::from_layers([src], qala_engine::EngineOptions::default())?;
            let engine = heap() - h2;
            drop(e);
            Some(engine)
        } else {
            None
        };
        tot_engine += engine.unwrap_or(0);
        println!(
            "{:<22} {:>9} {:>10.1} {:>10}",
            l.slug,
            d.feature_count(),
            mb(served),
            engine.map_or("-".into(), |b| format!("{:.1}", mb(b))),
        );
        held.push(d);
    }
    println!(
        "served layers, all: {:.1} MB; engine copies, one by one: {:.1} MB",
        mb(tot_served),
        mb(tot_engine)
    );
    let h = heap();
    let src = held.iter().filter(|d| engine_layers.contains_key(&d.slug)).map(|d| {
        let (kind, v) = engine_layers[&d.slug];
        qala_engine::SourceLayer {
            slug: d.slug.clone(),
            kind,
            layer_version_id: v,
            features: qala_server::memory::engine_features(kind, d.clone()),
        }
    });
    let e = qala_engine::Engine::from_layers(src, governance.engine_options(None))?;
    println!(
        "the server's engine (bound population, planting links): {:.1} MB",
        mb(heap() - h)
    );
    drop(e);
    println!(
        "heap in use at the end {:.1} MB; VmRSS {} kB, VmHWM {} kB",
        mb(heap()),
        status("VmRSS:"),
        status("VmHWM:")
    );
    Ok(())
}
