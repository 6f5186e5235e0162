//! What an invoice states, as plain values: the ground truth of the synthetic corpus and the
//! values an extraction settles on are both an [`InvoiceData`], compared field by field.

use chrono::NaiveDate;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

/// The expense categories, as `categorie_depense` spells them in SQL.
pub const CATEGORIES: &[&str] = &[
    "eau",
    "electricite",
    "ascenseur",
    "gardiennage",
    "nettoyage",
    "jardinage",
    "assurance",
    "travaux",
    "honoraires_syndic",
    "entretien",
    "divers",
];

/// The fields scored by the benchmark, in display order.
pub const FIELDS: &[&str] = &[
    "fournisseur",
    "ice",
    "numero",
    "date_facture",
    "date_echeance",
    "periode",
    "montant_ht",
    "taux_tva",
    "montant_tva",
    "montant_ttc",
    "devise",
    "categorie",
    "residence",
];

/// An invoice's values; `None` when the invoice does not state the field (or it was not read).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct InvoiceData {
    /// The supplier's name as the syndic's list spells it (or as printed, when unknown).
    pub fournisseur: Option<String>,
    /// The supplier's ICE: 15 digits.
    pub ice: Option<String>,
    pub numero: Option<String>,
    pub date_facture: Option<NaiveDate>,
    pub date_echeance: Option<NaiveDate>,
    pub periode_debut: Option<NaiveDate>,
    pub periode_fin: Option<NaiveDate>,
    pub montant_ht: Option<Decimal>,
    /// In percent: 7, 10, 14 or 20.
    pub taux_tva: Option<Decimal>,
    pub montant_tva: Option<Decimal>,
    pub montant_ttc: Option<Decimal>,
    /// Always "MAD" when stated (DH, DHS, dirhams are MAD).
    pub devise: Option<String>,
    /// One of [`CATEGORIES`].
    pub categorie: Option<String>,
    /// The résidence's name as the syndic's list spells it.
    pub residence: Option<String>,
}

impl InvoiceData {
    /// One field of [`FIELDS`] as comparable text (amounts normalised to two decimals, dates
    /// ISO, the period as "début/fin"); `None` when absent or when `name` is not a field.
    pub fn field(&self, name: &str) -> Option<String> {
        let money = |d: &Option<Decimal>| {
            d.map(|mut d| {
                d.rescale(2);
                d.to_string()
            })
        };
        match name {
            "fournisseur" => self.fournisseur.clone(),
            "ice" => self.ice.clone(),
            "numero" => self.numero.clone(),
            "date_facture" => self.date_facture.map(|d| d.to_string()),
            "date_echeance" => self.date_echeance.map(|d| d.to_string()),
            "periode" => match (self.periode_debut, self.periode_fin) {
                (Some(a), Some(b)) => Some(format!("{a}/{b}")),
                _ => None,
            },
            "montant_ht" => money(&self.montant_ht),
            "taux_tva" => self.taux_tva.map(|t| t.normalize().to_string()),
            "montant_tva" => money(&self.montant_tva),
            "montant_ttc" => money(&self.montant_ttc),
            "devise" => self.devise.clone(),
            "categorie" => self.categorie.clone(),
            "residence" => self.residence.clone(),
            _ => None,
        }
    }
}

impl InvoiceData {
    /// Copies one field of [`FIELDS`] from `other` ("periode" copies both its days).
    pub(crate) fn copy_field(&mut self, other: &InvoiceData, name: &str) {
        match name {
            "fournisseur" => self.fournisseur = other.fournisseur.clone(),
            "ice" => self.ice = other.ice.clone(),
            "numero" => self.numero = other.numero.clone(),
            "date_facture" => self.date_facture = other.date_facture,
            "date_echeance" => self.date_echeance = other.date_echeance,
            "periode" => {
                self.periode_debut = other.periode_debut;
                self.periode_fin = other.periode_fin;
            }
            "montant_ht" => self.montant_ht = other.montant_ht,
            "taux_tva" => self.taux_tva = other.taux_tva,
            "montant_tva" => self.montant_tva = other.montant_tva,
            "montant_ttc" => self.montant_ttc = other.montant_ttc,
            "devise" => self.devise = other.devise.clone(),
            "categorie" => self.categorie = other.categorie.clone(),
            "residence" => self.residence = other.residence.clone(),
            _ => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::str::FromStr;

    #[test]
    fn fields_compare_as_normalised_text() {
        let d = InvoiceData {
            montant_ttc: Decimal::from_str("1245.6").ok(),
            taux_tva: Decimal::from_str("20.00").ok(),
            periode_debut: NaiveDate::from_ymd_opt(2025, 1, 1),
            periode_fin: NaiveDate::from_ymd_opt(2025, 1, 31),
            ..InvoiceData::default()
        };
        assert_eq!(d.field("montant_ttc").as_deref(), Some("1245.60"));
        assert_eq!(d.field("taux_tva").as_deref(), Some("20"));
        assert_eq!(d.field("periode").as_deref(), Some("2025-01-01/2025-01-31"));
        assert_eq!(d.field("numero"), None);
        assert!(FIELDS.iter().all(|f| *f != "inconnu"));
    }
}

/// A supplier of the syndic's list, to recognise on an invoice.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct KnownSupplier {
    pub id: i64,
    pub nom: String,
    /// 15 digits.
    pub ice: Option<String>,
    /// One of [`CATEGORIES`]: the supplier's usual category.
    pub categorie: String,
}

/// A résidence of the syndic, to recognise from an invoice's address or reference.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct KnownResidence {
    pub id: i64,
    pub nom: String,
    pub adresse: String,
    pub ville: String,
    /// Contract, meter or client references that suppliers print for this résidence.
    pub references: Vec<String>,
}

/// What the syndic already knows: the only suppliers and résidences an extraction can match.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Directory {
    pub suppliers: Vec<KnownSupplier>,
    pub residences: Vec<KnownResidence>,
}

/// Where a field's value came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Origin {
    /// The deterministic parser, from the text (text layer or OCR).
    Texte,
    /// A QR code printed on the invoice.
    Qr,
    /// The language model's structured extraction alone.
    Modele,
    /// The parser and the model agree.
    Accord,
    /// The syndic's list (a category inferred from the matched supplier, say).
    Annuaire,
    /// Typed by the user in a correction.
    Utilisateur,
}

/// One field as read: its confidence (0 to 1) and where it came from.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Confidence {
    pub score: f32,
    pub origin: Origin,
}

/// Below this, a field is shown as doubtful and asked about before validation.
pub const DOUBTFUL_BELOW: f32 = 0.8;

/// The outcome of reading one invoice's text.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Extraction {
    pub values: InvoiceData,
    /// Per field of [`FIELDS`] that has a value.
    pub confidences: std::collections::BTreeMap<String, Confidence>,
    /// The supplier and the résidence of the [`Directory`] that were recognised.
    pub fournisseur_id: Option<i64>,
    pub residence_id: Option<i64>,
    /// False when the text is not an invoice (no amount, no invoice wording): nothing to draft.
    pub is_invoice: bool,
    /// French remarks for the user ("HT + TVA ≠ TTC : écart de 0,10", "ICE illisible").
    pub notes: Vec<String>,
}
