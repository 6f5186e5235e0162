//! Folding and fuzzy matching of names typed by users ("maarif" finds "Al Maârif").
//!
//! [`fold`] is the Rust twin of the SQL function `wakil_fold` (migration 0001), which maintains
//! the `nom_cle` columns: lower case, accents removed, apostrophes and hyphens as spaces, runs of
//! white space folded. A test checks both agree.

/// Lower-cases, strips accents and folds punctuation like `wakil_fold` in SQL.
pub fn fold(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars().flat_map(char::to_lowercase) {
        let mapped = match c {
            'à' | 'á' | 'â' | 'ã' | 'ä' | 'å' | 'ā' | 'æ' => 'a',
            'ç' | 'ć' | 'č' => 'c',
            'è' | 'é' | 'ê' | 'ë' | 'ē' | 'ė' | 'ę' => 'e',
            'î' | 'ï' | 'í' | 'ī' | 'ì' => 'i',
            'ô' | 'ö' | 'ò' | 'ó' | 'õ' | 'ō' | 'ø' | 'œ' => 'o',
            'ù' | 'ú' | 'û' | 'ü' | 'ū' => 'u',
            'ñ' | 'ń' => 'n',
            'ÿ' => 'y',
            '\'' | '’' | '-' => ' ',
            c => c,
        };
        if mapped.is_whitespace() {
            if !out.ends_with(' ') {
                out.push(' ');
            }
        } else {
            out.push(mapped);
        }
    }
    out
}

/// Similarity of a user's query to a candidate name, both folded, in `0.0..=1.0`: the best of
/// the whole-string Jaro-Winkler score and the mean of each query word's best match among the
/// candidate's words (so "alami" matches "Youssef Alami" well).
pub fn similarity(query: &str, candidate: &str) -> f64 {
    let (q, c) = (fold(query), fold(candidate));
    let whole = strsim::jaro_winkler(q.trim(), c.trim());
    let cand_words: Vec<&str> = c.split_whitespace().collect();
    let q_words: Vec<&str> = q.split_whitespace().collect();
    if q_words.is_empty() || cand_words.is_empty() {
        return whole;
    }
    let per_word = q_words
        .iter()
        .map(|qw| {
            cand_words
                .iter()
                .map(|cw| strsim::jaro_winkler(qw, cw))
                .fold(0.0, f64::max)
        })
        .sum::<f64>()
        / q_words.len() as f64;
    whole.max(per_word)
}

/// The `limit` candidates closest to `query` with a similarity of at least `threshold`, best
/// first (ties keep the input order).
pub fn closest<'a, T>(
    query: &str,
    candidates: &'a [T],
    name: impl Fn(&T) -> &str,
    threshold: f64,
    limit: usize,
) -> Vec<&'a T> {
    let mut scored: Vec<(f64, usize)> = candidates
        .iter()
        .enumerate()
        .map(|(i, c)| (similarity(query, name(c)), i))
        .filter(|(s, _)| *s >= threshold)
        .collect();
    scored.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(&b.1)));
    scored
        .into_iter()
        .take(limit)
        .map(|(_, i)| &candidates[i])
        .collect()
}

/// The canonical key of a lot number: letters and digits only, upper case ("lot a-12" → "A12"),
/// the Rust twin of the `numero_cle` column. Words like "lot", "appartement", "appt" are dropped.
pub fn lot_key(text: &str) -> String {
    let folded = fold(text);
    folded
        .split_whitespace()
        .filter(|w| {
            !matches!(
                *w,
                "lot" | "appartement" | "appart" | "appt" | "app" | "n°" | "no" | "numero"
            )
        })
        .flat_map(|w| w.chars())
        .filter(char::is_ascii_alphanumeric)
        .map(|c| c.to_ascii_uppercase())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fold_strips_accents_case_and_punctuation() {
        assert_eq!(fold("Résidence Al Maârif"), "residence al maarif");
        assert_eq!(fold("L'Œuvre  d’Élodie-Çelik"), "l ouvre d elodie celik");
    }

    #[test]
    fn similarity_prefers_the_right_name() {
        let names = ["Youssef Alami", "Fatima Zahra Bennani", "Karim Alaoui"];
        let found = closest("alami", &names, |s| s, 0.8, 3);
        assert_eq!(found.first(), Some(&&"Youssef Alami"));
        let found = closest("benani", &names, |s| s, 0.8, 3);
        assert_eq!(found.first(), Some(&&"Fatima Zahra Bennani"));
    }

    #[test]
    fn lot_keys_ignore_words_and_separators() {
        assert_eq!(lot_key("lot A-12"), "A12");
        assert_eq!(lot_key("appartement 3b"), "3B");
        assert_eq!(lot_key("A 12"), "A12");
    }
}
