//! The yearly report as an Excel workbook: sheets Synthèse, Dépenses par catégorie, Budget vs
//! réalisé and Impayés; amounts are numbers (so that the syndic can sort and sum them), never
//! text, with bold frozen headers.
//!
//! Every amount is a `NUMERIC(14,2)` read as a `Decimal`; it becomes the cell's `f64` only when
//! written ([`nombre`]). That is exact to the centime: the `f64` is the double nearest to the
//! decimal (parsed from its text, which Rust rounds correctly), and a decimal of at most 15
//! significant digits — 14 for `NUMERIC(14,2)`, up to 999 999 999 999,99 — is the only one of
//! that length that rounds to that double, so Excel (which shows 15 significant digits) displays
//! exactly the centimes SQL computed. Totals are written as SQL computed them, not as formulas.

use super::{Dossier, TAUX_RECOUVREMENT};
use crate::format::date;
use chrono::Datelike;
use rust_decimal::Decimal;
use rust_xlsxwriter::{
    Color, DocProperties, ExcelDateTime, Format, FormatBorder, Workbook, Worksheet, XlsxError,
};

/// Thousands grouped, two decimals. Number formats are stored in the file in the invariant
/// (English) notation: `,` groups and `.` separates the decimals, and a French Excel shows
/// `# ##0,00` (`1 234 567,50`).
const MONTANT: &str = "#,##0.00";
const DATE: &str = "dd/mm/yyyy";
const ROUGE: u32 = 0xB4_23_18;

struct Styles {
    titre: Format,
    entete: Format,
    entete_nombre: Format,
    montant: Format,
    montant_rouge: Format,
    pourcentage: Format,
    date: Format,
    total: Format,
    total_montant: Format,
    note: Format,
}

impl Styles {
    fn new() -> Self {
        let entete = Format::new()
            .set_bold()
            .set_background_color(Color::RGB(0xF2_F4_F7))
            .set_border_bottom(FormatBorder::Thin);
        let total = Format::new().set_bold().set_border_top(FormatBorder::Thin);
        Styles {
            titre: Format::new().set_bold().set_font_size(14),
            entete_nombre: entete
                .clone()
                .set_align(rust_xlsxwriter::FormatAlign::Right),
            entete,
            montant: Format::new().set_num_format(MONTANT),
            montant_rouge: Format::new()
                .set_num_format(MONTANT)
                .set_font_color(Color::RGB(ROUGE)),
            pourcentage: Format::new().set_num_format("0.0\" %\""),
            date: Format::new().set_num_format(DATE),
            total_montant: total.clone().set_num_format(MONTANT),
            total,
            note: Format::new()
                .set_italic()
                .set_font_color(Color::RGB(0x5B_64_70)),
        }
    }
}

/// The cell value of an amount (see the module's note on exactness).
fn nombre(d: Decimal) -> Result<f64, XlsxError> {
    d.to_string()
        .parse()
        .map_err(|_| XlsxError::ParameterError(format!("montant {d}")))
}

fn excel_date(d: chrono::NaiveDate) -> Result<ExcelDateTime, XlsxError> {
    let (Ok(annee), Ok(mois), Ok(jour)) = (
        u16::try_from(d.year()),
        u8::try_from(d.month()),
        u8::try_from(d.day()),
    ) else {
        return Err(XlsxError::ParameterError(format!("date {d}")));
    };
    ExcelDateTime::from_ymd(annee, mois, jour)
}

/// A header row at `row`; columns listed in `nombres` are right-aligned like their figures.
fn entetes(
    ws: &mut Worksheet,
    s: &Styles,
    row: u32,
    labels: &[&str],
    nombres: &[u16],
) -> Result<(), XlsxError> {
    for (col, label) in (0u16..).zip(labels) {
        let style = if nombres.contains(&col) {
            &s.entete_nombre
        } else {
            &s.entete
        };
        ws.write_string_with_format(row, col, *label, style)?;
    }
    ws.set_freeze_panes(row + 1, 0)?;
    Ok(())
}

fn largeurs(ws: &mut Worksheet, widths: &[f64]) -> Result<(), XlsxError> {
    for (col, w) in (0u16..).zip(widths) {
        ws.set_column_width(col, *w)?;
    }
    Ok(())
}

/// Builds the workbook of `d` (CPU-bound: call it from `spawn_blocking` in async code). The same
/// report gives the same bytes: the creation date is the report's date and the archive's
/// timestamps are fixed.
pub fn xlsx(d: &Dossier) -> Result<Vec<u8>, XlsxError> {
    let o = &d.output;
    let s = Styles::new();
    let mut wb = Workbook::new();
    wb.set_properties(
        &DocProperties::new()
            .set_title(d.titre())
            .set_author(&d.entete.syndic)
            .set_company(&d.entete.syndic)
            .set_creation_datetime(&excel_date(o.au)?),
    );

    // Synthèse: who, what, when, then the headline figures.
    let ws = wb.add_worksheet();
    ws.set_name("Synthèse")?;
    largeurs(ws, &[42.0, 18.0])?;
    ws.write_string_with_format(0, 0, d.titre(), &s.titre)?;
    let infos = [
        ("Syndic", d.entete.syndic.clone()),
        (
            "Résidence",
            format!(
                "{}, {}, {}",
                d.entete.residence, d.entete.adresse, d.entete.ville
            ),
        ),
        ("Exercice", o.annee.to_string()),
        ("Situation au", date(o.au)),
    ];
    for (row, (label, value)) in (1u32..).zip(infos) {
        ws.write_string(row, 0, label)?;
        ws.write_string(row, 1, value)?;
    }
    let header = 6;
    entetes(ws, &s, header, &["Indicateur", "Montant (MAD)"], &[1])?;
    let mut row = header + 1;
    for (label, value) in o.synthese() {
        ws.write_string(row, 0, label)?;
        ws.write_number_with_format(row, 1, nombre(value)?, &s.montant)?;
        row += 1;
    }
    if let Some(taux) = o.chiffres.taux_recouvrement {
        ws.write_string(row, 0, TAUX_RECOUVREMENT)?;
        ws.write_number_with_format(row, 1, nombre(taux)?, &s.pourcentage)?;
        row += 1;
    }
    ws.write_string_with_format(
        row + 1,
        0,
        "Montants en dirhams (MAD) calculés par Wakil à partir des écritures du syndic.",
        &s.note,
    )?;

    let ws = wb.add_worksheet();
    ws.set_name("Dépenses par catégorie")?;
    largeurs(ws, &[24.0, 10.0, 16.0, 14.0, 16.0])?;
    entetes(
        ws,
        &s,
        0,
        &[
            "Catégorie",
            "Factures",
            "HT (MAD)",
            "TVA (MAD)",
            "TTC (MAD)",
        ],
        &[1, 2, 3, 4],
    )?;
    let mut row = 1;
    for dep in &o.depenses {
        ws.write_string(row, 0, dep.categorie.label())?;
        ws.write_number(row, 1, nombre(dep.nb_factures.into())?)?;
        ws.write_number_with_format(row, 2, nombre(dep.montant_ht)?, &s.montant)?;
        ws.write_number_with_format(row, 3, nombre(dep.montant_tva)?, &s.montant)?;
        ws.write_number_with_format(row, 4, nombre(dep.montant_ttc)?, &s.montant)?;
        row += 1;
    }
    let total = o.depenses_total();
    ws.write_string_with_format(row, 0, "Total", &s.total)?;
    ws.write_number_with_format(row, 1, nombre(total.nb_factures.into())?, &s.total)?;
    ws.write_number_with_format(row, 2, nombre(total.montant_ht)?, &s.total_montant)?;
    ws.write_number_with_format(row, 3, nombre(total.montant_tva)?, &s.total_montant)?;
    ws.write_number_with_format(row, 4, nombre(o.chiffres.depenses)?, &s.total_montant)?;

    let ws = wb.add_worksheet();
    ws.set_name("Budget vs réalisé")?;
    largeurs(ws, &[24.0, 16.0, 16.0, 16.0, 14.0])?;
    entetes(
        ws,
        &s,
        0,
        &[
            "Catégorie",
            "Budget (MAD)",
            "Réalisé (MAD)",
            "Écart (MAD)",
            "Exécution",
        ],
        &[1, 2, 3, 4],
    )?;
    let mut row = 1;
    for b in &o.budget {
        ws.write_string(row, 0, b.categorie.label())?;
        ws.write_number_with_format(row, 1, nombre(b.budget)?, &s.montant)?;
        ws.write_number_with_format(row, 2, nombre(b.realise)?, &s.montant)?;
        let ecart = if b.ecart > Decimal::ZERO {
            &s.montant_rouge
        } else {
            &s.montant
        };
        ws.write_number_with_format(row, 3, nombre(b.ecart)?, ecart)?;
        match b.taux_execution {
            Some(taux) => ws.write_number_with_format(row, 4, nombre(taux)?, &s.pourcentage)?,
            None => ws.write_string(row, 4, "hors budget")?,
        };
        row += 1;
    }
    let (realise, ecart) = o.budget_totaux();
    ws.write_string_with_format(row, 0, "Total", &s.total)?;
    ws.write_number_with_format(row, 1, nombre(o.chiffres.budget_total)?, &s.total_montant)?;
    ws.write_number_with_format(row, 2, nombre(realise)?, &s.total_montant)?;
    ws.write_number_with_format(row, 3, nombre(ecart)?, &s.total_montant)?;

    let ws = wb.add_worksheet();
    ws.set_name("Impayés")?;
    largeurs(ws, &[10.0, 32.0, 18.0, 12.0, 16.0, 12.0])?;
    entetes(
        ws,
        &s,
        0,
        &[
            "Lot",
            "Copropriétaire",
            "Montant dû (MAD)",
            "Échéances",
            "Plus ancienne",
            "Retard (jours)",
        ],
        &[2, 3, 4, 5],
    )?;
    let mut row = 1;
    for l in &d.impayes {
        ws.write_string(row, 0, &l.lot)?;
        ws.write_string(row, 1, &l.coproprietaire)?;
        ws.write_number_with_format(row, 2, nombre(l.montant_du)?, &s.montant)?;
        ws.write_number(row, 3, nombre(l.nb_echeances.into())?)?;
        ws.write_datetime_with_format(row, 4, &excel_date(l.plus_ancienne_echeance)?, &s.date)?;
        ws.write_number(row, 5, l.jours_retard)?;
        row += 1;
    }
    ws.write_string_with_format(row, 0, "Total", &s.total)?;
    ws.write_number_with_format(row, 2, nombre(d.impayes_total())?, &s.total_montant)?;
    ws.write_string_with_format(
        row + 2,
        0,
        format!(
            "Reste dû au {} sur les échéances échues des appels de fonds de l'exercice {}.",
            date(o.au),
            o.annee
        ),
        &s.note,
    )?;

    wb.save_to_buffer()
}
