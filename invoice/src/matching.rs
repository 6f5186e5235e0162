//! Recognising the syndic's suppliers and résidences on an invoice: the supplier by ICE (exact,
//! or one OCR slip away) then by name (folded, company forms ignored, fuzzy, the header weighing
//! more); the résidence by name, service address, or a contract, meter or client reference.

use crate::data::{Directory, KnownResidence, KnownSupplier};
use crate::reading::ReadLine;
use crate::text::{Line, digit_at, name_words};

/// Words that say a company is named, not which one.
const COMPANY_MARKS: &[&str] = &[
    "sarl",
    "sarlau",
    "sa",
    "snc",
    "sas",
    "scs",
    "ste",
    "societe",
    "ets",
    "etablissement",
    "etablissements",
    "entreprise",
    "cie",
    "group",
    "groupe",
];

/// Words left out when comparing names: the company marks, "AU" of "SARL AU", "Maroc".
fn is_company_form(word: &str) -> bool {
    COMPANY_MARKS.contains(&word) || matches!(word, "au" | "ltd" | "maroc")
}

/// Lines at the top of an invoice, where the supplier prints its name.
const HEADER_LINES: usize = 10;

/// An ICE read on the invoice: 15 digits once OCR slips are repaired (14 or 16 when a digit was
/// lost or doubled).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct IceRead {
    pub digits: String,
    pub line: usize,
    /// Printed after "ICE" (else a bare run of 15 digits).
    pub labelled: bool,
    /// In the client's block ("Client : … ICE …"): not the supplier's.
    pub client: bool,
}

/// Words that open the client's block of an invoice.
const CLIENT_WORDS: &[&str] = &[
    "client",
    "destinataire",
    "doit",
    "syndic",
    "syndicat",
    "facture a",
    "adresse de facturation",
    "coproprietaires",
];

/// The ICEs of the text, in order.
pub(crate) fn ice_reads(lines: &[ReadLine]) -> Vec<IceRead> {
    let mut out = Vec::new();
    let mut client_since: Option<usize> = None;
    for (n, read) in lines.iter().enumerate() {
        let line = &read.line;
        let folded = line.folded_text();
        let client_here = CLIENT_WORDS.iter().any(|w| !line.find_words(w).is_empty());
        if client_here {
            client_since = Some(n);
        } else if line.is_blank() {
            client_since = None;
        }
        let in_client_block = client_since.is_some_and(|c| n - c <= 5);
        let mut taken_until = 0;
        // "ICE", OCR's "lCE" or "1CE", glued to its digits ("ICE001…"), or written out.
        let mut labels: Vec<(usize, usize)> = line
            .words
            .iter()
            .filter_map(|w| {
                let label: String = w
                    .text
                    .chars()
                    .take(3)
                    .map(|c| if matches!(c, 'l' | '1') { 'i' } else { c })
                    .collect();
                let glued = w.text.chars().count() > 3;
                (label == "ice" && w.text.chars().skip(3).all(|c| c.is_ascii_digit()))
                    .then_some((w.start, if glued { w.start + 3 } else { w.end }))
            })
            .collect();
        labels.extend(
            line.find_words("identifiant commun")
                .into_iter()
                .map(|(a, b)| (line.words[a].start, line.words[b - 1].end)),
        );
        for (start, from) in labels {
            let before_label = &folded[..folded.char_indices().nth(start).map_or(0, |x| x.0)];
            let client = in_client_block
                || before_label.contains("client")
                || !line.find_words("ice client").is_empty();
            // A label whose digits OCR garbled is kept: it says an ICE is printed.
            let (digits, end) = digits_after(&line.raw, from).unwrap_or((String::new(), from));
            out.push(IceRead {
                digits,
                line: n,
                labelled: true,
                client,
            });
            taken_until = taken_until.max(end);
        }
        // A run of 15 digits without its label (the label misread), in one piece: spaced
        // groups there are other numbers side by side.
        let chars = &line.raw;
        let mut i = taken_until;
        while i < chars.len() {
            if chars[i].is_ascii_digit() && (i == 0 || !chars[i - 1].is_alphanumeric()) {
                let end = i + chars[i..]
                    .iter()
                    .take_while(|c| c.is_alphanumeric())
                    .count();
                let digits: String = chars[i..end].iter().collect();
                if digits.len() == 15 && digits.chars().all(|c| c.is_ascii_digit()) {
                    out.push(IceRead {
                        digits,
                        line: n,
                        labelled: false,
                        client: in_client_block,
                    });
                }
                i = end.max(i + 1);
            } else {
                i += 1;
            }
        }
    }
    out
}

/// The digits after a label (":" and spaces skipped), OCR slips repaired, spaces inside
/// allowed: 14 to 16 digits, and where they end.
fn digits_after(chars: &[char], from: usize) -> Option<(String, usize)> {
    let skipped =
        |c: char| c.is_whitespace() || matches!(c, ':' | ';' | ',' | '.' | '-' | '°' | 'º' | '=');
    let mut i = from;
    while i < chars.len() && skipped(chars[i]) {
        i += 1;
    }
    // "ICE n° : …".
    if matches!(chars.get(i), Some('n' | 'N')) && matches!(chars.get(i + 1), Some('°' | 'º' | 'o'))
    {
        i += 2;
        while i < chars.len() && skipped(chars[i]) {
            i += 1;
        }
    }
    let (digits, end) = digit_run(chars, i);
    (14..=16).contains(&digits.len()).then_some((digits, end))
}

/// Digits from `i`, single spaces or dots between groups allowed, letter slips repaired.
fn digit_run(chars: &[char], mut i: usize) -> (String, usize) {
    let mut digits = String::new();
    let mut end = i;
    while i < chars.len() && digits.len() < 17 {
        if let Some((d, _)) = digit_at(chars, i) {
            digits.push(char::from_digit(d, 10).unwrap_or('0'));
            i += 1;
            end = i;
        } else if matches!(chars[i], ' ' | '.')
            && chars.get(i + 1).is_some_and(char::is_ascii_digit)
        {
            i += 1;
        } else {
            break;
        }
    }
    (digits, end)
}

/// A supplier of the Directory recognised, and how.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct SupplierMatch<'a> {
    pub supplier: &'a KnownSupplier,
    pub score: f32,
    /// The ICE read that matched it (exactly, or one slip away).
    pub ice_read: Option<String>,
    pub notes: Vec<String>,
}

/// Confidence of a supplier recognised by its exact ICE.
const ICE_EXACT: f32 = 0.98;
/// Confidence of a supplier recognised by an ICE one digit away.
const ICE_NEAR: f32 = 0.85;
/// Confidence of a supplier recognised by an ICE two digits away: to confirm.
const ICE_TWO_SLIPS: f32 = 0.7;
/// A name scoring below this is not recognised.
const NAME_THRESHOLD: f64 = 0.86;

/// The supplier of the Directory the invoice is from.
pub(crate) fn match_supplier<'a>(
    lines: &[ReadLine],
    ices: &[IceRead],
    directory: &'a Directory,
) -> Option<SupplierMatch<'a>> {
    let by_ice = directory.suppliers.iter().find_map(|s| {
        let known = s.ice.as_deref()?;
        let read = ices.iter().find(|r| r.digits == known)?;
        Some((s, ICE_EXACT, read.digits.clone()))
    });
    // One or two OCR slips away from one known ICE, and far from every other one.
    let by_ice = by_ice.or_else(|| {
        ices.iter()
            .filter(|r| !r.client && r.digits.len() >= 14)
            .find_map(|r| {
                let mut distances: Vec<(usize, &KnownSupplier)> = directory
                    .suppliers
                    .iter()
                    .filter_map(|s| Some((strsim::levenshtein(&r.digits, s.ice.as_deref()?), s)))
                    .collect();
                distances.sort_by_key(|(d, _)| *d);
                let (d, s) = *distances.first()?;
                let runner_up = distances.get(1).map_or(usize::MAX, |x| x.0);
                let score = match d {
                    1 => ICE_NEAR,
                    2 => ICE_TWO_SLIPS,
                    _ => return None,
                };
                (runner_up >= d + 3).then(|| (s, score, r.digits.clone()))
            })
    });
    let by_name = best_name(lines, directory);
    match (by_ice, by_name) {
        (Some((s, score, read)), name) => {
            let mut notes = Vec::new();
            let same_name = name.as_ref().is_some_and(|(n, _)| n.id == s.id);
            let score = if same_name {
                (score + 0.05).min(0.99)
            } else if name.is_some() {
                notes.push(format!(
                    "L'ICE désigne {} mais le nom imprimé ressemble à un autre fournisseur : vérifiez.",
                    s.nom
                ));
                score.min(0.75)
            } else {
                score
            };
            if read != s.ice.clone().unwrap_or_default() {
                notes.push(format!(
                    "ICE lu {read}, corrigé d'après votre liste de fournisseurs."
                ));
            }
            Some(SupplierMatch {
                supplier: s,
                score,
                ice_read: Some(read),
                notes,
            })
        }
        (None, Some((s, score))) => Some(SupplierMatch {
            supplier: s,
            score,
            ice_read: None,
            notes: Vec::new(),
        }),
        (None, None) => None,
    }
}

/// The words of a name that identify it: folded, company forms and single letters left out
/// (single digits stay: a street number).
pub(crate) fn key_words(name: &str, ignore: &[&str]) -> Vec<String> {
    name_words(name)
        .into_iter()
        .filter(|w| {
            (w.chars().count() > 1 || w.chars().all(|c| c.is_ascii_digit()))
                && !is_company_form(w)
                && !ignore.contains(&w.as_str())
        })
        .collect()
}

/// How well `key` (words) appears in a line: 1 for the exact words in a row, else the best
/// similarity of a window of the line's words of the same length.
pub(crate) fn line_score(key: &[String], line: &Line, ignore: &[&str]) -> f64 {
    let words: Vec<&str> = line
        .words
        .iter()
        .map(|w| w.text.as_str())
        .filter(|w| {
            (w.chars().count() > 1 || w.chars().all(|c| c.is_ascii_digit()))
                && !is_company_form(w)
                && !ignore.contains(w)
        })
        .collect();
    if key.is_empty() || words.is_empty() {
        return 0.0;
    }
    let target = key.join(" ");
    let short = target.chars().count() <= 4;
    let mut best: f64 = 0.0;
    for len in [key.len(), key.len() + 1, key.len().saturating_sub(1)] {
        if len == 0 || len > words.len() {
            continue;
        }
        for window in words.windows(len) {
            let candidate = window.join(" ");
            // "rn" is OCR's classic misreading of "m" ("Yasrnine").
            let unmerged = candidate.replace("rn", "m");
            let score = if candidate == target || unmerged == target {
                1.0
            } else if short {
                0.0
            } else {
                strsim::normalized_levenshtein(&candidate, &target)
                    .max(strsim::normalized_levenshtein(&unmerged, &target))
            };
            best = best.max(score);
        }
    }
    best
}

fn best_name<'a>(lines: &[ReadLine], directory: &'a Directory) -> Option<(&'a KnownSupplier, f32)> {
    let mut scored: Vec<(&KnownSupplier, f64)> = directory
        .suppliers
        .iter()
        .map(|s| {
            let key = key_words(&s.nom, &[]);
            let score = lines
                .iter()
                .enumerate()
                .map(|(n, r)| {
                    let weight = if n < HEADER_LINES { 1.0 } else { 0.95 };
                    line_score(&key, &r.line, &[]) * weight
                })
                .fold(0.0, f64::max);
            (s, score)
        })
        .filter(|(_, score)| *score >= NAME_THRESHOLD)
        .collect();
    scored.sort_by(|a, b| b.1.total_cmp(&a.1));
    let (best, score) = *scored.first()?;
    let runner_up = scored.get(1).map_or(0.0, |r| r.1);
    let confidence = if score - runner_up < 0.03 {
        0.6
    } else {
        (0.95 * score) as f32
    };
    Some((best, confidence))
}

/// The supplier's name as printed, when it is not in the Directory: the first header line that
/// names a company ("HYDRO SERVICES SARL"), else the first header line of words.
pub(crate) fn printed_supplier(lines: &[ReadLine]) -> Option<String> {
    let header: Vec<&Line> = lines
        .iter()
        .map(|r| &r.line)
        .filter(|l| !l.is_blank())
        .take(6)
        .collect();
    let is_form = |l: &Line| {
        l.words
            .iter()
            .any(|w| COMPANY_MARKS.contains(&w.text.as_str()))
    };
    let plain = |l: &Line| {
        let letters = l.raw.iter().filter(|c| c.is_alphabetic()).count();
        let digits = l.raw.iter().filter(|c| c.is_ascii_digit()).count();
        let skip = [
            "facture",
            "tel",
            "fax",
            "email",
            "adresse",
            "client",
            "date",
            "page",
            "devis",
            "original",
            "duplicata",
        ];
        // OCR debris ("M RSS Ent, DU Te UT") is mostly one- and two-letter scraps.
        let words: Vec<usize> = l
            .words
            .iter()
            .filter(|w| w.text.chars().all(char::is_alphabetic))
            .map(|w| w.text.chars().count())
            .collect();
        let long = words.iter().filter(|n| **n >= 3).count();
        letters >= 3
            && digits * 3 < letters
            && long * 5 >= words.len() * 3
            && words.iter().any(|n| *n >= 4)
            && !l.words.iter().any(|w| skip.contains(&w.text.as_str()))
            && !l.text().contains('@')
    };
    let line = header
        .iter()
        .find(|l| is_form(l) && plain(l))
        .or_else(|| header.iter().find(|l| plain(l)))?;
    let text = line.text();
    let text = text
        .trim()
        .trim_matches(|c: char| !c.is_alphanumeric() && c != '.' && c != ')');
    (!text.is_empty()).then(|| text.to_string())
}

/// A résidence of the Directory recognised, and how.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct ResidenceMatch<'a> {
    pub residence: &'a KnownResidence,
    pub score: f32,
}

/// Words of a résidence's name that do not tell which one it is.
const RESIDENCE_WORDS: &[&str] = &[
    "residence",
    "res",
    "immeuble",
    "imm",
    "copropriete",
    "complexe",
    "les",
    "le",
    "la",
];
/// Words of an address that do not tell which one it is.
const ADDRESS_WORDS: &[&str] = &[
    "rue",
    "bd",
    "boulevard",
    "avenue",
    "av",
    "angle",
    "no",
    "de",
    "du",
    "des",
    "la",
    "le",
    "les",
    "et",
    "lot",
    "lotissement",
    "quartier",
    "hay",
    "residence",
    "imm",
    "immeuble",
    "route",
    "rte",
];

/// The résidence of the Directory the invoice is for: by its name, else its address, else a
/// reference the supplier prints.
pub(crate) fn match_residence<'a>(
    lines: &[ReadLine],
    directory: &'a Directory,
) -> Option<ResidenceMatch<'a>> {
    let best = |score_of: &dyn Fn(&KnownResidence) -> f64, threshold: f64| {
        let mut scored: Vec<(&'a KnownResidence, f64)> = directory
            .residences
            .iter()
            .map(|r| (r, score_of(r)))
            .filter(|(_, s)| *s >= threshold)
            .collect();
        scored.sort_by(|a, b| b.1.total_cmp(&a.1));
        let (r, s) = *scored.first()?;
        let clear = scored.get(1).is_none_or(|other| s - other.1 >= 0.03);
        Some((r, s, clear))
    };
    let by_name = |r: &KnownResidence| {
        let key = key_words(&r.nom, RESIDENCE_WORDS);
        if key.iter().map(|w| w.chars().count()).sum::<usize>() < 4 {
            return 0.0;
        }
        lines
            .iter()
            .map(|l| line_score(&key, &l.line, RESIDENCE_WORDS))
            .fold(0.0, f64::max)
    };
    let by_address =
        |r: &KnownResidence| address_score(&format!("{} {}", r.adresse, r.ville), lines);
    let by_reference = |r: &KnownResidence| {
        let found = r.references.iter().any(|reference| {
            let key = canonical(reference);
            key.len() >= 5
                && lines
                    .iter()
                    .any(|l| canonical(&l.line.text()).contains(&key))
        });
        if found { 1.0 } else { 0.0 }
    };
    if let Some((r, s, clear)) = best(&by_name, 0.88) {
        return Some(ResidenceMatch {
            residence: r,
            score: if clear { (0.95 * s) as f32 } else { 0.6 },
        });
    }
    if let Some((r, s, clear)) = best(&by_address, 0.75) {
        return Some(ResidenceMatch {
            residence: r,
            score: if clear { (0.9 * s) as f32 } else { 0.6 },
        });
    }
    best(&by_reference, 1.0).map(|(r, _, clear)| ResidenceMatch {
        residence: r,
        score: if clear { 0.95 } else { 0.6 },
    })
}

/// The share of an address's telling words found in one line of the text (or two lines in a
/// row), provided at least two are.
fn address_score(address: &str, lines: &[ReadLine]) -> f64 {
    let key = key_words(address, ADDRESS_WORDS);
    if key.len() < 2 {
        return 0.0;
    }
    let found_in = |words: &[&str]| {
        key.iter()
            .filter(|k| {
                words.iter().any(|w| {
                    *w == k.as_str()
                        || (k.chars().count() >= 5 && strsim::normalized_levenshtein(w, k) >= 0.8)
                })
            })
            .count()
    };
    let mut best = 0.0;
    for (n, l) in lines.iter().enumerate() {
        let mut words: Vec<&str> = l.line.words.iter().map(|w| w.text.as_str()).collect();
        if let Some(next) = lines.get(n + 1) {
            words.extend(next.line.words.iter().map(|w| w.text.as_str()));
        }
        let found = found_in(&words);
        if found >= 2 {
            best = f64::max(best, found as f64 / key.len() as f64);
        }
    }
    best
}

/// A reference as comparable text: letters and digits only, upper case, the letters OCR confuses
/// with digits made digits ("CTR-45O7l2" and "CTR 450712" agree).
pub(crate) fn canonical(text: &str) -> String {
    text.chars()
        .filter(|c| c.is_alphanumeric())
        .map(|c| c.to_ascii_uppercase())
        .map(|c| match c {
            'O' => '0',
            'I' | 'L' => '1',
            'S' => '5',
            'B' => '8',
            c => c,
        })
        .collect()
}

/// The supplier of the Directory a name designates (the model's answer, say): same telling
/// words, up to OCR-like slips.
pub(crate) fn supplier_named<'a>(
    name: &str,
    directory: &'a Directory,
) -> Option<&'a KnownSupplier> {
    let line = Line::new(name);
    directory
        .suppliers
        .iter()
        .map(|s| (s, line_score(&key_words(&s.nom, &[]), &line, &[])))
        .filter(|(_, score)| *score >= NAME_THRESHOLD)
        .max_by(|a, b| a.1.total_cmp(&b.1))
        .map(|(s, _)| s)
}

/// The résidence of the Directory a name designates.
pub(crate) fn residence_named<'a>(
    name: &str,
    directory: &'a Directory,
) -> Option<&'a KnownResidence> {
    let line = Line::new(name);
    directory
        .residences
        .iter()
        .map(|r| {
            (
                r,
                line_score(&key_words(&r.nom, RESIDENCE_WORDS), &line, RESIDENCE_WORDS),
            )
        })
        .filter(|(_, score)| *score >= NAME_THRESHOLD)
        .max_by(|a, b| a.1.total_cmp(&b.1))
        .map(|(r, _)| r)
}
