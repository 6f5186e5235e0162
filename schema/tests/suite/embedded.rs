//! The embedded PostgreSQL: start, extensions, French full-text, reuse, restart, concurrency.
//! Needs `scripts/setup.sh` to have run (binaries, and the `wakil-pg` user when root).
// A test crate: failing loudly is the point (clippy's allow-unwrap-in-tests does not cover the
// helpers of an integration test).
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::fs;
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::PathBuf;

use sqlx::{Connection, PgConnection};
use wakil_schema::embedded::{EmbeddedError, EmbeddedPostgres};

/// A fresh directory under /tmp (traversable by `wakil-pg`), removed on drop.
struct TempDir(PathBuf);

impl TempDir {
    fn new(name: &str) -> TempDir {
        let dir = PathBuf::from("/tmp").join(format!(
            "wakil-test-{name}-{}",
            uuid::Uuid::new_v4().simple()
        ));
        fs::create_dir(&dir).unwrap();
        fs::set_permissions(&dir, fs::Permissions::from_mode(0o755)).unwrap();
        TempDir(dir)
    }

    fn data_dir(&self) -> PathBuf {
        self.0.join(".wakil")
    }
}

impl Drop for TempDir {
    /// After a failed assertion a server may still run: stop it (fast shutdown) before removing
    /// its directory.
    fn drop(&mut self) {
        let pid_file = self.data_dir().join("pgdata/postmaster.pid");
        if let Some(pid) = fs::read_to_string(&pid_file)
            .ok()
            .and_then(|text| text.lines().next().map(str::to_owned))
        {
            let _ = std::process::Command::new("kill")
                .args(["-INT", pid.trim()])
                .status();
            for _ in 0..50 {
                if !pid_file.exists() {
                    break;
                }
                std::thread::sleep(std::time::Duration::from_millis(100));
            }
        }
        let _ = fs::remove_dir_all(&self.0);
    }
}

async fn connect(pg: &EmbeddedPostgres) -> PgConnection {
    PgConnection::connect(&pg.admin_url("postgres"))
        .await
        .unwrap()
}

#[tokio::test]
async fn starts_serves_vector_and_french_then_reuses_and_restarts() {
    let tmp = TempDir::new("main");
    let first = EmbeddedPostgres::start(&tmp.data_dir()).await.unwrap();
    assert!(first.owns_server());
    assert!(first.port() > 0);
    let url = first.admin_url("postgres");
    assert!(url.starts_with("postgres://wakil:"), "{url}");
    assert!(
        url.ends_with(&format!("@127.0.0.1:{}/postgres", first.port())),
        "{url}"
    );
    assert_eq!(first.app_password().len(), 32);

    let mut conn = connect(&first).await;
    sqlx::query("CREATE EXTENSION IF NOT EXISTS vector")
        .execute(&mut conn)
        .await
        .unwrap();
    let distance: f64 = sqlx::query_scalar("SELECT '[1,2,3]'::vector <-> '[1,2,4]'::vector")
        .fetch_one(&mut conn)
        .await
        .unwrap();
    assert!((distance - 1.0).abs() < 1e-9);
    let tsv: String = sqlx::query_scalar("SELECT to_tsvector('french','factures impayées')::text")
        .fetch_one(&mut conn)
        .await
        .unwrap();
    assert_eq!(tsv, "'factur':1 'impai':2");
    let default_config: String = sqlx::query_scalar("SHOW default_text_search_config")
        .fetch_one(&mut conn)
        .await
        .unwrap();
    assert_eq!(default_config, "pg_catalog.french");
    // sqlx sends TimeZone=UTC at connect, so SHOW timezone says UTC: check that the server was
    // started with Casablanca (postmaster.opts) and that the zone is known.
    let opts = fs::read_to_string(tmp.data_dir().join("pgdata/postmaster.opts")).unwrap();
    assert!(opts.contains("timezone=Africa/Casablanca"), "{opts}");
    let offset: String = sqlx::query_scalar(
        "SELECT to_char(timestamptz '2024-01-15 12:00+00' AT TIME ZONE 'Africa/Casablanca', 'HH24')",
    )
    .fetch_one(&mut conn)
    .await
    .unwrap();
    assert_eq!(offset, "13");
    let encoding: String = sqlx::query_scalar("SHOW server_encoding")
        .fetch_one(&mut conn)
        .await
        .unwrap();
    assert_eq!(encoding, "UTF8");
    let listen: String = sqlx::query_scalar("SHOW listen_addresses")
        .fetch_one(&mut conn)
        .await
        .unwrap();
    assert_eq!(listen, "127.0.0.1");
    sqlx::query("CREATE TABLE kept (note text)")
        .execute(&mut conn)
        .await
        .unwrap();
    sqlx::query("INSERT INTO kept VALUES ('toujours là')")
        .execute(&mut conn)
        .await
        .unwrap();
    conn.close().await.unwrap();

    // A wrong password is refused: scram-sha-256, not trust.
    let wrong = format!("postgres://wakil:wrong@127.0.0.1:{}/postgres", first.port());
    assert!(PgConnection::connect(&wrong).await.is_err());

    // The credentials file is private.
    let credentials = fs::metadata(tmp.data_dir().join("credentials")).unwrap();
    assert_eq!(credentials.mode() & 0o777, 0o600);
    assert!(!tmp.data_dir().join(".initdb-pwfile").exists());

    // A second start on the same directory reuses the running server.
    let second = EmbeddedPostgres::start(&tmp.data_dir()).await.unwrap();
    assert!(!second.owns_server());
    assert_eq!(second.port(), first.port());
    assert_eq!(second.app_password(), first.app_password());
    assert_eq!(second.admin_url("wakil"), first.admin_url("wakil"));
    second.stop().await.unwrap();
    let mut conn = connect(&first).await;
    let one: i32 = sqlx::query_scalar("SELECT 1")
        .fetch_one(&mut conn)
        .await
        .unwrap();
    assert_eq!(one, 1);
    conn.close().await.unwrap();

    // Stopping the owner stops the server.
    let (port, app_password) = (first.port(), first.app_password().to_owned());
    first.stop().await.unwrap();
    assert!(!tmp.data_dir().join("pgdata/postmaster.pid").exists());
    assert!(PgConnection::connect(&url).await.is_err());

    // Starting again reuses the data, the passwords and (while free) the port.
    let again = EmbeddedPostgres::start(&tmp.data_dir()).await.unwrap();
    assert!(again.owns_server());
    assert_eq!(again.port(), port);
    assert_eq!(again.app_password(), app_password);
    let mut conn = connect(&again).await;
    let note: String = sqlx::query_scalar("SELECT note FROM kept")
        .fetch_one(&mut conn)
        .await
        .unwrap();
    assert_eq!(note, "toujours là");
    conn.close().await.unwrap();
    again.stop().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_starts_share_one_server() {
    let tmp = TempDir::new("concurrent");
    let handles: Vec<_> = (0..4)
        .map(|_| {
            let dir = tmp.data_dir();
            tokio::spawn(async move { EmbeddedPostgres::start(&dir).await })
        })
        .collect();
    let mut all = Vec::new();
    for handle in handles {
        all.push(handle.await.unwrap().unwrap());
    }
    assert_eq!(all.iter().filter(|pg| pg.owns_server()).count(), 1);
    assert!(all.iter().all(|pg| pg.port() == all[0].port()));
    let mut conn = connect(&all[0]).await;
    let one: i32 = sqlx::query_scalar("SELECT 1")
        .fetch_one(&mut conn)
        .await
        .unwrap();
    assert_eq!(one, 1);
    conn.close().await.unwrap();
    // Stop the borrowers first, then the owner.
    all.sort_by_key(|pg| pg.owns_server());
    for pg in all {
        pg.stop().await.unwrap();
    }
    assert!(!tmp.data_dir().join("pgdata/postmaster.pid").exists());
}

#[tokio::test]
async fn stale_pid_file_and_taken_port_are_handled() {
    let tmp = TempDir::new("stale");
    let pg = EmbeddedPostgres::start(&tmp.data_dir()).await.unwrap();
    let port = pg.port();
    let pid_file = tmp.data_dir().join("pgdata/postmaster.pid");
    let pid_text = fs::read_to_string(&pid_file).unwrap();
    pg.stop().await.unwrap();

    // The server died without cleaning up, and its PID now belongs to another live process
    // (this one): PostgreSQL alone would refuse to start ("Is another postmaster running?").
    let mut lines: Vec<String> = pid_text.lines().map(str::to_owned).collect();
    lines[0] = std::process::id().to_string();
    fs::write(&pid_file, lines.join("\n") + "\n").unwrap();

    // And meanwhile someone took its port.
    let squatter = std::net::TcpListener::bind(("127.0.0.1", port)).unwrap();

    let pg = EmbeddedPostgres::start(&tmp.data_dir()).await.unwrap();
    assert!(pg.owns_server());
    assert_ne!(pg.port(), port);
    let mut conn = connect(&pg).await;
    let one: i32 = sqlx::query_scalar("SELECT 1")
        .fetch_one(&mut conn)
        .await
        .unwrap();
    assert_eq!(one, 1);
    conn.close().await.unwrap();
    drop(squatter);
    pg.stop().await.unwrap();
}

#[tokio::test]
async fn unreachable_data_dir_is_a_clear_error_when_root() {
    let is_root = fs::metadata("/proc/self").unwrap().uid() == 0;
    if !is_root {
        return; // only root hands the server over to wakil-pg
    }
    let tmp = TempDir::new("closed");
    let closed = tmp.0.join("closed");
    fs::create_dir(&closed).unwrap();
    fs::set_permissions(&closed, fs::Permissions::from_mode(0o700)).unwrap();
    let error = EmbeddedPostgres::start(&closed.join(".wakil"))
        .await
        .unwrap_err();
    assert!(
        matches!(&error, EmbeddedError::DataDirUnreachable { blocking, .. } if *blocking == closed),
        "{error}"
    );
    assert!(error.to_string().contains("WAKIL_DATA_DIR"), "{error}");
}

#[tokio::test]
async fn restarts_after_a_crash() {
    let tmp = TempDir::new("crash");
    let pg = EmbeddedPostgres::start(&tmp.data_dir()).await.unwrap();
    let mut conn = connect(&pg).await;
    sqlx::raw_sql("CREATE TABLE survived (n int); INSERT INTO survived VALUES (42)")
        .execute(&mut conn)
        .await
        .unwrap();
    drop(conn);
    let pid_file = tmp.data_dir().join("pgdata/postmaster.pid");
    let pid_text = fs::read_to_string(&pid_file).unwrap();
    let pid = pid_text.lines().next().unwrap().trim().to_owned();
    let killed = std::process::Command::new("kill")
        .args(["-KILL", &pid])
        .status()
        .unwrap();
    assert!(killed.success());
    // `pg` has no server left to stop. Start again at once: the postmaster may still be an
    // unreaped zombie and its backends still exiting.
    drop(pg);
    let again = EmbeddedPostgres::start(&tmp.data_dir()).await.unwrap();
    assert!(again.owns_server());
    let mut conn = connect(&again).await;
    let n: i32 = sqlx::query_scalar("SELECT n FROM survived")
        .fetch_one(&mut conn)
        .await
        .unwrap();
    assert_eq!(n, 42);
    conn.close().await.unwrap();
    again.stop().await.unwrap();
}
