//! The invoice text as lines the other modules read: each character folded one for one (lower
//! case, accents removed), so that a position in the folded line is the same position in the
//! printed one; words with their positions; OCR's letter-for-digit slips.

use rust_decimal::{Decimal, RoundingStrategy};

/// One character folded: lower case, accents removed, typographic variants made plain. Always
/// one character for one, so positions survive folding.
pub(crate) fn fold_char(c: char) -> char {
    let c = c.to_lowercase().next().unwrap_or(c);
    match c {
        'à' | 'á' | 'â' | 'ã' | 'ä' | 'å' | 'ā' | 'æ' => 'a',
        'ç' | 'ć' | 'č' => 'c',
        'è' | 'é' | 'ê' | 'ë' | 'ē' | 'ė' | 'ę' => 'e',
        'î' | 'ï' | 'í' | 'ī' | 'ì' => 'i',
        'ô' | 'ö' | 'ò' | 'ó' | 'õ' | 'ō' | 'ø' | 'œ' => 'o',
        'ù' | 'ú' | 'û' | 'ü' | 'ū' => 'u',
        'ñ' | 'ń' => 'n',
        'ÿ' => 'y',
        'º' | '˚' => '°',
        '’' | '‘' | '`' | '´' => '\'',
        '\u{a0}' | '\u{202f}' | '\u{2009}' | '\u{2007}' | '\t' => ' ',
        '–' | '—' | '‑' => '-',
        c => c,
    }
}

/// A whole string folded, white space runs made single, trimmed.
pub(crate) fn fold(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars().map(fold_char) {
        if c.is_whitespace() {
            if !out.is_empty() && !out.ends_with(' ') {
                out.push(' ');
            }
        } else {
            out.push(c);
        }
    }
    out.trim_end().to_string()
}

/// The folded words of a name (letters and digits only), for comparing names.
pub(crate) fn name_words(text: &str) -> Vec<String> {
    fold(text)
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(str::to_string)
        .collect()
}

/// A word of a line: a run of letters and digits of the folded line. Abbreviations written with
/// dots ("H.T.", "T.V.A", "I.C.E") are one word ("ht", "tva", "ice"), and "N°", "N'", "N*", "Nº"
/// are the word "no".
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Word {
    pub text: String,
    /// Char positions in the line, end exclusive.
    pub start: usize,
    pub end: usize,
}

/// One line of the text.
#[derive(Debug, Clone)]
pub(crate) struct Line {
    pub raw: Vec<char>,
    pub folded: Vec<char>,
    pub words: Vec<Word>,
}

impl Line {
    pub(crate) fn new(text: &str) -> Line {
        let raw: Vec<char> = text.chars().collect();
        let folded: Vec<char> = raw.iter().map(|c| fold_char(*c)).collect();
        let words = words(&folded);
        Line { raw, folded, words }
    }

    pub(crate) fn text(&self) -> String {
        self.raw.iter().collect()
    }

    pub(crate) fn folded_text(&self) -> String {
        self.folded.iter().collect()
    }

    pub(crate) fn is_blank(&self) -> bool {
        self.raw.iter().all(|c| c.is_whitespace())
    }

    /// Where the words `pattern` (space separated) occur in a row: (first word, one past the last).
    /// A word of five letters or more may carry one OCR slip ("Totai HT", "Échésnce").
    pub(crate) fn find_words(&self, pattern: &str) -> Vec<(usize, usize)> {
        let pat: Vec<&str> = pattern.split(' ').collect();
        if pat.is_empty() || self.words.len() < pat.len() {
            return Vec::new();
        }
        (0..=self.words.len() - pat.len())
            .filter(|&i| {
                pat.iter()
                    .enumerate()
                    .all(|(k, p)| same_word(&self.words[i + k].text, p))
            })
            .map(|i| (i, i + pat.len()))
            .collect()
    }
}

/// Short label words and what OCR makes of them at low resolution ("Total HF").
const SHORT_SLIPS: &[(&str, &[&str])] = &[
    ("ht", &["hf", "hi", "hl", "h1", "kt", "wt"]),
    ("ttc", &["tte", "tic", "itc", "ttg", "ttc1"]),
    ("tva", &["iva", "tvs", "twa"]),
];

/// A word of the text read as a word of a pattern: the same, one slip away when long, or a
/// known slip of a short label word.
pub(crate) fn same_word(read: &str, expected: &str) -> bool {
    read == expected
        || expected.len() >= 5
            && read.len().abs_diff(expected.len()) <= 1
            && strsim::levenshtein(read, expected) <= 1
        || SHORT_SLIPS
            .iter()
            .any(|(word, slips)| *word == expected && slips.contains(&read))
}

/// The lines of an invoice's text (pages are separated by form feeds).
pub(crate) fn lines(text: &str) -> Vec<String> {
    text.split(['\n', '\x0c'])
        .map(|l| l.trim_end_matches('\r').to_string())
        .collect()
}

fn words(folded: &[char]) -> Vec<Word> {
    let mut out: Vec<Word> = Vec::new();
    // Whether the last word is single letters joined by dots so far ("h", "t.v").
    let mut last_abbreviation = false;
    let mut i = 0;
    while i < folded.len() {
        if !folded[i].is_alphanumeric() {
            i += 1;
            continue;
        }
        let start = i;
        while i < folded.len() && folded[i].is_alphanumeric() {
            i += 1;
        }
        let mut text: String = folded[start..i].iter().collect();
        let single_letter = i - start == 1 && folded[start].is_alphabetic();
        // "h.t." → "ht": single letters joined by dots.
        if single_letter
            && last_abbreviation
            && let Some(last) = out.last_mut()
        {
            let gap = &folded[last.end..start];
            if gap.len() <= 2 && gap.contains(&'.') && gap.iter().all(|c| *c == '.' || *c == ' ') {
                last.text.push_str(&text);
                last.end = i;
                continue;
            }
        }
        // "n°", "n'", "n*": the word "no".
        if text == "n"
            && folded
                .get(i)
                .is_some_and(|c| matches!(c, '°' | '\'' | '*' | '"'))
        {
            text = "no".to_string();
        }
        // "TV.A.": two capitals then a dotted letter start an abbreviation too.
        let short_capitals = (2..=3).contains(&(i - start))
            && folded[start..i].iter().all(|c| c.is_alphabetic())
            && folded.get(i) == Some(&'.');
        last_abbreviation = (single_letter && text.len() == 1) || short_capitals;
        // "TVA7": the label and its rate glued.
        if let Some(rate) = text.strip_prefix("tva")
            && !rate.is_empty()
            && rate.chars().all(|c| c.is_ascii_digit())
        {
            out.push(Word {
                text: "tva".to_string(),
                start,
                end: start + 3,
            });
            out.push(Word {
                text: rate.to_string(),
                start: start + 3,
                end: i,
            });
            continue;
        }
        out.push(Word {
            text,
            start,
            end: i,
        });
    }
    out
}

/// A character as a digit: a real one, or a letter OCR often reads for one ("O" for 0, "l" or
/// "I" for 1, "S" for 5, "B" for 8) when `beside_digit` says a neighbour is a digit. The flag says
/// whether it was repaired.
pub(crate) fn as_digit(c: char, beside_digit: bool) -> Option<(u32, bool)> {
    if let Some(d) = c.to_digit(10) {
        return Some((d, false));
    }
    if !beside_digit {
        return None;
    }
    let d = match c {
        'O' | 'o' => 0,
        'l' | 'I' | '|' => 1,
        'S' => 5,
        'B' => 8,
        _ => return None,
    };
    Some((d, true))
}

/// Whether the char at `i` reads as a digit: a real digit, or a letter OCR slipped for one in a
/// run of letters and digits that holds only digits and such letters, at least as many digits
/// as letters ("2O25", "l5", "0OO12"; not "Total", not "lO" alone).
pub(crate) fn digit_at(chars: &[char], i: usize) -> Option<(u32, bool)> {
    let c = *chars.get(i)?;
    if let Some(d) = c.to_digit(10) {
        return Some((d, false));
    }
    as_digit(c, true)?;
    let token = |c: &char| c.is_alphanumeric() || *c == '|';
    let start = chars[..i]
        .iter()
        .rposition(|c| !token(c))
        .map_or(0, |p| p + 1);
    let end = chars[i..]
        .iter()
        .position(|c| !token(c))
        .map_or(chars.len(), |p| i + p);
    let run = &chars[start..end];
    let digits = run.iter().filter(|c| c.is_ascii_digit()).count();
    let slips = run.len() - digits;
    let all_slips = run
        .iter()
        .all(|c| c.is_ascii_digit() || as_digit(*c, true).is_some());
    as_digit(c, all_slips && digits > 0 && digits >= slips)
}

/// French amount: "1 245,60" (non-breaking space between thousands).
pub(crate) fn money(amount: Decimal) -> String {
    let rounded = amount.round_dp_with_strategy(2, RoundingStrategy::MidpointAwayFromZero);
    let text = format!("{:.2}", rounded.abs());
    let (int, frac) = text.split_once('.').unwrap_or((&text, "00"));
    let mut grouped = String::new();
    for (i, c) in int.chars().enumerate() {
        if i > 0 && (int.len() - i).is_multiple_of(3) {
            grouped.push('\u{a0}');
        }
        grouped.push(c);
    }
    let sign = if rounded.is_sign_negative() && !rounded.is_zero() {
        "-"
    } else {
        ""
    };
    format!("{sign}{grouped},{frac}")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn texts(line: &str) -> Vec<String> {
        Line::new(line).words.into_iter().map(|w| w.text).collect()
    }

    #[test]
    fn folding_keeps_positions() {
        let line = Line::new("Échéance : 15 févr.");
        assert_eq!(line.raw.len(), line.folded.len());
        assert_eq!(line.folded_text(), "echeance : 15 fevr.");
    }

    #[test]
    fn words_join_dotted_abbreviations_and_number_signs() {
        assert_eq!(texts("Total H.T. : 12"), ["total", "ht", "12"]);
        assert_eq!(texts("T.V.A 20%"), ["tva", "20"]);
        assert_eq!(texts("TVA7 %"), ["tva", "7"]);
        assert_eq!(texts("TV.A. 20%"), ["tva", "20"]);
        assert_eq!(texts("Bd. Anfa"), ["bd", "anfa"]);
        assert_eq!(
            texts("Facture N° 12 / N' 3 / Nº 4"),
            ["facture", "no", "12", "no", "3", "no", "4"]
        );
        assert_eq!(texts("a payer"), ["a", "payer"]);
        assert_eq!(texts("Lot A 12"), ["lot", "a", "12"]);
        let line = Line::new("Totai HT 12 / Échésnce / Toto HT");
        assert_eq!(line.find_words("total ht"), [(0, 2)]);
        assert_eq!(line.find_words("echeance"), [(3, 4)]);
        assert_eq!(Line::new("Total HF").find_words("total ht"), [(0, 2)]);
    }

    #[test]
    fn digit_slips_only_among_digits() {
        let chars: Vec<char> = "2O25 TOTAL l0 0OO12 lO".chars().collect();
        assert_eq!(digit_at(&chars, 1), Some((0, true)));
        assert_eq!(digit_at(&chars, 6), None);
        assert_eq!(digit_at(&chars, 11), Some((1, true)));
        assert_eq!(digit_at(&chars, 15), Some((0, true)));
        assert_eq!(digit_at(&chars, 20), None);
    }

    #[test]
    fn money_is_french() {
        assert_eq!(money(Decimal::new(124_560, 2)), "1\u{a0}245,60");
        assert_eq!(money(Decimal::new(-10, 2)), "-0,10");
    }
}
