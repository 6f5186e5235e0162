//! The indexing job: claims the waiting documents of every syndic (uploads, generated PDFs,
//! re-indexing), reads their text page by page (plain text and Markdown as they are, a PDF's text
//! layer, scanned pages and photos through the OCR reader), cuts it at headings and articles
//! ([`wakil_schema::decoupage`]), writes the chunks, then embeds every chunk that has no
//! embedding of the configured model. Each step is recorded on the document (pages, chunks,
//! state) and announced on [`Bibliotheque::avancement`], which the chat shows.

use super::{Avancement, Bibliotheque, Etape};
use crate::FileStore;
use crate::lecture::Lecture;
use std::time::Duration;
use tokio::sync::watch;
use tokio::task::JoinHandle;
use wakil_schema::decoupage::{self, Page};
use wakil_schema::store::DocumentAIndexer;
use wakil_schema::{Store, StoreError};

/// Chunks embedded per request.
const LOT_EMBEDDINGS: i64 = 16;

/// The job, built once by the server.
#[derive(Clone)]
pub struct Indexeur {
    store: Store,
    files: FileStore,
    lecture: Lecture,
    bibliotheque: Bibliotheque,
}

/// What one pass did.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Bilan {
    pub indexes: u32,
    pub inchanges: u32,
    pub erreurs: u32,
    /// Workbooks: figures, not indexed.
    pub sans_texte: u32,
    pub vectorises: u32,
    /// Why embeddings could not be made in this pass (full-text search still works).
    pub embeddings_indisponibles: Option<String>,
}

/// A document's text, as read.
struct Texte {
    pages: Vec<(Option<i32>, String)>,
    lecture: String,
}

impl Indexeur {
    pub fn new(
        store: Store,
        files: FileStore,
        lecture: Lecture,
        bibliotheque: Bibliotheque,
    ) -> Self {
        Indexeur {
            store,
            files,
            lecture,
            bibliotheque,
        }
    }

    /// One pass over every syndic with work: their waiting documents, then their chunks without
    /// an embedding (when a model is configured and answers).
    pub async fn passe(&self) -> Result<Bilan, StoreError> {
        let mut bilan = Bilan::default();
        let modele = self
            .bibliotheque
            .embedder
            .as_ref()
            .map(|e| e.modele().to_string());
        for syndic in self.store.syndics_a_indexer(modele.as_deref()).await? {
            while let Some(doc) = {
                let mut t = self.store.tenant(syndic).await?;
                let doc = t.reserver_document().await?;
                t.commit().await?;
                doc
            } {
                self.indexer(syndic, &doc, &mut bilan).await?;
            }
            if bilan.embeddings_indisponibles.is_none() {
                self.vectoriser(syndic, &mut bilan).await?;
            }
        }
        Ok(bilan)
    }

    async fn indexer(
        &self,
        syndic: i64,
        doc: &DocumentAIndexer,
        bilan: &mut Bilan,
    ) -> Result<(), StoreError> {
        let annonce = |etape: Etape| {
            self.bibliotheque.annoncer(Avancement {
                syndic_id: syndic,
                document_id: doc.id,
                etape,
            })
        };
        if classeur(&doc.mime) {
            let mut t = self.store.tenant(syndic).await?;
            t.sans_texte(doc.id, CLASSEUR).await?;
            t.commit().await?;
            bilan.sans_texte += 1;
            annonce(Etape::SansTexte);
            return Ok(());
        }
        annonce(Etape::Lecture);
        let texte = match self.lire(syndic, doc).await {
            Ok(t) => t,
            Err(raison) => {
                let mut t = self.store.tenant(syndic).await?;
                t.erreur_indexation(doc.id, &raison).await?;
                t.commit().await?;
                tracing::warn!("document {} « {} » : {raison}", doc.id, doc.titre);
                bilan.erreurs += 1;
                annonce(Etape::Erreur(raison));
                return Ok(());
            }
        };
        let pages: Vec<Page<'_>> = texte
            .pages
            .iter()
            .map(|(numero, texte)| Page {
                numero: *numero,
                texte,
            })
            .collect();
        let nombre_pages = texte.pages.iter().filter(|(n, _)| n.is_some()).count() as i32;
        {
            let mut t = self.store.tenant(syndic).await?;
            t.avancement_lecture(doc.id, nombre_pages, nombre_pages)
                .await?;
            t.commit().await?;
        }
        annonce(Etape::Decoupage {
            pages: nombre_pages,
        });
        let morceaux = decoupage::decouper(&pages);
        let sha = decoupage::sha256_texte(&pages);
        let mut t = self.store.tenant(syndic).await?;
        let ecrit = t
            .ecrire_index(doc.id, &sha, &texte.lecture, nombre_pages, &morceaux)
            .await?;
        t.commit().await?;
        if ecrit.reecrit {
            bilan.indexes += 1;
        } else {
            bilan.inchanges += 1;
        }
        annonce(Etape::Indexe {
            pages: nombre_pages,
            chunks: ecrit.chunks,
            inchange: !ecrit.reecrit,
        });
        Ok(())
    }

    /// The document's text by page, or why it cannot be read (French).
    async fn lire(&self, syndic: i64, doc: &DocumentAIndexer) -> Result<Texte, String> {
        let Some(fichier) = doc.fichier_id else {
            return Err("aucun fichier n'est enregistré pour ce document".into());
        };
        let bytes = self
            .files
            .read(syndic, fichier)
            .await
            .map_err(|e| format!("le fichier du document est introuvable ({e})"))?;
        if let Some(texte) = texte_brut(&doc.mime, &bytes) {
            return Ok(Texte {
                pages: pages_de_texte(&texte),
                lecture: "texte".into(),
            });
        }
        if wakil_ocr::sniff(&bytes).is_none() {
            return Err(format!(
                "format non pris en charge ({}) : envoyez un PDF, une image, un texte ou du Markdown",
                doc.mime
            ));
        }
        let reader = self.lecture.documents()?;
        let lu = tokio::task::spawn_blocking(move || reader.read(&bytes))
            .await
            .map_err(|e| format!("lecture interrompue ({e})"))?
            .map_err(|e| e.to_string())?;
        Ok(Texte {
            pages: lu
                .pages
                .into_iter()
                .map(|p| (Some(p.number as i32), p.text))
                .collect(),
            lecture: lu.engine,
        })
    }

    /// Embeds this syndic's chunks that have no embedding of the model, by batches.
    async fn vectoriser(&self, syndic: i64, bilan: &mut Bilan) -> Result<(), StoreError> {
        let Some(embedder) = &self.bibliotheque.embedder else {
            return Ok(());
        };
        loop {
            let mut t = self.store.tenant(syndic).await?;
            let lot = t
                .chunks_a_vectoriser(embedder.modele(), LOT_EMBEDDINGS)
                .await?;
            if lot.is_empty() {
                t.commit().await?;
                return Ok(());
            }
            let textes: Vec<String> = lot.iter().map(|(_, _, texte)| texte.clone()).collect();
            let vecteurs = match embedder.embed(&textes).await {
                Ok(v) => v,
                Err(e) => {
                    drop(t);
                    tracing::warn!("embeddings : {e}");
                    bilan.embeddings_indisponibles = Some(e.to_string());
                    return Ok(());
                }
            };
            if let Some(dim) = vecteurs.first().map(Vec::len) {
                self.bibliotheque.index_vectoriel(&self.store, dim).await?;
            }
            let paires: Vec<(i64, Vec<f32>)> =
                lot.iter().map(|(id, _, _)| *id).zip(vecteurs).collect();
            t.ecrire_embeddings(embedder.modele(), &paires).await?;
            t.commit().await?;
            bilan.vectorises += paires.len() as u32;
            let mut documents: Vec<i64> = lot.iter().map(|(_, d, _)| *d).collect();
            documents.dedup();
            for document_id in documents {
                self.bibliotheque.annoncer(Avancement {
                    syndic_id: syndic,
                    document_id,
                    etape: Etape::Vectorisation {
                        chunks: lot.iter().filter(|(_, d, _)| *d == document_id).count() as i32,
                    },
                });
            }
        }
    }

    /// Passes until `stop`: at once when woken ([`Bibliotheque::reveiller`]), else every
    /// `intervalle`; after embeddings failed, they are tried again a minute later at the
    /// earliest. A job cut short by a stop starts again at the next start.
    pub async fn run(self, intervalle: Duration, mut stop: watch::Receiver<bool>) {
        match self.store.reprendre_indexations().await {
            Ok(0) => {}
            Ok(n) => tracing::info!("indexation : {n} document(s) repris"),
            Err(e) => tracing::error!("indexation : {e}"),
        }
        let reveil = self.bibliotheque.reveil.clone();
        loop {
            if *stop.borrow() {
                break;
            }
            let attente = match self.passe().await {
                Ok(b) if b.embeddings_indisponibles.is_some() => {
                    intervalle.max(Duration::from_secs(60))
                }
                Ok(_) => intervalle,
                Err(e) => {
                    tracing::error!("indexation : {e}");
                    intervalle
                }
            };
            tokio::select! {
                changed = stop.changed() => if changed.is_err() { break },
                () = reveil.notified() => {}
                () = tokio::time::sleep(attente) => {}
            }
        }
        tracing::info!("indexation : arrêt");
    }

    pub fn spawn(self, intervalle: Duration, stop: watch::Receiver<bool>) -> JoinHandle<()> {
        tokio::spawn(self.run(intervalle, stop))
    }
}

/// Why a workbook is not indexed.
const CLASSEUR: &str =
    "classeur de chiffres : ils se lisent avec les outils (SQL), pas dans la recherche";

/// A spreadsheet (the financial report's Excel workbook): figures, not prose.
fn classeur(mime: &str) -> bool {
    let mime = mime.to_ascii_lowercase();
    mime.contains("spreadsheet") || mime.contains("ms-excel")
}

/// The text of a plain-text or Markdown file (UTF-8, as uploads are checked); `None` for
/// anything else.
pub(crate) fn texte_brut(mime: &str, bytes: &[u8]) -> Option<String> {
    if !super::textuel(mime) || wakil_ocr::sniff(bytes).is_some() {
        return None;
    }
    let sans_bom = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    std::str::from_utf8(sans_bom).ok().map(str::to_string)
}

/// Plain text has pages only where it has form feeds.
fn pages_de_texte(texte: &str) -> Vec<(Option<i32>, String)> {
    if texte.contains('\u{c}') {
        (1..)
            .zip(texte.split('\u{c}'))
            .map(|(n, p)| (Some(n), p.to_string()))
            .collect()
    } else {
        vec![(None, texte.to_string())]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_text_and_markdown_are_read_as_they_are() {
        assert_eq!(
            texte_brut("text/markdown", "# Titre".as_bytes()).as_deref(),
            Some("# Titre")
        );
        assert_eq!(
            texte_brut("text/plain; charset=utf-8", b"\xEF\xBB\xBFR\xC3\xA8gle").as_deref(),
            Some("Règle")
        );
        assert_eq!(texte_brut("text/plain", b"R\xE8gle"), None);
        assert_eq!(texte_brut("application/pdf", b"%PDF-1.7"), None);
        // A PDF sent as text/plain is still a PDF.
        assert_eq!(texte_brut("text/plain", b"%PDF-1.7\n"), None);
    }

    #[test]
    fn form_feeds_make_pages() {
        assert_eq!(pages_de_texte("a"), vec![(None, "a".to_string())]);
        assert_eq!(
            pages_de_texte("a\u{c}b"),
            vec![(Some(1), "a".to_string()), (Some(2), "b".to_string())]
        );
    }
}
