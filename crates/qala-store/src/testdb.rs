//! Fresh, migrated databases for tests.
//!
//! Tests never share a database: each gets a new one, copied from a migrated template
//! (`CREATE DATABASE … TEMPLATE`, far faster than creating PostGIS again). The server is
//! the one `scripts/test` starts and names in `QALA_TEST_DATABASE_URL`; without it the
//! test fails with a message saying how to run it — it never skips silently.

use sqlx::{Connection, Executor, PgConnection};

use crate::StoreError;

/// A database created for one test. It is dropped when the test passes; a failed test's
/// database stays for inspection (and `scripts/test` drops such leftovers of earlier runs).
/// `QALA_KEEP_TEST_DBS=1` keeps every one.
pub struct TestDb {
    pub name: String,
    pub url: String,
}

fn admin_url() -> Result<String, StoreError> {
    std::env::var("QALA_TEST_DATABASE_URL").map_err(|_| StoreError::Embedded {
        message: "QALA_TEST_DATABASE_URL is not set: run the tests with scripts/test, which starts \
                  the project-local PostGIS and sets it"
            .into(),
    })
}

fn with_db(url: &str, db: &str) -> String {
    match url.rfind('/') {
        Some(i) if url[..i].contains("://") && url[i + 1..].find('?').is_none() => format!("{}/{db}", &url[..i]),
        Some(i) => {
            let rest = &url[i + 1..];
            let query = rest.find('?').map(|q| &rest[q..]).unwrap_or("");
            format!("{}/{db}{query}", &url[..i])
        }
        None => url.to_owned(),
    }
}

/// The template's name changes whenever the migrations or the shipped definitions (which
/// `migrate` seeds) change, so a stale template is never used.
fn template_name() -> String {
    let mut h: u64 = 0xcbf29ce484222325;
    let bytes = crate::MIGRATOR
        .iter()
        .flat_map(|m| m.checksum.iter().copied())
        .chain(crate::SHIPPED_DEFINITIONS.bytes());
    for b in bytes {
        h = (h ^ u64::from(b)).wrapping_mul(0x100000001b3);
    }
    format!("qala_tpl_{:012x}", h & 0xffff_ffff_ffff)
}

impl TestDb {
    /// Creates a new migrated database.
    pub async fn new() -> Result<TestDb, StoreError> {
        let admin = admin_url()?;
        let mut conn = PgConnection::connect(&admin).await.map_err(|e| StoreError::Connect {
            url: crate::redact_url(&admin),
            source: e,
        })?;
        // One creator at a time: CREATE DATABASE … TEMPLATE fails while anyone else is
        // connected to the template.
        conn.execute("SELECT pg_advisory_lock(7243001)").await?;
        let result = Self::create(&mut conn, &admin).await;
        conn.execute("SELECT pg_advisory_unlock(7243001)").await?;
        result
    }

    async fn create(conn: &mut PgConnection, admin: &str) -> Result<TestDb, StoreError> {
        let tpl = template_name();
        let exists: bool = sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1)")
            .bind(&tpl)
            .fetch_one(&mut *conn)
            .await?;
        if !exists {
            conn.execute(format!("CREATE DATABASE {tpl}").as_str()).await?;
            let pool = crate::connect(&with_db(admin, &tpl), 1).await?;
            let migrated = crate::migrate(&pool).await;
            pool.close().await;
            if let Err(e) = migrated {
                conn.execute(format!("DROP DATABASE IF EXISTS {tpl}").as_str()).await?;
                return Err(e);
            }
        }
        let name = format!("qala_test_{}", uuid_like());
        conn.execute(format!("CREATE DATABASE {name} TEMPLATE {tpl}").as_str())
            .await?;
        Ok(TestDb {
            url: with_db(admin, &name),
            name,
        })
    }

    /// A pool on this database.
    pub async fn pool(&self) -> Result<sqlx::PgPool, StoreError> {
        crate::connect(&self.url, 8).await
    }
}

impl Drop for TestDb {
    fn drop(&mut self) {
        if std::thread::panicking() || std::env::var_os("QALA_KEEP_TEST_DBS").is_some() {
            return;
        }
        let (Ok(admin), name) = (admin_url(), self.name.clone()) else {
            return;
        };
        // Drop may run inside a runtime (which cannot block on another future), so the
        // database is dropped from a thread of its own with its own small runtime.
        let dropped = std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .ok()?;
            rt.block_on(async move {
                let mut conn = PgConnection::connect(&admin).await.ok()?;
                conn.execute(format!("DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)").as_str())
                    .await
                    .ok()?;
                conn.close().await.ok()
            })
        })
        .join();
        if !matches!(dropped, Ok(Some(()))) {
            eprintln!("note: test database {} was not dropped", self.name);
        }
    }
}

fn uuid_like() -> String {
    use rand::Rng;
    let n: u64 = rand::thread_rng().r#gen();
    format!("{n:016x}")
}

#[cfg(test)]
mod tests {
    #[test]
    fn swaps_database_name() {
        assert_eq!(super::with_db("postgres://u:p@h:1/qala", "x"), "postgres://u:p@h:1/x");
        assert_eq!(
            super::with_db("postgres://u:p@h:1/qala?sslmode=disable", "x"),
            "postgres://u:p@h:1/x?sslmode=disable"
        );
    }
}
