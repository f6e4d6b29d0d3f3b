//! `qala indicators bind | bindings | definitions | publish | editions`: the governed
//! inputs of the published figures.

use std::process::ExitCode;

use anyhow::Context;
use comfy_table::{Table, presets::UTF8_FULL_CONDENSED};
use qala_engine::{BoundLayer, FieldEquals, INPUT_ROLES};
use qala_server::governed;

use crate::GlobalArgs;
use crate::db::Db;

#[derive(Debug, clap::Subcommand)]
pub enum GovernanceCmd {
    /// Bind an input role to one or more layers (admin's decision; kept with its history).
    /// Only bound layers reach the published figures: an upload changes none until bound.
    #[command(after_help = "Examples:
  qala indicators bind population worldpop-2025
  qala indicators bind schools schools-2026
  qala indicators bind bus_stops services transit-stops --where category=bus_stop,brt_stop
  qala indicators bindings            the roles and what fills them")]
    Bind {
        /// The role (`qala indicators bindings` lists them).
        role: String,
        /// The layer(s) that fill it, by slug.
        #[arg(required = true)]
        layers: Vec<String>,
        /// Only these features of each layer: field=value or field=a,b (repeatable).
        #[arg(long = "where", value_name = "FIELD=VALUE")]
        selection: Vec<String>,
        /// Why (kept in the history).
        #[arg(long, default_value = "")]
        note: String,
        /// Who decides (kept in the history).
        #[arg(long, default_value = "cli")]
        by: String,
    },
    /// The input roles and the layers bound to them; with --history every change.
    Bindings {
        #[arg(long)]
        history: bool,
    },
    /// The definitions in force; --load FILE stores a definitions file (a changed
    /// definition becomes a new version); --history ID lists one definition's versions.
    Definitions {
        #[arg(long, value_name = "FILE", conflicts_with = "history")]
        load: Option<std::path::PathBuf>,
        #[arg(long, value_name = "ID")]
        history: Option<String>,
    },
    /// Publish an edition: pin the served version of every bound layer, the definition
    /// versions and the bindings, compute every figure (districts, rings, historic; straight
    /// and on foot) and freeze them under a permanent id.
    Publish {
        #[arg(long, default_value = "")]
        title: String,
        /// Date overdue compensation is judged at (default: today).
        #[arg(long, value_name = "YYYY-MM-DD")]
        as_of: Option<chrono::NaiveDate>,
        #[arg(long, default_value = "cli")]
        by: String,
    },
    /// The published editions; --verify N recomputes edition N from its pins and checks
    /// the figures are byte-identical.
    Editions {
        #[arg(long, value_name = "N")]
        verify: Option<i64>,
    },
}

pub async fn run(g: &GlobalArgs, cmd: GovernanceCmd) -> anyhow::Result<ExitCode> {
    // Check what can be checked before touching the database.
    if let GovernanceCmd::Bind { role, .. } = &cmd {
        qala_engine::input_role(role)?;
    }
    let defs_file = match &cmd {
        GovernanceCmd::Definitions { load: Some(path), .. } => {
            let text = std::fs::read_to_string(path).with_context(|| format!("cannot read {}", path.display()))?;
            Some(governed::parse_definitions(&text).with_context(|| format!("{} is refused", path.display()))?)
        }
        _ => None,
    };
    let db = Db::open(g).await?;
    let out = run_db(&db, cmd, defs_file).await;
    db.close().await?;
    out
}

async fn run_db(
    db: &Db,
    cmd: GovernanceCmd,
    defs_file: Option<Vec<qala_engine::IndicatorDef>>,
) -> anyhow::Result<ExitCode> {
    let pool = &db.pool;
    match cmd {
        GovernanceCmd::Bind {
            role,
            layers,
            selection,
            note,
            by,
        } => {
            let selection = selection
                .iter()
                .map(|s| FieldEquals::parse(s))
                .collect::<Result<Vec<_>, _>>()?;
            let bound: Vec<BoundLayer> = layers
                .into_iter()
                .map(|slug| BoundLayer {
                    slug,
                    selection: selection.clone(),
                })
                .collect();
            let changed = governed::bind(pool, &role, &bound, &by, &note).await?;
            crate::out(&format!(
                "{role} {} {}",
                if changed {
                    "is now bound to"
                } else {
                    "was already bound to"
                },
                describe(&bound)
            ));
        }
        GovernanceCmd::Bindings { history: false } => {
            let g = governed::load(pool).await?;
            let mut t = Table::new();
            t.load_preset(UTF8_FULL_CONDENSED);
            t.set_header(["role", "kind", "layers", "name"]);
            for r in INPUT_ROLES {
                let layers = g.bindings.layers(r.id);
                t.add_row([
                    r.id.to_owned(),
                    r.kind.name().to_owned(),
                    if layers.is_empty() {
                        "(unbound)".into()
                    } else {
                        describe(layers)
                    },
                    r.names[2].to_owned(),
                ]);
            }
            crate::out(&t.to_string());
        }
        GovernanceCmd::Bindings { history: true } => {
            let mut t = Table::new();
            t.load_preset(UTF8_FULL_CONDENSED);
            t.set_header(["#", "role", "layers", "by", "at", "note"]);
            for r in qala_store::governance::binding_history(pool, None).await? {
                let layers: Vec<BoundLayer> = serde_json::from_value(r.layers).unwrap_or_default();
                t.add_row([
                    r.input_binding_id.to_string(),
                    r.role,
                    describe(&layers),
                    r.changed_by,
                    r.changed_at.format("%Y-%m-%d %H:%M:%S").to_string(),
                    r.note,
                ]);
            }
            crate::out(&t.to_string());
        }
        GovernanceCmd::Definitions { history: Some(id), .. } => {
            let mut t = Table::new();
            t.load_preset(UTF8_FULL_CONDENSED);
            t.set_header(["version", "by", "at", "definition"]);
            let rows = qala_store::governance::definition_history(pool, &id).await?;
            anyhow::ensure!(!rows.is_empty(), "no definition {id:?} is stored");
            for r in rows {
                t.add_row([
                    r.version.to_string(),
                    r.created_by,
                    r.created_at.format("%Y-%m-%d %H:%M:%S").to_string(),
                    serde_json::to_string(&r.definition["measure"])?,
                ]);
            }
            crate::out(&t.to_string());
        }
        GovernanceCmd::Definitions { history: None, .. } => {
            if let Some(defs) = defs_file {
                for c in governed::store_definitions(pool, &defs, "cli").await? {
                    crate::out(&format!("{} v{}: {}", c.indicator_id, c.version, c.outcome));
                }
            } else {
                let g = governed::load(pool).await?;
                crate::out(&serde_json::to_string_pretty(&g.definitions)?);
            }
        }
        GovernanceCmd::Publish { title, as_of, by } => {
            let as_of = as_of.unwrap_or_else(|| chrono::Utc::now().date_naive());
            let id = governed::publish(pool, &title, &by, as_of, None).await?;
            let e = qala_store::governance::edition(pool, Some(id)).await?;
            crate::out(&format!(
                "edition {id} published (as of {}, results sha256 {}); served at /editions/{id}",
                e.as_of, e.results_sha256
            ));
            crate::out(&format!("pins: {}", e.pins["layers"]));
        }
        GovernanceCmd::Editions { verify: Some(id) } => {
            let (stored, now) = governed::recompute(pool, id).await?;
            if stored == now {
                crate::out(&format!(
                    "edition {id}: recomputed from its pins, byte-identical (sha256 {now})"
                ));
            } else {
                crate::out(&format!(
                    "edition {id}: recomputed figures DIFFER (stored {stored}, now {now})"
                ));
                return Ok(ExitCode::FAILURE);
            }
        }
        GovernanceCmd::Editions { verify: None } => {
            let mut t = Table::new();
            t.load_preset(UTF8_FULL_CONDENSED);
            t.set_header(["edition", "title", "published", "by", "as of", "layers"]);
            for e in qala_store::governance::editions(pool).await? {
                t.add_row([
                    e.edition_id.to_string(),
                    e.title,
                    e.published_at.format("%Y-%m-%d %H:%M").to_string(),
                    e.published_by,
                    e.as_of.to_string(),
                    e.pins["layers"].as_object().map_or(0, |m| m.len()).to_string(),
                ]);
            }
            crate::out(&t.to_string());
        }
    }
    Ok(ExitCode::SUCCESS)
}

fn describe(layers: &[BoundLayer]) -> String {
    layers
        .iter()
        .map(|b| {
            if b.selection.is_empty() {
                b.slug.clone()
            } else {
                let w: Vec<String> = b
                    .selection
                    .iter()
                    .map(|f| format!("{}={}", f.field, f.any_of.join(",")))
                    .collect();
                format!("{} where {}", b.slug, w.join(" and "))
            }
        })
        .collect::<Vec<_>>()
        .join(" + ")
}
