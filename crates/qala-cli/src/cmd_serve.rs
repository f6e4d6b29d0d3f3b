//! `qala serve`: open the database, load the served layers into memory, serve HTTP until
//! SIGINT/SIGTERM, then stop cleanly (and stop the project-local cluster if we started it).
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use anyhow::Context;
use qala_server::{AppState, ServerConfig};

use crate::GlobalArgs;
use crate::db::Db;

#[derive(Debug, clap::Args)]
pub struct ServeArgs {
    /// Address to listen on (port 0 picks a free port; the chosen address is logged).
    #[arg(long, default_value = "127.0.0.1:8080")]
    pub listen: String,
    /// The built web app served at `/` (`cd web && npm run build`).
    #[arg(long, default_value = "web/dist")]
    pub web_dir: PathBuf,
    /// Cut every tile on request, keeping nothing (for benchmarks and debugging).
    #[arg(long)]
    pub no_tile_cache: bool,
    /// Memory for cached tiles, MiB.
    #[arg(long, default_value_t = 512)]
    pub tile_cache_mb: usize,
    /// Longest a request may take, seconds (uploads get 10 minutes).
    #[arg(long, default_value_t = 30)]
    pub request_timeout_s: u64,
    /// The URL clients reach this server at (`https://maps.example.kz`), which every
    /// absolute link starts with. Without it, links name the listen address (or are
    /// relative when listening on all interfaces); the Host header is never trusted.
    #[arg(long)]
    pub public_url: Option<String>,
    /// Uploads loading at once (each on its own database connection, apart from reads).
    #[arg(long, default_value_t = 2)]
    pub upload_concurrency: usize,
    /// Uploads waiting for a slot; more are refused with 429 and Retry-After.
    #[arg(long, default_value_t = 16)]
    pub upload_queue: usize,
    /// Wrong tokens per client address and minute before its token requests get 429 (0: no
    /// limit).
    #[arg(long, default_value_t = 20)]
    pub auth_failures_per_minute: u32,
    /// Residents' proposals one client may submit per minute; more get 429 (0: no limit).
    #[arg(long, default_value_t = 10)]
    pub proposals_per_minute: u32,
    /// Take a proposal's client address from X-Forwarded-For: only behind a proxy that
    /// sets it (otherwise any client could claim any address).
    #[arg(long)]
    pub trust_forwarded_for: bool,
    /// Answer OGC API items pages from PostgreSQL even for layers held in memory. By
    /// default a layer whose current version is in memory answers from there (the same
    /// filters and answers, compared feature by feature in the tests; a 1,000-feature page
    /// in ~3 ms of CPU, p95 under 10 ms at fixture scale, bench/ogc), and a layer not yet in
    /// step with the catalogue is read from the database.
    #[arg(long, env = "QALA_ITEMS_FROM_DATABASE", value_parser = clap::builder::BoolishValueParser::new())]
    pub items_from_database: bool,
    /// Items from memory: the default now; kept so that scripts passing it still run.
    #[arg(long, env = "QALA_ITEMS_FROM_MEMORY", hide = true, value_parser = clap::builder::BoolishValueParser::new())]
    pub items_from_memory: bool,
    /// Read every served layer into memory before listening (the behaviour before qala
    /// listened at once). By default `qala serve` listens within a second: PostGIS cuts the
    /// tiles of layers still loading, items come from the database, indicators answer 503
    /// until the engine is built, and `/readyz` turns 200 when all of it is in memory.
    #[arg(long, env = "QALA_LOAD_BEFORE_LISTENING", value_parser = clap::builder::BoolishValueParser::new())]
    pub load_before_listening: bool,
    /// A streaming replica of the database (PostgreSQL's own replication) to read the
    /// served layers from; writes, `LISTEN` and the other reads stay on `DATABASE_URL`, the
    /// primary. Each re-read waits until the replica has replayed the primary's writes (at
    /// most 2 s, then reads the primary), so an uploader reads its own write at once.
    #[arg(long, env = "QALA_READ_DATABASE_URL", hide_env_values = true)]
    pub read_database_url: Option<String>,
    /// What one uploaded file may make the server do (the same flags as `qala ingest`).
    #[command(flatten)]
    pub limits: crate::limit_args::LimitArgs,
}

pub async fn run(g: &GlobalArgs, args: ServeArgs) -> anyhow::Result<ExitCode> {
    let db = Db::open(g).await?;
    let result = serve(&db, args).await;
    db.close().await?;
    result.map(|()| ExitCode::SUCCESS)
}

async fn serve(db: &Db, args: ServeArgs) -> anyhow::Result<()> {
    if !args.web_dir.join("index.html").is_file() {
        tracing::warn!(
            web_dir = %args.web_dir.display(),
            "no web app to serve at /: build it with `cd web && npm ci && npm run build`, or pass --web-dir"
        );
    }
    let public_url = args
        .public_url
        .as_deref()
        .map(qala_server::links::public_url)
        .transpose()
        .map_err(anyhow::Error::msg)?;
    // Bound before the layers load, so links can name the address actually listened on.
    let listener = tokio::net::TcpListener::bind(&args.listen)
        .await
        .with_context(|| format!("cannot listen on {}", args.listen))?;
    let addr = listener.local_addr()?;
    let public_url = public_url.or_else(|| {
        if addr.ip().is_unspecified() {
            tracing::warn!(%addr, "listening on every interface without --public-url: links are relative to the server's root");
            None
        } else {
            Some(format!("http://{addr}"))
        }
    });
    let config = ServerConfig {
        web_dir: Some(args.web_dir),
        tiles: qala_tiles_options(!args.no_tile_cache, args.tile_cache_mb),
        request_timeout: Duration::from_secs(args.request_timeout_s),
        public_url,
        upload_concurrency: args.upload_concurrency,
        upload_queue: args.upload_queue,
        auth_failures_per_minute: args.auth_failures_per_minute,
        upload_limits: args.limits.limits(),
        proposals_per_minute: args.proposals_per_minute,
        trust_forwarded_for: args.trust_forwarded_for,
        items_from_memory: args.items_from_memory || !args.items_from_database,
        ..ServerConfig::default()
    };
    crate::sweep_temp_files();
    let started = std::time::Instant::now();
    let replica = match &args.read_database_url {
        Some(url) => Some(
            qala_store::connect(url, 8)
                .await
                .context("connecting to the read replica (--read-database-url)")?,
        ),
        None => None,
    };
    if args.load_before_listening {
        let state = AppState::load_with_replica(db.pool.clone(), replica, config)
            .await
            .context("loading the served layers")?;
        tracing::info!(
            layers = state.catalogue().len(),
            ms = started.elapsed().as_millis() as u64,
            "layers in memory"
        );
        let follower = tokio::spawn(state.clone().keep_in_step());
        tracing::info!(%addr, "qala serve listening on http://{addr}");
        qala_server::serve(listener, state, shutdown_signal())
            .await
            .context("serving HTTP")?;
        follower.abort();
        tracing::info!("stopped");
        return Ok(());
    }
    // Listen at once: the catalogue is listed (milliseconds), the server runs in its own
    // task, and the layers load here meanwhile (PostGIS cuts the tiles of those still
    // loading; /readyz says when all are in). Loading on this thread rather than a worker's
    // keeps its allocations in the main heap, which gives memory back to the system better:
    // measured 150 MB less peak RSS at bench scale than loading from a spawned task.
    let state = AppState::start_with_replica(db.pool.clone(), replica, config)
        .await
        .context("reading the layer catalogue")?;
    tracing::info!(
        layers = state.catalogue().len(),
        ms = started.elapsed().as_millis() as u64,
        "catalogue read; listening while the layers load into memory"
    );
    tracing::info!(%addr, "qala serve listening on http://{addr}");
    let mut server = tokio::spawn(qala_server::serve(listener, state.clone(), shutdown_signal()));
    tokio::select! {
        r = state.sync() => match r {
            Ok(_) => tracing::info!(ms = started.elapsed().as_millis() as u64, "every served layer is in memory"),
            // keep_in_step syncs again on connection and every 30 s.
            Err(e) => tracing::warn!(error = %qala_server::error::chain(&e), "loading the layers failed; retrying in the background"),
        },
        r = &mut server => return r.context("the HTTP server task failed")?.context("serving HTTP"),
    }
    let follower = tokio::spawn(state.clone().keep_in_step());
    server
        .await
        .context("the HTTP server task failed")?
        .context("serving HTTP")?;
    follower.abort();
    tracing::info!("stopped");
    Ok(())
}

fn qala_tiles_options(cache: bool, mb: usize) -> qala_server::TileOptions {
    qala_server::TileOptions {
        cache,
        cache_max_bytes: mb << 20,
    }
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    tokio::select! {
        () = ctrl_c => {},
        () = term => {},
    }
    tracing::info!("shutting down: finishing requests in flight");
}
