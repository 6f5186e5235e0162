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

const CURRENCIES: [&str; 8] = ["mad", "dh", "dhs", "dirham", "dirhams", "درهم", "€", "%"];

/// The numbers of `text`. Digits glued to letters (lot "A12", reference "VIR-2025-001") are not
/// figures; dates (15/01/2025, 2025-01-15) give their parts.
pub fn figures(text: &str) -> Vec<Figure> {
    let chars: Vec<char> = text.chars().collect();
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
        if !chars[i].is_ascii_digit() || (!sign && i > 0 && glued(chars[i - 1])) {
            // Skip the rest of a token that is not a figure (e.g. "A12", "VIR-2025").
            if chars[i].is_alphanumeric() || chars[i] == '-' || chars[i] == '_' {
                while i < chars.len() && (chars[i].is_alphanumeric() || "-_/".contains(chars[i])) {
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
        // "12B", "3ème": a lot or an ordinal, not a figure.
        if chars.get(end).is_some_and(|c| c.is_alphabetic()) && !unit_follows(&chars, end) {
            while end < chars.len() && chars[end].is_alphanumeric() {
                end += 1;
            }
            i = end;
            continue;
        }
        let raw: String = chars[start..end].iter().collect();
        i = end;
        if let Some(parts) = date_parts(&raw) {
            for p in parts {
                out.push(Figure {
                    raw: p.to_string(),
                    values: vec![Decimal::from(p)],
                    is_amount: false,
                });
            }
            continue;
        }
        let values: Vec<Decimal> = readings(&raw)
            .into_iter()
            .map(|v| if sign { -v } else { v })
            .collect();
        if values.is_empty() {
            continue;
        }
        let is_amount = unit_follows(&chars, end)
            || raw.contains([',', '.'])
            || raw.chars().any(is_space)
            || values.iter().any(|v| v.abs() >= Decimal::from(100));
        out.push(Figure {
            raw,
            values,
            is_amount,
        });
    }
    out
}

fn glued(c: char) -> bool {
    c.is_alphabetic() || c == '-' || c == '_'
}

fn is_space(c: char) -> bool {
    matches!(c, ' ' | '\u{a0}' | '\u{202f}')
}

/// Exactly three digits at `at`, then something else than a digit.
fn group_of_three(chars: &[char], at: usize) -> bool {
    (at..at + 3).all(|k| chars.get(k).is_some_and(char::is_ascii_digit))
        && !chars.get(at + 3).is_some_and(char::is_ascii_digit)
}

/// A currency or a percent sign right after the number (spaces allowed).
fn unit_follows(chars: &[char], mut at: usize) -> bool {
    while chars.get(at).is_some_and(|c| is_space(*c)) {
        at += 1;
    }
    let word: String = chars[at.min(chars.len())..]
        .iter()
        .take_while(|c| c.is_alphabetic() || **c == '%' || **c == '€')
        .collect::<String>()
        .to_lowercase();
    CURRENCIES.contains(&word.as_str())
}

/// `15/01/2025`, `15/01`, `2025-01-15`: the parts of a date.
fn date_parts(raw: &str) -> Option<Vec<i64>> {
    let sep = if raw.contains('/') {
        '/'
    } else if raw.contains('-') {
        '-'
    } else {
        return None;
    };
    let parts: Option<Vec<i64>> = raw.split(sep).map(|p| p.parse().ok()).collect();
    parts.filter(|p| (2..=3).contains(&p.len()))
}

/// Every sensible reading of a number written the French or the English way.
fn readings(raw: &str) -> Vec<Decimal> {
    let compact: String = raw.chars().filter(|c| !is_space(*c)).collect();
    let has_dot = compact.contains('.');
    let has_comma = compact.contains(',');
    let mut candidates: Vec<String> = Vec::new();
    match (has_dot, has_comma) {
        (false, false) => candidates.push(compact),
        (true, true) => {
            // The last separator is the decimal one: "1.234,56" or "1,234.56".
            let last = compact.rfind([',', '.']).unwrap_or(0);
            let (int, frac) = compact.split_at(last);
            let int: String = int.chars().filter(char::is_ascii_digit).collect();
            candidates.push(format!("{int}.{}", &frac[1..]));
        }
        _ => {
            let sep = if has_dot { '.' } else { ',' };
            let pieces: Vec<&str> = compact.split(sep).collect();
            let grouped = pieces.len() > 1 && pieces[1..].iter().all(|p| p.len() == 3);
            if grouped {
                candidates.push(pieces.concat());
            }
            if pieces.len() == 2 {
                candidates.push(format!("{}.{}", pieces[0], pieces[1]));
            }
        }
    }
    candidates
        .iter()
        .filter_map(|c| Decimal::from_str(c).ok())
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
        assert_eq!(values("1.200 MAD"), vec![vec![dec!(1200), dec!(1.2)]]);
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
