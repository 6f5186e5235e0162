//! The PostgreSQL store: connection pools, migrations, and the tenant transaction through which
//! every tenant row is read or written.

mod ag;
mod appel;
mod bibliotheque;
mod canal;
mod conversation;
mod documents;
mod factures;
mod impayes;
mod outbox;
mod paiement;
mod rapport;
mod relance;
mod resolve;
mod session;
mod solde;

pub use ag::{
    AssembleeRef, EnteteAg, LignePresence, NouvelleAssemblee, PointOdj, ReglesAg, ResolutionAg,
    SaisieAg, VoteAg,
};
pub use appel::{
    AppelEmis, AppelInsertion, AvisAppel, BudgetAnnuel, EcheanceAppel, Emetteur, LotAppele,
    NouvelAppel,
};
pub use bibliotheque::{DocumentAIndexer, DocumentEtat, IndexEcrit, Passage, RRF_K, Recherche};
pub use canal::{
    Coordonnees, InvitationCreee, JustificatifAVerifier, NouvelleInvitation, Utilisateur,
    jeton_sha256, normaliser_jeton,
};
pub use conversation::{AuditEntry, Claim, PendingAction, StoredMessage};
pub use documents::{EnteteDocument, NouveauDocument};
pub use factures::{
    Doublon, FactureDetail, FactureFiltre, FactureLigne, FacturesTrouvees, FournisseurConnu,
    LectureFacture, RaisonDoublon, ResidenceConnue, ValeursFacture, Validation,
};
pub use impayes::{ImpayeFiltre, ImpayeLigne};
pub use outbox::{EnvoiDu, IssueEnvoi, OutboxLigne, lister_outbox, relancer_abandonne};
pub use paiement::{
    AllocationEnregistree, Annulation, CreditDisponible, CreditImpute, EcheanceOuverte, Insertion,
    NouveauPaiement, PaiementEnregistre, PaiementExistant, PaiementFiltre, PaiementTrouve,
};
pub use rapport::{BudgetEcart, DepenseCategorie, RapportChiffres};
pub use relance::{Contact, Debiteur, DerniereRelance, NouvelleRelance, RelanceEnregistree};
pub use resolve::{
    CoproprietaireRef, Lookup, LotRef, NameDrivers, NameHit, NameWordCount, ResidenceRef,
};
pub use session::{Fichier, LoginCandidate, NouveauFichier};
pub use solde::{AllocationDetail, EcheanceDetail, PaiementDetail, SoldeChiffres};

use crate::types::{Caller, Canal, Role};
use sqlx::migrate::MigrateError;
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::{PgPool, Postgres, Transaction};
use std::str::FromStr;
use std::time::Duration;
use thiserror::Error;

/// What has been paid on échéance `e`: its allocations from payments not cancelled. The one
/// definition behind every figure (impayés, balances, yearly report).
pub(crate) const PAYE_ECHEANCE: &str = "coalesce((SELECT sum(a.montant) FROM allocations a
    JOIN paiements p ON p.id = a.paiement_id AND p.annule_le IS NULL
    WHERE a.echeance_id = e.id), 0)";

/// The role the application connects as: no superuser, not the owner, NOBYPASSRLS.
pub const APP_ROLE: &str = "wakil_app";

static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("../migrations");

/// The detail is in the Display (not a `source`), so a chain printed with `{:#}` says it once.
#[derive(Debug, Error)]
pub enum StoreError {
    #[error("erreur de base de données : {0}")]
    Database(sqlx::Error),
    #[error("échec des migrations : {0}")]
    Migrate(MigrateError),
    #[error("configuration de la base invalide : {0}")]
    Config(String),
    /// An invitation token whose hash another invitation has: draw another token.
    #[error("ce jeton d'invitation est déjà attribué : tirez-en un autre")]
    JetonDejaAttribue,
    /// A request the store refuses whoever asks (not a database failure).
    #[error("opération refusée : {0}")]
    Refus(&'static str),
}

impl From<sqlx::Error> for StoreError {
    fn from(e: sqlx::Error) -> Self {
        StoreError::Database(e)
    }
}

impl From<MigrateError> for StoreError {
    fn from(e: MigrateError) -> Self {
        StoreError::Migrate(e)
    }
}

pub type Result<T, E = StoreError> = std::result::Result<T, E>;

/// Applies the migrations (as the owner) and lets the application role log in with `app_password`.
pub async fn migrate(admin: &PgPool, app_password: &str) -> Result<()> {
    MIGRATOR.run(admin).await?;
    // A role's password cannot be a bind parameter: quote it as a literal.
    let literal = app_password.replace('\'', "''");
    let sql = format!("ALTER ROLE {APP_ROLE} WITH LOGIN PASSWORD '{literal}'");
    // The role is shared by every database of the server: two processes migrating two databases
    // at once (parallel tests) race on its catalog row ("tuple concurrently updated"). Retry.
    let mut attempt = 0;
    loop {
        match sqlx::query(sqlx::AssertSqlSafe(sql.clone()))
            .execute(admin)
            .await
        {
            Err(e) if attempt < 20 && e.to_string().contains("concurrently updated") => {
                attempt += 1;
                tokio::time::sleep(Duration::from_millis(20 * attempt)).await;
            }
            other => {
                other?;
                return Ok(());
            }
        }
    }
}

/// Opens a pool on `url` (any role); used for the owner connection of migrations and seeding.
pub async fn connect_pool(url: &str, max_connections: u32) -> Result<PgPool> {
    let options = PgConnectOptions::from_str(url)?.application_name("wakil");
    Ok(PgPoolOptions::new()
        .max_connections(max_connections)
        .acquire_timeout(Duration::from_secs(10))
        .connect_with(options)
        .await?)
}

/// Rewrites a PostgreSQL URL to log in as the application role with `password`.
pub fn app_url(admin_url: &str, password: &str) -> Result<String> {
    let options = PgConnectOptions::from_str(admin_url)
        .map_err(|e| StoreError::Config(format!("DATABASE_URL illisible : {e}")))?;
    let options = options.username(APP_ROLE).password(password);
    let db = options.get_database().unwrap_or("postgres");
    Ok(format!(
        "postgres://{APP_ROLE}:{}@{}:{}/{}",
        percent_encode(password),
        options.get_host(),
        options.get_port(),
        percent_encode(db)
    ))
}

fn percent_encode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// Appends a bind parameter to `args` (for statements whose parameters are shared by two queries).
pub(crate) fn push<'q, T>(args: &mut sqlx::postgres::PgArguments, value: T) -> Result<()>
where
    T: sqlx::Encode<'q, Postgres> + sqlx::Type<Postgres> + 'q,
{
    use sqlx::Arguments;
    args.add(value)
        .map_err(|e| StoreError::Database(sqlx::Error::Encode(e)))
}

/// The application's handle on the database, connected as [`APP_ROLE`].
#[derive(Clone, Debug)]
pub struct Store {
    pool: PgPool,
}

impl Store {
    pub async fn connect(app_url: &str, max_connections: u32) -> Result<Self> {
        Ok(Self::from_pool(
            connect_pool(app_url, max_connections).await?,
        ))
    }

    pub fn from_pool(pool: PgPool) -> Self {
        Self { pool }
    }

    pub async fn close(&self) {
        self.pool.close().await;
    }

    /// A transaction bound to one syndic: row-level security shows it that syndic's rows only.
    pub async fn tenant(&self, syndic_id: i64) -> Result<Tenant> {
        self.begin_tenant(syndic_id, "BEGIN").await
    }

    /// Like [`Store::tenant`], read-only: what read tools use.
    pub async fn tenant_read(&self, syndic_id: i64) -> Result<Tenant> {
        self.begin_tenant(syndic_id, "BEGIN READ ONLY").await
    }

    async fn begin_tenant(&self, syndic_id: i64, begin: &'static str) -> Result<Tenant> {
        let mut tx = self.pool.begin_with(begin).await?;
        sqlx::query("SELECT set_config('wakil.syndic_id', $1, true)")
            .bind(syndic_id.to_string())
            .execute(&mut *tx)
            .await?;
        Ok(Tenant { tx, syndic_id })
    }

    /// The caller behind a login e-mail (an active user), or `None`.
    pub async fn caller_by_email(&self, email: &str, canal: Canal) -> Result<Option<Caller>> {
        let found: Option<(i64, i64)> =
            sqlx::query_as("SELECT user_id, syndic_id FROM wakil_identify_login($1)")
                .bind(email)
                .fetch_optional(&self.pool)
                .await?;
        self.caller_of(found, canal).await
    }

    /// The caller for an identified `(user_id, syndic_id)`, read in their tenant.
    pub(crate) async fn caller_of(
        &self,
        found: Option<(i64, i64)>,
        canal: Canal,
    ) -> Result<Option<Caller>> {
        match found {
            Some((user_id, syndic_id)) => {
                let mut t = self.tenant_read(syndic_id).await?;
                let caller = t.caller(user_id, canal).await?;
                t.commit().await?;
                Ok(caller)
            }
            None => Ok(None),
        }
    }
}

#[derive(sqlx::FromRow)]
struct UserRow {
    id: i64,
    syndic_id: i64,
    role: Role,
    nom_complet: String,
    coproprietaire_id: Option<i64>,
    residence_id: Option<i64>,
}

/// One transaction with `wakil.syndic_id` set; all tenant queries are its methods.
pub struct Tenant {
    pub(crate) tx: Transaction<'static, Postgres>,
    syndic_id: i64,
}

impl Tenant {
    pub fn syndic_id(&self) -> i64 {
        self.syndic_id
    }

    pub async fn commit(self) -> Result<()> {
        Ok(self.tx.commit().await?)
    }

    /// The caller for one of this syndic's users.
    pub async fn caller(&mut self, user_id: i64, canal: Canal) -> Result<Option<Caller>> {
        let row: Option<UserRow> = sqlx::query_as(
            "SELECT id, syndic_id, role, nom_complet, coproprietaire_id, residence_id
             FROM users WHERE id = $1 AND actif",
        )
        .bind(user_id)
        .fetch_optional(&mut *self.tx)
        .await?;
        Ok(row.map(|u| Caller {
            user_id: u.id,
            syndic_id: u.syndic_id,
            role: u.role,
            nom: u.nom_complet,
            coproprietaire_id: u.coproprietaire_id,
            residence_id: u.residence_id,
            canal,
        }))
    }
}

/// A user as listed to the operator (`wakil users`).
#[derive(Debug, Clone, serde::Serialize, sqlx::FromRow)]
pub struct UserListing {
    pub syndic: String,
    /// None for a co-owner without e-mail (WhatsApp only, no web login).
    pub email: Option<String>,
    pub role: Role,
    pub nom_complet: String,
    pub residence: Option<String>,
}

/// Every active user of every syndic, staff first; an operator command run with the owner pool.
pub async fn list_users(admin: &PgPool, include_coproprietaires: bool) -> Result<Vec<UserListing>> {
    Ok(sqlx::query_as(
        "SELECT s.nom AS syndic, u.email, u.role, u.nom_complet, r.nom AS residence
         FROM users u JOIN syndics s ON s.id = u.syndic_id LEFT JOIN residences r ON r.id = u.residence_id
         WHERE u.actif AND ($1 OR u.role <> 'coproprietaire')
         ORDER BY s.id, u.role, u.email NULLS LAST, u.id",
    )
    .bind(include_coproprietaires)
    .fetch_all(admin)
    .await?)
}
