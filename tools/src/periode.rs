//! The period of an appel de fonds: read from a label as people write it ("T1 2027",
//! "1er trimestre 2027", "S2 2026", "janvier 2027", "2027"), named back the same way, and counted
//! in whole months (to prorate a yearly budget).

use chrono::{Datelike, Months, NaiveDate};
use wakil_schema::fold::fold;

/// A period: first and last day, both included.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Periode {
    pub debut: NaiveDate,
    pub fin: NaiveDate,
}

const MOIS: [&str; 12] = [
    "janvier",
    "fevrier",
    "mars",
    "avril",
    "mai",
    "juin",
    "juillet",
    "aout",
    "septembre",
    "octobre",
    "novembre",
    "decembre",
];

impl Periode {
    /// `months` whole months from the first day of `(year, month)`.
    fn months(year: i32, month: u32, months: u32) -> Option<Periode> {
        let debut = NaiveDate::from_ymd_opt(year, month, 1)?;
        let fin = debut.checked_add_months(Months::new(months))?.pred_opt()?;
        Some(Periode { debut, fin })
    }

    /// Reads a label: a quarter ("T1 2027", "Q1 2027", "1er trimestre 2027", "trimestre 1
    /// 2027"), a half-year ("S2 2026", "2e semestre 2026"), a month ("janvier 2027") or a year
    /// ("2027", "exercice 2027"). `None` when it is none of these, or names two of them.
    pub fn parse(text: &str) -> Option<Periode> {
        let folded = fold(text);
        let words: Vec<&str> = folded
            .split(|c: char| !c.is_alphanumeric())
            .filter(|w| !w.is_empty())
            .collect();
        let mut year = None;
        let mut found: Vec<(u32, u32)> = Vec::new(); // (first month, months)
        for (i, w) in words.iter().enumerate() {
            if let Ok(y) = w.parse::<i32>()
                && (2000..=2100).contains(&y)
            {
                if year.replace(y).is_some_and(|before| before != y) {
                    return None;
                }
                continue;
            }
            let rank = |len: u32, max: u32| -> Option<u32> {
                let before = i.checked_sub(1).and_then(|j| words.get(j));
                let n = before
                    .and_then(|b| ordinal(b))
                    .or_else(|| words.get(i + 1).and_then(|a| a.parse::<u32>().ok()))?;
                (1..=max).contains(&n).then_some((n - 1) * len + 1)
            };
            let part = match *w {
                "trimestre" => Some((rank(3, 4)?, 3)),
                "semestre" => Some((rank(6, 2)?, 6)),
                _ => prefixed(w, &["t", "q"], 4)
                    .map(|n| ((n - 1) * 3 + 1, 3))
                    .or_else(|| prefixed(w, &["s"], 2).map(|n| ((n - 1) * 6 + 1, 6)))
                    .or_else(|| month(w).map(|m| (m, 1))),
            };
            // "T5", "S3": a quarter or half-year that does not exist; "jui": which month?
            if part.is_none() && (is_marker(w) || months_starting(w).len() > 1) {
                return None;
            }
            if let Some(p) = part
                && !found.contains(&p)
            {
                found.push(p);
            }
        }
        let year = year?;
        match found.as_slice() {
            [] => Periode::months(year, 1, 12),
            [(month, months)] => Periode::months(year, *month, *months),
            _ => None,
        }
    }

    /// "T1 2027", "S2 2026", "janvier 2027", "2027", else "du 01/02/2027 au 15/03/2027".
    pub fn libelle(&self) -> String {
        let (y, m) = (self.debut.year(), self.debut.month());
        match self.mois_entiers() {
            Some(12) if m == 1 => y.to_string(),
            Some(6) if m == 1 || m == 7 => format!("S{} {y}", m / 6 + 1),
            Some(3) if m % 3 == 1 => format!("T{} {y}", m / 3 + 1),
            Some(1) => format!("{} {y}", MOIS_AFFICHES[(m - 1) as usize]),
            _ => format!(
                "du {} au {}",
                crate::format::date(self.debut),
                crate::format::date(self.fin)
            ),
        }
    }

    /// The number of months when the period is made of whole months (from a first day to a
    /// last day), else `None`.
    pub fn mois_entiers(&self) -> Option<u32> {
        if self.debut.day() != 1 || self.fin.succ_opt()?.day() != 1 || self.fin < self.debut {
            return None;
        }
        let months = (self.fin.year() - self.debut.year()) * 12 + self.fin.month() as i32
            - self.debut.month() as i32
            + 1;
        u32::try_from(months).ok()
    }
}

const MOIS_AFFICHES: [&str; 12] = [
    "janvier",
    "février",
    "mars",
    "avril",
    "mai",
    "juin",
    "juillet",
    "août",
    "septembre",
    "octobre",
    "novembre",
    "décembre",
];

/// "1", "1er", "premier", "2e", "deuxieme", "second"… (folded) as a number.
fn ordinal(word: &str) -> Option<u32> {
    let named = [
        ("premier", 1),
        ("premiere", 1),
        ("deuxieme", 2),
        ("second", 2),
        ("seconde", 2),
        ("troisieme", 3),
        ("quatrieme", 4),
    ];
    if let Some((_, n)) = named.iter().find(|(w, _)| *w == word) {
        return Some(*n);
    }
    let digits: String = word.chars().take_while(char::is_ascii_digit).collect();
    let suffix = &word[digits.len()..];
    if matches!(suffix, "" | "er" | "ere" | "e" | "eme" | "nd" | "nde") {
        digits.parse().ok()
    } else {
        None
    }
}

/// "t1", "q3", "s2": a letter of `prefixes` then a number in `1..=max`.
fn prefixed(word: &str, prefixes: &[&str], max: u32) -> Option<u32> {
    let n: u32 = prefixes
        .iter()
        .find_map(|p| word.strip_prefix(p))?
        .parse()
        .ok()?;
    (1..=max).contains(&n).then_some(n)
}

/// "t5", "q0", "s3": shaped like a quarter or a half-year.
fn is_marker(word: &str) -> bool {
    let mut chars = word.chars();
    matches!(chars.next(), Some('t' | 'q' | 's'))
        && chars.clone().next().is_some()
        && chars.all(|c| c.is_ascii_digit())
}

/// "janvier", "janv", "fevrier", "aout"… (folded) as a month number: the whole name, or the
/// start of one name only (three letters at least).
fn month(word: &str) -> Option<u32> {
    match months_starting(word).as_slice() {
        [one] => Some(*one),
        _ => None,
    }
}

/// The months whose (folded) name is `word` or starts with it (three letters at least).
fn months_starting(word: &str) -> Vec<u32> {
    if let Some(i) = MOIS.iter().position(|m| *m == word) {
        return vec![i as u32 + 1];
    }
    (1..)
        .zip(MOIS)
        .filter(|(_, m)| word.len() >= 3 && m.starts_with(word))
        .map(|(i, _)| i)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).unwrap()
    }

    #[test]
    fn labels_people_write_are_read() {
        let q1 = Some(Periode {
            debut: d(2027, 1, 1),
            fin: d(2027, 3, 31),
        });
        for text in [
            "T1 2027",
            "t1-2027",
            "Q1 2027",
            "1er trimestre 2027",
            "premier trimestre 2027",
            "trimestre 1 2027",
            "Appel du 1er trimestre de l'exercice 2027",
        ] {
            assert_eq!(Periode::parse(text), q1, "{text}");
        }
        assert_eq!(
            Periode::parse("4e trimestre 2026").unwrap(),
            Periode {
                debut: d(2026, 10, 1),
                fin: d(2026, 12, 31)
            }
        );
        assert_eq!(
            Periode::parse("2ème semestre 2026").unwrap(),
            Periode {
                debut: d(2026, 7, 1),
                fin: d(2026, 12, 31)
            }
        );
        assert_eq!(Periode::parse("S1 2027").unwrap().fin, d(2027, 6, 30), "S1");
        assert_eq!(
            Periode::parse("février 2028").unwrap(),
            Periode {
                debut: d(2028, 2, 1),
                fin: d(2028, 2, 29)
            }
        );
        assert_eq!(Periode::parse("juil. 2027").unwrap().fin, d(2027, 7, 31));
        assert_eq!(
            Periode::parse("exercice 2027").unwrap(),
            Periode {
                debut: d(2027, 1, 1),
                fin: d(2027, 12, 31)
            }
        );
    }

    #[test]
    fn unreadable_or_contradictory_labels_are_refused() {
        for text in [
            "",
            "T1",
            "premier trimestre",
            "T5 2027",
            "S3 2027",
            "3e semestre 2027",
            "T1 2027 T2 2027",
            "janvier 2027 T1",
            "2026 2027",
            "trimestre 2027",
            "jui 2027",
            "bientôt",
        ] {
            assert_eq!(Periode::parse(text), None, "{text}");
        }
    }

    #[test]
    fn periods_are_named_back_and_counted_in_months() {
        let p = |a: NaiveDate, b: NaiveDate| Periode { debut: a, fin: b };
        assert_eq!(p(d(2027, 1, 1), d(2027, 3, 31)).libelle(), "T1 2027");
        assert_eq!(p(d(2026, 10, 1), d(2026, 12, 31)).libelle(), "T4 2026");
        assert_eq!(p(d(2027, 7, 1), d(2027, 12, 31)).libelle(), "S2 2027");
        assert_eq!(p(d(2027, 1, 1), d(2027, 12, 31)).libelle(), "2027");
        assert_eq!(p(d(2027, 8, 1), d(2027, 8, 31)).libelle(), "août 2027");
        assert_eq!(
            p(d(2027, 2, 1), d(2027, 4, 30)).libelle(),
            "du 01/02/2027 au 30/04/2027"
        );
        assert_eq!(
            p(d(2027, 1, 15), d(2027, 3, 31)).libelle(),
            "du 15/01/2027 au 31/03/2027"
        );
        assert_eq!(p(d(2027, 1, 1), d(2027, 3, 31)).mois_entiers(), Some(3));
        assert_eq!(p(d(2026, 11, 1), d(2027, 2, 28)).mois_entiers(), Some(4));
        assert_eq!(p(d(2027, 1, 1), d(2027, 3, 30)).mois_entiers(), None);
        assert_eq!(p(d(2027, 1, 2), d(2027, 3, 31)).mois_entiers(), None);
    }
}
