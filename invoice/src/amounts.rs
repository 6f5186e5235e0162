//! HT, TVA and TTC settled together: of the amounts the labels gave, the triple that adds up
//! (HT + TVA = TTC, TVA ≈ HT × a Moroccan rate) wins; with two of them the third is derived; when
//! the amounts read do not add up, all three are doubtful and the gap is told.

use rust_decimal::Decimal;

use crate::data::DOUBTFUL_BELOW;
use crate::reading::{Candidate, RATES, Reading};
use crate::text::money;

/// HT + TVA may differ from TTC by this much (a cent of rounding).
const SUM_TOLERANCE: Decimal = Decimal::from_parts(1, 0, 0, false, 2);
/// TVA may differ from HT × rate by this much (rounded per line, or to the dirham).
const RATE_TOLERANCE: Decimal = Decimal::ONE;

/// Whether HT + TVA = TTC, to the cent.
pub(crate) fn adds_up(ht: Decimal, tva: Decimal, ttc: Decimal) -> bool {
    (ht + tva - ttc).abs() <= SUM_TOLERANCE
}

/// The Moroccan VAT rate (7, 10, 14 or 20) that gives `tva` on `ht`, if any.
pub(crate) fn rate_of(ht: Decimal, tva: Decimal) -> Option<Decimal> {
    if ht <= Decimal::ZERO {
        return None;
    }
    RATES
        .iter()
        .map(|r| Decimal::from(*r))
        .map(|r| (r, (ht * r / Decimal::ONE_HUNDRED - tva).abs()))
        .filter(|(_, gap)| *gap <= RATE_TOLERANCE)
        .min_by_key(|(_, gap)| *gap)
        .map(|(r, _)| r)
}

/// The rates a reading supports: one Moroccan rate, or — on a bill taxed at several rates that
/// prints a TVA line per rate — their sum, whose rate is the one of the larger taxable base.
struct Fit<'a> {
    lines: &'a [(Decimal, Decimal)],
}

impl Fit<'_> {
    /// Several rates, each with its line, adding up to `tva`: the dominant rate.
    fn several(&self, tva: Decimal) -> Option<Decimal> {
        let mut rates: Vec<Decimal> = self.lines.iter().map(|l| l.0).collect();
        rates.sort();
        rates.dedup();
        let sum: Decimal = self.lines.iter().map(|l| l.1).sum();
        (rates.len() >= 2 && (sum - tva).abs() <= SUM_TOLERANCE)
            .then(|| {
                self.lines
                    .iter()
                    .max_by_key(|(rate, amount)| amount * Decimal::ONE_HUNDRED / rate)
                    .map(|l| l.0)
            })
            .flatten()
    }

    /// One TVA line read at its rate, the rest of the TVA at another rate on the rest of the
    /// base (the other line misread): the dominant rate.
    fn one_line_and_the_rest(&self, ht: Decimal, tva: Decimal) -> Option<Decimal> {
        self.lines.iter().find_map(|(rate, amount)| {
            let base = amount * Decimal::ONE_HUNDRED / rate;
            let (rest_base, rest_tva) = (ht - base, tva - amount);
            if rest_base <= Decimal::ZERO || rest_tva <= Decimal::ZERO {
                return None;
            }
            let other = rate_of(rest_base, rest_tva).filter(|r| r != rate)?;
            Some(if base >= rest_base { *rate } else { other })
        })
    }

    /// The rate of `tva` on `ht`: one Moroccan rate, or the dominant one of several.
    fn rate(&self, ht: Decimal, tva: Decimal) -> Option<Decimal> {
        rate_of(ht, tva)
            .or_else(|| self.several(tva))
            .or_else(|| self.one_line_and_the_rest(ht, tva))
    }
}

/// An amount's digits with two decimals: "7720.00" → "772000".
fn digits(amount: Decimal) -> String {
    format!("{:.2}", amount)
        .chars()
        .filter(char::is_ascii_digit)
        .collect()
}

/// An amount's digits as read (its own decimals): 772000 → "772000".
fn printed_digits(amount: Decimal) -> String {
    amount
        .to_string()
        .chars()
        .filter(char::is_ascii_digit)
        .collect()
}

/// "HT + TVA ≠ TTC : écart de 0,10 MAD." for the user.
pub(crate) fn gap_note(ht: Decimal, tva: Decimal, ttc: Decimal) -> String {
    format!(
        "HT + TVA ≠ TTC : écart de {} MAD. Vérifiez les montants sur la facture.",
        money((ht + tva - ttc).abs())
    )
}

/// The amounts settled, each with its confidence.
#[derive(Debug, Clone, Default, PartialEq)]
pub(crate) struct Settled {
    pub ht: Option<(Decimal, f32)>,
    pub tva: Option<(Decimal, f32)>,
    pub ttc: Option<(Decimal, f32)>,
    pub taux: Option<(Decimal, f32)>,
    pub notes: Vec<String>,
}

/// Confidence of an amount read beside a label of `strength` in a triple that adds up.
fn consistent(strength: f32) -> f32 {
    0.9 + 0.07 * strength.min(1.0)
}
/// Confidence of the two amounts read of a pair that fits a rate, the third derived.
const PAIR: f32 = 0.9;
/// Confidence of a derived amount (found elsewhere in the text unlabelled: [`PAIR`]).
const DERIVED: f32 = 0.85;
/// Confidence of amounts that do not add up.
const INCONSISTENT: f32 = 0.5;
/// Confidence of amounts whose reading disagreed, settled by a value printed elsewhere.
const REPAIRED: f32 = DOUBTFUL_BELOW - 0.1;
/// Confidence of amounts read without their label, checked by the arithmetic only.
const UNLABELLED: f32 = DOUBTFUL_BELOW - 0.05;
/// Strength of a TVA that is the sum of the lines of several rates, not printed as such.
const SEVERAL_RATES: f32 = 0.85;
/// Confidence of an amount read alone, nothing to check it against.
const ALONE: f32 = 0.6;

/// The distinct values of a list, each with its best strength, strongest first.
fn distinct(list: &[Candidate<Decimal>]) -> Vec<(Decimal, f32)> {
    let mut out: Vec<(Decimal, f32)> = Vec::new();
    for c in list {
        match out.iter_mut().find(|(v, _)| *v == c.value) {
            Some(slot) => slot.1 = slot.1.max(c.strength),
            None => out.push((c.value, c.strength)),
        }
    }
    out.sort_by(|a, b| b.1.total_cmp(&a.1));
    out
}

/// Settles HT, TVA, TTC and the rate from what the labels gave.
pub(crate) fn settle(reading: &Reading) -> Settled {
    let (hts, mut tvas, ttcs) = (
        distinct(&reading.ht),
        distinct(&reading.tva),
        distinct(&reading.ttc),
    );
    let fit = Fit {
        lines: &reading.tva_lines,
    };
    // A bill at several rates: their TVA lines add up to its TVA, printed or not.
    let sum: Decimal = reading.tva_lines.iter().map(|l| l.1).sum();
    if fit.several(sum).is_some() && !tvas.iter().any(|t| t.0 == sum) {
        tvas.push((sum, SEVERAL_RATES));
    }
    let read_rate = distinct(&reading.rates).first().copied();
    let rate_conf =
        |rate: Decimal, ht: Decimal, tva: Decimal, notes: &mut Vec<String>| match read_rate {
            _ if rate_of(ht, tva).is_none() => 0.9,
            Some((r, _)) if r == rate => 0.97,
            Some((r, _)) => {
                notes.push(format!(
                    "Le taux de TVA imprimé ({r} %) ne correspond pas aux montants ({rate} %)."
                ));
                INCONSISTENT
            }
            None => 0.9,
        };
    let mut out = Settled::default();

    // A triple that adds up, the labels' strengths and a fitting rate deciding between several.
    let mut best: Option<(f32, [(Decimal, f32); 3])> = None;
    for h in &hts {
        for t in &tvas {
            for c in &ttcs {
                if !adds_up(h.0, t.0, c.0) {
                    continue;
                }
                let rate = fit.rate(h.0, t.0);
                let score = h.1
                    + t.1
                    + c.1
                    + if rate.is_some() { 1.0 } else { 0.0 }
                    + if rate.is_some() && rate == read_rate.map(|r| r.0) {
                        0.5
                    } else {
                        0.0
                    };
                if best.is_none_or(|(s, _)| score > s) {
                    best = Some((score, [*h, *t, *c]));
                }
            }
        }
    }
    if let Some((_, [h, t, c])) = best {
        match fit.rate(h.0, t.0) {
            Some(rate) => {
                out.ht = Some((h.0, consistent(h.1)));
                out.tva = Some((t.0, consistent(t.1)));
                out.ttc = Some((c.0, consistent(c.1)));
                out.taux = Some((rate, rate_conf(rate, h.0, t.0, &mut out.notes)));
                // A stronger label read another value: the triple that adds up wins, but the
                // reading disagreed.
                let stronger = |list: &[(Decimal, f32)], chosen: (Decimal, f32)| {
                    list.iter()
                        .find(|o| o.0 != chosen.0 && o.1 >= 0.8 && o.1 > chosen.1 + 0.1)
                        .map(|o| o.0)
                };
                let conflicts = [
                    stronger(&hts, h).map(|x| (x, t.0, c.0)),
                    stronger(&tvas, t).map(|x| (h.0, x, c.0)),
                    stronger(&ttcs, c).map(|x| (h.0, t.0, x)),
                ];
                for (k, conflict) in conflicts.into_iter().enumerate() {
                    let Some((a, b, d)) = conflict else { continue };
                    out.notes.push(gap_note(a, b, d));
                    let slot = [&mut out.ht, &mut out.tva, &mut out.ttc][k].as_mut();
                    if let Some(slot) = slot {
                        slot.1 = REPAIRED;
                    }
                }
            }
            None => {
                out.ht = Some((h.0, DOUBTFUL_BELOW + 0.05));
                out.tva = Some((t.0, DOUBTFUL_BELOW + 0.05));
                out.ttc = Some((c.0, DOUBTFUL_BELOW + 0.05));
                out.notes.push(
                    "La TVA ne correspond à aucun taux marocain (7, 10, 14 ou 20 %) : vérifiez le taux."
                        .to_string(),
                );
            }
        }
        return out;
    }

    let strong = |list: &[(Decimal, f32)]| list.first().filter(|c| c.1 >= 0.8).copied();
    if let (Some(h), Some(t), Some(c)) = (strong(&hts), strong(&tvas), strong(&ttcs)) {
        out.notes.push(gap_note(h.0, t.0, c.0));
        // One of the three misread: two fit a rate, and the third they give is printed elsewhere
        // (a repeated total, the amount in words) or is what was read but for one digit or a
        // lost separator ("772000" for "7 720,00"). Still doubtful: the reading disagreed.
        let pair = best_pair(&[h], &[t], &[c], &fit, |p| {
            let (d, read, others) = match p.missing {
                Missing::Ht => (p.ht, h.0, &hts),
                Missing::Tva => (p.tva, t.0, &tvas),
                Missing::Ttc => (p.ttc, c.0, &ttcs),
            };
            reading.loose_amounts.contains(&d)
                || others.iter().any(|o| o.0 == d)
                || strsim::levenshtein(&printed_digits(read), &digits(d)) <= 1
        });
        if let Some(p) = pair {
            out.ht = Some((p.ht, REPAIRED));
            out.tva = Some((p.tva, REPAIRED));
            out.ttc = Some((p.ttc, REPAIRED));
            out.taux = Some((p.rate, REPAIRED));
            let read = match p.missing {
                Missing::Ht => h.0,
                Missing::Tva => t.0,
                Missing::Ttc => c.0,
            };
            out.notes.push(format!(
                "{} lu {} MAD, retenu {} MAD d'après les deux autres montants : vérifiez sur la facture.",
                p.missing.name(),
                money(read),
                money(p.derived())
            ));
        } else {
            out.ht = Some((h.0, INCONSISTENT));
            out.tva = Some((t.0, INCONSISTENT));
            out.ttc = Some((c.0, INCONSISTENT));
            out.taux = read_rate.map(|r| (r.0, INCONSISTENT));
        }
        return out;
    }

    if let Some(pair) = best_pair(&hts, &tvas, &ttcs, &fit, |_| true) {
        let found_elsewhere = reading.loose_amounts.contains(&pair.derived());
        let derived_conf = if found_elsewhere { PAIR } else { DERIVED };
        let (ht, tva, ttc) = pair.amounts();
        let rate = pair.rate;
        out.ht = Some((
            ht,
            if pair.missing == Missing::Ht {
                derived_conf
            } else {
                PAIR
            },
        ));
        out.tva = Some((
            tva,
            if pair.missing == Missing::Tva {
                derived_conf
            } else {
                PAIR
            },
        ));
        out.ttc = Some((
            ttc,
            if pair.missing == Missing::Ttc {
                derived_conf
            } else {
                PAIR
            },
        ));
        out.taux = Some((rate, rate_conf(rate, ht, tva, &mut out.notes)));
        out.notes.push(
            match pair.missing {
                Missing::Ht => "Montant HT calculé : TTC − TVA.",
                Missing::Tva => "Montant de la TVA calculé : TTC − HT.",
                Missing::Ttc => "Total TTC calculé : HT + TVA.",
            }
            .to_string(),
        );
        return out;
    }

    if let Some(found) = completed_by_unlabelled(&hts, &tvas, &ttcs, &reading.loose_amounts, &fit) {
        let conf = |labelled: bool| if labelled { PAIR } else { UNLABELLED };
        out.ht = Some((found.ht, conf(found.labelled == Missing::Ht)));
        out.tva = Some((found.tva, conf(found.labelled == Missing::Tva)));
        out.ttc = Some((found.ttc, conf(found.labelled == Missing::Ttc)));
        out.taux = Some((found.rate, UNLABELLED));
        out.notes.push(
            "Deux montants lus sans leur libellé s'accordent avec le troisième : vérifiez-les."
                .to_string(),
        );
        return out;
    }

    let (h, t, c) = (hts.first(), tvas.first(), ttcs.first());
    match (h, t, c) {
        // No VAT: what is paid is the amount before tax.
        (Some(h), None, Some(c)) if h.0 == c.0 => {
            out.ht = Some((h.0, PAIR));
            out.ttc = Some((c.0, PAIR));
            out.notes.push("Facture sans TVA.".to_string());
        }
        (None, None, Some(c)) => {
            out.ttc = Some((c.0, 0.75 + 0.1 * c.1));
        }
        (Some(h), None, None) if read_rate.is_some() => {
            let rate = read_rate.map_or(Decimal::ZERO, |r| r.0);
            let tva = (h.0 * rate / Decimal::ONE_HUNDRED).round_dp(2);
            out.ht = Some((h.0, ALONE));
            out.tva = Some((tva, ALONE));
            out.ttc = Some((h.0 + tva, ALONE));
            out.taux = Some((rate, ALONE));
            out.notes.push(
                "TVA et total TTC calculés d'après le montant HT et le taux : vérifiez-les."
                    .to_string(),
            );
        }
        _ => {
            out.ht = h.map(|h| (h.0, ALONE));
            out.tva = t.map(|t| (t.0, ALONE));
            out.ttc = c.map(|c| (c.0, ALONE));
            out.taux = read_rate.map(|r| (r.0, ALONE));
            if h.is_some() || t.is_some() || c.is_some() {
                out.notes.push(
                    "Les montants lus ne se recoupent pas (HT, TVA, TTC) : vérifiez-les."
                        .to_string(),
                );
            }
        }
    }
    out
}

/// One amount read beside its label, the two others among the amounts read without one.
struct Completed {
    ht: Decimal,
    tva: Decimal,
    ttc: Decimal,
    rate: Decimal,
    /// The one that was labelled.
    labelled: Missing,
}

/// The labelled amount completed by two unlabelled ones ("total KT 1524,04" misread, "FA A7
/// 106,68"): they must add up to the centime and fit a rate, and only one way.
fn completed_by_unlabelled(
    hts: &[(Decimal, f32)],
    tvas: &[(Decimal, f32)],
    ttcs: &[(Decimal, f32)],
    loose: &[Decimal],
    fit: &Fit,
) -> Option<Completed> {
    let mut loose: Vec<Decimal> = loose
        .iter()
        .copied()
        .filter(|a| *a > Decimal::ZERO)
        .collect();
    loose.sort();
    loose.dedup();
    let has = |x: Decimal| loose.binary_search(&x).is_ok();
    let mut found: Vec<Completed> = Vec::new();
    let mut push = |ht: Decimal, tva: Decimal, ttc: Decimal, labelled| {
        if let Some(rate) = fit.rate(ht, tva) {
            found.push(Completed {
                ht,
                tva,
                ttc,
                rate,
                labelled,
            });
        }
    };
    for &l in &loose {
        for c in ttcs {
            if l < c.0 && has(c.0 - l) {
                push(l, c.0 - l, c.0, Missing::Ttc);
            }
        }
        for h in hts {
            if has(h.0 + l) {
                push(h.0, l, h.0 + l, Missing::Ht);
            }
        }
        for t in tvas {
            if has(l + t.0) {
                push(l, t.0, l + t.0, Missing::Tva);
            }
        }
    }
    found.dedup_by(|a, b| (a.ht, a.tva, a.ttc) == (b.ht, b.tva, b.ttc));
    match found.as_slice() {
        [one] => Some(Completed { ..*one }),
        _ => None,
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Missing {
    Ht,
    Tva,
    Ttc,
}

/// Two amounts read that fit a rate, and the third derived from them.
#[derive(Debug, Clone, Copy)]
struct Pair {
    ht: Decimal,
    tva: Decimal,
    ttc: Decimal,
    rate: Decimal,
    missing: Missing,
    score: f32,
}

impl Missing {
    fn name(self) -> &'static str {
        match self {
            Missing::Ht => "Montant HT",
            Missing::Tva => "Montant de la TVA",
            Missing::Ttc => "Total TTC",
        }
    }
}

impl Pair {
    fn amounts(&self) -> (Decimal, Decimal, Decimal) {
        (self.ht, self.tva, self.ttc)
    }

    fn derived(&self) -> Decimal {
        match self.missing {
            Missing::Ht => self.ht,
            Missing::Tva => self.tva,
            Missing::Ttc => self.ttc,
        }
    }
}

fn best_pair(
    hts: &[(Decimal, f32)],
    tvas: &[(Decimal, f32)],
    ttcs: &[(Decimal, f32)],
    fit: &Fit,
    keep: impl Fn(&Pair) -> bool,
) -> Option<Pair> {
    let mut pairs: Vec<Pair> = Vec::new();
    let mut push = |ht: Decimal, tva: Decimal, ttc: Decimal, missing, score: f32| {
        if let Some(rate) = fit.rate(ht, tva) {
            // Between pairs read as well, the one whose TVA fits its rate to the centime.
            let exact = (ht * rate / Decimal::ONE_HUNDRED).round_dp(2) == tva;
            pairs.push(Pair {
                ht,
                tva,
                ttc,
                rate,
                missing,
                score: score + if exact { 0.05 } else { 0.0 },
            });
        }
    };
    for h in hts {
        for c in ttcs {
            push(h.0, c.0 - h.0, c.0, Missing::Tva, h.1 + c.1);
        }
        for t in tvas {
            push(h.0, t.0, h.0 + t.0, Missing::Ttc, h.1 + t.1);
        }
    }
    for t in tvas {
        for c in ttcs {
            push(c.0 - t.0, t.0, c.0, Missing::Ht, t.1 + c.1);
        }
    }
    pairs
        .into_iter()
        .filter(|p| keep(p))
        .reduce(|a, b| if b.score > a.score { b } else { a })
}

#[cfg(test)]
mod tests {
    use super::*;
    use rust_decimal_macros::dec;

    fn settled(text: &str) -> Settled {
        settle(&Reading::read(text))
    }

    fn value(x: Option<(Decimal, f32)>) -> Option<Decimal> {
        x.map(|v| v.0)
    }

    #[test]
    fn rates_and_sums() {
        assert_eq!(rate_of(dec!(1038.00), dec!(207.60)), Some(dec!(20)));
        assert_eq!(rate_of(dec!(1000), dec!(70)), Some(dec!(7)));
        assert_eq!(rate_of(dec!(1000), dec!(150)), None);
        assert!(adds_up(dec!(1038.00), dec!(207.60), dec!(1245.60)));
        assert!(!adds_up(dec!(1038.00), dec!(207.60), dec!(1245.70)));
    }

    #[test]
    fn the_triple_that_adds_up_wins() {
        let s = settled("Montant HT 500,00\nTotal HT 1 038,00\nTVA 20% 207,60\nTotal TTC 1 245,60");
        assert_eq!(value(s.ht), Some(dec!(1038.00)));
        assert_eq!(value(s.tva), Some(dec!(207.60)));
        assert_eq!(value(s.ttc), Some(dec!(1245.60)));
        assert_eq!(value(s.taux), Some(dec!(20)));
        assert!(s.ht.is_some_and(|h| h.1 >= DOUBTFUL_BELOW));
        assert!(s.notes.is_empty());
    }

    #[test]
    fn two_amounts_give_the_third() {
        let s = settled("Total HT 1 000,00\nNet à payer 1 140,00");
        assert_eq!(value(s.tva), Some(dec!(140.00)));
        assert_eq!(value(s.taux), Some(dec!(14)));
        let (tva_conf, ht_conf) = (s.tva.map_or(0.0, |t| t.1), s.ht.map_or(0.0, |t| t.1));
        assert!(tva_conf < ht_conf && tva_conf >= DOUBTFUL_BELOW);
        assert!(s.notes.iter().any(|n| n.contains("calculé")));
    }

    #[test]
    fn amounts_that_do_not_add_up_are_doubtful() {
        let s = settled("Total HT 1 000,00\nTVA 20% 200,00\nTotal TTC 1 250,10");
        assert_eq!(value(s.ttc), Some(dec!(1250.10)));
        for x in [s.ht, s.tva, s.ttc] {
            assert!(x.is_some_and(|x| x.1 < DOUBTFUL_BELOW));
        }
        assert!(
            s.notes
                .iter()
                .any(|n| n.starts_with("HT + TVA ≠ TTC : écart de 50,10 MAD"))
        );
    }

    #[test]
    fn a_misread_amount_printed_correctly_elsewhere_is_settled_but_doubtful() {
        let s = settled(
            "Total HT 1 000,00\nTVA 20% 200,00\nTotal TTC 1 280,00\nArrêtée à la somme de mille deux cents dirhams",
        );
        assert_eq!(value(s.ttc), Some(dec!(1200)));
        assert!(s.ttc.is_some_and(|x| x.1 < DOUBTFUL_BELOW));
        assert!(
            s.notes
                .iter()
                .any(|n| n.starts_with("HT + TVA ≠ TTC : écart de 80,00 MAD"))
        );
    }

    #[test]
    fn a_misread_amount_printed_in_a_row_is_settled_but_doubtful() {
        let s = settled(
            "Entretien mensuel 1 000,00\nTotal HT 1 080,00\nTVA 20% 200,00\nTotal TTC 1 200,00",
        );
        assert_eq!(value(s.ht), Some(dec!(1000.00)));
        assert_eq!(value(s.taux), Some(dec!(20)));
        assert!(s.ht.is_some_and(|x| x.1 < DOUBTFUL_BELOW));
        assert!(
            s.notes
                .iter()
                .any(|n| n.starts_with("HT + TVA ≠ TTC : écart de 80,00 MAD"))
        );
        // Without that row, the printed amounts stay, all doubtful.
        let s = settled("Total HT 1 380,00\nTVA 20% 200,00\nTotal TTC 1 200,00");
        assert_eq!(value(s.ht), Some(dec!(1380.00)));
        // A separator lost ("772000" for "7 720,00"), or one digit misread: the arithmetic wins,
        // doubtful.
        for ht in ["772000", "7 723,00"] {
            let s = settled(&format!(
                "Total HT {ht} DH\nTVA 20 % 1 544,00\nNet à payer 9 264,00"
            ));
            assert_eq!(value(s.ht), Some(dec!(7720.00)), "{ht}");
            assert!(s.ht.is_some_and(|x| x.1 < DOUBTFUL_BELOW));
        }
    }

    #[test]
    fn a_bill_at_two_rates_takes_the_rate_of_its_larger_base() {
        // Water 300,00 at 7 % and electricity 500,00 at 14 %.
        let text =
            "Total HT 800,00\nTVA 7 % 21,00\nTVA 14 % 70,00\nTotal TVA 91,00\nNet à payer 891,00";
        let s = settled(text);
        assert_eq!(
            (value(s.tva), value(s.taux)),
            (Some(dec!(91.00)), Some(dec!(14)))
        );
        assert!(s.notes.is_empty(), "{:?}", s.notes);
        // Without its "Total TVA" line, and the water larger.
        let s = settled("Total HT 1 300,00\nTVA 7 % 70,00\nTVA 14 % 42,00\nNet à payer 1 412,00");
        assert_eq!(
            (value(s.tva), value(s.taux)),
            (Some(dec!(112.00)), Some(dec!(7)))
        );
        assert!(s.ttc.is_some_and(|x| x.1 >= DOUBTFUL_BELOW));
        // "TVA 7 %" misread: the 14 % line and the totals say the rest is at 7 %.
        let s = settled(
            "Total HT 800,00\nTAT% 21,00\nTVA 14 % 70,00\nTotal TVA 91,00\nNet à payer 891,00",
        );
        assert_eq!(
            (value(s.tva), value(s.taux)),
            (Some(dec!(91.00)), Some(dec!(14)))
        );
    }

    #[test]
    fn a_total_completed_by_unlabelled_amounts_that_fit() {
        let s = settled("Eau 1 400,00\nBase eau 1524,04\nFA A7 106,68\nTotal TTC 1630,72 DH");
        assert_eq!(
            (value(s.ht), value(s.tva), value(s.taux)),
            (Some(dec!(1524.04)), Some(dec!(106.68)), Some(dec!(7)))
        );
        assert!(s.ht.is_some_and(|x| x.1 < DOUBTFUL_BELOW));
        assert!(s.ttc.is_some_and(|x| x.1 >= DOUBTFUL_BELOW));
        // Two ways to complete it: neither.
        let s = settled("100,00 20,00 110,00 10,00\nTotal TTC 120,00 DH");
        assert_eq!(value(s.ht), None);
    }

    #[test]
    fn a_total_alone() {
        let s = settled("Total 1 800 DH");
        assert_eq!(value(s.ttc), Some(dec!(1800)));
        assert_eq!(s.ht, None);
        assert!(s.ttc.is_some_and(|x| x.1 >= DOUBTFUL_BELOW));
    }
}
