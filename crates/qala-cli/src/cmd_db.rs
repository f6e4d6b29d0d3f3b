use std::process::ExitCode;

use clap::Subcommand;
use qala_store::EmbeddedPostgres;

use crate::GlobalArgs;
use crate::db::Db;

#[derive(Debug, Subcommand)]
pub enum DbCommand {
    /// Apply the migrations of sql/migrations that are not applied yet (a no-op otherwise).
    Migrate,
    /// Start the project-local PostgreSQL (created on first use) and leave it running.
    Start,
    /// Stop the project-local PostgreSQL cleanly.
    Stop,
    /// Say whether the project-local PostgreSQL is running, and where.
    Status,
    /// Print the connection URL of the project-local database (it contains the password).
    Url,
}

pub async fn run(g: &GlobalArgs, cmd: DbCommand) -> anyhow::Result<ExitCode> {
    let home = g.home.clone();
    match cmd {
        DbCommand::Migrate => {
            let db = Db::open(g).await?;
            let applied = qala_store::MIGRATOR.iter().count();
            db.close().await?;
            tracing::info!("database is migrated ({applied} migrations)");
        }
        DbCommand::Start => {
            let pg = tokio::task::spawn_blocking(move || EmbeddedPostgres::ensure_running(&home)).await??;
            let pool = qala_store::connect(&pg.url(), 1).await?;
            qala_store::migrate(&pool).await?;
            pool.close().await;
            tracing::info!(port = pg.port(), dir = %pg.data_dir().display(), "local PostgreSQL is running");
        }
        DbCommand::Stop => {
            let pg = EmbeddedPostgres::open(&home)?;
            tokio::task::spawn_blocking(move || pg.stop()).await??;
            tracing::info!("local PostgreSQL stopped");
        }
        DbCommand::Status => {
            let pg = EmbeddedPostgres::open(&home)?;
            let running = pg.is_running();
            crate::out(&format!(
                "local PostgreSQL in {}: {} (127.0.0.1:{})",
                pg.data_dir().display(),
                if running { "running" } else { "stopped" },
                pg.port()
            ));
            return Ok(if running { ExitCode::SUCCESS } else { ExitCode::from(3) });
        }
        DbCommand::Url => {
            let pg = EmbeddedPostgres::open(&home)?;
            crate::out(&pg.url());
        }
    }
    Ok(ExitCode::SUCCESS)
}
