//! `wakil bench ws`: many WebSocket sessions on loopback, each asking a fast-path question at
//! the same moment; prints the latency percentiles of the connection and of the answer, and the
//! errors.

use crate::converse::percentiles;
use anyhow::{Context, Result};
use std::sync::Arc;
use std::time::Instant;
use tokio::sync::{Barrier, Semaphore};
use wakil_schema::Role;
use wakil_schema::store::UserListing;
use wakil_web_chat::client::{Client, Socket};

pub struct Options {
    pub sessions: usize,
    /// Logins and socket openings running at once.
    pub connect_concurrency: usize,
    pub password: String,
    /// The staff's question (co-owners ask their balance).
    pub question: String,
    /// Spread the questions evenly over this many seconds (0: all at the same moment).
    pub over_s: f64,
}

/// What one session measured.
struct Session {
    connect_ms: f64,
    answer: Result<f64, String>,
}

/// Runs the load against `client`, as the `users` (round robin over the sessions).
pub async fn run(client: Client, users: Vec<UserListing>, opts: Options) -> Result<()> {
    anyhow::ensure!(!users.is_empty(), "aucun utilisateur pour la charge");
    anyhow::ensure!(opts.sessions > 0, "--sessions doit être au moins 1");
    // Users without an e-mail (WhatsApp-only co-owners) cannot log in on the web.
    let users: Vec<(UserListing, String)> = users
        .into_iter()
        .filter_map(|u| u.email.clone().map(|e| (u, e)))
        .collect();
    anyhow::ensure!(
        !users.is_empty(),
        "aucun utilisateur avec e-mail pour la charge"
    );
    let count = users.len().min(opts.sessions);
    let users: Vec<(UserListing, String)> = users.into_iter().take(count).collect();

    // One login per user (Argon2 is deliberately slow; sessions share them as tabs would).
    let started = Instant::now();
    let gate = Arc::new(Semaphore::new(opts.connect_concurrency.max(1)));
    let mut logins = Vec::new();
    for (_, email) in &users {
        let (client, gate, email, password) = (
            client.clone(),
            gate.clone(),
            email.clone(),
            opts.password.clone(),
        );
        logins.push(tokio::spawn(async move {
            let _permit = gate.acquire_owned().await;
            client.login(&email, &password).await
        }));
    }
    let mut cookies = Vec::new();
    for ((u, email), login) in users.iter().zip(logins) {
        let cookie = login
            .await?
            .with_context(|| format!("connexion de {email} (mot de passe : --password)"))?;
        cookies.push((cookie, u.role));
    }
    let login_s = started.elapsed().as_secs_f64();

    let barrier = Arc::new(Barrier::new(opts.sessions + 1));
    let mut tasks = Vec::with_capacity(opts.sessions);
    for i in 0..opts.sessions {
        let (cookie, role) = cookies[i % cookies.len()].clone();
        let question = if role == Role::Coproprietaire {
            "combien je dois ?".to_string()
        } else {
            opts.question.clone()
        };
        let (client, gate, barrier) = (client.clone(), gate.clone(), barrier.clone());
        let delay =
            std::time::Duration::from_secs_f64(opts.over_s * i as f64 / opts.sessions as f64);
        tasks.push(tokio::spawn(async move {
            session(client, gate, barrier, delay, cookie, question).await
        }));
    }
    // Everyone connected (or failed to): all ask at once.
    barrier.wait().await;
    let asked = Instant::now();
    let mut results = Vec::with_capacity(tasks.len());
    for t in tasks {
        results.push(t.await?);
    }
    let wall = asked.elapsed().as_secs_f64();

    let connects: Vec<f64> = results
        .iter()
        .filter(|s| s.connect_ms > 0.0)
        .map(|s| s.connect_ms)
        .collect();
    let answers: Vec<f64> = results
        .iter()
        .filter_map(|s| s.answer.as_ref().ok().copied())
        .collect();
    let errors: Vec<&String> = results
        .iter()
        .filter_map(|s| s.answer.as_ref().err())
        .collect();
    let when = if opts.over_s > 0.0 {
        format!("réparties sur {} s", opts.over_s)
    } else {
        "toutes au même instant".to_string()
    };
    println!(
        "{} sessions WebSocket sur {} ({} utilisateurs, connexions en {login_s:.1} s), une question de voie rapide chacune, {when}",
        opts.sessions, client.base, count
    );
    println!(
        "connexion (upgrade + hello + nouvelle conversation) — {}",
        percentiles(connects)
    );
    println!(
        "réponse (envoi → fin du tour)                      — {}",
        percentiles(answers.clone())
    );
    println!(
        "erreurs : {} sur {} ; {} tours en {wall:.2} s, soit {:.0} tours/s",
        errors.len(),
        results.len(),
        answers.len(),
        answers.len() as f64 / wall.max(f64::EPSILON)
    );
    let mut kinds: Vec<&String> = errors.clone();
    kinds.sort();
    kinds.dedup();
    for e in kinds.iter().take(5) {
        println!("  erreur : {e}");
    }
    anyhow::ensure!(errors.is_empty(), "{} sessions en erreur", errors.len());
    Ok(())
}

async fn session(
    client: Client,
    gate: Arc<Semaphore>,
    barrier: Arc<Barrier>,
    delay: std::time::Duration,
    cookie: String,
    question: String,
) -> Session {
    let opened = async {
        let _permit = gate.acquire_owned().await;
        let start = Instant::now();
        let mut socket = client.socket(Some(&cookie)).await?;
        hello(&mut socket).await?;
        // Its own conversation, as a separate tab would have after "nouvelle conversation".
        socket
            .send(&serde_json::json!({ "type": "new_conversation" }))
            .await?;
        hello(&mut socket).await?;
        anyhow::Ok((socket, start.elapsed().as_secs_f64() * 1000.0))
    }
    .await;
    barrier.wait().await;
    tokio::time::sleep(delay).await;
    let (mut socket, connect_ms) = match opened {
        Ok(ok) => ok,
        Err(e) => {
            return Session {
                connect_ms: 0.0,
                answer: Err(format!("connexion : {e}")),
            };
        }
    };
    let start = Instant::now();
    let answer = match socket.ask(&question).await {
        Ok(frames) => match frames.iter().find(|f| f["type"] == "error") {
            Some(e) => Err(format!("réponse : {}", e["message"])),
            None if frames
                .iter()
                .any(|f| f["type"] == "table" || f["type"] == "text") =>
            {
                Ok(start.elapsed().as_secs_f64() * 1000.0)
            }
            None => Err("réponse vide".to_string()),
        },
        Err(e) => Err(format!("réponse : {e}")),
    };
    Session { connect_ms, answer }
}

async fn hello(socket: &mut Socket) -> Result<()> {
    let frame = socket.next().await?;
    anyhow::ensure!(
        frame["type"] == "hello",
        "premier message inattendu : {frame}"
    );
    Ok(())
}
