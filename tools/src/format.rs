//! French presentation of tool outputs: amounts "12 345,60", dates "15/01/2025", and tables that
//! every channel renders in its own idiom (the CLI prints them as text).

use chrono::{Datelike, NaiveDate, NaiveTime, Timelike};
use rust_decimal::{Decimal, RoundingStrategy};
use serde::Serialize;

/// Non-breaking space: the French thousands separator that never wraps.
const NBSP: char = '\u{a0}';

/// "12 345,60": two decimals, French separators.
pub fn montant(amount: Decimal) -> String {
    let rounded = amount.round_dp_with_strategy(2, RoundingStrategy::MidpointAwayFromZero);
    let negative = rounded.is_sign_negative() && !rounded.is_zero();
    let text = format!("{:.2}", rounded.abs());
    let (int, frac) = text.split_once('.').unwrap_or((&text, "00"));
    format!("{}{},{frac}", if negative { "-" } else { "" }, grouper(int))
}

/// Digits grouped by three: "1234567" → "1 234 567".
fn grouper(digits: &str) -> String {
    let mut grouped = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            grouped.push(NBSP);
        }
        grouped.push(c);
    }
    grouped
}

/// "12 345,60 MAD".
pub fn mad(amount: Decimal) -> String {
    format!("{}{NBSP}MAD", montant(amount))
}

/// "15/01/2025".
pub fn date(d: NaiveDate) -> String {
    d.format("%d/%m/%Y").to_string()
}

/// "samedi 14 juin 2025".
pub fn date_longue(d: NaiveDate) -> String {
    const JOURS: [&str; 7] = [
        "lundi", "mardi", "mercredi", "jeudi", "vendredi", "samedi", "dimanche",
    ];
    const MOIS: [&str; 12] = [
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
    let jour = JOURS[d.weekday().num_days_from_monday() as usize];
    let mois = MOIS[d.month0() as usize];
    let quantieme = match d.day() {
        1 => "1er".to_string(),
        n => n.to_string(),
    };
    format!("{jour} {quantieme} {mois} {}", d.year())
}

/// "18 h 30".
pub fn heure(t: NaiveTime) -> String {
    format!("{}{NBSP}h{NBSP}{:02}", t.hour(), t.minute())
}

/// A count or a number of tantièmes: "1 000", "612".
pub fn entier(n: i64) -> String {
    format!(
        "{}{}",
        if n < 0 { "-" } else { "" },
        grouper(&n.unsigned_abs().to_string())
    )
}

/// "87,5 %".
pub fn pourcentage(p: Decimal) -> String {
    format!(
        "{}{NBSP}%",
        p.round_dp_with_strategy(1, RoundingStrategy::MidpointAwayFromZero)
            .to_string()
            .replace('.', ",")
    )
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Align {
    Left,
    Right,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Column {
    pub label: String,
    pub align: Align,
}

/// A table of already formatted cells; amounts are right-aligned.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Table {
    pub title: String,
    pub columns: Vec<Column>,
    pub rows: Vec<Vec<String>>,
    /// A totals row, when the table has one.
    pub footer: Option<Vec<String>>,
}

impl Table {
    /// Columns from `(label, align)` pairs.
    pub fn new(title: impl Into<String>, columns: &[(&str, Align)]) -> Self {
        Table {
            title: title.into(),
            columns: columns
                .iter()
                .map(|(label, align)| Column {
                    label: (*label).to_string(),
                    align: *align,
                })
                .collect(),
            rows: Vec::new(),
            footer: None,
        }
    }

    pub fn row(&mut self, cells: Vec<String>) {
        self.rows.push(cells);
    }

    /// The table as aligned plain text, for terminals and logs.
    pub fn to_text(&self) -> String {
        let width = |s: &str| s.chars().count();
        let mut widths: Vec<usize> = self.columns.iter().map(|c| width(&c.label)).collect();
        for row in self.rows.iter().chain(self.footer.iter()) {
            for (i, cell) in row.iter().enumerate().take(widths.len()) {
                widths[i] = widths[i].max(width(cell));
            }
        }
        let line = |cells: &mut dyn Iterator<Item = &str>| -> String {
            cells
                .zip(&self.columns)
                .zip(&widths)
                .map(|((cell, col), w)| {
                    let pad = " ".repeat(w.saturating_sub(width(cell)));
                    match col.align {
                        Align::Left => format!("{cell}{pad}"),
                        Align::Right => format!("{pad}{cell}"),
                    }
                })
                .collect::<Vec<_>>()
                .join("  ")
                .trim_end()
                .to_string()
        };
        let rule = widths
            .iter()
            .map(|w| "─".repeat(*w))
            .collect::<Vec<_>>()
            .join("  ");
        let mut out = vec![
            self.title.clone(),
            line(&mut self.columns.iter().map(|c| c.label.as_str())),
            rule.clone(),
        ];
        out.extend(
            self.rows
                .iter()
                .map(|r| line(&mut r.iter().map(String::as_str))),
        );
        if let Some(footer) = &self.footer {
            out.push(rule);
            out.push(line(&mut footer.iter().map(String::as_str)));
        }
        out.join("\n")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rust_decimal_macros::dec;

    #[test]
    fn amounts_use_french_separators() {
        assert_eq!(montant(dec!(1234567.5)), "1\u{a0}234\u{a0}567,50");
        assert_eq!(montant(dec!(0)), "0,00");
        assert_eq!(montant(dec!(-950.255)), "-950,26");
        assert_eq!(montant(dec!(999)), "999,00");
        assert_eq!(mad(dec!(1200.5)), "1\u{a0}200,50\u{a0}MAD");
        assert_eq!(pourcentage(dec!(87.54)), "87,5\u{a0}%");
    }

    #[test]
    fn counts_dates_and_times_in_french() {
        assert_eq!(entier(1000), "1\u{a0}000");
        assert_eq!(entier(612), "612");
        assert_eq!(entier(-1234567), "-1\u{a0}234\u{a0}567");
        let d = NaiveDate::from_ymd_opt(2025, 6, 14).unwrap();
        assert_eq!(date_longue(d), "samedi 14 juin 2025");
        let d = NaiveDate::from_ymd_opt(2026, 12, 1).unwrap();
        assert_eq!(date_longue(d), "mardi 1er décembre 2026");
        let t = NaiveTime::from_hms_opt(9, 5, 0).unwrap();
        assert_eq!(heure(t), "9\u{a0}h\u{a0}05");
    }

    #[test]
    fn text_tables_align_amounts_right() {
        let mut t = Table::new(
            "Impayés",
            &[("Lot", Align::Left), ("Montant", Align::Right)],
        );
        t.row(vec!["A1".into(), "5,00".into()]);
        t.row(vec!["B12".into(), "1\u{a0}200,00".into()]);
        t.footer = Some(vec!["Total".into(), "1\u{a0}205,00".into()]);
        let text = t.to_text();
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines[3], "A1         5,00");
        assert_eq!(lines[4], "B12    1\u{a0}200,00");
        assert_eq!(lines[6], "Total  1\u{a0}205,00");
    }
}
