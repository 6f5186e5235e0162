//! How an invoice writes its figures, dates and currency: the variations a parser meets on real
//! Moroccan invoices ("1 245,60", "1.245,60", "1245.60"; "15/01/2025", "15 janvier 2025"; DH,
//! DHS, MAD, dirhams), drawn once per invoice, and amounts in French words.

use chrono::{Datelike, NaiveDate};
use rust_decimal::{Decimal, RoundingStrategy};
use wakil_schema::seed::Rng;

pub(crate) const MOIS: [&str; 12] = [
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

/// How amounts are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Nombre {
    /// "1 245,60"
    Espace,
    /// "1.245,60"
    Point,
    /// "1245.60"
    Anglais,
    /// "1245,60"
    Virgule,
}

/// How dates are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Jour {
    /// "15/01/2025"
    Barre,
    /// "15 janvier 2025"
    Lettres,
    /// "15-01-2025"
    Tiret,
    /// "15.01.2025"
    Point,
}

/// One invoice's writing habits.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Style {
    pub nombre: Nombre,
    pub jour: Jour,
    /// As printed after amounts: "DH", "DHS", "MAD", "Dhs", "dirhams".
    pub devise: &'static str,
}

impl Style {
    pub(crate) fn draw(rng: &mut Rng) -> Style {
        Style {
            nombre: *rng.pick(&[
                Nombre::Espace,
                Nombre::Point,
                Nombre::Anglais,
                Nombre::Virgule,
            ]),
            jour: *rng.pick(&[
                Jour::Barre,
                Jour::Barre,
                Jour::Lettres,
                Jour::Tiret,
                Jour::Point,
            ]),
            devise: rng.pick::<&'static str>(&["DH", "DHS", "MAD", "Dhs", "dirhams", "DH"]),
        }
    }

    /// An amount with two decimals in this invoice's style.
    pub(crate) fn montant(&self, amount: Decimal) -> String {
        let text = format!("{:.2}", centimes(amount));
        let (int, frac) = text.split_once('.').unwrap_or((&text, "00"));
        match self.nombre {
            Nombre::Espace => format!("{},{frac}", grouper(int, ' ')),
            Nombre::Point => format!("{},{frac}", grouper(int, '.')),
            Nombre::Anglais => format!("{int}.{frac}"),
            Nombre::Virgule => format!("{int},{frac}"),
        }
    }

    /// An amount followed by the currency: "1 245,60 DH".
    pub(crate) fn somme(&self, amount: Decimal) -> String {
        format!("{} {}", self.montant(amount), self.devise)
    }

    /// A unit price or a quantity, with `decimals` decimals and this style's decimal mark.
    pub(crate) fn nombre(&self, value: Decimal, decimals: u32) -> String {
        let text = format!("{:.*}", decimals as usize, value);
        match self.nombre {
            Nombre::Anglais => text,
            _ => text.replace('.', ","),
        }
    }

    pub(crate) fn date(&self, d: NaiveDate) -> String {
        match self.jour {
            Jour::Barre => d.format("%d/%m/%Y").to_string(),
            Jour::Tiret => d.format("%d-%m-%Y").to_string(),
            Jour::Point => d.format("%d.%m.%Y").to_string(),
            Jour::Lettres => date_lettres(d),
        }
    }
}

/// Rounded to the centime, half away from zero (how TVA is rounded on invoices).
pub(crate) fn centimes(amount: Decimal) -> Decimal {
    amount.round_dp_with_strategy(2, RoundingStrategy::MidpointAwayFromZero)
}

/// "1er janvier 2025", "15 janvier 2025".
pub(crate) fn date_lettres(d: NaiveDate) -> String {
    let jour = match d.day() {
        1 => "1er".to_string(),
        n => n.to_string(),
    };
    format!("{jour} {} {}", MOIS[d.month0() as usize], d.year())
}

/// "janvier 2025".
pub(crate) fn mois_annee(d: NaiveDate) -> String {
    format!("{} {}", MOIS[d.month0() as usize], d.year())
}

fn grouper(digits: &str, sep: char) -> String {
    let mut grouped = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            grouped.push(sep);
        }
        grouped.push(c);
    }
    grouped
}

/// An amount in French words, as "Arrêtée la présente facture à la somme de …" writes it:
/// "deux mille quatre cent quinze dirhams et soixante centimes".
pub(crate) fn en_lettres(amount: Decimal) -> String {
    let cents = (centimes(amount) * Decimal::ONE_HUNDRED).trunc();
    let cents = u64::try_from(cents).unwrap_or(0);
    let (units, rest) = (cents / 100, cents % 100);
    let dirhams = if units > 1 { "dirhams" } else { "dirham" };
    let mut text = format!("{} {dirhams}", nombre_en_lettres(units));
    if rest > 0 {
        let c = if rest > 1 { "centimes" } else { "centime" };
        text.push_str(&format!(" et {} {c}", nombre_en_lettres(rest)));
    }
    text
}

/// 0 ≤ n < 10¹²: "quatre-vingt-dix-sept", "deux cents", "mille deux cent un".
pub(crate) fn nombre_en_lettres(n: u64) -> String {
    if n == 0 {
        return "zéro".into();
    }
    let mut parts = Vec::new();
    let milliards = n / 1_000_000_000;
    let millions = (n / 1_000_000) % 1000;
    let milliers = (n / 1000) % 1000;
    let reste = n % 1000;
    for (count, singular, plural) in [
        (milliards, "milliard", "milliards"),
        (millions, "million", "millions"),
    ] {
        if count > 0 {
            let word = if count > 1 { plural } else { singular };
            parts.push(format!("{} {word}", centaines(count, false)));
        }
    }
    match milliers {
        0 => {}
        1 => parts.push("mille".into()),
        m => parts.push(format!("{} mille", centaines(m, true))),
    }
    if reste > 0 {
        parts.push(centaines(reste, false));
    }
    parts.join(" ")
}

/// 1 ≤ n < 1000. `before_mille`: "deux cent mille" and "quatre-vingt mille" take no plural s.
fn centaines(n: u64, before_mille: bool) -> String {
    let (c, r) = (n / 100, n % 100);
    let mut text = match c {
        0 => String::new(),
        1 => "cent".into(),
        c if r == 0 && !before_mille => format!("{} cents", UNITES[c as usize]),
        c => format!("{} cent", UNITES[c as usize]),
    };
    if r > 0 {
        if !text.is_empty() {
            text.push(' ');
        }
        text.push_str(&dizaines(r, before_mille));
    }
    text
}

const UNITES: [&str; 17] = [
    "", "un", "deux", "trois", "quatre", "cinq", "six", "sept", "huit", "neuf", "dix", "onze",
    "douze", "treize", "quatorze", "quinze", "seize",
];

/// 1 ≤ n < 100.
fn dizaines(n: u64, before_mille: bool) -> String {
    const DIZAINES: [&str; 7] = [
        "",
        "",
        "vingt",
        "trente",
        "quarante",
        "cinquante",
        "soixante",
    ];
    let (d, u) = (n / 10, n % 10);
    match n {
        0..=16 => UNITES[n as usize].into(),
        17..=19 => format!("dix-{}", UNITES[u as usize]),
        20..=69 => match u {
            0 => DIZAINES[d as usize].into(),
            1 => format!("{} et un", DIZAINES[d as usize]),
            _ => format!("{}-{}", DIZAINES[d as usize], UNITES[u as usize]),
        },
        70..=79 => match n {
            71 => "soixante et onze".into(),
            _ => format!("soixante-{}", dizaines(n - 60, false)),
        },
        80 if before_mille => "quatre-vingt".into(),
        80 => "quatre-vingts".into(),
        _ => format!("quatre-vingt-{}", dizaines(n - 80, false)),
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;
    use std::str::FromStr;

    fn style(nombre: Nombre, jour: Jour) -> Style {
        Style {
            nombre,
            jour,
            devise: "DH",
        }
    }

    #[test]
    fn amounts_and_dates_in_each_style() {
        let a = Decimal::from_str("1245.6").unwrap();
        let d = NaiveDate::from_ymd_opt(2025, 1, 15).unwrap();
        assert_eq!(style(Nombre::Espace, Jour::Barre).montant(a), "1 245,60");
        assert_eq!(style(Nombre::Point, Jour::Barre).montant(a), "1.245,60");
        assert_eq!(style(Nombre::Anglais, Jour::Barre).montant(a), "1245.60");
        assert_eq!(style(Nombre::Virgule, Jour::Barre).montant(a), "1245,60");
        let big = Decimal::from_str("1234567.005").unwrap();
        assert_eq!(
            style(Nombre::Point, Jour::Barre).montant(big),
            "1.234.567,01"
        );
        assert_eq!(style(Nombre::Espace, Jour::Barre).date(d), "15/01/2025");
        assert_eq!(
            style(Nombre::Espace, Jour::Lettres).date(d),
            "15 janvier 2025"
        );
        assert_eq!(style(Nombre::Espace, Jour::Tiret).date(d), "15-01-2025");
        assert_eq!(
            date_lettres(NaiveDate::from_ymd_opt(2025, 3, 1).unwrap()),
            "1er mars 2025"
        );
    }

    #[test]
    fn amounts_in_words_follow_french_rules() {
        let cases = [
            (1, "un"),
            (21, "vingt et un"),
            (71, "soixante et onze"),
            (80, "quatre-vingts"),
            (91, "quatre-vingt-onze"),
            (200, "deux cents"),
            (201, "deux cent un"),
            (1000, "mille"),
            (80_000, "quatre-vingt mille"),
            (200_000, "deux cent mille"),
            (2415, "deux mille quatre cent quinze"),
            (1_250_000, "un million deux cent cinquante mille"),
        ];
        for (n, words) in cases {
            assert_eq!(nombre_en_lettres(n), words, "{n}");
        }
        assert_eq!(
            en_lettres(Decimal::from_str("2415.60").unwrap()),
            "deux mille quatre cent quinze dirhams et soixante centimes"
        );
        assert_eq!(en_lettres(Decimal::from_str("1").unwrap()), "un dirham");
    }
}
