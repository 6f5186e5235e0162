//! Command-line interface: parsing and the commands of this stage of the product.

use crate::converse;
use anyhow::{Context, Result, bail};
use chrono::NaiveDate;
use clap::{Parser, Subcommand};
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Instant;
use wakil_schema::database::{Database, DbSource};
use wakil_schema::store::ImpayeFiltre;
use wakil_schema::{Caller, Canal, Clock, StatutOutbox, seed};
use wakil_tools::envoi::{Envoyeurs, OutboxConfig, OutboxWorker};
use wakil_tools::lecture::SecondAvis;
use wakil_tools::{Called, FileStore, ToolContext, ToolError};

/// `println!` that tolerates a closed pipe (`wakil users | head`) instead of panicking, so the
/// embedded server is still stopped cleanly.
macro_rules! out {
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        let _ = writeln!(std::io::stdout().lock(), $($arg)*);
    }};
}

#[derive(Debug, Parser)]
#[command(
    name = "wakil",
    version,
    about = "Wakil — l'assistant des syndics de copropriété"
)]
pub struct Cli {
    /// Data directory of the embedded PostgreSQL (ignored with DATABASE_URL).
    #[arg(long, env = "WAKIL_DATA_DIR", default_value = ".wakil", global = true)]
    data_dir: PathBuf,
    /// Use this PostgreSQL 16+ (with pgvector) instead of the embedded one: the owner's URL.
    #[arg(long, env = "DATABASE_URL", global = true, hide_env_values = true)]
    database_url: Option<String>,
    /// Password of the application role `wakil_app` on the DATABASE_URL server.
    #[arg(
        long,
        env = "WAKIL_APP_PASSWORD",
        global = true,
        hide_env_values = true
    )]
    app_password: Option<String>,
    /// Pretend today is this date (YYYY-MM-DD), for reproducible runs.
    #[arg(long, env = "WAKIL_TODAY", global = true)]
    today: Option<NaiveDate>,
    /// Where stored files (uploads, generated documents) are kept, for every command (default:
    /// <data-dir>/fichiers).
    #[arg(long, env = "WAKIL_FILES_DIR", global = true)]
    files_dir: Option<PathBuf>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Apply the database migrations.
    Migrate,
    /// Load data: the demo syndic (--demo) and/or N benchmark résidences (--scale N).
    Seed {
        #[arg(long)]
        demo: bool,
        #[arg(long, value_name = "N")]
        scale: Option<u32>,
    },
    /// Run a tool as a user and print its typed output (JSON, or French tables with --table).
    Tool {
        /// Tool name; omit to list the tools.
        name: Option<String>,
        /// Arguments as a JSON object.
        #[arg(default_value = "{}")]
        args: String,
        /// E-mail of the user to run as.
        #[arg(long = "as", value_name = "EMAIL")]
        as_user: Option<String>,
        /// Print French tables instead of JSON.
        #[arg(long)]
        table: bool,
        /// Print the JSON Schema of the tool's arguments.
        #[arg(long)]
        schema: bool,
    },
    /// List the users one can run tools as (staff; --all adds the co-owners).
    Users {
        #[arg(long)]
        all: bool,
    },
    /// Measure query_impayes for one résidence (latency percentiles and EXPLAIN ANALYZE), or
    /// with --question a whole fast-path turn (router, tool, conversation and audit writes);
    /// `bench ws`: many WebSocket sessions at once; `bench render`: the generated documents;
    /// `bench invoices`: the supplier-invoice reader on a synthetic corpus.
    #[command(args_conflicts_with_subcommands = true)]
    Bench {
        #[command(subcommand)]
        target: Option<BenchTarget>,
        /// Résidence (name or id); default: the first of the caller's.
        #[arg(long)]
        residence: Option<String>,
        /// A message answered by the fast path, timed end to end without the LLM.
        #[arg(long, conflicts_with = "residence")]
        question: Option<String>,
        /// E-mail of the user to run as.
        #[arg(long = "as", value_name = "EMAIL")]
        as_user: Option<String>,
        #[arg(long, default_value_t = 50)]
        runs: usize,
    },
    /// Stop the embedded PostgreSQL of --data-dir, whoever started it.
    Stop,
    /// Start the web chat server (loads the demo first when the database is empty).
    Serve {
        /// Address to listen on (127.0.0.1: this machine only).
        #[arg(long, env = "WAKIL_HOST", default_value = "127.0.0.1")]
        host: std::net::IpAddr,
        #[arg(long, env = "WAKIL_PORT", default_value_t = 8080)]
        port: u16,
        /// The fast path alone, without the LLM.
        #[arg(long)]
        no_llm: bool,
        /// Connections to PostgreSQL.
        #[arg(long, env = "WAKIL_DB_POOL", default_value_t = 16)]
        pool: u32,
    },
    /// The outbox of outbound messages (reminders…), latest first; --relancer ID queues a dead
    /// letter again.
    Outbox {
        /// Only this status: en_attente, envoi, envoye, echec, abandonne.
        #[arg(long, value_parser = statut_outbox)]
        statut: Option<StatutOutbox>,
        #[arg(long, default_value_t = 50)]
        limite: i64,
        /// Queue the abandoned message ID again (its attempts start over).
        #[arg(long, value_name = "ID")]
        relancer: Option<i64>,
    },
    /// Invite someone to use Wakil on Telegram or WhatsApp: the `inviter` tool, planned and run
    /// at once (running the command is the confirmation); prints the link or the code to give.
    Invite {
        /// The person: a co-owner's name, or a staff member's name or e-mail.
        #[arg(required = true)]
        personne: Vec<String>,
        /// E-mail of the staff member (admin or gestionnaire) who invites.
        #[arg(long = "as", value_name = "EMAIL")]
        as_user: String,
        /// telegram or whatsapp.
        #[arg(long, value_parser = ["telegram", "whatsapp"])]
        canal: String,
        /// WhatsApp: the number to link (a co-owner's registered number otherwise).
        #[arg(long)]
        telephone: Option<String>,
    },
    /// The document library: add a file (indexed at once), list, re-index.
    Docs {
        #[command(subcommand)]
        action: DocsAction,
    },
    /// Set a user's web password (read from the standard input).
    Passwd {
        /// The user's e-mail.
        email: String,
    },
    /// Ask one question from the terminal: the answer, the tool calls, and for a write the
    /// confirmation (asked on a terminal, or --confirm ID / --cancel ID afterwards).
    Ask {
        question: Vec<String>,
        /// E-mail of the user to ask as.
        #[arg(long = "as", value_name = "EMAIL")]
        as_user: String,
        /// The fast path alone, without the LLM.
        #[arg(long)]
        no_llm: bool,
        /// Confirm the pending action ID (printed by a previous ask).
        #[arg(long, value_name = "ID", conflicts_with = "cancel")]
        confirm: Option<uuid::Uuid>,
        /// Cancel the pending action ID.
        #[arg(long, value_name = "ID")]
        cancel: Option<uuid::Uuid>,
    },
    /// Run the evaluation suite on fresh demo data and print the scorecard (also written as
    /// JSON and Markdown).
    Eval {
        #[arg(long, value_enum, default_value = "fast-path")]
        mode: converse::EvalMode,
        /// Directory of the cases (TOML).
        #[arg(long, default_value = wakil_evals::CASES_DIR)]
        cases: PathBuf,
        /// Where the scorecard files go.
        #[arg(long, default_value = "eval-results")]
        out: PathBuf,
    },
}

#[derive(Debug, Subcommand)]
enum DocsAction {
    /// Add a file (PDF, scanned image, .txt, .md) to a résidence's library and index it; running
    /// the command is the confirmation.
    Add {
        file: PathBuf,
        /// E-mail of the staff member who adds it.
        #[arg(long = "as", value_name = "EMAIL")]
        as_user: String,
        /// reglement, pv, contrat, courrier or autre.
        #[arg(long = "type", value_parser = ["reglement", "pv", "contrat", "courrier", "autre"])]
        type_document: String,
        #[arg(long)]
        titre: Option<String>,
        /// The document's date (AAAA-MM-JJ; default today).
        #[arg(long)]
        date: Option<chrono::NaiveDate>,
        /// staff (default) or residence (shared with its co-owners).
        #[arg(long, value_parser = ["staff", "residence"])]
        visibilite: Option<String>,
        /// The résidence (name, city or id).
        #[arg(long)]
        residence: Option<String>,
    },
    /// The documents the user may read, with their indexing state.
    List {
        #[arg(long = "as", value_name = "EMAIL")]
        as_user: String,
        #[arg(long)]
        residence: Option<String>,
    },
    /// Queue one document (--id) or all that have a file again, and index them now: the same
    /// text rewrites nothing; a new embedding model embeds every passage.
    Reindex {
        #[arg(long = "as", value_name = "EMAIL")]
        as_user: String,
        #[arg(long)]
        id: Option<i64>,
    },
}

#[derive(Debug, Subcommand)]
enum BenchTarget {
    /// Open N WebSocket sessions on loopback, each asking a fast-path question at the same
    /// moment (the demo's users, round robin); print latency percentiles and errors.
    Ws {
        #[arg(long, default_value_t = 1000)]
        sessions: usize,
        /// A running server (default: one started here, without the LLM, on this database).
        #[arg(long)]
        url: Option<String>,
        /// The demo users' password.
        #[arg(long, default_value = seed::DEMO_PASSWORD)]
        password: String,
        /// What staff ask (co-owners ask "combien je dois ?").
        #[arg(
            long,
            default_value = "Quels sont les impayés de la résidence Guéliz ?"
        )]
        question: String,
        /// Logins and connections opened at once.
        #[arg(long, default_value_t = 64)]
        connect_concurrency: usize,
        /// Spread the questions over this many seconds (default: all at the same moment).
        #[arg(long, default_value_t = 0.0)]
        over: f64,
        /// PostgreSQL connections of the server started here.
        #[arg(long, default_value_t = 16)]
        pool: u32,
    },
    /// Render the generated documents (the yearly report as PDF and as Excel) N times on fresh
    /// demo data (a scratch database `wakil_bench`): median, p95 and max of the SQL and of the
    /// rendering, per document.
    Render {
        #[arg(long, default_value_t = 20)]
        runs: usize,
        /// Résidence of the documents.
        #[arg(long, default_value = "Guéliz")]
        residence: String,
        /// Year of the yearly report (default: the year before the demo's date).
        #[arg(long)]
        annee: Option<i32>,
    },
    /// Retrieval on the demo documents: the questions of evals/retrieval/questions.toml in
    /// full-text, vector and hybrid modes (recall@5, MRR@10), on fresh demo data (a scratch
    /// database); embeddings from WAKIL_EMBED_MODEL when it answers, else a lexical stand-in.
    Documents {
        #[arg(long, default_value = wakil_evals::retrieval::QUESTIONS_FILE)]
        questions: PathBuf,
        /// Use the lexical stand-in even when a model is configured.
        #[arg(long)]
        fake: bool,
    },
    /// Read synthetic supplier invoices (six layouts × N, each as its PDF, a 200-dpi scan and a
    /// degraded phone photo) with the OCR and the parser: precision and recall per field, exact
    /// fields per layout, time per page. Needs no database.
    Invoices {
        /// Invoices per layout.
        #[arg(long, default_value_t = 10)]
        per_layout: usize,
        /// Seed of the fictitious syndic and of every invoice.
        #[arg(long, default_value_t = 1)]
        seed: u64,
        /// Write the corpus (PDF, PNG, JPG, truth), the OCR text and the extractions there.
        #[arg(long)]
        keep: Option<PathBuf>,
    },
}

impl Cli {
    fn source(&self) -> Result<DbSource> {
        match &self.database_url {
            Some(url) if !url.is_empty() => Ok(DbSource::External {
                admin_url: url.clone(),
                app_password: self.app_password.clone().context(
                    "avec DATABASE_URL, définissez aussi WAKIL_APP_PASSWORD (mot de passe du rôle wakil_app)",
                )?,
            }),
            _ => Ok(DbSource::Embedded { data_dir: self.data_dir.clone() }),
        }
    }

    fn clock(&self) -> Clock {
        self.today.map_or(Clock::System, Clock::Fixed)
    }

    /// `command` loads its own demo data in a scratch database of the embedded server.
    fn embedded_only(&self, command: &str) -> Result<()> {
        if self.database_url.as_deref().is_some_and(|u| !u.is_empty()) {
            bail!(
                "{command} charge ses propres données de démonstration sur le serveur intégré : retirez DATABASE_URL"
            );
        }
        Ok(())
    }

    /// Where stored files (uploads, generated documents) keep their bytes: the same place for
    /// `serve` and for the commands that add or read files beside it.
    fn files(&self) -> FileStore {
        FileStore::new(
            self.files_dir
                .clone()
                .unwrap_or_else(|| self.data_dir.join("fichiers")),
        )
    }
}

pub async fn run(cli: Cli) -> Result<ExitCode> {
    match &cli.command {
        Command::Eval { mode, cases, out } => {
            cli.embedded_only("wakil eval")?;
            return converse::eval(&cli.data_dir, *mode, cases, out).await;
        }
        Command::Bench {
            target:
                Some(BenchTarget::Render {
                    runs,
                    residence,
                    annee,
                }),
            ..
        } => {
            cli.embedded_only("wakil bench render")?;
            let options = crate::bench_render::Options {
                runs: *runs,
                residence: residence.clone(),
                annee: *annee,
            };
            crate::bench_render::run(&cli.data_dir, options).await?;
            return Ok(ExitCode::SUCCESS);
        }
        Command::Bench {
            target: Some(BenchTarget::Documents { questions, fake }),
            ..
        } => {
            cli.embedded_only("wakil bench documents")?;
            crate::bench_documents::run(&cli.data_dir, questions, *fake).await?;
            return Ok(ExitCode::SUCCESS);
        }
        Command::Bench {
            target:
                Some(BenchTarget::Invoices {
                    per_layout,
                    seed,
                    keep,
                }),
            ..
        } => {
            let options = wakil_evals::invoices::bench::Options {
                per_layout: *per_layout,
                seed: *seed,
                today: cli.today.unwrap_or(converse::DEMO_DATE),
                keep: keep.clone(),
            };
            let report = tokio::task::spawn_blocking(move || {
                wakil_evals::invoices::bench::run(&options, |step| eprintln!("{step}"))
            })
            .await??;
            out!("{report}");
            return Ok(ExitCode::SUCCESS);
        }
        Command::Stop => {
            if cli.data_dir.join("pgdata/postmaster.pid").exists() {
                wakil_schema::embedded::EmbeddedPostgres::start(&cli.data_dir)
                    .await?
                    .shutdown()
                    .await?;
            }
            return Ok(ExitCode::SUCCESS);
        }
        Command::Tool { name: None, .. } => {
            list_tools();
            return Ok(ExitCode::SUCCESS);
        }
        Command::Tool {
            name: Some(name),
            schema: true,
            ..
        } => {
            let spec =
                wakil_tools::find(name).ok_or_else(|| ToolError::UnknownTool(name.clone()))?;
            out!("{}", serde_json::to_string_pretty(&(spec.args_schema)())?);
            return Ok(ExitCode::SUCCESS);
        }
        _ => {}
    }
    let db = Database::open(cli.source()?).await?;
    let outcome = with_database(&cli, &db).await;
    db.close().await?;
    outcome
}

async fn with_database(cli: &Cli, db: &Database) -> Result<ExitCode> {
    let today = cli.clock().today();
    match &cli.command {
        Command::Migrate => out!("Base de données à jour."),
        Command::Seed { demo, scale } => {
            if !demo && scale.is_none() {
                bail!("précisez --demo et/ou --scale N");
            }
            let admin = db.admin_pool().await?;
            if *demo {
                let report = seed::seed_demo(&admin, today).await?;
                out!("{}", serde_json::to_string_pretty(&report)?);
            }
            if let Some(n) = scale {
                let report = seed::seed_scale(&admin, *n, today).await?;
                out!("{}", serde_json::to_string_pretty(&report)?);
            }
            admin.close().await;
        }
        Command::Tool {
            name: Some(name),
            args,
            as_user,
            table,
            ..
        } => {
            let spec =
                wakil_tools::find(name).ok_or_else(|| ToolError::UnknownTool(name.clone()))?;
            let email = as_user.as_deref().ok_or_else(|| {
                usage("précisez l'utilisateur : --as EMAIL (la liste : wakil users)")
            })?;
            let args: serde_json::Value = serde_json::from_str(args).map_err(|_| {
                usage("les arguments doivent être un objet JSON, ex. '{\"residence\": \"Guéliz\"}'")
            })?;
            let (ctx, caller) = session(cli, db, email).await?;
            let result = spec.call(&ctx, &caller, args).await;
            ctx.store.close().await;
            let r = match result.inspect_err(|e| {
                if let ToolError::Internal(detail) = e {
                    tracing::error!(%detail, "tool failed");
                }
            })? {
                Called::Done(r) => r,
                Called::Pending(p) => {
                    out!("{}\n", p.summary);
                    for t in &p.tables {
                        out!("{}\n", t.to_text());
                    }
                    out!(
                        "Rien n'est écrit : une écriture se confirme dans une conversation (wakil ask \"…\" --as {email})."
                    );
                    return Ok(ExitCode::SUCCESS);
                }
            };
            if *table {
                out!("{}\n", r.summary);
                for t in &r.tables {
                    out!("{}\n", t.to_text());
                }
            } else {
                out!("{}", serde_json::to_string_pretty(&r.output)?);
            }
        }
        Command::Users { all } => {
            let admin = db.admin_pool().await?;
            for u in wakil_schema::store::list_users(&admin, *all).await? {
                let residence = u.residence.map(|r| format!(", {r}")).unwrap_or_default();
                out!(
                    "{:<40} {:<30} {} ({}{residence})",
                    u.email.as_deref().unwrap_or("(sans e-mail)"),
                    u.nom_complet,
                    u.syndic,
                    u.role.label()
                );
            }
            admin.close().await;
        }
        Command::Bench {
            target:
                Some(BenchTarget::Ws {
                    sessions,
                    url,
                    password,
                    question,
                    connect_concurrency,
                    over,
                    pool,
                }),
            ..
        } => {
            let options = crate::bench_ws::Options {
                sessions: *sessions,
                connect_concurrency: *connect_concurrency,
                password: password.clone(),
                question: question.clone(),
                over_s: over.max(0.0),
            };
            bench_ws(cli, db, url.as_deref(), *pool, options).await?;
        }
        Command::Bench {
            target: None,
            residence,
            question,
            as_user,
            runs,
        } => {
            let as_user = as_user.as_deref().ok_or_else(|| {
                usage("précisez l'utilisateur : --as EMAIL (la liste : wakil users)")
            })?;
            match question {
                Some(question) => {
                    let (ctx, caller) = session(cli, db, as_user).await?;
                    let outcome = converse::bench_turn(ctx.clone(), caller, question, *runs).await;
                    ctx.store.close().await;
                    outcome?;
                }
                None => bench(cli, db, residence.as_deref(), as_user, *runs).await?,
            }
        }
        Command::Ask {
            question,
            as_user,
            no_llm,
            confirm,
            cancel,
        } => {
            let (ctx, caller) = session(cli, db, as_user).await?;
            let decision = confirm
                .map(|id| (id, true))
                .or(cancel.map(|id| (id, false)));
            let outcome =
                converse::ask(ctx.clone(), caller, &question.join(" "), *no_llm, decision).await;
            ctx.store.close().await;
            return outcome;
        }
        Command::Serve {
            host,
            port,
            no_llm,
            pool,
        } => {
            let addr = std::net::SocketAddr::new(*host, *port);
            serve(cli, db, addr, *no_llm, *pool, cli.files()).await?;
        }
        Command::Passwd { email } => passwd(db, email).await?,
        Command::Invite {
            personne,
            as_user,
            canal,
            telephone,
        } => {
            let (ctx, caller) = session(cli, db, as_user).await?;
            let outcome = invite(
                &ctx,
                &caller,
                &personne.join(" "),
                canal,
                telephone.as_deref(),
            )
            .await;
            ctx.store.close().await;
            outcome?;
        }
        Command::Outbox {
            statut,
            limite,
            relancer,
        } => outbox(db, *statut, *limite, *relancer).await?,
        Command::Docs { action } => {
            let email = match action {
                DocsAction::Add { as_user, .. }
                | DocsAction::List { as_user, .. }
                | DocsAction::Reindex { as_user, .. } => as_user,
            };
            let (ctx, caller) = session(cli, db, email).await?;
            let outcome = match action {
                DocsAction::Add {
                    file,
                    type_document,
                    titre,
                    date,
                    visibilite,
                    residence,
                    ..
                } => {
                    let ajout = crate::docs::Ajout {
                        type_document,
                        titre: titre.as_deref(),
                        date: *date,
                        visibilite: visibilite.as_deref(),
                        residence: residence.as_deref(),
                    };
                    crate::docs::add(&ctx, &caller, file, &ajout).await
                }
                DocsAction::List { residence, .. } => {
                    crate::docs::list(&ctx, &caller, residence.as_deref()).await
                }
                DocsAction::Reindex { id, .. } => crate::docs::reindex(&ctx, &caller, *id).await,
            };
            ctx.store.close().await;
            outcome?;
        }
        Command::Tool { name: None, .. }
        | Command::Stop
        | Command::Eval { .. }
        | Command::Bench {
            target:
                Some(
                    BenchTarget::Render { .. }
                    | BenchTarget::Invoices { .. }
                    | BenchTarget::Documents { .. },
                ),
            ..
        } => {}
    }
    Ok(ExitCode::SUCCESS)
}

/// `wakil serve`: the demo when the database is empty, then the web chat until Ctrl-C.
async fn serve(
    cli: &Cli,
    db: &Database,
    addr: std::net::SocketAddr,
    no_llm: bool,
    pool: u32,
    files: FileStore,
) -> Result<()> {
    let admin = db.admin_pool().await?;
    let mut users = wakil_schema::store::list_users(&admin, false).await?;
    if users.is_empty() {
        out!("Base vide : chargement des données de démonstration…");
        seed::seed_demo(&admin, cli.clock().today()).await?;
        users = wakil_schema::store::list_users(&admin, false).await?;
    }
    seed::ensure_demo_passwords(&admin).await?;
    let coproprietaire = wakil_schema::store::list_users(&admin, true)
        .await?
        .into_iter()
        .find(|u| {
            u.role == wakil_schema::Role::Coproprietaire
                && u.email.is_some()
                && seed::DEMO_SYNDICS.contains(&u.syndic.as_str())
        });
    admin.close().await;

    let llm = if no_llm {
        None
    } else {
        Some(wakil_agent::llm::LlmClient::new(
            wakil_agent::llm::LlmConfig::from_env(),
        )?)
    };
    let config = wakil_web_chat::server::ServeConfig::from_env(addr);
    let (app, ctx) = build_server(cli, db, pool, llm, config, files, true).await?;
    let envoyeurs = Envoyeurs::from_config(&ctx.envoi).map_err(|e| anyhow::anyhow!(e))?;
    let app = app.with_outbox(OutboxWorker::new(
        ctx.store.clone(),
        envoyeurs,
        OutboxConfig::from_env(),
    ));
    let url = format!("http://{}", app.local_addr()?);
    out!("\nWakil — chat web : {url}\n");
    let canaux: Vec<&str> = [Canal::Telegram, Canal::Whatsapp, Canal::Email]
        .into_iter()
        .filter(|c| ctx.envoi.configure(*c))
        .map(|c| c.label())
        .collect();
    if canaux.is_empty() {
        out!(
            "Relances : aucun canal d'envoi configuré (Telegram, WhatsApp, SMTP) : les relances sont à faire manuellement.\n"
        );
    } else {
        out!("Relances envoyées par : {}.\n", canaux.join(", "));
    }
    let demo: Vec<_> = users
        .iter()
        .filter(|u| seed::DEMO_SYNDICS.contains(&u.syndic.as_str()))
        .chain(coproprietaire.iter())
        .collect();
    if !demo.is_empty() {
        out!(
            "Comptes de démonstration (mot de passe : {}) :",
            seed::DEMO_PASSWORD
        );
        for u in demo {
            let residence = u
                .residence
                .as_deref()
                .map(|r| format!(", {r}"))
                .unwrap_or_default();
            out!(
                "  {:<36} {} ({}{residence})",
                u.email.as_deref().unwrap_or("(sans e-mail)"),
                u.nom_complet,
                u.role.label()
            );
        }
    }
    out!("\nCtrl-C pour arrêter.");
    app.run_until_stopped(shutdown_signal()).await?;
    out!("Serveur arrêté.");
    ctx.store.close().await;
    Ok(())
}

/// How long the model's second opinion on an invoice is awaited (`WAKIL_FACTURE_LLM_SECS`,
/// 5 to 600 seconds, default 60); past it the parser's reading stands alone.
fn second_avis_timeout() -> std::time::Duration {
    let secs = std::env::var("WAKIL_FACTURE_LLM_SECS")
        .ok()
        .and_then(|v| v.trim().parse::<u64>().ok())
        .filter(|s| (5..=600).contains(s))
        .unwrap_or(60);
    std::time::Duration::from_secs(secs)
}

/// The web chat server on this database (`llm: None`: the fast path alone), and the tools'
/// context it runs with (to close its pool afterwards).
async fn build_server(
    cli: &Cli,
    db: &Database,
    pool: u32,
    llm: Option<wakil_agent::llm::LlmClient>,
    mut config: wakil_web_chat::server::ServeConfig,
    files: FileStore,
    bots: bool,
) -> Result<(wakil_web_chat::server::Application, ToolContext)> {
    let mut ctx = ToolContext::new(db.store(pool).await?, cli.clock(), files);
    // The model, when enabled, gives a second opinion on each invoice read.
    if let Some(llm) = &llm {
        ctx.lecture = ctx.lecture.clone().with_second_avis(Some(SecondAvis {
            url: llm.config().host.clone(),
            model: llm.config().model.clone(),
            timeout: second_avis_timeout(),
        }));
    }
    match ctx.lecture.reader() {
        Ok(reader) => out!(
            "Lecture des factures : {}{}.",
            reader.engine_name(),
            if ctx.lecture.second_avis.is_some() {
                " + second avis du modèle"
            } else {
                ""
            }
        ),
        Err(why) => out!("Lecture des factures : indisponible ({why})"),
    }
    // Whether document search is hybrid now; the indexing job keeps trying the model.
    match &ctx.bibliotheque.embedder {
        Some(e) => match e.essayer(std::time::Duration::from_secs(5)).await {
            Ok(()) => out!(
                "Documents : recherche hybride (plein texte + {}).",
                e.modele()
            ),
            Err(why) => out!(
                "Documents : plein texte seul tant que le modèle d'embeddings ne répond pas ({why})."
            ),
        },
        None => out!("Documents : recherche plein texte seule (WAKIL_EMBED_MODEL=aucun)."),
    }
    if bots {
        (config.telegram, config.whatsapp) =
            wakil_web_chat::channels::settings_from_env(&ctx.envoi);
        match &config.telegram {
            Some(t) if t.webhook.is_some() => {
                out!("Telegram : bot actif (webhook /telegram/webhook).")
            }
            Some(_) => out!("Telegram : bot actif (long polling)."),
            None => out!("Telegram : inactif (TELEGRAM_BOT_TOKEN non défini)."),
        }
        if config.whatsapp.is_some() {
            out!("WhatsApp : webhook actif sur /whatsapp/webhook.");
        } else {
            out!("WhatsApp : réception inactive (voir « Telegram et WhatsApp » dans le README).");
        }
    }
    let agent = wakil_agent::engine::Agent::new(
        ctx.clone(),
        llm,
        wakil_agent::engine::AgentConfig::from_env(),
    );
    let app = wakil_web_chat::server::Application::build(agent, config).await?;
    Ok((app, ctx))
}

/// `wakil bench ws`: against `url`, or a server started here on port 0 (fast path alone).
async fn bench_ws(
    cli: &Cli,
    db: &Database,
    url: Option<&str>,
    pool: u32,
    options: crate::bench_ws::Options,
) -> Result<()> {
    let admin = db.admin_pool().await?;
    let users: Vec<_> = wakil_schema::store::list_users(&admin, true)
        .await?
        .into_iter()
        .filter(|u| seed::DEMO_SYNDICS.contains(&u.syndic.as_str()))
        .collect();
    admin.close().await;
    if let Some(url) = url {
        let client = wakil_web_chat::client::Client::new(url);
        return crate::bench_ws::run(client, users, options).await;
    }
    let config = wakil_web_chat::server::ServeConfig::new("127.0.0.1:0".parse()?);
    let (app, ctx) = build_server(cli, db, pool, None, config, cli.files(), false).await?;
    let client = wakil_web_chat::client::Client::new(format!("http://{}", app.local_addr()?));
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(app.run_until_stopped(async move {
        let _ = stopped.await;
    }));
    println!(
        "Serveur de mesure : {} (pool PostgreSQL {pool}, sans LLM)",
        client.base
    );
    let outcome = crate::bench_ws::run(client, users, options).await;
    let _ = stop.send(());
    server.await??;
    ctx.store.close().await;
    outcome
}

/// Ctrl-C or SIGTERM.
async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending().await,
        }
    };
    tokio::select! {
        () = ctrl_c => {}
        () = term => {}
    }
}

/// `wakil invite`: the `inviter` tool's plan, then its execution under a fresh confirmation id.
async fn invite(
    ctx: &ToolContext,
    caller: &Caller,
    personne: &str,
    canal: &str,
    telephone: Option<&str>,
) -> Result<()> {
    let mut args = serde_json::json!({ "personne": personne, "canal": canal });
    if let Some(t) = telephone {
        args["telephone"] = serde_json::Value::String(t.to_string());
    }
    let r = confirmed(ctx, caller, "inviter", args).await?;
    out!("{}\n", r.summary);
    if let Some(lien) = r.output["lien"].as_str() {
        out!("Lien : {lien}");
    }
    if let Some(code) = r.output["code"].as_str() {
        out!("Code : {code}");
    }
    if let Some(i) = r.output["instructions"].as_str() {
        out!("\n{i}");
    }
    Ok(())
}

/// A write planned and run at once: running the command is the confirmation.
pub(crate) async fn confirmed(
    ctx: &ToolContext,
    caller: &Caller,
    tool: &str,
    args: serde_json::Value,
) -> Result<wakil_tools::ToolResult> {
    let spec = wakil_tools::find(tool).with_context(|| format!("outil {tool}"))?;
    let plan = match spec.call(ctx, caller, args).await? {
        Called::Pending(p) => p,
        Called::Done(r) => {
            anyhow::bail!("{tool} aurait dû attendre une confirmation : {}", r.summary)
        }
    };
    Ok(spec
        .execute(ctx, caller, plan.plan, uuid::Uuid::new_v4())
        .await
        .inspect_err(|e| {
            if let ToolError::Internal(detail) = e {
                tracing::error!(%detail, "{tool} failed");
            }
        })?)
}

/// `wakil passwd EMAIL`: the new password from the first line of the standard input.
async fn passwd(db: &Database, email: &str) -> Result<()> {
    use std::io::{BufRead, IsTerminal};
    if std::io::stdin().is_terminal() {
        eprint!("Nouveau mot de passe pour {email} (il s'affiche) : ");
    }
    let mut line = String::new();
    std::io::stdin().lock().read_line(&mut line)?;
    let password = line.trim_end_matches(['\r', '\n']).to_string();
    if password.chars().count() < 8 {
        return Err(usage("mot de passe trop court : 8 caractères au moins").into());
    }
    let hash = wakil_web_chat::server::hash_password(password)
        .await
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    let store = db.store(1).await?;
    let done = store.set_password_hash(email, &hash).await?;
    store.close().await;
    if !done {
        return Err(usage(&format!(
            "aucun utilisateur actif « {email} » (la liste : wakil users)"
        ))
        .into());
    }
    out!("Mot de passe changé ; les sessions ouvertes de {email} sont fermées.");
    Ok(())
}

/// `wakil outbox`: the messages (owner pool, every syndic), or a dead letter queued again.
async fn outbox(
    db: &Database,
    statut: Option<StatutOutbox>,
    limite: i64,
    relancer: Option<i64>,
) -> Result<()> {
    let admin = db.admin_pool().await?;
    let outcome = async {
        if let Some(id) = relancer {
            if !wakil_schema::store::relancer_abandonne(&admin, id).await? {
                return Err(usage(&format!(
                    "le message {id} n'est pas abandonné (la liste : wakil outbox --statut abandonne)"
                ))
                .into());
            }
            out!("Message {id} remis en file d'envoi.");
            return Ok(());
        }
        let lignes = wakil_schema::store::lister_outbox(&admin, statut, limite.clamp(1, 10_000)).await?;
        if lignes.is_empty() {
            out!("Aucun message.");
        }
        for l in lignes {
            let quand = match (l.envoye_le, l.statut) {
                (Some(le), _) => format!("envoyé le {}", heure(le)),
                (None, StatutOutbox::Abandonne) => String::new(),
                (None, _) => format!("prochain essai {}", heure(l.prochaine_tentative)),
            };
            out!(
                "#{:<6} {:<20} {:<9} {:<28} {:<26} {} essai(s) {quand}",
                l.id,
                l.syndic,
                l.canal.label(),
                l.destinataire,
                l.statut.label(),
                l.tentatives
            );
            if let Some(e) = l.derniere_erreur.filter(|_| l.statut != StatutOutbox::Envoye) {
                out!("        {e}");
            }
        }
        Ok(())
    }
    .await;
    admin.close().await;
    outcome
}

/// "15/11/2026 14:05" in Africa/Casablanca.
fn heure(t: chrono::DateTime<chrono::Utc>) -> String {
    t.with_timezone(&chrono_tz::Africa::Casablanca)
        .format("%d/%m/%Y %H:%M")
        .to_string()
}

fn statut_outbox(s: &str) -> Result<StatutOutbox, String> {
    serde_json::from_value(serde_json::Value::String(s.trim().to_string()))
        .map_err(|_| "statuts possibles : en_attente, envoi, envoye, echec, abandonne".to_string())
}

/// A request the user must correct: printed as is, exit code 3 (see `main`).
fn usage(message: &str) -> ToolError {
    ToolError::InvalidArgs(message.to_string())
}

/// The tools' context and the caller behind `--as EMAIL`.
async fn session(cli: &Cli, db: &Database, email: &str) -> Result<(ToolContext, Caller)> {
    let ctx = ToolContext::new(db.store(4).await?, cli.clock(), cli.files());
    let caller = ctx
        .store
        .caller_by_email(email, Canal::Cli)
        .await?
        .ok_or_else(|| {
            usage(&format!(
                "aucun utilisateur actif « {email} » (la liste : wakil users)"
            ))
        })?;
    Ok((ctx, caller))
}

fn list_tools() {
    for t in wakil_tools::catalog() {
        let roles: Vec<&str> = wakil_schema::Role::ALL
            .iter()
            .filter(|r| (t.allowed)(**r))
            .map(|r| r.label())
            .collect();
        let kind = match t.kind {
            wakil_tools::ToolKind::Read => "lecture",
            wakil_tools::ToolKind::Write => "écriture, après confirmation",
        };
        out!(
            "{} ({kind}) — {}\n    rôles : {}\n",
            t.name,
            t.description,
            roles.join(", ")
        );
    }
}

/// Times query_impayes for one résidence through the tool (scope check, RLS, SQL) and prints
/// the percentiles and the query plan.
async fn bench(
    cli: &Cli,
    db: &Database,
    residence: Option<&str>,
    email: &str,
    runs: usize,
) -> Result<()> {
    let (ctx, caller) = session(cli, db, email).await?;
    let mut t = ctx.store.tenant_read(caller.syndic_id).await?;
    let first = t
        .residences(caller.residence_scope())
        .await?
        .into_iter()
        .next();
    let residences = t.residences(None).await?.len();
    t.commit().await?;
    let spec = wakil_tools::find("query_impayes").context("query_impayes")?;
    // The résidence is resolved by the tool itself (scope, closest matches, French errors).
    let asked = match residence {
        Some(q) => q.to_string(),
        None => first.context("aucune résidence")?.id.to_string(),
    };
    let warm_up = spec
        .call(&ctx, &caller, serde_json::json!({ "residence": asked }))
        .await?
        .done()?;
    let res: wakil_schema::store::ResidenceRef =
        serde_json::from_value(warm_up.output["residence"].clone())?;
    let args = serde_json::json!({ "residence": res.id.to_string() });
    let mut times = Vec::with_capacity(runs);
    let mut lines = 0;
    for _ in 0..runs.max(1) {
        let start = Instant::now();
        let r = spec.call(&ctx, &caller, args.clone()).await?.done()?;
        times.push(start.elapsed().as_secs_f64() * 1000.0);
        lines = r.output["nombre_lignes"].as_u64().unwrap_or(0);
    }
    out!(
        "query_impayes — {} (id {}), syndic de {residences} résidences, {lines} lignes, {} exécutions",
        res.nom,
        res.id,
        times.len()
    );
    out!("{}", converse::percentiles(times));
    let mut t = ctx.store.tenant_read(caller.syndic_id).await?;
    let plan = t
        .explain_impayes(
            cli.clock().today(),
            &ImpayeFiltre {
                residence_id: Some(res.id),
                ..Default::default()
            },
        )
        .await?;
    t.commit().await?;
    out!("\nEXPLAIN (ANALYZE, BUFFERS) :\n{}", plan.join("\n"));
    ctx.store.close().await;
    Ok(())
}
