//! Entities that need no database: amounts ("1 200,50 DH", "2000dh", "3k"), minimum amounts and
//! delays ("plus de 1000 DH", "plus de 3 mois"), years ("2025", "l'an dernier"), dates ("le
//! 12/11", "hier"), payment modes, bank references ("réf VIR-889", "chèque n° 4512") and lots
//! ("lot A12", "appt 12", "3B").

use super::lexicon::classify;
use super::normalize::Token;
use crate::ground::{CURRENCY, THOUSANDS};
use chrono::{Datelike, Duration, NaiveDate};
use rust_decimal::Decimal;
use rust_decimal::prelude::ToPrimitive;
use std::str::FromStr;
use wakil_schema::ModePaiement;
use wakil_schema::fold::lot_key;

/// An amount of money found in the message.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Amount {
    pub value: Decimal,
    /// Preceded by "plus de", "au moins", ">"…
    pub min: bool,
    /// Written with a currency ("DH", "MAD", "k").
    pub currency: bool,
}

#[derive(Clone, Debug, Default, PartialEq)]
pub(crate) struct Entities {
    pub amounts: Vec<Amount>,
    /// Numbers with no unit that are not years: an amount for a payment ("a payé 2000").
    pub numbers: Vec<Decimal>,
    pub years: Vec<i32>,
    /// A delay in days ("90 jours", "3 mois").
    pub days: Vec<i32>,
    pub dates: Vec<NaiveDate>,
    pub modes: Vec<ModePaiement>,
    pub references: Vec<String>,
    /// Lot keys ("A12").
    pub lots: Vec<String>,
    /// Periods: a month ("octobre 2026": both ends) or a start ("depuis janvier", "since
    /// 1 September": no end).
    pub periods: Vec<Period>,
}

#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) struct Period {
    pub du: NaiveDate,
    pub au: Option<NaiveDate>,
}

const LOT_CUES: &[&str] = &[
    "lot",
    "lots",
    "appartement",
    "appart",
    "appt",
    "app",
    "apt",
    "apartment",
    "flat",
    "villa",
    "magasin",
    "local",
    "parking",
    "unit",
    "unite",
    "shop",
    "boutique",
    "store",
    "studio",
    "duplex",
    "شقه",
    "الشقه",
];
/// A lot word, also with an Arabic preposition glued to it ("للشقة", "فالشقة", "بالشقة").
fn lot_cue(w: &str) -> bool {
    LOT_CUES.contains(&w)
        || ["لل", "ل", "ب", "ف", "و"]
            .iter()
            .filter_map(|p| w.strip_prefix(p))
            .any(|rest| {
                LOT_CUES.contains(&rest) || LOT_CUES.contains(&format!("ال{rest}").as_str())
            })
}

/// Banks named next to a cheque or a transfer ("chèque BMCE", "virement CIH"): they change
/// nothing in the payment.
const BANKS: &[&str] = &[
    "bmce",
    "boa",
    "cih",
    "bmci",
    "sgmb",
    "sg",
    "awb",
    "attijari",
    "attijariwafa",
    "wafa",
    "bp",
    "bcp",
    "populaire",
    "cam",
    "cdm",
    "cfg",
    "barid",
    "albarid",
    "chaabi",
    "cdg",
];

const NUMBER_CUES: &[&str] = &["n", "no", "num", "numero", "nº", "n°", "رقم"];
const REF_CUES: &[&str] = &["ref", "reference", "refs", "référence"];
const MIN_CUES: &[&str] = &[
    "plus",
    "+",
    ">",
    "more",
    "over",
    "above",
    "least",
    "moins",
    "superieur",
    "superieure",
    "superieurs",
    "depasse",
    "depassant",
    "ktar",
    "kter",
    "aktar",
    "akthar",
    "ktr",
    "اكثر",
    "باكثر",
    "فوق",
    "depuis",
    "since",
    "minimum",
    "min",
    // "au-dessus de", "au-delà de", "older than", "greater than".
    "dessus",
    "dela",
    "older",
    "greater",
    "exceeding",
    "beyond",
];
/// Small words between a minimum cue and its number ("plus DE", "more THAN", "au moins").
const MIN_LINKS: &[&str] = &["de", "d", "a", "than", "mn", "men", "من", "au", "que", "of"];
const DAY_UNITS: &[&str] = &[
    "jours", "jour", "j", "jrs", "days", "day", "يوم", "يوما", "ايام", "nhar", "iyam", "yam",
    "yom", "youm", "ywm", "ayam", "iyyam",
];
const MONTH_UNITS: &[&str] = &[
    "mois", "month", "months", "chhar", "chhor", "chhour", "chhr", "شهر", "اشهر", "شهور",
];
const YEAR_UNITS: &[&str] = &[
    "an",
    "ans",
    "annee",
    "annees",
    "year",
    "years",
    "3am",
    "عام",
    "سنه",
    "سنوات",
];
const NUMBER_WORDS: &[(&str, i32)] = &[
    ("un", 1),
    ("une", 1),
    ("one", 1),
    ("wahed", 1),
    ("deux", 2),
    ("two", 2),
    ("jouj", 2),
    ("trois", 3),
    ("three", 3),
    ("tlata", 3),
    ("quatre", 4),
    ("four", 4),
    ("six", 6),
];
const YEAR_WORDS: &[&str] = &[
    "an",
    "annee",
    "year",
    "l3am",
    "3am",
    "lam",
    "العام",
    "عام",
    "السنه",
    "سنه",
    "exercice",
];
const PAST: &[&str] = &[
    "dernier",
    "derniere",
    "passe",
    "passee",
    "precedent",
    "precedente",
    "fat",
    "fayt",
    "lfayt",
    "lfat",
    "dez",
    "ldez",
    "madi",
    "lmadi",
    "الماضي",
    "الماضيه",
    "فات",
];
const THIS: &[&str] = &[
    "cette", "cet", "this", "had", "hadi", "hed", "هاد", "هذا", "هذه", "هذي", "current",
];
/// Weeks and months, in days, for "la semaine dernière", "last month".
const WEEK_MONTH: &[(&str, i64)] = &[
    ("semaine", 7),
    ("week", 7),
    ("simana", 7),
    ("smana", 7),
    ("سيمانه", 7),
    ("الاسبوع", 7),
    ("اسبوع", 7),
    ("mois", 30),
    ("month", 30),
    ("chhar", 30),
    ("chher", 30),
    ("الشهر", 30),
    ("شهر", 30),
];
/// Words before a start date: "depuis", "since", "à partir du", "from".
const SINCE: &[&str] = &[
    "depuis", "since", "from", "partir", "mn", "men", "منذ", "من",
];
/// Words after which a month name is a period ("en octobre", "in October", "d'octobre").
const MONTH_LEADS: &[&str] = &[
    "en", "in", "d", "de", "of", "f", "fi", "du", "pour", "for", "mois", "في", "ف",
];
const MONTHS: &[(&str, u32)] = &[
    ("janvier", 1),
    ("janv", 1),
    ("january", 1),
    ("fevrier", 2),
    ("fev", 2),
    ("february", 2),
    ("mars", 3),
    ("march", 3),
    ("avril", 4),
    ("april", 4),
    ("mai", 5),
    ("may", 5),
    ("juin", 6),
    ("june", 6),
    ("juillet", 7),
    ("july", 7),
    ("aout", 8),
    ("august", 8),
    ("septembre", 9),
    ("sept", 9),
    ("september", 9),
    ("octobre", 10),
    ("oct", 10),
    ("october", 10),
    ("novembre", 11),
    ("nov", 11),
    ("november", 11),
    ("decembre", 12),
    ("dec", 12),
    ("december", 12),
];

/// The payment mode a word names, if any.
pub(crate) fn mode(word: &str) -> Option<ModePaiement> {
    // With an Arabic article or preposition: "الفيرمو", "بالشيك".
    std::iter::once(word)
        .chain(
            ["بال", "ال", "ب"]
                .iter()
                .filter_map(|p| word.strip_prefix(p)),
        )
        .find_map(mode_word)
}

fn mode_word(word: &str) -> Option<ModePaiement> {
    Some(match word {
        "virement" | "virements" | "lvirement" | "vir" | "virment" | "transfert" | "transfer"
        | "wire" | "فيرمو" | "تحويل" => ModePaiement::Virement,
        "cheque" | "cheques" | "lcheque" | "chq" | "chek" | "cheq" | "check" | "chik" | "شيك"
        | "الشيك" | "بشيك" => ModePaiement::Cheque,
        "especes" | "espece" | "cash" | "liquide" | "liquides" | "kach" | "lkach" | "كاش"
        | "نقدا" | "cach" => ModePaiement::Especes,
        "terminal" | "tpe" | "carte" | "card" | "بطاقه" | "lcarte" => ModePaiement::Terminal,
        _ => return None,
    })
}

/// A number as written: "1200", "1.200", "1,200.50", "3400,85", with an optional letter suffix
/// ("2000dh", "3k", "90j"). Returns the value and the suffix.
pub(crate) fn number(text: &str) -> Option<(Decimal, &str)> {
    let split = text
        .find(|c: char| !(c.is_ascii_digit() || c == '.' || c == ','))
        .unwrap_or(text.len());
    let (num, suffix) = text.split_at(split);
    if !suffix.chars().all(char::is_alphabetic)
        || !num.starts_with(|c: char| c.is_ascii_digit())
        || !num.ends_with(|c: char| c.is_ascii_digit())
    {
        return None;
    }
    let last_sep = num.rfind(['.', ',']);
    let plain: String = match last_sep {
        None => num.to_string(),
        Some(pos) => {
            let decimals = num.len() - pos - 1;
            let (int, frac) = num.split_at(pos);
            let int: String = int.chars().filter(char::is_ascii_digit).collect();
            let both = num.contains('.') && num.contains(',');
            if both || decimals <= 2 {
                format!("{int}.{}", &frac[1..])
            } else if decimals == 3 {
                // "1.200", "1,200", "1 200 000": thousands.
                format!("{int}{}", &frac[1..])
            } else {
                return None;
            }
        }
    };
    Decimal::from_str(&plain).ok().map(|d| (d, suffix))
}

enum Unit {
    Money,
    Thousand,
    Days(i32),
}

fn unit(word: &str) -> Option<Unit> {
    if CURRENCY.contains(&word) {
        Some(Unit::Money)
    } else if THOUSANDS.contains(&word) {
        Some(Unit::Thousand)
    } else if DAY_UNITS.contains(&word) {
        Some(Unit::Days(1))
    } else if MONTH_UNITS.contains(&word) {
        Some(Unit::Days(30))
    } else if YEAR_UNITS.contains(&word) {
        Some(Unit::Days(365))
    } else {
        None
    }
}

/// A lot number typed bare: "A12", "B44", "3B", "P06" (not "2000dh", "90j", "m3a").
fn bare_lot(token: &Token) -> bool {
    let raw = token.raw.replace('-', "");
    let letters_first = raw.chars().take_while(char::is_ascii_alphabetic).count();
    let digits = raw[letters_first..]
        .chars()
        .take_while(char::is_ascii_digit)
        .count();
    let tail = &raw[letters_first + digits..];
    if digits == 0 || digits > 4 || !tail.chars().all(|c| c.is_ascii_alphabetic()) {
        return false;
    }
    match (letters_first, tail.len()) {
        (1..=2, 0..=1) => true,
        // "3B": the letter must be a capital or a lone letter that is no unit.
        (0, 1) => {
            digits <= 3
                && tail.chars().all(|c| c.is_ascii_uppercase())
                && unit(&tail.to_lowercase()).is_none()
        }
        _ => false,
    }
}

/// Finds the entities of the message and marks their tokens as used.
pub(crate) fn extract(tokens: &[Token], today: NaiveDate, used: &mut [bool]) -> Entities {
    let mut e = Entities::default();
    let norm = |i: usize| tokens.get(i).map_or("", |t| t.norm.as_str());
    let mut i = 0;
    while i < tokens.len() {
        let t = &tokens[i];
        let w = t.norm.as_str();
        if used[i] {
            i += 1;
            continue;
        }
        // "lot A12", "appartement n° 12", "شقة 12".
        if lot_cue(w) {
            let mut j = i + 1;
            while NUMBER_CUES.contains(&norm(j)) {
                j += 1;
            }
            if let Some(n) = tokens.get(j).filter(|n| n.has_digit() && n.raw.len() <= 6) {
                e.lots.push(lot_key(&n.raw));
                used[i..=j].iter_mut().for_each(|u| *u = true);
                i = j + 1;
                continue;
            }
        }
        // "réf VIR-889", "n° 4512".
        if (REF_CUES.contains(&w) || NUMBER_CUES.contains(&w))
            && let Some(n) = tokens.get(i + 1).filter(|n| n.has_digit())
        {
            e.references.push(n.raw.clone());
            used[i] = true;
            used[i + 1] = true;
            i += 2;
            continue;
        }
        if let Some((p, end)) = period(tokens, i, today) {
            e.periods.push(p);
            used[i..end].iter_mut().for_each(|u| *u = true);
            i = end;
            continue;
        }
        if let Some(m) = mode(w) {
            e.modes.push(m);
            used[i] = true;
            // "chèque BMCE", "virement Attijari Wafa".
            while tokens
                .get(i + 1)
                .is_some_and(|n| BANKS.contains(&n.norm.as_str()))
            {
                i += 1;
                used[i] = true;
            }
            // "chèque 4512": the cheque's number (not an amount: no currency follows).
            if m == ModePaiement::Cheque
                && let Some(n) = tokens.get(i + 1)
                && n.norm.len() >= 3
                && n.norm.chars().all(|c| c.is_ascii_digit())
                && unit(norm(i + 2)).is_none()
            {
                e.references.push(n.raw.clone());
                used[i + 1] = true;
                i += 2;
                continue;
            }
        } else if let Some(d) = date_token(w, today) {
            e.dates.push(d);
            used[i] = true;
        } else if let Some(d) = relative_day(tokens, i, today, used) {
            e.dates.push(d);
        } else if let Some(y) = relative_year(tokens, i, today, used) {
            e.years.push(y);
        } else if let Some(n) = NUMBER_WORDS.iter().find(|(k, _)| *k == w).map(|(_, n)| *n)
            && let Some(Unit::Days(per)) = unit(norm(i + 1))
        {
            e.days.push(n * per);
            min_cue(tokens, i, used);
            used[i] = true;
            used[i + 1] = true;
            i += 2;
            continue;
        } else if t.has_digit() && !bare_lot(t) {
            i = number_at(tokens, i, today, used, &mut e);
            continue;
        }
        i += 1;
    }
    // Bare lot numbers and references, once every other entity is placed.
    for (i, t) in tokens.iter().enumerate() {
        if used[i] || !t.has_digit() {
            continue;
        }
        if bare_lot(t) && classify(t).is_none() {
            e.lots.push(lot_key(&t.raw));
            used[i] = true;
        } else if t.raw.contains('-')
            && t.raw.chars().filter(char::is_ascii_alphabetic).count() >= 2
        {
            e.references.push(t.raw.clone());
            used[i] = true;
        }
    }
    e
}

/// A number at `i` (with the 3-digit groups that follow it and its unit); returns the next index.
fn number_at(
    tokens: &[Token],
    i: usize,
    today: NaiveDate,
    used: &mut [bool],
    e: &mut Entities,
) -> usize {
    let mut text = tokens[i].norm.clone();
    let mut j = i + 1;
    // "1 200 000,50": groups of three digits after a first group of one to three.
    while text.len() <= 3 + (j - i - 1) * 3
        && text.chars().all(|c| c.is_ascii_digit())
        && let Some(next) = tokens.get(j)
        && next
            .norm
            .get(..3)
            .is_some_and(|p| p.chars().all(|c| c.is_ascii_digit()))
        && number(&next.norm).is_some()
        && !next
            .norm
            .get(3..)
            .is_some_and(|r| r.starts_with(|c: char| c.is_ascii_digit()))
    {
        text.push_str(&next.norm);
        j += 1;
    }
    let Some((value, suffix)) = number(&text) else {
        return i + 1;
    };
    let negative = i > 0 && tokens[i - 1].raw == "-";
    if negative {
        used[i - 1] = true;
    }
    let value = if negative { -value } else { value };
    let (unit_word, end) = if suffix.is_empty() {
        match tokens.get(j).map(|t| t.norm.as_str()).and_then(unit) {
            Some(u) => (Some(u), j + 1),
            None => (None, j),
        }
    } else {
        (unit(suffix), j)
    };
    if !suffix.is_empty() && unit_word.is_none() {
        return i + 1;
    }
    let min = min_cue(tokens, i, used);
    match unit_word {
        Some(Unit::Money) => e.amounts.push(Amount {
            value,
            min,
            currency: true,
        }),
        Some(Unit::Thousand) => {
            // "3k", "3k dh".
            let end_dh = tokens
                .get(end)
                .is_some_and(|t| CURRENCY.contains(&t.norm.as_str()));
            if end_dh {
                used[end] = true;
            }
            e.amounts.push(Amount {
                value: value * Decimal::ONE_THOUSAND,
                min,
                currency: true,
            });
        }
        Some(Unit::Days(per)) => match value.to_i32() {
            Some(n) if value.fract().is_zero() => e.days.push(n * per),
            _ => return i + 1,
        },
        None => {
            let year = (value.fract().is_zero() && text.len() == 4)
                .then(|| text.parse::<i32>().ok())
                .flatten()
                .filter(|y| (2010..=today.year() + 1).contains(y));
            match year {
                Some(y) if !min => e.years.push(y),
                _ if min => e.amounts.push(Amount {
                    value,
                    min,
                    currency: false,
                }),
                _ => e.numbers.push(value),
            }
        }
    }
    used[i..end].iter_mut().for_each(|u| *u = true);
    end
}

/// Is the number at `i` preceded by "plus de", "au moins", ">"…? Marks those words as used.
fn min_cue(tokens: &[Token], i: usize, used: &mut [bool]) -> bool {
    let mut j = i;
    let mut links = Vec::new();
    while j > 0 {
        j -= 1;
        let w = tokens[j].norm.as_str();
        if MIN_CUES.contains(&w) {
            used[j] = true;
            for l in links {
                used[l] = true;
            }
            return true;
        }
        if !MIN_LINKS.contains(&w) || i - j > 3 {
            return false;
        }
        links.push(j);
    }
    false
}

/// "12/11", "12/11/2025", "2025-11-12", "12-11-2025". A day without a year is the last one
/// not after today.
fn date_token(w: &str, today: NaiveDate) -> Option<NaiveDate> {
    let sep = if w.contains('/') { '/' } else { '-' };
    let parts: Vec<&str> = w.split(sep).collect();
    if parts.len() < 2
        || parts
            .iter()
            .any(|p| p.is_empty() || !p.chars().all(|c| c.is_ascii_digit()))
    {
        return None;
    }
    let n: Vec<u32> = parts.iter().filter_map(|p| p.parse().ok()).collect();
    match (parts.len(), parts[0].len()) {
        (3, 4) => NaiveDate::from_ymd_opt(i32::try_from(n[0]).ok()?, n[1], n[2]),
        (3, _) => {
            let y = i32::try_from(n[2]).ok()?;
            let y = if y < 100 { 2000 + y } else { y };
            NaiveDate::from_ymd_opt(y, n[1], n[0])
        }
        (2, _) if sep == '/' => day_month(n[0], n[1], today),
        _ => None,
    }
}

fn day_month(day: u32, month: u32, today: NaiveDate) -> Option<NaiveDate> {
    let d = NaiveDate::from_ymd_opt(today.year(), month, day)?;
    if d > today {
        NaiveDate::from_ymd_opt(today.year() - 1, month, day)
    } else {
        Some(d)
    }
}

/// A month ("octobre 2026", "en octobre": the whole month) or a start ("depuis janvier 2026",
/// "since 1 September", "depuis le 1er septembre") at `i`, and the index after it. A month
/// without a year is the last one that has begun.
fn period(tokens: &[Token], i: usize, today: NaiveDate) -> Option<(Period, usize)> {
    let at = |j: usize| tokens.get(j).map_or("", |t| t.norm.as_str());
    let month_of = |w: &str| MONTHS.iter().find(|(m, _)| *m == w).map(|(_, m)| *m);
    let year_at = |j: usize| {
        at(j)
            .parse::<i32>()
            .ok()
            .filter(|y| (2000..=2100).contains(y))
    };
    let since = SINCE.contains(&at(i));
    let mut j = i + usize::from(since);
    if since {
        while matches!(at(j), "le" | "the" | "l" | "du" | "de" | "d") {
            j += 1;
        }
    }
    // "1er septembre", "1 September", "15 octobre 2026".
    let day = {
        let w = at(j);
        let digits = w.chars().take_while(char::is_ascii_digit).count();
        let rest = &w[digits..];
        (digits > 0 && matches!(rest, "" | "er" | "st" | "nd" | "rd" | "th"))
            .then(|| w[..digits].parse::<u32>().ok())
            .flatten()
            .filter(|d| (1..=31).contains(d))
    };
    let (day, m_at) = match day {
        Some(d) if month_of(at(j + 1)).is_some() => (Some(d), j + 1),
        _ => (None, j),
    };
    let month = month_of(at(m_at))?;
    let year = year_at(m_at + 1);
    let end = m_at + 1 + usize::from(year.is_some());
    let lead = i > 0 && MONTH_LEADS.contains(&at(i - 1));
    // A day without "depuis" is a date ("le 12 novembre"); "may" is a verb unless dated.
    if (day.is_some() && !since) || (!since && year.is_none() && !lead) {
        return None;
    }
    if at(m_at) == "may" && year.is_none() {
        return None;
    }
    let year = match year {
        Some(y) => y,
        None if month > today.month()
            || (month == today.month() && day.is_some_and(|d| d > today.day())) =>
        {
            today.year() - 1
        }
        None => today.year(),
    };
    let du = NaiveDate::from_ymd_opt(year, month, day.unwrap_or(1))?;
    let au = if since {
        None
    } else {
        let next = if month == 12 {
            NaiveDate::from_ymd_opt(year + 1, 1, 1)
        } else {
            NaiveDate::from_ymd_opt(year, month + 1, 1)
        }?;
        Some(next - Duration::days(1))
    };
    Some((Period { du, au }, end))
}

/// "hier", "avant-hier", "aujourd'hui", "yesterday", "lbareh", "البارح", "12 novembre (2025)".
fn relative_day(
    tokens: &[Token],
    i: usize,
    today: NaiveDate,
    used: &mut [bool],
) -> Option<NaiveDate> {
    let w = tokens[i].norm.as_str();
    let next = tokens.get(i + 1).map_or("", |t| t.norm.as_str());
    let (date, len) = match w {
        "avant" if next == "hier" => (today - Duration::days(2), 2),
        "hier" | "yesterday" | "lbareh" | "lbarh" | "lbar7" | "البارح" | "امس" => {
            (today - Duration::days(1), 1)
        }
        "aujourd" if next == "hui" => (today, 2),
        "aujourdhui" | "auj" | "today" | "lyoum" | "lyom" | "اليوم" => (today, 1),
        // "ce matin", "this morning", "had sba7", "هاد الصباح": today.
        "matin" | "morning" | "sbah" | "sba7" | "sbe7" | "الصباح" | "صباح"
            if i > 0 && {
                let before = tokens[i - 1].norm.as_str();
                matches!(before, "ce" | "lyoum" | "اليوم") || THIS.contains(&before)
            } =>
        {
            used[i - 1] = true;
            (today, 1)
        }
        // "la semaine dernière", "last month", "simana li fatet", "الشهر الماضي": a day in it.
        w if WEEK_MONTH.iter().any(|(k, _)| *k == w) => {
            let days = WEEK_MONTH.iter().find(|(k, _)| *k == w).map(|(_, d)| *d)?;
            let skip = usize::from(matches!(next, "li" | "lli" | "اللي" | "لي"));
            let after = tokens.get(i + 1 + skip).map_or("", |t| t.norm.as_str());
            let before = if i > 0 {
                tokens[i - 1].norm.as_str()
            } else {
                ""
            };
            if PAST.contains(&after) || after.starts_with("fat") {
                (today - Duration::days(days), 2 + skip)
            } else if matches!(before, "last" | "previous" | "past") {
                used[i - 1] = true;
                (today - Duration::days(days), 1)
            } else {
                return None;
            }
        }
        _ => {
            let day: u32 = w.parse().ok().filter(|d| (1..=31).contains(d))?;
            let month = MONTHS.iter().find(|(m, _)| *m == next).map(|(_, m)| *m)?;
            let year = tokens
                .get(i + 2)
                .and_then(|t| t.norm.parse::<i32>().ok())
                .filter(|y| (2000..=2100).contains(y));
            match year {
                Some(y) => (NaiveDate::from_ymd_opt(y, month, day)?, 3),
                None => (day_month(day, month, today)?, 2),
            }
        }
    };
    used[i..i + len].iter_mut().for_each(|u| *u = true);
    Some(date)
}

/// "l'an dernier", "l'année passée", "last year", "l3am li fat", "العام الماضي" → last year;
/// "cette année", "this year", "had l3am", "هاد العام" → this year.
fn relative_year(tokens: &[Token], i: usize, today: NaiveDate, used: &mut [bool]) -> Option<i32> {
    let w = tokens[i].norm.as_str();
    if !YEAR_WORDS.contains(&w) {
        return None;
    }
    let at = |j: usize| tokens.get(j).map_or("", |t| t.norm.as_str());
    // The past marker may follow a relative pronoun: "l3am li fat", "العام اللي فات".
    let skip = usize::from(matches!(at(i + 1), "li" | "lli" | "اللي" | "لي"));
    let prev = if i > 0 { at(i - 1) } else { "" };
    let (year, from, to) = if PAST.contains(&at(i + 1 + skip)) {
        (today.year() - 1, i, i + 1 + skip)
    } else if matches!(prev, "last" | "previous") {
        (today.year() - 1, i - 1, i)
    } else if THIS.contains(&prev) {
        (today.year(), i - 1, i)
    } else if matches!(at(i + 1), "ci" | "courante" | "courant") {
        (today.year(), i, i + 1)
    } else {
        return None;
    };
    used[from..=to].iter_mut().for_each(|u| *u = true);
    Some(year)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::router::normalize::tokenize;
    use rust_decimal_macros::dec;

    fn today() -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 11, 15).unwrap()
    }

    fn entities(text: &str) -> Entities {
        let tokens = tokenize(text);
        let mut used = vec![false; tokens.len()];
        extract(&tokens, today(), &mut used)
    }

    fn money(v: Decimal, min: bool) -> Amount {
        Amount {
            value: v,
            min,
            currency: true,
        }
    }

    #[test]
    fn numbers_in_every_spelling() {
        let table = [
            ("1200", dec!(1200), ""),
            ("1.200", dec!(1200), ""),
            ("1,200", dec!(1200), ""),
            ("1200,50", dec!(1200.50), ""),
            ("1200.5", dec!(1200.5), ""),
            ("1.200,50", dec!(1200.50), ""),
            ("1,200.50", dec!(1200.50), ""),
            ("2000dh", dec!(2000), "dh"),
            ("3k", dec!(3), "k"),
            ("90j", dec!(90), "j"),
        ];
        for (text, value, suffix) in table {
            assert_eq!(number(text), Some((value, suffix)), "{text}");
        }
        assert_eq!(number("12/11"), None);
        assert_eq!(number("1.2345"), None);
    }

    #[test]
    fn amounts() {
        let table = [
            ("1 200,50 DH", dec!(1200.50)),
            ("1200 dhs", dec!(1200)),
            ("1.200 MAD", dec!(1200)),
            ("1 200 dirhams", dec!(1200)),
            ("2000dh", dec!(2000)),
            ("3 400,85 MAD", dec!(3400.85)),
            ("3k", dec!(3000)),
            ("2,5k dh", dec!(2500)),
            ("1 200 000 DH", dec!(1200000)),
            ("500 درهم", dec!(500)),
            ("-500 DH", dec!(-500)),
            ("4 alaf dh", dec!(4000)),
            ("2 alf", dec!(2000)),
            ("5 آلاف درهم", dec!(5000)),
            ("3 mille dirhams", dec!(3000)),
        ];
        for (text, value) in table {
            assert_eq!(entities(text).amounts, vec![money(value, false)], "{text}");
        }
        assert_eq!(
            entities("plus de 1000 DH").amounts,
            vec![money(dec!(1000), true)]
        );
        assert_eq!(entities("> 5000dh").amounts, vec![money(dec!(5000), true)]);
        assert_eq!(entities("a payé 2000").numbers, vec![dec!(2000)]);
        assert_eq!(
            entities("ktar mn 1000 dh").amounts,
            vec![money(dec!(1000), true)]
        );
    }

    #[test]
    fn delays_and_years() {
        assert_eq!(entities("plus de 90 jours").days, vec![90]);
        assert_eq!(entities("+90j").days, vec![90]);
        assert_eq!(entities("depuis plus de 3 mois").days, vec![90]);
        assert_eq!(entities("plus de trois mois").days, vec![90]);
        assert_eq!(entities("plus d'un an").days, vec![365]);
        assert_eq!(entities("rapport 2025").years, vec![2025]);
        assert_eq!(entities("l'an dernier").years, vec![2025]);
        assert_eq!(entities("l'année dernière").years, vec![2025]);
        assert_eq!(entities("last year").years, vec![2025]);
        assert_eq!(entities("l3am li fat").years, vec![2025]);
        assert_eq!(entities("العام الماضي").years, vec![2025]);
        assert_eq!(entities("cette année").years, vec![2026]);
        assert_eq!(entities("this year").years, vec![2026]);
        assert_eq!(entities("had l3am").years, vec![2026]);
        assert!(entities("plus de 1000 DH").years.is_empty());
    }

    #[test]
    fn dates() {
        let d = |y, m, d| NaiveDate::from_ymd_opt(y, m, d).unwrap();
        assert_eq!(entities("le 12/11").dates, vec![d(2026, 11, 12)]);
        assert_eq!(entities("le 20/11").dates, vec![d(2025, 11, 20)]);
        assert_eq!(entities("12/11/2025").dates, vec![d(2025, 11, 12)]);
        assert_eq!(entities("2026-10-03").dates, vec![d(2026, 10, 3)]);
        assert_eq!(entities("hier").dates, vec![d(2026, 11, 14)]);
        assert_eq!(entities("avant-hier").dates, vec![d(2026, 11, 13)]);
        assert_eq!(entities("aujourd'hui").dates, vec![d(2026, 11, 15)]);
        assert_eq!(entities("le 3 novembre").dates, vec![d(2026, 11, 3)]);
        assert_eq!(entities("البارح").dates, vec![d(2026, 11, 14)]);
        assert_eq!(entities("ce matin").dates, vec![d(2026, 11, 15)]);
        assert_eq!(entities("this morning").dates, vec![d(2026, 11, 15)]);
        assert!(entities("le matin").dates.is_empty());
    }

    #[test]
    fn modes_references_lots() {
        let e = entities("chèque n° 4512");
        assert_eq!(e.modes, vec![ModePaiement::Cheque]);
        assert_eq!(e.references, vec!["4512"]);
        let e = entities("virement réf VIR-2025-001");
        assert_eq!(e.modes, vec![ModePaiement::Virement]);
        assert_eq!(e.references, vec!["VIR-2025-001"]);
        assert_eq!(entities("cash").modes, vec![ModePaiement::Especes]);
        assert_eq!(entities("كاش").modes, vec![ModePaiement::Especes]);
        assert_eq!(entities("par TPE").modes, vec![ModePaiement::Terminal]);
        assert_eq!(entities("الفيرمو").modes, vec![ModePaiement::Virement]);
        // A bank next to the cheque or the transfer is part of it.
        let e = entities("chèque Attijari 99120");
        assert_eq!(e.references, vec!["99120"]);
        let tokens = tokenize("virement BMCE de 500 dh");
        let mut used = vec![false; tokens.len()];
        extract(&tokens, today(), &mut used);
        assert_eq!(used, [true, true, false, true, true]);
        let e = entities("by check 4455");
        assert_eq!(e.references, vec!["4455"]);
        let e = entities("chèque 4455 dh");
        assert_eq!(e.references, Vec::<String>::new());
        assert_eq!(
            entities("paid by transfer VIR-889").references,
            vec!["VIR-889"]
        );
        for (text, lot) in [
            ("lot A12", "A12"),
            ("le lot a-12", "A12"),
            ("appartement 12", "12"),
            ("appt 12", "12"),
            ("شقة 12", "12"),
            ("solde B44", "B44"),
            ("combien doit 3B", "3B"),
            ("lot n° 103", "103"),
            ("للشقة 7", "7"),
            ("فالشقة B2", "B2"),
        ] {
            assert_eq!(entities(text).lots, vec![lot], "{text}");
        }
        assert!(entities("2000dh 90j m3a").lots.is_empty());
    }
}
