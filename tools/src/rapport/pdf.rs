//! The yearly report as a PDF (`templates/rapport.typ`). Every figure is the chat answer's own
//! cell, computed by SQL and formatted by [`crate::format`]; typst only lays them out. The bars'
//! ratios are the one number passed as such.

use super::Dossier;
use crate::Table;
use crate::format::{date, montant};
use crate::render::{self, Pdf, RenderError};
use chrono::NaiveDate;
use rust_decimal::Decimal;
use rust_decimal::prelude::ToPrimitive;
use serde::Serialize;

const TEMPLATE: &str = include_str!("../../templates/rapport.typ");

/// Where a category without a budget line puts its bar: the end of the scale (`barre` stops at
/// 125 %), in red.
const HORS_BUDGET: f64 = 1.25;

#[derive(Serialize)]
struct Donnees<'a> {
    titre: String,
    syndic: &'a str,
    /// "Marrakech · +212… · contact@…".
    syndic_contact: String,
    residence: &'a str,
    adresse: String,
    annee: String,
    /// "du 01/01/2025 au 31/12/2025".
    periode: String,
    /// The date of the figures and of issue.
    au: String,
    /// The year is not over at `au`.
    en_cours: bool,
    cles: Vec<Cle>,
    synthese: Table,
    depenses: Table,
    budget: Table,
    /// One per row of `budget`: realised / budgeted.
    ratios: Vec<f64>,
    impayes: Table,
}

/// A headline figure in a box.
#[derive(Serialize)]
struct Cle {
    libelle: &'static str,
    valeur: String,
    /// Shown in red (a negative result).
    alerte: bool,
}

/// Renders the report of `d` (CPU-bound: call it from `spawn_blocking` in async code).
pub fn pdf(d: &Dossier) -> Result<Pdf, RenderError> {
    let o = &d.output;
    let c = &o.chiffres;
    let bornes = |mois, jour| {
        NaiveDate::from_ymd_opt(o.annee, mois, jour)
            .ok_or_else(|| RenderError::Data(format!("exercice {}", o.annee)))
    };
    let (debut, fin) = (bornes(1, 1)?, bornes(12, 31)?);
    let e = &d.entete;
    let syndic_contact = [&e.syndic_ville, &e.syndic_telephone, &e.syndic_email]
        .into_iter()
        .flatten()
        .map(String::as_str)
        .collect::<Vec<_>>()
        .join(" · ");
    let mut synthese = o.table_synthese();
    synthese.columns[0].label = "Indicateur".into();
    synthese.columns[1].label = "Montant (MAD)".into();
    let donnees = Donnees {
        titre: format!("Rapport financier {}", o.annee),
        syndic: &e.syndic,
        syndic_contact,
        residence: &e.residence,
        adresse: format!("{}, {}", e.adresse, e.ville),
        annee: o.annee.to_string(),
        periode: format!("du {} au {}", date(debut), date(fin)),
        au: date(o.au),
        en_cours: o.au < fin,
        cles: vec![
            Cle {
                libelle: "Encaissements",
                valeur: montant(c.encaissements),
                alerte: false,
            },
            Cle {
                libelle: "Dépenses (TTC)",
                valeur: montant(c.depenses),
                alerte: false,
            },
            Cle {
                libelle: "Résultat",
                valeur: montant(c.resultat),
                alerte: c.resultat < Decimal::ZERO,
            },
            Cle {
                libelle: "Impayés",
                valeur: montant(c.impayes),
                alerte: false,
            },
        ],
        synthese,
        depenses: o.table_depenses(),
        budget: o.table_budget(),
        ratios: o
            .budget
            .iter()
            .map(|b| ratio(b.realise, b.budget))
            .collect(),
        impayes: d.impayes_table(),
    };
    render::pdf(TEMPLATE, &donnees, o.au)
}

/// `realise / budget` for the width of a bar; without a budget, the end of the scale.
fn ratio(realise: Decimal, budget: Decimal) -> f64 {
    if budget.is_zero() {
        return if realise.is_zero() { 0.0 } else { HORS_BUDGET };
    }
    (realise / budget).to_f64().unwrap_or(HORS_BUDGET)
}
