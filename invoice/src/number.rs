//! Amounts as French invoices print them ("1 245,60", "1.245,60", "1245.60", "12.000,00 DHS"),
//! read from a value or found in a line.

use std::str::FromStr;

use rust_decimal::Decimal;

use crate::text::{digit_at, fold};

/// The currency words, folded: all of them mean the Moroccan dirham.
const CURRENCY_WORDS: &[&str] = &["dh", "dhs", "mad", "dirham", "dirhams"];

/// At most this many digits before the decimal separator: longer runs are identifiers.
const MAX_INTEGER_DIGITS: usize = 10;

/// An amount: "1 245,60", "1.245,60", "1245.60", "1245,6", "1 245 DH", "12.000,00 DHS", with
/// ordinary, non-breaking or thin spaces between thousands; OCR slips like "1 245.60",
/// "1.245.60" or a trailing dot are tolerated. `None` when the text is not one amount.
pub fn parse_amount(s: &str) -> Option<Decimal> {
    let cleaned = clean_amount_text(s)?;
    let chars: Vec<char> = cleaned.chars().collect();
    let (negative, from) = match chars.first() {
        Some('-') => (true, 1),
        _ => (false, 0),
    };
    let reading = read_number(&chars, from)?;
    if reading.end != chars.len() || !reading.valid {
        return None;
    }
    Some(if negative {
        -reading.value
    } else {
        reading.value
    })
}

/// The text of one amount without its currency word, trailing punctuation or doubled spaces.
fn clean_amount_text(s: &str) -> Option<String> {
    let folded = fold(s);
    let mut words: Vec<&str> = folded.split(' ').collect();
    fn strip(w: &str) -> &str {
        w.trim_matches(['.', ',', ';', ':'])
    }
    while words
        .last()
        .is_some_and(|w| CURRENCY_WORDS.contains(&strip(w)))
    {
        words.pop();
    }
    while words
        .first()
        .is_some_and(|w| CURRENCY_WORDS.contains(&strip(w)))
    {
        words.remove(0);
    }
    let mut text = words.join(" ");
    // "1245DH": the currency glued to the number.
    for word in CURRENCY_WORDS {
        if let Some(rest) = text.strip_suffix(word)
            && rest.ends_with(|c: char| c.is_ascii_digit())
        {
            text = rest.to_string();
            break;
        }
    }
    let text = text.trim_end_matches(['.', ',', ';', ':', ' ']);
    let text = text.replace(" ,", ",").replace(" .", ".");
    (!text.is_empty()).then_some(text)
}

/// A number read from a position of a line.
#[derive(Debug, Clone, PartialEq)]
struct Reading {
    value: Decimal,
    /// One past the last char of the number.
    end: usize,
    decimals: bool,
    repaired: bool,
    /// A number that cannot be an amount (a leading zero as in a phone number, too many digits).
    valid: bool,
    /// "20 207,60" may be "20" then "207,60": (first group, the rest).
    split: Option<(Decimal, Decimal)>,
}

fn is_space(c: char) -> bool {
    matches!(c, ' ' | '\u{a0}' | '\u{202f}' | '\u{2009}' | '\u{2007}')
}

/// The digits from `i`, with OCR letter slips repaired: (digits, end, repaired).
fn digits_at(chars: &[char], mut i: usize) -> (String, usize, bool) {
    let mut digits = String::new();
    let mut repaired = false;
    while let Some((d, fixed)) = digit_at(chars, i) {
        digits.push(char::from_digit(d, 10).unwrap_or('0'));
        repaired |= fixed;
        i += 1;
    }
    (digits, i, repaired)
}

/// Reads the longest amount starting at `start`: a first group of digits, thousands groups of
/// exactly three digits after a space, a dot or a comma, and a decimal part of one or two digits
/// after a dot or a comma.
fn read_number(chars: &[char], start: usize) -> Option<Reading> {
    let (first, mut end, mut repaired) = digits_at(chars, start);
    if first.is_empty() {
        return None;
    }
    let mut groups: Vec<String> = vec![first];
    let mut first_space_group: Option<usize> = None;
    let mut fraction: Option<String> = None;
    let mut thousands_seps: Vec<char> = Vec::new();
    while let Some(&sep) = chars.get(end) {
        let mut after = end + 1;
        // "1  245" (a doubled space), "2. 890" (OCR's space after a thousands dot).
        let spaced_dot = sep == '.' && chars.get(after).copied().is_some_and(is_space);
        if (is_space(sep) || spaced_dot) && chars.get(after).copied().is_some_and(is_space) {
            after += 1;
        }
        if !(is_space(sep) || sep == '.' || sep == ',') {
            break;
        }
        let (digits, digits_end, fixed) = digits_at(chars, after);
        if digits.is_empty() {
            break;
        }
        let thousands_allowed = groups[0].len() <= 3 && fraction.is_none();
        // "1.245.60" is an OCR slip for "1.245,60", but then the decimals are two.
        let decimals_allowed = if thousands_seps.contains(&sep) {
            2..=2
        } else {
            1..=2
        };
        if (sep == '.' || sep == ',') && !spaced_dot && decimals_allowed.contains(&digits.len()) {
            fraction = Some(digits);
            repaired |= fixed;
            end = digits_end;
            break;
        }
        if digits.len() == 3 && thousands_allowed {
            if is_space(sep) && groups.len() == 1 {
                first_space_group = Some(groups.len());
            }
            groups.push(digits);
            thousands_seps.push(sep);
            repaired |= fixed;
            end = digits_end;
            continue;
        }
        break;
    }
    let integer: String = groups.concat();
    let valid =
        integer.len() <= MAX_INTEGER_DIGITS && !(integer.len() > 1 && integer.starts_with('0'));
    let value = to_decimal(&integer, fraction.as_deref())?;
    let split = first_space_group.and_then(|_| {
        let head = to_decimal(&groups[0], None)?;
        let tail = to_decimal(&groups[1..].concat(), fraction.as_deref())?;
        Some((head, tail))
    });
    Some(Reading {
        value,
        end,
        decimals: fraction.is_some(),
        repaired,
        valid,
        split,
    })
}

fn to_decimal(integer: &str, fraction: Option<&str>) -> Option<Decimal> {
    if integer.len() > 20 {
        return None;
    }
    match fraction {
        Some(f) => Decimal::from_str(&format!("{integer}.{f}")).ok(),
        None => Decimal::from_str(integer).ok(),
    }
}

/// A number found in a line.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Amount {
    pub value: Decimal,
    /// Char span of the number in the line (the currency word excluded).
    pub start: usize,
    pub end: usize,
    /// Printed with a decimal part ("207,60").
    pub decimals: bool,
    /// Followed by "%".
    pub percent: bool,
    /// Followed by a currency word ("DH", "MAD").
    pub currency: bool,
    /// Read through a letter-for-digit repair ("1 O38,00").
    pub repaired: bool,
    /// "20 207,60" may be "20" then "207,60".
    pub split: Option<(Decimal, Decimal)>,
}

impl Amount {
    /// Looks like money rather than a count: decimals or a currency word.
    pub(crate) fn is_money(&self) -> bool {
        (self.decimals || self.currency) && !self.percent
    }
}

/// The numbers of a line that can be amounts or rates, outside the `masked` spans (dates).
/// Numbers glued to letters or codes ("FA-2025-001", "150m3", "10h30") are left out, and so are
/// numbers with a leading zero ("05 22 …") or too many digits (identifiers).
pub(crate) fn scan_amounts(chars: &[char], masked: &[(usize, usize)]) -> Vec<Amount> {
    let mut out = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        if masked.iter().any(|&(a, b)| a <= i && i < b) {
            i += 1;
            continue;
        }
        if digit_at(chars, i).is_none() {
            i += 1;
            continue;
        }
        let Some(reading) = read_number(chars, i) else {
            i += 1;
            continue;
        };
        let end = reading.end;
        let overlaps_mask = masked.iter().any(|&(a, b)| i < b && a < end);
        if reading.valid && !overlaps_mask && !glued(chars, i, end) {
            let (percent, currency) = suffix(chars, end);
            out.push(Amount {
                value: reading.value,
                start: i,
                end,
                decimals: reading.decimals,
                percent,
                currency,
                repaired: reading.repaired,
                split: reading.split,
            });
        }
        let first_run_end = (i..chars.len())
            .find(|&k| digit_at(chars, k).is_none())
            .unwrap_or(chars.len());
        i = if glued_before(chars, i) {
            // "A7 106,68": only "7" belongs to the code.
            first_run_end.max(i + 1)
        } else if reading.valid {
            end.max(i + 1)
        } else {
            skip_digit_groups(chars, end)
        };
    }
    out
}

/// Past a run of digit groups ("05 22 12 34 56", "001 234 567"): the rest of an identifier.
fn skip_digit_groups(chars: &[char], mut i: usize) -> usize {
    while i < chars.len() {
        let next_is_digit = chars.get(i + 1).is_some_and(char::is_ascii_digit);
        if chars[i].is_ascii_digit() || (matches!(chars[i], ' ' | '.' | '-') && next_is_digit) {
            i += 1;
        } else {
            break;
        }
    }
    i
}

/// Whether the number starting at `start` is glued to a code before it ("FA-2025", "A7").
fn glued_before(chars: &[char], start: usize) -> bool {
    let before = start.checked_sub(1).map(|j| chars[j]);
    let before2 = start.checked_sub(2).map(|j| chars[j]);
    before.is_some_and(char::is_alphanumeric)
        || matches!(before, Some('-' | '/' | '_' | '#'))
            && before2.is_some_and(char::is_alphanumeric)
}

/// Whether the number at `start..end` is part of a code, a reference or a time.
fn glued(chars: &[char], start: usize, end: usize) -> bool {
    let after = chars.get(end).copied();
    let after2 = chars.get(end + 1).copied();
    let code_after = matches!(after, Some('-' | '/' | '_' | ':' | 'h' | 'H'))
        && after2.is_some_and(|c| c.is_ascii_digit());
    let letter_after = after.is_some_and(char::is_alphabetic) && !currency_like_at(chars, end);
    glued_before(chars, start) || code_after || letter_after
}

/// "%" or a currency word right after a number (a space allowed).
fn suffix(chars: &[char], end: usize) -> (bool, bool) {
    let mut i = end;
    if chars.get(i).copied().is_some_and(is_space) {
        i += 1;
    }
    let percent = chars.get(i) == Some(&'%');
    (percent, currency_at(chars, i))
}

/// Whether a currency word starts at `i` (and ends there: "DH", not "DHL").
fn currency_at(chars: &[char], i: usize) -> bool {
    let word: String = chars[i.min(chars.len())..]
        .iter()
        .take_while(|c| c.is_alphabetic())
        .flat_map(|c| c.to_lowercase())
        .collect();
    CURRENCY_WORDS.contains(&word.as_str())
}

/// A currency word glued to its number, or what OCR made of it ("1800DA" for "1800DH").
fn currency_like_at(chars: &[char], i: usize) -> bool {
    let word: String = chars[i.min(chars.len())..]
        .iter()
        .take_while(|c| c.is_alphabetic())
        .flat_map(|c| c.to_lowercase())
        .collect();
    currency_at(chars, i) || word.len() == 2 && word.starts_with('d')
}

/// Whether the folded word is a currency word.
pub(crate) fn is_currency_word(word: &str) -> bool {
    CURRENCY_WORDS.contains(&word)
}

#[cfg(test)]
mod tests {
    use super::*;
    use rust_decimal_macros::dec;

    #[test]
    fn amounts_in_french_and_ocr_forms() {
        let cases: &[(&str, Option<Decimal>)] = &[
            ("1 245,60", Some(dec!(1245.60))),
            ("1.245,60", Some(dec!(1245.60))),
            ("1245.60", Some(dec!(1245.60))),
            ("1245,6", Some(dec!(1245.6))),
            ("1 245 DH", Some(dec!(1245))),
            ("12.000,00 DHS", Some(dec!(12000.00))),
            ("1\u{a0}245,60", Some(dec!(1245.60))),
            ("1\u{202f}245,60\u{a0}MAD", Some(dec!(1245.60))),
            ("1\u{2009}245,60", Some(dec!(1245.60))),
            ("1 245.60", Some(dec!(1245.60))),
            ("1245,60.", Some(dec!(1245.60))),
            ("1.245.60", Some(dec!(1245.60))),
            ("1,245.60", Some(dec!(1245.60))),
            ("1 234 567,89", Some(dec!(1234567.89))),
            ("1  245,60", Some(dec!(1245.60))),
            ("1 245 ,60", Some(dec!(1245.60))),
            ("2. 890", Some(dec!(2890))),
            ("2. 89", None),
            ("1245DH", Some(dec!(1245))),
            ("MAD 980,00", Some(dec!(980.00))),
            ("1 O38,00", Some(dec!(1038.00))),
            ("0,50", Some(dec!(0.50))),
            ("1.245", Some(dec!(1245))),
            ("-150,00", Some(dec!(-150.00))),
            ("12 dirhams", Some(dec!(12))),
            ("1,2,3", None),
            ("abc", None),
            ("", None),
            ("DH", None),
            ("12/13/2025", None),
            ("05 22 34 56 78", None),
            ("1245 60", None),
            ("12,345,6", None),
            ("001234567000089", None),
            ("1 24,60", None),
        ];
        for (text, expected) in cases {
            assert_eq!(parse_amount(text), *expected, "{text:?}");
        }
    }

    fn scan(line: &str) -> Vec<(Decimal, bool, bool)> {
        let chars: Vec<char> = line.chars().collect();
        scan_amounts(&chars, &[])
            .into_iter()
            .map(|a| (a.value, a.percent, a.currency))
            .collect()
    }

    #[test]
    fn scanning_finds_amounts_rates_and_skips_codes() {
        assert_eq!(
            scan("Total HT 1 038,00 TVA 20% 207,60 TTC 1 245,60 DH"),
            [
                (dec!(1038.00), false, false),
                (dec!(20), true, false),
                (dec!(207.60), false, false),
                (dec!(1245.60), false, true)
            ]
        );
        assert_eq!(
            scan("Facture FA-2025-0012 Tél 05 22 12 34 56 à 10h30, 150m3"),
            []
        );
        assert_eq!(
            scan("Total ......... 1 800 DH"),
            [(dec!(1800), false, true)]
        );
        assert_eq!(scan("Montant: 1245,60DH"), [(dec!(1245.60), false, true)]);
        assert_eq!(scan("Total: 1800DA"), [(dec!(1800), false, false)]);
        assert_eq!(scan("FA A7 106,68"), [(dec!(106.68), false, false)]);
        assert_eq!(scan("150Dhm3 12ab"), []);
    }

    #[test]
    fn a_rate_before_an_amount_is_an_alternative_reading() {
        let chars: Vec<char> = "TVA 20 207,60".chars().collect();
        let found = scan_amounts(&chars, &[]);
        assert_eq!(found.len(), 1);
        assert_eq!(found[0].value, dec!(20207.60));
        assert_eq!(found[0].split, Some((dec!(20), dec!(207.60))));
    }
}
