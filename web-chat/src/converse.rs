//! `wakil ask` (one turn from the terminal) and `wakil eval` (the evaluation suite).

use anyhow::{Context, Result};
use std::io::{BufRead, IsTerminal, Write};
use std::path::Path;
use std::process::ExitCode;
use tokio::sync::mpsc::UnboundedReceiver;
use uuid::Uuid;
use wakil_agent::engine::{Agent, AgentConfig};
use wakil_agent::event::{Inbound, Outbound, TurnReport};
use wakil_agent::llm::{LlmClient, LlmConfig};
use wakil_evals::Mode;
use wakil_schema::database::Database;
use wakil_schema::{Caller, Clock};
use wakil_tools::ToolContext;

#[derive(Debug, Clone, Copy, clap::ValueEnum)]
pub enum EvalMode {
    FastPath,
    Scripted,
    Ollama,
}

/// The date the demo data is generated for by `eval` and `bench render` (the evaluation cases'
/// figures were written for it).
pub(crate) const DEMO_DATE: chrono::NaiveDate = match chrono::NaiveDate::from_ymd_opt(2026, 11, 15)
{
    Some(d) => d,
    None => panic!("invalid evaluation date"),
};

pub async fn ask(
    ctx: ToolContext,
    caller: Caller,
    question: &str,
    no_llm: bool,
    decision: Option<(Uuid, bool)>,
) -> Result<ExitCode> {
    let llm = if no_llm {
        None
    } else {
        Some(LlmClient::new(LlmConfig::from_env())?)
    };
    let agent = Agent::new(ctx, llm, AgentConfig::from_env());
    let (tx, rx) = tokio::sync::mpsc::unbounded_channel();
    let printer = tokio::spawn(print_events(rx));
    let mut report = match decision {
        Some((id, confirm)) => agent.decide(&caller, id, confirm, &tx).await?,
        None => {
            if question.trim().is_empty() {
                anyhow::bail!("posez une question, ex. wakil ask \"impayés de Guéliz\" --as EMAIL");
            }
            let inbound = Inbound::text(caller.clone(), question, None);
            agent.handle(inbound, &tx).await?
        }
    };
    // On a terminal, a write is confirmed right here.
    if let Some(id) = report.pending {
        if std::io::stdin().is_terminal() {
            let yes = confirm_on_terminal()?;
            report = agent.decide(&caller, id, yes, &tx).await?;
        } else {
            eprintln!(
                "En attente de confirmation. Confirmer : wakil ask --confirm {id} --as EMAIL ; annuler : --cancel {id}"
            );
        }
    }
    drop(tx);
    printer.await?;
    print_calls(&report);
    Ok(ExitCode::SUCCESS)
}

fn confirm_on_terminal() -> Result<bool> {
    eprint!("Confirmer ? [o/N] ");
    std::io::stderr().flush()?;
    let mut line = String::new();
    std::io::stdin().lock().read_line(&mut line)?;
    Ok(wakil_agent::router::yes_no(&line) == Some(true))
}

async fn print_events(mut rx: UnboundedReceiver<Outbound>) {
    let mut stdout = std::io::stdout();
    while let Some(event) = rx.recv().await {
        // A closed pipe (`| head`) is not an error worth stopping for.
        let _ = match event {
            Outbound::Text { text } => write!(stdout, "{text}").and_then(|_| stdout.flush()),
            Outbound::Activity { label, .. } => {
                eprintln!("… {label}");
                Ok(())
            }
            Outbound::Table { table } => write!(stdout, "\n\n{}\n", table.to_text()),
            Outbound::Confirmation {
                id,
                summary,
                tables,
            } => {
                let mut text = format!("\n{summary}\n");
                for t in tables {
                    text.push_str(&format!("\n{}\n", t.to_text()));
                }
                text.push_str(&format!("(action {id})\n"));
                write!(stdout, "{text}")
            }
            Outbound::Notice { text } => write!(stdout, "\n[{text}]\n"),
            Outbound::File { file } => write!(stdout, "\n📎 {} ({})\n", file.nom, file.mime),
        };
    }
    let _ = writeln!(stdout);
}

fn print_calls(report: &TurnReport) {
    eprintln!(
        "— {:?}, {} appel(s) au modèle, {} jetons de prompt",
        report.path, report.model_calls, report.prompt_tokens
    );
    for c in &report.calls {
        eprintln!(
            "— outil {} {} → {}",
            c.tool,
            c.args,
            serde_json::to_string(&c.outcome).unwrap_or_default()
        );
    }
}

/// Times a whole fast-path turn (`wakil bench --question`): router, tool, and the writes of the
/// conversation and the audit log.
pub async fn bench_turn(
    ctx: ToolContext,
    caller: Caller,
    question: &str,
    runs: usize,
) -> Result<()> {
    let agent = Agent::new(ctx, None, AgentConfig::from_env());
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
    let mut times = Vec::with_capacity(runs);
    let mut last = None;
    for _ in 0..runs.max(1) {
        let inbound = Inbound::text(caller.clone(), question, None);
        let start = std::time::Instant::now();
        let report = agent.handle(inbound, &tx).await?;
        times.push(start.elapsed().as_secs_f64() * 1000.0);
        while rx.try_recv().is_ok() {}
        last = Some(report);
    }
    if let Some(r) = last {
        let tools: Vec<&str> = r.calls.iter().map(|c| c.tool.as_str()).collect();
        println!(
            "« {question} » — {:?}, outils {tools:?}, {} tours",
            r.path,
            times.len()
        );
    }
    println!("{}", percentiles(times));
    Ok(())
}

/// "latence (ms) : p50 … p95 … p99 … max …".
pub fn percentiles(mut times: Vec<f64>) -> String {
    times.sort_by(f64::total_cmp);
    let pct = |p: f64| wakil_evals::percentile(&times, p);
    format!(
        "latence (ms) : p50 {:.2}  p95 {:.2}  p99 {:.2}  max {:.2}",
        pct(0.5),
        pct(0.95),
        pct(0.99),
        pct(1.0)
    )
}

pub async fn eval(
    data_dir: &Path,
    mode: EvalMode,
    cases_dir: &Path,
    out: &Path,
) -> Result<ExitCode> {
    let cases = wakil_evals::load_dir(cases_dir)?;
    let db = Database::open_scratch(data_dir, "wakil_eval").await?;
    let outcome = async {
        let admin = db.admin_pool().await?;
        wakil_schema::seed::seed_demo(&admin, DEMO_DATE).await?;
        admin.close().await;
        let files = wakil_tools::FileStore::new(data_dir.join("wakil_eval-fichiers"));
        let ctx = ToolContext::new(db.store(4).await?, Clock::Fixed(DEMO_DATE), files);
        let mode = match mode {
            EvalMode::FastPath => Mode::FastPath,
            EvalMode::Scripted => Mode::Scripted,
            EvalMode::Ollama => Mode::Ollama,
        };
        let store = ctx.store.clone();
        let card = wakil_evals::run(ctx, mode, &cases).await;
        store.close().await;
        let card = card?;
        std::fs::create_dir_all(out).with_context(|| out.display().to_string())?;
        let base = out.join(format!("scorecard-{}", mode.name()));
        std::fs::write(
            base.with_extension("json"),
            serde_json::to_string_pretty(&card)?,
        )?;
        let md = card.to_markdown();
        std::fs::write(base.with_extension("md"), &md)?;
        println!("{md}");
        eprintln!("Écrit : {}.json et .md", base.display());
        anyhow::Ok(())
    }
    .await;
    db.close().await?;
    outcome?;
    Ok(ExitCode::SUCCESS)
}
