//! The retrieval benchmark: questions over the demo documents (`evals/retrieval/questions.toml`),
//! each with the passage that answers it, asked to the store's search in three modes —
//! full-text alone, vector alone, hybrid (reciprocal rank fusion) — as the demo's gestionnaire.
//! A retrieved chunk answers when it is of the named document and contains the passage
//! (whitespace aside). Reports recall@5 and MRR@10 per mode, overall and per document.

use serde::Deserialize;
use std::collections::BTreeMap;
use std::fmt;
use std::path::Path;
use wakil_schema::store::{Passage, Recherche};
use wakil_schema::{Caller, Store, StoreError};
use wakil_tools::documents::embed::{EmbedError, Embedder};

/// Where the questions are, from the workspace root.
pub const QUESTIONS_FILE: &str = "evals/retrieval/questions.toml";

/// How deep the ranking is read (MRR@10).
const PROFONDEUR: i64 = 10;

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Question {
    pub id: String,
    pub question: String,
    /// The exact title of the document that answers.
    pub document: String,
    /// A verbatim excerpt of the answering paragraph.
    pub passage: String,
    #[serde(default)]
    pub staff_only: bool,
}

#[derive(Deserialize)]
struct Fichier {
    question: Vec<Question>,
}

#[derive(Debug, thiserror::Error)]
pub enum RetrievalError {
    #[error("questions illisibles ({0}) : {1}")]
    Questions(String, String),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("embeddings : {0}")]
    Embed(#[from] EmbedError),
}

/// The questions of `path`.
pub fn questions(path: &Path) -> Result<Vec<Question>, RetrievalError> {
    let texte = std::fs::read_to_string(path)
        .map_err(|e| RetrievalError::Questions(path.display().to_string(), e.to_string()))?;
    let f: Fichier = toml::from_str(&texte)
        .map_err(|e| RetrievalError::Questions(path.display().to_string(), e.to_string()))?;
    Ok(f.question)
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Mode {
    PleinTexte,
    Vecteur,
    Hybride,
}

impl Mode {
    pub const ALL: [Mode; 3] = [Mode::PleinTexte, Mode::Vecteur, Mode::Hybride];

    fn label(self) -> &'static str {
        match self {
            Mode::PleinTexte => "plein texte",
            Mode::Vecteur => "vecteur",
            Mode::Hybride => "hybride",
        }
    }
}

/// Where each question's answer ranked, per mode (`None`: not in the first ten).
#[derive(Debug, Clone)]
pub struct Report {
    pub modele: Option<String>,
    pub lignes: Vec<Ligne>,
}

#[derive(Debug, Clone)]
pub struct Ligne {
    pub question: Question,
    pub rangs: BTreeMap<Mode, Option<usize>>,
}

/// Recall@5 and MRR@10 over `lignes` for `mode`.
pub fn scores<'a>(lignes: impl Iterator<Item = &'a Ligne>, mode: Mode) -> (f64, f64, usize) {
    let (mut n, mut r5, mut rr) = (0usize, 0usize, 0f64);
    for l in lignes {
        n += 1;
        if let Some(Some(rang)) = l.rangs.get(&mode) {
            if *rang <= 5 {
                r5 += 1;
            }
            rr += 1.0 / *rang as f64;
        }
    }
    if n == 0 {
        return (0.0, 0.0, 0);
    }
    (r5 as f64 / n as f64, rr / n as f64, n)
}

fn normal(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Whether `p` answers `q`.
pub fn repond(p: &Passage, q: &Question) -> bool {
    p.document == q.document && normal(&p.contenu).contains(&normal(&q.passage))
}

/// Asks every question in the three modes (vector modes only with an embedder).
pub async fn evaluer(
    store: &Store,
    caller: &Caller,
    questions: &[Question],
    embedder: Option<&Embedder>,
) -> Result<Report, RetrievalError> {
    let vecteurs = match embedder {
        Some(e) => {
            let textes: Vec<String> = questions.iter().map(|q| q.question.clone()).collect();
            let mut v = Vec::new();
            for lot in textes.chunks(16) {
                v.extend(e.embed(lot).await?);
            }
            Some(v)
        }
        None => None,
    };
    let mut lignes = Vec::new();
    let mut t = store.tenant_read(caller.syndic_id).await?;
    for (i, q) in questions.iter().enumerate() {
        let mut rangs = BTreeMap::new();
        for mode in Mode::ALL {
            let vecteur = match (mode, &vecteurs, embedder) {
                (Mode::PleinTexte, _, _) => None,
                (_, Some(v), Some(e)) => Some((e.modele(), v[i].as_slice())),
                _ => continue,
            };
            let passages = t
                .rechercher(
                    caller,
                    &Recherche {
                        texte: &q.question,
                        plein_texte: mode != Mode::Vecteur,
                        vecteur,
                        residence_id: None,
                        type_document: None,
                        limite: PROFONDEUR,
                    },
                )
                .await?;
            let rang = passages.iter().position(|p| repond(p, q));
            rangs.insert(mode, rang.map(|r| r + 1));
        }
        lignes.push(Ligne {
            question: q.clone(),
            rangs,
        });
    }
    t.commit().await?;
    Ok(Report {
        modele: embedder.map(|e| e.modele().to_string()),
        lignes,
    })
}

impl fmt::Display for Report {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "Recherche dans les documents : {} questions, modèle d'embeddings : {}",
            self.lignes.len(),
            self.modele.as_deref().unwrap_or("aucun")
        )?;
        let modes: Vec<Mode> = Mode::ALL
            .into_iter()
            .filter(|m| *m == Mode::PleinTexte || self.modele.is_some())
            .collect();
        writeln!(f)?;
        writeln!(
            f,
            "{:<22} {:>10} {:>10} {:>10}",
            "mode", "questions", "recall@5", "MRR@10"
        )?;
        for m in &modes {
            let (r5, mrr, n) = scores(self.lignes.iter(), *m);
            writeln!(
                f,
                "{:<22} {:>10} {:>9.1} % {:>10.3}",
                m.label(),
                n,
                r5 * 100.0,
                mrr
            )?;
        }
        writeln!(f)?;
        writeln!(f, "Par document (recall@5 / MRR@10)")?;
        let mut documents: BTreeMap<&str, Vec<&Ligne>> = BTreeMap::new();
        for l in &self.lignes {
            documents
                .entry(l.question.document.as_str())
                .or_default()
                .push(l);
        }
        for (doc, lignes) in &documents {
            let mut cells = Vec::new();
            for m in &modes {
                let (r5, mrr, _) = scores(lignes.iter().copied(), *m);
                cells.push(format!("{}: {:.0} % / {:.2}", m.label(), r5 * 100.0, mrr));
            }
            let court: String = doc.chars().take(60).collect();
            writeln!(
                f,
                "  {court:<60} ({:>2})  {}",
                lignes.len(),
                cells.join("  ")
            )?;
        }
        let manquees: Vec<&Ligne> = self
            .lignes
            .iter()
            .filter(|l| {
                let m = modes.last().copied().unwrap_or(Mode::PleinTexte);
                !matches!(l.rangs.get(&m), Some(Some(r)) if *r <= 5)
            })
            .collect();
        if !manquees.is_empty() {
            writeln!(f)?;
            writeln!(
                f,
                "Hors des 5 premiers ({}) :",
                modes.last().map_or("", |m| m.label())
            )?;
            for l in manquees {
                writeln!(f, "  {} — {}", l.question.id, l.question.question)?;
            }
        }
        Ok(())
    }
}
