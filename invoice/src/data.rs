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
