//! The labels an invoice prints before its values ("Total HT", "Net à payer", "Échéance", "N°
//! facture"), as folded words, and where they occur in a line.

use crate::text::Line;

/// What a label announces.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Slot {
    Ht,
    Tva,
    Ttc,
    /// A VAT rate ("Taux TVA : 20 %").
    Taux,
    DateFacture,
    Echeance,
    Periode,
    Numero,
    /// A label whose value is none of ours ("N° client", "Date de relevé"): it only keeps its
    /// value from being taken by another label.
    Other,
}

impl Slot {
    pub(crate) fn wants_amount(self) -> bool {
        matches!(self, Slot::Ht | Slot::Tva | Slot::Ttc)
    }

    pub(crate) fn wants_date(self) -> bool {
        matches!(self, Slot::DateFacture | Slot::Echeance)
    }
}

/// Where a label must stand for its words to be a label.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Place {
    Anywhere,
    /// First words of the line ("TTC : 1 245,60", "Total 1 800 DH").
    LineStart,
    /// Only when its value follows at once ("le 15 janvier 2025", "du 15/01/2025", "Facture
    /// F-12").
    Before,
}

struct Pattern {
    words: &'static str,
    slot: Slot,
    strength: f32,
    place: Place,
}

const fn p(words: &'static str, slot: Slot, strength: f32, place: Place) -> Pattern {
    Pattern {
        words,
        slot,
        strength,
        place,
    }
}

use Place::{Anywhere, Before, LineStart};
use Slot::{DateFacture, Echeance, Ht, Numero, Other, Periode, Taux, Ttc, Tva};

/// The labels, as folded words ("n°" is the word "no", "H.T." the word "ht"). Where two overlap,
/// the one starting first wins, then the longer.
const PATTERNS: &[Pattern] = &[
    p("total ht", Ht, 1.0, Anywhere),
    p("montant total ht", Ht, 1.0, Anywhere),
    p("total hors taxes", Ht, 1.0, Anywhere),
    p("total hors taxe", Ht, 1.0, Anywhere),
    p("sous total ht", Ht, 1.0, Anywhere),
    p("montant ht", Ht, 0.9, Anywhere),
    p("montant hors taxes", Ht, 0.95, Anywhere),
    p("montant hors taxe", Ht, 0.95, Anywhere),
    p("hors taxes", Ht, 0.85, Anywhere),
    p("hors taxe", Ht, 0.85, Anywhere),
    p("net ht", Ht, 0.9, Anywhere),
    p("base ht", Ht, 0.85, Anywhere),
    p("sous total", Ht, 0.7, Anywhere),
    p("ht", Ht, 0.8, LineStart),
    // OCR lost the space: "MontantHT", "TotalTTC".
    p("totalht", Ht, 0.9, Anywhere),
    p("montantht", Ht, 0.85, Anywhere),
    p("totalttc", Ttc, 0.9, Anywhere),
    p("montantttc", Ttc, 0.85, Anywhere),
    p("totaltva", Tva, 0.9, Anywhere),
    p("montanttva", Tva, 0.9, Anywhere),
    p("netapayer", Ttc, 0.9, Anywhere),
    p("total tva", Tva, 1.0, Anywhere),
    p("montant tva", Tva, 1.0, Anywhere),
    p("montant de la tva", Tva, 1.0, Anywhere),
    p("montant de tva", Tva, 1.0, Anywhere),
    p("tva", Tva, 0.9, Anywhere),
    p("taxe sur la valeur ajoutee", Tva, 0.9, Anywhere),
    p("taux tva", Taux, 1.0, Anywhere),
    p("taux de tva", Taux, 1.0, Anywhere),
    p("taux de la tva", Taux, 1.0, Anywhere),
    p("total ttc", Ttc, 1.0, Anywhere),
    p("montant total ttc", Ttc, 1.0, Anywhere),
    p("montant ttc", Ttc, 0.95, Anywhere),
    p("net a payer", Ttc, 1.0, Anywhere),
    p("montant a payer", Ttc, 1.0, Anywhere),
    p("total a payer", Ttc, 1.0, Anywhere),
    p("montant net a payer", Ttc, 1.0, Anywhere),
    p("somme a payer", Ttc, 0.95, Anywhere),
    p("reste a payer", Ttc, 0.9, Anywhere),
    p("total general", Ttc, 0.9, Anywhere),
    p("total facture", Ttc, 0.9, Anywhere),
    p("montant de la facture", Ttc, 0.85, Anywhere),
    p("montant total", Ttc, 0.8, Anywhere),
    p("ttc", Ttc, 0.8, LineStart),
    p("total", Ttc, 0.5, LineStart),
    p("montant", Ttc, 0.5, LineStart),
    p("date de facture", DateFacture, 1.0, Anywhere),
    p("date de la facture", DateFacture, 1.0, Anywhere),
    p("date facture", DateFacture, 1.0, Anywhere),
    p("date d emission", DateFacture, 1.0, Anywhere),
    p("date de facturation", DateFacture, 1.0, Anywhere),
    p("date d edition", DateFacture, 0.95, Anywhere),
    p("emise le", DateFacture, 0.9, Anywhere),
    p("facture du", DateFacture, 0.9, Before),
    p("date", DateFacture, 0.75, Anywhere),
    p("le", DateFacture, 0.75, Before),
    p("du", DateFacture, 0.7, Before),
    p("echeance", Echeance, 1.0, Anywhere),
    p("date d echeance", Echeance, 1.0, Anywhere),
    p("date echeance", Echeance, 1.0, Anywhere),
    p("date limite de paiement", Echeance, 1.0, Anywhere),
    p("date limite de reglement", Echeance, 1.0, Anywhere),
    p("date limite", Echeance, 0.9, Anywhere),
    p("a payer avant le", Echeance, 1.0, Anywhere),
    p("a payer avant", Echeance, 1.0, Anywhere),
    p("payer avant le", Echeance, 1.0, Anywhere),
    p("a regler avant le", Echeance, 1.0, Anywhere),
    p("a regler avant", Echeance, 1.0, Anywhere),
    p("payable avant le", Echeance, 1.0, Anywhere),
    p("payable le", Echeance, 0.9, Anywhere),
    p("avant le", Echeance, 0.85, Anywhere),
    p("periode", Periode, 1.0, Anywhere),
    p("periode de consommation", Periode, 1.0, Anywhere),
    p("periode de facturation", Periode, 1.0, Anywhere),
    p("periode facturee", Periode, 1.0, Anywhere),
    p("consommation de", Periode, 0.85, Anywhere),
    p("consommation du mois de", Periode, 0.9, Anywhere),
    p("mois de", Periode, 0.85, Anywhere),
    p("mois", Periode, 0.7, Anywhere),
    p("trimestre", Periode, 0.9, Anywhere),
    p("facture no", Numero, 1.0, Anywhere),
    p("facture n", Numero, 0.9, Anywhere),
    p("no facture", Numero, 1.0, Anywhere),
    p("no de facture", Numero, 1.0, Anywhere),
    p("no de la facture", Numero, 1.0, Anywhere),
    p("numero de facture", Numero, 1.0, Anywhere),
    p("numero facture", Numero, 1.0, Anywhere),
    p("facture numero", Numero, 1.0, Anywhere),
    p("ref facture", Numero, 0.9, Anywhere),
    p("reference facture", Numero, 0.9, Anywhere),
    p("reference de la facture", Numero, 0.9, Anywhere),
    p("invoice no", Numero, 0.9, Anywhere),
    p("facture", Numero, 0.7, Before),
    p("no", Numero, 0.6, Before),
    p("numero", Numero, 0.6, Before),
    p("contrat d entretien no", Other, 1.0, Anywhere),
    p("contrat d entretien", Other, 1.0, Anywhere),
    p("no client", Other, 1.0, Anywhere),
    p("no de client", Other, 1.0, Anywhere),
    p("client no", Other, 1.0, Anywhere),
    p("code client", Other, 1.0, Anywhere),
    p("ref client", Other, 1.0, Anywhere),
    p("reference client", Other, 1.0, Anywhere),
    p("no contrat", Other, 1.0, Anywhere),
    p("no de contrat", Other, 1.0, Anywhere),
    p("contrat no", Other, 1.0, Anywhere),
    p("ref contrat", Other, 1.0, Anywhere),
    p("no compteur", Other, 1.0, Anywhere),
    p("no de compteur", Other, 1.0, Anywhere),
    p("compteur no", Other, 1.0, Anywhere),
    p("no police", Other, 1.0, Anywhere),
    p("no de police", Other, 1.0, Anywhere),
    p("police no", Other, 1.0, Anywhere),
    p("no abonne", Other, 1.0, Anywhere),
    p("bon de commande", Other, 1.0, Anywhere),
    p("no commande", Other, 1.0, Anywhere),
    p("no devis", Other, 1.0, Anywhere),
    p("devis no", Other, 1.0, Anywhere),
    p("no tva", Other, 1.0, Anywhere),
    p("identifiant fiscal", Other, 1.0, Anywhere),
    p("date de releve", Other, 1.0, Anywhere),
    p("date du releve", Other, 1.0, Anywhere),
    p("date releve", Other, 1.0, Anywhere),
    p("date d intervention", Other, 1.0, Anywhere),
    p("date de l intervention", Other, 1.0, Anywhere),
    p("date de debut", Other, 1.0, Anywhere),
    p("date de fin", Other, 1.0, Anywhere),
    p("date d effet", Other, 1.0, Anywhere),
    p("date de livraison", Other, 1.0, Anywhere),
    p("date de commande", Other, 1.0, Anywhere),
    p("date du devis", Other, 1.0, Anywhere),
    p("ancien index", Other, 1.0, Anywhere),
    p("nouvel index", Other, 1.0, Anywhere),
    p("index", Other, 0.9, Anywhere),
    p("prix unitaire", Other, 1.0, Anywhere),
    p("quantite", Other, 1.0, Anywhere),
    p("capital", Other, 1.0, Anywhere),
    p("tel", Other, 1.0, Anywhere),
    p("fax", Other, 1.0, Anywhere),
    p("gsm", Other, 1.0, Anywhere),
    p("rc", Other, 1.0, Anywhere),
    p("if", Other, 1.0, Anywhere),
    p("patente", Other, 1.0, Anywhere),
    p("cnss", Other, 1.0, Anywhere),
    p("rib", Other, 1.0, Anywhere),
    p("ice", Other, 1.0, Anywhere),
];

/// A label found in a line.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Hit {
    pub slot: Slot,
    pub strength: f32,
    pub place: Place,
    /// Char span of the label's words.
    pub start: usize,
    pub end: usize,
    /// Where its value may stand: from `end` to the next label of the line (or the line's end).
    pub region_end: usize,
}

/// The labels of a line, left to right, without overlaps.
pub(crate) fn hits(line: &Line) -> Vec<Hit> {
    let mut found: Vec<(usize, usize, &Pattern)> = PATTERNS
        .iter()
        .flat_map(|pat| {
            line.find_words(pat.words)
                .into_iter()
                .map(move |(a, b)| (a, b, pat))
        })
        .filter(|(a, _, pat)| pat.place != LineStart || *a == 0)
        .collect();
    found.sort_by(|x, y| x.0.cmp(&y.0).then((y.1 - y.0).cmp(&(x.1 - x.0))));
    let mut kept: Vec<(usize, usize, &Pattern)> = Vec::new();
    for hit in found {
        if kept.last().is_none_or(|last| hit.0 >= last.1) {
            kept.push(hit);
        }
    }
    let mut out: Vec<Hit> = kept
        .iter()
        .map(|(a, b, pat)| Hit {
            slot: pat.slot,
            strength: pat.strength,
            place: pat.place,
            start: line.words[*a].start,
            end: line.words[*b - 1].end,
            region_end: line.raw.len(),
        })
        .collect();
    for i in 1..out.len() {
        out[i - 1].region_end = out[i].start;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn slots(text: &str) -> Vec<Slot> {
        hits(&Line::new(text)).iter().map(|h| h.slot).collect()
    }

    #[test]
    fn labels_prefer_the_longest_at_each_place() {
        assert_eq!(slots("Total H.T. : 1 038,00"), [Ht]);
        assert_eq!(slots("Date d'échéance : 14/02/2025"), [Echeance]);
        assert_eq!(slots("A payer avant le 14/02/2025"), [Echeance]);
        assert_eq!(
            slots("N° client : 4521 Facture N° F-12 du 15/01/2025"),
            [Other, Numero, DateFacture]
        );
        assert_eq!(
            slots("Montant HT 1 038,00 TVA 20% 207,60 Net à payer 1 245,60"),
            [Ht, Tva, Ttc]
        );
        assert_eq!(slots("Prix unitaire HT"), [Other]);
        assert_eq!(slots("MontantHT 1 500,00 TotaITTC 1 800,00"), [Ht, Ttc]);
        assert_eq!(slots("Sous-total 100,00 Total 120,00"), [Ht]);
    }

    #[test]
    fn regions_end_at_the_next_label() {
        let line = Line::new("Total HT 100,00 TVA 20,00");
        let found = hits(&line);
        let region: String = line.raw[found[0].end..found[0].region_end].iter().collect();
        assert_eq!(region, " 100,00 ");
        assert_eq!(found[1].region_end, line.raw.len());
    }
}
