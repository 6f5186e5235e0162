//! Reading a supplier invoice's text: which fields it states, how sure we are of each, which of
//! the syndic's suppliers and résidences it names.
//!
//! Architecture invariant: pure functions of text. No file, no database, no network: the OCR
//! lives in `wakil-ocr`, the SQL (the syndic's suppliers and résidences, duplicates, the draft) in
//! `wakil-tools`, the model call in the tool. The same text always gives the same fields.

mod amounts;
mod category;
mod data;
mod date;
mod extract;
mod labels;
mod llm;
mod matching;
mod number;
mod qr;
mod reading;
mod reconcile;
mod text;
mod words;

pub use data::{
    CATEGORIES, Confidence, DOUBTFUL_BELOW, Directory, Extraction, FIELDS, InvoiceData,
    KnownResidence, KnownSupplier, Origin,
};
pub use date::parse_date;
pub use extract::extract;
pub use llm::{ParseError, llm_prompt, llm_schema, parse_llm_answer};
pub use number::parse_amount;
pub use reconcile::reconcile;
