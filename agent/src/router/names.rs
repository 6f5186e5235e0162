//! Which of the words the router could not place are names — résidences (by name or city),
//! co-owners, suppliers — looked up in the caller's data by whole word (a few rows, never the
//! whole list), with one typo corrected against the name words that start the same way.

use std::collections::{BTreeSet, HashMap};
use wakil_schema::StoreError;
use wakil_schema::store::{NameDrivers, NameHit, NameWordCount, Tenant};

/// The kinds of names the intent can use.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Kinds {
    pub residence: bool,
    pub coproprietaire: bool,
    pub fournisseur: bool,
    /// Several co-owners answer to the words: give the words to the tool (a read tool lists
    /// the candidates itself) rather than ask.
    pub copro_to_tool: bool,
}

/// What the words turned out to be.
#[derive(Clone, Debug, Default, PartialEq)]
pub(crate) struct Names {
    /// The rows found (their `nom` is the canonical name to give a tool).
    pub residence: Option<NameHit>,
    pub coproprietaire: Option<NameHit>,
    pub fournisseur: Option<NameHit>,
    /// The typed words (folded) these names account for.
    pub claimed: BTreeSet<String>,
    /// Several rows fit: the French question to ask.
    pub ask: Option<String>,
    /// Several different names of one kind ("Guéliz et Agdal"): not for the fast path.
    pub several: bool,
}

const KIND_ORDER: [&str; 3] = ["residence", "fournisseur", "coproprietaire"];
/// How many candidates an ambiguity question lists.
const LISTED: usize = 6;
/// A word at most this many names of a kind have finds them by itself.
const RARE: i64 = 50;
/// Words are counted up to this; a word at least this common ("al", "el", a frequent surname)
/// never finds names by itself: it only adds to the names found through rarer words.
const COMMON: i64 = 1000;

/// `support`: words among `words` that name nothing by themselves, numbers and "résidence",
/// "immeuble": a name having only those is not named by the message, unless it has both a
/// number and such a word ("Immeuble 14").
pub(crate) async fn resolve(
    t: &mut Tenant,
    words: &[String],
    support: &[String],
    kinds: Kinds,
    scope: Option<i64>,
) -> Result<Names, StoreError> {
    let (mut hits, found) = lookup(t, words, support, kinds, scope).await?;
    // Words no name has (typed with a typo?); never numbers: "321" is not a typo for "322".
    let missing: Vec<&String> = words
        .iter()
        .filter(|w| {
            !found.contains(w.as_str())
                && w.chars().count() >= 4
                && !w.chars().any(|c| c.is_ascii_digit())
        })
        .collect();
    // Typed → stored spelling, for the words corrected.
    let mut corrected: HashMap<String, String> = HashMap::new();
    if !missing.is_empty() {
        let prefixes: Vec<String> = missing
            .iter()
            .map(|w| w.chars().take(2).collect())
            .collect();
        let candidates = t.name_words_starting(&prefixes).await?;
        for w in missing {
            if let Some(c) = nearest(w, &candidates) {
                corrected.insert(c.to_string(), w.clone());
            }
        }
        if !corrected.is_empty() {
            let fixed: Vec<String> = words
                .iter()
                .map(|w| {
                    corrected
                        .iter()
                        .find(|(_, typed)| *typed == w)
                        .map_or(w.clone(), |(c, _)| c.clone())
                })
                .collect();
            hits = lookup(t, &fixed, support, kinds, scope).await?.0;
        }
    }
    for h in &mut hits {
        for m in &mut h.mots {
            if let Some(typed) = corrected.get(m) {
                *m = typed.clone();
            }
        }
    }
    Ok(choose(&hits, kinds))
}

/// The names of the wanted kinds having some of `words`, and the words some name has. A few
/// index reads: how many names of each kind have each word (counted up to [`COMMON`]), then the
/// names having the rare words, or else the rarest word, with all the words each has.
async fn lookup(
    t: &mut Tenant,
    words: &[String],
    support: &[String],
    kinds: Kinds,
    scope: Option<i64>,
) -> Result<(Vec<NameHit>, BTreeSet<String>), StoreError> {
    let counts = t.name_word_counts(words, COMMON).await?;
    let found: BTreeSet<String> = counts.iter().map(|c| c.mot.clone()).collect();
    let drivers = drivers(&counts, kinds);
    if drivers == NameDrivers::default() {
        return Ok((Vec::new(), found));
    }
    let mut hits = t.names_with_words(words, &drivers, scope).await?;
    let number = |m: &String| m.chars().all(|c| c.is_ascii_digit());
    hits.retain(|h| {
        h.mots.iter().any(|m| !support.contains(m))
            || (h.mots.iter().any(number) && !h.mots.iter().all(number))
    });
    Ok((hits, found))
}

/// The words to find each wanted kind's names by: those few names have ([`RARE`]); when there
/// is none, the rarest word, unless it is [`COMMON`].
fn drivers(counts: &[NameWordCount], kinds: Kinds) -> NameDrivers {
    let wanted: Vec<&NameWordCount> = counts
        .iter()
        .filter(|c| match c.kind.as_str() {
            "residence" => kinds.residence,
            "fournisseur" => kinds.fournisseur,
            _ => kinds.coproprietaire,
        })
        .filter(|c| c.n < COMMON)
        .collect();
    let mut chosen: Vec<&NameWordCount> = wanted.iter().copied().filter(|c| c.n <= RARE).collect();
    if chosen.is_empty()
        && let Some(rarest) = wanted.iter().min_by_key(|c| (c.n, c.mot.as_str()))
    {
        chosen = wanted
            .iter()
            .copied()
            .filter(|c| c.mot == rarest.mot)
            .collect();
    }
    let mut d = NameDrivers::default();
    for c in chosen {
        let slot = match c.kind.as_str() {
            "residence" => &mut d.residence,
            "fournisseur" => &mut d.fournisseur,
            _ => &mut d.coproprietaire,
        };
        slot.push(c.mot.clone());
    }
    d
}

/// The stored word closest to a typed one: edit distance 1 (2 from 7 letters), and only one
/// such word at the best distance.
fn nearest<'a>(typed: &str, candidates: &'a [String]) -> Option<&'a str> {
    let max = if typed.chars().count() >= 7 { 2 } else { 1 };
    let mut best: Option<(usize, &str)> = None;
    let mut tie = false;
    for c in candidates {
        let d = strsim::osa_distance(typed, c);
        if d > max {
            continue;
        }
        match best {
            Some((b, _)) if d > b => {}
            Some((b, _)) if d == b => tie = true,
            _ => {
                best = Some((d, c));
                tie = false;
            }
        }
    }
    best.filter(|_| !tie).map(|(_, c)| c)
}

/// The consonants of a Latin word as classes an Arabic spelling can meet: b/p, k/g/q/c/j (hard
/// c), d, f/v, l, m, n, r, s/z (and soft c), t, ch/sh; vowels, h, w, y dropped, repeats merged
/// ("gueliz" → "KLS", "maarif" → "MRF", "marrakech" → "MRKC").
pub(crate) fn latin_consonants(word: &str) -> String {
    let chars: Vec<char> = word.chars().collect();
    let mut out = String::new();
    let mut i = 0;
    while i < chars.len() {
        let (c, next) = (chars[i], chars.get(i + 1).copied());
        let (class, len) = match (c, next) {
            ('c' | 's', Some('h')) => (Some('C'), 2),
            ('k' | 'g', Some('h')) => (Some('K'), 2),
            ('t' | 'd', Some('h')) => (Some(c.to_ascii_uppercase()), 2),
            ('c', Some('e' | 'i' | 'y')) => (Some('S'), 1),
            ('b' | 'p', _) => (Some('B'), 1),
            ('k' | 'g' | 'q' | 'c' | 'j', _) => (Some('K'), 1),
            ('s' | 'z', _) => (Some('S'), 1),
            ('f' | 'v', _) => (Some('F'), 1),
            ('d' | 'l' | 'm' | 'n' | 'r' | 't', _) => (Some(c.to_ascii_uppercase()), 1),
            ('x', _) => {
                out.push('K');
                (Some('S'), 1)
            }
            _ => (None, 1),
        };
        if let Some(k) = class.filter(|k| !out.ends_with(*k)) {
            out.push(k);
        }
        i += len;
    }
    out
}

/// The consonants of an Arabic word in the classes of [`latin_consonants`], without the article
/// and the one-letter prepositions glued to it ("فكليز" → "KLS", "المعاريف" → "MRF").
pub(crate) fn arabic_consonants(word: &str) -> Vec<String> {
    let mut stems = vec![word];
    for p in ["و", "ف", "ب", "ل"] {
        if let Some(rest) = word.strip_prefix(p) {
            stems.push(rest);
        }
    }
    let mut bare: Vec<&str> = Vec::new();
    for s in stems {
        bare.push(s);
        if let Some(rest) = s.strip_prefix("ال") {
            bare.push(rest);
        }
    }
    bare.into_iter()
        .filter(|s| s.chars().count() >= 3)
        .map(|s| {
            let mut out = String::new();
            for c in s.chars() {
                let class = match c {
                    'ب' | 'پ' => 'B',
                    'ك' | 'ق' | 'ج' | 'گ' | 'ڭ' | 'غ' | 'خ' => 'K',
                    'د' | 'ض' | 'ذ' => 'D',
                    'ف' | 'ڤ' => 'F',
                    'ل' => 'L',
                    'م' => 'M',
                    'ن' => 'N',
                    'ر' => 'R',
                    'س' | 'ز' | 'ص' => 'S',
                    'ت' | 'ط' | 'ث' => 'T',
                    'ش' => 'C',
                    _ => continue,
                };
                if !out.ends_with(class) {
                    out.push(class);
                }
            }
            out
        })
        .collect()
}

/// Arabic names of cities that are not a transliteration of their French name.
const CITY_ALIASES: &[(&str, &str)] = &[
    ("البيضاء", "casablanca"),
    ("البيضا", "casablanca"),
    ("كازا", "casablanca"),
    ("كازابلانكا", "casablanca"),
    ("طنجه", "tanger"),
];

/// The résidence word (name or city, folded) an Arabic-script word spells: a city alias, else
/// the only word of `stored` with the same consonants (two at least).
pub(crate) fn arabic_name<'a>(word: &str, stored: &'a [String]) -> Option<&'a str> {
    if let Some((_, city)) = CITY_ALIASES.iter().find(|(a, _)| *a == word) {
        return stored.iter().find(|s| s == city).map(String::as_str);
    }
    let keys = arabic_consonants(word);
    let mut hits = stored.iter().filter(|s| {
        let k = latin_consonants(s);
        k.len() >= 2 && keys.contains(&k)
    });
    let first = hits.next()?;
    hits.all(|h| latin_consonants(h) == latin_consonants(first))
        .then_some(first.as_str())
}

/// Each kind's best rows (most words matched) claim their words; a kind matching more words
/// wins a shared word, résidences win ties ("maarif" is the résidence, not "Maârif Optique").
pub(crate) fn choose(hits: &[NameHit], kinds: Kinds) -> Names {
    let mut tiers: Vec<(usize, usize, Vec<&NameHit>)> = Vec::new();
    for (rank, kind) in KIND_ORDER.iter().enumerate() {
        let wanted = match *kind {
            "residence" => kinds.residence,
            "fournisseur" => kinds.fournisseur,
            _ => kinds.coproprietaire,
        };
        let of_kind: Vec<&NameHit> = hits
            .iter()
            .filter(|h| h.kind == *kind && !h.mots.is_empty())
            .collect();
        let Some(top) = of_kind.iter().map(|h| h.mots.len()).max() else {
            continue;
        };
        if wanted {
            let best = of_kind
                .into_iter()
                .filter(|h| h.mots.len() == top)
                .collect();
            tiers.push((top, rank, best));
        }
    }
    tiers.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(&b.1)));
    let mut names = Names::default();
    for (_, _, best) in tiers {
        let words: BTreeSet<String> = best.iter().flat_map(|h| h.mots.iter().cloned()).collect();
        if words.iter().any(|w| names.claimed.contains(w)) {
            continue;
        }
        names.claimed.extend(words);
        let Some(first) = best.first() else {
            continue;
        };
        if best.iter().any(|h| h.mots != first.mots) {
            names.several = true;
            continue;
        }
        if best.len() > 1 && first.kind == "coproprietaire" && kinds.copro_to_tool {
            names.coproprietaire = Some(NameHit {
                nom: typed_words(first),
                ..(*first).clone()
            });
            continue;
        }
        if best.len() > 1 {
            if names.ask.is_none() {
                names.ask = Some(ambiguity(&best));
            }
            continue;
        }
        let slot = match first.kind.as_str() {
            "residence" => &mut names.residence,
            "fournisseur" => &mut names.fournisseur,
            _ => &mut names.coproprietaire,
        };
        *slot = Some((*first).clone());
    }
    names
}

/// The typed words as the candidate spells them ("lahlou", "lahlu" → "Lahlou").
fn typed_words(first: &NameHit) -> String {
    let typed: Vec<String> = first
        .nom
        .split_whitespace()
        .chain(first.detail.split_whitespace())
        .filter(|w| {
            let w = wakil_schema::fold::fold(w);
            // Short words and numbers only as typed (never corrected): "Al Amal 321", not the
            // "1" of another name nor the "El" of the city.
            first.mots.iter().any(|m| {
                *m == w
                    || (m.chars().count() >= 4
                        && !m.chars().any(|c| c.is_ascii_digit())
                        && strsim::osa_distance(&w, m) <= 2)
            })
        })
        .map(str::to_string)
        .collect();
    if typed.is_empty() {
        first.mots.join(" ")
    } else {
        typed.join(" ")
    }
}

/// "Plusieurs copropriétaires s'appellent Lahlou : Omar Lahlou (B21, P05), Khadija Lahlou (A41).
/// Lequel ?"
fn ambiguity(best: &[&NameHit]) -> String {
    let Some(first) = best.first() else {
        return String::new();
    };
    let typed = typed_words(first);
    let mut listed: Vec<String> = best
        .iter()
        .take(LISTED)
        .map(|h| {
            if h.detail.is_empty() {
                h.nom.clone()
            } else {
                format!("{} ({})", h.nom, h.detail)
            }
        })
        .collect();
    if best.len() > LISTED {
        listed.push(format!("et {} autres", best.len() - LISTED));
    }
    let listed = listed.join(", ");
    match first.kind.as_str() {
        "coproprietaire" => {
            format!("Plusieurs copropriétaires s'appellent {typed} : {listed}. Lequel ?")
        }
        "residence" => {
            format!("Plusieurs résidences correspondent à « {typed} » : {listed}. Laquelle ?")
        }
        _ => format!("Plusieurs fournisseurs correspondent à « {typed} » : {listed}. Lequel ?"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hit(kind: &str, nom: &str, detail: &str, mots: &[&str]) -> NameHit {
        NameHit {
            kind: kind.into(),
            id: 1,
            nom: nom.into(),
            libelle: nom.into(),
            detail: detail.into(),
            mots: mots.iter().map(|m| m.to_string()).collect(),
        }
    }

    fn nom(h: &Option<NameHit>) -> Option<&str> {
        h.as_ref().map(|h| h.nom.as_str())
    }

    const ALL: Kinds = Kinds {
        residence: true,
        coproprietaire: true,
        fournisseur: true,
        copro_to_tool: false,
    };

    #[test]
    fn a_shared_surname_asks_which() {
        let hits = [
            hit("coproprietaire", "Omar Lahlou", "B21, P05", &["lahlou"]),
            hit("coproprietaire", "Khadija Lahlou", "A41", &["lahlou"]),
        ];
        let names = choose(&hits, ALL);
        assert_eq!(
            names.ask.as_deref(),
            Some(
                "Plusieurs copropriétaires s'appellent Lahlou : Omar Lahlou (B21, P05), \
                 Khadija Lahlou (A41). Lequel ?"
            )
        );
        assert!(names.claimed.contains("lahlou"));
    }

    #[test]
    fn two_different_names_are_not_a_question() {
        let hits = [
            hit("residence", "Résidence Agdal Parc", "Rabat", &["agdal"]),
            hit(
                "residence",
                "Résidence Les Jardins de Guéliz",
                "Marrakech",
                &["gueliz"],
            ),
        ];
        let names = choose(&hits, ALL);
        assert!(names.several);
        assert_eq!(names.ask, None);
    }

    #[test]
    fn more_words_win_and_residences_win_ties() {
        let hits = [
            hit("coproprietaire", "Omar Lahlou", "B21", &["omar", "lahlou"]),
            hit("coproprietaire", "Khadija Lahlou", "A41", &["lahlou"]),
            hit(
                "residence",
                "Résidence Al Maârif",
                "Casablanca",
                &["maarif"],
            ),
        ];
        let names = choose(&hits, ALL);
        assert_eq!(nom(&names.coproprietaire), Some("Omar Lahlou"));
        assert_eq!(nom(&names.residence), Some("Résidence Al Maârif"));
        let hits = [
            hit("coproprietaire", "Maârif Optique SARL", "", &["maarif"]),
            hit(
                "residence",
                "Résidence Al Maârif",
                "Casablanca",
                &["maarif"],
            ),
        ];
        let names = choose(&hits, ALL);
        assert_eq!(nom(&names.residence), Some("Résidence Al Maârif"));
        assert_eq!(names.coproprietaire, None);
        let hits = [
            hit(
                "coproprietaire",
                "Maârif Optique SARL",
                "",
                &["maarif", "optique"],
            ),
            hit(
                "residence",
                "Résidence Al Maârif",
                "Casablanca",
                &["maarif"],
            ),
        ];
        let names = choose(&hits, ALL);
        assert_eq!(nom(&names.coproprietaire), Some("Maârif Optique SARL"));
        assert_eq!(names.residence, None);
    }

    #[test]
    fn arabic_spellings_meet_latin_names_by_their_consonants() {
        let stored: Vec<String> = [
            "jardins",
            "gueliz",
            "marrakech",
            "agdal",
            "parc",
            "rabat",
            "maarif",
            "casablanca",
            "majorelle",
            "tanger",
        ]
        .iter()
        .map(|s| s.to_string())
        .collect();
        let table = [
            ("جليز", Some("gueliz")),
            ("كليز", Some("gueliz")),
            ("فكليز", Some("gueliz")),
            ("اكدال", Some("agdal")),
            ("باكدال", Some("agdal")),
            ("بارك", Some("parc")),
            ("المعاريف", Some("maarif")),
            ("مراكش", Some("marrakech")),
            ("فمراكش", Some("marrakech")),
            ("الرباط", Some("rabat")),
            ("ماجوريل", Some("majorelle")),
            ("البيضاء", Some("casablanca")),
            ("طنجه", Some("tanger")),
            ("الكراء", None),
            ("الحديقه", None),
        ];
        for (word, expected) in table {
            assert_eq!(arabic_name(word, &stored), expected, "{word}");
        }
    }

    #[test]
    fn typos_are_corrected_only_when_one_word_is_nearest() {
        let words = [
            "lahlou".to_string(),
            "lamrani".to_string(),
            "lahlal".to_string(),
        ];
        assert_eq!(nearest("lahlo", &words), Some("lahlou"));
        assert_eq!(nearest("lamrany", &words), Some("lamrani"));
        assert_eq!(nearest("zzzz", &words), None);
        let words = [
            "alami".to_string(),
            "alaoui".to_string(),
            "salami".to_string(),
        ];
        assert_eq!(nearest("alam", &words), Some("alami"));
        assert_eq!(nearest("xalami", &words), None, "two at distance 1");
    }
}
