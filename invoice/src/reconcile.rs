//! The parser's reading and the model's second opinion, field by field: agreement raises a
//! field's confidence; disagreement makes it doubtful (the parser's value kept when it is sure
//! and its amounts add up, the model's taken when it makes them add up); a field only the model
//! has is taken below the doubt threshold unless something checks it (the Directory for a
//! supplier, an ICE or a résidence; the arithmetic for an amount).

use crate::amounts::{adds_up, gap_note, rate_of};
use crate::data::{Confidence, DOUBTFUL_BELOW, Directory, Extraction, InvoiceData, Origin};
use crate::matching::{residence_named, supplier_named};
use crate::text::fold;

/// A disputed field: doubtful.
const DISPUTED: f32 = DOUBTFUL_BELOW - 0.1;
/// A field only the model gives, that nothing checks.
const MODEL_UNCHECKED: f32 = DOUBTFUL_BELOW - 0.2;
/// A field only the model gives, checked against the Directory or the arithmetic.
const MODEL_CHECKED: f32 = DOUBTFUL_BELOW + 0.02;
/// Amounts that still do not add up.
const INCONSISTENT: f32 = 0.5;

/// Confidence after the model agrees.
fn raised(score: f32) -> f32 {
    (score + (1.0 - score) * 0.5).max(0.9)
}

/// The field's name in a French note.
fn label(field: &str) -> &'static str {
    match field {
        "fournisseur" => "le fournisseur",
        "ice" => "l'ICE",
        "numero" => "le numéro",
        "date_facture" => "la date de facture",
        "date_echeance" => "l'échéance",
        "periode" => "la période",
        "montant_ht" => "le montant HT",
        "taux_tva" => "le taux de TVA",
        "montant_tva" => "la TVA",
        "montant_ttc" => "le total TTC",
        "devise" => "la devise",
        "categorie" => "la catégorie",
        _ => "la résidence",
    }
}

const AMOUNTS: [&str; 3] = ["montant_ht", "montant_tva", "montant_ttc"];

/// Reconciles the parser's extraction with the model's answer, field by field (see the module).
/// A text the parser found to be no invoice stays so.
pub fn reconcile(parsed: Extraction, model: &InvoiceData, directory: &Directory) -> Extraction {
    let mut out = parsed;
    if !out.is_invoice {
        return out;
    }
    let parser_adds_up = triple_adds_up(&out.values);
    supplier(&mut out, model, directory);
    residence(&mut out, model, directory);
    for field in [
        "numero",
        "date_facture",
        "date_echeance",
        "periode",
        "devise",
        "categorie",
    ] {
        plain(&mut out, model, field);
    }
    amounts(&mut out, model, parser_adds_up);
    out
}

fn triple_adds_up(v: &InvoiceData) -> bool {
    match (v.montant_ht, v.montant_tva, v.montant_ttc) {
        (Some(h), Some(t), Some(c)) => adds_up(h, t, c),
        _ => false,
    }
}

fn score(out: &Extraction, field: &str) -> f32 {
    out.confidences.get(field).map_or(0.0, |c| c.score)
}

fn mark(out: &mut Extraction, field: &str, score: f32, origin: Origin) {
    out.confidences
        .insert(field.to_string(), Confidence { score, origin });
}

fn agree(out: &mut Extraction, field: &str) {
    let s = raised(score(out, field));
    mark(out, field, s, Origin::Accord);
}

fn disputed_note(out: &mut Extraction, field: &str, parser: &str, model: &str) {
    out.notes.push(format!(
        "Lecture automatique et modèle diffèrent pour {} ({parser} / {model}) : vérifiez.",
        label(field)
    ));
}

/// Two readings of a field that say the same ("FA-2025/12" and "FA 2025/12" are one number).
fn same(field: &str, a: &str, b: &str) -> bool {
    if field == "numero" {
        let key = |s: &str| -> String {
            s.chars()
                .filter(|c| c.is_alphanumeric())
                .flat_map(char::to_uppercase)
                .collect()
        };
        key(a) == key(b)
    } else {
        a == b
    }
}

/// A field the Directory and the arithmetic do not check.
fn plain(out: &mut Extraction, model: &InvoiceData, field: &str) {
    let (Some(m), p) = (model.field(field), out.values.field(field)) else {
        return;
    };
    match p {
        None => {
            out.values.copy_field(model, field);
            mark(out, field, MODEL_UNCHECKED, Origin::Modele);
        }
        Some(p) if same(field, &p, &m) => agree(out, field),
        Some(p) => {
            if score(out, field) >= DOUBTFUL_BELOW {
                let origin = out
                    .confidences
                    .get(field)
                    .map_or(Origin::Texte, |c| c.origin);
                mark(out, field, DISPUTED, origin);
            } else {
                out.values.copy_field(model, field);
                mark(out, field, DISPUTED, Origin::Modele);
            }
            disputed_note(out, field, &p, &m);
        }
    }
}

fn supplier(out: &mut Extraction, model: &InvoiceData, directory: &Directory) {
    let by_ice = model.ice.as_ref().and_then(|ice| {
        directory
            .suppliers
            .iter()
            .find(|s| s.ice.as_ref() == Some(ice))
    });
    let named = by_ice.or_else(|| {
        model
            .fournisseur
            .as_deref()
            .and_then(|n| supplier_named(n, directory))
    });
    match (out.fournisseur_id, named) {
        (_, None) => {
            if let Some(name) = &model.fournisseur
                && out.values.fournisseur.as_deref().map(fold) != Some(fold(name))
            {
                out.notes.push(format!(
                    "Le modèle propose le fournisseur « {name} », absent de votre liste : il n'est pas retenu."
                ));
            }
        }
        (Some(id), Some(s)) if id == s.id => agree(out, "fournisseur"),
        (current, Some(s)) => {
            // The text backs the model's supplier if it printed its ICE or a name like its own.
            let backed = s.ice.is_some() && out.values.ice == s.ice
                || out
                    .values
                    .fournisseur
                    .as_deref()
                    .and_then(|n| supplier_named(n, directory))
                    .is_some_and(|t| t.id == s.id);
            let parser_sure = current.is_some() && score(out, "fournisseur") >= DOUBTFUL_BELOW;
            if current.is_some() {
                let printed = out.values.fournisseur.clone().unwrap_or_default();
                disputed_note(out, "fournisseur", &printed, &s.nom);
            }
            if parser_sure {
                mark(out, "fournisseur", DISPUTED, Origin::Texte);
            } else {
                out.fournisseur_id = Some(s.id);
                out.values.fournisseur = Some(s.nom.clone());
                let score = if backed && current.is_none() {
                    MODEL_CHECKED
                } else {
                    DISPUTED
                };
                mark(out, "fournisseur", score, Origin::Modele);
                out.values.categorie = Some(s.categorie.clone());
                mark(out, "categorie", score, Origin::Annuaire);
                if let Some(ice) = &s.ice
                    && out.values.ice.is_none()
                {
                    out.values.ice = Some(ice.clone());
                    mark(out, "ice", score, Origin::Annuaire);
                }
            }
        }
    }
    // The ICE: the model's counts only if it is one of the Directory's.
    let Some(m) = &model.ice else { return };
    let known = directory
        .suppliers
        .iter()
        .any(|s| s.ice.as_ref() == Some(m));
    match out.values.ice.clone() {
        Some(p) if p == *m => agree(out, "ice"),
        Some(p) => {
            mark(
                out,
                "ice",
                DISPUTED,
                out.confidences
                    .get("ice")
                    .map_or(Origin::Texte, |c| c.origin),
            );
            disputed_note(out, "ice", &p, m);
        }
        None if known => {
            out.values.ice = Some(m.clone());
            mark(out, "ice", MODEL_CHECKED, Origin::Modele);
        }
        None => {}
    }
}

fn residence(out: &mut Extraction, model: &InvoiceData, directory: &Directory) {
    let Some(name) = &model.residence else { return };
    let Some(r) = residence_named(name, directory) else {
        out.notes.push(format!(
            "Le modèle propose la résidence « {name} », absente de votre liste : elle n'est pas retenue."
        ));
        return;
    };
    match out.residence_id {
        Some(id) if id == r.id => agree(out, "residence"),
        None => {
            out.residence_id = Some(r.id);
            out.values.residence = Some(r.nom.clone());
            mark(out, "residence", MODEL_CHECKED, Origin::Modele);
        }
        Some(_) => {
            let parser = out.values.residence.clone().unwrap_or_default();
            disputed_note(out, "residence", &parser, &r.nom);
            if score(out, "residence") >= DOUBTFUL_BELOW {
                mark(out, "residence", DISPUTED, Origin::Texte);
            } else {
                out.residence_id = Some(r.id);
                out.values.residence = Some(r.nom.clone());
                mark(out, "residence", DISPUTED, Origin::Modele);
            }
        }
    }
}

fn amounts(out: &mut Extraction, model: &InvoiceData, parser_adds_up: bool) {
    let mut filled: Vec<&str> = Vec::new();
    for field in AMOUNTS {
        let (Some(m), p) = (model.field(field), out.values.field(field)) else {
            continue;
        };
        match p {
            None => {
                out.values.copy_field(model, field);
                mark(out, field, MODEL_UNCHECKED, Origin::Modele);
                filled.push(field);
            }
            Some(p) if p == m => agree(out, field),
            Some(p) => {
                let mut trial = out.values.clone();
                trial.copy_field(model, field);
                let keep = score(out, field) >= DOUBTFUL_BELOW && parser_adds_up;
                if !keep && triple_adds_up(&trial) {
                    out.values = trial;
                    mark(out, field, DISPUTED, Origin::Modele);
                } else {
                    let origin = out
                        .confidences
                        .get(field)
                        .map_or(Origin::Texte, |c| c.origin);
                    mark(out, field, DISPUTED, origin);
                }
                disputed_note(out, field, &p, &m);
            }
        }
    }
    // Amounts only the model read are checked once all are in: they must add up.
    if triple_adds_up(&out.values) {
        for field in filled {
            mark(out, field, MODEL_CHECKED, Origin::Modele);
        }
    }
    let fitting_rate = match (out.values.montant_ht, out.values.montant_tva) {
        (Some(h), Some(t)) => rate_of(h, t),
        _ => None,
    };
    if let Some(m) = model.taux_tva {
        match out.values.taux_tva {
            Some(p) if p == m => agree(out, "taux_tva"),
            None => {
                out.values.taux_tva = Some(m);
                let s = if fitting_rate == Some(m) {
                    MODEL_CHECKED
                } else {
                    MODEL_UNCHECKED
                };
                mark(out, "taux_tva", s, Origin::Modele);
            }
            Some(p) => {
                if fitting_rate == Some(m) && fitting_rate != Some(p) {
                    out.values.taux_tva = Some(m);
                    mark(out, "taux_tva", DISPUTED, Origin::Modele);
                } else {
                    mark(out, "taux_tva", DISPUTED, Origin::Texte);
                }
                disputed_note(out, "taux_tva", &p.to_string(), &m.to_string());
            }
        }
    }
    if let (Some(h), Some(t), Some(c)) = (
        out.values.montant_ht,
        out.values.montant_tva,
        out.values.montant_ttc,
    ) && !adds_up(h, t, c)
    {
        for field in AMOUNTS {
            let s = score(out, field).min(INCONSISTENT);
            let origin = out
                .confidences
                .get(field)
                .map_or(Origin::Texte, |c| c.origin);
            mark(out, field, s, origin);
        }
        if !out.notes.iter().any(|n| n.starts_with("HT + TVA ≠ TTC")) {
            out.notes.push(gap_note(h, t, c));
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;
    use crate::data::{KnownResidence, KnownSupplier};
    use crate::extract::extract;
    use rust_decimal_macros::dec;

    fn directory() -> Directory {
        Directory {
            suppliers: vec![
                KnownSupplier {
                    id: 1,
                    nom: "Atlas Ascenseurs SARL".to_string(),
                    ice: Some("002345678000012".to_string()),
                    categorie: "ascenseur".to_string(),
                },
                KnownSupplier {
                    id: 2,
                    nom: "Clean Services".to_string(),
                    ice: Some("002233445000067".to_string()),
                    categorie: "nettoyage".to_string(),
                },
            ],
            residences: vec![KnownResidence {
                id: 7,
                nom: "Résidence Al Manar".to_string(),
                adresse: "45, boulevard Anfa".to_string(),
                ville: "Casablanca".to_string(),
                references: vec![],
            }],
        }
    }

    const TEXT: &str = "ATLAS ASCENSEURS SARL\nFacture N° AA-12 du 15/01/2025\nRésidence Al Manar\n\
                        Total HT 1 000,00\nTVA 20% 200,00\nTotal TTC 1 200,00 DH";

    fn parsed(text: &str) -> Extraction {
        extract(text, &[], &directory())
    }

    fn origin(e: &Extraction, field: &str) -> Option<Origin> {
        e.confidences.get(field).map(|c| c.origin)
    }

    #[test]
    fn agreement_raises_confidence() {
        let before = parsed(TEXT);
        let model = InvoiceData {
            numero: Some("AA 12".to_string()),
            montant_ttc: Some(dec!(1200)),
            fournisseur: Some("Atlas Ascenseurs".to_string()),
            ..InvoiceData::default()
        };
        let after = reconcile(before.clone(), &model, &directory());
        assert_eq!(after.values, before.values);
        for field in ["numero", "montant_ttc", "fournisseur"] {
            assert_eq!(origin(&after, field), Some(Origin::Accord), "{field}");
            assert!(score(&after, field) > score(&before, field), "{field}");
        }
        assert_eq!(origin(&after, "montant_ht"), Some(Origin::Texte));
    }

    #[test]
    fn disagreement_keeps_a_sure_parser_but_marks_the_field_doubtful() {
        let model = InvoiceData {
            montant_ttc: Some(dec!(1250.00)),
            date_facture: chrono::NaiveDate::from_ymd_opt(2025, 1, 16),
            ..InvoiceData::default()
        };
        let after = reconcile(parsed(TEXT), &model, &directory());
        assert_eq!(after.values.montant_ttc, Some(dec!(1200.00)));
        assert!(score(&after, "montant_ttc") < DOUBTFUL_BELOW);
        assert_eq!(
            after.values.date_facture,
            chrono::NaiveDate::from_ymd_opt(2025, 1, 15)
        );
        assert!(score(&after, "date_facture") < DOUBTFUL_BELOW);
        assert!(after.notes.iter().any(|n| n.contains("le total TTC")));
    }

    #[test]
    fn the_model_wins_an_amount_when_it_makes_the_triple_add_up() {
        let text = "ATLAS ASCENSEURS SARL\nFacture N° AA-12\nTotal HT 1 000,00\nTVA 20% 200,00\nTotal TTC 1 350,00";
        let before = parsed(text);
        assert!(score(&before, "montant_ttc") < DOUBTFUL_BELOW);
        let model = InvoiceData {
            montant_ttc: Some(dec!(1200.00)),
            ..InvoiceData::default()
        };
        let after = reconcile(before, &model, &directory());
        assert_eq!(after.values.montant_ttc, Some(dec!(1200.00)));
        assert_eq!(origin(&after, "montant_ttc"), Some(Origin::Modele));
        assert!(score(&after, "montant_ttc") < DOUBTFUL_BELOW);
    }

    #[test]
    fn fields_only_the_model_has() {
        let text = "ATLAS ASCENSEURS SARL\nFacture N° AA-12\nTotal TTC 1 200,00 DH";
        let model = InvoiceData {
            montant_ht: Some(dec!(1000.00)),
            montant_tva: Some(dec!(200.00)),
            taux_tva: Some(dec!(20)),
            date_echeance: chrono::NaiveDate::from_ymd_opt(2025, 2, 15),
            residence: Some("AL MANAR".to_string()),
            ..InvoiceData::default()
        };
        let after = reconcile(parsed(text), &model, &directory());
        // Checked by the arithmetic and the Directory: usable; the date: to confirm.
        for field in ["montant_ht", "montant_tva", "taux_tva", "residence"] {
            assert_eq!(origin(&after, field), Some(Origin::Modele), "{field}");
            assert!(score(&after, field) >= DOUBTFUL_BELOW, "{field}");
        }
        assert_eq!(after.residence_id, Some(7));
        assert!(score(&after, "date_echeance") < DOUBTFUL_BELOW);
        // Unchecked amounts stay doubtful.
        let lone = InvoiceData {
            montant_ht: Some(dec!(900.00)),
            ..InvoiceData::default()
        };
        let after = reconcile(parsed(text), &lone, &directory());
        assert!(score(&after, "montant_ht") < DOUBTFUL_BELOW);
    }

    #[test]
    fn a_supplier_the_directory_does_not_know_is_not_used() {
        let text = "Facture N° 7\nTotal TTC 600,00 DH";
        let before = parsed(text);
        let model = InvoiceData {
            fournisseur: Some("Plomberie Moderne".to_string()),
            ice: Some("009999999000099".to_string()),
            ..InvoiceData::default()
        };
        let after = reconcile(before.clone(), &model, &directory());
        assert_eq!(after.fournisseur_id, None);
        assert_eq!(after.values.fournisseur, before.values.fournisseur);
        assert_eq!(after.values.ice, None);
        assert!(after.notes.iter().any(|n| n.contains("Plomberie Moderne")));
        // A known one the text does not back is taken, but doubtful.
        let named = InvoiceData {
            fournisseur: Some("Clean Services".to_string()),
            ..InvoiceData::default()
        };
        let after = reconcile(before, &named, &directory());
        assert_eq!(after.fournisseur_id, Some(2));
        assert!(score(&after, "fournisseur") < DOUBTFUL_BELOW);
    }

    #[test]
    fn a_text_that_is_no_invoice_stays_so() {
        let before = parsed("Bonjour, la réunion est reportée.");
        let model = InvoiceData {
            montant_ttc: Some(dec!(10)),
            ..InvoiceData::default()
        };
        assert_eq!(reconcile(before.clone(), &model, &directory()), before);
    }
}
