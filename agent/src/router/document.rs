//! Questions about the text of a document ("que dit le règlement sur les animaux ?", "le contrat
//! d'ascenseur prévoit quel délai d'intervention ?"): they go to the model with
//! `search_documents`; when the model is down, to `search_documents` directly, whose passages
//! and sources are the answer. "Règlement" is also a payment: a message with an amount is not
//! a document question.

use wakil_schema::fold::fold;

/// Words that name a document (folded: lower case, no accents).
const MOTS: &[&str] = &[
    "reglement",
    "contrat",
    "proces verbal",
    "proces-verbal",
    "pv",
    "courrier",
    "document",
    "documents",
    "clause",
    "article",
    "qanon",
    "9anon",
    "l9anon",
    "النظام",
    "العقد",
    "المحضر",
];

/// Words of a payment: "règlement de M. Alami par chèque" is not about the règlement.
const PAIEMENT: &[&str] = &[
    "cheque", "virement", "especes", "paye", "payer", "encaisse", "recu",
];

/// Whether `text` (without an amount) asks about the text of a document.
pub fn recognise(text: &str) -> bool {
    let folded = fold(text);
    let mots: Vec<&str> = folded
        .split(|c: char| !(c.is_alphanumeric() || c == '-'))
        .filter(|m| !m.is_empty())
        .collect();
    let contient = |m: &str| {
        if m.contains(' ') {
            folded.contains(m)
        } else {
            mots.contains(&m)
        }
    };
    MOTS.iter().any(|m| contient(m)) && !PAIEMENT.iter().any(|m| contient(m))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn questions_about_documents() {
        for q in [
            "Que dit le règlement sur les animaux ?",
            "le contrat d'ascenseur prévoit quel délai d'intervention",
            "Qu'a décidé le PV de la dernière AG sur les travaux ?",
            "wach l9anon kaykhalli l klab ?",
            "ماذا يقول النظام عن الضجيج",
            "article sur les travaux dans les parties privatives",
        ] {
            assert!(recognise(q), "{q}");
        }
    }

    #[test]
    fn other_requests_are_not() {
        for q in [
            "impayés de la résidence Les Orangers",
            "solde de M. Alami",
            "règlement de M. Alami par chèque",
            "bonjour",
        ] {
            assert!(!recognise(q), "{q}");
        }
    }
}
