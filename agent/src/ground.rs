//! Grounding of figures: an amount in the model's prose must be one that a tool computed (or that
//! the user wrote). Prose that states any other amount is not shown as written.

use chrono::{Datelike, NaiveDate};
use rust_decimal::Decimal;
use std::collections::HashSet;
use std::str::FromStr;

/// The figures a turn may state: every number of its tool outputs (and array sizes, date parts),
/// the numbers of the user's message, today's date.
#[derive(Debug, Clone, Default)]
pub struct Grounding {
    values: HashSet<Decimal>,
}

impl Grounding {
    pub fn new(today: NaiveDate) -> Self {
        let mut g = Grounding::default();
        g.add_date(today);
        g
    }

    fn add(&mut self, d: Decimal) {
        self.values.insert(d.normalize());
    }

    fn add_date(&mut self, d: NaiveDate) {
        for part in [d.year(), d.month() as i32, d.day() as i32] {
            self.add(Decimal::from(part));
        }
    }

    /// Numbers written by the user may be repeated ("1 200 DH pour le lot A12").
    pub fn add_text(&mut self, text: &str) {
        for f in figures(text) {
            for v in f.values {
                self.add(v);
            }
        }
    }

    /// Every number of a tool output, recursively: JSON numbers, decimal strings, dates (and their
    /// parts), array lengths.
    pub fn add_output(&mut self, value: &serde_json::Value) {
        match value {
            serde_json::Value::Number(n) => {
                if let Ok(d) = Decimal::from_str(&n.to_string()) {
                    self.add(d);
                }
            }
            serde_json::Value::String(s) => {
                if let Ok(d) = Decimal::from_str(s) {
                    self.add(d);
                } else if let Ok(date) = NaiveDate::parse_from_str(s, "%Y-%m-%d") {
                    self.add_date(date);
                } else {
                    // Labels such as "T3 2025" or "Appel 2026-T1" carry numbers too.
                    self.add_text(s);
                }
            }
            serde_json::Value::Array(items) => {
                self.add(Decimal::from(items.len()));
                for item in items {
                    self.add_output(item);
                }
            }
            serde_json::Value::Object(map) => {
                for v in map.values() {
                    self.add_output(v);
                }
            }
            serde_json::Value::Bool(_) | serde_json::Value::Null => {}
        }
    }

    /// The amounts of `prose` that no tool output (nor the user) gave, as written.
    pub fn ungrounded(&self, prose: &str) -> Vec<String> {
        figures(prose)
            .into_iter()
            .filter(|f| f.is_amount)
            .filter(|f| {
                !f.values
                    .iter()
                    .any(|v| self.values.contains(&v.normalize()))
            })
            .map(|f| f.raw)
            .collect()
    }
}

/// A number found in text, with its possible readings ("1.200" is 1.2 or 1 200).
#[derive(Debug, Clone, PartialEq)]
pub struct Figure {
    pub raw: String,
    pub values: Vec<Decimal>,
    /// An amount (checked): with a currency, a decimal part, thousands separators, a percent
    /// sign, or at least 100. Small bare integers ("2 échéances") are not checked.
    pub is_amount: bool,
}

/// Words for dirhams, lower case with Arabic letters normalised: one list for the router (reading
/// the user's amounts) and for grounding (finding the model's).
pub(crate) const CURRENCY: &[&str] = &[
    "dh",
    "dhs",
    "mad",
    "dirham",
    "dirhams",
    "drh",
    "dhm",
    "درهم",
    "دراهم",
    "الدرهم",
];

/// Words that multiply a number by a thousand ("3 alaf", "2k"), for the router and grounding.
pub(crate) const THOUSANDS: &[&str] = &[
    "k", "alf", "alef", "alaf", "alaaf", "aalaf", "mille", "thousand", "الف", "الاف",
];

/// Other units that make a number a figure to check.
const OTHER_UNITS: [&str; 3] = ["€", "%", "eur"];

/// Larger scales than a thousand; with [`THOUSANDS`], a scaled number is an approximation, never
/// grounded.
const LARGER_SCALES: [&str; 5] = ["m", "million", "millions", "milliard", "milliards"];

fn is_unit(word: &str) -> bool {
    CURRENCY.contains(&word) || OTHER_UNITS.contains(&word)
}

/// Digits of every script as ASCII, the Arabic decimal and thousands signs as `,`, the minus
/// sign as `-`: what the scan below reads.
fn normalize(text: &str) -> Vec<char> {
    text.chars()
        .map(|c| match c {
            '\u{660}'..='\u{669}' => char::from(b'0' + (c as u32 - 0x660) as u8),
            '\u{6f0}'..='\u{6f9}' => char::from(b'0' + (c as u32 - 0x6f0) as u8),
            '\u{66b}' | '\u{66c}' => ',',
            '\u{2212}' => '-',
            // Alef variants, as the router's words are written.
            'أ' | 'إ' | 'آ' => 'ا',
            other => other,
        })
        .collect()
}

/// The numbers of `text`. Digits glued to letters (lot "A12", reference "VIR-2025-001") are not
/// figures; plausible dates (15/01/2025, 2025-01-15) give their parts. Fails closed: a number
/// that cannot be read, or is scaled by a word ("50k", "53 mille"), is an amount that nothing
/// grounds.
pub fn figures(text: &str) -> Vec<Figure> {
    let chars = normalize(text);
    let mut out = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        // A minus sign before a number ("-13 133,48"), not a hyphen inside a reference.
        let sign = chars[i] == '-'
            && chars.get(i + 1).is_some_and(char::is_ascii_digit)
            && (i == 0 || !chars[i - 1].is_alphanumeric());
        if sign {
            i += 1;
        }
        let glued_to_word = !sign && i > 0 && glued(chars[i - 1]) && !currency_before(&chars, i);
        if !chars[i].is_ascii_digit() || glued_to_word {
            // Skip the rest of a token that is not a figure (e.g. "A12", "VIR-2025").
            if chars[i].is_alphanumeric() || chars[i] == '-' || chars[i] == '_' {
                while i < chars.len()
                    && (chars[i].is_alphanumeric() || "-_/".contains(chars[i]))
                    && !(chars[i].is_ascii_digit() && currency_before(&chars, i))
                {
                    i += 1;
                }
            } else {
                i += 1;
            }
            continue;
        }
        let start = i;
        let mut end = i;
        while end < chars.len() {
            let c = chars[end];
            let separator = (c == '.' || c == ',' || c == '/' || c == '-')
                && chars.get(end + 1).is_some_and(char::is_ascii_digit);
            let group = is_space(c) && group_of_three(&chars, end + 1);
            if c.is_ascii_digit() || separator || group {
                end += 1;
            } else {
                break;
            }
        }
        let raw: String = chars[start..end].iter().collect();
        i = end;
        let scaled = magnitude_follows(&chars, end);
        // "12B", "3ème": a lot or an ordinal, not a figure.
        if chars.get(end).is_some_and(|c| c.is_alphabetic())
            && !unit_follows(&chars, end)
            && !scaled
        {
            while i < chars.len() && chars[i].is_alphanumeric() {
                i += 1;
            }
            continue;
        }
        let unit = unit_follows(&chars, end);
        if !unit && let Some(parts) = date_parts(&raw) {
            for p in parts {
                out.push(Figure {
                    raw: p.to_string(),
                    values: vec![Decimal::from(p)],
                    is_amount: false,
                });
            }
            continue;
        }
        // A range ("10000-20000 MAD", "70000/80000"): each bound is a figure.
        for part in raw.split(['/', '-']) {
            let values: Vec<Decimal> = if scaled {
                Vec::new()
            } else {
                readings(part)
                    .into_iter()
                    .map(|v| if sign { -v } else { v })
                    .collect()
            };
            let is_amount = unit
                || scaled
                || values.is_empty()
                || part.contains([',', '.'])
                || part.chars().any(is_space)
                || values.iter().any(|v| v.abs() >= Decimal::from(100));
            out.push(Figure {
                raw: part.to_string(),
                values,
                is_amount,
            });
        }
    }
    out
}

fn glued(c: char) -> bool {
    c.is_alphabetic() || c == '-' || c == '_'
}

fn is_space(c: char) -> bool {
    matches!(
        c,
        ' ' | '\u{a0}' | '\u{202f}' | '\u{2009}' | '\u{2007}' | '\u{200a}'
    )
}

/// Exactly three digits at `at`, then something else than a digit.
fn group_of_three(chars: &[char], at: usize) -> bool {
    (at..at + 3).all(|k| chars.get(k).is_some_and(char::is_ascii_digit))
        && !chars.get(at + 3).is_some_and(char::is_ascii_digit)
}

/// The word at `at` (after spaces), lower case.
fn word_at(chars: &[char], mut at: usize) -> String {
    while chars.get(at).is_some_and(|c| is_space(*c)) {
        at += 1;
    }
    chars[at.min(chars.len())..]
        .iter()
        .take_while(|c| c.is_alphabetic() || **c == '%' || **c == '€')
        .collect::<String>()
        .to_lowercase()
}

/// A currency or a percent sign right after the number (spaces allowed).
fn unit_follows(chars: &[char], at: usize) -> bool {
    is_unit(&word_at(chars, at))
}

fn magnitude_follows(chars: &[char], at: usize) -> bool {
    let word = word_at(chars, at);
    THOUSANDS.contains(&word.as_str()) || LARGER_SCALES.contains(&word.as_str())
}

/// "MAD5000": the letters right before `at` are a currency.
fn currency_before(chars: &[char], at: usize) -> bool {
    let word: String = chars[..at]
        .iter()
        .rev()
        .take_while(|c| c.is_alphabetic())
        .collect::<Vec<_>>()
        .into_iter()
        .rev()
        .collect::<String>()
        .to_lowercase();
    is_unit(&word)
}

/// The parts of a plausible date: `15/01/2025`, `15/01`, `15/01/25`, `2025-01-15`.
fn date_parts(raw: &str) -> Option<Vec<i64>> {
    let (sep, year_first) = if raw.contains('/') {
        ('/', false)
    } else if raw.contains('-') {
        ('-', true)
    } else {
        return None;
    };
    let pieces: Vec<&str> = raw.split(sep).collect();
    let parts: Vec<i64> = pieces
        .iter()
        .map(|p| p.parse().ok())
        .collect::<Option<_>>()?;
    let (d, m, y) = match (year_first, parts.as_slice(), pieces.as_slice()) {
        (true, [y, m, d], [ys, _, _]) if ys.len() == 4 => (*d, *m, Some(*y)),
        (false, [d, m], _) => (*d, *m, None),
        (false, [d, m, y], [_, _, ys]) if ys.len() == 2 || ys.len() == 4 => (*d, *m, Some(*y)),
        _ => return None,
    };
    let plausible = (1..=31).contains(&d)
        && (1..=12).contains(&m)
        && y.is_none_or(|y| (0..=99).contains(&y) || (1900..=2100).contains(&y));
    plausible.then_some(parts)
}

/// The reading of a number written the French or the English way. A single kind of separator
/// followed by groups of three digits is a thousands separator ("1.200", "12,500"); followed by
/// one or two digits, a decimal one ("1,5", "1200.50"). Anything else has no reading.
fn readings(raw: &str) -> Vec<Decimal> {
    let compact: String = raw.chars().filter(|c| !is_space(*c)).collect();
    let has_dot = compact.contains('.');
    let has_comma = compact.contains(',');
    let reading = match (has_dot, has_comma) {
        (false, false) => Some(compact),
        (true, true) => {
            // The last separator is the decimal one: "1.234,56" or "1,234.56".
            let last = compact.rfind([',', '.']).unwrap_or(0);
            let (int, frac) = compact.split_at(last);
            let sep = if frac.starts_with(',') { '.' } else { ',' };
            let groups: Vec<&str> = int.split(sep).collect();
            let grouped = groups[1..].iter().all(|g| g.len() == 3)
                && !int.contains(frac.chars().next().unwrap_or(','));
            (grouped && (2..=3).contains(&frac.len()))
                .then(|| format!("{}.{}", groups.concat(), &frac[1..]))
        }
        _ => {
            let sep = if has_dot { '.' } else { ',' };
            let pieces: Vec<&str> = compact.split(sep).collect();
            if pieces[1..].iter().all(|p| p.len() == 3) {
                Some(pieces.concat())
            } else if pieces.len() == 2 && (1..=2).contains(&pieces[1].len()) {
                Some(format!("{}.{}", pieces[0], pieces[1]))
            } else {
                None
            }
        }
    };
    reading
        .and_then(|r| Decimal::from_str(&r).ok())
        .into_iter()
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use rust_decimal_macros::dec;

    fn values(text: &str) -> Vec<Vec<Decimal>> {
        figures(text).into_iter().map(|f| f.values).collect()
    }

    #[test]
    fn reads_french_and_english_numbers() {
        assert_eq!(values("total 52 982,85 MAD"), vec![vec![dec!(52982.85)]]);
        assert_eq!(
            values("total 52\u{202f}982,85\u{a0}MAD"),
            vec![vec![dec!(52982.85)]]
        );
        assert_eq!(values("52.982,85 DH"), vec![vec![dec!(52982.85)]]);
        assert_eq!(values("52,982.85"), vec![vec![dec!(52982.85)]]);
        assert_eq!(values("1200.50 dhs"), vec![vec![dec!(1200.50)]]);
        assert_eq!(values("1.200 MAD"), vec![vec![dec!(1200)]]);
        assert_eq!(values("1,5 %"), vec![vec![dec!(1.5)]]);
        assert_eq!(values("الباقي ٩٩٬٩٩٩ درهم"), vec![vec![dec!(99999)]]);
        assert_eq!(values("85,3 %"), vec![vec![dec!(85.3)]]);
        assert_eq!(
            values("résultat -13 133,48 MAD"),
            vec![vec![dec!(-13133.48)]]
        );
    }

    #[test]
    fn lots_references_and_dates_are_not_amounts() {
        assert!(values("lot A12, réf VIR-2025-001, appartement 3B").is_empty());
        let f = figures("échéance du 31/07/2025");
        assert_eq!(f.len(), 3);
        assert!(f.iter().all(|f| !f.is_amount));
        assert!(!figures("2 échéances")[0].is_amount);
        assert!(figures("2 DH")[0].is_amount);
        assert!(figures("1500 mètres")[0].is_amount);
    }

    /// Found in review: each of these passed as grounded.
    #[test]
    fn invented_amounts_fail_closed() {
        let mut g = Grounding::new(NaiveDate::from_ymd_opt(2026, 11, 15).unwrap());
        g.add_output(&serde_json::json!({ "total": "52982.85", "lignes": [] }));
        for s in [
            "الباقي عليك ٩٩٩٩٩ درهم.",
            "الباقي عليك ۹۹۹۹۹ درهم.",
            "Entre 10000-20000 MAD.",
            "Entre 70000/80000 DH.",
            "Vous devez 15.000 MAD.",
            "Vous devez 11,000 MAD.",
            "Vous devez 10.000.50 MAD.",
            "Vous devez 1,20,000 DH.",
            "Environ 53 mille dirhams.",
            "Environ 50k MAD.",
            "Environ 1,5M DH.",
            "Vous devez MAD5000.",
            "Vous devez 52\u{2009}000 MAD.",
            "Solde \u{2212}52 982,85 MAD.",
            // Units the router knew and grounding did not (found when the lists became one).
            "Environ 3 thousand MAD.",
            "Il reste 50 دراهم.",
            "الباقي ٣ آلاف درهم.",
        ] {
            assert!(!g.ungrounded(s).is_empty(), "{s}");
        }
        assert!(
            g.ungrounded("Total 52\u{2009}982,85 MAD au 15/11/2026.")
                .is_empty()
        );
    }

    #[test]
    fn a_figure_of_the_outputs_is_grounded_an_invented_one_is_not() {
        let mut g = Grounding::new(NaiveDate::from_ymd_opt(2026, 11, 15).unwrap());
        g.add_output(&serde_json::json!({
            "total": "52982.85",
            "lignes": [{"montant_du": "23736.99", "plus_ancienne": "2025-07-31", "retard": 472}],
        }));
        assert!(g.ungrounded("Le total est de 52 982,85 MAD.").is_empty());
        assert!(
            g.ungrounded("M. Mernissi doit 23 736,99 DH depuis le 31/07/2025 (472 jours).")
                .is_empty()
        );
        assert!(
            g.ungrounded("Une ligne au 15/11/2026, année 2026.")
                .is_empty()
        );
        assert_eq!(
            g.ungrounded("Le total est d'environ 53 000 MAD."),
            vec!["53 000"]
        );
        assert_eq!(g.ungrounded("Il doit 1 200,00 DH."), vec!["1 200,00"]);
        g.add_text("il a payé 1200 dh");
        assert!(g.ungrounded("Il doit 1 200,00 DH.").is_empty());
    }
}
