//! Embeddings from Ollama's embedding endpoint (`POST /api/embed`): the model is configured
//! (`WAKIL_EMBED_MODEL`), its dimension is whatever it answers.

use serde::Deserialize;
use std::time::Duration;
use thiserror::Error;

/// The default embedding model: multilingual, 768 dimensions, in Ollama's library.
pub const MODELE_DEFAUT: &str = "nomic-embed-text";

/// Why no embedding was made; the text is French, for the answer's metadata and the logs.
#[derive(Debug, Clone, Error, PartialEq, Eq)]
pub enum EmbedError {
    #[error("le service d'embeddings ({url}) ne répond pas : {raison}")]
    Injoignable { url: String, raison: String },
    #[error("le modèle d'embeddings « {modele} » n'est pas disponible : {raison}")]
    Modele { modele: String, raison: String },
    #[error("réponse d'embeddings inutilisable : {0}")]
    Reponse(String),
}

/// A client of `/api/embed` for one model.
#[derive(Debug, Clone)]
pub struct Embedder {
    url: String,
    modele: String,
    client: reqwest::Client,
}

#[derive(Deserialize)]
struct Reponse {
    embeddings: Vec<Vec<f32>>,
}

impl Embedder {
    /// `url` is Ollama's base URL (`http://127.0.0.1:11434`); a request taking longer than
    /// `timeout` fails.
    pub fn new(url: &str, modele: &str, timeout: Duration) -> Self {
        Embedder {
            url: url.trim_end_matches('/').to_string(),
            modele: modele.to_string(),
            client: reqwest::Client::builder()
                .timeout(timeout)
                .connect_timeout(Duration::from_secs(2))
                .build()
                .unwrap_or_default(),
        }
    }

    /// `OLLAMA_HOST` and `WAKIL_EMBED_MODEL` (default [`MODELE_DEFAUT`]); `WAKIL_EMBED_MODEL=aucun`
    /// (or empty) turns embeddings off: full-text search alone.
    pub fn from_env() -> Option<Self> {
        Self::from_lookup(|k| std::env::var(k).ok())
    }

    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Option<Self> {
        let modele = lookup("WAKIL_EMBED_MODEL").unwrap_or_else(|| MODELE_DEFAUT.to_string());
        let modele = modele.trim();
        if modele.is_empty() || modele.eq_ignore_ascii_case("aucun") {
            return None;
        }
        let url = lookup("OLLAMA_HOST")
            .filter(|u| !u.trim().is_empty())
            .unwrap_or_else(|| "http://127.0.0.1:11434".to_string());
        let url = if url.starts_with("http://") || url.starts_with("https://") {
            url
        } else {
            format!("http://{url}")
        };
        Some(Embedder::new(&url, modele, Duration::from_secs(120)))
    }

    pub fn modele(&self) -> &str {
        &self.modele
    }

    pub fn url(&self) -> &str {
        &self.url
    }

    /// Whether the model answers now: one short embedding within `delai`.
    pub async fn essayer(&self, delai: Duration) -> Result<(), EmbedError> {
        let texte = ["essai".to_string()];
        match tokio::time::timeout(delai, self.embed(&texte)).await {
            Ok(r) => r.map(|_| ()),
            Err(_) => Err(EmbedError::Injoignable {
                url: self.url.clone(),
                raison: format!("pas de réponse en {} s", delai.as_secs()),
            }),
        }
    }

    /// One embedding per text, in order, all of the same dimension.
    pub async fn embed(&self, textes: &[String]) -> Result<Vec<Vec<f32>>, EmbedError> {
        if textes.is_empty() {
            return Ok(Vec::new());
        }
        let reponse = self
            .client
            .post(format!("{}/api/embed", self.url))
            .json(&serde_json::json!({ "model": self.modele, "input": textes, "truncate": true }))
            .send()
            .await
            .map_err(|e| EmbedError::Injoignable {
                url: self.url.clone(),
                raison: racine(&e),
            })?;
        let status = reponse.status();
        if !status.is_success() {
            let corps = reponse.text().await.unwrap_or_default();
            let raison = serde_json::from_str::<serde_json::Value>(&corps)
                .ok()
                .and_then(|v| v["error"].as_str().map(str::to_string))
                .unwrap_or_else(|| status.to_string());
            return Err(EmbedError::Modele {
                modele: self.modele.clone(),
                raison,
            });
        }
        let r: Reponse = reponse
            .json()
            .await
            .map_err(|e| EmbedError::Reponse(e.to_string()))?;
        verifier(r.embeddings, textes.len())
    }
}

/// The innermost cause of a request's failure ("Connection refused").
fn racine(e: &reqwest::Error) -> String {
    let mut source: &dyn std::error::Error = e;
    while let Some(s) = source.source() {
        source = s;
    }
    source.to_string()
}

/// As many vectors as texts, of one non-zero dimension (at most 2 000, HNSW's limit), finite.
fn verifier(v: Vec<Vec<f32>>, attendus: usize) -> Result<Vec<Vec<f32>>, EmbedError> {
    if v.len() != attendus {
        return Err(EmbedError::Reponse(format!(
            "{} vecteurs pour {attendus} textes",
            v.len()
        )));
    }
    let dim = v.first().map_or(0, Vec::len);
    if dim == 0 || dim > 2000 {
        return Err(EmbedError::Reponse(format!("dimension {dim}")));
    }
    if v.iter()
        .any(|e| e.len() != dim || e.iter().any(|x| !x.is_finite()))
    {
        return Err(EmbedError::Reponse(
            "dimensions inégales ou valeurs non finies".into(),
        ));
    }
    Ok(v)
}

/// The dimension of [`fake_embedding`].
pub const FAKE_EMBEDDING_DIM: usize = 384;

/// A deterministic stand-in for an embedding model: words (lower case, accents folded, their
/// first five letters, three letters or more) and their letter trigrams hashed into
/// [`FAKE_EMBEDDING_DIM`] signed buckets, L2-normalised. Lexical, not semantic: it exercises the
/// vector path (request, storage, HNSW, fusion) with vectors where shared words make neighbours.
pub fn fake_embedding(text: &str) -> Vec<f32> {
    fn hash(s: &str, seed: u64) -> u64 {
        // FNV-1a: stable across runs and platforms.
        s.bytes().fold(0xcbf2_9ce4_8422_2325 ^ seed, |h, b| {
            (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
        })
    }
    let mut v = vec![0f32; FAKE_EMBEDDING_DIM];
    let mut add = |feature: &str, weight: f32| {
        let h = hash(feature, 0);
        let sign = if hash(feature, 1) & 1 == 0 { 1.0 } else { -1.0 };
        v[(h % FAKE_EMBEDDING_DIM as u64) as usize] += sign * weight;
    };
    for word in text.split(|c: char| !c.is_alphanumeric()) {
        let folded = wakil_schema::fold::fold(word);
        if folded.chars().count() < 3 {
            continue;
        }
        let stem: String = folded.chars().take(5).collect();
        add(&stem, 1.0);
        let chars: Vec<char> = format!("^{folded}$").chars().collect();
        for w in chars.windows(3) {
            add(&w.iter().collect::<String>(), 0.3);
        }
    }
    let norm = v.iter().map(|x| x * x).sum::<f32>().sqrt();
    if norm > 0.0 {
        v.iter_mut().for_each(|x| *x /= norm);
    } else {
        v[0] = 1.0;
    }
    v
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn configuration_from_the_environment() {
        let e = Embedder::from_lookup(|_| None).unwrap();
        assert_eq!(e.modele(), MODELE_DEFAUT);
        assert_eq!(e.url(), "http://127.0.0.1:11434");
        let e = Embedder::from_lookup(|k| match k {
            "WAKIL_EMBED_MODEL" => Some("bge-m3".into()),
            "OLLAMA_HOST" => Some("10.0.0.2:11434/".into()),
            _ => None,
        })
        .unwrap();
        assert_eq!((e.modele(), e.url()), ("bge-m3", "http://10.0.0.2:11434"));
        assert!(
            Embedder::from_lookup(|k| (k == "WAKIL_EMBED_MODEL").then(|| "aucun".into())).is_none()
        );
    }

    /// A server that accepts and never answers: the probe gives up at its delay, in French.
    #[tokio::test]
    async fn a_probe_that_gets_no_answer_gives_up() {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let held = tokio::spawn(async move {
            let (_socket, _) = listener.accept().await.unwrap();
            tokio::time::sleep(Duration::from_secs(30)).await;
        });
        let e = Embedder::new(&url, "muet", Duration::from_secs(60));
        let debut = std::time::Instant::now();
        let err = e.essayer(Duration::from_secs(1)).await.unwrap_err();
        assert!(debut.elapsed() < Duration::from_secs(5));
        assert!(err.to_string().contains("pas de réponse en 1 s"), "{err}");
        held.abort();
    }

    #[test]
    fn answers_are_checked() {
        assert!(verifier(vec![vec![0.1, 0.2]], 1).is_ok());
        assert!(verifier(vec![vec![0.1, 0.2]], 2).is_err());
        assert!(verifier(vec![vec![0.1], vec![0.1, 0.2]], 2).is_err());
        assert!(verifier(vec![vec![f32::NAN]], 1).is_err());
        assert!(verifier(vec![vec![]], 1).is_err());
    }
}
