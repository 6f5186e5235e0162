//! The rules of an assemblée générale (law 18-00 as amended by law 106-12, DESIGN.md §2), as
//! exact integer arithmetic on tantièmes. Pure functions, shared by the demo seed and the AG tools.
//!
//! Choices, documented once here:
//! - **Votes.** Each co-owner has as many votes as tantièmes (their lots' quote-parts).
//! - **Cap (art. 16 decies).** An owner holding more than the résidence's `ag_plafond_voix` of all
//!   the votes (half by default) has their votes reduced to the sum of the votes of all the other
//!   co-owners — present or not, as the text says "des autres copropriétaires" (the same rule as
//!   art. 22 of the French law of 1965 it comes from). For another configured share `p`, the votes
//!   are reduced so that they weigh exactly `p` of the new total: `⌊p / (1 − p) × autres⌋`, which
//!   is "the others' votes" for `p` = ½. The reduced votes count everywhere: in the total of
//!   votes, in the votes present or represented, in every resolution.
//! - **Quorum.** "La moitié des copropriétaires présents ou représentés": by **head count**, as the
//!   brief and the law word it (co-owners, not quote-parts; `ag_quorum` = ½ by default, reached at
//!   exactly half). The tantièmes present or represented are stated next to it in the PV. A second
//!   meeting (`seconde_reunion`) deliberates whatever the attendance. Without quorum at a first
//!   meeting, nothing is voted.
//! - **Majorities**, in votes (after the cap):
//!   - simple: more than half of the votes of the co-owners **present or represented**. An
//!     abstention (or a present co-owner who does not vote) stays in that base: the law counts
//!     the votes present or represented, not the votes cast, so an abstention weighs like a vote
//!     that does not approve;
//!   - absolue: more than half of the votes of **all** co-owners;
//!   - trois quarts: at least three quarters of the votes of all co-owners;
//!   - unanimité: all the votes of all co-owners (one abstention, one absence: rejected).

use crate::types::{ChoixVote, Majorite, Presence};
use std::collections::HashMap;

/// Per-résidence configuration (`residences.ag_quorum`, `residences.ag_plafond_voix`), in
/// thousandths (NUMERIC(4,3) in the table, so exact).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Regles {
    /// Share of the co-owners (head count) present or represented for the AG to deliberate.
    pub quorum_milliemes: i64,
    /// Share of all votes above which an owner's votes are reduced.
    pub plafond_milliemes: i64,
}

impl Default for Regles {
    /// The brief's defaults: half of the co-owners, half of the votes.
    fn default() -> Self {
        Regles {
            quorum_milliemes: 500,
            plafond_milliemes: 500,
        }
    }
}

/// One line of the attendance sheet.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Membre {
    pub coproprietaire_id: i64,
    pub tantiemes: i64,
    pub presence: Presence,
}

impl Membre {
    pub fn present_ou_represente(&self) -> bool {
        self.presence != Presence::Absent
    }
}

/// An owner whose votes are reduced (art. 16 decies).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Plafonnement {
    pub coproprietaire_id: i64,
    pub tantiemes: i64,
    /// Their votes after the cap.
    pub voix: i64,
    /// The votes of all the other co-owners.
    pub voix_autres: i64,
}

/// Attendance and quorum.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Quorum {
    /// Co-owners on the attendance sheet.
    pub coproprietaires: i64,
    pub presents: i64,
    pub representes: i64,
    /// Head count needed: ⌈quorum × co-owners⌉.
    pub requis: i64,
    pub tantiemes_totaux: i64,
    pub tantiemes_presents: i64,
    pub tantiemes_representes: i64,
    /// Votes after the cap.
    pub voix_totales: i64,
    /// Votes of the co-owners present or represented, after the cap.
    pub voix_presentes: i64,
    pub atteint: bool,
    pub seconde_reunion: bool,
}

impl Quorum {
    pub fn presents_ou_representes(&self) -> i64 {
        self.presents + self.representes
    }

    /// Whether the AG may vote: quorum reached, or a second meeting.
    pub fn peut_deliberer(&self) -> bool {
        self.atteint || self.seconde_reunion
    }
}

/// The count of one resolution, in votes after the cap.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Decompte {
    pub pour: i64,
    pub contre: i64,
    pub abstention: i64,
    /// Votes of co-owners present or represented who cast none.
    pub non_exprimees: i64,
    /// The votes the majority is taken over (present or represented, or all).
    pub base: i64,
    /// The fewest votes "pour" that adopt it.
    pub seuil: i64,
    pub adoptee: bool,
}

/// The votes the majority is taken over and the fewest votes "pour" that adopt the resolution.
pub fn seuil(majorite: Majorite, voix_presentes: i64, voix_totales: i64) -> (i64, i64) {
    match majorite {
        Majorite::Simple => (voix_presentes, voix_presentes / 2 + 1),
        Majorite::Absolue => (voix_totales, voix_totales / 2 + 1),
        // ⌈3 × total / 4⌉
        Majorite::TroisQuarts => (voix_totales, (3 * voix_totales + 3) / 4),
        Majorite::Unanimite => (voix_totales, voix_totales),
    }
}

/// Whether `pour` votes adopt a resolution of this majority.
pub fn adoptee(majorite: Majorite, pour: i64, voix_presentes: i64, voix_totales: i64) -> bool {
    let (_, seuil) = seuil(majorite, voix_presentes, voix_totales);
    seuil > 0 && pour >= seuil
}

/// The owners above the cap and their reduced votes. With the default (half), at most one.
pub fn plafonner(membres: &[Membre], plafond_milliemes: i64) -> Vec<Plafonnement> {
    let total: i64 = membres.iter().map(|m| m.tantiemes).sum();
    if !(1..1000).contains(&plafond_milliemes) {
        return Vec::new();
    }
    membres
        .iter()
        .filter(|m| m.tantiemes * 1000 > plafond_milliemes * total)
        .map(|m| {
            let autres = total - m.tantiemes;
            Plafonnement {
                coproprietaire_id: m.coproprietaire_id,
                tantiemes: m.tantiemes,
                voix: plafond_milliemes * autres / (1000 - plafond_milliemes),
                voix_autres: autres,
            }
        })
        .collect()
}

/// An AG's attendance sheet with its votes per co-owner (after the cap) and its quorum.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Assemblee {
    membres: HashMap<i64, Membre>,
    voix: HashMap<i64, i64>,
    pub plafonnements: Vec<Plafonnement>,
    pub quorum: Quorum,
}

impl Assemblee {
    pub fn new(membres: &[Membre], regles: Regles, seconde_reunion: bool) -> Self {
        let plafonnements = plafonner(membres, regles.plafond_milliemes);
        let voix: HashMap<i64, i64> = membres
            .iter()
            .map(|m| {
                let v = plafonnements
                    .iter()
                    .find(|p| p.coproprietaire_id == m.coproprietaire_id)
                    .map_or(m.tantiemes, |p| p.voix);
                (m.coproprietaire_id, v)
            })
            .collect();
        let sum = |p: &dyn Fn(&Membre) -> bool, w: &dyn Fn(&Membre) -> i64| -> i64 {
            membres.iter().filter(|m| p(m)).map(w).sum()
        };
        let tantiemes = |m: &Membre| m.tantiemes;
        let une = |_: &Membre| 1;
        let voix_de = |m: &Membre| voix.get(&m.coproprietaire_id).copied().unwrap_or(0);
        let present = |m: &Membre| m.presence == Presence::Present;
        let represente = |m: &Membre| m.presence == Presence::Represente;
        let tous = |_: &Membre| true;
        let coproprietaires = sum(&tous, &une);
        let presents = sum(&present, &une);
        let representes = sum(&represente, &une);
        let q = regles.quorum_milliemes;
        let quorum = Quorum {
            coproprietaires,
            presents,
            representes,
            requis: (q * coproprietaires + 999) / 1000,
            tantiemes_totaux: sum(&tous, &tantiemes),
            tantiemes_presents: sum(&present, &tantiemes),
            tantiemes_representes: sum(&represente, &tantiemes),
            voix_totales: sum(&tous, &voix_de),
            voix_presentes: sum(&|m| m.present_ou_represente(), &voix_de),
            atteint: coproprietaires > 0 && (presents + representes) * 1000 >= q * coproprietaires,
            seconde_reunion,
        };
        Assemblee {
            membres: membres.iter().map(|m| (m.coproprietaire_id, *m)).collect(),
            voix,
            plafonnements,
            quorum,
        }
    }

    /// A co-owner's votes after the cap (0 when not on the sheet).
    pub fn voix(&self, coproprietaire_id: i64) -> i64 {
        self.voix.get(&coproprietaire_id).copied().unwrap_or(0)
    }

    /// Counts a resolution's votes `(co-owner, choice)`. Only the co-owners present or
    /// represented vote: any other vote is not counted.
    pub fn decompter(&self, majorite: Majorite, votes: &[(i64, ChoixVote)]) -> Decompte {
        let (mut pour, mut contre, mut abstention) = (0, 0, 0);
        for (id, choix) in votes {
            if !self
                .membres
                .get(id)
                .is_some_and(Membre::present_ou_represente)
            {
                continue;
            }
            let v = self.voix(*id);
            match choix {
                ChoixVote::Pour => pour += v,
                ChoixVote::Contre => contre += v,
                ChoixVote::Abstention => abstention += v,
            }
        }
        let (base, seuil) = seuil(
            majorite,
            self.quorum.voix_presentes,
            self.quorum.voix_totales,
        );
        Decompte {
            pour,
            contre,
            abstention,
            non_exprimees: self.quorum.voix_presentes - pour - contre - abstention,
            base,
            seuil,
            adoptee: adoptee(
                majorite,
                pour,
                self.quorum.voix_presentes,
                self.quorum.voix_totales,
            ),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ChoixVote::{Abstention, Contre, Pour};
    use Presence::{Absent, Present, Represente};

    fn sheet(lines: &[(i64, Presence)]) -> Vec<Membre> {
        lines
            .iter()
            .enumerate()
            .map(|(i, &(t, p))| Membre {
                coproprietaire_id: i as i64 + 1,
                tantiemes: t,
                presence: p,
            })
            .collect()
    }

    #[test]
    fn quorum_is_half_of_the_co_owners_by_head_count_exact_half_included() {
        // 4 co-owners, 2 present or represented: exactly half, reached, with few tantièmes.
        let ag = Assemblee::new(
            &sheet(&[
                (100, Present),
                (50, Represente),
                (400, Absent),
                (450, Absent),
            ]),
            Regles::default(),
            false,
        );
        let q = ag.quorum;
        assert!(q.atteint && q.peut_deliberer());
        assert_eq!((q.presents, q.representes, q.requis), (1, 1, 2));
        assert_eq!((q.tantiemes_presents, q.tantiemes_representes), (100, 50));
        assert_eq!((q.voix_presentes, q.voix_totales), (150, 1000));
        // One fewer: not reached, even holding most tantièmes.
        let ag = Assemblee::new(
            &sheet(&[(900, Present), (40, Absent), (30, Absent), (30, Absent)]),
            Regles::default(),
            false,
        );
        assert!(!ag.quorum.atteint && !ag.quorum.peut_deliberer());
        // 5 co-owners: 3 needed (⌈2.5⌉).
        let five = sheet(&[
            (200, Present),
            (200, Present),
            (200, Absent),
            (200, Absent),
            (200, Absent),
        ]);
        let ag = Assemblee::new(&five, Regles::default(), false);
        assert_eq!(ag.quorum.requis, 3);
        assert!(!ag.quorum.atteint);
    }

    #[test]
    fn a_second_meeting_deliberates_whatever_the_attendance() {
        let lines = sheet(&[(100, Present), (300, Absent), (300, Absent), (300, Absent)]);
        let ag = Assemblee::new(&lines, Regles::default(), true);
        assert!(!ag.quorum.atteint);
        assert!(ag.quorum.peut_deliberer());
        // Simple majority over the votes present: 100 of 100.
        let d = ag.decompter(Majorite::Simple, &[(1, Pour)]);
        assert_eq!((d.base, d.seuil, d.adoptee), (100, 51, true));
        // Absolute majority still over all the votes.
        let d = ag.decompter(Majorite::Absolue, &[(1, Pour)]);
        assert_eq!((d.base, d.seuil, d.adoptee), (1000, 501, false));
    }

    #[test]
    fn the_quorum_share_is_configurable() {
        let lines = sheet(&[(250, Present), (250, Present), (250, Absent), (250, Absent)]);
        let regles = Regles {
            quorum_milliemes: 667,
            ..Regles::default()
        };
        let ag = Assemblee::new(&lines, regles, false);
        assert_eq!(ag.quorum.requis, 3);
        assert!(!ag.quorum.atteint);
    }

    #[test]
    fn simple_majority_counts_abstentions_in_the_votes_present() {
        // 600 present or represented: 301 needed.
        let lines = sheet(&[
            (300, Present),
            (200, Represente),
            (100, Present),
            (400, Absent),
        ]);
        let ag = Assemblee::new(&lines, Regles::default(), false);
        let d = ag.decompter(Majorite::Simple, &[(1, Pour), (2, Contre), (3, Abstention)]);
        assert_eq!(
            (d.pour, d.contre, d.abstention, d.non_exprimees),
            (300, 200, 100, 0)
        );
        assert_eq!((d.base, d.seuil), (600, 301));
        assert!(
            !d.adoptee,
            "exactly half of the votes present is not a majority"
        );
        let d = ag.decompter(Majorite::Simple, &[(1, Pour), (3, Pour)]);
        assert_eq!((d.pour, d.non_exprimees), (400, 200));
        assert!(d.adoptee);
        // An absent co-owner's vote is not counted.
        let d = ag.decompter(Majorite::Simple, &[(4, Pour)]);
        assert_eq!(d.pour, 0);
    }

    #[test]
    fn absolute_three_quarters_and_unanimity_are_over_all_the_votes() {
        assert!(!adoptee(Majorite::Absolue, 500, 900, 1000));
        assert!(adoptee(Majorite::Absolue, 501, 501, 1000));
        assert_eq!(seuil(Majorite::TroisQuarts, 900, 1000), (1000, 750));
        assert!(adoptee(Majorite::TroisQuarts, 750, 900, 1000));
        assert!(!adoptee(Majorite::TroisQuarts, 749, 900, 1000));
        // ⌈3 × 999 / 4⌉ = 750 (749.25 is not three quarters).
        assert_eq!(seuil(Majorite::TroisQuarts, 0, 999).1, 750);
        assert!(adoptee(Majorite::Unanimite, 1000, 1000, 1000));
        assert!(!adoptee(Majorite::Unanimite, 999, 1000, 1000));
        // Nobody at all: nothing is adopted.
        assert!(!adoptee(Majorite::Unanimite, 0, 0, 0));
    }

    #[test]
    fn unanimity_fails_with_one_abstention_or_one_absence() {
        let lines = sheet(&[(500, Present), (300, Present), (200, Represente)]);
        let ag = Assemblee::new(&lines, Regles::default(), false);
        let d = ag.decompter(
            Majorite::Unanimite,
            &[(1, Pour), (2, Pour), (3, Abstention)],
        );
        assert_eq!((d.pour, d.seuil, d.adoptee), (800, 1000, false));
        let d = ag.decompter(Majorite::Unanimite, &[(1, Pour), (2, Pour), (3, Pour)]);
        assert!(d.adoptee);
        let lines = sheet(&[(500, Present), (300, Present), (200, Absent)]);
        let ag = Assemblee::new(&lines, Regles::default(), false);
        let d = ag.decompter(Majorite::Unanimite, &[(1, Pour), (2, Pour)]);
        assert!(!d.adoptee);
    }

    #[test]
    fn an_owner_above_half_is_capped_to_the_others_votes() {
        // 600 of 1 000: reduced to 400, the others' votes (absent ones included).
        let lines = sheet(&[(600, Present), (250, Present), (150, Absent)]);
        let ag = Assemblee::new(&lines, Regles::default(), false);
        assert_eq!(
            ag.plafonnements,
            vec![Plafonnement {
                coproprietaire_id: 1,
                tantiemes: 600,
                voix: 400,
                voix_autres: 400
            }]
        );
        assert_eq!(ag.voix(1), 400);
        assert_eq!(ag.voix(2), 250);
        let q = ag.quorum;
        assert_eq!((q.tantiemes_totaux, q.voix_totales), (1000, 800));
        assert_eq!((q.tantiemes_presents, q.voix_presentes), (850, 650));
        // Alone "pour", the big owner no longer decides: 400 of 650 present passes the simple
        // majority (326), but not the absolute one (401 of 800).
        let d = ag.decompter(Majorite::Simple, &[(1, Pour), (2, Contre)]);
        assert_eq!((d.pour, d.contre, d.base, d.seuil), (400, 250, 650, 326));
        assert!(d.adoptee);
        let d = ag.decompter(Majorite::Absolue, &[(1, Pour), (2, Contre)]);
        assert_eq!((d.base, d.seuil, d.adoptee), (800, 401, false));
        // Without the cap 600 > 500 would have adopted it.
        assert!(adoptee(Majorite::Absolue, 600, 850, 1000));
    }

    #[test]
    fn exactly_half_is_not_capped_and_other_shares_scale() {
        let lines = sheet(&[(500, Present), (500, Present)]);
        assert!(plafonner(&lines, 500).is_empty());
        // A cap at 40 %: 700 of 1 000 → 2/3 × 300 = 200, i.e. 40 % of the new total 500.
        let lines = sheet(&[(700, Present), (300, Present)]);
        let p = plafonner(&lines, 400);
        assert_eq!(p[0].voix, 200);
        // A cap of 100 % never applies.
        assert!(plafonner(&lines, 1000).is_empty());
    }
}
