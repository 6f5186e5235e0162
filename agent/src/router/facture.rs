//! The review of a draft invoice read from a photo: corrections dictated field by field ("le
//! montant TTC est 1 245,60", "la date est le 15/01/2025 et le numéro est FA-1021") →
//! `corriger_facture`; "valider la facture" / "valide le brouillon 41" → `valider_facture`.
//!
//! A correction starts with the field's name followed by "est", ":" or "=": that shape is the
//! user's, and no other intent starts that way ("la résidence Les Orangers a combien
//! d'impayés ?" names a résidence without "est"). Values go to the tool as typed: it parses
//! amounts and dates and says in French what it could not read. Staff only.

use super::Route;
use serde_json::{Map, Value};
use wakil_schema::fold::fold;

/// Each field and the words that name it, longest first where one begins another.
const CHAMPS: &[(&str, &[&str])] = &[
    ("taux_tva", &["taux de tva", "taux tva", "taux"]),
    (
        "montant_ttc",
        &[
            "montant ttc",
            "total ttc",
            "ttc",
            "net a payer",
            "montant a payer",
            "montant total",
            "total",
            "montant",
        ],
    ),
    (
        "montant_ht",
        &["montant ht", "total ht", "ht", "hors taxes"],
    ),
    (
        "montant_tva",
        &["montant de la tva", "montant de tva", "montant tva", "tva"],
    ),
    (
        "date_echeance",
        &["date d echeance", "date limite", "echeance"],
    ),
    (
        "date_facture",
        &["date de la facture", "date de facture", "date"],
    ),
    (
        "numero",
        &[
            "numero de la facture",
            "numero de facture",
            "numero",
            "num",
            "n°",
            "no",
        ],
    ),
    ("fournisseur", &["fournisseur"]),
    ("residence", &["residence"]),
    ("categorie", &["categorie"]),
];

/// Words a correction may start with ("non, le TTC est…", "corrige : la date est…").
const PREAMBULE: &[&str] = &[
    "non",
    "corrige",
    "corriger",
    "corrigez",
    "correction",
    "plutot",
    "en",
    "fait",
    "le",
    "la",
    "les",
    "l",
    "et",
];

/// What separates the field from its value.
const SEPARATEURS: &[&str] = &["est", "etait", "sont", "vaut", "fait", "c est", "=", ":"];

/// A word of the message: its folded form and where it is in the original text.
struct Mot {
    plie: String,
    debut: usize,
    fin: usize,
}

fn mots(text: &str) -> Vec<Mot> {
    let mut out = Vec::new();
    let mut start = None;
    let is_sep = |c: char| c.is_whitespace() || matches!(c, '\'' | '’');
    let push = |a: usize, b: usize, out: &mut Vec<Mot>| {
        let word = &text[a..b];
        for (i, part) in word.split_inclusive([':', '=']).enumerate() {
            let offset = a + word
                .split_inclusive([':', '='])
                .take(i)
                .map(str::len)
                .sum::<usize>();
            let (head, tail) = match part.strip_suffix([':', '=']) {
                Some(h) => (h, Some(part.len() - 1)),
                None => (part, None),
            };
            if !head.is_empty() {
                out.push(Mot {
                    plie: fold(head)
                        .trim_end_matches([',', '.', '?', '!'])
                        .to_string(),
                    debut: offset,
                    fin: offset + head.len(),
                });
            }
            if let Some(t) = tail {
                out.push(Mot {
                    plie: part[t..].to_string(),
                    debut: offset + t,
                    fin: offset + part.len(),
                });
            }
        }
    };
    for (i, c) in text.char_indices() {
        match (is_sep(c), start) {
            (true, Some(a)) => {
                push(a, i, &mut out);
                start = None;
            }
            (false, None) => start = Some(i),
            _ => {}
        }
    }
    if let Some(a) = start {
        push(a, text.len(), &mut out);
    }
    out
}

/// Whether `phrase` (folded words) starts at word `i`; the index after it.
fn commence(ms: &[Mot], i: usize, phrase: &str) -> Option<usize> {
    let words: Vec<&str> = phrase.split(' ').collect();
    let end = i + words.len();
    (end <= ms.len() && ms[i..end].iter().zip(&words).all(|(m, w)| m.plie == *w)).then_some(end)
}

/// One correction clause at word `i`: (field, value as typed, index after the value).
fn clause<'t>(text: &'t str, ms: &[Mot], mut i: usize) -> Option<(&'static str, &'t str, usize)> {
    while i < ms.len() && PREAMBULE.contains(&ms[i].plie.as_str()) {
        i += 1;
    }
    let (champ, after) = CHAMPS.iter().find_map(|(champ, cues)| {
        cues.iter()
            .find_map(|cue| commence(ms, i, cue))
            .map(|after| (*champ, after))
    })?;
    let mut j = after;
    let mut separated = false;
    while j < ms.len() {
        match SEPARATEURS.iter().find_map(|s| commence(ms, j, s)) {
            Some(next) => {
                separated = true;
                j = next;
            }
            None => break,
        }
    }
    // "le" after the separator belongs to a date ("est le 15/01/2025").
    if j < ms.len() && champ.starts_with("date") && ms[j].plie == "le" {
        j += 1;
    }
    if !separated || j >= ms.len() {
        return None;
    }
    // The value runs to the next " et " followed by another field, or to the end.
    let mut k = j + 1;
    while k < ms.len() {
        if ms[k].plie == "et" && clause(text, ms, k + 1).is_some() {
            break;
        }
        k += 1;
    }
    let value = text[ms[j].debut..ms[k - 1].fin].trim_end_matches(['.', '!', ',', ';']);
    Some((champ, value.trim(), k))
}

/// The categories as users name them.
fn categorie(value: &str) -> Option<&'static str> {
    let v = fold(value);
    let v = v.trim();
    [
        ("eau", "eau"),
        ("electricite", "electricite"),
        ("ascenseur", "ascenseur"),
        ("gardiennage", "gardiennage"),
        ("securite", "gardiennage"),
        ("nettoyage", "nettoyage"),
        ("menage", "nettoyage"),
        ("jardinage", "jardinage"),
        ("jardin", "jardinage"),
        ("assurance", "assurance"),
        ("travaux", "travaux"),
        ("honoraires", "honoraires_syndic"),
        ("entretien", "entretien"),
        ("divers", "divers"),
    ]
    .iter()
    .find(|(w, _)| v == *w || v.strip_prefix("l ").or(v.strip_prefix("la ")) == Some(*w))
    .map(|(_, k)| *k)
}

/// A correction or a validation of a draft invoice, when the message is one.
pub(crate) fn recognise(text: &str) -> Option<Route> {
    let ms = mots(text.trim());
    if let Some(route) = validation(&ms) {
        return Some(route);
    }
    let mut args = Map::new();
    let mut i = 0;
    while i < ms.len() {
        let (champ, value, next) = clause(text.trim(), &ms, i)?;
        let value = match champ {
            "categorie" => match categorie(value) {
                Some(k) => Value::from(k),
                None => {
                    return Some(Route::Ask(format!(
                        "Catégorie inconnue : « {value} ». Catégories possibles : eau, \
                         électricité, ascenseur, gardiennage, nettoyage, jardinage, assurance, \
                         travaux, honoraires, entretien, divers."
                    )));
                }
            },
            _ => Value::from(value),
        };
        args.insert(champ.into(), value);
        i = if next < ms.len() && ms[next].plie == "et" {
            next + 1
        } else {
            next
        };
    }
    (!args.is_empty()).then_some(Route::Call {
        tool: "corriger_facture",
        args: Value::Object(args),
    })
}

/// "valider la facture", "valide le brouillon 41", "valider la facture n° 41".
fn validation(ms: &[Mot]) -> Option<Route> {
    let verbe = ms.first()?;
    if !matches!(
        verbe.plie.as_str(),
        "valider" | "valide" | "validez" | "valides" | "validation"
    ) {
        return None;
    }
    let mut i = 1;
    while i < ms.len()
        && matches!(
            ms[i].plie.as_str(),
            "la" | "le" | "ce" | "cette" | "de" | "du"
        )
    {
        i += 1;
    }
    if !matches!(
        ms.get(i).map(|m| m.plie.as_str()),
        Some("facture" | "brouillon")
    ) {
        return None;
    }
    i += 1;
    while i < ms.len() && matches!(ms[i].plie.as_str(), "n°" | "no" | "numero" | "num") {
        i += 1;
    }
    let mut args = Map::new();
    match ms.get(i) {
        None => {}
        Some(m) if i + 1 == ms.len() => {
            let id = m.plie.trim_start_matches("n°").parse::<i64>().ok()?;
            args.insert("facture".into(), Value::from(id));
        }
        Some(_) => return None,
    }
    Some(Route::Call {
        tool: "valider_facture",
        args: Value::Object(args),
    })
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;
    use serde_json::json;

    fn call(text: &str) -> Option<(String, Value)> {
        match recognise(text)? {
            Route::Call { tool, args } => Some((tool.to_string(), args)),
            other => panic!("{text}: {other:?}"),
        }
    }

    #[test]
    fn corrections_are_read_field_by_field() {
        let cases = [
            (
                "le montant TTC est 1 245,60",
                json!({ "montant_ttc": "1 245,60" }),
            ),
            ("TTC : 1245.60 DH", json!({ "montant_ttc": "1245.60 DH" })),
            ("non, le HT est 1 038", json!({ "montant_ht": "1 038" })),
            (
                "la date est le 15 janvier 2025",
                json!({ "date_facture": "15 janvier 2025" }),
            ),
            (
                "l'échéance est le 14/02/2025",
                json!({ "date_echeance": "14/02/2025" }),
            ),
            ("le taux de TVA est 14 %", json!({ "taux_tva": "14 %" })),
            (
                "le numéro est FA-2025/0012",
                json!({ "numero": "FA-2025/0012" }),
            ),
            (
                "la résidence est Les Orangers",
                json!({ "residence": "Les Orangers" }),
            ),
            (
                "le fournisseur est Lydec.",
                json!({ "fournisseur": "Lydec" }),
            ),
            (
                "la catégorie est électricité",
                json!({ "categorie": "electricite" }),
            ),
            (
                "le TTC est 1 245,60 et la date est le 15/01/2025",
                json!({ "montant_ttc": "1 245,60", "date_facture": "15/01/2025" }),
            ),
            (
                "la résidence est Jardins et Palmiers",
                json!({ "residence": "Jardins et Palmiers" }),
            ),
        ];
        for (text, args) in cases {
            assert_eq!(
                call(text),
                Some(("corriger_facture".to_string(), args)),
                "{text}"
            );
        }
    }

    #[test]
    fn validations_name_the_draft_or_take_the_latest() {
        assert_eq!(
            call("valider la facture"),
            Some(("valider_facture".into(), json!({})))
        );
        assert_eq!(
            call("Valide le brouillon 41"),
            Some(("valider_facture".into(), json!({ "facture": 41 })))
        );
        assert_eq!(
            call("valider la facture n° 41"),
            Some(("valider_facture".into(), json!({ "facture": 41 })))
        );
    }

    #[test]
    fn other_requests_are_not_corrections() {
        for text in [
            "la résidence Les Orangers a combien d'impayés ?",
            "factures de Lydec",
            "le solde de M. Lahlou",
            "la date de l'AG est le 15 mars",
            "montant des impayés",
            "total des factures 2025",
            "valider la facture de Lydec pour Guéliz",
            "TTC",
        ] {
            assert_eq!(recognise(text), None, "{text}");
        }
    }

    #[test]
    fn an_unknown_category_is_asked_again() {
        assert!(matches!(
            recognise("la catégorie est piscine"),
            Some(Route::Ask(q)) if q.contains("piscine")
        ));
    }
}
