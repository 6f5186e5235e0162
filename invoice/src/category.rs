//! The expense category from the invoice's words, when the supplier is not one the syndic knows.
//!
//! The rule between `travaux` and `entretien`: one-off works and repairs (réparation, plomberie,
//! peinture, remplacement, dépannage, fuite, travaux…) are `travaux`; recurring upkeep that names
//! no trade of its own (entretien, maintenance) is `entretien`. A trade's own category
//! (ascenseur, gardiennage, nettoyage, jardinage, eau, électricité, assurance) comes first:
//! "contrat d'entretien ascenseur" is `ascenseur`.

use crate::reading::ReadLine;

/// Keywords (folded words, or two words in a row) and their weight, per category. A trade's own
/// words weigh 2, generic words 1.
const RULES: &[(&str, &[(&str, f32)])] = &[
    (
        "ascenseur",
        &[
            ("ascenseur", 2.0),
            ("ascenseurs", 2.0),
            ("elevateur", 2.0),
            ("monte charge", 2.0),
        ],
    ),
    (
        "gardiennage",
        &[
            ("gardiennage", 2.0),
            ("gardien", 1.5),
            ("gardiens", 1.5),
            ("surveillance", 1.5),
            ("vigile", 1.5),
            ("securite", 1.0),
            ("agent de securite", 1.0),
            ("agents de securite", 1.0),
        ],
    ),
    (
        "nettoyage",
        &[
            ("nettoyage", 2.0),
            ("proprete", 2.0),
            ("menage", 1.5),
            ("femme de menage", 1.0),
            ("agent d entretien", 1.0),
            ("agents d entretien", 1.0),
        ],
    ),
    (
        "jardinage",
        &[
            ("jardinage", 2.0),
            ("espaces verts", 2.0),
            ("espace vert", 2.0),
            ("jardinier", 2.0),
            ("arrosage", 1.0),
            ("pelouse", 1.0),
            ("gazon", 1.0),
            ("elagage", 1.0),
            ("taille des haies", 1.0),
            ("jardin", 1.0),
        ],
    ),
    (
        "assurance",
        &[
            ("assurance", 2.0),
            ("assurances", 2.0),
            ("prime", 1.0),
            ("sinistre", 1.0),
            ("multirisque", 1.0),
        ],
    ),
    (
        "eau",
        &[
            ("eau", 1.5),
            ("assainissement", 2.0),
            ("m3", 1.0),
            ("m³", 1.0),
            ("potable", 1.0),
        ],
    ),
    (
        "electricite",
        &[("electricite", 2.0), ("kwh", 1.5), ("energie", 1.0)],
    ),
    (
        "travaux",
        &[
            ("travaux", 1.5),
            ("reparation", 1.5),
            ("plomberie", 1.5),
            ("plombier", 1.5),
            ("peinture", 1.5),
            ("remplacement", 1.0),
            ("depannage", 1.0),
            ("fuite", 1.0),
            ("maconnerie", 1.5),
            ("serrurerie", 1.5),
            ("electricien", 1.5),
            ("refection", 1.5),
            ("pose", 0.5),
        ],
    ),
    ("entretien", &[("entretien", 1.0), ("maintenance", 1.0)]),
    ("honoraires_syndic", &[("honoraires", 2.0)]),
];

/// The category the invoice's words point to, and how clearly: `None` when no keyword is found.
/// Words in `ignore` (the résidences' names: "Les Jardins") do not count.
pub(crate) fn category(lines: &[ReadLine], ignore: &[String]) -> Option<(&'static str, f32)> {
    let mut scores: Vec<(&'static str, f32)> = RULES.iter().map(|(c, _)| (*c, 0.0)).collect();
    for read in lines {
        let words: Vec<&str> = read
            .line
            .words
            .iter()
            .map(|w| w.text.as_str())
            .filter(|w| !ignore.iter().any(|i| i == w))
            .collect();
        for (k, (_, keywords)) in RULES.iter().enumerate() {
            for (keyword, weight) in *keywords {
                let pat: Vec<&str> = keyword.split(' ').collect();
                let count = words
                    .windows(pat.len())
                    .filter(|w| *w == pat.as_slice())
                    .count();
                scores[k].1 += weight * count as f32;
            }
        }
    }
    // Stable: on a tie, the earlier rule (a trade before generic works) wins.
    let mut ranked = scores.clone();
    ranked.sort_by(|a, b| b.1.total_cmp(&a.1));
    let (best, score) = ranked[0];
    if score <= 0.0 {
        return None;
    }
    let second = ranked.get(1).map_or(0.0, |r| r.1);
    let confidence = if score >= 2.0 * second && score >= 2.0 {
        0.85
    } else {
        0.65
    };
    Some((best, confidence))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::reading::Reading;

    fn cat(text: &str) -> Option<&'static str> {
        category(&Reading::read(text).lines, &[]).map(|c| c.0)
    }

    #[test]
    fn keywords_give_the_category() {
        assert_eq!(
            cat("Contrat d'entretien ascenseur - maintenance trimestrielle"),
            Some("ascenseur")
        );
        assert_eq!(
            cat("Consommation eau potable 32 m3\nAssainissement"),
            Some("eau")
        );
        assert_eq!(
            cat("Electricité parties communes 410 kWh"),
            Some("electricite")
        );
        assert_eq!(
            cat("Réparation fuite et remplacement robinet (plomberie)"),
            Some("travaux")
        );
        assert_eq!(cat("Entretien mensuel"), Some("entretien"));
        assert_eq!(
            cat("Agents de sécurité, gardiennage de jour et de nuit"),
            Some("gardiennage")
        );
        assert_eq!(
            cat("Taille et arrosage, entretien des espaces verts"),
            Some("jardinage")
        );
        assert_eq!(cat("Bonjour"), None);
    }

    #[test]
    fn a_residence_name_is_no_keyword() {
        let lines = Reading::read("Résidence Les Jardins\nRéparation porte").lines;
        assert_eq!(
            category(&lines, &["jardins".to_string()]).map(|c| c.0),
            Some("travaux")
        );
        let lines = Reading::read("Résidence Le Jardin\nRéparation porte").lines;
        assert_eq!(
            category(&lines, &["jardin".to_string()]).map(|c| c.0),
            Some("travaux")
        );
    }
}
