//! Exact money arithmetic of the domain: splitting a call for funds by quote-part and allocating
//! a payment to the oldest open échéances. Pure functions, shared by the seed and the write tools.

use rust_decimal::Decimal;

/// Splits `total` (in units of `10^-scale`, e.g. centimes with `scale = 2`) over `weights` by the
/// largest-remainder method: every part is `floor(total * w / Σw)`, then the units left over go
/// one each to the largest fractional remainders (ties: the earlier weight). The parts add up to
/// `total` exactly. Returns `None` when the weights are empty or all zero, or `total` is negative.
pub fn split_largest_remainder(total: i64, weights: &[u64]) -> Option<Vec<i64>> {
    let sum: u128 = weights.iter().map(|&w| u128::from(w)).sum();
    if sum == 0 || total < 0 {
        return None;
    }
    let total_u = u128::try_from(total).ok()?;
    let mut parts = Vec::with_capacity(weights.len());
    let mut remainders = Vec::with_capacity(weights.len());
    let mut allocated: u128 = 0;
    for (i, &w) in weights.iter().enumerate() {
        let exact = total_u * u128::from(w);
        let part = exact / sum;
        allocated += part;
        parts.push(part);
        remainders.push((exact % sum, i));
    }
    let left = total_u - allocated; // < weights.len()
    remainders.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(&b.1)));
    for &(_, i) in remainders.iter().take(usize::try_from(left).ok()?) {
        parts[i] += 1;
    }
    parts.into_iter().map(|p| i64::try_from(p).ok()).collect()
}

/// Splits an amount of money (2 decimals) by quote-part, exact to the centime.
pub fn split_amount(total: Decimal, tantiemes: &[u64]) -> Option<Vec<Decimal>> {
    let centimes = to_centimes(total)?;
    let parts = split_largest_remainder(centimes, tantiemes)?;
    Some(parts.into_iter().map(|c| Decimal::new(c, 2)).collect())
}

/// The amount in centimes, when it has at most two decimals.
pub fn to_centimes(amount: Decimal) -> Option<i64> {
    let scaled = amount.checked_mul(Decimal::ONE_HUNDRED)?;
    if scaled.fract() != Decimal::ZERO {
        return None;
    }
    i64::try_from(scaled.trunc()).ok()
}

/// An échéance still (partly) open, as the allocation sees it: callers pass them oldest first.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OpenEcheance<K> {
    pub key: K,
    pub remaining: Decimal,
}

/// How a payment is spread: `(échéance, amount)` oldest first, and the credit left over.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Allocation<K> {
    pub parts: Vec<(K, Decimal)>,
    pub credit: Decimal,
}

/// Allocates `amount` to the open échéances in the order given (oldest first): each is covered
/// fully before the next; what remains after the last is a credit.
pub fn allocate_oldest_first<K: Clone>(amount: Decimal, open: &[OpenEcheance<K>]) -> Allocation<K> {
    let mut left = amount.max(Decimal::ZERO);
    let mut parts = Vec::new();
    for e in open {
        if left <= Decimal::ZERO {
            break;
        }
        if e.remaining <= Decimal::ZERO {
            continue;
        }
        let take = left.min(e.remaining);
        parts.push((e.key.clone(), take));
        left -= take;
    }
    Allocation {
        parts,
        credit: left,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use rust_decimal_macros::dec;

    #[test]
    fn split_gives_leftover_centimes_to_largest_remainders() {
        // 100.00 over 3 equal parts: 33.34 + 33.33 + 33.33.
        let parts = split_amount(dec!(100.00), &[1, 1, 1]).unwrap();
        assert_eq!(parts, vec![dec!(33.34), dec!(33.33), dec!(33.33)]);
        // 10.00 over 1/3 and 2/3: 3.333.. and 6.666.. → 3.33 and 6.67.
        let parts = split_amount(dec!(10.00), &[1, 2]).unwrap();
        assert_eq!(parts, vec![dec!(3.33), dec!(6.67)]);
    }

    #[test]
    fn split_refuses_empty_weights_and_sub_centime_totals() {
        assert_eq!(split_amount(dec!(10), &[]), None);
        assert_eq!(split_amount(dec!(10), &[0, 0]), None);
        assert_eq!(split_amount(dec!(10.005), &[1]), None);
    }

    #[test]
    fn allocation_covers_oldest_first_and_keeps_the_credit() {
        let open = vec![
            OpenEcheance {
                key: 1,
                remaining: dec!(300),
            },
            OpenEcheance {
                key: 2,
                remaining: dec!(300),
            },
        ];
        let a = allocate_oldest_first(dec!(450), &open);
        assert_eq!(a.parts, vec![(1, dec!(300)), (2, dec!(150))]);
        assert_eq!(a.credit, dec!(0));
        let a = allocate_oldest_first(dec!(700), &open);
        assert_eq!(a.parts, vec![(1, dec!(300)), (2, dec!(300))]);
        assert_eq!(a.credit, dec!(100));
    }

    proptest! {
        #[test]
        fn split_parts_sum_exactly_to_the_total(
            centimes in 0i64..10_000_000_000,
            weights in proptest::collection::vec(0u64..100_000, 1..200),
        ) {
            prop_assume!(weights.iter().any(|&w| w > 0));
            let total = Decimal::new(centimes, 2);
            let parts = split_amount(total, &weights).unwrap();
            prop_assert_eq!(parts.len(), weights.len());
            prop_assert_eq!(parts.iter().copied().sum::<Decimal>(), total);
            // Each part is within one centime of its exact share, and a zero weight gets nothing.
            let sum: u64 = weights.iter().sum();
            for (p, &w) in parts.iter().zip(&weights) {
                let exact = total * Decimal::from(w) / Decimal::from(sum);
                prop_assert!((*p - exact).abs() < dec!(0.01));
                if w == 0 { prop_assert_eq!(*p, Decimal::ZERO); }
            }
        }

        #[test]
        fn allocation_conserves_the_amount(
            amount in 1i64..10_000_000,
            open in proptest::collection::vec(1i64..1_000_000, 0..30),
        ) {
            let open: Vec<_> = open.iter().enumerate()
                .map(|(i, &c)| OpenEcheance { key: i, remaining: Decimal::new(c, 2) }).collect();
            let a = allocate_oldest_first(Decimal::new(amount, 2), &open);
            let allocated: Decimal = a.parts.iter().map(|p| p.1).sum();
            prop_assert_eq!(allocated + a.credit, Decimal::new(amount, 2));
            for (k, m) in &a.parts { prop_assert!(*m <= open[*k].remaining && *m > Decimal::ZERO); }
            // Credit only when every échéance is covered.
            if a.credit > Decimal::ZERO {
                prop_assert_eq!(allocated, open.iter().map(|e| e.remaining).sum::<Decimal>());
            }
        }
    }
}
