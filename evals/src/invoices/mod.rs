//! Synthetic Moroccan supplier invoices with their ground truth, for the invoice-reading
//! benchmark and the end-to-end tests.
//!
//! [`invoice`] draws one invoice of a [`Layout`] (six truly different page layouts, from a water
//! and electricity distributor's bill to a handyman's minimal note), computes every figure in
//! Rust with `Decimal`, writes it in one of the styles real invoices use (number, date, currency
//! and label wording, field order) and renders it with typst into a PDF with a text layer. The
//! [`InvoiceData`] truth is what the page states: `None` for what it does not print. [`scan`]
//! rasterises it like a flatbed scanner, [`photo`] like a phone photo (perspective, rotation,
//! uneven light, blur, noise, JPEG). Everything is deterministic in the seed.

pub mod bench;
mod layouts;
mod qr;
mod raster;
mod style;
mod universe;

pub use raster::{photo, scan};
pub use universe::{pick, universe};

use chrono::NaiveDate;
use serde::Serialize;
use thiserror::Error;
use wakil_invoice::{InvoiceData, KnownResidence, KnownSupplier};
use wakil_tools::render::RenderError;

#[derive(Debug, Error)]
pub enum GenError {
    #[error("la facture de test ne se compose pas : {0}")]
    Render(#[from] RenderError),
    #[error("QR code impossible à coder : {0}")]
    Qr(String),
    #[error("{0} : installez poppler-utils (pdftoppm) et réessayez")]
    Poppler(String),
    #[error("image de test impossible à produire : {0}")]
    Image(String),
    /// The OCR engine is not usable; the message says what to install or set.
    #[error("{0}")]
    Ocr(String),
    #[error("écriture du corpus impossible dans {0} : vérifiez le dossier de --keep")]
    Keep(String),
}

/// Helpers every layout's template starts with (the data, the QR code, the tables).
const COMMUN: &str = include_str!("../../templates/invoices/commun.typ");

/// The six page layouts of the corpus, one per kind of supplier.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Layout {
    /// A water and electricity distributor's bill (Lydec, Redal, RADEEMA…): contract and meter
    /// numbers, index readings, tariff tiers, TVA 7 % (water) and 14 % (electricity).
    Distributeur,
    /// A lift-maintenance contract invoice, quarterly, 20 %.
    Ascenseur,
    /// A security company's monthly invoice: agents × hours, 20 %.
    Gardiennage,
    /// A cleaning company's monthly invoice, 20 %, the amount in words.
    Nettoyage,
    /// A gardening company's invoice, 10 % or 20 %, in two columns aligned right.
    Jardinage,
    /// A small handyman's note: a few lines and a total, no TVA, maybe no ICE.
    Bricoleur,
}

impl Layout {
    pub const ALL: [Layout; 6] = [
        Layout::Distributeur,
        Layout::Ascenseur,
        Layout::Gardiennage,
        Layout::Nettoyage,
        Layout::Jardinage,
        Layout::Bricoleur,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Layout::Distributeur => "distributeur",
            Layout::Ascenseur => "ascenseur",
            Layout::Gardiennage => "gardiennage",
            Layout::Nettoyage => "nettoyage",
            Layout::Jardinage => "jardinage",
            Layout::Bricoleur => "bricoleur",
        }
    }

    fn template(self) -> &'static str {
        match self {
            Layout::Distributeur => include_str!("../../templates/invoices/distributeur.typ"),
            Layout::Ascenseur => include_str!("../../templates/invoices/ascenseur.typ"),
            Layout::Gardiennage => include_str!("../../templates/invoices/gardiennage.typ"),
            Layout::Nettoyage => include_str!("../../templates/invoices/nettoyage.typ"),
            Layout::Jardinage => include_str!("../../templates/invoices/jardinage.typ"),
            Layout::Bricoleur => include_str!("../../templates/invoices/bricoleur.typ"),
        }
    }
}

/// What to draw: the layout, who bills whom, and the seed every choice derives from.
#[derive(Debug, Clone, Copy)]
pub struct Spec<'a> {
    pub layout: Layout,
    pub supplier: &'a KnownSupplier,
    pub residence: &'a KnownResidence,
    /// The syndic's name, printed in the client block.
    pub syndic: &'a str,
    pub seed: u64,
    /// The day the invoice is rendered; the invoice is dated a few days to weeks before.
    pub today: NaiveDate,
}

/// One synthetic invoice: its truth and its PDF (with a text layer).
#[derive(Debug, Clone)]
pub struct Invoice {
    pub layout: Layout,
    pub truth: InvoiceData,
    pub pdf: Vec<u8>,
}

/// Draws and renders one invoice; the same spec gives the same truth and the same bytes.
pub fn invoice(spec: &Spec) -> Result<Invoice, GenError> {
    let (doc, truth) = layouts::draw(spec)?;
    let source = format!("{COMMUN}\n{}", spec.layout.template());
    let pdf = wakil_tools::render::pdf(&source, &doc, spec.today)?;
    Ok(Invoice {
        layout: spec.layout,
        truth,
        pdf: pdf.bytes,
    })
}

/// What a template lays out. Every string is already written in the invoice's style; templates
/// compute nothing.
#[derive(Debug, Clone, Serialize)]
struct Doc {
    /// The body font: one of typst's embedded fonts.
    police: &'static str,
    /// The supplier's colour (hex).
    couleur: &'static str,
    titre: String,
    /// The supplier's name as printed, its trade, its address and phone lines.
    emetteur: String,
    activite: String,
    coordonnees: Vec<String>,
    /// Legal identifiers: "ICE : …", "RC : …", "IF : …".
    mentions: Vec<String>,
    /// "Client", "Doit", "Facturé à" and the client block's lines.
    client_titre: String,
    client: Vec<String>,
    /// Label and value pairs (number, dates, period, references), in the invoice's order.
    infos: Vec<[String; 2]>,
    objet: Option<String>,
    colonnes: Vec<String>,
    /// Indexes of the right-aligned (numeric) columns.
    droite: Vec<usize>,
    lignes: Vec<Vec<String>>,
    /// A distributor's meter readings: service, meter, previous and new index, consumption.
    releves: Vec<Vec<String>>,
    /// Label and amount pairs; the last one is the amount due.
    totaux: Vec<[String; 2]>,
    /// "Arrêtée la présente facture à la somme de …".
    lettres: Option<String>,
    qr: Option<qr::Qr>,
    pied: Vec<String>,
}
