//! Questions about the text of a document ("que dit le règlement sur les animaux ?", "le contrat
//! d'ascenseur prévoit quel délai d'intervention ?"): they go to the model with
//! `search_documents`; when the model is down, to `search_documents` directly, whose passages
//! and sources are the answer. "Règlement" is also a payment: a message with an amount is not
//! a document question.
//!
//! A file the staff send with a caption naming a document ("règlement de la résidence
//! Guéliz, à partager avec les copropriétaires") goes to the library (`ajouter_document`, a
//! confirmed write); other staff files are supplier invoices.

use serde_json::{Map, Value};
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

/// Words of a caption that shares the document with the co-owners.
const PARTAGE: &[&str] = &[
    "partager",
    "partage",
    "copropriétaires",
    "coproprietaires",
    "visible",
    "tous",
];

/// The folded text and a test of whether it holds a word (or a phrase).
fn mots(text: &str) -> impl Fn(&str) -> bool {
    let folded = fold(text);
    let mots: Vec<String> = folded
        .split(|c: char| !(c.is_alphanumeric() || c == '-'))
        .filter(|m| !m.is_empty())
        .map(str::to_string)
        .collect();
    move |m: &str| {
        let m = fold(m);
        if m.contains(' ') {
            folded.contains(&m)
        } else {
            mots.contains(&m)
        }
    }
}

/// Whether `text` (without an amount) asks about the text of a document.
pub fn recognise(text: &str) -> bool {
    let contient = mots(text);
    MOTS.iter().any(|m| contient(m)) && !PAIEMENT.iter().any(|m| contient(m))
}

/// The words that name each type of document, in the order a caption is read.
const TYPES: &[(&str, &[&str])] = &[
    ("reglement", &["reglement", "l9anon", "qanon", "النظام"]),
    ("pv", &["pv", "proces verbal", "proces-verbal", "المحضر"]),
    ("contrat", &["contrat", "العقد"]),
    ("courrier", &["courrier", "lettre", "circulaire"]),
];

/// The one type of document a question names ("que dit le règlement sur …" → `reglement`), to
/// search that type only; none when it names several or none.
pub fn type_nomme(text: &str) -> Option<&'static str> {
    let a = mots(text);
    let mut nommes = TYPES.iter().filter(|(_, m)| m.iter().any(|w| a(w)));
    match (nommes.next(), nommes.next()) {
        (Some((t, _)), None) => Some(t),
        _ => None,
    }
}

/// The arguments of `ajouter_document` (but the file) when a staff file is a document: its
/// caption names one, or it is a text or Markdown file. Type from the caption, else the file's
/// name; shared with the co-owners only when the caption says so; the résidence as the caption
/// names it ("… de la résidence Les Orangers").
pub fn upload(caption: &str, file_name: &str, mime: &str) -> Option<Map<String, Value>> {
    if !(wakil_tools::documents::textuel(mime)
        || recognise(caption)
        || mots(caption)("bibliotheque"))
    {
        return None;
    }
    let de_la_legende = mots(caption);
    let nom = file_name.replace(['_', '.'], " ");
    let du_nom = mots(&nom);
    let est = |m: &[&str]| m.iter().any(|w| de_la_legende(w)) || m.iter().any(|w| du_nom(w));
    let type_document = TYPES
        .iter()
        .find(|(_, m)| est(m))
        .map_or("autre", |(t, _)| t);
    let mut args = Map::new();
    args.insert("type".into(), type_document.into());
    let partage = PARTAGE.iter().any(|w| de_la_legende(w));
    args.insert(
        "visibilite".into(),
        if partage { "residence" } else { "staff" }.into(),
    );
    if let Some(r) = residence_nommee(caption) {
        args.insert("residence".into(), r.into());
    }
    Some(args)
}

/// "… de la résidence Les Orangers, à partager" → "Les Orangers": the words after
/// "résidence", up to punctuation or a linking word.
fn residence_nommee(caption: &str) -> Option<String> {
    let words: Vec<&str> = caption.split_whitespace().collect();
    let at = words.iter().position(|w| fold(w).trim() == "residence")?;
    let mut nom: Vec<&str> = Vec::new();
    for w in &words[at + 1..] {
        if matches!(fold(w).trim(), "a" | "pour" | "avec" | "et" | "visible") {
            break;
        }
        let fin = w.ends_with([',', ';', '.', ':', ')']);
        nom.push(w.trim_end_matches([',', ';', '.', ':', ')']));
        if fin {
            break;
        }
    }
    let nom = nom.join(" ");
    (!nom.is_empty()).then_some(nom)
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
    fn a_question_naming_one_type_searches_that_type() {
        assert_eq!(
            type_nomme("Que dit le règlement sur les animaux ?"),
            Some("reglement")
        );
        assert_eq!(
            type_nomme("wach l9anon kaykhalli l klab ?"),
            Some("reglement")
        );
        assert_eq!(
            type_nomme("le contrat d'ascenseur prévoit quel délai"),
            Some("contrat")
        );
        assert_eq!(
            type_nomme("le PV cite-t-il le contrat de gardiennage ?"),
            None
        );
        assert_eq!(type_nomme("article sur les travaux"), None);
    }

    #[test]
    fn a_staff_file_with_a_document_caption_goes_to_the_library() {
        let a = upload(
            "Règlement de copropriété de la résidence Les Orangers, à partager avec les copropriétaires",
            "scan.pdf",
            "application/pdf",
        )
        .unwrap();
        assert_eq!(a["type"], "reglement");
        assert_eq!(a["visibilite"], "residence");
        assert_eq!(a["residence"], "Les Orangers");
        let a = upload("contrat ascenseur", "c.pdf", "application/pdf").unwrap();
        assert_eq!(
            (a["type"].as_str(), a["visibilite"].as_str()),
            (Some("contrat"), Some("staff"))
        );
        assert!(a.get("residence").is_none());
        // A Markdown file is a document whatever its caption; its name gives the type.
        let a = upload("", "pv_ago_2025.md", "text/markdown").unwrap();
        assert_eq!(a["type"], "pv");
        // An invoice photo is not.
        assert!(upload("", "IMG_2041.jpg", "image/jpeg").is_none());
        assert!(upload("facture Lydec de janvier", "f.pdf", "application/pdf").is_none());
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
