//! The document library against a real database: a PDF uploaded and confirmed is indexed by the
//! job (pages, chunks), then retrieved with the page its passage is on; a co-owner never
//! retrieves a staff-only document, whatever the words (the SQL decides); re-indexing the same
//! text rewrites nothing and keeps the embeddings; with an embedding server speaking Ollama's
//! `/api/embed`, the search is hybrid, and without one it says it is full-text alone.

use crate::common::{Demo, demo, execute, plan};
use std::time::Duration;
use uuid::Uuid;
use wakil_schema::{Caller, Role};
use wakil_tools::documents::embed::{Embedder, fake_embedding};
use wakil_tools::documents::indexation::Indexeur;
use wakil_tools::documents::{Bibliotheque, ModeRecherche};
use wakil_tools::fichiers::recevoir;
use wakil_tools::{ToolContext, ToolResult};

const GUELIZ: &str = "Résidence Les Jardins de Guéliz";

/// A three-page contract with a text layer: the answer to the test's question is on page 3.
fn contrat_pdf() -> Vec<u8> {
    let source = "#set page(paper: \"a4\")\n\
        = Contrat de maintenance des portes de garage\n\n\
        == Article 1 – Objet\n\nLe présent contrat porte sur l'entretien des deux portes \
        automatiques du sous-sol de la résidence.\n\n\
        #pagebreak()\n\
        == Article 2 – Visites\n\nLe prestataire effectue une visite préventive chaque trimestre \
        et graisse les rails.\n\n\
        #pagebreak()\n\
        == Article 3 – Dépannage\n\nEn cas de blocage d'une porte, le technicien se déplace dans \
        un délai de quatre heures, week-ends compris.\n";
    wakil_tools::render::pdf(
        source,
        &serde_json::json!({}),
        wakil_schema::testing::DEMO_TODAY,
    )
    .unwrap()
    .bytes
}

/// Stores `bytes` as a file uploaded by `caller` (what the web chat's upload does).
async fn televerser(d: &Demo, caller: &Caller, nom: &str, mime: &str, bytes: &[u8]) -> Uuid {
    recevoir::<Box<dyn std::error::Error + Send + Sync>>(
        &d.ctx.store,
        &d.ctx.files,
        caller,
        nom,
        mime,
        bytes,
    )
    .await
    .unwrap()
    .id
}

/// Plans and confirms `ajouter_document`, while the indexing job runs.
async fn ajouter(
    d: &Demo,
    ctx: &ToolContext,
    caller: &Caller,
    args: serde_json::Value,
) -> ToolResult {
    let p = plan(ctx, caller, "ajouter_document", args).await.unwrap();
    assert!(p.summary.ends_with('?'), "{}", p.summary);
    let (stop_tx, stop) = tokio::sync::watch::channel(false);
    let job = Indexeur::new(
        d.ctx.store.clone(),
        ctx.files.clone(),
        ctx.lecture.clone(),
        ctx.bibliotheque.clone(),
    )
    .spawn(Duration::from_secs(3600), stop);
    let r = execute(ctx, caller, &p, Uuid::new_v4()).await.unwrap();
    stop_tx.send(true).unwrap();
    job.await.unwrap();
    r
}

/// Uploads a text file (`nom`, `mime`, `texte`) and adds it with `args` (its `fichier` set).
async fn ajouter_texte(
    d: &Demo,
    ctx: &ToolContext,
    caller: &Caller,
    (nom, mime, texte): (&str, &str, &str),
    mut args: serde_json::Value,
) -> ToolResult {
    let fichier = televerser(d, caller, nom, mime, texte.as_bytes()).await;
    args["fichier"] = serde_json::json!(fichier);
    ajouter(d, ctx, caller, args).await
}

async fn chercher(ctx: &ToolContext, caller: &Caller, question: &str) -> ToolResult {
    wakil_tools::find("search_documents")
        .unwrap()
        .call(ctx, caller, serde_json::json!({ "question": question }))
        .await
        .unwrap()
        .done()
        .unwrap()
}

/// A library whose embeddings come from [`serveur_embeddings`] under the name `modele`.
async fn avec_embeddings(modele: &str) -> Bibliotheque {
    Bibliotheque::new(Some(Embedder::new(
        &serveur_embeddings().await,
        modele,
        Duration::from_secs(10),
    )))
}

/// An `/api/embed` server answering with the deterministic stand-in model.
async fn serveur_embeddings() -> String {
    use axum::routing::post;
    let app = axum::Router::new().route(
        "/api/embed",
        post(
            |axum::Json(body): axum::Json<serde_json::Value>| async move {
                let inputs: Vec<String> = body["input"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|v| v.as_str().unwrap().to_string())
                    .collect();
                axum::Json(serde_json::json!({
                    "model": body["model"],
                    "embeddings": inputs.iter().map(|t| fake_embedding(t)).collect::<Vec<_>>(),
                }))
            },
        ),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    url
}

#[tokio::test]
async fn upload_indexed_then_retrieved_with_its_page_and_hybrid_with_embeddings() {
    let d = demo().await;
    let gestionnaire = d.caller(d.atlas, Role::Gestionnaire).await;
    let mut ctx = d.ctx.clone();
    ctx.bibliotheque = avec_embeddings("faux-embed").await;
    let fichier = televerser(
        &d,
        &gestionnaire,
        "contrat_portes.pdf",
        "application/pdf",
        &contrat_pdf(),
    )
    .await;

    // Nothing is written before the confirmation.
    let before: i64 = sqlx::query_scalar("SELECT count(*) FROM documents")
        .fetch_one(&d.db.admin)
        .await
        .unwrap();
    let args = serde_json::json!({
        "fichier": fichier, "type": "contrat", "titre": "Contrat des portes de garage",
        "visibilite": "residence", "residence": GUELIZ,
    });
    plan(&ctx, &gestionnaire, "ajouter_document", args.clone())
        .await
        .unwrap();
    let after: i64 = sqlx::query_scalar("SELECT count(*) FROM documents")
        .fetch_one(&d.db.admin)
        .await
        .unwrap();
    assert_eq!(before, after);

    let r = ajouter(&d, &ctx, &gestionnaire, args.clone()).await;
    assert_eq!(r.output["statut"], "indexe", "{}", r.summary);
    assert_eq!(r.output["pages"], 3);
    assert!(r.summary.contains("indexé"), "{}", r.summary);
    let id = r.output["document_id"].as_i64().unwrap();
    let (lecture, chunks, vectorises): (String, i32, i64) = sqlx::query_as(
        "SELECT d.lecture, d.chunks, (SELECT count(*) FROM document_chunks c
                 WHERE c.document_id = d.id AND c.embedding_modele = 'faux-embed')
         FROM documents d WHERE d.id = $1",
    )
    .bind(id)
    .fetch_one(&d.db.admin)
    .await
    .unwrap();
    assert_eq!(lecture, wakil_ocr::TEXT_LAYER);
    assert!(chunks >= 3, "{chunks} chunks");
    assert_eq!(i64::from(chunks), vectorises, "every chunk embedded");

    // The words of the question, not the passage's sentence.
    let r = chercher(
        &ctx,
        &gestionnaire,
        "sous quel délai le technicien vient-il pour une porte bloquée ?",
    )
    .await;
    assert_eq!(r.output["mode"], serde_json::json!(ModeRecherche::Hybride));
    let first = &r.output["passages"][0];
    assert_eq!(
        first["document"], "Contrat des portes de garage",
        "{}",
        r.output
    );
    assert_eq!(first["page"], 3, "{}", r.output);
    assert!(
        first["section"].as_str().unwrap().contains("Article 3"),
        "{first}"
    );
    assert!(
        first["extrait"].as_str().unwrap().contains("**porte**"),
        "{first}"
    );
    assert!(r.summary.contains("p. 3"), "{}", r.summary);

    // The same file again is refused: it is already in the library.
    let e = plan(&ctx, &gestionnaire, "ajouter_document", args)
        .await
        .unwrap_err();
    assert!(e.to_string().contains("déjà dans la bibliothèque"), "{e}");

    // Without an embedding model, full-text alone, and the output says so.
    let mut seul = ctx.clone();
    seul.bibliotheque = Bibliotheque::new(None);
    let r = chercher(&seul, &gestionnaire, "délai de dépannage des portes").await;
    assert_eq!(
        r.output["mode"],
        serde_json::json!(ModeRecherche::PleinTexte)
    );
    assert!(
        r.output["recherche"]
            .as_str()
            .unwrap()
            .starts_with("plein texte seul")
    );
    assert_eq!(r.output["passages"][0]["page"], 3, "{}", r.output);
    // Accents aside: "depannage" finds "Dépannage" (the lift contract, longer, may rank first).
    let r = chercher(&seul, &gestionnaire, "depannage").await;
    let portes = r.output["passages"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["document"] == "Contrat des portes de garage")
        .unwrap_or_else(|| panic!("{}", r.output));
    assert_eq!(portes["page"], 3);
}

#[tokio::test]
async fn a_co_owner_never_retrieves_a_staff_only_document() {
    let d = demo().await;
    let gestionnaire = d.caller(d.atlas, Role::Gestionnaire).await;
    let mut ctx = d.ctx.clone();
    ctx.bibliotheque = Bibliotheque::new(None);
    let secret = "Note interne\n\nArticle 1 – Contentieux\n\nLe dossier zanzibar du lot B23 part chez l'avocat.";
    let r = ajouter_texte(
        &d,
        &ctx,
        &gestionnaire,
        ("note.md", "text/markdown", secret),
        serde_json::json!({ "type": "autre", "visibilite": "staff", "residence": GUELIZ }),
    )
    .await;
    assert_eq!(r.output["statut"], "indexe", "{}", r.summary);

    // Staff find it.
    let r = chercher(&ctx, &gestionnaire, "zanzibar").await;
    assert_eq!(
        r.output["passages"][0]["document"], "Note interne",
        "{}",
        r.output
    );

    // A co-owner of that résidence does not, nor does the SQL give it to them.
    let copro_id: i64 = sqlx::query_scalar(
        "SELECT p.coproprietaire_id FROM proprietes p JOIN lots l ON l.id = p.lot_id
         JOIN residences r ON r.id = l.residence_id JOIN users u ON u.coproprietaire_id = p.coproprietaire_id
         WHERE r.nom = $1 AND p.jusqu_au IS NULL ORDER BY 1 LIMIT 1",
    )
    .bind(GUELIZ)
    .fetch_one(&d.db.admin)
    .await
    .unwrap();
    let email: String = sqlx::query_scalar("SELECT email FROM users WHERE coproprietaire_id = $1")
        .bind(copro_id)
        .fetch_one(&d.db.admin)
        .await
        .unwrap();
    let copro = d
        .ctx
        .store
        .caller_by_email(&email, wakil_schema::Canal::Cli)
        .await
        .unwrap()
        .unwrap();
    let r = chercher(&ctx, &copro, "zanzibar avocat contentieux").await;
    let passages = r.output["passages"].as_array().unwrap();
    assert!(
        passages.iter().all(|p| p["document"] != "Note interne"),
        "{}",
        r.output
    );
    let mut t = d.ctx.store.tenant_read(copro.syndic_id).await.unwrap();
    let passages = t
        .rechercher(
            &copro,
            &wakil_schema::store::Recherche {
                texte: "zanzibar",
                plein_texte: true,
                vecteur: None,
                residence_id: None,
                type_document: None,
                limite: 50,
            },
        )
        .await
        .unwrap();
    assert!(passages.is_empty(), "{passages:?}");
    let listed = t
        .documents_lisibles(&copro, None, None, None, 500)
        .await
        .unwrap();
    assert!(listed.iter().all(|d| d.titre != "Note interne"));
    // The shared règlement of their résidence, they do find.
    let passages = t
        .rechercher(
            &copro,
            &wakil_schema::store::Recherche {
                texte: "chiens tenus en laisse",
                plein_texte: true,
                vecteur: None,
                residence_id: None,
                type_document: None,
                limite: 5,
            },
        )
        .await
        .unwrap();
    assert!(
        passages
            .iter()
            .any(|p| p.document.starts_with("Règlement de copropriété")),
        "{passages:?}"
    );
    t.commit().await.unwrap();

    // A co-owner cannot add a document either, not even a file of their own.
    let fichier = televerser(
        &d,
        &copro,
        "mot.md",
        "text/markdown",
        b"Un mot des voisins.",
    )
    .await;
    let e = plan(
        &ctx,
        &copro,
        "ajouter_document",
        serde_json::json!({
            "fichier": fichier, "type": "autre", "residence": GUELIZ,
        }),
    )
    .await
    .unwrap_err();
    assert!(matches!(e, wakil_tools::ToolError::Forbidden(_)), "{e}");
}

#[tokio::test]
async fn re_indexing_the_same_text_rewrites_nothing_and_keeps_embeddings() {
    let d = demo().await;
    let gestionnaire = d.caller(d.atlas, Role::Gestionnaire).await;
    let mut ctx = d.ctx.clone();
    ctx.bibliotheque = avec_embeddings("faux-embed").await;
    let texte = "Courrier aux copropriétaires\n\nArticle 1 – Travaux\n\nLes travaux d'étanchéité \
        commencent le 2 mars.\n\u{c}Article 2 – Accès\n\nLes balcons seront dégagés.";
    let r = ajouter_texte(
        &d,
        &ctx,
        &gestionnaire,
        ("courrier.txt", "text/plain", texte),
        serde_json::json!({ "type": "courrier", "visibilite": "residence", "residence": GUELIZ }),
    )
    .await;
    let id = r.output["document_id"].as_i64().unwrap();
    assert_eq!(r.output["pages"], 2, "form feeds are pages");
    let chunks = |id: i64| {
        let pool = d.db.admin.clone();
        async move {
            sqlx::query_as::<_, (i64, i32, Option<i32>, String)>(
                "SELECT id, rang, page, embedding::text FROM document_chunks WHERE document_id = $1 ORDER BY rang",
            )
            .bind(id)
            .fetch_all(&pool)
            .await
            .unwrap()
        }
    };
    let avant = chunks(id).await;
    assert_eq!(
        avant.iter().map(|c| c.2).collect::<Vec<_>>(),
        vec![Some(1), Some(1), Some(2)]
    );

    let indexeur = Indexeur::new(
        d.ctx.store.clone(),
        ctx.files.clone(),
        ctx.lecture.clone(),
        ctx.bibliotheque.clone(),
    );
    for _ in 0..2 {
        let mut t = d.ctx.store.tenant(d.atlas).await.unwrap();
        assert_eq!(t.reindexer(Some(id)).await.unwrap(), 1);
        t.commit().await.unwrap();
        let bilan = indexeur.passe().await.unwrap();
        assert_eq!(
            (bilan.inchanges, bilan.indexes, bilan.vectorises),
            (1, 0, 0),
            "{bilan:?}"
        );
        assert_eq!(
            chunks(id).await,
            avant,
            "same rows, same ids, same embeddings"
        );
    }
    let statut: String = sqlx::query_scalar("SELECT statut::text FROM documents WHERE id = $1")
        .bind(id)
        .fetch_one(&d.db.admin)
        .await
        .unwrap();
    assert_eq!(statut, "indexe");

    // A new embedding model embeds every chunk again, once.
    let mut autre = ctx.clone();
    autre.bibliotheque = avec_embeddings("autre-embed").await;
    let indexeur = Indexeur::new(
        d.ctx.store.clone(),
        autre.files.clone(),
        autre.lecture.clone(),
        autre.bibliotheque.clone(),
    );
    let bilan = indexeur.passe().await.unwrap();
    assert!(bilan.vectorises >= 2, "{bilan:?}");
    assert_eq!(indexeur.passe().await.unwrap().vectorises, 0);
}

/// Generated documents are documents too: the financial report's PDF is indexed by the job and
/// found with its page; its Excel workbook holds figures (read from SQL by the tools), so it is
/// not indexed, and the library says why instead of showing an error.
#[tokio::test]
async fn a_generated_report_is_indexed_and_its_workbook_is_not() {
    let d = demo().await;
    let gestionnaire = d.caller(d.atlas, Role::Gestionnaire).await;
    let mut ctx = d.ctx.clone();
    ctx.bibliotheque = Bibliotheque::new(None);
    let r = wakil_tools::find("rapport_financier")
        .unwrap()
        .call(
            &ctx,
            &gestionnaire,
            serde_json::json!({ "residence": "Guéliz", "annee": 2025, "format": "pdf_xlsx" }),
        )
        .await
        .unwrap()
        .done()
        .unwrap();
    assert_eq!(r.files.len(), 2);
    let bilan = Indexeur::new(
        d.ctx.store.clone(),
        ctx.files.clone(),
        ctx.lecture.clone(),
        ctx.bibliotheque.clone(),
    )
    .passe()
    .await
    .unwrap();
    assert_eq!(
        (bilan.indexes, bilan.sans_texte, bilan.erreurs),
        (1, 1, 0),
        "{bilan:?}"
    );
    let etats: Vec<(String, String, i32, i64)> = sqlx::query_as(
        "SELECT d.mime, d.statut::text, d.chunks,
                (SELECT count(*) FROM document_chunks c WHERE c.document_id = d.id)
         FROM documents d WHERE d.titre LIKE 'Rapport financier%' ORDER BY d.mime",
    )
    .fetch_all(&d.db.admin)
    .await
    .unwrap();
    assert_eq!(etats.len(), 2, "{etats:?}");
    assert_eq!(etats[0].0, "application/pdf");
    assert_eq!(etats[0].1, "indexe");
    assert!(
        etats[0].2 >= 1 && i64::from(etats[0].2) == etats[0].3,
        "{etats:?}"
    );
    assert_eq!(
        (etats[1].1.as_str(), etats[1].2, etats[1].3),
        ("sans_texte", 0, 0)
    );

    let r = chercher(
        &ctx,
        &gestionnaire,
        "rapport financier encaissements dépenses résultat",
    )
    .await;
    let premier = &r.output["passages"][0];
    assert!(
        premier["document"]
            .as_str()
            .unwrap()
            .starts_with("Rapport financier"),
        "{}",
        r.output
    );
    assert!(premier["page"].as_i64().unwrap() >= 1, "{premier}");

    let liste = wakil_tools::find("list_documents")
        .unwrap()
        .call(&ctx, &gestionnaire, serde_json::json!({}))
        .await
        .unwrap()
        .done()
        .unwrap();
    let cellules: Vec<&String> = liste
        .tables
        .iter()
        .flat_map(|t| t.rows.iter().flatten())
        .collect();
    assert!(
        cellules
            .iter()
            .any(|c| c.starts_with("non indexé : classeur de chiffres")),
        "{cellules:?}"
    );
    assert!(
        !cellules.iter().any(|c| c.starts_with("erreur")),
        "{cellules:?}"
    );
}
