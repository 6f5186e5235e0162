//! Dates as French invoices print them ("15/01/2025", "15.01.25", "15 janvier 2025", "1er février
//! 2025", "15 janv. 2025", "2025-01-15") and months ("janvier 2025"), found in a line.

use chrono::NaiveDate;

use crate::text::{Line, as_digit, digit_at};

/// A date: "15/01/2025", "15-01-2025", "15.01.25", "15 janvier 2025", "1er février 2025",
/// "15 janv. 2025", "2025-01-15". `None` when the text is not one valid date.
pub fn parse_date(s: &str) -> Option<NaiveDate> {
    let line = Line::new(s);
    scan_dates(&line)
        .into_iter()
        .find(|d| {
            line.raw
                .iter()
                .enumerate()
                .all(|(i, c)| (d.start..d.end).contains(&i) || !c.is_alphanumeric())
        })
        .map(|d| d.date)
}

/// Written dates a narrow column wrapped ("Tanger, le 17 mai" / "2025", "au 30" / "avril
/// 2025"): the words that finish the date move up to its line, blanks keeping the next line's
/// positions.
pub(crate) fn rejoin_wrapped_dates(mut lines: Vec<String>) -> Vec<String> {
    let tokens = |line: &str| -> Vec<String> {
        line.split_whitespace()
            .map(|w| {
                crate::text::fold(w)
                    .trim_matches(|c: char| !c.is_alphanumeric())
                    .to_string()
            })
            .collect()
    };
    for i in 0..lines.len() {
        let Some(j) = (i + 1..lines.len().min(i + 3)).find(|&j| !lines[j].trim().is_empty()) else {
            continue;
        };
        let (here, next) = (tokens(&lines[i]), tokens(&lines[j]));
        let is_day = |w: &str| {
            matches!(w, "1er" | "ler") || w.parse::<u32>().is_ok_and(|d| (1..=31).contains(&d))
        };
        let is_year = |w: &str| w.len() == 4 && year_of(w).is_some();
        let moved = match (here.as_slice(), next.as_slice()) {
            ([.., day, month], [year, ..])
                if is_day(day) && month_of(month).is_some() && is_year(year) =>
            {
                1
            }
            ([.., before, day], [month, year, ..])
                if matches!(before.as_str(), "au" | "le" | "du")
                    && is_day(day)
                    && month_of(month).is_some()
                    && is_year(year) =>
            {
                2
            }
            _ => continue,
        };
        let next_line = lines[j].clone();
        let mut rest = next_line.trim_start();
        let mut taken = Vec::new();
        for _ in 0..moved {
            let end = rest.find(char::is_whitespace).unwrap_or(rest.len());
            taken.push(&rest[..end]);
            rest = rest[end..].trim_start();
        }
        let consumed = next_line.len() - rest.len();
        lines[i] = format!("{} {}", lines[i].trim_end(), taken.join(" "));
        lines[j] = format!(
            "{}{rest}",
            " ".repeat(next_line[..consumed].chars().count())
        );
    }
    lines
}

/// A date found in a line, with its char span.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct FoundDate {
    pub date: NaiveDate,
    pub start: usize,
    pub end: usize,
}

/// A month named without a day ("janvier 2025", or "01/2025" when `numeric`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct MonthYear {
    pub year: i32,
    pub month: u32,
    pub start: usize,
    pub end: usize,
    pub numeric: bool,
}

impl MonthYear {
    /// The first and the last day of the month.
    pub(crate) fn bounds(&self) -> Option<(NaiveDate, NaiveDate)> {
        let first = NaiveDate::from_ymd_opt(self.year, self.month, 1)?;
        let next = if self.month == 12 {
            NaiveDate::from_ymd_opt(self.year + 1, 1, 1)?
        } else {
            NaiveDate::from_ymd_opt(self.year, self.month + 1, 1)?
        };
        Some((first, next.pred_opt()?))
    }
}

/// The month a folded word names: full names, usual abbreviations, and a full name with one
/// OCR slip.
pub(crate) fn month_of(word: &str) -> Option<u32> {
    const NAMES: [(&str, &[&str]); 12] = [
        ("janvier", &["jan", "janv"]),
        ("fevrier", &["fev", "fevr", "feb"]),
        ("mars", &["mar"]),
        ("avril", &["avr"]),
        ("mai", &[]),
        ("juin", &[]),
        ("juillet", &["juil", "jul"]),
        ("aout", &["aou"]),
        ("septembre", &["sep", "sept"]),
        ("octobre", &["oct"]),
        ("novembre", &["nov"]),
        ("decembre", &["dec"]),
    ];
    let exact = NAMES
        .iter()
        .position(|(name, short)| *name == word || short.contains(&word));
    let fuzzy = || {
        (word.len() >= 5)
            .then(|| {
                NAMES
                    .iter()
                    .position(|(name, _)| name.len() >= 5 && strsim::levenshtein(name, word) <= 1)
            })
            .flatten()
    };
    exact.or_else(fuzzy).map(|i| i as u32 + 1)
}

/// Digits of a word that OCR may have slipped ("2O25"), when most of it is digits.
fn word_number(word: &str) -> Option<u32> {
    let real = word.chars().filter(char::is_ascii_digit).count();
    if real * 2 < word.len() {
        return None;
    }
    word.chars().try_fold(0u32, |n, c| {
        let (d, _) = as_digit(c.to_ascii_uppercase(), true).or_else(|| as_digit(c, true))?;
        n.checked_mul(10)?.checked_add(d)
    })
}

fn year_of(word: &str) -> Option<i32> {
    let n = word_number(word)? as i32;
    match word.len() {
        4 if (1990..=2100).contains(&n) => Some(n),
        2 => Some(2000 + n),
        _ => None,
    }
}

/// The dates of a line, numeric and written out, in order.
pub(crate) fn scan_dates(line: &Line) -> Vec<FoundDate> {
    let mut found = numeric_dates(&line.raw);
    for date in written_dates(line) {
        if !found
            .iter()
            .any(|d| d.start < date.end && date.start < d.end)
        {
            found.push(date);
        }
    }
    found.sort_by_key(|d| d.start);
    found
}

/// Reads up to `max` digits from `i`: (value, count, end).
fn read_digits(chars: &[char], mut i: usize, max: usize) -> (u32, usize, usize) {
    let (mut value, mut count) = (0, 0);
    while count < max
        && let Some((d, _)) = digit_at(chars, i)
    {
        value = value * 10 + d;
        count += 1;
        i += 1;
    }
    (value, count, i)
}

/// After a number, a date separator with at most one space on each side: the position after it.
fn separator(chars: &[char], mut i: usize) -> Option<usize> {
    if chars.get(i) == Some(&' ') {
        i += 1;
    }
    if !matches!(chars.get(i), Some('/' | '-' | '.')) {
        return None;
    }
    i += 1;
    if chars.get(i) == Some(&' ') {
        i += 1;
    }
    Some(i)
}

/// "15/01/2025", "15-01-25", "15.01.2025", "2025-01-15".
fn numeric_dates(chars: &[char]) -> Vec<FoundDate> {
    let mut out = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        let boundary = i == 0 || !chars[i - 1].is_alphanumeric();
        if !boundary || digit_at(chars, i).is_none() {
            i += 1;
            continue;
        }
        match numeric_date_at(chars, i) {
            Some(found) => {
                i = found.end;
                out.push(found);
            }
            None => {
                while i < chars.len() && chars[i].is_alphanumeric() {
                    i += 1;
                }
                i += 1;
            }
        }
    }
    out
}

fn numeric_date_at(chars: &[char], start: usize) -> Option<FoundDate> {
    let (a, a_len, end) = read_digits(chars, start, 4);
    let after_a = separator(chars, end)?;
    let (b, b_len, end) = read_digits(chars, after_a, 2);
    if b_len == 0 {
        return None;
    }
    // "30.06 2025": the second separator lost, a four-digit year after a space.
    let (after_b, spaced) = match separator(chars, end) {
        Some(after) => (after, false),
        None if chars.get(end) == Some(&' ') => (end + 1, true),
        None => return None,
    };
    let (c, c_len, end) = read_digits(chars, after_b, 4);
    if spaced && c_len != 4 {
        return None;
    }
    let continues = chars.get(end).is_some_and(|ch| ch.is_alphanumeric())
        || matches!(chars.get(end), Some('/' | '-' | '.'))
            && chars.get(end + 1).is_some_and(char::is_ascii_digit);
    if continues {
        return None;
    }
    let date = match (a_len, c_len) {
        (4, 1..=2) => NaiveDate::from_ymd_opt(a as i32, b, c),
        (1..=2, 4) if (1990..=2100).contains(&c) => NaiveDate::from_ymd_opt(c as i32, b, a),
        (1..=2, 2) => NaiveDate::from_ymd_opt(2000 + c as i32, b, a),
        _ => None,
    }?;
    Some(FoundDate { date, start, end })
}

/// "15 janvier 2025", "1er février 2025", "15 janv. 2025".
fn written_dates(line: &Line) -> Vec<FoundDate> {
    let words = &line.words;
    let mut out = Vec::new();
    for (i, w) in words.iter().enumerate() {
        let day = match w.text.as_str() {
            "1er" | "ler" | "ier" => Some(1),
            t if t.len() <= 2 => word_number(t),
            _ => None,
        };
        let Some(day) = day else { continue };
        let mut k = i + 1;
        if words.get(k).is_some_and(|x| x.text == "er") {
            k += 1;
        }
        let (Some(month_word), Some(year_word)) = (words.get(k), words.get(k + 1)) else {
            continue;
        };
        let (Some(month), Some(year)) = (month_of(&month_word.text), year_of(&year_word.text))
        else {
            continue;
        };
        if year_word.text.len() != 4 {
            continue;
        }
        if let Some(date) = NaiveDate::from_ymd_opt(year, month, day) {
            out.push(FoundDate {
                date,
                start: w.start,
                end: year_word.end,
            });
        }
    }
    out
}

/// The months named without a day: "janvier 2025" (outside the `dates` spans), and "01/2025"
/// (flagged `numeric`: only a period label makes it a month).
pub(crate) fn scan_month_years(line: &Line, dates: &[FoundDate]) -> Vec<MonthYear> {
    let inside = |s: usize, e: usize| dates.iter().any(|d| d.start < e && s < d.end);
    let mut out = Vec::new();
    for pair in line.words.windows(2) {
        let (m, y) = (&pair[0], &pair[1]);
        if let (Some(month), Some(year)) = (month_of(&m.text), year_of(&y.text))
            && y.text.len() == 4
            && !inside(m.start, y.end)
            && m.text.len() >= 3
        {
            out.push(MonthYear {
                year,
                month,
                start: m.start,
                end: y.end,
                numeric: false,
            });
        }
    }
    let chars = &line.raw;
    for i in 0..chars.len() {
        if (i > 0 && chars[i - 1].is_alphanumeric()) || inside(i, i + 1) {
            continue;
        }
        let (month, m_len, end) = read_digits(chars, i, 2);
        if m_len == 0 || !matches!(chars.get(end), Some('/' | '-' | '.')) {
            continue;
        }
        let (year, y_len, end) = read_digits(chars, end + 1, 4);
        if y_len == 4
            && (1..=12).contains(&month)
            && (1990..=2100).contains(&year)
            && !chars
                .get(end)
                .is_some_and(|c| c.is_alphanumeric() || *c == '/')
        {
            out.push(MonthYear {
                year: year as i32,
                month,
                start: i,
                end,
                numeric: true,
            });
        }
    }
    out.sort_by_key(|m| m.start);
    out
}

/// "1er", OCR's "ler", "2e", "3ème", "premier", "deuxième"…: the number.
fn ordinal(word: &str) -> Option<u32> {
    match word {
        "ler" | "ier" | "premier" | "1re" => Some(1),
        "deuxieme" | "second" => Some(2),
        "troisieme" => Some(3),
        "quatrieme" => Some(4),
        _ => word.chars().next()?.to_digit(10),
    }
}

/// The quarter named in a line ("1er trimestre 2025", "T1 2025"): its first and last day.
pub(crate) fn quarter(line: &Line) -> Option<(NaiveDate, NaiveDate)> {
    let words = &line.words;
    words.iter().enumerate().find_map(|(i, w)| {
        let q = match w.text.as_str() {
            "t1" | "t2" | "t3" | "t4" => w.text[1..].parse::<u32>().ok()?,
            "trimestre" => words
                .get(i.checked_sub(1)?)
                .and_then(|p| ordinal(&p.text))
                .filter(|q| (1..=4).contains(q))?,
            _ => return None,
        };
        let year = words.get(i + 1).and_then(|y| year_of(&y.text))?;
        let first = NaiveDate::from_ymd_opt(year, 3 * q - 2, 1)?;
        let last_month = MonthYear {
            year,
            month: 3 * q,
            start: 0,
            end: 0,
            numeric: false,
        };
        Some((first, last_month.bounds()?.1))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(y: i32, m: u32, day: u32) -> Option<NaiveDate> {
        NaiveDate::from_ymd_opt(y, m, day)
    }

    #[test]
    fn dates_in_french_and_ocr_forms() {
        let cases = [
            ("15/01/2025", d(2025, 1, 15)),
            ("15-01-2025", d(2025, 1, 15)),
            ("15.01.25", d(2025, 1, 15)),
            ("15 janvier 2025", d(2025, 1, 15)),
            ("1er février 2025", d(2025, 2, 1)),
            ("1 er fevrier 2025", d(2025, 2, 1)),
            ("15 janv. 2025", d(2025, 1, 15)),
            ("2025-01-15", d(2025, 1, 15)),
            ("5/1/2025", d(2025, 1, 5)),
            ("15 / 01 / 2025", d(2025, 1, 15)),
            ("l5/0l/2O25", d(2025, 1, 15)),
            ("31 decembre 2024.", d(2024, 12, 31)),
            ("3 Décembre 2024", d(2024, 12, 3)),
            ("28 févr 2025", d(2025, 2, 28)),
            ("12 septenbre 2025", d(2025, 9, 12)),
            ("12/13/2025", None),
            ("31/02/2025", None),
            ("1,2,3", None),
            ("abc", None),
            ("15 janvier", None),
            ("janvier 2025", None),
            ("1 245,60", None),
            ("Facture 15/01/2025", None),
            ("06.12.34.56.78", None),
            ("30.06 2025", d(2025, 6, 30)),
            ("30.06 25", None),
        ];
        for (text, expected) in cases {
            assert_eq!(parse_date(text), expected, "{text:?}");
        }
    }

    #[test]
    fn dates_wrapped_by_a_column_are_joined() {
        let lines = |t: &[&str]| rejoin_wrapped_dates(t.iter().map(|l| l.to_string()).collect());
        let joined = lines(&[
            "Facture N° 12   Tanger, le 17 mai",
            "                2025",
            "Doit",
        ]);
        assert_eq!(joined[0], "Facture N° 12   Tanger, le 17 mai 2025");
        assert_eq!(joined[1].trim(), "");
        let joined = lines(&["Période du 1er avril 2025 au 30", "  avril 2025 Agadir"]);
        assert_eq!(joined[0], "Période du 1er avril 2025 au 30 avril 2025");
        assert_eq!(joined[1].trim(), "Agadir");
        assert_eq!(
            joined[1].chars().count(),
            "  avril 2025 Agadir".chars().count()
        );
        let kept = lines(&["Total 30", "2025 lignes"]);
        assert_eq!(kept[0], "Total 30");
    }

    #[test]
    fn months_without_day_and_quarters() {
        let line = Line::new("Période : janvier 2025, facturé le 3 février 2025 (réf 02/2025)");
        let dates = scan_dates(&line);
        let months: Vec<(i32, u32, bool)> = scan_month_years(&line, &dates)
            .iter()
            .map(|m| (m.year, m.month, m.numeric))
            .collect();
        assert_eq!(months, [(2025, 1, false), (2025, 2, true)]);
        let dec = MonthYear {
            year: 2024,
            month: 12,
            start: 0,
            end: 0,
            numeric: false,
        };
        assert_eq!(dec.bounds(), d(2024, 12, 1).zip(d(2024, 12, 31)));
        let feb = MonthYear {
            year: 2024,
            month: 2,
            start: 0,
            end: 0,
            numeric: false,
        };
        assert_eq!(feb.bounds().map(|b| b.1), d(2024, 2, 29));
        let q = quarter(&Line::new("Entretien 1er trimestre 2025"));
        assert_eq!(q, d(2025, 1, 1).zip(d(2025, 3, 31)));
        let q = quarter(&Line::new("Entretien ler trimestre 2025"));
        assert_eq!(q, d(2025, 1, 1).zip(d(2025, 3, 31)));
        let q = quarter(&Line::new("Maintenance T4 2024"));
        assert_eq!(q, d(2024, 10, 1).zip(d(2024, 12, 31)));
        assert_eq!(quarter(&Line::new("trimestre 2025")), None);
    }
}
