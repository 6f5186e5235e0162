//! Test harness: a fresh database per test on the project's own PostgreSQL.
//!
//! With `DATABASE_URL` set, that server is used (the URL's user must be able to create databases
//! and the `vector` extension); otherwise the embedded server under `WAKIL_TEST_DATA_DIR`
//! (default `<tmp>/wakil-test-pg`) is started once and shared by every test process.
//! Migrated (and demo-seeded) template databases are built once per code version, then each test
//! gets `CREATE DATABASE … TEMPLATE …`, which takes a few tens of milliseconds.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use crate::embedded::EmbeddedPostgres;
use crate::store::{self, Store};
use crate::types::Clock;
use chrono::NaiveDate;
use sqlx::{Executor, PgPool};
use std::sync::atomic::{AtomicU32, Ordering};
use tokio::sync::OnceCell;

/// The date the demo template is seeded for, and the clock tests run with.
pub const DEMO_TODAY: NaiveDate = match NaiveDate::from_ymd_opt(2026, 11, 15) {
    Some(d) => d,
    None => panic!("invalid demo date"),
};

pub fn demo_clock() -> Clock {
    Clock::Fixed(DEMO_TODAY)
}

/// Password of the application role on an external test server (DATABASE_URL).
const EXTERNAL_APP_PASSWORD: &str = "wakil-test-app";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Template {
    /// Migrations only.
    Empty,
    /// Migrations and `seed_demo(DEMO_TODAY)`.
    Demo,
}

/// One test's database: the owner pool (no RLS) and the application store (RLS applies).
pub struct TestDb {
    pub name: String,
    pub admin: PgPool,
    pub app: PgPool,
    pub store: Store,
    pub admin_url: String,
    pub app_url: String,
    /// The application role's password (for `DATABASE_URL` + `WAKIL_APP_PASSWORD` runs of the CLI).
    pub app_password: String,
}

struct Server {
    /// URL of the `postgres` database as the superuser.
    admin_base: String,
    app_password: String,
}

static SERVER: OnceCell<Server> = OnceCell::const_new();
static COUNTER: AtomicU32 = AtomicU32::new(0);

fn with_database(url: &str, db: &str) -> String {
    let (base, _) = url
        .rsplit_once('/')
        .expect("DATABASE_URL has no database part");
    let query = url
        .split_once('?')
        .map(|(_, q)| format!("?{q}"))
        .unwrap_or_default();
    format!("{base}/{db}{query}")
}

async fn server() -> &'static Server {
    SERVER
        .get_or_init(|| async {
            match std::env::var("DATABASE_URL") {
                Ok(url) if !url.is_empty() => Server {
                    admin_base: with_database(&url, "postgres"),
                    app_password: EXTERNAL_APP_PASSWORD.into(),
                },
                _ => {
                    let dir = std::env::var_os("WAKIL_TEST_DATA_DIR")
                        .map(std::path::PathBuf::from)
                        .unwrap_or_else(|| std::env::temp_dir().join("wakil-test-pg"));
                    // Left running for the other test processes; `scripts/test.sh` stops it.
                    let pg = EmbeddedPostgres::start(&dir)
                        .await
                        .expect("embedded PostgreSQL");
                    Server {
                        admin_base: pg.admin_url("postgres"),
                        app_password: pg.app_password().to_string(),
                    }
                }
            }
        })
        .await
}

/// Identifies the schema and seed code, so templates are rebuilt when either changes.
fn code_hash() -> u64 {
    use std::hash::{DefaultHasher, Hash, Hasher};
    let mut h = DefaultHasher::new();
    for source in [
        include_str!("../../migrations/0001_domain.sql"),
        include_str!("../../migrations/0002_tenant_isolation.sql"),
        include_str!("../../migrations/0003_name_indexes.sql"),
        include_str!("../../migrations/0004_web_sessions.sql"),
        include_str!("../../migrations/0005_documents_generes.sql"),
        include_str!("../../migrations/0006_annulation_appels.sql"),
        include_str!("../../migrations/0007_ag_saisies.sql"),
        include_str!("../../migrations/0008_relances.sql"),
        include_str!("../../migrations/0009_canaux.sql"),
        include_str!("../../migrations/0010_extraction_factures.sql"),
        include_str!("../../migrations/0011_index_documents.sql"),
        include_str!("../../migrations/0012_documents_sans_texte.sql"),
        include_str!("ag.rs"),
        include_str!("seed/mod.rs"),
        include_str!("seed/generator.rs"),
        include_str!("seed/layout.rs"),
        include_str!("seed/data.rs"),
        include_str!("seed/rng.rs"),
        include_str!("seed/tables.rs"),
        include_str!("seed/reglement_gueliz.md"),
        include_str!("seed/documents/contrat_ascenseur_gueliz.md"),
        include_str!("seed/documents/contrat_gardiennage_gueliz.md"),
        include_str!("seed/documents/contrat_nettoyage_gueliz.md"),
        include_str!("seed/documents/courrier_travaux_gueliz.md"),
        include_str!("seed/documents/note_contentieux_gueliz.md"),
        include_str!("decoupage.rs"),
    ] {
        source.hash(&mut h);
    }
    h.finish() & 0x7fff_ffff_ffff
}

async fn ensure_template(admin_server: &PgPool, s: &Server, template: Template) -> String {
    let hash = code_hash();
    let name = match template {
        Template::Empty => format!("wakil_tpl_{hash:x}"),
        Template::Demo => format!("wakil_tpl_demo_{hash:x}"),
    };
    let mut lock = admin_server.acquire().await.unwrap();
    sqlx::query("SELECT pg_advisory_lock($1)")
        .bind(hash as i64)
        .execute(&mut *lock)
        .await
        .unwrap();
    let exists: bool =
        sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1)")
            .bind(&name)
            .fetch_one(&mut *lock)
            .await
            .unwrap();
    if !exists {
        let building = format!("{name}_building");
        lock.execute(sqlx::AssertSqlSafe(format!(
            "DROP DATABASE IF EXISTS {building} WITH (FORCE)"
        )))
        .await
        .unwrap();
        lock.execute(sqlx::AssertSqlSafe(format!("CREATE DATABASE {building}")))
            .await
            .unwrap();
        let url = with_database(&s.admin_base, &building);
        let pool = store::connect_pool(&url, 4).await.unwrap();
        store::migrate(&pool, &s.app_password).await.unwrap();
        if template == Template::Demo {
            crate::seed::seed_demo(&pool, DEMO_TODAY).await.unwrap();
        }
        pool.close().await;
        lock.execute(sqlx::AssertSqlSafe(format!(
            "ALTER DATABASE {building} RENAME TO {name}"
        )))
        .await
        .unwrap();
    }
    sqlx::query("SELECT pg_advisory_unlock($1)")
        .bind(hash as i64)
        .execute(&mut *lock)
        .await
        .unwrap();
    name
}

/// Drops the databases of test processes that have ended.
async fn drop_stale(admin_server: &PgPool) {
    let names: Vec<String> =
        sqlx::query_scalar("SELECT datname FROM pg_database WHERE datname LIKE 'wakil\\_t\\_%'")
            .fetch_all(admin_server)
            .await
            .unwrap();
    for name in names {
        let pid = name.split('_').nth(2).and_then(|p| p.parse::<u32>().ok());
        let alive = pid.is_some_and(|p| std::path::Path::new(&format!("/proc/{p}")).exists());
        if !alive {
            let _ = admin_server
                .execute(sqlx::AssertSqlSafe(format!(
                    "DROP DATABASE IF EXISTS {name} WITH (FORCE)"
                )))
                .await;
        }
    }
}

/// A fresh database for one test, copied from `template`.
pub async fn fresh(template: Template) -> TestDb {
    let s = server().await;
    let admin_server = store::connect_pool(&s.admin_base, 2).await.unwrap();
    let n = COUNTER.fetch_add(1, Ordering::SeqCst);
    if n == 0 {
        drop_stale(&admin_server).await;
    }
    let tpl = ensure_template(&admin_server, s, template).await;
    let name = format!("wakil_t_{}_{n}", std::process::id());
    admin_server
        .execute(sqlx::AssertSqlSafe(format!(
            "CREATE DATABASE {name} TEMPLATE {tpl}"
        )))
        .await
        .unwrap();
    admin_server.close().await;
    let admin_url = with_database(&s.admin_base, &name);
    let app_url = store::app_url(&admin_url, &s.app_password).unwrap();
    let admin = store::connect_pool(&admin_url, 4).await.unwrap();
    let app = store::connect_pool(&app_url, 8).await.unwrap();
    TestDb {
        name,
        admin,
        store: Store::from_pool(app.clone()),
        app,
        admin_url,
        app_url,
        app_password: s.app_password.clone(),
    }
}

#[cfg(test)]
mod tests {
    /// A migration missing from `code_hash` would leave tests on a stale template (a column
    /// "does not exist"): every file of `migrations/` is hashed.
    #[test]
    fn every_migration_is_in_the_template_hash() {
        let source = include_str!("testing.rs");
        let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/../migrations");
        let mut n = 0;
        for entry in std::fs::read_dir(dir).unwrap() {
            let name = entry.unwrap().file_name().into_string().unwrap();
            if name.ends_with(".sql") {
                n += 1;
                assert!(
                    source.contains(&format!("\"../../migrations/{name}\"")),
                    "{name} is not in code_hash"
                );
            }
        }
        assert!(n >= 11);
    }
}
