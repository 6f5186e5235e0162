//! `wakil bench documents`: retrieval quality on the demo documents. The demo is loaded in a
//! scratch database, the indexing job embeds every chunk — with the configured model
//! (`WAKIL_EMBED_MODEL` at `OLLAMA_HOST`) when it answers, else with the deterministic stand-in
//! served on loopback (`fake_embedding`, lexical) — and the questions of
//! `evals/retrieval/questions.toml` are asked in the three modes.

use anyhow::{Context, Result};
use std::path::Path;
use std::time::{Duration, Instant};
use wakil_agent::testing::FakeOllama;
use wakil_schema::database::Database;
use wakil_tools::FileStore;
use wakil_tools::documents::Bibliotheque;
use wakil_tools::documents::embed::Embedder;
use wakil_tools::documents::indexation::Indexeur;

/// The stand-in model's name in the database.
const FAUX_MODELE: &str = "wakil-faux-embed";

pub async fn run(data_dir: &Path, questions: &Path, fake: bool) -> Result<()> {
    let questions = wakil_evals::retrieval::questions(questions)?;
    let db = Database::open_scratch(data_dir, "wakil_bench_documents").await?;
    let faux = FakeOllama::start(Vec::new()).await;
    let outcome = async {
        let (mut ctx, caller) = crate::bench_render::demo_gestionnaire(
            &db,
            FileStore::new(data_dir.join("wakil_bench_documents-fichiers")),
        )
        .await?;
        let configure = Embedder::from_env().filter(|_| !fake);
        let embedder = match configure {
            Some(e) if e.essayer(Duration::from_secs(10)).await.is_ok() => e,
            other => {
                if let Some(e) = other {
                    eprintln!(
                        "Le modèle {} ne répond pas à {} : modèle de remplacement lexical.",
                        e.modele(),
                        e.url()
                    );
                }
                Embedder::new(&faux.url(), FAUX_MODELE, Duration::from_secs(60))
            }
        };
        ctx.bibliotheque = Bibliotheque::new(Some(embedder.clone()));
        let debut = Instant::now();
        let bilan = Indexeur::new(
            ctx.store.clone(),
            ctx.files.clone(),
            ctx.lecture.clone(),
            ctx.bibliotheque.clone(),
        )
        .passe()
        .await?;
        if let Some(e) = bilan.embeddings_indisponibles {
            anyhow::bail!("embeddings impossibles : {e}");
        }
        eprintln!(
            "{} passage(s) vectorisé(s) avec {} en {:.1} s.",
            bilan.vectorises,
            embedder.modele(),
            debut.elapsed().as_secs_f64()
        );
        let report =
            wakil_evals::retrieval::evaluer(&ctx.store, &caller, &questions, Some(&embedder))
                .await
                .context("recherche")?;
        println!("{report}");
        ctx.store.close().await;
        Ok(())
    }
    .await;
    faux.stop().await;
    db.close().await?;
    outcome
}
