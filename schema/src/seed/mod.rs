//! Demo and benchmark data.
//!
//! One generator serves both: [`seed_demo`] loads "Atlas Syndic" (three résidences in Marrakech,
//! Casablanca and Rabat, with an AG, a règlement and invoices to validate) and the small
//! "Syndic Al Manar" (Tanger) for isolation tests; [`seed_scale`] adds a "Syndic Benchmark" of
//! any number of résidences of the demo's shape. Rows are built in memory by a deterministic
//! generator (SplitMix64, constant seeds) on a thread of its own, and inserted in bulk with
//! explicit ids (`INSERT … SELECT * FROM UNNEST(…)`), all in one transaction, the tables locked
//! in EXCLUSIVE mode, their identity sequences moved past the new ids at the end.
//!
//! Money follows the domain's rules exactly ([`crate::money`]): tantièmes split from weighted
//! surfaces sum to the résidence's base, échéances of a call sum to its total, payments are
//! allocated oldest first and an over-payment stays as a credit.

mod data;
mod generator;
mod layout;
mod rng;
mod tables;

use std::collections::BTreeMap;
use std::time::Instant;

use chrono::{Datelike, NaiveDate};
use rust_decimal::Decimal;
use serde::Serialize;
use sqlx::{PgPool, Row};

use crate::types::{Categorie, Role, TypeDocument, Visibilite};

use data::{AMENDIS, Distributeur, LYDEC, NOMS_RESIDENCES, RADEEMA, REDAL, RUES, SOCIETES, VILLES};
use generator::{
    Chunk, DemoDocument, Extras, Generator, ResidenceSpec, StaffSpec, Style, SupplierKey,
    SupplierSpec, SyndicSpec,
};
use layout::Layout;
pub use rng::Rng;
use tables::{Ids, TABLES};

/// The règlement de copropriété of "Résidence Les Jardins de Guéliz" (markdown, one `##` per
/// article).
pub const REGLEMENT_GUELIZ: &str = include_str!("reglement_gueliz.md");

/// The other documents of the Guéliz library: contracts with the demo's suppliers (lifts,
/// security, cleaning), a letter to the co-owners about the works of building B, and a note of
/// the syndic's team on the recovery of unpaid charges (staff only).
const DOCUMENTS_GUELIZ: &[DemoDocument] = &[
    DemoDocument {
        titre: "Contrat d'entretien des ascenseurs – Résidence Les Jardins de Guéliz",
        texte: include_str!("documents/contrat_ascenseur_gueliz.md"),
        type_document: TypeDocument::Contrat,
        date: const_date(2023, 12, 18),
        visibilite: Visibilite::Residence,
    },
    DemoDocument {
        titre: "Contrat de nettoyage des parties communes – Résidence Les Jardins de Guéliz",
        texte: include_str!("documents/contrat_nettoyage_gueliz.md"),
        type_document: TypeDocument::Contrat,
        date: const_date(2024, 3, 22),
        visibilite: Visibilite::Residence,
    },
    DemoDocument {
        titre: "Note interne – Procédure de recouvrement des charges impayées – Résidence Les Jardins de Guéliz",
        texte: include_str!("documents/note_contentieux_gueliz.md"),
        type_document: TypeDocument::Autre,
        date: const_date(2025, 2, 10),
        visibilite: Visibilite::Staff,
    },
    DemoDocument {
        titre: "Contrat de prestations de gardiennage – Résidence Les Jardins de Guéliz",
        texte: include_str!("documents/contrat_gardiennage_gueliz.md"),
        type_document: TypeDocument::Contrat,
        date: const_date(2025, 6, 26),
        visibilite: Visibilite::Residence,
    },
    DemoDocument {
        titre: "Courrier aux copropriétaires – Travaux d'étanchéité et de façade du bâtiment B",
        texte: include_str!("documents/courrier_travaux_gueliz.md"),
        type_document: TypeDocument::Courrier,
        date: const_date(2025, 7, 7),
        visibilite: Visibilite::Residence,
    },
];

/// A date in a constant (`NaiveDate::MIN` if invalid, which a test rules out).
const fn const_date(y: i32, m: u32, d: u32) -> NaiveDate {
    match NaiveDate::from_ymd_opt(y, m, d) {
        Some(date) => date,
        None => NaiveDate::MIN,
    }
}

/// The password of every demo user (the demo is public; change it with `wakil passwd`).
pub const DEMO_PASSWORD: &str = "wakil2026";

/// [`DEMO_PASSWORD`] hashed with Argon2id (m=19456, t=2, p=1: argon2's defaults), computed once:
/// seeding does not hash a password per user. A test of the server checks that it verifies.
pub const DEMO_PASSWORD_HASH: &str = "$argon2id$v=19$m=19456,t=2,p=1$/u84LyPzcs+pbKnz9qa9zA$WUazWjIfdCcuozWDS94U72NNcYEJste+Ofn0V4w4Es4";

/// Names of the demo's syndics: their presence means the demo is loaded.
pub const DEMO_SYNDICS: [&str; 2] = ["Atlas Syndic", "Syndic Al Manar"];

const BENCHMARK: &str = "Syndic Benchmark";
const DEMO_SEED: u64 = 0x5741_4B49_4C2D_4445; // "WAKIL-DE"
const SCALE_SEED: u64 = 0x5741_4B49_4C2D_5343; // "WAKIL-SC"
/// Rows per INSERT statement.
const BATCH_ROWS: usize = 25_000;
/// Résidences generated before the rows are handed to the inserting side.
const RESIDENCES_PER_CHUNK: usize = 200;

/// French messages: the operator reads them from `wakil seed`.
#[derive(Debug, thiserror::Error)]
pub enum SeedError {
    #[error("erreur de base de données : {0}")]
    Database(sqlx::Error),
    #[error(
        "la démo est déjà chargée (syndic « {nom} », id {id}) ; pour repartir de zéro, supprimez le dossier de données (.wakil)"
    )]
    DemoAlreadyLoaded { id: i64, nom: String },
    #[error("argument invalide : {0}")]
    InvalidArgument(String),
    #[error("générateur : {0}")]
    Generator(String),
}

impl From<sqlx::Error> for SeedError {
    fn from(e: sqlx::Error) -> Self {
        SeedError::Database(e)
    }
}

/// A syndic created by the seed.
#[derive(Debug, Clone, Serialize)]
pub struct SeededSyndic {
    pub id: i64,
    pub nom: String,
    pub residences: u32,
}

/// A login created by the seed, to print for whoever runs the demo.
#[derive(Debug, Clone, Serialize)]
pub struct SeedUser {
    pub syndic: String,
    pub email: String,
    pub role: Role,
    pub nom_complet: String,
    pub residence: Option<String>,
    /// Why this login is interesting (debtor, credit, verified channel, …).
    pub note: Option<String>,
}

#[derive(Debug, Serialize)]
pub struct SeedReport {
    pub syndics: Vec<SeededSyndic>,
    /// Rows inserted, by table.
    pub counts: BTreeMap<String, u64>,
    pub total_rows: u64,
    pub elapsed_ms: u64,
    /// Staff of every syndic created; for the demo also the présidents and notable co-owners.
    pub users: Vec<SeedUser>,
}

/// Loads the demo: deterministic for a given `today`. Refuses (typed error) if a demo syndic already exists.
pub async fn seed_demo(admin: &PgPool, today: NaiveDate) -> Result<SeedReport, SeedError> {
    seed(admin, today, Kind::Demo).await
}

/// Gives the demo password to the demo users who have none (a demo loaded before passwords
/// existed); returns how many. Users of other syndics are never touched.
pub async fn ensure_demo_passwords(admin: &PgPool) -> Result<u64, SeedError> {
    Ok(sqlx::query(
        "UPDATE users SET password_hash = $1
         WHERE password_hash IS NULL
           AND syndic_id IN (SELECT id FROM syndics WHERE nom = ANY($2))",
    )
    .bind(DEMO_PASSWORD_HASH)
    .bind(&DEMO_SYNDICS[..])
    .execute(admin)
    .await?
    .rows_affected())
}

/// Adds a syndic "Syndic Benchmark" (or "… #k" if present) with `residences` résidences of the demo's shape.
pub async fn seed_scale(
    admin: &PgPool,
    residences: u32,
    today: NaiveDate,
) -> Result<SeedReport, SeedError> {
    if residences == 0 {
        return Err(SeedError::InvalidArgument(
            "il faut au moins une résidence".into(),
        ));
    }
    seed(admin, today, Kind::Scale(residences)).await
}

#[derive(Debug, Clone, Copy)]
enum Kind {
    Demo,
    Scale(u32),
}

enum Msg {
    Chunk(Box<Chunk>),
    Done,
    Failed(SeedError),
}

async fn seed(admin: &PgPool, today: NaiveDate, kind: Kind) -> Result<SeedReport, SeedError> {
    let started = Instant::now();
    if !(2002..=2099).contains(&today.year()) {
        return Err(SeedError::InvalidArgument(format!(
            "date du jour hors limites : {today}"
        )));
    }
    let mut tx = admin.begin().await?;
    // Demo data: a crash before the WAL flush loses nothing that cannot be seeded again.
    sqlx::query("SET LOCAL synchronous_commit = off")
        .execute(&mut *tx)
        .await?;
    // UNNEST materialises each batch: keep it in memory.
    sqlx::query("SET LOCAL work_mem = '64MB'")
        .execute(&mut *tx)
        .await?;
    // Per-row foreign-key triggers cost more than half of a bulk load. A superuser skips them
    // (`session_replication_role = replica`) and checks every foreign key of the new rows in
    // bulk before committing instead; an owner that is not a superuser keeps the triggers.
    let bulk_fk_check: bool =
        sqlx::query_scalar("SELECT rolsuper FROM pg_roles WHERE rolname = current_user")
            .fetch_one(&mut *tx)
            .await?;
    if bulk_fk_check {
        sqlx::query("SET LOCAL session_replication_role = replica")
            .execute(&mut *tx)
            .await?;
    }
    sqlx::query(sqlx::AssertSqlSafe(format!(
        "LOCK TABLE {} IN EXCLUSIVE MODE",
        TABLES.join(", ")
    )))
    .execute(&mut *tx)
    .await?;

    let specs = match kind {
        Kind::Demo => {
            let existing: Option<(i64, String)> = sqlx::query_as(
                "SELECT id, nom FROM syndics WHERE nom = ANY($1) ORDER BY id LIMIT 1",
            )
            .bind(&DEMO_SYNDICS[..])
            .fetch_optional(&mut *tx)
            .await?;
            if let Some((id, nom)) = existing {
                return Err(SeedError::DemoAlreadyLoaded { id, nom });
            }
            demo_specs()
        }
        Kind::Scale(n) => {
            let names: Vec<String> =
                sqlx::query_scalar("SELECT nom FROM syndics WHERE nom LIKE 'Syndic Benchmark%'")
                    .fetch_all(&mut *tx)
                    .await?;
            let k = (1u32..)
                .find(|&k| !names.iter().any(|n| *n == benchmark_name(k)))
                .unwrap_or(1);
            vec![scale_spec(n, k)]
        }
    };

    let select: Vec<String> = TABLES
        .iter()
        .map(|t| format!("(SELECT coalesce(max(id), 0) FROM {t})"))
        .collect();
    let row = sqlx::query(sqlx::AssertSqlSafe(format!("SELECT {}", select.join(", "))))
        .fetch_one(&mut *tx)
        .await?;
    let mut maxima = Vec::with_capacity(TABLES.len());
    for i in 0..TABLES.len() {
        maxima.push(row.try_get::<i64, _>(i)?);
    }
    let ids = Ids::from_maxima(&maxima);

    // The generator runs on its own thread while this task inserts the previous chunk.
    let (sender, mut receiver) = tokio::sync::mpsc::channel::<Msg>(2);
    std::thread::spawn(move || {
        let generator = Generator::new(ids, today);
        let chunks = sender.clone();
        let result = generator.run(&specs, RESIDENCES_PER_CHUNK, |c| {
            chunks.blocking_send(Msg::Chunk(Box::new(c))).is_ok()
        });
        let _ = sender.blocking_send(match result {
            Ok(()) => Msg::Done,
            Err(e) => Msg::Failed(e),
        });
    });

    let mut counts: BTreeMap<String, u64> = TABLES.iter().map(|t| (t.to_string(), 0)).collect();
    let mut users = Vec::new();
    let mut syndics = Vec::new();
    let mut done = false;
    while let Some(msg) = receiver.recv().await {
        match msg {
            Msg::Chunk(mut chunk) => {
                for (table, n) in chunk.batch.flush(&mut tx, BATCH_ROWS).await? {
                    *counts.entry(table.to_string()).or_default() += n;
                }
                users.append(&mut chunk.users);
                syndics.extend(
                    chunk
                        .syndics
                        .drain(..)
                        .map(|(id, nom, residences)| SeededSyndic {
                            id,
                            nom,
                            residences,
                        }),
                );
            }
            Msg::Done => {
                done = true;
                break;
            }
            Msg::Failed(e) => return Err(e),
        }
    }
    if !done {
        return Err(SeedError::Generator(
            "the generator stopped before the end".into(),
        ));
    }

    if bulk_fk_check {
        sqlx::query("SET LOCAL session_replication_role = origin")
            .execute(&mut *tx)
            .await?;
        check_foreign_keys(&mut tx, &maxima).await?;
    }
    for t in TABLES {
        sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT setval(pg_get_serial_sequence('{t}', 'id'), m) \
             FROM (SELECT max(id) AS m FROM {t}) s WHERE m IS NOT NULL"
        )))
        .execute(&mut *tx)
        .await?;
    }
    tx.commit().await?;
    // Fresh statistics for the planner: without them, the first queries after a bulk load of
    // millions of rows pick bitmap plans 20 times slower than the index scans they deserve.
    sqlx::query(sqlx::AssertSqlSafe(format!(
        "ANALYZE {}",
        TABLES.join(", ")
    )))
    .execute(admin)
    .await?;

    let total_rows = counts.values().sum();
    let report = SeedReport {
        syndics,
        counts,
        total_rows,
        elapsed_ms: started.elapsed().as_millis() as u64,
        users,
    };
    tracing::info!(
        total_rows = report.total_rows,
        elapsed_ms = report.elapsed_ms,
        "seed loaded"
    );
    Ok(report)
}

/// Checks every foreign key of the seeded tables on the rows added (ids above `maxima`), one
/// anti-join per constraint: what the per-row triggers would have checked, in bulk.
async fn check_foreign_keys(
    conn: &mut sqlx::PgConnection,
    maxima: &[i64],
) -> Result<(), SeedError> {
    // (constraint, child table, parent table, child columns, parent columns)
    type ForeignKey = (String, String, String, Vec<String>, Vec<String>);
    let fks: Vec<ForeignKey> = sqlx::query_as(
        "SELECT c.conname::text, c.conrelid::regclass::text, c.confrelid::regclass::text,                 array_agg(quote_ident(a.attname) ORDER BY k.ord),                 array_agg(quote_ident(af.attname) ORDER BY k.ord)          FROM pg_constraint c          CROSS JOIN LATERAL unnest(c.conkey, c.confkey) WITH ORDINALITY AS k(ck, pk, ord)          JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = k.ck          JOIN pg_attribute af ON af.attrelid = c.confrelid AND af.attnum = k.pk          WHERE c.contype = 'f' AND c.conrelid = ANY($1::text[]::regclass[])          GROUP BY c.oid, c.conname, c.conrelid, c.confrelid ORDER BY c.conrelid::regclass::text, c.conname",
    )
    .bind(TABLES)
    .fetch_all(&mut *conn)
    .await?;
    for (name, child, parent, cols, pcols) in fks {
        let Some(pos) = TABLES.iter().position(|t| *t == child) else {
            continue;
        };
        let since = maxima.get(pos).copied().unwrap_or(0);
        let not_null: Vec<String> = cols.iter().map(|c| format!("c.{c} IS NOT NULL")).collect();
        let matches: Vec<String> = cols
            .iter()
            .zip(&pcols)
            .map(|(c, p)| format!("p.{p} = c.{c}"))
            .collect();
        let sql = format!(
            "SELECT count(*) FROM {child} c WHERE c.id > {since} AND {}              AND NOT EXISTS (SELECT 1 FROM {parent} p WHERE {})",
            not_null.join(" AND "),
            matches.join(" AND ")
        );
        let orphans: i64 = sqlx::query_scalar(sqlx::AssertSqlSafe(sql))
            .fetch_one(&mut *conn)
            .await?;
        if orphans > 0 {
            return Err(SeedError::Generator(format!(
                "{orphans} new row(s) of {child} violate foreign key {name}"
            )));
        }
    }
    Ok(())
}

fn benchmark_name(k: u32) -> String {
    if k <= 1 {
        BENCHMARK.to_string()
    } else {
        format!("{BENCHMARK} #{k}")
    }
}

fn dec6(x: f64) -> Decimal {
    Decimal::new((x * 1_000_000.0).round() as i64, 6)
}

fn staff(role: Role, nom: &str, email: &str) -> StaffSpec {
    StaffSpec {
        role,
        nom_complet: nom.to_string(),
        email: email.to_string(),
    }
}

/// Suppliers of services common to every résidence of a syndic.
fn service_suppliers(names: [(&str, &str, &str, &str); 8], syndic_ice: &str) -> Vec<SupplierSpec> {
    let keys = [
        (SupplierKey::Ascenseur, Categorie::Ascenseur),
        (SupplierKey::Gardiennage, Categorie::Gardiennage),
        (SupplierKey::Nettoyage, Categorie::Nettoyage),
        (SupplierKey::Jardinage, Categorie::Jardinage),
        (SupplierKey::Assurance, Categorie::Assurance),
        (SupplierKey::Honoraires, Categorie::HonorairesSyndic),
        (SupplierKey::Entretien, Categorie::Entretien),
        (SupplierKey::Travaux, Categorie::Travaux),
    ];
    keys.iter()
        .zip(names)
        .filter(|(_, n)| !n.0.is_empty())
        .map(|(&(key, cat), (nom, prefixe, tel, email))| {
            let mut s = SupplierSpec::new(key, nom, cat, prefixe).contact(tel, email);
            if key == SupplierKey::Honoraires {
                s.ice = Some(syndic_ice.to_string());
            }
            s
        })
        .collect()
}

#[allow(clippy::too_many_arguments)]
fn residence(
    nom: &str,
    adresse: &str,
    ville: &str,
    (lat, lon): (f64, f64),
    layout: Layout,
    slug: &str,
    distributeur: Distributeur,
    extras: Extras,
) -> ResidenceSpec {
    ResidenceSpec {
        nom: nom.to_string(),
        adresse: adresse.to_string(),
        ville: ville.to_string(),
        lat: dec6(lat),
        lon: dec6(lon),
        layout,
        slug: slug.to_string(),
        distributeur,
        chronic: 1,
        overpayer: false,
        societe: None,
        late_per_mille: 150,
        telegram: 1,
        whatsapp: 1,
        unverified: 0,
        president_telegram: false,
        compte: None,
        logins: true,
        demandes: 2,
        extras,
        budget_per_mille: 1000,
    }
}

fn demo_specs() -> Vec<SyndicSpec> {
    const ATLAS_ICE: &str = "001524876000083";
    const MANAR_ICE: &str = "002345918000045";
    let mut suppliers = vec![
        SupplierSpec::distributeur(RADEEMA),
        SupplierSpec::distributeur(LYDEC),
        SupplierSpec::distributeur(REDAL),
    ];
    suppliers.extend(service_suppliers(
        [
            (
                "Schindler Maroc",
                "SCH",
                "+212522975050",
                "service.client@ma.schindler.com",
            ),
            (
                "Gardia Sécurité Maroc SARL",
                "GSM",
                "+212522403311",
                "contact@gardia-securite.ma",
            ),
            (
                "Net Éclat Services SARL",
                "NES",
                "+212522861420",
                "facturation@neteclat.ma",
            ),
            (
                "Jardins de l'Atlas SARL",
                "JDA",
                "+212524339180",
                "contact@jardinsatlas.ma",
            ),
            (
                "Wafa Assurance",
                "WAF",
                "+212522545555",
                "entreprises@wafaassurance.ma",
            ),
            (
                "Atlas Syndic",
                "ATS",
                "+212522987654",
                "comptabilite@atlas-syndic.ma",
            ),
            (
                "Maintenance Pro Multiservices SARL",
                "MPM",
                "+212661204587",
                "devis@maintenancepro.ma",
            ),
            (
                "Étanchéité du Sud SARL",
                "EDS",
                "+212524305577",
                "contact@etancheite-sud.ma",
            ),
        ],
        ATLAS_ICE,
    ));

    let mut gueliz = residence(
        "Résidence Les Jardins de Guéliz",
        "27, rue de la Liberté, Guéliz",
        "Marrakech",
        (31.637_200, -8.012_400),
        Layout::Gueliz,
        "gueliz",
        RADEEMA,
        Extras {
            ag: true,
            reglement: Some(REGLEMENT_GUELIZ),
            draft: Some(2),
            lieu_ag: "Salle polyvalente de la résidence, rez-de-chaussée du bâtiment A".into(),
            documents: DOCUMENTS_GUELIZ,
        },
    );
    gueliz.chronic = 2;
    gueliz.telegram = 2;
    gueliz.unverified = 1;
    gueliz.president_telegram = true;
    gueliz.compte = Some(("Attijariwafa bank", "007450000123456004187218"));

    let mut maarif = residence(
        "Résidence Al Maârif",
        "112, boulevard Zerktouni, Maârif",
        "Casablanca",
        (33.582_100, -7.633_500),
        Layout::Maarif,
        "maarif",
        LYDEC,
        Extras {
            draft: Some(0),
            ..Extras::default()
        },
    );
    maarif.overpayer = true;
    maarif.societe = Some(SOCIETES[0].to_string());
    maarif.whatsapp = 2;
    maarif.late_per_mille = 170;
    maarif.compte = Some(("Bank of Africa", "011780000025814000731607"));

    let mut agdal = residence(
        "Résidence Agdal Parc",
        "15, avenue de France, Agdal",
        "Rabat",
        (33.996_400, -6.850_300),
        Layout::Agdal,
        "agdal",
        REDAL,
        Extras {
            draft: Some(1),
            ..Extras::default()
        },
    );
    agdal.compte = Some(("CIH Bank", "230810000441130000952733"));

    let atlas = SyndicSpec {
        nom: DEMO_SYNDICS[0].to_string(),
        ice: ATLAS_ICE.to_string(),
        ville: "Casablanca".into(),
        telephone: "+212522987654".into(),
        email: "contact@atlas-syndic.ma".into(),
        domain: "atlas-syndic.ma".into(),
        style: Style::Realistic,
        seed: DEMO_SEED,
        staff: vec![
            staff(Role::Admin, "Hamid Kettani", "admin@atlas-syndic.ma"),
            staff(
                Role::Gestionnaire,
                "Salma Bennis",
                "gestionnaire@atlas-syndic.ma",
            ),
            staff(
                Role::Comptable,
                "Rachid Amrani",
                "comptable@atlas-syndic.ma",
            ),
        ],
        staff_telegram: vec![Role::Gestionnaire],
        suppliers,
        residences: vec![gueliz, maarif, agdal],
        report_coowners: true,
    };

    let mut manar_suppliers = vec![SupplierSpec::distributeur(AMENDIS)];
    manar_suppliers.extend(service_suppliers(
        [
            ("", "", "", ""),
            (
                "Tanja Gardiennage SARL",
                "TGS",
                "+212539940211",
                "contact@tanjagardiennage.ma",
            ),
            (
                "Clean Nord Services SARL",
                "CNS",
                "+212539372840",
                "factures@cleannord.ma",
            ),
            ("", "", "", ""),
            (
                "AXA Assurance Maroc",
                "AXA",
                "+212522889292",
                "entreprises@axa.ma",
            ),
            (
                "Syndic Al Manar",
                "SAM",
                "+212539334455",
                "contact@almanar-syndic.ma",
            ),
            (
                "Détroit Multiservices SARL",
                "DMS",
                "+212661778854",
                "contact@detroit-multiservices.ma",
            ),
            ("", "", "", ""),
        ],
        MANAR_ICE,
    ));
    let mut malabata = residence(
        "Résidence Les Terrasses de Malabata",
        "Route de Malabata, lotissement Al Manar",
        "Tanger",
        (35.773_600, -5.770_200),
        Layout::Manar,
        "malabata",
        AMENDIS,
        Extras::default(),
    );
    // Al Manar has a single login: its gestionnaire.
    malabata.logins = false;
    malabata.telegram = 0;
    malabata.whatsapp = 0;
    malabata.demandes = 1;
    let manar = SyndicSpec {
        nom: DEMO_SYNDICS[1].to_string(),
        ice: MANAR_ICE.to_string(),
        ville: "Tanger".into(),
        telephone: "+212539334455".into(),
        email: "contact@almanar-syndic.ma".into(),
        domain: "almanar-syndic.ma".into(),
        style: Style::Realistic,
        seed: DEMO_SEED ^ 0xA1,
        staff: vec![staff(
            Role::Gestionnaire,
            "Yassine Tahiri",
            "gestionnaire@almanar-syndic.ma",
        )],
        staff_telegram: vec![],
        suppliers: manar_suppliers,
        residences: vec![malabata],
        report_coowners: false,
    };
    vec![atlas, manar]
}

fn scale_spec(n: u32, k: u32) -> SyndicSpec {
    let nom = benchmark_name(k);
    let domain = if k <= 1 {
        "benchmark.wakil.ma".to_string()
    } else {
        format!("benchmark-{k}.wakil.ma")
    };
    let ice = format!("{:015}", 900_000_000_000_000_u64 + u64::from(k));
    let mut suppliers: Vec<SupplierSpec> = Vec::new();
    for v in VILLES {
        if !suppliers.iter().any(|s| s.nom == v.distributeur.nom) {
            suppliers.push(SupplierSpec::distributeur(v.distributeur));
        }
    }
    suppliers.extend(service_suppliers(
        [
            ("Otis Maroc", "OTI", "+212522956000", "contact@otis.ma"),
            (
                "Sécurité Plus Gardiennage SARL",
                "SPG",
                "+212522300100",
                "contact@securiteplus.ma",
            ),
            (
                "Propreté Services Maroc SARL",
                "PSM",
                "+212522300200",
                "contact@proprete.ma",
            ),
            (
                "Espaces Verts du Maroc SARL",
                "EVM",
                "+212522300300",
                "contact@espacesverts.ma",
            ),
            (
                "RMA Assurance",
                "RMA",
                "+212522312424",
                "entreprises@rmaassurance.com",
            ),
            (
                nom.as_str(),
                "SBK",
                "+212522300000",
                "comptabilite@benchmark.wakil.ma",
            ),
            (
                "Multi Maintenance Maroc SARL",
                "MMM",
                "+212522300400",
                "contact@multimaintenance.ma",
            ),
            (
                "Bâtiment Étanchéité Maroc SARL",
                "BEM",
                "+212522300500",
                "contact@bem.ma",
            ),
        ],
        &ice,
    ));
    let mut rng = Rng::derive(SCALE_SEED, u64::from(k));
    let residences = (0..n as usize)
        .map(|i| {
            let v = VILLES[i % VILLES.len()];
            let layout = Layout::CYCLE[i % Layout::CYCLE.len()];
            let quartier = *rng.pick(v.quartiers);
            let nom = format!(
                "Résidence {} {}",
                NOMS_RESIDENCES[i % NOMS_RESIDENCES.len()],
                i / NOMS_RESIDENCES.len() + 1
            );
            let adresse = format!("{}, {}, {}", rng.range(1, 240), rng.pick(RUES), quartier);
            let lat = v.lat + rng.range(-30_000, 30_000) as f64 / 1_000_000.0;
            let lon = v.lon + rng.range(-30_000, 30_000) as f64 / 1_000_000.0;
            let mut r = residence(
                &nom,
                &adresse,
                v.nom,
                (lat, lon),
                layout,
                &format!("r{}", i + 1),
                v.distributeur,
                Extras::default(),
            );
            r.overpayer = i % 5 == 0;
            r.societe =
                (layout == Layout::Maarif).then(|| SOCIETES[i % SOCIETES.len()].to_string());
            r.demandes = 1;
            r.budget_per_mille = rng.range(900, 1150);
            r
        })
        .collect();
    SyndicSpec {
        nom: nom.clone(),
        ice,
        ville: "Casablanca".into(),
        telephone: "+212522300000".into(),
        email: format!("contact@{domain}"),
        style: Style::Synthetic,
        seed: SCALE_SEED.wrapping_add(u64::from(k)),
        staff: vec![
            staff(Role::Admin, "Admin Benchmark", &format!("admin@{domain}")),
            staff(
                Role::Gestionnaire,
                "Gestionnaire Benchmark",
                &format!("gestionnaire@{domain}"),
            ),
            staff(
                Role::Comptable,
                "Comptable Benchmark",
                &format!("comptable@{domain}"),
            ),
        ],
        domain,
        staff_telegram: vec![],
        suppliers,
        residences,
        report_coowners: false,
    }
}

#[cfg(test)]
mod tests;
