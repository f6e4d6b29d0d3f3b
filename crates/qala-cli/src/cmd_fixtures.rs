use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::Context;
use clap::Subcommand;
use qala_ingest::RawFeature;
use qala_store::VersionSource;
use serde_json::{Value as Json, json};

use crate::GlobalArgs;
use crate::db::Db;
use crate::fixtures::{REAL, RealSource};

#[derive(Debug, Subcommand)]
pub enum FixturesCommand {
    /// Load the real Almaty layers and generate + load the synthetic ones. Loading the
    /// same files again changes nothing (same sha256, same version).
    Load {
        /// Directory of the bundled fixtures.
        #[arg(long, default_value = "fixtures")]
        dir: PathBuf,
        /// Seed for the synthetic layers.
        #[arg(long, default_value_t = 42)]
        seed: u64,
    },
}

pub async fn run(g: &GlobalArgs, cmd: FixturesCommand) -> anyhow::Result<ExitCode> {
    let FixturesCommand::Load { dir, seed } = cmd;
    let db = Db::open(g).await?;
    let mut result = load_all(&db, &dir, seed).await;
    if result.is_ok() {
        // The indicator input roles not yet bound take the fixtures' layers.
        match qala_server::governed::bind_defaults(&db.pool, "qala fixtures load").await {
            Ok(roles) if !roles.is_empty() => {
                tracing::info!(roles = %roles.join(", "), "bound indicator input roles to the fixtures' layers")
            }
            Ok(_) => {}
            Err(e) => result = Err(e.into()),
        }
    }
    db.close().await?;
    result?;
    Ok(ExitCode::SUCCESS)
}

async fn load_all(db: &Db, dir: &Path, seed: u64) -> anyhow::Result<()> {
    let today = chrono::Utc::now().date_naive();
    for fx in REAL {
        let (raws, source_files) =
            read_real(dir, &fx.source).with_context(|| format!("reading fixture {}", fx.slug))?;
        let features = qala_load::validate(fx.kind, raws, today).map_err(|p| {
            anyhow::anyhow!(
                "fixture {}: {} invalid features, first: {:?}",
                fx.slug,
                p.len(),
                p.first()
            )
        })?;
        let source = VersionSource {
            created_by: "qala fixtures load".into(),
            source_name: source_files
                .iter()
                .map(|p| {
                    p.file_name()
                        .map(|n| n.to_string_lossy().into_owned())
                        .unwrap_or_default()
                })
                .collect::<Vec<_>>()
                .join(" + "),
            source_sha256: combined_sha(&source_files, fx.slug)?,
            source_crs: "EPSG:4326".into(),
        };
        let outcome = qala_load::load(&db.pool, &fx.meta()?, &source, &features).await?;
        tracing::info!(layer = fx.slug, ?outcome, "loaded");
    }
    // A directory of this run's own: two loads at once must not read each other's
    // half-written files.
    let synth_tmp = tempfile::Builder::new().prefix("qala-synth-").tempdir()?;
    let synth_dir = synth_tmp.path().to_owned();
    let city = qala_synth::CityInputs::from_fixtures(dir)?;
    let opts = qala_synth::SynthOptions {
        seed,
        ..Default::default()
    };
    let dem_path = synth_dir.join("elevation.tif");
    let (written, dem) = tokio::task::spawn_blocking(move || -> anyhow::Result<_> {
        let written = qala_synth::generate(&city, &opts, &synth_dir)?;
        let dem = qala_synth::elevation_raster(&city, seed, &dem_path)?;
        Ok((written, dem))
    })
    .await??;
    for w in written {
        let raws = qala_ingest::read_all(&w.path, "GeoJSON", None)?;
        let features = qala_load::validate(w.info.kind, raws, today).map_err(|p| {
            anyhow::anyhow!(
                "synthetic {}: {} invalid features, first: {:?}",
                w.info.slug,
                p.len(),
                p.first()
            )
        })?;
        let source = VersionSource {
            created_by: "qala fixtures load".into(),
            source_name: format!("qala synth --seed {seed}: {}", w.info.file_name()),
            source_sha256: qala_ingest::sha256_file(&w.path)?,
            source_crs: "EPSG:4326".into(),
        };
        let meta = crate::fixtures::synthetic_meta(&w.info, seed)?;
        let outcome = qala_load::load(&db.pool, &meta, &source, &features).await?;
        tracing::info!(layer = w.info.slug, ?outcome, "loaded (synthetic)");
    }
    load_elevation(db, &dem, seed, today).await?;
    let added = crate::synth_proposals::load(&db.pool, seed).await?;
    tracing::info!(added, "synthetic residents' proposals");
    Ok(())
}

/// The synthetic DEM through the raster ingest, as the `elevation` layer.
async fn load_elevation(
    db: &Db,
    dem: &qala_synth::ElevationRaster,
    seed: u64,
    today: chrono::NaiveDate,
) -> anyhow::Result<()> {
    struct Collect(Vec<qala_core::Feature>, Vec<qala_ingest::Problem>);
    impl qala_ingest::FeatureSink for Collect {
        fn feature(&mut self, f: qala_core::Feature) -> Result<(), qala_ingest::IngestError> {
            self.0.push(f);
            Ok(())
        }
        fn problem(&mut self, p: qala_ingest::Problem) {
            self.1.push(p);
        }
        fn key(&mut self, _: u64, _: qala_core::Value) -> Result<(), qala_ingest::IngestError> {
            Err(qala_ingest::IngestError::SinkClosed)
        }
    }
    let info = qala_synth::ELEVATION_LAYER;
    let path = dem.path.clone();
    let (features, source_crs) = tokio::task::spawn_blocking(move || -> anyhow::Result<_> {
        let opts = qala_ingest::IngestOptions {
            kind: info.kind,
            crs: None,
            map: Vec::new(),
            set: Vec::new(),
            layer: None,
            strict: false,
            today,
            known_permits: None,
            limits: qala_ingest::Limits::default(),
            cancel: qala_ingest::Cancel::new(),
            keys_only: None,
        };
        let opened = qala_ingest::open(&path, "elevation.tif", &opts)?;
        let mut sink = Collect(Vec::new(), Vec::new());
        opened.read(&opts, &mut sink)?;
        if let Some(p) = sink.1.iter().find(|p| p.is_error()) {
            anyhow::bail!("synthetic elevation: {} invalid pixels, first: {p:?}", sink.1.len());
        }
        Ok((sink.0, opened.source_crs().to_owned()))
    })
    .await??;
    let source = VersionSource {
        created_by: "qala fixtures load".into(),
        source_name: format!("qala synth --seed {seed}: elevation.tif (synthetic DEM)"),
        source_sha256: qala_ingest::sha256_file(&dem.path)?,
        source_crs,
    };
    let meta = crate::fixtures::synthetic_meta(&info, seed)?;
    let outcome = qala_load::load(&db.pool, &meta, &source, &features).await?;
    tracing::info!(layer = info.slug, pixels = dem.pixels, ?outcome, "loaded (synthetic)");
    Ok(())
}

/// sha256 over the sources and the rule that reads them, so that a change of either makes
/// a new version.
fn combined_sha(files: &[PathBuf], rule: &str) -> anyhow::Result<String> {
    use sha2::{Digest, Sha256};
    let mut h = Sha256::new();
    h.update(rule.as_bytes());
    for f in files {
        h.update(qala_ingest::sha256_file(f)?.as_bytes());
    }
    Ok(hex::encode(h.finalize()))
}

fn read_real(dir: &Path, source: &RealSource) -> anyhow::Result<(Vec<RawFeature>, Vec<PathBuf>)> {
    match source {
        RealSource::GeoJson(rel) => {
            let p = dir.join(rel);
            Ok((qala_ingest::read_all(&p, "GeoJSON", None)?, vec![p]))
        }
        RealSource::Osm(rel, rule) => {
            let p = dir.join(rel);
            Ok((qala_ingest::osm::extract(&p, *rule)?, vec![p]))
        }
        RealSource::Districts {
            geojson,
            population_csv,
        } => {
            let gj = dir.join(geojson);
            let csv = dir.join(population_csv);
            let population = qala_synth::inputs_population(&csv)?;
            let mut raws = qala_ingest::read_all(&gj, "GeoJSON", None)?;
            for raw in &mut raws {
                let id = raw.attrs.get("akimat_district_id").and_then(Json::as_i64);
                let pop = population.iter().find(|p| Some(p.0) == id);
                let a = &mut raw.attrs;
                a.insert("akimat_id".into(), id.map(Json::from).unwrap_or(Json::Null));
                a.insert("population".into(), pop.map(|p| json!(p.1)).unwrap_or(Json::Null));
                a.insert("population_date".into(), pop.map(|p| json!(p.2)).unwrap_or(Json::Null));
            }
            Ok((raws, vec![gj, csv]))
        }
    }
}
