//! Reading a supplier invoice's text: which fields it states, how sure we are of each, which of
//! the syndic's suppliers and résidences it names.
//!
//! Architecture invariant: pure functions of text. No file, no database, no network: the OCR
//! lives in `wakil-ocr`, the SQL (the syndic's suppliers and résidences, duplicates, the draft) in
//! `wakil-tools`, the model call in the tool. The same text always gives the same fields.

mod data;

pub use data::{
    CATEGORIES, Confidence, DOUBTFUL_BELOW, Directory, Extraction, FIELDS, InvoiceData,
    KnownResidence, KnownSupplier, Origin,
};
