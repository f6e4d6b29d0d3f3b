//! Opening the database: the given DATABASE_URL, or the project-local cluster.

use anyhow::Context;
use qala_store::EmbeddedPostgres;
use sqlx::PgPool;

use crate::GlobalArgs;

/// An open, migrated database. If this process started the project-local cluster, it is
/// stopped cleanly by [`Db::close`].
pub struct Db {
    pub pool: PgPool,
    embedded: Option<EmbeddedPostgres>,
}

impl Db {
    pub async fn open(g: &GlobalArgs) -> anyhow::Result<Db> {
        let (url, embedded) = match &g.database_url {
            Some(url) => (url.clone(), None),
            None => {
                let home = g.home.clone();
                let pg = tokio::task::spawn_blocking(move || EmbeddedPostgres::ensure_running(&home))
                    .await
                    .context("starting the local PostgreSQL")??;
                (pg.url(), Some(pg))
            }
        };
        let pool = qala_store::connect(&url, 8).await?;
        qala_store::migrate(&pool).await?;
        // Roles never bound take the shipped layers once these exist (never an admin's choice).
        let bound = qala_server::governed::bind_defaults(&pool, "qala (default binding)").await?;
        if !bound.is_empty() {
            tracing::info!(roles = %bound.join(", "), "bound indicator input roles to their default layers");
        }
        Ok(Db { pool, embedded })
    }

    pub async fn close(self) -> anyhow::Result<()> {
        self.pool.close().await;
        if let Some(pg) = self.embedded.filter(|pg| pg.started_here) {
            tokio::task::spawn_blocking(move || pg.stop()).await??;
        }
        Ok(())
    }
}
