//! PDF rendering with typst, entirely in memory: the template is compiled with the shared
//! `wakil.typ` library, the data as `data.json`, and the fonts embedded in the binary
//! (`typst-assets`). No file system, no network, no system fonts: the same input always gives
//! the same bytes.
//!
//! Templates never compute a figure: every amount arrives in `data.json` already computed by SQL
//! and formatted by [`crate::format`]; typst only lays it out (a bar's width may be given as a
//! ratio).

use serde::Serialize;
use std::sync::LazyLock;
use std::sync::atomic::{AtomicU32, Ordering};
use thiserror::Error;
use typst::diag::{FileError, FileResult, SourceDiagnostic};
use typst::foundations::{Bytes, Datetime};
use typst::syntax::{FileId, RootedPath, Source, VirtualPath, VirtualRoot};
use typst::text::{Font, FontBook};
use typst::utils::LazyHash;
use typst::{Library, LibraryExt, World};
use typst_layout::PagedDocument;

/// The shared page setup and helpers, imported by every template (`#import "wakil.typ": *`).
pub const LIBRARY: &str = include_str!("../templates/wakil.typ");

#[derive(Debug, Error)]
pub enum RenderError {
    #[error("données du document illisibles : {0}")]
    Data(String),
    #[error("le modèle ne compile pas : {0}")]
    Template(String),
    #[error("export PDF impossible : {0}")]
    Pdf(String),
}

/// A rendered PDF and its page count.
#[derive(Debug, Clone)]
pub struct Pdf {
    pub bytes: Vec<u8>,
    pub pages: usize,
}

struct Fonts {
    book: LazyHash<FontBook>,
    fonts: Vec<Font>,
}

static FONTS: LazyLock<Fonts> = LazyLock::new(|| {
    let fonts: Vec<Font> = typst_assets::fonts()
        .flat_map(|data| Font::iter(Bytes::new(data)))
        .collect();
    Fonts {
        book: LazyHash::new(FontBook::from_fonts(&fonts)),
        fonts,
    }
});

static LIB: LazyLock<LazyHash<Library>> = LazyLock::new(|| LazyHash::new(Library::default()));

fn file_id(path: &str) -> Result<FileId, RenderError> {
    let vpath = VirtualPath::new(path).map_err(|e| RenderError::Template(format!("{e:?}")))?;
    Ok(FileId::new(RootedPath::new(VirtualRoot::Project, vpath)))
}

struct MemoryWorld {
    main: Source,
    library: Source,
    data: Bytes,
    data_id: FileId,
    today: Datetime,
}

impl World for MemoryWorld {
    fn library(&self) -> &LazyHash<Library> {
        &LIB
    }

    fn book(&self) -> &LazyHash<FontBook> {
        &FONTS.book
    }

    fn main(&self) -> FileId {
        self.main.id()
    }

    fn source(&self, id: FileId) -> FileResult<Source> {
        if id == self.main.id() {
            Ok(self.main.clone())
        } else if id == self.library.id() {
            Ok(self.library.clone())
        } else {
            Err(FileError::AccessDenied)
        }
    }

    fn file(&self, id: FileId) -> FileResult<Bytes> {
        if id == self.data_id {
            Ok(self.data.clone())
        } else {
            self.source(id).map(Bytes::from_string)
        }
    }

    fn font(&self, index: usize) -> Option<Font> {
        FONTS.fonts.get(index).cloned()
    }

    fn today(&self, _offset: Option<typst::foundations::Duration>) -> Option<Datetime> {
        Some(self.today)
    }
}

/// Compilations since typst's memo cache was last trimmed.
static SINCE_EVICTION: AtomicU32 = AtomicU32::new(0);

/// Compiles `template` (typst source importing `wakil.typ`) with `data` readable as
/// `json("data.json")`; `today` is what typst's `datetime.today()` gives. CPU-bound (a few
/// milliseconds a page in release): call it from `spawn_blocking` in async code.
pub fn pdf(
    template: &str,
    data: &impl Serialize,
    today: chrono::NaiveDate,
) -> Result<Pdf, RenderError> {
    use chrono::Datelike;
    let data = serde_json::to_vec(data).map_err(|e| RenderError::Data(e.to_string()))?;
    let month = u8::try_from(today.month()).map_err(|e| RenderError::Data(e.to_string()))?;
    let day = u8::try_from(today.day()).map_err(|e| RenderError::Data(e.to_string()))?;
    let world = MemoryWorld {
        main: Source::new(file_id("/main.typ")?, template.to_string()),
        library: Source::new(file_id("/wakil.typ")?, LIBRARY.to_string()),
        data: Bytes::new(data),
        data_id: file_id("/data.json")?,
        today: Datetime::from_ymd(today.year(), month, day)
            .ok_or_else(|| RenderError::Data(format!("date {today}")))?,
    };
    let document: PagedDocument = typst::compile(&world)
        .output
        .map_err(|errors| RenderError::Template(diagnostics(&errors)))?;
    let bytes = typst_pdf::pdf(&document, &typst_pdf::PdfOptions::default())
        .map_err(|errors| RenderError::Pdf(diagnostics(&errors)))?;
    // A long-running server must not keep every compilation's memoised results.
    if SINCE_EVICTION.fetch_add(1, Ordering::Relaxed) >= 32 {
        SINCE_EVICTION.store(0, Ordering::Relaxed);
        typst::comemo::evict(10);
    }
    Ok(Pdf {
        pages: document.pages().len(),
        bytes,
    })
}

fn diagnostics(errors: &[SourceDiagnostic]) -> String {
    errors
        .iter()
        .map(|e| e.message.to_string())
        .collect::<Vec<_>>()
        .join(" ; ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_template_renders_its_data_with_the_shared_library() {
        let template = r#"#import "wakil.typ": *
#let data = json("data.json")
#show: wakil-doc.with(titre: data.titre, emetteur: "Syndic Atlas")
Bonjour #data.nom, vous devez #montant(data.montant).
"#;
        let data =
            serde_json::json!({"titre": "Essai", "nom": "Mme Lahlou", "montant": "1 234,50"});
        let date = chrono::NaiveDate::from_ymd_opt(2026, 11, 15).unwrap_or_default();
        let pdf = pdf(template, &data, date).unwrap();
        assert!(pdf.bytes.starts_with(b"%PDF-"));
        assert_eq!(pdf.pages, 1);
        // Deterministic: the same input gives the same bytes (documents are deduplicated by hash).
        assert_eq!(pdf.bytes, super::pdf(template, &data, date).unwrap().bytes);
    }

    #[test]
    fn a_broken_template_is_an_error_not_a_panic() {
        let date = chrono::NaiveDate::from_ymd_opt(2026, 11, 15).unwrap_or_default();
        let err = pdf("#let x = (", &serde_json::json!({}), date).unwrap_err();
        assert!(matches!(err, RenderError::Template(_)), "{err}");
    }
}
