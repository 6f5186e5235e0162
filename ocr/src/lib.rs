//! Reading a photo or a PDF of an invoice into text.
//!
//! Bytes in, text out: [`Reader::read`] checks the size, tells the kind by the magic bytes,
//! takes a PDF page's text layer when it has one, and otherwise decodes the page (a photo with
//! its EXIF orientation, a scanned PDF page rasterised by poppler), [`prepare`]s it and has an
//! [`OcrEngine`] read it — [`Tesseract`] in French by default, [`Ocrs`] when its models are
//! configured — while [`decode_qr`] looks for QR codes. Every [`Reading`] names the engine used.
//! No database, no network; user-facing errors ([`ReadError`]) are French.

mod engine;
mod error;
mod input;
mod pdf;
mod pnm;
mod prepare;
mod process;
mod qr;
mod reader;

pub use engine::{OcrEngine, Ocrs, Recognised, Tesseract, engine_from_env, engine_from_lookup};
pub use error::ReadError;
pub use input::{Kind, Limits, sniff};
pub use prepare::prepare;
pub use qr::decode_qr;
pub use reader::{PageText, Reader, Reading, TEXT_LAYER, TextOrigin, Timings};
