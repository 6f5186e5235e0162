//! `wakil bench render`: the time to produce the generated documents, on fresh demo data. Each
//! document is a named [`Case`] run N times: its figures read from PostgreSQL (SQL) and its
//! rendering (CPU, on a blocking thread) are timed apart; the median, p95 and max of each are
//! printed. Another document is one more entry in [`CASES`].

use crate::converse::{DEMO_DATE, percentiles};
use anyhow::{Context, Result};
use std::future::Future;
use std::path::Path;
use std::pin::Pin;
use std::time::Instant;
use wakil_schema::database::Database;
use wakil_schema::{Caller, Canal, Clock, Role, seed};
use wakil_tools::rapport::{self, Dossier};
use wakil_tools::{FileStore, ToolContext};
use wakil_tools::{Tool, ag};

pub struct Options {
    pub runs: usize,
    /// The résidence of the documents (name, city or id).
    pub residence: String,
    /// The year of the yearly report (default: the year before the demo's date).
    pub annee: Option<i32>,
}

/// What the cases run with: the demo's gestionnaire on the demo data, dated like the demo.
pub struct Bench {
    pub ctx: ToolContext,
    pub caller: Caller,
    pub residence: String,
    pub annee: i32,
}

/// One run of a case.
pub struct Mesure {
    pub sql_ms: f64,
    pub rendu_ms: f64,
    /// What was produced ("2 pages, 44 Ko"), to show once.
    pub taille: String,
}

type CaseFuture<'a> = Pin<Box<dyn Future<Output = Result<Mesure>> + Send + 'a>>;

/// A document to time: its name, and one run (read its figures, render them).
pub struct Case {
    pub nom: &'static str,
    pub run: for<'a> fn(&'a Bench) -> CaseFuture<'a>,
}

pub const CASES: &[Case] = &[
    Case {
        nom: "rapport annuel (PDF)",
        run: rapport_pdf,
    },
    Case {
        nom: "rapport annuel (Excel)",
        run: rapport_xlsx,
    },
    Case {
        nom: "PV de la dernière AG (PDF)",
        run: pv,
    },
];

fn rapport_pdf(b: &Bench) -> CaseFuture<'_> {
    Box::pin(rapport(b, |d| {
        let pdf = rapport::pdf(d)?;
        Ok(format!("{} pages, {}", pdf.pages, ko(pdf.bytes.len())))
    }))
}

fn rapport_xlsx(b: &Bench) -> CaseFuture<'_> {
    Box::pin(rapport(b, |d| Ok(ko(rapport::xlsx(d)?.len()))))
}

/// The PV of the résidence's last AG held (the demo's AG of June): attendance, votes and
/// outcomes read, then rendered.
fn pv(b: &Bench) -> CaseFuture<'_> {
    Box::pin(async move {
        let start = Instant::now();
        let args = ag::ConsulterArgs {
            residence: Some(b.residence.clone()),
            date_ag: None,
        };
        let etat = <ag::ConsulterAg as Tool>::run(&b.ctx, &b.caller, args).await?;
        let pret = ag::lire_pv(&b.ctx, &b.caller, etat.assemblee.id).await?;
        let sql_ms = ms(start);
        blocking(
            move || {
                let pdf = pret.render()?;
                Ok(format!("{} pages, {}", pdf.pages, ko(pdf.bytes.len())))
            },
            sql_ms,
        )
        .await
    })
}

/// The yearly report of the bench's résidence and year: its figures, then `render`.
async fn rapport(b: &Bench, render: fn(&Dossier) -> Result<String>) -> Result<Mesure> {
    let args = rapport::Args {
        residence: Some(b.residence.clone()),
        annee: Some(b.annee),
        format: None,
    };
    let start = Instant::now();
    let dossier = Dossier::read(&b.ctx, &b.caller, &args).await?;
    let sql_ms = ms(start);
    blocking(move || render(&dossier), sql_ms).await
}

/// Runs `render` on a blocking thread (as the tools do) and times it there.
async fn blocking(
    render: impl FnOnce() -> Result<String> + Send + 'static,
    sql_ms: f64,
) -> Result<Mesure> {
    tokio::task::spawn_blocking(move || {
        let start = Instant::now();
        let taille = render()?;
        Ok(Mesure {
            sql_ms,
            rendu_ms: ms(start),
            taille,
        })
    })
    .await?
}

fn ms(start: Instant) -> f64 {
    start.elapsed().as_secs_f64() * 1000.0
}

fn ko(bytes: usize) -> String {
    format!("{} Ko", bytes.div_ceil(1024))
}

/// Loads the demo in `db` (a scratch database): the tools' context on it, dated like the demo,
/// and its first syndic's gestionnaire.
pub(crate) async fn demo_gestionnaire(
    db: &Database,
    files: FileStore,
) -> Result<(ToolContext, Caller)> {
    let admin = db.admin_pool().await?;
    seed::seed_demo(&admin, DEMO_DATE).await?;
    let gestionnaire = wakil_schema::store::list_users(&admin, false)
        .await?
        .into_iter()
        .find(|u| u.syndic == seed::DEMO_SYNDICS[0] && u.role == Role::Gestionnaire)
        .context("la démo n'a pas de gestionnaire")?;
    admin.close().await;
    let ctx = ToolContext::new(db.store(2).await?, Clock::Fixed(DEMO_DATE), files);
    let caller = ctx
        .store
        .caller_by_email(
            gestionnaire.email.as_deref().unwrap_or_default(),
            Canal::Cli,
        )
        .await?
        .context("gestionnaire de la démo")?;
    Ok((ctx, caller))
}

/// Loads the demo in a scratch database `wakil_bench` of the embedded server under `data_dir`,
/// runs every case `runs` times (after one warm-up run) and prints the statistics.
pub async fn run(data_dir: &Path, opts: Options) -> Result<()> {
    anyhow::ensure!(opts.runs > 0, "--runs doit être au moins 1");
    let db = Database::open_scratch(data_dir, "wakil_bench").await?;
    let outcome = async {
        let (ctx, caller) =
            demo_gestionnaire(&db, FileStore::new(data_dir.join("wakil_bench-fichiers"))).await?;
        let bench = Bench {
            ctx,
            caller,
            residence: opts.residence.clone(),
            annee: opts.annee.unwrap_or(chrono::Datelike::year(&DEMO_DATE) - 1),
        };
        let outcome = measure(&bench, opts.runs).await;
        bench.ctx.store.close().await;
        outcome
    }
    .await;
    db.close().await?;
    outcome
}

async fn measure(b: &Bench, runs: usize) -> Result<()> {
    println!(
        "Documents générés — démo au {}, résidence « {} », exercice {}, {runs} exécutions par document (après une d'échauffement)",
        DEMO_DATE.format("%d/%m/%Y"),
        b.residence,
        b.annee
    );
    let mut tailles = Vec::with_capacity(CASES.len());
    for case in CASES {
        tailles.push((case.run)(b).await.with_context(|| case.nom)?.taille);
    }
    // Round after round, every case once: a background hiccup (autovacuum after the load, another
    // process) weighs on all the cases alike.
    let mut mesures: Vec<Vec<Mesure>> = CASES.iter().map(|_| Vec::with_capacity(runs)).collect();
    for _ in 0..runs {
        for (case, m) in CASES.iter().zip(&mut mesures) {
            m.push((case.run)(b).await.with_context(|| case.nom)?);
        }
    }
    for ((case, taille), m) in CASES.iter().zip(tailles).zip(mesures) {
        let column = |f: fn(&Mesure) -> f64| percentiles(m.iter().map(f).collect());
        println!("\n{} — {taille}", case.nom);
        println!("  SQL    {}", column(|m| m.sql_ms));
        println!("  rendu  {}", column(|m| m.rendu_ms));
        println!("  total  {}", column(|m| m.sql_ms + m.rendu_ms));
    }
    Ok(())
}
