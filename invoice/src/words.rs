//! The total written in words ("Arrêtée la présente facture à la somme de quatre mille six cent
//! quatre-vingts dirhams et soixante centimes"): a second reading of the TTC that OCR rarely
//! damages the same way as the digits.

use rust_decimal::Decimal;

use crate::text::fold;

/// The value of a French number word (folded), with one OCR slip allowed in long words.
fn word_value(word: &str) -> Option<u64> {
    const WORDS: [(&str, u64); 22] = [
        ("zero", 0),
        ("un", 1),
        ("une", 1),
        ("deux", 2),
        ("trois", 3),
        ("quatre", 4),
        ("cinq", 5),
        ("six", 6),
        ("sept", 7),
        ("huit", 8),
        ("neuf", 9),
        ("dix", 10),
        ("onze", 11),
        ("douze", 12),
        ("treize", 13),
        ("quatorze", 14),
        ("quinze", 15),
        ("seize", 16),
        ("vingt", 20),
        ("trente", 30),
        ("quarante", 40),
        ("cinquante", 50),
    ];
    let exact = WORDS
        .iter()
        .chain([("soixante", 60), ("vingts", 20)].iter())
        .find(|(w, _)| *w == word)
        .map(|(_, v)| *v);
    exact.or_else(|| {
        (word.len() >= 6)
            .then(|| {
                WORDS
                    .iter()
                    .chain([("soixante", 60)].iter())
                    .find(|(w, _)| w.len() >= 6 && strsim::levenshtein(w, word) <= 1)
                    .map(|(_, v)| *v)
            })
            .flatten()
    })
}

/// A French number in words: "quatre mille six cent quatre vingts" → 4680. `None` when a word
/// is not a number word.
fn number(words: &[&str]) -> Option<u64> {
    let (mut total, mut current, mut last) = (0u64, 0u64, 0u64);
    let mut any = false;
    for w in words {
        match *w {
            "et" => continue,
            "cent" | "cents" => current = current.max(1) * 100,
            "mille" | "mile" => {
                total += current.max(1) * 1000;
                current = 0;
            }
            "million" | "millions" => {
                total += current.max(1) * 1_000_000;
                current = 0;
            }
            w => {
                let v = word_value(w)?;
                // "quatre vingt": 4 × 20.
                if v == 20 && last == 4 {
                    current += 76;
                } else {
                    current += v;
                }
                last = v;
                any = true;
                continue;
            }
        }
        last = 0;
        any = true;
    }
    any.then_some(total + current)
}

/// The amount written in words after "somme de" in the text, if any.
pub(crate) fn amount_in_words(text: &str) -> Option<Decimal> {
    let folded = fold(&text.replace(['-', '\n'], " "));
    let start = folded.find("somme de")? + "somme de".len();
    let words: Vec<&str> = folded[start..]
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .take(30)
        .collect();
    let unit = words
        .iter()
        .position(|w| matches!(*w, "dirham" | "dirhams" | "dh" | "dhs"))?;
    let dirhams = number(&words[..unit])?;
    let rest = &words[unit + 1..];
    // "… dirhams et quarante centimes", OCR debris maybe in between (a line wrapped).
    let centimes = match rest
        .iter()
        .take(8)
        .position(|w| matches!(*w, "centime" | "centimes"))
    {
        Some(end) => {
            let start = rest[..end]
                .iter()
                .rposition(|w| word_value(w).is_none())
                .map_or(0, |p| p + 1);
            Some(number(&rest[start..end])?).filter(|c| *c < 100)?
        }
        // "dirhams et" and no centimes to be read: the amount is not whole.
        None if rest.first() == Some(&"et") => return None,
        None => 0,
    };
    Some(Decimal::from(dirhams) + Decimal::new(centimes as i64, 2))
}

#[cfg(test)]
mod tests {
    use super::*;
    use rust_decimal_macros::dec;

    #[test]
    fn totals_in_words() {
        let cases = [
            (
                "à la somme de quatre mille six cent quatre-vingts dirhams TTC.",
                Some(dec!(4680)),
            ),
            (
                "la somme de mille deux cent quarante-cinq dirhams et soixante centimes",
                Some(dec!(1245.60)),
            ),
            (
                "somme de soixante-dix-sept mille dirhams",
                Some(dec!(77000)),
            ),
            ("somme de deux cents dirhams", Some(dec!(200))),
            (
                "à la somme de quatre mile six cent quatre-vingts dirhams TTC",
                Some(dec!(4680)),
            ),
            ("somme de quatre-vingt-dix-neuf dirhams", Some(dec!(99))),
            (
                "somme de vingt et un mille trois cent dirhams",
                Some(dec!(21300)),
            ),
            (
                "somme de trois mille cinq cent quatorze dirhams quatre-vingt centimes",
                Some(dec!(3514.80)),
            ),
            (
                "Somme de cinquanle deux mille cinq cents dirhams",
                Some(dec!(52500)),
            ),
            (
                "somme de : CINQ MILLE CENT QUARANTE-SEPT DIRHAMS ET | Fe:\n| QUARANTE CENTIMES TTC.",
                Some(dec!(5147.40)),
            ),
            ("somme de cinq mille dirhams et | Fe: illisible", None),
            ("somme de 1 200,00 DH", None),
            ("la somme de vous rembourser", None),
            ("Total TTC 1 245,60", None),
        ];
        for (text, expected) in cases {
            assert_eq!(amount_in_words(text), expected, "{text}");
        }
    }
}
