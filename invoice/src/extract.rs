//! The deterministic parser: an invoice's text (and its QR payloads) to an [`Extraction`], every
//! field with its confidence.

use chrono::NaiveDate;

use crate::amounts::{adds_up, gap_note, settle};
use crate::category::category;
use crate::data::{Confidence, DOUBTFUL_BELOW, Directory, Extraction, InvoiceData, Origin};
use crate::labels::Slot;
use crate::matching::{
    IceRead, ice_reads, key_words, match_residence, match_supplier, printed_supplier,
};
use crate::number::is_currency_word;
use crate::qr::invoice_data;
use crate::reading::{Candidate, Reading};

/// Confidence of a value read beside a label of `strength` (1 for "Date de facture", 0.6 for a
/// bare "N°").
fn labelled(strength: f32) -> f32 {
    0.5 + 0.45 * strength.min(1.0)
}
/// Confidence of a field only guessed (a date without label, the supplier's name as printed).
const GUESSED: f32 = 0.5;
/// Confidence of a field the QR code gives and the text confirms.
const QR_CONFIRMED: f32 = 0.99;
/// Confidence of a field only the QR code gives (or that the text contradicts).
const QR_ALONE: f32 = 0.95;

/// Reads an invoice's text (OCR or text layer; pages joined by form feeds) and the payloads of
/// its QR codes: every field found, with a confidence, the supplier and the résidence of
/// `directory` recognised, French notes on what to check. A text that is no invoice (no invoice
/// wording, no amount) gives `is_invoice: false` and no values.
pub fn extract(text: &str, qr: &[String], directory: &Directory) -> Extraction {
    let reading = Reading::read(text);
    let from_qr = qr.iter().find_map(|payload| invoice_data(payload));
    let mut out = Extraction::default();
    if !looks_like_invoice(&reading) && from_qr.is_none() {
        out.notes.push(
            "Ce document ne ressemble pas à une facture (ni mention de facture ni montant) : \
             envoyez la photo ou le PDF de la facture."
                .to_string(),
        );
        return out;
    }
    out.is_invoice = true;
    supplier(&mut out, &reading, from_qr.as_ref(), directory);
    numbers_and_dates(&mut out, &reading);
    amounts(&mut out, &reading);
    if reading
        .lines
        .iter()
        .any(|l| l.line.words.iter().any(|w| is_currency_word(&w.text)))
    {
        set(
            &mut out,
            "devise",
            0.95,
            Origin::Texte,
            |v| &mut v.devise,
            "MAD".to_string(),
        );
    }
    residence_and_category(&mut out, &reading, directory);
    if let Some(q) = from_qr {
        merge_qr(&mut out, &q);
    }
    out
}

/// An invoice says so, or prints a labelled amount.
fn looks_like_invoice(reading: &Reading) -> bool {
    let wording = reading.lines.iter().any(|l| {
        l.line
            .words
            .iter()
            .any(|w| matches!(w.text.as_str(), "facture" | "invoice"))
            || !l.line.find_words("note d honoraires").is_empty()
    });
    let labelled_amount =
        !reading.ht.is_empty() || !reading.ttc.is_empty() || !reading.tva.is_empty();
    wording || labelled_amount
}

/// Sets a field and its confidence.
fn set<T>(
    out: &mut Extraction,
    field: &str,
    score: f32,
    origin: Origin,
    slot: impl FnOnce(&mut InvoiceData) -> &mut Option<T>,
    value: T,
) {
    *slot(&mut out.values) = Some(value);
    out.confidences
        .insert(field.to_string(), Confidence { score, origin });
}

fn supplier(
    out: &mut Extraction,
    reading: &Reading,
    from_qr: Option<&InvoiceData>,
    directory: &Directory,
) {
    let mut ices = ice_reads(&reading.lines);
    let qr_ice = from_qr.and_then(|q| q.ice.clone());
    if let Some(ice) = &qr_ice {
        ices.insert(
            0,
            IceRead {
                digits: ice.clone(),
                line: 0,
                labelled: true,
                client: false,
            },
        );
    }
    match match_supplier(&reading.lines, &ices, directory) {
        Some(m) => {
            let origin = if m.ice_read.is_some() && m.ice_read == qr_ice {
                Origin::Qr
            } else {
                Origin::Texte
            };
            out.fournisseur_id = Some(m.supplier.id);
            set(
                out,
                "fournisseur",
                m.score,
                origin,
                |v| &mut v.fournisseur,
                m.supplier.nom.clone(),
            );
            out.notes.extend(m.notes);
            if let Some(known) = &m.supplier.ice {
                let printed = supplier_ice(&ices);
                let label_seen = ices.iter().any(|r| r.labelled && !r.client);
                let taken = match (&m.ice_read, printed) {
                    (Some(_), _) => Some((m.score, origin)),
                    (None, Some(p)) => {
                        out.notes.push(format!(
                            "L'ICE imprimé ({}) diffère de celui de {} dans votre liste ({known}) : vérifiez.",
                            p.digits, m.supplier.nom
                        ));
                        Some((DOUBTFUL_BELOW - 0.2, Origin::Annuaire))
                    }
                    // Printed but unreadable: the list's, to confirm.
                    (None, None) if label_seen => {
                        out.notes.push(format!(
                            "ICE illisible sur la facture : celui de {} dans votre liste est proposé.",
                            m.supplier.nom
                        ));
                        Some((DOUBTFUL_BELOW - 0.1, Origin::Annuaire))
                    }
                    // Not printed: none.
                    (None, None) => None,
                };
                if let Some((score, origin)) = taken {
                    set(out, "ice", score, origin, |v| &mut v.ice, known.clone());
                }
            } else if let Some(p) = supplier_ice(&ices).filter(|p| p.digits.len() == 15) {
                set(
                    out,
                    "ice",
                    0.85,
                    Origin::Texte,
                    |v| &mut v.ice,
                    p.digits.clone(),
                );
            }
        }
        None => {
            if let Some(name) = printed_supplier(&reading.lines) {
                set(
                    out,
                    "fournisseur",
                    GUESSED,
                    Origin::Texte,
                    |v| &mut v.fournisseur,
                    name,
                );
                out.notes.push(
                    "Fournisseur absent de votre liste : vérifiez son nom ou ajoutez-le."
                        .to_string(),
                );
            }
            match supplier_ice(&ices) {
                Some(p) if p.digits.len() == 15 => {
                    let score = if p.labelled { 0.85 } else { 0.6 };
                    set(
                        out,
                        "ice",
                        score,
                        Origin::Texte,
                        |v| &mut v.ice,
                        p.digits.clone(),
                    );
                }
                Some(_) => out
                    .notes
                    .push("ICE du fournisseur illisible : saisissez ses 15 chiffres.".to_string()),
                None => {}
            }
        }
    }
}

/// The supplier's ICE among those read: labelled and outside the client's block first.
fn supplier_ice(ices: &[IceRead]) -> Option<&IceRead> {
    ices.iter()
        .filter(|r| !r.client && !r.digits.is_empty())
        .max_by_key(|r| (r.labelled, r.digits.len() == 15, std::cmp::Reverse(r.line)))
}

/// The best candidate: the strongest label, the first on a tie.
fn best<T: Clone>(list: &[Candidate<T>]) -> Option<Candidate<T>> {
    list.iter()
        .fold(None::<&Candidate<T>>, |acc, c| match acc {
            Some(a) if a.strength >= c.strength => Some(a),
            _ => Some(c),
        })
        .cloned()
}

fn numbers_and_dates(out: &mut Extraction, reading: &Reading) {
    if let Some(c) = best(&reading.numero) {
        set(
            out,
            "numero",
            labelled(c.strength),
            Origin::Texte,
            |v| &mut v.numero,
            c.value,
        );
    }
    let periode = best(&reading.periode)
        .map(|c| (c.value, labelled(c.strength)))
        .or_else(|| lone_month(reading).map(|range| (range, 0.7)));
    if let Some(((debut, fin), score)) = periode {
        set(
            out,
            "periode",
            score,
            Origin::Texte,
            |v| &mut v.periode_debut,
            debut,
        );
        out.values.periode_fin = Some(fin);
    }
    let echeance = best(&reading.echeance);
    let facture = best(&reading.date_facture)
        .map(|c| (c.value, labelled(c.strength)))
        .or_else(|| {
            let taken = |d: NaiveDate| {
                echeance.as_ref().is_some_and(|e| e.value == d)
                    || periode.is_some_and(|((a, b), _)| a == d || b == d)
            };
            reading
                .loose_dates
                .iter()
                .find(|(_, d)| !taken(*d))
                .map(|(_, d)| (*d, GUESSED))
        });
    if let Some((date, score)) = facture {
        set(
            out,
            "date_facture",
            score,
            Origin::Texte,
            |v| &mut v.date_facture,
            date,
        );
    }
    if let Some(c) = echeance {
        set(
            out,
            "date_echeance",
            labelled(c.strength),
            Origin::Texte,
            |v| &mut v.date_echeance,
            c.value,
        );
    }
    if let (Some(f), Some(e)) = (out.values.date_facture, out.values.date_echeance)
        && e < f
    {
        for field in ["date_facture", "date_echeance"] {
            lower(out, field, DOUBTFUL_BELOW - 0.2);
        }
        out.notes
            .push("L'échéance précède la date de la facture : vérifiez les dates.".to_string());
    }
}

/// The one month the text names without a label ("Gardiennage janvier 2025"), or its quarter.
fn lone_month(reading: &Reading) -> Option<(NaiveDate, NaiveDate)> {
    let mut months: Vec<(NaiveDate, NaiveDate)> = reading
        .lines
        .iter()
        .filter(|l| {
            !l.hits
                .iter()
                .any(|h| matches!(h.slot, Slot::DateFacture | Slot::Echeance))
        })
        .flat_map(|l| {
            l.months
                .iter()
                .filter(|m| !m.numeric)
                .filter_map(|m| m.bounds())
        })
        .collect();
    months.extend(
        reading
            .lines
            .iter()
            .filter_map(|l| crate::date::quarter(&l.line)),
    );
    months.sort();
    months.dedup();
    (months.len() == 1).then(|| months[0])
}

fn lower(out: &mut Extraction, field: &str, to: f32) {
    if let Some(c) = out.confidences.get_mut(field) {
        c.score = c.score.min(to);
    }
}

fn amounts(out: &mut Extraction, reading: &Reading) {
    let settled = settle(reading);
    if let Some((v, s)) = settled.ht {
        set(
            out,
            "montant_ht",
            s,
            Origin::Texte,
            |d| &mut d.montant_ht,
            v,
        );
    }
    if let Some((v, s)) = settled.tva {
        set(
            out,
            "montant_tva",
            s,
            Origin::Texte,
            |d| &mut d.montant_tva,
            v,
        );
    }
    if let Some((v, s)) = settled.ttc {
        set(
            out,
            "montant_ttc",
            s,
            Origin::Texte,
            |d| &mut d.montant_ttc,
            v,
        );
    }
    if let Some((v, s)) = settled.taux {
        set(out, "taux_tva", s, Origin::Texte, |d| &mut d.taux_tva, v);
    }
    out.notes.extend(settled.notes);
}

fn residence_and_category(out: &mut Extraction, reading: &Reading, directory: &Directory) {
    if let Some(m) = match_residence(&reading.lines, directory) {
        out.residence_id = Some(m.residence.id);
        set(
            out,
            "residence",
            m.score,
            Origin::Texte,
            |v| &mut v.residence,
            m.residence.nom.clone(),
        );
    }
    let known = out
        .fournisseur_id
        .and_then(|id| directory.suppliers.iter().find(|s| s.id == id));
    let supplier_score = out.confidences.get("fournisseur").map_or(0.0, |c| c.score);
    match known {
        // A distributor bills water (TVA 7 %) and electricity (14 %): the bill's rate — the one
        // of its larger base — says which.
        Some(s) if matches!(s.categorie.as_str(), "eau" | "electricite") => {
            let by_rate = match out
                .values
                .taux_tva
                .map(|t| t.normalize().to_string())
                .as_deref()
            {
                Some("7") => Some("eau"),
                Some("14") => Some("electricite"),
                _ => None,
            };
            let categorie = by_rate.unwrap_or(&s.categorie).to_string();
            let score = supplier_score.min(0.9);
            set(
                out,
                "categorie",
                score,
                Origin::Annuaire,
                |v| &mut v.categorie,
                categorie,
            );
        }
        Some(s) => {
            let score = supplier_score.min(0.95);
            set(
                out,
                "categorie",
                score,
                Origin::Annuaire,
                |v| &mut v.categorie,
                s.categorie.clone(),
            );
        }
        None => {
            let ignore: Vec<String> = directory
                .residences
                .iter()
                .flat_map(|r| key_words(&r.nom, &[]))
                .collect();
            if let Some((c, score)) = category(&reading.lines, &ignore) {
                set(
                    out,
                    "categorie",
                    score,
                    Origin::Texte,
                    |v| &mut v.categorie,
                    c.to_string(),
                );
            }
        }
    }
}

/// The QR code's fields: confirmed by the text, or taking the text's place.
fn merge_qr(out: &mut Extraction, q: &InvoiceData) {
    let mut changed_amounts = false;
    for field in [
        "numero",
        "date_facture",
        "date_echeance",
        "montant_ht",
        "taux_tva",
        "montant_tva",
        "montant_ttc",
        "devise",
    ] {
        let Some(qr_value) = q.field(field) else {
            continue;
        };
        let text_value = out.values.field(field);
        let score = match &text_value {
            Some(t) if *t == qr_value => QR_CONFIRMED,
            Some(t) => {
                out.notes.push(format!(
                    "Le QR code indique {qr_value} pour {field} alors que le texte porte {t} : la valeur du QR code est retenue."
                ));
                changed_amounts |= field.starts_with("montant");
                QR_ALONE
            }
            None => {
                changed_amounts |= field.starts_with("montant");
                QR_ALONE
            }
        };
        out.values.copy_field(q, field);
        out.confidences.insert(
            field.to_string(),
            Confidence {
                score,
                origin: Origin::Qr,
            },
        );
    }
    if changed_amounts
        && let (Some(h), Some(t), Some(c)) = (
            out.values.montant_ht,
            out.values.montant_tva,
            out.values.montant_ttc,
        )
        && !adds_up(h, t, c)
    {
        for field in ["montant_ht", "montant_tva", "montant_ttc"] {
            lower(out, field, DOUBTFUL_BELOW - 0.3);
        }
        out.notes.push(gap_note(h, t, c));
    }
}
