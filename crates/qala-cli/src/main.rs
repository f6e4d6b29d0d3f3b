//! `qala`: the one binary. Every subcommand explains itself with `--help`.

mod cmd_db;
mod cmd_fixtures;
mod cmd_indicators;
mod cmd_ingest;
mod cmd_layers;
mod cmd_serve;
mod cmd_synth;
mod cmd_token;
mod db;
mod fixtures;
mod limit_args;
mod synth_proposals;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

/// mimalloc rather than glibc malloc: the server reads and indexes whole layers (millions
/// of small allocations, freed together when a version replaces them); see docs/scale.md.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// qala — the open city-data platform for Almaty: one PostGIS database of the city's
/// layers (districts, population, bike lanes, green spaces, fellings and compensatory
/// plantings, navigation signs, services), an in-memory spatial engine for equity
/// indicators, and a map server.
///
/// Without DATABASE_URL, qala runs its own PostgreSQL + PostGIS in ./.qala (or $QALA_HOME).
#[derive(Debug, Parser)]
#[command(name = "qala", version, propagate_version = true, max_term_width = 100, after_help = EXAMPLES)]
struct Cli {
    #[command(flatten)]
    global: GlobalArgs,
    #[command(subcommand)]
    command: Command,
}

const EXAMPLES: &str = "Examples:
  qala fixtures load                      load real Almaty layers + labelled synthetic ones
  qala layers                             list the catalogue
  qala ingest lanes.gpkg --layer bike-lanes --kind bike_lane
  qala layer rollback bike-lanes --to 1
  qala serve --listen 127.0.0.1:8080      map at http://127.0.0.1:8080/";

#[derive(Debug, clap::Args)]
pub struct GlobalArgs {
    /// PostgreSQL + PostGIS server to use; qala then touches nothing else.
    /// Without it, qala starts (and later stops) its project-local cluster.
    #[arg(long, env = "DATABASE_URL", global = true, hide_env_values = true)]
    pub database_url: Option<String>,
    /// Directory of the project-local cluster and caches.
    #[arg(long, env = "QALA_HOME", global = true, default_value = ".qala")]
    pub home: PathBuf,
    /// No progress bars or chatter; errors still go to stderr.
    #[arg(short, long, global = true)]
    pub quiet: bool,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Serve the map, vector tiles, OGC API Features, indicators and uploads over HTTP.
    Serve(cmd_serve::ServeArgs),
    /// Load a GIS file into a layer as a new version (validated, reprojected, all-or-nothing).
    Ingest(cmd_ingest::IngestArgs),
    /// List the layers in the catalogue with kind, feature count, version and synthetic flag.
    Layers(cmd_layers::LayersArgs),
    /// Inspect or restore the versions of one layer.
    #[command(subcommand)]
    Layer(cmd_layers::LayerCommand),
    /// Compute district equity indicators and centre-periphery service gaps.
    Indicators(cmd_indicators::IndicatorsArgs),
    /// Generate labelled synthetic layers placed on the real city (seeded, reproducible).
    Synth(cmd_synth::SynthArgs),
    /// Load the bundled Almaty fixtures: real districts, population and OSM layers, plus
    /// the synthetic layers no open data exists for.
    #[command(subcommand)]
    Fixtures(cmd_fixtures::FixturesCommand),
    /// Manage the database: migrations and the project-local PostgreSQL.
    #[command(subcommand)]
    Db(cmd_db::DbCommand),
    /// Create and revoke API tokens for mappers, planners and admins.
    #[command(subcommand)]
    Token(cmd_token::TokenCommand),
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    init_tracing(cli.global.quiet);
    let runtime = match tokio::runtime::Builder::new_multi_thread().enable_all().build() {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("error: cannot start the async runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    let code = match runtime.block_on(run(cli)) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: {e}");
            for cause in e.chain().skip(1) {
                eprintln!("  caused by: {cause}");
            }
            ExitCode::FAILURE
        }
    };
    // A cancelled reader may still be inside one GDAL call it cannot leave (opening a big
    // file); its result is unwanted, so do not wait for it to exit.
    runtime.shutdown_timeout(std::time::Duration::from_millis(500));
    code
}

fn init_tracing(quiet: bool) {
    let default = if quiet { "warn" } else { "info" };
    let filter = tracing_subscriber::EnvFilter::try_from_env("QALA_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(format!("{default},sqlx=warn")));
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_target(false)
        .init();
}

async fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    let g = &cli.global;
    match cli.command {
        Command::Db(cmd) => cmd_db::run(g, cmd).await,
        Command::Layers(args) => cmd_layers::run_list(g, args).await,
        Command::Layer(cmd) => cmd_layers::run_layer(g, cmd).await,
        Command::Ingest(args) => cmd_ingest::run(g, args).await,
        Command::Synth(args) => cmd_synth::run(g, args),
        Command::Fixtures(cmd) => cmd_fixtures::run(g, cmd).await,
        Command::Serve(args) => cmd_serve::run(g, args).await,
        Command::Indicators(args) => cmd_indicators::run(g, args).await,
        Command::Token(cmd) => cmd_token::run(g, cmd).await,
    }
}

/// Removes what crashed or killed qala processes left in qala's temp directory (uploads,
/// staged copies); a failure is logged, never fatal.
pub fn sweep_temp_files() {
    match qala_ingest::temp_dir::sweep() {
        Ok(0) => {}
        Ok(n) => {
            tracing::info!(removed = n, dir = %qala_ingest::temp_dir::root().display(), "removed temp files of dead qala processes")
        }
        Err(e) => {
            tracing::warn!(error = %e, dir = %qala_ingest::temp_dir::root().display(), "cannot sweep qala's temp directory")
        }
    }
}

/// Writes one line of a command's result to stdout (results go to stdout, logs to stderr).
/// When the reader has gone (`qala layers | head`), qala stops quietly, as Unix tools do.
pub fn out(line: &str) {
    use std::io::Write;
    let mut stdout = std::io::stdout().lock();
    if let Err(e) = writeln!(stdout, "{line}")
        && e.kind() == std::io::ErrorKind::BrokenPipe
    {
        std::process::exit(0);
    }
}
