//! `wakil docs`: the document library from the terminal. `add` stores a file, adds it
//! (running the command is the confirmation) and indexes it at once, printing each step;
//! `list` shows the documents and their indexing; `reindex` queues documents again and runs the
//! indexing job (the same text rewrites nothing).

use crate::cli::confirmed;
use anyhow::{Context, Result};
use std::path::Path;
use std::time::Duration;
use wakil_schema::Caller;
use wakil_tools::ToolContext;
use wakil_tools::documents::indexation::Indexeur;
use wakil_tools::documents::refuser_doublon;
use wakil_web_chat::uploads::store_upload;

/// Largest document read from the terminal.
const MAX_DOCUMENT_BYTES: usize = 200 * 1024 * 1024;

/// What `wakil docs add` is told besides the file.
pub struct Ajout<'a> {
    pub type_document: &'a str,
    pub titre: Option<&'a str>,
    pub date: Option<chrono::NaiveDate>,
    pub visibilite: Option<&'a str>,
    pub residence: Option<&'a str>,
}

fn indexeur(ctx: &ToolContext) -> Indexeur {
    Indexeur::new(
        ctx.store.clone(),
        ctx.files.clone(),
        ctx.lecture.clone(),
        ctx.bibliotheque.clone(),
    )
}

pub async fn add(ctx: &ToolContext, caller: &Caller, path: &Path, a: &Ajout<'_>) -> Result<()> {
    // Refused before the file is stored: someone who may not add documents, or a file already
    // in the library, leaves nothing behind.
    wakil_tools::find("ajouter_document")
        .context("outil ajouter_document")?
        .autoriser(caller)?;
    let bytes = std::fs::read(path).with_context(|| format!("lecture de {}", path.display()))?;
    let mut t = ctx.store.tenant_read(caller.syndic_id).await?;
    refuser_doublon(&mut t, &wakil_tools::fichiers::sha256_hex(&bytes)).await?;
    t.commit().await?;
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let file = store_upload(
        &ctx.store,
        &ctx.files,
        caller,
        &name,
        &bytes,
        MAX_DOCUMENT_BYTES,
    )
    .await?;
    let mut args = serde_json::json!({ "fichier": file.id, "type": a.type_document });
    for (k, v) in [
        ("titre", a.titre),
        ("visibilite", a.visibilite),
        ("residence", a.residence),
    ] {
        if let Some(v) = v {
            args[k] = v.into();
        }
    }
    if let Some(d) = a.date {
        args["date"] = d.to_string().into();
    }
    // The steps as the job goes, while the tool waits for it.
    let mut ctx = ctx.clone();
    ctx.progress = Some(wakil_tools::lecture::Progress::new(|step| {
        eprintln!("{step}")
    }));
    let (stop_tx, stop) = tokio::sync::watch::channel(false);
    let job = indexeur(&ctx).spawn(Duration::from_secs(3600), stop);
    let r = confirmed(&ctx, caller, "ajouter_document", args).await;
    let _ = stop_tx.send(true);
    let _ = job.await;
    println!("{}", r?.summary);
    Ok(())
}

pub async fn list(ctx: &ToolContext, caller: &Caller, residence: Option<&str>) -> Result<()> {
    let mut args = serde_json::json!({ "limite": 200 });
    if let Some(r) = residence {
        args["residence"] = r.into();
    }
    let r = wakil_tools::find("list_documents")
        .context("outil list_documents")?
        .call(ctx, caller, args)
        .await?
        .done()?;
    println!("{}\n", r.summary);
    for t in &r.tables {
        println!("{}", t.to_text());
    }
    Ok(())
}

pub async fn reindex(ctx: &ToolContext, caller: &Caller, id: Option<i64>) -> Result<()> {
    anyhow::ensure!(
        caller.role.is_staff(),
        "la réindexation est réservée à l'équipe du syndic"
    );
    let mut t = ctx.store.tenant(caller.syndic_id).await?;
    let n = t.reindexer(id).await?;
    t.commit().await?;
    let bilan = indexeur(ctx).passe().await?;
    println!(
        "{n} document(s) relu(s) : {} réindexé(s), {} inchangé(s), {} en erreur, {} classeur(s) sans texte ; {} passage(s) vectorisé(s){}.",
        bilan.indexes,
        bilan.inchanges,
        bilan.erreurs,
        bilan.sans_texte,
        bilan.vectorises,
        bilan
            .embeddings_indisponibles
            .map(|e| format!(" (embeddings indisponibles : {e})"))
            .unwrap_or_default()
    );
    Ok(())
}
