//! Opening the product's database: the embedded server by default, any PostgreSQL 16+ with
//! pgvector when `DATABASE_URL` is given. Migrations run on every open (they are idempotent).

use crate::embedded::{EmbeddedError, EmbeddedPostgres};
use crate::store::{self, Store, StoreError};
use sqlx::PgPool;
use std::path::{Path, PathBuf};
use thiserror::Error;

/// The database the embedded server holds the product's data in.
const EMBEDDED_DATABASE: &str = "wakil";

#[derive(Debug, Clone)]
pub enum DbSource {
    /// `DATABASE_URL`: the owner connection (migrations, seed). The application role logs in with
    /// `app_password` (`WAKIL_APP_PASSWORD`) on the same server and database.
    External {
        admin_url: String,
        app_password: String,
    },
    /// The private server under `data_dir` (default `./.wakil`).
    Embedded { data_dir: PathBuf },
}

#[derive(Debug, Error)]
pub enum DatabaseError {
    #[error(transparent)]
    Embedded(#[from] EmbeddedError),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// An open database: migrated, with the URLs of both roles.
pub struct Database {
    admin_url: String,
    app_url: String,
    embedded: Option<EmbeddedPostgres>,
}

impl Database {
    pub async fn open(source: DbSource) -> Result<Self, DatabaseError> {
        let (admin_url, app_password, embedded) = match source {
            DbSource::External {
                admin_url,
                app_password,
            } => (admin_url, app_password, None),
            DbSource::Embedded { data_dir } => {
                let pg = EmbeddedPostgres::start(&data_dir).await?;
                create_database_if_missing(&pg.admin_url("postgres"), EMBEDDED_DATABASE).await?;
                (
                    pg.admin_url(EMBEDDED_DATABASE),
                    pg.app_password().to_string(),
                    Some(pg),
                )
            }
        };
        let admin = store::connect_pool(&admin_url, 2).await?;
        store::migrate(&admin, &app_password).await?;
        admin.close().await;
        let app_url = store::app_url(&admin_url, &app_password)?;
        Ok(Database {
            admin_url,
            app_url,
            embedded,
        })
    }

    /// A scratch database `name` on the embedded server under `data_dir`, dropped if it exists,
    /// then created and migrated (the evaluation suite loads its own demo data there).
    pub async fn open_scratch(data_dir: &Path, name: &str) -> Result<Self, DatabaseError> {
        let pg = EmbeddedPostgres::start(data_dir).await?;
        let server = store::connect_pool(&pg.admin_url("postgres"), 1).await?;
        sqlx::query(sqlx::AssertSqlSafe(format!(
            "DROP DATABASE IF EXISTS {name} WITH (FORCE)"
        )))
        .execute(&server)
        .await
        .map_err(StoreError::from)?;
        server.close().await;
        create_database_if_missing(&pg.admin_url("postgres"), name).await?;
        let admin_url = pg.admin_url(name);
        let app_password = pg.app_password().to_string();
        let admin = store::connect_pool(&admin_url, 2).await?;
        store::migrate(&admin, &app_password).await?;
        admin.close().await;
        Ok(Database {
            app_url: store::app_url(&admin_url, &app_password)?,
            admin_url,
            embedded: Some(pg),
        })
    }

    /// The application's store (row-level security applies).
    pub async fn store(&self, max_connections: u32) -> Result<Store, StoreError> {
        Store::connect(&self.app_url, max_connections).await
    }

    /// The owner pool, for seeding and benchmarks only.
    pub async fn admin_pool(&self) -> Result<PgPool, StoreError> {
        store::connect_pool(&self.admin_url, 4).await
    }

    /// Stops the embedded server if this process started it.
    pub async fn close(self) -> Result<(), DatabaseError> {
        if let Some(pg) = self.embedded {
            pg.stop().await?;
        }
        Ok(())
    }
}

async fn create_database_if_missing(server_url: &str, name: &str) -> Result<(), StoreError> {
    let pool = store::connect_pool(server_url, 1).await?;
    let exists: bool =
        sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1)")
            .bind(name)
            .fetch_one(&pool)
            .await?;
    if !exists {
        sqlx::query(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")))
            .execute(&pool)
            .await?;
    }
    pool.close().await;
    Ok(())
}
