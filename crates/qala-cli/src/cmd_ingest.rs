use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use qala_core::{LayerKind, LayerSlug};
use qala_store::{LayerMeta, VersionSource};

use crate::GlobalArgs;
use crate::db::Db;

#[derive(Debug, clap::Args)]
pub struct IngestArgs {
    /// The file to load (GeoJSON for now; more formats come with the ingest issue).
    pub file: PathBuf,
    /// Slug of the layer to load into; created if it does not exist.
    #[arg(long)]
    pub layer: String,
    /// Kind of a new layer (see `qala ingest --help`); an existing layer keeps its kind.
    #[arg(long, default_value = "generic")]
    pub kind: String,
}

pub async fn run(g: &GlobalArgs, args: IngestArgs) -> anyhow::Result<ExitCode> {
    let slug = LayerSlug::parse(&args.layer)?;
    let kind: LayerKind = args.kind.parse()?;
    let raws = qala_ingest::read_all(&args.file, "GeoJSON", None)?;
    let name = args
        .file
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let features = match qala_load::validate(kind, raws, chrono::Utc::now().date_naive()) {
        Ok(f) => f,
        Err(problems) => {
            for p in problems.iter().take(50) {
                eprintln!("{name}: feature {}: {} = {:?}: {}", p.row, p.field, p.value, p.reason);
            }
            anyhow::bail!("{name}: {} problems; nothing was loaded", problems.len());
        }
    };
    let source = VersionSource {
        created_by: "cli".into(),
        source_name: name,
        source_sha256: qala_ingest::sha256_file(&args.file)?,
        source_crs: "EPSG:4326".into(),
    };
    let db = Db::open(g).await?;
    let meta = LayerMeta::new(&slug, kind, slug.as_str());
    let outcome = qala_load::load(&db.pool, &meta, &source, &features)
        .await
        .context("loading");
    db.close().await?;
    crate::out(&serde_json::to_string(&outcome?)?);
    Ok(ExitCode::SUCCESS)
}
