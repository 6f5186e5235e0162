//! A file a user sends — through the page, Telegram or WhatsApp — becomes a stored file the
//! message carries: recognised by its bytes (the declared type is not trusted), its bytes written,
//! then its row. Every channel stores uploads through [`store_upload`].

use thiserror::Error;
use wakil_agent::event::Attachment;
use wakil_schema::store::Store;
use wakil_schema::{Caller, StoreError};
use wakil_tools::FileStore;

/// The kinds of file accepted, recognised by their first bytes: phone photos and PDFs.
const KINDS: &[(&str, &[u8], usize)] = &[
    ("image/jpeg", &[0xFF, 0xD8, 0xFF], 0),
    ("image/png", b"\x89PNG\r\n\x1a\n", 0),
    ("image/webp", b"WEBP", 8),
    ("application/pdf", b"%PDF-", 0),
];

/// Largest file accepted by default (Telegram's own download limit for bots).
pub const MAX_UPLOAD_BYTES: usize = 20 * 1024 * 1024;

#[derive(Debug, Error)]
pub enum UploadError {
    #[error("Fichier vide : choisissez un autre fichier.")]
    Empty,
    #[error(
        "Fichier trop volumineux : {} Mo au plus. Réduisez la photo ou scannez moins de pages.",
        .max / (1024 * 1024)
    )]
    TooLarge { max: usize },
    #[error(
        "Type de fichier non pris en charge : envoyez une photo (JPEG, PNG, WebP), un PDF, ou un texte (.txt, .md)."
    )]
    Unsupported,
    #[error(
        "Erreur interne : réessayez dans un instant. Si cela persiste, contactez votre syndic."
    )]
    Store(#[from] StoreError),
    #[error(
        "Erreur interne : réessayez dans un instant. Si cela persiste, contactez votre syndic."
    )]
    Io(#[from] std::io::Error),
}

/// What the bytes are, whatever the sender said.
pub fn sniff(bytes: &[u8]) -> Option<&'static str> {
    KINDS
        .iter()
        .find(|(_, magic, at)| bytes.get(*at..*at + magic.len()) == Some(*magic))
        .map(|(mime, _, _)| *mime)
}

/// A text or Markdown document (for the library): named `.txt` or `.md`, and UTF-8 text
/// without control characters but line breaks, tabs and page breaks.
pub fn texte(name: &str, bytes: &[u8]) -> Option<&'static str> {
    let ext = name.rsplit_once('.')?.1.to_ascii_lowercase();
    let mime = match ext.as_str() {
        "md" | "markdown" => "text/markdown",
        "txt" => "text/plain",
        _ => return None,
    };
    let s = std::str::from_utf8(bytes).ok()?;
    s.chars()
        .all(|c| !c.is_control() || matches!(c, '\n' | '\r' | '\t' | '\u{c}'))
        .then_some(mime)
}

/// A file name as the user sees it: without any path or control character, at most 120
/// characters; `fichier.<ext>` when nothing is left.
pub fn clean_name(raw: &str, mime: &str) -> String {
    let base = raw
        .rsplit(['/', '\\'])
        .next()
        .unwrap_or_default()
        .chars()
        .filter(|c| !c.is_control())
        .take(120)
        .collect::<String>();
    let base = base.trim();
    if base.is_empty() {
        let ext = match mime {
            "image/jpeg" => "jpg",
            other => other.rsplit('/').next().unwrap_or("bin"),
        };
        format!("fichier.{ext}")
    } else {
        base.to_string()
    }
}

/// Stores `bytes` sent by `caller` as a file of theirs: checked (not empty, at most `max` bytes,
/// a photo, a PDF or a text document), bytes first, then the row (a row always has its bytes).
pub async fn store_upload(
    store: &Store,
    files: &FileStore,
    caller: &Caller,
    name: &str,
    bytes: &[u8],
    max: usize,
) -> Result<Attachment, UploadError> {
    if bytes.is_empty() {
        return Err(UploadError::Empty);
    }
    if bytes.len() > max {
        return Err(UploadError::TooLarge { max });
    }
    let mime = sniff(bytes)
        .or_else(|| texte(name, bytes))
        .ok_or(UploadError::Unsupported)?;
    let nom = clean_name(name, mime);
    wakil_tools::fichiers::recevoir(store, files, caller, &nom, mime, bytes).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn files_are_recognised_by_their_bytes() {
        assert_eq!(sniff(b"\xFF\xD8\xFF\xE0rest"), Some("image/jpeg"));
        assert_eq!(sniff(b"%PDF-1.7\n"), Some("application/pdf"));
        assert_eq!(sniff(b"RIFF\x10\0\0\0WEBPVP8 "), Some("image/webp"));
        assert_eq!(sniff(b"MZ\x90\0 an executable"), None);
        assert_eq!(sniff(b"<html>"), None);
        assert_eq!(sniff(b""), None);
    }

    #[test]
    fn text_documents_are_named_and_clean() {
        assert_eq!(
            texte("reglement.md", "# Règlement\n".as_bytes()),
            Some("text/markdown")
        );
        assert_eq!(texte("note.TXT", b"a\x0cb"), Some("text/plain"));
        assert_eq!(texte("note.txt", b"a\x00b"), None);
        assert_eq!(texte("note.txt", b"\xff\xfe"), None);
        assert_eq!(texte("script.sh", b"echo"), None);
    }

    #[test]
    fn names_lose_their_path() {
        assert_eq!(
            clean_name("../../etc/facture été.pdf", "application/pdf"),
            "facture été.pdf"
        );
        assert_eq!(clean_name("", "image/png"), "fichier.png");
        assert_eq!(clean_name(" \u{7} ", "image/jpeg"), "fichier.jpg");
    }
}
