//! A project-local PostgreSQL + PostGIS cluster, used when no `DATABASE_URL` is given.
//!
//! The cluster lives in `<home>/pgdata` (home is `$QALA_HOME`, default `./.qala`), listens
//! on 127.0.0.1 only, on the port kept in `<home>/pg.port`, and requires the password kept
//! in `<home>/pg.password` (mode 0600). PostgreSQL refuses to run as root, so when qala
//! runs as root the cluster is owned by, and run as, the `postgres` system user.

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use rand::Rng;
use rand::distributions::Alphanumeric;

use crate::StoreError;

const DEFAULT_PORT: u16 = 55432;
const DB_NAME: &str = "qala";
const DB_USER: &str = "qala";

/// A handle on the project-local cluster.
#[derive(Debug, Clone)]
pub struct EmbeddedPostgres {
    home: PathBuf,
    data_dir: PathBuf,
    bin_dir: PathBuf,
    port: u16,
    password: String,
    run_as: Option<String>,
    /// True when this handle started the server (and so should stop it when done).
    pub started_here: bool,
}

impl EmbeddedPostgres {
    /// The default home: `$QALA_HOME`, else `./.qala`.
    pub fn default_home() -> PathBuf {
        std::env::var_os("QALA_HOME")
            .map(PathBuf::from)
            .unwrap_or_else(|| PathBuf::from(".qala"))
    }

    /// Creates the cluster if needed and starts it if it is not running.
    pub fn ensure_running(home: &Path) -> Result<Self, StoreError> {
        std::fs::create_dir_all(home).map_err(|e| io_err(home, e))?;
        let home = home.canonicalize().map_err(|e| io_err(home, e))?;
        let bin_dir = find_bin_dir()?;
        let run_as = running_as_root().then(|| "postgres".to_owned());
        let data_dir = home.join("pgdata");
        let mut pg = EmbeddedPostgres {
            port: 0,
            password: String::new(),
            data_dir,
            bin_dir,
            run_as,
            home,
            started_here: false,
        };
        if !pg.data_dir.join("PG_VERSION").exists() {
            pg.init()?;
        }
        pg.port = read_trimmed(&pg.home.join("pg.port"))?
            .parse()
            .map_err(|_| StoreError::Embedded {
                message: format!("{} is not a port number", pg.home.join("pg.port").display()),
            })?;
        pg.password = read_trimmed(&pg.home.join("pg.password"))?;
        if !pg.is_running() {
            pg.start()?;
            pg.started_here = true;
        }
        Ok(pg)
    }

    /// Opens the handle of an existing cluster without starting it.
    pub fn open(home: &Path) -> Result<Self, StoreError> {
        let home = home.canonicalize().map_err(|e| io_err(home, e))?;
        let port = read_trimmed(&home.join("pg.port"))?.parse().unwrap_or(DEFAULT_PORT);
        Ok(EmbeddedPostgres {
            data_dir: home.join("pgdata"),
            bin_dir: find_bin_dir()?,
            run_as: running_as_root().then(|| "postgres".to_owned()),
            password: read_trimmed(&home.join("pg.password"))?,
            port,
            home,
            started_here: false,
        })
    }

    /// The connection URL of the `qala` database.
    pub fn url(&self) -> String {
        self.url_for(DB_NAME)
    }

    /// The connection URL of another database of this cluster.
    pub fn url_for(&self, db: &str) -> String {
        format!("postgres://{DB_USER}:{}@127.0.0.1:{}/{db}", self.password, self.port)
    }

    pub fn data_dir(&self) -> &Path {
        &self.data_dir
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    pub fn is_running(&self) -> bool {
        self.pg_ctl(&["status", "-D", &self.data_dir.to_string_lossy()])
            .map(|o| o.status.success())
            .unwrap_or(false)
    }

    /// Stops the server cleanly (fast shutdown: running transactions are rolled back).
    pub fn stop(&self) -> Result<(), StoreError> {
        if !self.is_running() {
            return Ok(());
        }
        let out = self.pg_ctl(&[
            "stop",
            "-D",
            &self.data_dir.to_string_lossy(),
            "-m",
            "fast",
            "-w",
            "-t",
            "60",
        ])?;
        check(out, "pg_ctl stop")
    }

    fn init(&mut self) -> Result<(), StoreError> {
        tracing::info!(dir = %self.data_dir.display(), "creating the local PostgreSQL cluster");
        std::fs::create_dir_all(&self.data_dir).map_err(|e| io_err(&self.data_dir, e))?;
        let password: String = rand::thread_rng()
            .sample_iter(&Alphanumeric)
            .take(32)
            .map(char::from)
            .collect();
        write_private(&self.home.join("pg.password"), &password)?;
        let port = pick_port();
        write_private(&self.home.join("pg.port"), &port.to_string())?;
        self.password = password.clone();
        self.port = port;
        // initdb reads the password from a file the server's user can read; remove it after.
        let pwfile = self.data_dir.with_file_name("initdb.pw");
        std::fs::write(&pwfile, &password).map_err(|e| io_err(&pwfile, e))?;
        if let Some(user) = &self.run_as {
            chown(&self.data_dir, user)?;
            chown(&pwfile, user)?;
        }
        let result = self.run(
            "initdb",
            &[
                "-D",
                &self.data_dir.to_string_lossy(),
                "-U",
                DB_USER,
                "--pwfile",
                &pwfile.to_string_lossy(),
                "--auth",
                "scram-sha-256",
                "-E",
                "UTF8",
                "--locale",
                "C.UTF-8",
            ],
        );
        let _ = std::fs::remove_file(&pwfile);
        check(result?, "initdb")?;
        // Loopback only; the socket directory is the data dir, so nothing outside it is used.
        let conf = format!(
            "\n# qala project-local cluster\nlisten_addresses = '127.0.0.1'\nport = {port}\n\
             unix_socket_directories = ''\nshared_buffers = '256MB'\nmax_wal_size = '2GB'\n\
             max_connections = 200\nlogging_collector = off\n"
        );
        let conf_path = self.data_dir.join("postgresql.auto.conf");
        append(&conf_path, &conf)?;
        self.start_server()?;
        let out = self.run(
            "psql",
            &[
                "-h",
                "127.0.0.1",
                "-p",
                &port.to_string(),
                "-U",
                DB_USER,
                "-d",
                "postgres",
                "-v",
                "ON_ERROR_STOP=1",
                "-c",
                &format!("CREATE DATABASE {DB_NAME}"),
            ],
        )?;
        check(out, "create database")?;
        let stop = self.pg_ctl(&["stop", "-D", &self.data_dir.to_string_lossy(), "-m", "fast", "-w"])?;
        check(stop, "pg_ctl stop")
    }

    fn start(&self) -> Result<(), StoreError> {
        tracing::info!(port = self.port, "starting the local PostgreSQL");
        if TcpListener::bind(("127.0.0.1", self.port)).is_err() {
            return Err(StoreError::Embedded {
                message: format!(
                    "port {} is taken by another program; stop it, or set another port in {}",
                    self.port,
                    self.home.join("pg.port").display()
                ),
            });
        }
        // A port change in pg.port must reach the server's configuration too.
        append(
            &self.data_dir.join("postgresql.auto.conf"),
            &format!("port = {}\n", self.port),
        )?;
        self.start_server()
    }

    fn start_server(&self) -> Result<(), StoreError> {
        let log = self.data_dir.join("server.log");
        let out = self.pg_ctl(&[
            "start",
            "-D",
            &self.data_dir.to_string_lossy(),
            "-l",
            &log.to_string_lossy(),
            "-w",
            "-t",
            "60",
        ])?;
        if !out.status.success() {
            let tail = std::fs::read_to_string(&log)
                .map(|s| {
                    s.lines()
                        .rev()
                        .take(8)
                        .collect::<Vec<_>>()
                        .into_iter()
                        .rev()
                        .collect::<Vec<_>>()
                        .join("\n")
                })
                .unwrap_or_default();
            return Err(StoreError::Embedded {
                message: format!("PostgreSQL did not start; its log {} ends with:\n{tail}", log.display()),
            });
        }
        Ok(())
    }

    fn pg_ctl(&self, args: &[&str]) -> Result<Output, StoreError> {
        self.run("pg_ctl", args)
    }

    fn run(&self, program: &str, args: &[&str]) -> Result<Output, StoreError> {
        let exe = self.bin_dir.join(program);
        let mut cmd = match &self.run_as {
            Some(user) => {
                let mut c = Command::new("runuser");
                c.args(["-u", user, "--"]).arg(&exe);
                c
            }
            None => Command::new(&exe),
        };
        cmd.args(args).current_dir("/").env("PGPASSWORD", &self.password);
        cmd.output().map_err(|e| StoreError::Embedded {
            message: format!("cannot run {}: {e}", exe.display()),
        })
    }
}

fn check(out: Output, what: &str) -> Result<(), StoreError> {
    if out.status.success() {
        return Ok(());
    }
    Err(StoreError::Embedded {
        message: format!(
            "{what} failed: {}{}",
            String::from_utf8_lossy(&out.stderr).trim(),
            String::from_utf8_lossy(&out.stdout).trim()
        ),
    })
}

fn io_err(path: &Path, source: std::io::Error) -> StoreError {
    StoreError::EmbeddedIo {
        path: path.to_owned(),
        source,
    }
}

fn read_trimmed(path: &Path) -> Result<String, StoreError> {
    std::fs::read_to_string(path)
        .map(|s| s.trim().to_owned())
        .map_err(|e| io_err(path, e))
}

fn write_private(path: &Path, content: &str) -> Result<(), StoreError> {
    use std::io::Write;
    use std::os::unix::fs::OpenOptionsExt;
    let mut f = std::fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(0o600)
        .open(path)
        .map_err(|e| io_err(path, e))?;
    f.write_all(content.as_bytes()).map_err(|e| io_err(path, e))
}

fn append(path: &Path, content: &str) -> Result<(), StoreError> {
    use std::io::Write;
    let mut f = std::fs::OpenOptions::new()
        .append(true)
        .open(path)
        .map_err(|e| io_err(path, e))?;
    f.write_all(content.as_bytes()).map_err(|e| io_err(path, e))
}

fn running_as_root() -> bool {
    nix::unistd::geteuid().is_root()
}

fn chown(path: &Path, user: &str) -> Result<(), StoreError> {
    let u = nix::unistd::User::from_name(user)
        .ok()
        .flatten()
        .ok_or_else(|| StoreError::Embedded {
            message: format!(
                "running as root needs the '{user}' system user (apt-get install postgresql-15-postgis-3)"
            ),
        })?;
    nix::unistd::chown(path, Some(u.uid), Some(u.gid)).map_err(|e| io_err(path, std::io::Error::from(e)))
}

/// The default port if free, else one the OS picks.
fn pick_port() -> u16 {
    let wanted = std::env::var("QALA_PG_PORT")
        .ok()
        .and_then(|p| p.parse().ok())
        .unwrap_or(DEFAULT_PORT);
    if TcpListener::bind(("127.0.0.1", wanted)).is_ok() {
        return wanted;
    }
    TcpListener::bind(("127.0.0.1", 0))
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .unwrap_or(wanted)
}

/// PostgreSQL's server programs: `$QALA_PG_BINDIR`, else Debian's newest
/// `/usr/lib/postgresql/N/bin`, preferring 15.
fn find_bin_dir() -> Result<PathBuf, StoreError> {
    if let Some(dir) = std::env::var_os("QALA_PG_BINDIR") {
        return Ok(PathBuf::from(dir));
    }
    let preferred = PathBuf::from("/usr/lib/postgresql/15/bin");
    if preferred.join("pg_ctl").exists() {
        return Ok(preferred);
    }
    let mut found: Vec<PathBuf> = std::fs::read_dir("/usr/lib/postgresql")
        .into_iter()
        .flatten()
        .flatten()
        .map(|e| e.path().join("bin"))
        .filter(|p| p.join("pg_ctl").exists())
        .collect();
    found.sort();
    found.pop().ok_or_else(|| StoreError::Embedded {
        message: "PostgreSQL server programs not found: install postgresql-15-postgis-3 \
                  (scripts/setup does), set QALA_PG_BINDIR, or give DATABASE_URL"
            .into(),
    })
}
