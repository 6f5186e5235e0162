//! One pass over the lines: each label gets the value that follows it — on its line, up to the
//! next label, or, when a layout puts labels and values in separate blocks, on the next lines
//! holding only values, in the order the labels came.

use chrono::{Datelike, NaiveDate};
use rust_decimal::Decimal;

use crate::date::{
    FoundDate, MonthYear, month_of, quarter, rejoin_wrapped_dates, scan_dates, scan_month_years,
};
use crate::labels::{Hit, Place, Slot, hits};
use crate::number::{Amount, is_currency_word, scan_amounts};
use crate::text::{Line, digit_at, lines};
use crate::words::amount_in_words;

/// A value read for a field, and how sure the reading is (the label's strength, lowered for a
/// value taken from a later line or repaired from OCR slips).
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Candidate<T> {
    pub value: T,
    pub strength: f32,
}

/// A line with what was found in it.
#[derive(Debug)]
pub(crate) struct ReadLine {
    pub line: Line,
    pub dates: Vec<FoundDate>,
    pub months: Vec<MonthYear>,
    pub amounts: Vec<Amount>,
    pub hits: Vec<Hit>,
}

/// Everything the labels gave.
#[derive(Debug, Default)]
pub(crate) struct Reading {
    pub lines: Vec<ReadLine>,
    pub ht: Vec<Candidate<Decimal>>,
    pub tva: Vec<Candidate<Decimal>>,
    pub ttc: Vec<Candidate<Decimal>>,
    pub rates: Vec<Candidate<Decimal>>,
    pub date_facture: Vec<Candidate<NaiveDate>>,
    pub echeance: Vec<Candidate<NaiveDate>>,
    pub periode: Vec<Candidate<(NaiveDate, NaiveDate)>>,
    pub numero: Vec<Candidate<String>>,
    /// Dates no label took (line, date).
    pub loose_dates: Vec<(usize, NaiveDate)>,
    /// Money amounts no label took.
    pub loose_amounts: Vec<Decimal>,
    /// The TVA lines that print their rate: (rate, amount), as a bill taxed at 7 % and 14 %
    /// prints them.
    pub tva_lines: Vec<(Decimal, Decimal)>,
    /// "du 01/04/2025 au" whose end is on a later line: its start and line.
    open_range: Option<(NaiveDate, usize)>,
}

/// How much a value read on a later line is trusted compared with one beside its label.
const LATER_LINE: f32 = 0.9;
/// How many lines a label waits for its value (a block of values may come after a block of
/// labels, the address and the table between).
const WAIT_LINES: usize = 20;
/// A value of a block of several, in the labels' order: blocks shift when a row's amount
/// comes first, so never sure enough to overrule the arithmetic.
const IN_BLOCK: f32 = 0.75;
/// A value of a block taken out of the labels' order.
const OUT_OF_ORDER: f32 = 0.5;
/// A small whole number after an amount's label, printed without decimals nor currency.
const NOT_MONEY: f32 = 0.6;
/// Strength of a range split over two lines.
const SPLIT_RANGE: f32 = 0.85;
/// A period is at most this long (a quarter, a reading period).
const MAX_PERIOD_DAYS: i64 = 100;
/// Strength of the total written in words.
const IN_WORDS: f32 = 0.55;
/// Strength of a date printed beside the invoice number without a label of its own.
const NUMBER_DATE: f32 = 0.7;
/// A repaired OCR slip ("1 O38,00") costs this much.
const REPAIRED: f32 = 0.9;

/// The VAT rates of Morocco.
pub(crate) const RATES: [i64; 4] = [7, 10, 14, 20];

pub(crate) fn is_rate(value: Decimal) -> bool {
    RATES.iter().any(|r| Decimal::from(*r) == value)
}

#[derive(Debug, Clone, Copy)]
struct Waiting {
    slot: Slot,
    strength: f32,
    line: usize,
    /// An amount label that has its value in order, still offered the next ones.
    taken: bool,
    /// The rate a TVA label prints ("TVA 7 %").
    rate: Option<Decimal>,
}

impl Reading {
    pub(crate) fn read(text: &str) -> Reading {
        let mut reading = Reading::default();
        let mut waiting: Vec<Waiting> = Vec::new();
        let lines = rejoin_wrapped_dates(lines(text));
        for (n, line) in lines.iter().map(|l| Line::new(l)).enumerate() {
            let dates = scan_dates(&line);
            let months = scan_month_years(&line, &dates);
            let mut masked: Vec<(usize, usize)> = dates.iter().map(|d| (d.start, d.end)).collect();
            masked.extend(
                months
                    .iter()
                    .filter(|m| !m.numeric)
                    .map(|m| (m.start, m.end)),
            );
            let amounts = scan_amounts(&line.raw, &masked);
            let hits = hits(&line);
            let read = ReadLine {
                line,
                dates,
                months,
                amounts,
                hits,
            };
            waiting.retain(|w| n - w.line <= WAIT_LINES);
            reading.take_line(n, &read, &mut waiting);
            reading.lines.push(read);
        }
        if let Some(total) = amount_in_words(text) {
            reading.ttc.push(Candidate {
                value: total,
                strength: IN_WORDS,
            });
            reading.loose_amounts.push(total);
        }
        reading
    }

    fn take_line(&mut self, n: usize, read: &ReadLine, waiting: &mut Vec<Waiting>) {
        let mut used_dates: Vec<usize> = Vec::new();
        let mut used_amounts: Vec<usize> = Vec::new();
        let mut periode_found = false;
        // The end of a range opened on one of the two lines before.
        if let Some((start, since)) = self.open_range.take()
            && n - since <= 2
        {
            let labelled_otherwise = |d: &FoundDate| {
                read.hits
                    .iter()
                    .any(|h| h.slot != Slot::Periode && h.end <= d.start && d.start < h.region_end)
            };
            let end = read.dates.iter().enumerate().find(|(_, d)| {
                d.date > start
                    && (d.date - start).num_days() <= MAX_PERIOD_DAYS
                    && !labelled_otherwise(d)
            });
            match end {
                Some((i, d)) => {
                    used_dates.push(i);
                    self.periode.push(Candidate {
                        value: (start, d.date),
                        strength: SPLIT_RANGE,
                    });
                    periode_found = true;
                }
                None => self.open_range = Some((start, since)),
            }
        }
        if let Some((range, used, strength)) = date_range(read) {
            self.periode.push(Candidate {
                value: range,
                strength,
            });
            used_dates.extend(used);
            periode_found = true;
        } else if let Some((i, start, end)) = open_range(read) {
            used_dates.push(i);
            match end {
                Some(end) => self.periode.push(Candidate {
                    value: (start, end),
                    strength: SPLIT_RANGE,
                }),
                None => self.open_range = Some((start, n)),
            }
            periode_found = true;
        }
        for hit in &read.hits {
            if hit.slot == Slot::Periode && periode_found {
                continue;
            }
            let took = self.take_hit(read, hit, &mut used_dates, &mut used_amounts);
            let waits = match hit.slot {
                Slot::Ht | Slot::Tva | Slot::Ttc | Slot::Echeance => true,
                Slot::DateFacture | Slot::Numero => hit.place != Place::Before,
                Slot::Periode => hit.strength >= 1.0,
                Slot::Taux | Slot::Other => false,
            };
            if !took && waits {
                waiting.push(Waiting {
                    slot: hit.slot,
                    strength: hit.strength,
                    line: n,
                    taken: false,
                    rate: rate_in(read, hit),
                });
            }
        }
        if read.hits.is_empty() && !read.line.is_blank() {
            self.take_for_waiting(read, waiting, &mut used_dates, &mut used_amounts);
        }
        for (i, d) in read.dates.iter().enumerate() {
            if !used_dates.contains(&i) {
                self.loose_dates.push((n, d.date));
            }
        }
        for (i, a) in read.amounts.iter().enumerate() {
            if !used_amounts.contains(&i) && a.is_money() {
                self.loose_amounts.push(a.value);
            }
        }
    }

    /// The value of one label on its own line; whether it found one.
    fn take_hit(
        &mut self,
        read: &ReadLine,
        hit: &Hit,
        used_dates: &mut Vec<usize>,
        used_amounts: &mut Vec<usize>,
    ) -> bool {
        let in_region = |start: usize| start >= hit.end && start < hit.region_end;
        let right_after = |start: usize| {
            start >= hit.end
                && read.line.raw[hit.end..start]
                    .iter()
                    .all(|c| !c.is_alphanumeric())
                && start - hit.end <= 4
        };
        let placed =
            |start: usize| in_region(start) && (hit.place != Place::Before || right_after(start));
        match hit.slot {
            Slot::Ht | Slot::Tva | Slot::Ttc => {
                for (i, a) in read.amounts.iter().enumerate() {
                    if !in_region(a.start) {
                        continue;
                    }
                    if a.percent {
                        used_amounts.push(i);
                        if hit.slot == Slot::Tva && is_rate(a.value) {
                            self.rates.push(Candidate {
                                value: a.value,
                                strength: hit.strength,
                            });
                        }
                        continue;
                    }
                    used_amounts.push(i);
                    self.push_amount(hit.slot, a, hit.strength);
                    if hit.slot == Slot::Tva
                        && let Some(rate) = rate_in(read, hit)
                    {
                        self.tva_lines.push((rate, a.value));
                    }
                    return true;
                }
                false
            }
            Slot::Taux => {
                for (i, a) in read.amounts.iter().enumerate() {
                    if in_region(a.start) && is_rate(a.value) {
                        used_amounts.push(i);
                        self.rates.push(Candidate {
                            value: a.value,
                            strength: hit.strength,
                        });
                        return true;
                    }
                }
                false
            }
            Slot::DateFacture | Slot::Echeance => {
                let found = read
                    .dates
                    .iter()
                    .enumerate()
                    .find(|(i, d)| placed(d.start) && !used_dates.contains(i));
                match found {
                    Some((i, d)) => {
                        used_dates.push(i);
                        let list = if hit.slot == Slot::Echeance {
                            &mut self.echeance
                        } else {
                            &mut self.date_facture
                        };
                        list.push(Candidate {
                            value: d.date,
                            strength: hit.strength,
                        });
                        true
                    }
                    None => false,
                }
            }
            Slot::Periode => {
                let month = read
                    .months
                    .iter()
                    .find(|m| in_region(m.start))
                    .and_then(MonthYear::bounds)
                    .or_else(|| quarter(&read.line));
                if let Some(range) = month {
                    self.periode.push(Candidate {
                        value: range,
                        strength: hit.strength,
                    });
                }
                month.is_some()
            }
            Slot::Numero => match code_after(&read.line, hit.end, hit.region_end, &read.dates) {
                Some(code) if hit.place != Place::Before || code.0 - hit.end <= 4 => {
                    self.numero.push(Candidate {
                        value: code.1,
                        strength: hit.strength,
                    });
                    // "Facture N° 123 - 15/01/2025": the number's date is the invoice's.
                    if let Some((i, d)) = read
                        .dates
                        .iter()
                        .enumerate()
                        .find(|(i, d)| in_region(d.start) && !used_dates.contains(i))
                    {
                        used_dates.push(i);
                        self.date_facture.push(Candidate {
                            value: d.date,
                            strength: NUMBER_DATE,
                        });
                    }
                    true
                }
                _ => false,
            },
            Slot::Other => {
                for (i, d) in read.dates.iter().enumerate() {
                    if in_region(d.start) {
                        used_dates.push(i);
                    }
                }
                for (i, a) in read.amounts.iter().enumerate() {
                    if in_region(a.start) {
                        used_amounts.push(i);
                    }
                }
                true
            }
        }
    }

    fn push_amount(&mut self, slot: Slot, a: &Amount, strength: f32) {
        let strength = if a.repaired {
            strength * REPAIRED
        } else {
            strength
        };
        // A small number printed like a count ("TVA7 4"): OCR debris more than an amount.
        let strength = if !a.is_money() && a.value < Decimal::ONE_HUNDRED {
            strength * NOT_MONEY
        } else {
            strength
        };
        let list = match slot {
            Slot::Ht => &mut self.ht,
            Slot::Tva => &mut self.tva,
            _ => &mut self.ttc,
        };
        list.push(Candidate {
            value: a.value,
            strength,
        });
        // "TVA 20 207,60" read as one number: the rate, then the amount.
        if let Some((head, tail)) = a.split
            && slot == Slot::Tva
            && is_rate(head)
        {
            self.tva.push(Candidate {
                value: tail,
                strength: strength * LATER_LINE,
            });
            self.rates.push(Candidate {
                value: head,
                strength: strength * LATER_LINE,
            });
        }
    }

    /// A line without labels holding only values gives them to the labels waiting, in order.
    fn take_for_waiting(
        &mut self,
        read: &ReadLine,
        waiting: &mut Vec<Waiting>,
        used_dates: &mut Vec<usize>,
        used_amounts: &mut Vec<usize>,
    ) {
        if waiting.is_empty() {
            return;
        }
        let first_numero = waiting.iter().position(|w| w.slot == Slot::Numero);
        if !values_only(read) {
            // "N° facture" alone, its number on the next line.
            if let Some(k) = first_numero
                && let Some((_, code)) = code_after(&read.line, 0, read.line.raw.len(), &read.dates)
                && read.line.words.len() <= 3
            {
                let w = waiting.remove(k);
                self.numero.push(Candidate {
                    value: code,
                    strength: w.strength * LATER_LINE,
                });
            }
            return;
        }
        if let Some((range, used, strength)) = date_range(read)
            && let Some(k) = waiting.iter().position(|w| w.slot == Slot::Periode)
        {
            waiting.remove(k);
            used_dates.extend(used);
            self.periode.push(Candidate {
                value: range,
                strength: strength * LATER_LINE,
            });
        }
        for (i, d) in read.dates.iter().enumerate() {
            if used_dates.contains(&i) {
                continue;
            }
            if let Some(k) = waiting.iter().position(|w| w.slot.wants_date()) {
                let w = waiting.remove(k);
                used_dates.push(i);
                let list = if w.slot == Slot::Echeance {
                    &mut self.echeance
                } else {
                    &mut self.date_facture
                };
                list.push(Candidate {
                    value: d.date,
                    strength: w.strength * LATER_LINE,
                });
            }
        }
        // Amounts: in the labels' order, and each also a weaker candidate of every other label
        // waiting (a block may hold a row's amount first): the arithmetic decides.
        for (i, a) in read.amounts.iter().enumerate() {
            if a.percent {
                continue;
            }
            let first = waiting
                .iter()
                .position(|w| w.slot.wants_amount() && !w.taken);
            let in_order = if waiting.iter().filter(|w| w.slot.wants_amount()).count() > 1 {
                IN_BLOCK
            } else {
                LATER_LINE
            };
            for (k, w) in waiting.iter_mut().enumerate() {
                if !w.slot.wants_amount() {
                    continue;
                }
                let strength = if Some(k) == first {
                    w.taken = true;
                    if let (Slot::Tva, Some(rate)) = (w.slot, w.rate) {
                        self.tva_lines.push((rate, a.value));
                    }
                    w.strength * in_order
                } else {
                    w.strength * OUT_OF_ORDER
                };
                used_amounts.push(i);
                let slot = w.slot;
                self.push_amount(slot, a, strength);
            }
        }
    }
}

/// The Moroccan rate a label prints in its region ("TVA 14 %", "TVA (7%)").
fn rate_in(read: &ReadLine, hit: &Hit) -> Option<Decimal> {
    read.amounts
        .iter()
        .find(|a| a.percent && a.start >= hit.end && a.start < hit.region_end && is_rate(a.value))
        .map(|a| a.value)
}

/// Whether a line holds only values: its words all belong to dates, amounts or currency words.
fn values_only(read: &ReadLine) -> bool {
    let spans: Vec<(usize, usize)> = read
        .dates
        .iter()
        .map(|d| (d.start, d.end))
        .chain(read.amounts.iter().map(|a| (a.start, a.end)))
        .chain(read.months.iter().map(|m| (m.start, m.end)))
        .collect();
    !spans.is_empty()
        && read.line.words.iter().all(|w| {
            is_currency_word(&w.text)
                || matches!(w.text.as_str(), "au" | "du" | "ttc" | "ht")
                || spans.iter().any(|&(a, b)| a <= w.start && w.end <= b)
        })
}

/// "du 09/04/2025 au" with its end on a later line, or "du 9 avril 2025 au 8 mai" (the year
/// wrapped to the next line): the start's index, the start, and the end when the line has it.
fn open_range(read: &ReadLine) -> Option<(usize, NaiveDate, Option<NaiveDate>)> {
    let words = &read.line.words;
    let (i, start) = read.dates.iter().enumerate().rev().find(|(_, d)| {
        words
            .iter()
            .rev()
            .find(|w| w.end <= d.start)
            .is_some_and(|w| w.text == "du")
    })?;
    let after: Vec<&str> = words
        .iter()
        .filter(|w| w.start >= start.end)
        .map(|w| w.text.as_str())
        .collect();
    if after.first() != Some(&"au") || read.dates.iter().any(|d| d.start >= start.end) {
        return None;
    }
    // "au 8 mai": the year is the start's, or the next one.
    let end = match after.get(1..3) {
        Some([day, month]) => day
            .parse::<u32>()
            .ok()
            .zip(month_of(month))
            .and_then(|(d, m)| {
                let year = start.date.year() + i32::from(m < start.date.month());
                NaiveDate::from_ymd_opt(year, m, d)
            }),
        _ => None,
    };
    Some((i, start.date, end))
}

/// "du 01/01/2025 au 31/01/2025", "Période : 01/01/2025 - 31/01/2025": the range, the indices of
/// its dates and its strength.
fn date_range(read: &ReadLine) -> Option<((NaiveDate, NaiveDate), [usize; 2], f32)> {
    let line = &read.line;
    let periode_label = read.hits.iter().any(|h| h.slot == Slot::Periode);
    read.dates.windows(2).enumerate().find_map(|(i, pair)| {
        let (a, b) = (pair[0], pair[1]);
        if a.date > b.date {
            return None;
        }
        let between = fold_between(line, a.end, b.start);
        let joined = matches!(between.trim(), "au" | "a" | "-" | "/" | "jusqu au" | "->");
        let word_before = line
            .words
            .iter()
            .rev()
            .find(|w| w.end <= a.start)
            .map(|w| w.text.as_str());
        let opens = word_before == Some("du") || periode_label;
        (joined && opens).then_some((
            (a.date, b.date),
            [i, i + 1],
            if periode_label { 1.0 } else { 0.85 },
        ))
    })
}

fn fold_between(line: &Line, start: usize, end: usize) -> String {
    line.folded[start..end.max(start)]
        .iter()
        .collect::<String>()
        .replace('\'', " ")
}

/// The code printed after a label ("F-2025/0012", "FA 2025 0042"): its start and its text as
/// printed, punctuation around it and OCR slips inside digit runs removed. It must hold a digit
/// and be no date.
fn code_after(line: &Line, from: usize, to: usize, dates: &[FoundDate]) -> Option<(usize, String)> {
    let chars = &line.raw;
    let to = to.min(chars.len());
    let mut i = from;
    let skipped = |c: char| {
        c.is_whitespace()
            || matches!(
                c,
                ':' | ';' | '.' | '=' | '#' | '°' | 'º' | '-' | '\'' | '’' | '*' | '"'
            )
    };
    while i < to && skipped(chars[i]) {
        i += 1;
    }
    let start = i;
    let mut end = i;
    while end < to && !chars[end].is_whitespace() {
        end += 1;
    }
    let first: String = chars[start..end].iter().collect();
    let mut end_all = end;
    // "FA 2025-0042": a short prefix of capitals, then the number.
    if first.chars().all(|c| c.is_ascii_uppercase()) && (1..=4).contains(&first.len()) {
        let mut j = end;
        while j < to && chars[j] == ' ' {
            j += 1;
        }
        let mut k = j;
        while k < to && !chars[k].is_whitespace() {
            k += 1;
        }
        if chars.get(j).is_some_and(char::is_ascii_digit) {
            end_all = k;
        }
    }
    let mut code: Vec<char> = chars[start..end_all].to_vec();
    while code
        .last()
        .is_some_and(|c| matches!(c, '.' | ',' | ';' | ':' | ')'))
    {
        code.pop();
    }
    // Only the slips that codes do not use as letters: "O" for 0, "l" or "I" for 1.
    let repaired: String = (0..code.len())
        .map(|k| match digit_at(&code, k) {
            Some((d, true)) if matches!(code[k], 'O' | 'o' | 'l' | 'I') => {
                char::from_digit(d, 10).unwrap_or(code[k])
            }
            _ => code[k],
        })
        .collect();
    let is_date = dates.iter().any(|d| d.start == start);
    let ok = repaired.chars().any(|c| c.is_ascii_digit())
        && repaired.chars().count() <= 30
        && !is_date
        && repaired.chars().any(|c| c.is_alphanumeric());
    ok.then_some((start, repaired))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;
    use rust_decimal_macros::dec;

    fn values<T: Clone>(list: &[Candidate<T>]) -> Vec<T> {
        list.iter().map(|c| c.value.clone()).collect()
    }

    #[test]
    fn values_beside_their_labels() {
        let r = Reading::read(
            "Facture N° FA-2025/0012 du 15/01/2025\nTotal HT ....... 1 038,00\nTVA 20 % 207,60\nNet à payer : 1 245,60 DH",
        );
        assert_eq!(values(&r.numero), ["FA-2025/0012"]);
        assert_eq!(
            values(&r.date_facture),
            NaiveDate::from_ymd_opt(2025, 1, 15)
                .into_iter()
                .collect::<Vec<_>>()
        );
        assert_eq!(values(&r.ht), [dec!(1038.00)]);
        assert_eq!(values(&r.tva), [dec!(207.60)]);
        assert_eq!(values(&r.rates), [dec!(20)]);
        assert_eq!(values(&r.ttc), [dec!(1245.60)]);
        let r = Reading::read("FACTURE N° 2025-0012 - 15/01/2025\r\nClient : X");
        assert_eq!(values(&r.numero), ["2025-0012"]);
        assert_eq!(
            values(&r.date_facture),
            NaiveDate::from_ymd_opt(2025, 1, 15)
                .into_iter()
                .collect::<Vec<_>>()
        );
        assert_eq!(r.lines.len(), 2);
    }

    #[test]
    fn values_in_a_block_after_their_labels() {
        let r = Reading::read("Total HT\nTVA 20%\nTotal TTC\n\n1 038,00\n207,60\n1 245,60 DH");
        let strongest = |list: &[Candidate<Decimal>]| {
            list.iter()
                .max_by(|a, b| a.strength.total_cmp(&b.strength))
                .map(|c| (c.value, c.strength))
        };
        assert_eq!(strongest(&r.ht).map(|c| c.0), Some(dec!(1038.00)));
        assert_eq!(strongest(&r.tva).map(|c| c.0), Some(dec!(207.60)));
        assert_eq!(strongest(&r.ttc).map(|c| c.0), Some(dec!(1245.60)));
        assert!(strongest(&r.ttc).is_some_and(|c| c.1 < 1.0));
        // Each value of the block is also a weaker candidate of the other labels.
        assert_eq!(values(&r.ttc).len(), 3);
    }

    #[test]
    fn a_table_header_takes_no_value_from_the_rows() {
        let r = Reading::read(
            "Désignation Qté Montant HT\nEntretien mensuel 1 2 500,00\nTotal HT 2 500,00",
        );
        assert_eq!(values(&r.ht), [dec!(2500.00)]);
    }

    #[test]
    fn periods_as_ranges_months_and_quarters() {
        let d = |m, day| NaiveDate::from_ymd_opt(2025, m, day).unwrap();
        let r = Reading::read("Période du 01/01/2025 au 31/01/2025");
        assert_eq!(values(&r.periode), [(d(1, 1), d(1, 31))]);
        assert!(r.date_facture.is_empty());
        let r = Reading::read("Période : février 2025");
        assert_eq!(values(&r.periode), [(d(2, 1), d(2, 28))]);
        let r = Reading::read("Période de facturation\ndu 01/03/2025 au 31/03/2025");
        assert_eq!(values(&r.periode), [(d(3, 1), d(3, 31))]);
        // Wrapped by a narrow column.
        let r =
            Reading::read("Trimestre du 01.04.2025 au | 17, Rue Oued Sebou\n30.06 2025 ICE : 0012");
        assert_eq!(values(&r.periode), [(d(4, 1), d(6, 30))]);
        let r =
            Reading::read("Période facturée du 9 avril 2025 au 8 mai Fe\nAvenue Hassan II 2025");
        assert_eq!(values(&r.periode), [(d(4, 9), d(5, 8))]);
        let r = Reading::read(
            "du 01-05-2025 au Résidence Les Cèdres\nPériode de prestation 31-05-2025",
        );
        assert_eq!(values(&r.periode), [(d(5, 1), d(5, 31))]);
        assert!(r.loose_dates.is_empty());
    }
}
