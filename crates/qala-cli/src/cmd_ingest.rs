use std::io::IsTerminal;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

use anyhow::Context;
use qala_core::{LayerKind, LayerSlug};
use qala_load::{LoadError, LoadOptions, LoadReport};

use crate::GlobalArgs;
use crate::db::Db;

/// Load a GIS file into a layer as a new version.
///
/// Modes (--mode): replace (default) makes the file the whole layer; append adds its
/// features; upsert --key FIELD replaces served features whose FIELD matches and adds the
/// others; delete --key FIELD removes served features whose FIELD matches. Each change is
/// a new version (qala layer rollback undoes it); --dry-run shows what would change
/// (added / changed / removed, with examples) and writes nothing.
///
/// Formats (one GDAL driver each): GeoJSON (.geojson/.json), GeoJSON sequences (.geojsonl),
/// zipped Shapefile (.zip; cp1251 or UTF-8 attributes), GeoPackage (.gpkg, also H3/grid
/// population), KML (.kml), CSV (.csv with lon/lat columns or a WKT column), OSM PBF
/// (.osm.pbf; features chosen by the kind's tag rules) and GeoTIFF population or elevation
/// rasters (.tif). Coordinates are reprojected to WGS84 lon/lat with PROJ from the file's CRS or
/// --crs. Every feature is checked; any error refuses the whole file and nothing changes.
///
/// GDAL never reaches the network: a CRS given by URL, a KML link or a remote name is
/// refused, whatever the proxy environment says. Resource limits (--max-…) bound what one
/// file may cost; Ctrl-C or --max-seconds stop a load and leave the layer as it was.
#[derive(Debug, clap::Args)]
#[command(verbatim_doc_comment)]
pub struct IngestArgs {
    /// The file to load.
    pub file: PathBuf,
    /// Slug of the layer to load into; created if it does not exist.
    #[arg(long)]
    pub layer: String,
    /// Kind of a new layer (district, city_boundary, historic_centre, population_cell,
    /// bike_lane, green_space, tree_felling, tree_planting, nav_sign, wayfinding_route,
    /// service, road, building, elevation, generic). An existing layer keeps its kind.
    #[arg(long)]
    pub kind: Option<String>,
    /// Source CRS when the file has none or a wrong one, e.g. EPSG:32643 (UTM 43N),
    /// EPSG:28413 (Pulkovo 1942 / Gauss-Krüger zone 13), EPSG:3857.
    #[arg(long)]
    pub crs: Option<String>,
    /// Rename an attribute before validation: --map SOURCE=TARGET (repeatable),
    /// e.g. --map Статус=status --map fell_permi=felling_permit_no.
    #[arg(long = "map", value_name = "SRC=DST")]
    pub map: Vec<String>,
    /// Set a constant attribute on every feature before validation: --set FIELD=VALUE
    /// (repeatable), e.g. --set category=hospital.
    #[arg(long = "set", value_name = "FIELD=VALUE")]
    pub set: Vec<String>,
    /// How the file changes the layer: replace, append, upsert or delete.
    #[arg(long, default_value = "replace", value_parser = ["replace", "append", "upsert", "delete"])]
    pub mode: String,
    /// The field that matches file features to served ones (upsert, delete).
    #[arg(long, value_name = "FIELD")]
    pub key: Option<String>,
    /// Compute and print the change (counts and examples), write nothing.
    #[arg(long)]
    pub dry_run: bool,
    /// Load the valid features and report the invalid ones as skipped (never the default).
    #[arg(long)]
    pub skip_invalid: bool,
    /// Layer to read from a multi-layer file (GeoPackage, KML).
    #[arg(long)]
    pub gpkg_layer: Option<String>,
    /// Refuse invalid polygons instead of repairing them.
    #[arg(long)]
    pub strict: bool,
    /// Write the full validation report as JSON to this file (also when refused).
    #[arg(long, value_name = "FILE")]
    pub report: Option<PathBuf>,
    /// Title of a new layer (defaults to the slug).
    #[arg(long)]
    pub title: Option<String>,
    /// Print the report as JSON on stdout instead of the text summary.
    #[arg(long)]
    pub json: bool,
    #[command(flatten)]
    pub limits: crate::limit_args::LimitArgs,
}

pub async fn run(g: &GlobalArgs, args: IngestArgs) -> anyhow::Result<ExitCode> {
    crate::sweep_temp_files();
    let slug = LayerSlug::parse(&args.layer)?;
    let kind: Option<LayerKind> = args.kind.as_deref().map(str::parse).transpose()?;
    let map = args
        .map
        .iter()
        .map(|m| qala_ingest::parse_mapping(m))
        .collect::<Result<Vec<_>, _>>()?;
    let set = args
        .set
        .iter()
        .map(|m| {
            qala_ingest::parse_mapping(m)
                .map_err(|_| anyhow::anyhow!("--set {m:?}: use FIELD=VALUE, e.g. --set category=hospital"))
        })
        .collect::<Result<Vec<_>, _>>()?;
    let mut opts = LoadOptions::new(slug);
    opts.set = set;
    opts.mode = args.mode.parse().map_err(anyhow::Error::msg)?;
    opts.key = args.key.clone();
    opts.dry_run = args.dry_run;
    opts.skip_invalid = args.skip_invalid;
    opts.kind = kind;
    opts.crs = args.crs.clone();
    opts.map = map;
    opts.gpkg_layer = args.gpkg_layer.clone();
    opts.strict = args.strict;
    opts.created_by = std::env::var("USER")
        .map(|u| format!("cli:{u}"))
        .unwrap_or_else(|_| "cli".into());
    opts.title = args.title.clone();
    opts.limits = args.limits.limits();
    let bar = progress_bar(g.quiet);
    if let Some(bar) = &bar {
        let bar = bar.clone();
        opts.progress = Some(Arc::new(move |done, total| {
            if let Some(t) = total
                && bar.length() != Some(t)
            {
                bar.set_style(bar_style());
                bar.set_length(t);
            }
            bar.set_position(done);
        }));
    }
    let db = Db::open(g).await?;
    let result = qala_load::load_file(&db.pool, &args.file, &opts).await;
    if let Some(bar) = &bar {
        bar.finish_and_clear();
    }
    db.close().await?;
    let report = match &result {
        Ok(r) => Some(r),
        Err(e) => e.report(),
    };
    if let (Some(path), Some(r)) = (&args.report, report) {
        write_report(path, r)?;
    }
    match result {
        Ok(r) => {
            show(&r, args.json, g.quiet);
            Ok(ExitCode::SUCCESS)
        }
        Err(LoadError::Invalid { report }) => {
            if args.json {
                crate::out(&serde_json::to_string_pretty(&report)?);
            }
            eprint!("{}", report.render_text(30));
            Ok(ExitCode::FAILURE)
        }
        Err(e) => Err(anyhow::Error::new(e).context(format!("{}: nothing was loaded", args.file.display()))),
    }
}

fn show(r: &LoadReport, json: bool, quiet: bool) {
    if json {
        crate::out(&serde_json::to_string_pretty(r).unwrap_or_default());
    } else if quiet {
        // Quiet still says what changed: the change set's counts and the outcome.
        let text = r.render_text(0);
        for line in text.lines().filter(|l| l.starts_with("change set")) {
            crate::out(line);
        }
        crate::out(text.lines().last().unwrap_or_default());
    } else {
        crate::out(r.render_text(30).trim_end());
    }
}

fn write_report(path: &std::path::Path, r: &LoadReport) -> anyhow::Result<()> {
    let text = serde_json::to_string_pretty(r)?;
    std::fs::write(path, text).with_context(|| format!("writing the report to {}", path.display()))
}

/// A bar with features/s on stderr, only for a person watching a terminal.
fn progress_bar(quiet: bool) -> Option<indicatif::ProgressBar> {
    if quiet || !std::io::stderr().is_terminal() {
        return None;
    }
    // Formats that cannot count their features cheaply (GeoJSON sequences, OSM) get a
    // spinner with the count and rate; the others a bar with an ETA.
    let bar = indicatif::ProgressBar::no_length();
    let spinner = indicatif::ProgressStyle::with_template("{spinner} {elapsed_precise} {human_pos} rows  {per_sec}")
        .unwrap_or_else(|_| indicatif::ProgressStyle::default_spinner());
    bar.set_style(spinner);
    bar.set_draw_target(indicatif::ProgressDrawTarget::stderr());
    bar.enable_steady_tick(std::time::Duration::from_millis(200));
    Some(bar)
}

fn bar_style() -> indicatif::ProgressStyle {
    indicatif::ProgressStyle::with_template(
        "{spinner} {elapsed_precise} [{bar:30}] {human_pos}/{human_len} rows  {per_sec}  eta {eta}",
    )
    .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar())
    .progress_chars("=> ")
}
