//! The shapes of résidence the generator builds: lots by floor with a per-résidence numbering
//! scheme, and the yearly budget of such a building.

use crate::types::{Categorie, LotType};

use super::rng::Rng;

/// A building plan. The three demo résidences each have one; the benchmark cycles through them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Layout {
    /// Two buildings A and B, floors 1–4, four flats a floor (`A12` = building A, floor 1,
    /// door 2), two shops `M1`–`M2`, six parkings `P01`–`P06`, a garden, two lifts.
    Gueliz,
    /// One tower, floors 1–8, flats `1A`–`8D`, shops `M1`–`M2`, basement parkings `S01`–`S06`.
    Maarif,
    /// Floors 1–6, five flats a floor (`305` = floor 3, door 5), shops `C01`–`C02`, parkings
    /// `P01`–`P08`, a garden.
    Agdal,
    /// A small building: floors 1–3, flats `1A`–`3B`, parkings `P1`–`P2`, no lift.
    Manar,
}

/// One lot of the plan; surfaces in half square metres (exact decimals).
#[derive(Debug, Clone)]
pub(crate) struct LotPlan {
    pub numero: String,
    pub kind: LotType,
    pub etage: i32,
    pub half_m2: i64,
}

impl LotPlan {
    /// Weighted surface for the quote-part: shops weigh 1.2, parkings 0.5 per m².
    pub(crate) fn weight(&self) -> u64 {
        let coef = match self.kind {
            LotType::Commerce => 12,
            LotType::Parking | LotType::Cave => 5,
            _ => 10,
        };
        (self.half_m2 as u64) * coef
    }
}

fn apartments(
    rng: &mut Rng,
    out: &mut Vec<LotPlan>,
    buildings: &[&str],
    floors: std::ops::RangeInclusive<i32>,
    doors: &[(&str, i64, i64)],
    numero: impl Fn(&str, i32, &str) -> String,
) {
    // Same door, same plan on every floor; a little variation between floors.
    let bases: Vec<i64> = doors.iter().map(|&(_, lo, hi)| rng.range(lo, hi)).collect();
    for b in buildings {
        for etage in floors.clone() {
            for (d, base) in doors.iter().zip(&bases) {
                out.push(LotPlan {
                    numero: numero(b, etage, d.0),
                    kind: LotType::Appartement,
                    etage,
                    half_m2: base + rng.range(0, 4),
                });
            }
        }
    }
}

fn extras(rng: &mut Rng, out: &mut Vec<LotPlan>, shops: &[&str], parkings: &[String]) {
    for s in shops {
        out.push(LotPlan {
            numero: (*s).to_string(),
            kind: LotType::Commerce,
            etage: 0,
            half_m2: rng.range(110, 190),
        });
    }
    for p in parkings {
        out.push(LotPlan {
            numero: p.clone(),
            kind: LotType::Parking,
            etage: -1,
            half_m2: 25,
        });
    }
}

impl Layout {
    pub(crate) const CYCLE: [Layout; 3] = [Layout::Gueliz, Layout::Maarif, Layout::Agdal];

    pub(crate) fn lots(self, rng: &mut Rng) -> Vec<LotPlan> {
        let mut v = Vec::with_capacity(40);
        match self {
            Layout::Gueliz => {
                let doors = [
                    ("1", 156, 190),
                    ("2", 210, 250),
                    ("3", 176, 220),
                    ("4", 240, 280),
                ];
                apartments(rng, &mut v, &["A", "B"], 1..=4, &doors, |b, e, d| {
                    format!("{b}{e}{d}")
                });
                let parkings: Vec<String> = (1..=6).map(|i| format!("P{i:02}")).collect();
                extras(rng, &mut v, &["M1", "M2"], &parkings);
            }
            Layout::Maarif => {
                let doors = [
                    ("A", 120, 150),
                    ("B", 170, 200),
                    ("C", 190, 230),
                    ("D", 140, 170),
                ];
                apartments(rng, &mut v, &[""], 1..=8, &doors, |_, e, d| {
                    format!("{e}{d}")
                });
                let parkings: Vec<String> = (1..=6).map(|i| format!("S{i:02}")).collect();
                extras(rng, &mut v, &["M1", "M2"], &parkings);
            }
            Layout::Agdal => {
                let doors = [
                    ("01", 160, 190),
                    ("02", 200, 240),
                    ("03", 180, 220),
                    ("04", 230, 290),
                    ("05", 170, 200),
                ];
                apartments(rng, &mut v, &[""], 1..=6, &doors, |_, e, d| {
                    format!("{e}{d}")
                });
                let parkings: Vec<String> = (1..=8).map(|i| format!("P{i:02}")).collect();
                extras(rng, &mut v, &["C01", "C02"], &parkings);
            }
            Layout::Manar => {
                let doors = [("A", 180, 220), ("B", 200, 250)];
                apartments(rng, &mut v, &[""], 1..=3, &doors, |_, e, d| {
                    format!("{e}{d}")
                });
                let parkings: Vec<String> = (1..=2).map(|i| format!("P{i}")).collect();
                extras(rng, &mut v, &[], &parkings);
            }
        }
        v
    }

    /// Budget of year Y-1 in MAD (TTC), before the résidence's own factor.
    pub(crate) fn budget(self) -> &'static [(Categorie, i64)] {
        use Categorie::*;
        match self {
            Layout::Gueliz => &[
                (Eau, 30_000),
                (Electricite, 42_000),
                (Ascenseur, 28_800),
                (Gardiennage, 108_000),
                (Nettoyage, 54_000),
                (Jardinage, 36_000),
                (Assurance, 14_500),
                (HonorairesSyndic, 48_000),
                (Entretien, 25_000),
            ],
            Layout::Maarif => &[
                (Eau, 22_000),
                (Electricite, 48_000),
                (Ascenseur, 18_000),
                (Gardiennage, 96_000),
                (Nettoyage, 48_000),
                (Assurance, 16_000),
                (HonorairesSyndic, 48_000),
                (Entretien, 22_000),
            ],
            Layout::Agdal => &[
                (Eau, 28_000),
                (Electricite, 40_000),
                (Ascenseur, 16_800),
                (Gardiennage, 96_000),
                (Nettoyage, 45_600),
                (Jardinage, 30_000),
                (Assurance, 15_000),
                (HonorairesSyndic, 45_600),
                (Entretien, 20_000),
            ],
            Layout::Manar => &[
                (Eau, 6_000),
                (Electricite, 9_600),
                (Gardiennage, 36_000),
                (Nettoyage, 14_400),
                (Assurance, 5_000),
                (HonorairesSyndic, 9_600),
                (Entretien, 6_000),
            ],
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn demo_layouts_have_forty_lots_and_unique_numbers() {
        let mut rng = Rng::new(1);
        for l in Layout::CYCLE {
            let lots = l.lots(&mut rng);
            assert_eq!(lots.len(), 40, "{l:?}");
            let mut n: Vec<_> = lots.iter().map(|l| l.numero.clone()).collect();
            n.sort();
            n.dedup();
            assert_eq!(n.len(), 40);
        }
        assert_eq!(Layout::Manar.lots(&mut rng).len(), 8);
        assert!(
            Layout::Gueliz
                .lots(&mut rng)
                .iter()
                .any(|l| l.numero == "A12")
        );
        assert!(
            Layout::Maarif
                .lots(&mut rng)
                .iter()
                .any(|l| l.numero == "3B")
        );
        assert!(
            Layout::Agdal
                .lots(&mut rng)
                .iter()
                .any(|l| l.numero == "305")
        );
    }
}
