//! Text → tokens: Arabic letters normalised (alef variants, tā' marbūṭa, alif maqṣūra, tatweel,
//! diacritics, Arabic-Indic digits), Latin folded like the store's names (case, accents), and
//! split into words while keeping numbers ("1.200,50", "12/11") and references ("VIR-2025-001")
//! whole.

use wakil_schema::fold::fold;

/// One word or number of the message.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Token {
    /// As typed (after Arabic normalisation), for references and names.
    pub raw: String,
    /// Folded: lower case, no accents.
    pub norm: String,
    /// A comma (or ";", ":") stands right before it: "…, Latifa Mernissi".
    pub after_comma: bool,
}

impl Token {
    pub(crate) fn has_digit(&self) -> bool {
        self.norm.chars().any(|c| c.is_ascii_digit())
    }

    pub(crate) fn is_arabic(&self) -> bool {
        self.norm.chars().any(is_arabic)
    }
}

pub(crate) fn is_arabic(c: char) -> bool {
    ('\u{0600}'..='\u{06FF}').contains(&c)
}

/// Arabic normalisation of one character; `None` drops it (tatweel, diacritics).
fn arabic(c: char) -> Option<char> {
    Some(match c {
        'أ' | 'إ' | 'آ' | 'ٱ' => 'ا',
        'ة' => 'ه',
        'ى' => 'ي',
        'ـ' | '\u{064B}'..='\u{0652}' | '\u{0670}' => return None,
        '٠'..='٩' => char::from(b'0' + (c as u32 - '٠' as u32) as u8),
        '۰'..='۹' => char::from(b'0' + (c as u32 - '۰' as u32) as u8),
        '،' => ',',
        '؛' => ';',
        '؟' => ' ',
        c => c,
    })
}

/// Characters kept inside a token when letters or digits stand on both sides.
fn joiner(c: char) -> bool {
    matches!(c, '-' | '.' | ',' | '/' | ':' | '_')
}

/// Splits a message into tokens. `>` and `+` are tokens of their own ("> 1000", "+90 jours").
pub(crate) fn tokenize(text: &str) -> Vec<Token> {
    let chars: Vec<char> = text.chars().filter_map(arabic).collect();
    // Each piece, and whether a comma came before it.
    let mut pieces: Vec<(String, bool)> = Vec::new();
    let mut current = String::new();
    let mut comma = false;
    for (i, &c) in chars.iter().enumerate() {
        let inner = joiner(c)
            && !current.is_empty()
            && chars.get(i + 1).is_some_and(|n| n.is_alphanumeric());
        if c.is_alphanumeric() || inner {
            current.push(c);
            continue;
        }
        if !current.is_empty() {
            pieces.push((std::mem::take(&mut current), std::mem::take(&mut comma)));
        }
        if matches!(c, '>' | '+') {
            pieces.push((c.to_string(), std::mem::take(&mut comma)));
        }
        // A minus sign before a number ("-500 DH") is kept: a negative amount must be refused,
        // not read as positive.
        if matches!(c, '-' | '\u{2212}') && chars.get(i + 1).is_some_and(|n| n.is_ascii_digit()) {
            pieces.push(("-".into(), std::mem::take(&mut comma)));
        }
        comma |= matches!(c, ',' | ';' | ':');
    }
    if !current.is_empty() {
        pieces.push((current, comma));
    }
    let mut tokens = Vec::with_capacity(pieces.len());
    for (piece, comma) in pieces {
        // Words joined by punctuation without digits are separate words ("relance-les", "M.Lahlou").
        if piece != "-" && !piece.chars().any(|c| c.is_ascii_digit()) && piece.chars().any(joiner) {
            for (k, part) in piece.split(joiner).filter(|p| !p.is_empty()).enumerate() {
                tokens.push(token(part, comma && k == 0));
            }
        } else {
            tokens.push(token(&piece, comma));
        }
    }
    tokens
}

fn token(raw: &str, after_comma: bool) -> Token {
    Token {
        raw: raw.to_string(),
        norm: fold(raw).replace(' ', "-"),
        after_comma,
    }
}

/// The consonant skeleton of a Latin word (vowels dropped, doubled letters single): the many
/// spellings of a Darija word meet there ("khless", "khallas", "khlless" → "khls").
pub(crate) fn skeleton(word: &str) -> String {
    let mut out = String::with_capacity(word.len());
    for c in word.chars() {
        if matches!(c, 'a' | 'e' | 'i' | 'o' | 'u') || out.ends_with(c) {
            continue;
        }
        out.push(c);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn norms(text: &str) -> Vec<String> {
        tokenize(text).into_iter().map(|t| t.norm).collect()
    }

    #[test]
    fn tokens_keep_numbers_and_references_whole() {
        assert_eq!(
            norms("M. Lahlou a payé 1 200,50 DH par chèque n° 4512"),
            [
                "m", "lahlou", "a", "paye", "1", "200,50", "dh", "par", "cheque", "n", "4512"
            ]
        );
        assert_eq!(
            norms("réf VIR-2025-001, le 12/11."),
            ["ref", "vir-2025-001", "le", "12/11"]
        );
        assert_eq!(norms("relance-les !"), ["relance", "les"]);
        assert_eq!(
            norms("qui n'a pas payé ?"),
            ["qui", "n", "a", "pas", "paye"]
        );
        assert_eq!(
            norms("impayés > 1000dh +90j"),
            ["impayes", ">", "1000dh", "+", "90j"]
        );
        assert_eq!(norms("M.Lahlou"), ["m", "lahlou"]);
        let commas: Vec<bool> = tokenize("chèque 1,5 dh, Salma Tazi ; ok")
            .iter()
            .map(|t| t.after_comma)
            .collect();
        assert_eq!(commas, [false, false, false, true, false, true]);
        assert!(tokenize("شيك، سلمى")[1].after_comma);
    }

    #[test]
    fn arabic_is_normalised() {
        assert_eq!(norms("إقامة"), ["اقامه"]);
        assert_eq!(norms("شْحَال"), ["شحال"]);
        assert_eq!(norms("الفـــواتير"), ["الفواتير"]);
        assert_eq!(norms("مستوى"), ["مستوي"]);
        assert_eq!(norms("شقة ١٢"), ["شقه", "12"]);
        assert_eq!(norms("شحال خاصني نخلص؟"), ["شحال", "خاصني", "نخلص"]);
    }

    #[test]
    fn skeletons_meet_across_spellings() {
        for w in ["khless", "khallas", "khlless", "khles"] {
            assert_eq!(skeleton(w), "khls", "{w}");
        }
        assert_eq!(skeleton("chhal"), "chl");
        assert_eq!(skeleton("ch7al"), "ch7l");
        assert_eq!(skeleton("makhallsch"), "mkhlsch");
    }
}
