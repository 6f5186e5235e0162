//! How this server reads supplier invoices: the OCR reader of `wakil-ocr` (Tesseract by default,
//! ocrs when configured) and, when a language model is configured, its structured extraction as
//! a second opinion. Built once at start-up; the engine's absence is kept as a French message
//! that `extract_invoice` gives instead of failing at start-up.

use std::sync::Arc;
use std::time::Duration;
use wakil_invoice::InvoiceData;
use wakil_ocr::{Limits, Reader};

/// The invoice reader and its optional second opinion.
#[derive(Clone)]
pub struct Lecture {
    reader: Result<Arc<Reader>, String>,
    /// The same engine with the library's limits (longer documents than invoices).
    documents: Result<Arc<Reader>, String>,
    pub second_avis: Option<SecondAvis>,
}

impl std::fmt::Debug for Lecture {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Lecture")
            .field(
                "moteur",
                &self.reader.as_ref().map(|r| r.engine_name()).as_ref(),
            )
            .field("second_avis", &self.second_avis)
            .finish()
    }
}

impl Lecture {
    /// The engine and limits from the environment (`WAKIL_OCR_ENGINE`, `WAKIL_OCRS_MODELS`,
    /// `WAKIL_TESSERACT`, `WAKIL_FACTURE_MAX_MO`, `WAKIL_FACTURE_MAX_PAGES`), no second opinion.
    pub fn from_env() -> Self {
        let reader = wakil_ocr::engine_from_env()
            .map(|engine| Arc::new(Reader::new(engine, Limits::from_env())))
            .map_err(|e| e.to_string());
        Lecture {
            reader,
            documents: lecteur_de_documents(),
            second_avis: None,
        }
    }

    /// A given invoice reader (tests, benchmarks); documents are read as configured.
    pub fn new(reader: Reader) -> Self {
        Lecture {
            reader: Ok(Arc::new(reader)),
            documents: lecteur_de_documents(),
            second_avis: None,
        }
    }

    /// The reader of the document library, or why scanned documents cannot be read (French).
    pub fn documents(&self) -> Result<Arc<Reader>, String> {
        self.documents.clone()
    }

    /// With the model's second opinion (the agent's model, when it is enabled).
    pub fn with_second_avis(mut self, second_avis: Option<SecondAvis>) -> Self {
        self.second_avis = second_avis;
        self
    }

    /// The reader, or why invoices cannot be read on this server (in French).
    pub fn reader(&self) -> Result<Arc<Reader>, String> {
        self.reader.clone()
    }
}

/// The library's reader: the configured engine, `WAKIL_DOCUMENT_MAX_MO` (default 50, at most
/// 200) and `WAKIL_DOCUMENT_MAX_PAGES` (default 200, at most 1 000).
fn lecteur_de_documents() -> Result<Arc<Reader>, String> {
    let setting = |name: &str, max: u32, default: u32| {
        std::env::var(name)
            .ok()
            .and_then(|v| v.trim().parse::<u32>().ok())
            .filter(|n| (1..=max).contains(n))
            .unwrap_or(default)
    };
    let limits = Limits {
        max_bytes: u64::from(setting("WAKIL_DOCUMENT_MAX_MO", 200, 50)) * 1024 * 1024,
        max_pages: setting("WAKIL_DOCUMENT_MAX_PAGES", 1000, 200),
    };
    wakil_ocr::engine_from_env()
        .map(|engine| Arc::new(Reader::new(engine, limits)))
        .map_err(|e| e.to_string())
}

/// The language model asked for a structured extraction (Ollama's `/api/chat` with a JSON
/// schema as `format`).
#[derive(Debug, Clone)]
pub struct SecondAvis {
    /// Ollama's base URL (`http://127.0.0.1:11434`).
    pub url: String,
    pub model: String,
    /// Past this, the parser's reading stands alone.
    pub timeout: Duration,
}

impl SecondAvis {
    /// The model's reading of `text`; an error (in English, for the logs) when it does not
    /// answer in time or answers something else than the schema.
    pub(crate) async fn lire(&self, text: &str) -> Result<InvoiceData, String> {
        let client = reqwest::Client::builder()
            .timeout(self.timeout)
            .build()
            .map_err(|e| e.to_string())?;
        let body = serde_json::json!({
            "model": self.model,
            "messages": [{ "role": "user", "content": wakil_invoice::llm_prompt(text) }],
            "format": wakil_invoice::llm_schema(),
            "stream": false,
            "options": { "temperature": 0 },
        });
        let answer: serde_json::Value = client
            .post(format!("{}/api/chat", self.url.trim_end_matches('/')))
            .json(&body)
            .send()
            .await
            .and_then(reqwest::Response::error_for_status)
            .map_err(|e| e.to_string())?
            .json()
            .await
            .map_err(|e| e.to_string())?;
        let content = answer["message"]["content"]
            .as_str()
            .ok_or("no message.content in the answer")?;
        wakil_invoice::parse_llm_answer(content).map_err(|e| e.to_string())
    }
}

/// Where a tool reports its steps while it works ("Lecture…"): the channel shows them.
#[derive(Clone)]
pub struct Progress(Arc<dyn Fn(&str) + Send + Sync>);

impl Progress {
    pub fn new(f: impl Fn(&str) + Send + Sync + 'static) -> Self {
        Progress(Arc::new(f))
    }

    pub(crate) fn step(&self, label: &str) {
        (self.0)(label)
    }
}

impl std::fmt::Debug for Progress {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Progress")
    }
}
