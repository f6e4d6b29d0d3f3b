//! `qala indicators`: equity indicators per zone, centre vs periphery, from the engine.

use std::process::ExitCode;

use anyhow::Context;
use clap::ValueEnum;
use comfy_table::{Table, presets::UTF8_FULL_CONDENSED};
use qala_core::LayerKind;
use qala_engine::{
    AccessQuery, Change, DistanceMode, Engine, EngineOptions, FieldEquals, GroupValue, IndicatorResult, SeveranceValue,
    ZoneScheme,
};

use crate::GlobalArgs;
use crate::db::Db;

mod benchmark;
mod governance;
mod reference;

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum Format {
    /// Tables for people: value, norm, gap to norm, centre vs periphery, inequality.
    Table,
    /// The engine's full results (definitions, zones, groups, inequality, flows).
    Json,
    /// One row per zone and indicator.
    Csv,
}

#[derive(Debug, clap::Args)]
#[command(after_help = "Examples:
  qala indicators                                    every indicator by district
  qala indicators --zones rings --indicator stops_500m
  qala indicators --zones rings:2,5,10 --format csv
  qala indicators --access services --radius-m 800 --where category=pharmacy
  qala indicators --indicator stops_500m --distance network   walking vs straight line
  qala indicators --what-if new-park.json --zones districts
  qala indicators --indicator green_m2_per_resident --norm city   judged against another norm
  qala indicators --list
  qala indicators bindings                           which layers fill each input role
  qala indicators bind schools schools-2026           use another layer for a role
  qala indicators publish --title \"2026 Q4\"          freeze an edition of every figure
  qala indicators editions --verify 1                recompute edition 1 from its pins")]
#[command(args_conflicts_with_subcommands = true)]
pub struct IndicatorsArgs {
    #[command(subcommand)]
    pub action: Option<governance::GovernanceCmd>,
    /// Zone scheme: districts, rings (0-3, 3-7, 7-12, >12 km around Republic Square),
    /// rings:2,5,10 (own bands, km), historic (historic centre vs rest), or the slug of a
    /// polygon layer.
    #[arg(long, default_value = "districts")]
    pub zones: String,
    /// Indicator id, several separated by commas, or `all`. `--list` shows the ids. Several
    /// are computed as `all` computes them: with --distance network only access indicators
    /// walk (one named alone must be an access indicator).
    #[arg(long, default_value = "all")]
    pub indicator: String,
    /// Ad-hoc access: share of residents within --radius-m of any feature of this layer.
    #[arg(long, value_name = "LAYER", requires = "radius_m")]
    pub access: Option<String>,
    /// Radius for --access, in metres.
    #[arg(long, value_name = "METRES", allow_negative_numbers = true)]
    pub radius_m: Option<f64>,
    /// Filter for --access: field=value or field=a,b (repeatable; all must hold).
    #[arg(long = "where", value_name = "FIELD=VALUE", requires = "access")]
    pub filters: Vec<String>,
    /// What-if: a JSON file with one change ({"layer":…,"action":"add","geometry":{…},
    /// "attributes":{…}} or {"layer":…,"action":"remove","source_row":N}); prints the
    /// indicator deltas per zone.
    #[arg(long, value_name = "FILE", conflicts_with = "access")]
    pub what_if: Option<std::path::PathBuf>,
    /// Distance for access indicators: straight (line, default) or network (walking along
    /// the walkable streets of the roads layer; the output adds the straight figures and
    /// the severance gap = straight share − network share).
    #[arg(long, value_name = "MODE", default_value = "straight", value_parser = parse_distance)]
    pub distance: DistanceMode,
    /// Date overdue compensation is judged at (default: today).
    #[arg(long, value_name = "YYYY-MM-DD")]
    pub as_of: Option<chrono::NaiveDate>,
    /// Judge --indicator against this named norm variant (`--list --format json` shows
    /// each definition's variants and their sources).
    #[arg(long, value_name = "VARIANT", requires = "indicator")]
    pub norm: Option<String>,
    /// List the indicator definitions and exit.
    #[arg(long)]
    pub list: bool,
    /// Compute the default indicators with the plain PostGIS SQL of this directory
    /// (sql/reference, the engine's oracle) instead of the engine; JSON output. With
    /// --distance network the access indicators walk with pgRouting (needs the extension).
    #[arg(long, value_name = "DIR", conflicts_with_all = ["access", "what_if"])]
    pub reference: Option<std::path::PathBuf>,
    /// Time the engine against the reference SQL of this directory on the loaded data
    /// (districts and rings, plus what-ifs); prints times, ratios and peak memory.
    #[arg(long, value_name = "DIR", conflicts_with_all = ["access", "what_if", "reference"])]
    pub benchmark: Option<std::path::PathBuf>,
    #[arg(long, value_enum, default_value = "table")]
    pub format: Format,
    /// Print how long reading, indexing and computing took (to stderr).
    #[arg(long)]
    pub timings: bool,
}

pub async fn run(g: &GlobalArgs, mut args: IndicatorsArgs) -> anyhow::Result<ExitCode> {
    if let Some(action) = args.action.take() {
        return governance::run(g, action).await;
    }
    let ids = indicator_ids(&args.indicator);
    if args.norm.is_some() && (ids.as_ref().is_none_or(|i| i.len() != 1) || args.access.is_some()) {
        anyhow::bail!("--norm VARIANT judges one indicator: add --indicator ID");
    }
    // Check what can be checked before touching the database.
    let scheme: ZoneScheme = args.zones.parse()?;
    let filters = args
        .filters
        .iter()
        .map(|f| FieldEquals::parse(f))
        .collect::<Result<Vec<_>, _>>()?;
    let change: Option<Change> = match &args.what_if {
        Some(path) => {
            let text = std::fs::read_to_string(path).with_context(|| format!("cannot read {}", path.display()))?;
            Some(serde_json::from_str(&text).with_context(|| format!("{} is not a what-if change", path.display()))?)
        }
        None => None,
    };
    if args.distance == DistanceMode::Network && args.benchmark.is_some() {
        anyhow::bail!("--benchmark times straight-line distance; bench/engine/run.sh times --distance network");
    }
    let db = Db::open(g).await?;
    // The definitions and input bindings in force: the same inputs the server computes from.
    let governed = match qala_server::governed::load(&db.pool).await {
        Ok(gv) => gv,
        Err(e) => {
            db.close().await?;
            return Err(e.into());
        }
    };
    let options: EngineOptions = governed.engine_options(args.as_of);
    if args.list {
        db.close().await?;
        return list(&options, args.format);
    }
    // Roads and buildings are only needed when named (ad-hoc access, a zone layer); roads
    // also for network distance and for a definition that reads them (the low-stress ones).
    let all_kinds = args.access.is_some() || matches!(scheme, ZoneScheme::Layer { .. }) || change.is_some();
    let network = args.distance == DistanceMode::Network;
    let reads_roads = options
        .indicators
        .iter()
        .filter(|d| ids.as_ref().is_none_or(|ids| ids.contains(&d.id)))
        .any(|d| d.roles().iter().any(|r| r == "roads"));
    let kinds: Vec<LayerKind> = LayerKind::ALL
        .into_iter()
        .filter(|k| match k {
            LayerKind::Road => all_kinds || network || reads_roads,
            LayerKind::Building => all_kinds,
            _ => true,
        })
        .collect();
    if let Some(dir) = &args.reference {
        let versions = qala_store::read::served_versions(&db.pool)
            .await?
            .into_iter()
            .map(|(slug, (_, v))| (slug, v))
            .collect();
        let defs = match &ids {
            None => Ok(options.indicators.clone()),
            Some(ids) => ids.iter().map(|id| governed.definition(id, None)).collect(),
        };
        let defs = match defs {
            Ok(d) => d,
            Err(e) => {
                db.close().await?;
                return Err(e.into());
            }
        };
        let run = reference::run(
            &db.pool,
            dir,
            &scheme,
            &defs,
            options.as_of,
            args.distance,
            reference::RefInputs {
                bindings: &governed.bindings,
                versions: &versions,
            },
        )
        .await;
        db.close().await?;
        crate::out(&serde_json::to_string_pretty(&run?)?);
        return Ok(ExitCode::SUCCESS);
    }
    if let Some(dir) = &args.benchmark {
        let report = benchmark::run(&db.pool, dir, options).await;
        db.close().await?;
        report?;
        return Ok(ExitCode::SUCCESS);
    }
    let started = std::time::Instant::now();
    // Through the served memory form, as `qala serve` and editions read them: the same
    // figures to the last bit.
    let layers = match qala_store::read::served_versions(&db.pool).await {
        Ok(served) => {
            let wanted = served.into_iter().filter(|(_, (k, _))| kinds.contains(k)).collect();
            qala_server::state::read_engine_layers(&db.pool, &wanted).await
        }
        Err(e) => Err(e),
    };
    db.close().await?;
    let read_ms = started.elapsed().as_secs_f64() * 1000.0;
    let started = std::time::Instant::now();
    let engine = Engine::from_layers(layers?, options)?;
    let build_ms = started.elapsed().as_secs_f64() * 1000.0;
    let started = std::time::Instant::now();

    if let Some(change) = change {
        let r = engine.what_if_in(&change, &scheme, args.distance)?;
        match args.format {
            Format::Json | Format::Csv => crate::out(&serde_json::to_string_pretty(&r)?),
            Format::Table => {
                crate::out(&format!(
                    "what-if: {} ({} cells recomputed, {:.1} ms)",
                    r.change, r.cells_recomputed, r.elapsed_ms
                ));
                for ind in &r.indicators {
                    let mut t = Table::new();
                    t.load_preset(UTF8_FULL_CONDENSED);
                    t.set_header(["zone", "before", "after", "delta"]);
                    let unit = ind.unit.as_str();
                    for z in &ind.zones {
                        t.add_row([
                            z.names.en.clone(),
                            fmt(z.delta.before, unit),
                            fmt(z.delta.after, unit),
                            fmt_delta(z.delta.delta, unit),
                        ]);
                    }
                    t.add_row([
                        "CITY".into(),
                        fmt(ind.city.before, unit),
                        fmt(ind.city.after, unit),
                        fmt_delta(ind.city.delta, unit),
                    ]);
                    crate::out(&format!("\n{} ({unit})", ind.indicator));
                    crate::out(&t.to_string());
                }
            }
        }
        return Ok(ExitCode::SUCCESS);
    }

    let results: Vec<IndicatorResult> = match (&args.access, args.radius_m) {
        (Some(layer), Some(radius_m)) => vec![engine.access(
            &AccessQuery {
                layer: layer.clone(),
                radius_m,
                filter: filters,
                distance: args.distance,
            },
            &scheme,
        )?],
        _ => match &ids {
            None => engine.compute_all_in(&scheme, args.distance)?,
            Some(ids) => ids
                .iter()
                .map(|id| {
                    let def = governed.definition(id, args.norm.as_deref())?;
                    let def = if ids.len() == 1 || def.distance().is_some() {
                        def.with_distance(args.distance)?
                    } else {
                        def
                    };
                    engine.compute_def(&def, &scheme)
                })
                .collect::<Result<_, _>>()?,
        },
    };
    if args.timings {
        tracing::warn!(
            read_ms,
            build_ms,
            compute_ms = started.elapsed().as_secs_f64() * 1000.0,
            "timings"
        );
    }
    match args.format {
        Format::Json => crate::out(&serde_json::to_string_pretty(&results)?),
        Format::Csv => crate::out(IndicatorResult::to_csv(&results).trim_end()),
        Format::Table => {
            for r in &results {
                print_table(r);
            }
            crate::out(&format!(
                "\nlayers: {}; as of {}",
                results
                    .first()
                    .map(|r| r
                        .layer_versions
                        .iter()
                        .map(|(s, v)| format!("{s}@{v}"))
                        .collect::<Vec<_>>()
                        .join(", "))
                    .unwrap_or_default(),
                engine.as_of()
            ));
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// `--indicator`: `None` for `all`, else the ids given (comma-separated, blanks dropped).
fn indicator_ids(arg: &str) -> Option<Vec<String>> {
    (arg != "all").then(|| {
        arg.split(',')
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(str::to_owned)
            .collect()
    })
}

fn list(options: &EngineOptions, format: Format) -> anyhow::Result<ExitCode> {
    match format {
        Format::Json => crate::out(&serde_json::to_string_pretty(&options.indicators)?),
        Format::Table | Format::Csv => {
            let mut t = Table::new();
            t.load_preset(UTF8_FULL_CONDENSED);
            t.set_header(["id", "v", "unit", "norm", "name", "reference"]);
            for d in &options.indicators {
                t.add_row([
                    d.id.clone(),
                    d.version.to_string(),
                    d.unit.clone(),
                    d.norm
                        .map(|n| fmt(Some(n.value()), &d.unit))
                        .unwrap_or_else(|| "-".into()),
                    d.names.en.clone(),
                    d.reference.clone(),
                ]);
            }
            crate::out(&t.to_string());
        }
    }
    Ok(ExitCode::SUCCESS)
}

fn is_share(unit: &str) -> bool {
    unit.starts_with("share")
}

fn fmt(v: Option<f64>, unit: &str) -> String {
    match v {
        None => "-".into(),
        Some(v) if is_share(unit) => format!("{:.1} %", v * 100.0),
        Some(v) if unit == "permits" => format!("{v:.0}"),
        Some(v) => format!("{v:.2}"),
    }
}

fn fmt_delta(v: Option<f64>, unit: &str) -> String {
    match v {
        None => "-".into(),
        Some(v) if is_share(unit) => format!("{:+.2} pp", v * 100.0),
        Some(v) => format!("{v:+.3}"),
    }
}

fn print_table(r: &IndicatorResult) {
    let d = &r.indicator;
    let unit = d.unit.as_str();
    let norm = d.norm.map(|n| n.value());
    crate::out(&format!(
        "\n{} v{} — {} [{}]{}",
        d.id,
        d.version,
        d.names.en,
        unit,
        norm.map(|n| format!("; norm {}", fmt(Some(n), unit)))
            .unwrap_or_default()
    ));
    if let Some(s) = &r.severance {
        print_severance_table(r, s);
    } else {
        let mut t = Table::new();
        t.load_preset(UTF8_FULL_CONDENSED);
        t.set_header(["zone", "role", "residents", "value", "norm", "gap to norm"]);
        for z in &r.zones {
            t.add_row([
                z.names.en.clone(),
                role(z.role),
                format!("{:.0}", z.residents),
                fmt(z.value, unit),
                fmt(norm, unit),
                fmt_delta(z.gap_to_norm, unit),
            ]);
        }
        let group = |name: &str, g: &GroupValue| {
            [
                name.to_owned(),
                format!("{} zones", g.zones),
                format!("{:.0}", g.residents),
                fmt(g.value, unit),
                fmt(norm, unit),
                fmt_delta(g.gap_to_norm, unit),
            ]
        };
        t.add_row(group("CENTRE", &r.centre));
        t.add_row(group("PERIPHERY", &r.periphery));
        t.add_row(group("CITY", &r.city));
        crate::out(&t.to_string());
    }
    let mut notes = vec![format!(
        "service gap (periphery/centre): {}",
        r.service_gap.map_or("-".into(), |g| format!("{g:.3}"))
    )];
    if let Some(i) = &r.inequality {
        let f = |v: Option<f64>| v.map_or("-".into(), |v| format!("{v:.3}"));
        notes.push(format!(
            "Gini {}; Theil T {} (between zones {})",
            f(i.gini),
            f(i.theil_t),
            i.theil_between_share
                .map_or("-".into(), |s| format!("{:.0} %", s * 100.0))
        ));
    }
    crate::out(&notes.join("; "));
    if !r.flows.is_empty() {
        let flows: Vec<String> = r
            .flows
            .iter()
            .map(|f| {
                format!(
                    "{}→{}: {:.0}",
                    f.from_zone.as_deref().unwrap_or("outside"),
                    f.to_zone.as_deref().unwrap_or("outside"),
                    f.trees
                )
            })
            .collect();
        crate::out(&format!("flows felled→planted (trees): {}", flows.join(", ")));
    }
    for rg in &r.routes {
        crate::out(&format!(
            "route {}: {:.0} m, {} signs, longest gap {:.0} m",
            rg.name.as_deref().unwrap_or("?"),
            rg.length_m,
            rg.signs,
            rg.longest_gap_m
        ));
    }
}

fn parse_distance(s: &str) -> Result<DistanceMode, String> {
    s.parse().map_err(|e: qala_engine::EngineError| e.to_string())
}

fn role(r: qala_engine::ZoneRole) -> String {
    format!("{r:?}").to_lowercase()
}

/// Network mode: straight, network and the severance gap side by side, per zone and group.
fn print_severance_table(r: &IndicatorResult, s: &qala_engine::Severance) {
    let unit = r.indicator.unit.as_str();
    let mut t = Table::new();
    t.load_preset(UTF8_FULL_CONDENSED);
    t.set_header([
        "zone".to_owned(),
        "role".to_owned(),
        "residents".to_owned(),
        format!("straight ≤ {} m", s.radius_m),
        format!("network ≤ {} m", s.radius_m),
        "severance gap".to_owned(),
        "residents cut off".to_owned(),
        "gap to norm (network)".to_owned(),
    ]);
    let row = |name: String, role: String, residents: f64, v: &SeveranceValue, gap_to_norm: Option<f64>| {
        [
            name,
            role,
            format!("{residents:.0}"),
            fmt(v.straight, unit),
            fmt(v.network, unit),
            fmt_delta(v.gap, unit),
            format!("{:.0}", v.residents_cut_off),
            fmt_delta(gap_to_norm, unit),
        ]
    };
    for (z, sv) in r.zones.iter().zip(&s.zones) {
        t.add_row(row(
            z.names.en.clone(),
            role(z.role),
            z.residents,
            &sv.value,
            z.gap_to_norm,
        ));
    }
    for (name, g, v) in [
        ("CENTRE", &r.centre, &s.centre),
        ("PERIPHERY", &r.periphery, &s.periphery),
        ("CITY", &r.city, &s.city),
    ] {
        t.add_row(row(
            name.to_owned(),
            format!("{} zones", g.zones),
            g.residents,
            v,
            g.gap_to_norm,
        ));
    }
    crate::out(&t.to_string());
    let g = s.graph;
    crate::out(&format!(
        "street network ({}): {} nodes, {} edges, {} components; {} walkable ways, {} barrier ways \
         (motorway/trunk); {} residents in {} cells farther than {} m from a walkable street",
        s.roads_layer,
        g.nodes,
        g.edges,
        g.components,
        g.walkable_ways,
        g.barrier_ways,
        s.off_network_residents.round(),
        s.off_network_cells,
        s.snap_m
    ));
}
