//! `record_payment` against the demo data: the plan writes nothing, the execution allocates
//! oldest first exactly once per confirmation, and bad input is refused in French with nothing
//! written. Expected figures are computed here from the raw rows, not with the tool's SQL.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use chrono::NaiveDate;
use rust_decimal::Decimal;
use rust_decimal_macros::dec;
use std::collections::HashMap;
use uuid::Uuid;
use wakil_schema::testing::DEMO_TODAY;
use wakil_schema::{Caller, Role};
use wakil_tools::{PendingPlan, ToolError, ToolKind, ToolResult, ToolSpec};

const GUELIZ: &str = "Résidence Les Jardins de Guéliz";

use crate::common;
use common::{Demo, demo};

fn spec() -> ToolSpec {
    wakil_tools::find("record_payment").unwrap()
}

/// An échéance still open, from the raw rows: (id, due date, remaining).
type Open = (i64, NaiveDate, Decimal);

impl Demo {
    async fn other_syndic(&self) -> i64 {
        sqlx::query_scalar("SELECT id FROM syndics WHERE id <> $1 ORDER BY id LIMIT 1")
            .bind(self.atlas)
            .fetch_one(&self.db.admin)
            .await
            .unwrap()
    }

    async fn plan_payment(
        &self,
        caller: &Caller,
        args: serde_json::Value,
    ) -> Result<PendingPlan, ToolError> {
        common::plan(&self.ctx, caller, "record_payment", args).await
    }

    async fn execute_payment(
        &self,
        caller: &Caller,
        plan: &PendingPlan,
        confirmation: Uuid,
    ) -> Result<ToolResult, ToolError> {
        common::execute(&self.ctx, caller, plan, confirmation).await
    }

    /// (payments, allocations) of every syndic, as the owner sees them.
    async fn payment_counts(&self) -> (i64, i64) {
        sqlx::query_as(
            "SELECT (SELECT count(*) FROM paiements), (SELECT count(*) FROM allocations)",
        )
        .fetch_one(&self.db.admin)
        .await
        .unwrap()
    }

    /// Paid per échéance, from raw allocations of non-cancelled payments.
    async fn paid(&self) -> HashMap<i64, Decimal> {
        let rows: Vec<(i64, Decimal)> = sqlx::query_as(
            "SELECT a.echeance_id, a.montant FROM allocations a JOIN paiements p ON p.id = a.paiement_id
             WHERE p.annule_le IS NULL",
        )
        .fetch_all(&self.db.admin)
        .await
        .unwrap();
        let mut paid = HashMap::new();
        for (e, m) in rows {
            *paid.entry(e).or_insert(Decimal::ZERO) += m;
        }
        paid
    }

    /// A co-owner's open échéances in a résidence, oldest due date first.
    async fn open(&self, copro: i64, residence: i64) -> Vec<Open> {
        let rows: Vec<(i64, NaiveDate, Decimal)> = sqlx::query_as(
            "SELECT id, date_echeance, montant FROM echeances
             WHERE coproprietaire_id = $1 AND residence_id = $2",
        )
        .bind(copro)
        .bind(residence)
        .fetch_all(&self.db.admin)
        .await
        .unwrap();
        let paid = self.paid().await;
        let mut open: Vec<Open> = rows
            .into_iter()
            .map(|(id, due, m)| (id, due, m - paid.get(&id).copied().unwrap_or_default()))
            .filter(|e| e.2 > Decimal::ZERO)
            .collect();
        open.sort_by_key(|e| (e.1, e.0));
        open
    }

    /// Called minus paid over the whole account, from raw rows.
    async fn raw_solde(&self, copro: i64) -> Decimal {
        sqlx::query_scalar(
            "SELECT (SELECT coalesce(sum(montant), 0) FROM echeances WHERE coproprietaire_id = $1)
                  - (SELECT coalesce(sum(montant), 0) FROM paiements WHERE coproprietaire_id = $1 AND annule_le IS NULL)",
        )
        .bind(copro)
        .fetch_one(&self.db.admin)
        .await
        .unwrap()
    }

    /// The allocations of a payment as stored: (échéance, amount), by échéance.
    async fn allocations_of(&self, paiement: i64) -> Vec<(i64, Decimal)> {
        sqlx::query_as(
            "SELECT a.echeance_id, a.montant FROM allocations a JOIN echeances e ON e.id = a.echeance_id
             WHERE a.paiement_id = $1 ORDER BY e.date_echeance, e.id",
        )
        .bind(paiement)
        .fetch_all(&self.db.admin)
        .await
        .unwrap()
    }

    async fn solde_copro(&self, caller: &Caller, lot: &str) -> serde_json::Value {
        wakil_tools::find("solde_copro")
            .unwrap()
            .call(
                &self.ctx,
                caller,
                serde_json::json!({ "lot": lot, "residence": GUELIZ }),
            )
            .await
            .unwrap()
            .done()
            .unwrap()
            .output
    }

    async fn impayes_total(&self, caller: &Caller) -> Decimal {
        let r = wakil_tools::find("query_impayes")
            .unwrap()
            .call(
                &self.ctx,
                caller,
                serde_json::json!({ "residence": GUELIZ }),
            )
            .await
            .unwrap()
            .done()
            .unwrap();
        dec_of(&r.output["total"])
    }
}

fn dec_of(v: &serde_json::Value) -> Decimal {
    v.as_str()
        .unwrap_or_else(|| panic!("decimal as string, got {v}"))
        .parse()
        .unwrap()
}

/// Oldest first, by hand: each open échéance is covered fully before the next.
fn expected_allocation(amount: Decimal, open: &[Open]) -> (Vec<(i64, Decimal)>, Decimal) {
    let mut left = amount;
    let mut parts = Vec::new();
    for &(id, _, reste) in open {
        if left == Decimal::ZERO {
            break;
        }
        let take = left.min(reste);
        parts.push((id, take));
        left -= take;
    }
    (parts, left)
}

fn output_allocations(r: &ToolResult) -> Vec<(i64, Decimal)> {
    r.output["allocations"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| (a["echeance_id"].as_i64().unwrap(), dec_of(&a["impute"])))
        .collect()
}

fn paiement_id(r: &ToolResult) -> i64 {
    r.output["paiement_id"].as_i64().unwrap()
}

fn khadija(montant: &str) -> serde_json::Value {
    serde_json::json!({ "coproprietaire": "Khadija Lahlou", "lot": "A41", "montant": montant, "mode": "cheque" })
}

#[tokio::test]
async fn the_plan_writes_nothing_and_previews_the_allocation_and_the_balance() {
    let d = demo().await;
    let gestionnaire = d.caller(d.atlas, Role::Gestionnaire).await;
    let copro = d.copro("Khadija", "Lahlou").await;
    let gueliz = d.residence(GUELIZ).await;
    let open = d.open(copro, gueliz).await;
    let before = d.payment_counts().await;

    assert_eq!(spec().kind, ToolKind::Write);
    let p = d
        .plan_payment(
            &gestionnaire,
            serde_json::json!({ "coproprietaire": "Khadija Lahlou", "lot": "A41", "montant": 1200,
                                "mode": "chèque", "reference": " CHQ-1234 " }),
        )
        .await
        .unwrap();
    assert_eq!(d.payment_counts().await, before, "planning wrote something");
    assert_eq!(
        p.summary,
        "Enregistrer un paiement de 1\u{a0}200,00\u{a0}MAD (chèque, réf. CHQ-1234) de Mme Khadija Lahlou, \
         lot A41 (Résidence Les Jardins de Guéliz), daté du 15/11/2026 ?"
    );
    // The plan carries ids and the values to write, not names to resolve again.
    assert_eq!(p.plan["coproprietaire_id"], copro);
    assert_eq!(p.plan["residence_id"], gueliz);
    assert_eq!(p.plan["date"], "2026-11-15");
    assert_eq!(p.plan["mode"], "cheque");
    assert_eq!(p.plan["reference"], "CHQ-1234");
    assert_eq!(dec_of(&p.plan["montant"]), dec!(1200));

    // Preview: the oldest open échéance takes all of it; its remainder and the balance after.
    let (parts, credit) = expected_allocation(dec!(1200), &open);
    assert_eq!((parts.len(), credit), (1, Decimal::ZERO));
    let row = &p.tables[0].rows[0];
    assert_eq!(row[2], open[0].1.format("%d/%m/%Y").to_string());
    assert_eq!(row[3], wakil_tools::format::montant(open[0].2));
    assert_eq!(row[4], "1\u{a0}200,00");
    assert_eq!(row[5], wakil_tools::format::montant(open[0].2 - dec!(1200)));
    let total_open: Decimal = open.iter().map(|e| e.2).sum();
    let footer = p.tables[0].footer.clone().unwrap();
    assert_eq!(footer[3], wakil_tools::format::montant(total_open));
    assert_eq!(
        footer[5],
        wakil_tools::format::montant(total_open - dec!(1200))
    );
    let solde = d.raw_solde(copro).await;
    assert_eq!(
        p.tables[1].rows[2][1],
        wakil_tools::format::montant(solde - dec!(1200))
    );
    assert_eq!(d.payment_counts().await, before);
}

#[tokio::test]
async fn execute_allocates_oldest_first_and_the_new_balance_is_solde_copro_s() {
    let d = demo().await;
    let comptable = d.caller(d.atlas, Role::Comptable).await;
    let copro = d.copro("Khadija", "Lahlou").await;
    let gueliz = d.residence(GUELIZ).await;
    let open = d.open(copro, gueliz).await;
    let impayes_before = d.impayes_total(&comptable).await;
    let solde_before = d.raw_solde(copro).await;
    let (before_p, before_a) = d.payment_counts().await;

    // Enough to cover several échéances and part of the next one.
    let amount = open[0].2 + open[1].2 + dec!(500.55);
    let p = d
        .plan_payment(&comptable, khadija(&amount.to_string()))
        .await
        .unwrap();
    let confirmation = Uuid::new_v4();
    let r = d
        .execute_payment(&comptable, &p, confirmation)
        .await
        .unwrap();

    let (parts, credit) = expected_allocation(amount, &open);
    assert_eq!(parts.len(), 3);
    assert_eq!(parts[2].1, dec!(500.55));
    assert_eq!(credit, Decimal::ZERO);
    let id = paiement_id(&r);
    assert_eq!(d.allocations_of(id).await, parts, "stored allocations");
    assert_eq!(output_allocations(&r), parts, "output allocations");
    assert_eq!(d.payment_counts().await, (before_p + 1, before_a + 3));
    assert_eq!(r.output["deja_enregistre"], false);
    assert_eq!(dec_of(&r.output["credit"]), Decimal::ZERO);
    // What remains on each échéance, after the payment.
    let reste: Vec<Decimal> = r.output["allocations"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| dec_of(&a["reste"]))
        .collect();
    assert_eq!(
        reste,
        vec![Decimal::ZERO, Decimal::ZERO, open[2].2 - dec!(500.55)]
    );

    // Who recorded it, under which confirmation.
    let (confirmation_id, enregistre_par, mode, date): (Uuid, i64, String, NaiveDate) =
        sqlx::query_as(
            "SELECT confirmation_id, enregistre_par, mode::text, date_paiement FROM paiements WHERE id = $1",
        )
        .bind(id)
        .fetch_one(&d.db.admin)
        .await
        .unwrap();
    assert_eq!(
        (confirmation_id, enregistre_par, mode.as_str(), date),
        (confirmation, comptable.user_id, "cheque", DEMO_TODAY)
    );

    // The new balance is solde_copro's, and the impayés shrink by what covered past-due échéances.
    let solde = d.solde_copro(&comptable, "A41").await;
    assert_eq!(r.output["solde"], solde["chiffres"]);
    assert_eq!(dec_of(&r.output["solde"]["solde"]), solde_before - amount);
    let past_due: Decimal = parts
        .iter()
        .filter(|(e, _)| open.iter().any(|o| o.0 == *e && o.1 < DEMO_TODAY))
        .map(|p| p.1)
        .sum();
    assert_eq!(past_due, amount, "the demo's oldest échéances are past due");
    assert_eq!(d.impayes_total(&comptable).await, impayes_before - past_due);
    assert_eq!(
        r.summary,
        format!(
            "Paiement de {} enregistré pour Mme Khadija Lahlou. Nouveau solde : {} dû.",
            wakil_tools::format::mad(amount),
            wakil_tools::format::mad(solde_before - amount)
        )
    );
}

#[tokio::test]
async fn a_small_payment_partly_covers_the_oldest_echeance() {
    let d = demo().await;
    let gestionnaire = d.caller(d.atlas, Role::Gestionnaire).await;
    let copro = d.copro("Khadija", "Lahlou").await;
    let gueliz = d.residence(GUELIZ).await;
    let open = d.open(copro, gueliz).await;
    let p = d
        .plan_payment(
            &gestionnaire,
            serde_json::json!({ "lot": "A41", "residence": "Guéliz", "montant": "100.10" }),
        )
        .await
        .unwrap();
    // Without a mode: a bank transfer, and the question says so.
    assert!(
        p.summary.contains("(virement, sans référence)"),
        "{}",
        p.summary
    );
    let r = d
        .execute_payment(&gestionnaire, &p, Uuid::new_v4())
        .await
        .unwrap();
    assert_eq!(output_allocations(&r), vec![(open[0].0, dec!(100.10))]);
    assert_eq!(
        dec_of(&r.output["allocations"][0]["reste"]),
        open[0].2 - dec!(100.10)
    );
    assert_eq!(d.open(copro, gueliz).await[0].2, open[0].2 - dec!(100.10));
    assert_eq!(r.output["mode"], "virement");
    assert!(r.output["reference"].is_null());
}

#[tokio::test]
async fn an_overpayment_covers_everything_open_and_keeps_the_rest_as_credit() {
    let d = demo().await;
    let gestionnaire = d.caller(d.atlas, Role::Gestionnaire).await;
    let copro = d.copro("Khadija", "Lahlou").await;
    let gueliz = d.residence(GUELIZ).await;
    let open = d.open(copro, gueliz).await;
    let credit_before = dec_of(&d.solde_copro(&gestionnaire, "A41").await["chiffres"]["credit"]);
    let total_open: Decimal = open.iter().map(|e| e.2).sum();
    let amount = total_open + dec!(300.37);
    let p = d
        .plan_payment(&gestionnaire, khadija(&amount.to_string()))
        .await
        .unwrap();
    let credit_row = p.tables[0]
        .rows
        .iter()
        .find(|r| r[0].contains("crédit"))
        .expect("a credit row in the preview");
    assert_eq!(credit_row[4], "300,37");
    let r = d
        .execute_payment(&gestionnaire, &p, Uuid::new_v4())
        .await
        .unwrap();
    let (parts, credit) = expected_allocation(amount, &open);
    assert_eq!(credit, dec!(300.37));
    assert_eq!(output_allocations(&r), parts);
    assert_eq!(d.allocations_of(paiement_id(&r)).await, parts);
    assert_eq!(dec_of(&r.output["credit"]), dec!(300.37));
    assert!(d.open(copro, gueliz).await.is_empty());
    let after = d.solde_copro(&gestionnaire, "A41").await;
    assert_eq!(
        dec_of(&after["chiffres"]["credit"]),
        credit_before + dec!(300.37)
    );
    assert!(
        r.summary
            .contains("300,37\u{a0}MAD non imputés restent en crédit"),
        "{}",
        r.summary
    );
}

#[tokio::test]
async fn execute_allocates_what_is_open_when_it_runs_not_what_was_previewed() {
    let d = demo().await;
    let gestionnaire = d.caller(d.atlas, Role::Gestionnaire).await;
    let copro = d.copro("Khadija", "Lahlou").await;
    let gueliz = d.residence(GUELIZ).await;
    let open = d.open(copro, gueliz).await;
    let first = d
        .plan_payment(&gestionnaire, khadija("1000"))
        .await
        .unwrap();
    // Before it is confirmed, another payment covers the oldest échéance.
    let other = d
        .plan_payment(&gestionnaire, khadija(&open[0].2.to_string()))
        .await
        .unwrap();
    d.execute_payment(&gestionnaire, &other, Uuid::new_v4())
        .await
        .unwrap();
    let r = d
        .execute_payment(&gestionnaire, &first, Uuid::new_v4())
        .await
        .unwrap();
    assert_eq!(output_allocations(&r), vec![(open[1].0, dec!(1000))]);
}

#[tokio::test]
async fn confirming_twice_records_one_payment() {
    let d = demo().await;
    let gestionnaire = d.caller(d.atlas, Role::Gestionnaire).await;
    let p = d.plan_payment(&gestionnaire, khadija("750")).await.unwrap();
    let before = d.payment_counts().await;
    let confirmation = Uuid::new_v4();
    let first = d
        .execute_payment(&gestionnaire, &p, confirmation)
        .await
        .unwrap();
    let after = d.payment_counts().await;
    assert_eq!(after.0, before.0 + 1);
    let again = d
        .execute_payment(&gestionnaire, &p, confirmation)
        .await
        .unwrap();
    assert_eq!(
        d.payment_counts().await,
        after,
        "the second confirmation wrote"
    );
    assert_eq!(paiement_id(&again), paiement_id(&first));
    assert_eq!(again.output["deja_enregistre"], true);
    assert_eq!(again.output["allocations"], first.output["allocations"]);
    assert!(
        again.summary.contains("déjà enregistré"),
        "{}",
        again.summary
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_confirmations_record_once_and_never_over_allocate() {
    let d = demo().await;
    let gestionnaire = d.caller(d.atlas, Role::Gestionnaire).await;
    let copro = d.copro("Khadija", "Lahlou").await;
    let gueliz = d.residence(GUELIZ).await;
    let open = d.open(copro, gueliz).await;
    let spawn = |plan: serde_json::Value, confirmation: Uuid| {
        let (ctx, caller, spec) = (d.ctx.clone(), gestionnaire.clone(), spec());
        tokio::spawn(async move { spec.execute(&ctx, &caller, plan, confirmation).await })
    };

    // The same confirmation, twice at once: one payment.
    let p = d.plan_payment(&gestionnaire, khadija("600")).await.unwrap();
    let before = d.payment_counts().await;
    let confirmation = Uuid::new_v4();
    let (a, b) = (
        spawn(p.plan.clone(), confirmation),
        spawn(p.plan.clone(), confirmation),
    );
    let (a, b) = (a.await.unwrap().unwrap(), b.await.unwrap().unwrap());
    assert_eq!(paiement_id(&a), paiement_id(&b));
    assert_ne!(a.output["deja_enregistre"], b.output["deja_enregistre"]);
    assert_eq!(d.payment_counts().await.0, before.0 + 1);

    // Two different payments at once: both recorded, allocated one after the other, so the
    // oldest échéance is never covered twice.
    let rest = open[0].2 - dec!(600);
    let amount = rest.min(dec!(1000));
    let p = d
        .plan_payment(&gestionnaire, khadija(&amount.to_string()))
        .await
        .unwrap();
    let tasks: Vec<_> = (0..4)
        .map(|_| spawn(p.plan.clone(), Uuid::new_v4()))
        .collect();
    for t in tasks {
        t.await.unwrap().unwrap();
    }
    let paid = d.paid().await;
    let montants: HashMap<i64, Decimal> = sqlx::query_as::<_, (i64, Decimal)>(
        "SELECT id, montant FROM echeances WHERE coproprietaire_id = $1",
    )
    .bind(copro)
    .fetch_all(&d.db.admin)
    .await
    .unwrap()
    .into_iter()
    .collect();
    for (e, montant) in &montants {
        assert!(
            paid.get(e).copied().unwrap_or_default() <= *montant,
            "échéance {e} over-allocated"
        );
    }
    // Together, the five payments are allocated as one sum would be.
    let (parts, _) = expected_allocation(dec!(600) + amount * dec!(4), &open);
    for (e, m) in parts {
        let reste_avant = open.iter().find(|o| o.0 == e).unwrap().2;
        let paye_avant = montants[&e] - reste_avant;
        assert_eq!(paid[&e] - paye_avant, m, "échéance {e}");
    }

    // The same reference with two confirmations at once: one payment, one French refusal.
    let p = d
        .plan_payment(
            &gestionnaire,
            serde_json::json!({ "lot": "A41", "montant": 50, "mode": "virement", "reference": "VIR-RACE-1" }),
        )
        .await
        .unwrap();
    let before = d.payment_counts().await;
    let (a, b) = (
        spawn(p.plan.clone(), Uuid::new_v4()),
        spawn(p.plan.clone(), Uuid::new_v4()),
    );
    let results = [a.await.unwrap(), b.await.unwrap()];
    assert_eq!(results.iter().filter(|r| r.is_ok()).count(), 1);
    let e = results.into_iter().find_map(Result::err).unwrap();
    assert!(matches!(e, ToolError::InvalidArgs(_)), "{e:?}");
    assert!(e.to_string().contains("déjà enregistré"), "{e}");
    assert_eq!(d.payment_counts().await.0, before.0 + 1);
}

#[tokio::test]
async fn the_same_reference_twice_for_a_co_owner_is_refused_with_the_existing_payment() {
    let d = demo().await;
    let gestionnaire = d.caller(d.atlas, Role::Gestionnaire).await;
    let args = serde_json::json!({ "lot": "A41", "montant": 1200, "mode": "cheque",
                                   "reference": "CHQ-1234", "date": "2026-11-10" });
    let p = d.plan_payment(&gestionnaire, args.clone()).await.unwrap();
    d.execute_payment(&gestionnaire, &p, Uuid::new_v4())
        .await
        .unwrap();
    let before = d.payment_counts().await;
    let expected = "Ce paiement est déjà enregistré : Mme Khadija Lahlou a un paiement réf. CHQ-1234 \
                    de 1\u{a0}200,00\u{a0}MAD daté du 10/11/2026.";

    // Planned again (another amount, another case): refused.
    let mut again = args.clone();
    again["montant"] = serde_json::json!(900);
    again["reference"] = serde_json::json!("chq-1234");
    let e = d.plan_payment(&gestionnaire, again).await.unwrap_err();
    assert!(matches!(e, ToolError::InvalidArgs(_)), "{e:?}");
    assert!(e.to_string().starts_with(expected), "{e}");
    // The first plan confirmed a second time under another confirmation: refused too.
    let e = d
        .execute_payment(&gestionnaire, &p, Uuid::new_v4())
        .await
        .unwrap_err();
    assert!(e.to_string().starts_with(expected), "{e}");
    assert_eq!(d.payment_counts().await, before);

    // A reference from the seeded history is found the same way.
    let (reference, montant, date): (String, Decimal, NaiveDate) = sqlx::query_as(
        "SELECT reference, montant, date_paiement FROM paiements WHERE coproprietaire_id = $1
         ORDER BY id LIMIT 1",
    )
    .bind(d.copro("Khadija", "Lahlou").await)
    .fetch_one(&d.db.admin)
    .await
    .unwrap();
    let e = d
        .plan_payment(
            &gestionnaire,
            serde_json::json!({ "lot": "A41", "montant": 10, "reference": reference }),
        )
        .await
        .unwrap_err();
    let msg = e.to_string();
    assert!(msg.contains(&wakil_tools::format::mad(montant)), "{msg}");
    assert!(msg.contains(&date.format("%d/%m/%Y").to_string()), "{msg}");

    // The same reference for another co-owner is another payment.
    d.plan_payment(
        &gestionnaire,
        serde_json::json!({ "coproprietaire": "Omar Lahlou", "montant": 10, "reference": "CHQ-1234" }),
    )
    .await
    .unwrap();
    assert_eq!(d.payment_counts().await, before);
}

#[tokio::test]
async fn bad_input_is_refused_in_french_and_nothing_is_written() {
    let d = demo().await;
    let gestionnaire = d.caller(d.atlas, Role::Gestionnaire).await;
    let before = d.payment_counts().await;
    let cases = [
        (khadija("0"), "doit être positif"),
        (khadija("-5"), "doit être positif"),
        (khadija("10.005"), "deux décimales"),
        (
            khadija("1000000.01"),
            "dépasse le plafond de 1\u{a0}000\u{a0}000,00\u{a0}MAD",
        ),
        (
            serde_json::json!({ "lot": "A41", "montant": 10, "date": "2026-11-16" }),
            "est dans le futur",
        ),
        (
            serde_json::json!({ "lot": "A41", "montant": 10, "date": "2025-11-14" }),
            "remonte à plus d'un an",
        ),
        (
            serde_json::json!({ "lot": "A41", "montant": 10, "mode": "bitcoin" }),
            "« bitcoin » n'est pas une valeur possible de « mode »",
        ),
        (
            serde_json::json!({ "lot": "A41", "montant": "beaucoup" }),
            "attendu : un montant",
        ),
        (
            serde_json::json!({ "lot": "A41" }),
            "le champ « montant » est obligatoire",
        ),
        (
            serde_json::json!({ "montant": 10 }),
            "Précisez le copropriétaire (nom) ou le lot",
        ),
        (
            serde_json::json!({ "lot": "A41", "coproprietaire": "Omar Lahlou", "montant": 10 }),
            "Le lot A41 (Résidence Les Jardins de Guéliz) appartient à Mme Khadija Lahlou, pas à « Omar Lahlou »",
        ),
    ];
    for (args, expected) in cases {
        let e = d
            .plan_payment(&gestionnaire, args.clone())
            .await
            .unwrap_err();
        assert!(matches!(e, ToolError::InvalidArgs(_)), "{args}: {e:?}");
        assert!(e.to_string().contains(expected), "{args}: {e}");
    }
    // The ceiling is the operator's setting.
    let mut ctx = d.ctx.clone();
    ctx.limits.paiement_max = dec!(5000);
    let e = spec()
        .call(&ctx, &gestionnaire, khadija("5000.01"))
        .await
        .unwrap_err();
    assert!(e.to_string().contains("5\u{a0}000,00\u{a0}MAD"), "{e}");

    // An unknown lot: the closest numbers.
    let e = d
        .plan_payment(
            &gestionnaire,
            serde_json::json!({ "lot": "A4Z", "residence": "Guéliz", "montant": 10 }),
        )
        .await
        .unwrap_err();
    match &e {
        ToolError::NotFound { suggestions, .. } => {
            assert!(suggestions.iter().any(|s| s.starts_with("A4")), "{e}")
        }
        e => panic!("expected NotFound, got {e:?}"),
    }
    assert!(e.to_string().contains("Vouliez-vous dire"), "{e}");
    // A surname three co-owners share: which one?
    let e = d
        .plan_payment(
            &gestionnaire,
            serde_json::json!({ "coproprietaire": "Lahlou", "montant": 10 }),
        )
        .await
        .unwrap_err();
    match &e {
        ToolError::Ambiguous { candidates, .. } => assert_eq!(candidates.len(), 3, "{e}"),
        e => panic!("expected Ambiguous, got {e:?}"),
    }
    assert!(e.to_string().contains("Précisez lequel"), "{e}");
    assert_eq!(d.payment_counts().await, before);
}

#[tokio::test]
async fn a_co_owner_with_lots_in_two_residences_is_asked_which() {
    let d = demo().await;
    let admin = d.caller(d.atlas, Role::Admin).await;
    let copro = d.copro("Khadija", "Lahlou").await;
    // Khadija also buys a lot in Al Maârif (one without a current owner is made free first).
    let maarif = d.residence("Résidence Al Maârif").await;
    let lot: i64 = sqlx::query_scalar(
        "UPDATE proprietes SET jusqu_au = '2026-11-01' WHERE jusqu_au IS NULL AND lot_id =
           (SELECT id FROM lots WHERE residence_id = $1 ORDER BY id LIMIT 1) RETURNING lot_id",
    )
    .bind(maarif)
    .fetch_one(&d.db.admin)
    .await
    .unwrap();
    sqlx::query(
        "INSERT INTO proprietes (syndic_id, lot_id, coproprietaire_id, depuis) VALUES ($1, $2, $3, '2026-11-01')",
    )
    .bind(d.atlas)
    .bind(lot)
    .bind(copro)
    .execute(&d.db.admin)
    .await
    .unwrap();

    let e = d
        .plan_payment(
            &admin,
            serde_json::json!({ "coproprietaire": "Khadija Lahlou", "montant": 10 }),
        )
        .await
        .unwrap_err();
    assert!(e.to_string().contains("plusieurs résidences"), "{e}");
    assert!(e.to_string().contains("Al Maârif"), "{e}");
    // With the résidence: that résidence only (she owes nothing there yet: all credit).
    let p = d
        .plan_payment(
            &admin,
            serde_json::json!({ "coproprietaire": "Khadija Lahlou", "residence": "Maârif", "montant": 10 }),
        )
        .await
        .unwrap();
    assert_eq!(p.plan["residence_id"], maarif);
    let r = d.execute_payment(&admin, &p, Uuid::new_v4()).await.unwrap();
    assert_eq!(output_allocations(&r), vec![]);
    assert_eq!(dec_of(&r.output["credit"]), dec!(10));
}

#[tokio::test]
async fn co_owners_and_presidents_cannot_record_a_payment() {
    let d = demo().await;
    let gestionnaire = d.caller(d.atlas, Role::Gestionnaire).await;
    let p = d.plan_payment(&gestionnaire, khadija("100")).await.unwrap();
    let before = d.payment_counts().await;
    for role in [Role::Coproprietaire, Role::President] {
        let caller = d.caller(d.atlas, role).await;
        let e = d.plan_payment(&caller, khadija("100")).await.unwrap_err();
        assert!(matches!(e, ToolError::Forbidden(_)), "{role:?}: {e:?}");
        let e = d
            .execute_payment(&caller, &p, Uuid::new_v4())
            .await
            .unwrap_err();
        assert!(matches!(e, ToolError::Forbidden(_)), "{role:?}: {e:?}");
    }
    assert_eq!(d.payment_counts().await, before);
    for role in [Role::Admin, Role::Comptable, Role::Gestionnaire] {
        let caller = d.caller(d.atlas, role).await;
        d.plan_payment(&caller, khadija("100")).await.unwrap();
    }
}

#[tokio::test]
async fn another_syndic_cannot_record_for_an_atlas_co_owner() {
    let d = demo().await;
    let atlas = d.caller(d.atlas, Role::Gestionnaire).await;
    let other = d.caller(d.other_syndic().await, Role::Gestionnaire).await;
    let before = d.payment_counts().await;

    let e = d
        .plan_payment(
            &other,
            serde_json::json!({ "coproprietaire": "Khadija Lahlou", "montant": 100 }),
        )
        .await
        .unwrap_err();
    match &e {
        ToolError::NotFound { suggestions, .. } => {
            assert!(suggestions.iter().all(|s| !s.contains("Khadija")), "{e}")
        }
        e => panic!("expected NotFound, got {e:?}"),
    }
    let e = d
        .plan_payment(
            &other,
            serde_json::json!({ "lot": "A41", "residence": "Guéliz", "montant": 100 }),
        )
        .await
        .unwrap_err();
    assert!(matches!(e, ToolError::NotFound { .. }), "{e:?}");

    // A plan made for Atlas, confirmed by a user of the other syndic: nothing is written.
    let p = d.plan_payment(&atlas, khadija("100")).await.unwrap();
    let e = d
        .execute_payment(&other, &p, Uuid::new_v4())
        .await
        .unwrap_err();
    assert!(e.is_user_error(), "{e:?}");
    assert!(!e.to_string().contains("Khadija"), "{e}");
    assert_eq!(d.payment_counts().await, before);
}
