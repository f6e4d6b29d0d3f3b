use std::process::ExitCode;

use clap::{Subcommand, ValueEnum};
use comfy_table::{Table, presets::UTF8_FULL_CONDENSED};

use crate::GlobalArgs;
use crate::db::Db;

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum Format {
    /// A table for people.
    Table,
    /// JSON for scripts.
    Json,
}

#[derive(Debug, clap::Args)]
pub struct LayersArgs {
    /// Output format.
    #[arg(long, value_enum, default_value = "table")]
    pub format: Format,
}

#[derive(Debug, Subcommand)]
pub enum LayerCommand {
    /// List every version of a layer, newest first; `*` marks the one served.
    Versions {
        slug: String,
        #[arg(long, value_enum, default_value = "table")]
        format: Format,
    },
    /// Serve an earlier version again. Nothing is deleted: you can roll forward the same way.
    Rollback {
        slug: String,
        /// Version number to serve (see `qala layer versions SLUG`).
        #[arg(long)]
        to: i32,
    },
}

pub async fn run_list(g: &GlobalArgs, args: LayersArgs) -> anyhow::Result<ExitCode> {
    let db = Db::open(g).await?;
    let layers = qala_store::catalogue::list_layers(&db.pool).await;
    db.close().await?;
    let layers = layers?;
    match args.format {
        Format::Json => crate::out(&serde_json::to_string_pretty(&layers)?),
        Format::Table => {
            let mut t = Table::new();
            t.load_preset(UTF8_FULL_CONDENSED);
            t.set_header([
                "slug",
                "kind",
                "features",
                "version",
                "synthetic",
                "visibility",
                "title",
            ]);
            for l in &layers {
                t.add_row([
                    l.slug.clone(),
                    l.kind.clone(),
                    l.feature_count.to_string(),
                    l.version.map(|v| v.to_string()).unwrap_or_else(|| "-".into()),
                    if l.synthetic { "SYNTHETIC".into() } else { "real".into() },
                    l.visibility.clone(),
                    l.title_en.clone(),
                ]);
            }
            crate::out(&t.to_string());
            crate::out(&format!("{} layers", layers.len()));
        }
    }
    Ok(ExitCode::SUCCESS)
}

pub async fn run_layer(g: &GlobalArgs, cmd: LayerCommand) -> anyhow::Result<ExitCode> {
    let db = Db::open(g).await?;
    let result = match cmd {
        LayerCommand::Versions { slug, format } => {
            let versions = qala_store::catalogue::list_versions(&db.pool, &slug).await;
            versions.map(|versions| match format {
                Format::Json => serde_json::to_string_pretty(&versions).unwrap_or_default(),
                Format::Table => {
                    let mut t = Table::new();
                    t.load_preset(UTF8_FULL_CONDENSED);
                    t.set_header([
                        "",
                        "version",
                        "features",
                        "status",
                        "change",
                        "loaded at (UTC)",
                        "by",
                        "source",
                        "sha256",
                        "CRS",
                    ]);
                    for v in &versions {
                        t.add_row([
                            if v.current { "*".into() } else { String::new() },
                            v.version.to_string(),
                            v.feature_count.to_string(),
                            v.status.clone(),
                            v.change
                                .as_ref()
                                .map(|c| format!("{} +{} ~{} -{}", c.mode, c.added, c.changed, c.removed))
                                .unwrap_or_default(),
                            v.created_at.format("%Y-%m-%d %H:%M:%S").to_string(),
                            v.created_by.clone(),
                            v.source_name.clone(),
                            v.source_sha256[..12].to_owned(),
                            v.source_crs.clone(),
                        ]);
                    }
                    t.to_string()
                }
            })
        }
        LayerCommand::Rollback { slug, to } => qala_store::catalogue::rollback(&db.pool, &slug, to).await.map(|v| {
            format!(
                "{slug} now serves version {} ({} features, from {})",
                v.version, v.feature_count, v.source_name
            )
        }),
    };
    db.close().await?;
    crate::out(&result?);
    Ok(ExitCode::SUCCESS)
}
