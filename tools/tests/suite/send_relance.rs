//! `send_relance` against the demo data: the plan writes nothing and says how many, how much and
//! through which channels; the amounts are query_impayes's and the raw rows'; the throttle, its
//! override and its delay; a confirmation reminds once, even twice at once; the Arabic message;
//! co-owners without a usable channel are listed for a manual reminder. Expected figures are
//! computed here from the raw rows, not with the tool's SQL.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use chrono::{Days, NaiveDate};
use rust_decimal::Decimal;
use std::collections::HashMap;
use uuid::Uuid;
use wakil_schema::testing::DEMO_TODAY;
use wakil_schema::{Caller, Clock, Role};
use wakil_tools::envoi::{EnvoiConfig, SmtpConfig, TelegramConfig, WhatsAppConfig};
use wakil_tools::format::{date, mad};
use wakil_tools::{PendingPlan, ToolError, ToolKind, ToolResult, ToolSpec};

const GUELIZ: &str = "Résidence Les Jardins de Guéliz";

use crate::common;
use common::{Demo, demo};

fn spec() -> ToolSpec {
    wakil_tools::find("send_relance").unwrap()
}

/// Channels configured on a server that nothing here reaches (the tool never sends).
fn canaux(telegram: bool, whatsapp: Option<Option<&str>>, email: bool) -> EnvoiConfig {
    EnvoiConfig {
        telegram: telegram.then(|| TelegramConfig {
            api_url: "http://127.0.0.1:9".into(),
            token: "123:abc".into(),
            bot_username: None,
        }),
        whatsapp: whatsapp.map(|modele| WhatsAppConfig {
            api_url: "http://127.0.0.1:9".into(),
            phone_number_id: "1055".into(),
            token: "EAAB".into(),
            modele_relance: modele.map(str::to_string),
            numero: None,
        }),
        email: email.then(|| SmtpConfig {
            url: "smtp://127.0.0.1:9".into(),
            from: "Atlas Syndic <relances@atlas-syndic.ma>".into(),
        }),
    }
}

fn tous_les_canaux() -> EnvoiConfig {
    canaux(true, Some(Some("relance_impaye")), true)
}

fn dec_of(v: &serde_json::Value) -> Decimal {
    v.as_str()
        .unwrap_or_else(|| panic!("decimal as string, got {v}"))
        .parse()
        .unwrap()
}

async fn demo_with(envoi: EnvoiConfig) -> Demo {
    let mut d = demo().await;
    d.ctx.envoi = envoi;
    d
}

impl Demo {
    async fn plan_relance(
        &self,
        caller: &Caller,
        args: serde_json::Value,
    ) -> Result<PendingPlan, ToolError> {
        common::plan(&self.ctx, caller, "send_relance", args).await
    }

    async fn execute_relance(
        &self,
        caller: &Caller,
        plan: &PendingPlan,
        confirmation: Uuid,
    ) -> Result<ToolResult, ToolError> {
        common::execute(&self.ctx, caller, plan, confirmation).await
    }

    /// (relances, outbox messages) of every syndic, as the owner sees them.
    async fn relance_counts(&self) -> (i64, i64) {
        sqlx::query_as("SELECT (SELECT count(*) FROM relances), (SELECT count(*) FROM outbox)")
            .fetch_one(&self.db.admin)
            .await
            .unwrap()
    }

    /// What each co-owner owes in a résidence on `today`, from the raw rows: (amount, oldest due
    /// date) of the past-due échéances not fully paid by non-cancelled payments.
    async fn raw_dues(
        &self,
        residence: &str,
        today: NaiveDate,
    ) -> HashMap<i64, (Decimal, NaiveDate)> {
        let echeances: Vec<(i64, i64, NaiveDate, Decimal)> = sqlx::query_as(
            "SELECT e.id, e.coproprietaire_id, e.date_echeance, e.montant FROM echeances e
             JOIN residences r ON r.id = e.residence_id WHERE r.nom = $1",
        )
        .bind(residence)
        .fetch_all(&self.db.admin)
        .await
        .unwrap();
        let paid: Vec<(i64, Decimal)> = sqlx::query_as(
            "SELECT a.echeance_id, a.montant FROM allocations a JOIN paiements p ON p.id = a.paiement_id
             WHERE p.annule_le IS NULL",
        )
        .fetch_all(&self.db.admin)
        .await
        .unwrap();
        let mut paye: HashMap<i64, Decimal> = HashMap::new();
        for (e, m) in paid {
            *paye.entry(e).or_default() += m;
        }
        let mut dues: HashMap<i64, (Decimal, NaiveDate)> = HashMap::new();
        for (id, copro, due, montant) in echeances {
            let reste = montant - paye.get(&id).copied().unwrap_or_default();
            if due < today && reste > Decimal::ZERO {
                let e = dues.entry(copro).or_insert((Decimal::ZERO, due));
                e.0 += reste;
                e.1 = e.1.min(due);
            }
        }
        dues
    }

    /// The relances of a co-owner as stored: (amount, oldest date, channel, forced, date).
    async fn relances_of(
        &self,
        copro: i64,
    ) -> Vec<(Decimal, NaiveDate, Option<String>, bool, NaiveDate)> {
        sqlx::query_as(
            "SELECT montant_du, plus_ancienne_echeance, canal::text, forcee, date_relance
             FROM relances WHERE coproprietaire_id = $1 ORDER BY id",
        )
        .bind(copro)
        .fetch_all(&self.db.admin)
        .await
        .unwrap()
    }

    /// The queued message of a relance output line.
    async fn contenu(&self, outbox: i64) -> (String, String, serde_json::Value) {
        sqlx::query_as("SELECT canal::text, destinataire, contenu FROM outbox WHERE id = $1")
            .bind(outbox)
            .fetch_one(&self.db.admin)
            .await
            .unwrap()
    }
}

fn relances(r: &ToolResult) -> &Vec<serde_json::Value> {
    r.output["relances"].as_array().unwrap()
}

fn raisons(r: &ToolResult) -> Vec<(String, String)> {
    r.output["non_relances"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| {
            (
                n["coproprietaire"].as_str().unwrap().to_string(),
                n["raison"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

#[tokio::test]
async fn the_plan_writes_nothing_and_amounts_are_query_impayes_s_and_the_raw_rows() {
    let d = demo_with(tous_les_canaux()).await;
    let gestionnaire = d.caller(d.atlas, Role::Gestionnaire).await;
    let before = d.relance_counts().await;
    assert_eq!(spec().kind, ToolKind::Write);

    let p = d
        .plan_relance(&gestionnaire, serde_json::json!({ "residence": "Guéliz" }))
        .await
        .unwrap();
    assert_eq!(d.relance_counts().await, before, "planning wrote something");

    // The same debtors and amounts as query_impayes (lines per co-owner and lot, added up), and
    // as the raw rows.
    let impayes = wakil_tools::find("query_impayes")
        .unwrap()
        .call(
            &d.ctx,
            &gestionnaire,
            serde_json::json!({ "residence": GUELIZ }),
        )
        .await
        .unwrap()
        .done()
        .unwrap();
    let mut par_copro: HashMap<i64, (Decimal, String)> = HashMap::new();
    for l in impayes.output["lignes"].as_array().unwrap() {
        let e = par_copro
            .entry(l["coproprietaire_id"].as_i64().unwrap())
            .or_insert((Decimal::ZERO, "9999-12-31".into()));
        e.0 += dec_of(&l["montant_du"]);
        e.1 =
            e.1.clone()
                .min(l["plus_ancienne_echeance"].as_str().unwrap().to_string());
    }
    let raw = d.raw_dues(GUELIZ, DEMO_TODAY).await;
    assert_eq!(raw.len(), par_copro.len());
    for (copro, (m, oldest)) in &raw {
        assert_eq!(
            par_copro[copro],
            (*m, oldest.format("%Y-%m-%d").to_string())
        );
    }
    let total: Decimal = raw.values().map(|v| v.0).sum();
    assert_eq!(total, dec_of(&impayes.output["total"]));

    // Every debtor of Guéliz has an e-mail; Khadija Lahlou has a verified WhatsApp.
    assert_eq!(
        p.summary,
        format!(
            "Envoyer une relance à {} copropriétaires pour un total dû de {} (WhatsApp\u{a0}: 1, e-mail\u{a0}: {}) ?",
            raw.len(),
            mad(total),
            raw.len() - 1
        )
    );
    let table = &p.tables[0];
    assert_eq!(table.title, "Relances à envoyer");
    assert_eq!(table.rows.len(), raw.len());
    assert_eq!(p.tables.len(), 1, "nobody left out");
    let footer = table.footer.clone().unwrap();
    assert_eq!(footer[2], wakil_tools::format::montant(total));
    let khadija = d.copro("Khadija", "Lahlou").await;
    let row = table
        .rows
        .iter()
        .find(|r| r[0] == "Mme Khadija Lahlou")
        .unwrap();
    assert_eq!(row[1], format!("{GUELIZ}, lot A41"));
    assert_eq!(row[2], wakil_tools::format::montant(raw[&khadija].0));
    assert_eq!(row[3], date(raw[&khadija].1));
    assert_eq!(row[4], "WhatsApp");
    // The plan carries ids.
    assert_eq!(p.plan["envoyer"].as_array().unwrap().len(), raw.len());

    // Executed: one reminder and one queued message per debtor, with these figures.
    let r = d
        .execute_relance(&gestionnaire, &p, Uuid::new_v4())
        .await
        .unwrap();
    assert_eq!(
        d.relance_counts().await,
        (before.0 + raw.len() as i64, before.1 + raw.len() as i64)
    );
    assert_eq!(dec_of(&r.output["total"]), total);
    for l in relances(&r) {
        let copro = l["coproprietaire_id"].as_i64().unwrap();
        assert_eq!(dec_of(&l["montant_du"]), raw[&copro].0);
        let stored = d.relances_of(copro).await;
        assert_eq!(stored.len(), 1);
        assert_eq!((stored[0].0, stored[0].1), raw[&copro]);
        assert_eq!(stored[0].4, DEMO_TODAY);
        let (canal, destinataire, contenu) = d.contenu(l["outbox_id"].as_i64().unwrap()).await;
        let texte = contenu["texte"].as_str().unwrap();
        assert!(texte.contains(&mad(raw[&copro].0)), "{texte}");
        assert!(texte.contains(&date(raw[&copro].1)), "{texte}");
        if copro == khadija {
            assert_eq!(
                (canal.as_str(), destinataire.as_str()),
                ("whatsapp", "212668211981")
            );
            assert!(texte.starts_with("Bonjour Mme Lahlou,"), "{texte}");
        } else {
            assert_eq!(canal, "email");
            assert!(destinataire.contains('@'));
        }
    }
    assert_eq!(
        r.summary,
        format!(
            "{} relances en cours d'envoi pour un total dû de {} (WhatsApp\u{a0}: 1, e-mail\u{a0}: {}).",
            raw.len(),
            mad(total),
            raw.len() - 1
        )
    );
}

#[tokio::test]
async fn filters_choose_whom_to_remind_not_what_they_owe() {
    let d = demo_with(tous_les_canaux()).await;
    let comptable = d.caller(d.atlas, Role::Comptable).await;
    let raw = d.raw_dues(GUELIZ, DEMO_TODAY).await;
    let p = d
        .plan_relance(
            &comptable,
            serde_json::json!({ "residence": "Guéliz", "jours_retard_min": 90, "montant_min": 1000 }),
        )
        .await
        .unwrap();
    // Those late by 90 days or more on some lot, as query_impayes lists them.
    let late: Vec<i64> = raw
        .iter()
        .filter(|(_, (_, oldest))| DEMO_TODAY.signed_duration_since(*oldest).num_days() >= 90)
        .map(|(c, _)| *c)
        .collect();
    assert!(!late.is_empty() && late.len() < raw.len());
    let planned: Vec<i64> = p.plan["envoyer"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["coproprietaire_id"].as_i64().unwrap())
        .collect();
    let mut sorted = planned.clone();
    sorted.sort_unstable();
    let mut expected = late.clone();
    expected.sort_unstable();
    assert_eq!(sorted, expected);
    let total: Decimal = late.iter().map(|c| raw[c].0).sum();
    assert!(p.summary.contains(&mad(total)), "{}", p.summary);

    // Nobody matches: said plainly, nothing written.
    let before = d.relance_counts().await;
    let e = d
        .plan_relance(
            &comptable,
            serde_json::json!({ "residence": "Guéliz", "montant_min": 900000 }),
        )
        .await
        .unwrap_err();
    assert_eq!(
        e.to_string(),
        format!(
            "Aucun impayé correspondant à relancer ({GUELIZ}) au 15/11/2026 : aucune relance à envoyer."
        )
    );
    assert_eq!(d.relance_counts().await, before);
}

#[tokio::test]
async fn a_second_reminder_within_the_delay_is_skipped_unless_forced_and_goes_after_it() {
    let mut d = demo_with(tous_les_canaux()).await;
    let gestionnaire = d.caller(d.atlas, Role::Gestionnaire).await;
    let khadija = d.copro("Khadija", "Lahlou").await;
    let args = serde_json::json!({ "lot": "A41", "residence": "Guéliz" });
    let p = d.plan_relance(&gestionnaire, args.clone()).await.unwrap();
    assert!(
        p.summary.starts_with(&format!(
            "Envoyer une relance à Mme Khadija Lahlou ({GUELIZ}, lot A41) par WhatsApp : "
        )),
        "{}",
        p.summary
    );
    d.execute_relance(&gestionnaire, &p, Uuid::new_v4())
        .await
        .unwrap();
    assert_eq!(d.relances_of(khadija).await.len(), 1);

    // The same day, and six days later: skipped, with the date and when it becomes possible.
    for jours in [0, 6] {
        d.ctx.clock = Clock::Fixed(DEMO_TODAY.checked_add_days(Days::new(jours)).unwrap());
        let e = d
            .plan_relance(&gestionnaire, args.clone())
            .await
            .unwrap_err();
        assert_eq!(
            e.to_string(),
            "Mme Khadija Lahlou a déjà reçu une relance le 15/11/2026 par WhatsApp ; la suivante \
             est possible à partir du 22/11/2026 (délai de 7 jours entre deux relances). Pour \
             relancer quand même, demandez une relance forcée.",
            "after {jours} days"
        );
        assert!(matches!(e, ToolError::InvalidArgs(_)));
    }
    // In a résidence-wide reminder, she is left out and said so.
    let p = d
        .plan_relance(&gestionnaire, serde_json::json!({ "residence": "Guéliz" }))
        .await
        .unwrap();
    assert!(
        p.summary.starts_with(
            "Non relancés : 1 déjà relancé il y a moins de 7 jours. Envoyer une relance à "
        ),
        "{}",
        p.summary
    );
    let ecartes = &p.tables[1];
    assert_eq!(ecartes.title, "Non relancés");
    assert_eq!(ecartes.rows[0][0], "Mme Khadija Lahlou");
    assert_eq!(
        ecartes.rows[0][4],
        "déjà relancé le 15/11/2026 par WhatsApp (délai de 7 jours)"
    );

    // Forced: it goes, marked as such.
    let mut forced = args.clone();
    forced["forcer"] = true.into();
    let p = d.plan_relance(&gestionnaire, forced).await.unwrap();
    assert!(
        p.summary
            .ends_with(", 1 relance forcée malgré une relance il y a moins de 7 jours ?"),
        "{}",
        p.summary
    );
    let r = d
        .execute_relance(&gestionnaire, &p, Uuid::new_v4())
        .await
        .unwrap();
    assert_eq!(relances(&r)[0]["forcee"], true);
    let stored = d.relances_of(khadija).await;
    assert_eq!(stored.len(), 2);
    assert!(stored[1].3, "forced");
    assert_eq!(
        stored[1].4,
        DEMO_TODAY.checked_add_days(Days::new(6)).unwrap()
    );

    // Seven days after the forced one (21/11 + 7): it goes again, not forced.
    d.ctx.clock = Clock::Fixed(DEMO_TODAY.checked_add_days(Days::new(13)).unwrap());
    let p = d.plan_relance(&gestionnaire, args.clone()).await.unwrap();
    assert!(!p.summary.contains("forcée"), "{}", p.summary);

    // The delay is a setting.
    d.ctx.clock = Clock::Fixed(DEMO_TODAY.checked_add_days(Days::new(8)).unwrap());
    assert!(d.plan_relance(&gestionnaire, args.clone()).await.is_err());
    d.ctx.limits.relance_delai_jours = 2;
    d.plan_relance(&gestionnaire, args.clone()).await.unwrap();

    // A reminder whose message was abandoned never reached her: it does not count.
    d.ctx.limits.relance_delai_jours = 7;
    sqlx::query(
        "UPDATE outbox SET statut = 'abandonne' WHERE id IN
         (SELECT outbox_id FROM relances WHERE coproprietaire_id = $1)",
    )
    .bind(khadija)
    .execute(&d.db.admin)
    .await
    .unwrap();
    d.plan_relance(&gestionnaire, args).await.unwrap();
}

#[tokio::test]
async fn the_same_confirmation_twice_reminds_once() {
    let d = demo_with(tous_les_canaux()).await;
    let comptable = d.caller(d.atlas, Role::Comptable).await;
    let p = d
        .plan_relance(&comptable, serde_json::json!({ "residence": "Guéliz" }))
        .await
        .unwrap();
    let before = d.relance_counts().await;
    let confirmation = Uuid::new_v4();
    let first = d
        .execute_relance(&comptable, &p, confirmation)
        .await
        .unwrap();
    let n = relances(&first).len() as i64;
    assert!(n > 1);
    assert_eq!(d.relance_counts().await, (before.0 + n, before.1 + n));
    let again = d
        .execute_relance(&comptable, &p, confirmation)
        .await
        .unwrap();
    assert_eq!(d.relance_counts().await, (before.0 + n, before.1 + n));
    assert_eq!(first.output["deja_envoyees"], false);
    assert_eq!(again.output["deja_envoyees"], true);
    assert_eq!(again.output["total"], first.output["total"]);
    let ids = |r: &ToolResult| -> Vec<i64> {
        let mut v: Vec<i64> = relances(r)
            .iter()
            .map(|l| l["relance_id"].as_i64().unwrap())
            .collect();
        v.sort_unstable();
        v
    };
    assert_eq!(ids(&again), ids(&first));
    assert!(
        again
            .summary
            .starts_with("Ces relances étaient déjà enregistrées (rien n'a été renvoyé)"),
        "{}",
        again.summary
    );
}

#[tokio::test]
async fn concurrent_confirmations_remind_each_co_owner_once() {
    let d = demo_with(tous_les_canaux()).await;
    let gestionnaire = d.caller(d.atlas, Role::Gestionnaire).await;
    let spawn = |plan: serde_json::Value, confirmation: Uuid| {
        let (ctx, caller, spec) = (d.ctx.clone(), gestionnaire.clone(), spec());
        tokio::spawn(async move { spec.execute(&ctx, &caller, plan, confirmation).await })
    };
    let p = d
        .plan_relance(&gestionnaire, serde_json::json!({ "residence": "Guéliz" }))
        .await
        .unwrap();
    let debtors = p.plan["envoyer"].as_array().unwrap().len() as i64;
    let before = d.relance_counts().await;

    // The same confirmation twice at once: one set of reminders.
    let confirmation = Uuid::new_v4();
    let (a, b) = (
        spawn(p.plan.clone(), confirmation),
        spawn(p.plan.clone(), confirmation),
    );
    let (a, b) = (a.await.unwrap().unwrap(), b.await.unwrap().unwrap());
    assert_ne!(a.output["deja_envoyees"], b.output["deja_envoyees"]);
    assert_eq!(
        d.relance_counts().await,
        (before.0 + debtors, before.1 + debtors)
    );

    // Four confirmations of the same plan at once (four pending actions): the first reminds
    // everyone, the others find them reminded today.
    let p = d
        .plan_relance(
            &gestionnaire,
            serde_json::json!({ "residence": "Guéliz", "forcer": false, "jours_retard_min": 0 }),
        )
        .await
        .unwrap_err();
    assert!(p.to_string().starts_with("Aucune relance à envoyer"), "{p}");
    let fresh = demo_with(tous_les_canaux()).await;
    let gestionnaire = fresh.caller(fresh.atlas, Role::Gestionnaire).await;
    let p = fresh
        .plan_relance(&gestionnaire, serde_json::json!({ "residence": "Guéliz" }))
        .await
        .unwrap();
    let tasks: Vec<_> = (0..4)
        .map(|_| {
            let (ctx, caller, plan) = (fresh.ctx.clone(), gestionnaire.clone(), p.plan.clone());
            tokio::spawn(async move { spec().execute(&ctx, &caller, plan, Uuid::new_v4()).await })
        })
        .collect();
    let mut sent = 0;
    let mut skipped = 0;
    for t in tasks {
        let r = t.await.unwrap().unwrap();
        sent += relances(&r).len() as i64;
        skipped += raisons(&r)
            .iter()
            .filter(|(_, raison)| raison == "deja_relance")
            .count() as i64;
    }
    assert_eq!(sent, debtors);
    assert_eq!(skipped, 3 * debtors);
    let per_copro: Vec<i64> = sqlx::query_scalar(
        "SELECT count(*) FROM relances GROUP BY coproprietaire_id ORDER BY 1 DESC",
    )
    .fetch_all(&fresh.db.admin)
    .await
    .unwrap();
    assert_eq!(per_copro.first(), Some(&1));
    assert_eq!(per_copro.len() as i64, debtors);
}

#[tokio::test]
async fn an_arabic_speaking_co_owner_gets_the_message_in_arabic() {
    let d = demo_with(tous_les_canaux()).await;
    let comptable = d.caller(d.atlas, Role::Comptable).await;
    let meryem = d.copro("Meryem", "El Khatib").await;
    let raw = d.raw_dues("Résidence Agdal Parc", DEMO_TODAY).await;
    let (du, oldest) = raw[&meryem];
    let p = d
        .plan_relance(
            &comptable,
            serde_json::json!({ "coproprietaire": "Meryem El Khatib" }),
        )
        .await
        .unwrap();
    let r = d
        .execute_relance(&comptable, &p, Uuid::new_v4())
        .await
        .unwrap();
    let line = &relances(&r)[0];
    assert_eq!(line["canal"], "email");
    let (_, to, contenu) = d.contenu(line["outbox_id"].as_i64().unwrap()).await;
    assert_eq!(to, "meryem.el-khatib@gmail.com");
    assert_eq!(contenu["langue"], "ar");
    let texte = contenu["texte"].as_str().unwrap();
    let montant = format!("{}\u{a0}درهم", wakil_tools::format::montant(du));
    assert!(
        texte.starts_with("السيدة Meryem El Khatib المحترمة،"),
        "{texte}"
    );
    assert!(texte.contains(&montant), "{texte}");
    assert!(texte.contains(&date(oldest)), "{texte}");
    assert!(texte.contains("Résidence Agdal Parc، الوحدة "), "{texte}");
    assert!(
        !texte.contains("Bonjour") && !texte.contains("MAD"),
        "{texte}"
    );
    assert_eq!(
        contenu["modele"]["parametres"],
        serde_json::json!([montant, date(oldest)])
    );
}

#[tokio::test]
async fn co_owners_without_a_usable_channel_are_listed_for_a_manual_reminder() {
    // WhatsApp with its template, nothing else: only Khadija Lahlou (WhatsApp) can be reached.
    let d = demo_with(canaux(false, Some(Some("relance_impaye")), false)).await;
    let gestionnaire = d.caller(d.atlas, Role::Gestionnaire).await;
    let anas = d.copro("Anas", "Mernissi").await;
    sqlx::query("UPDATE coproprietaires SET email = NULL WHERE id = $1")
        .bind(anas)
        .execute(&d.db.admin)
        .await
        .unwrap();
    let raw = d.raw_dues(GUELIZ, DEMO_TODAY).await;
    let others = raw.len() - 1;
    let p = d
        .plan_relance(&gestionnaire, serde_json::json!({ "residence": "Guéliz" }))
        .await
        .unwrap();
    assert!(
        p.summary.starts_with(&format!(
            "Non relancés : {others} à relancer manuellement. Envoyer une relance à Mme Khadija Lahlou ({GUELIZ}, lot A41) par WhatsApp : "
        )),
        "{}",
        p.summary
    );
    let manual = &p.tables[1];
    assert_eq!(manual.rows.len(), others);
    let anas_row = manual
        .rows
        .iter()
        .find(|r| r[0] == "M. Anas Mernissi")
        .unwrap();
    assert_eq!(
        anas_row[4],
        "à relancer manuellement : aucun canal relié (ni Telegram, ni WhatsApp, ni e-mail)"
    );
    assert_eq!(anas_row[2], wakil_tools::format::montant(raw[&anas].0));
    let other = manual
        .rows
        .iter()
        .find(|r| r[0] != "M. Anas Mernissi")
        .unwrap();
    assert_eq!(
        other[4],
        "à relancer manuellement : e-mail non configuré sur ce serveur (SMTP)"
    );

    // Confirmed: one message; the output lists the others, with what they owe.
    let before = d.relance_counts().await;
    let r = d
        .execute_relance(&gestionnaire, &p, Uuid::new_v4())
        .await
        .unwrap();
    assert_eq!(d.relance_counts().await, (before.0 + 1, before.1 + 1));
    assert_eq!(relances(&r).len(), 1);
    assert_eq!(raisons(&r).len(), others);
    assert!(raisons(&r).iter().all(|(_, raison)| raison == "manuel"));
    let manuel = r.output["non_relances"]
        .as_array()
        .unwrap()
        .iter()
        .find(|n| n["coproprietaire_id"] == anas)
        .unwrap();
    assert_eq!(dec_of(&manuel["montant_du"]), raw[&anas].0);
    assert!(
        r.summary
            .ends_with(&format!("Non relancés : {others} à relancer manuellement.")),
        "{}",
        r.summary
    );

    // Alone, he cannot be reminded by message: said with what he owes, nothing written.
    let e = d
        .plan_relance(
            &gestionnaire,
            serde_json::json!({ "coproprietaire": "Anas Mernissi" }),
        )
        .await
        .unwrap_err();
    assert_eq!(
        e.to_string(),
        format!(
            "M. Anas Mernissi doit {} (échéance impayée la plus ancienne : {}) mais ne peut pas \
             être relancé par message : aucun canal relié (ni Telegram, ni WhatsApp, ni e-mail). \
             À relancer manuellement (téléphone, courrier).",
            mad(raw[&anas].0),
            date(raw[&anas].1)
        )
    );
    assert_eq!(d.relance_counts().await, (before.0 + 1, before.1 + 1));
}

#[tokio::test]
async fn named_co_owners_lots_and_lists_are_resolved_in_scope() {
    let d = demo_with(tous_les_canaux()).await;
    let admin = d.caller(d.atlas, Role::Admin).await;
    // A list: each resolved; one who owes nothing is said so.
    let p = d
        .plan_relance(
            &admin,
            serde_json::json!({ "coproprietaires": ["Driss El Fassi", "Rim Benabdellah", "Meryem Kettani"] }),
        )
        .await
        .unwrap();
    assert!(
        p.summary
            .starts_with("Non relancés : 1 sans impayé. Envoyer une relance à 2 copropriétaires"),
        "{}",
        p.summary
    );
    assert_eq!(p.tables[1].rows[0][0], "Mme Meryem Kettani");
    assert_eq!(p.tables[1].rows[0][4], "aucun impayé à relancer");
    // Unknown and ambiguous names, a lot without that owner: the usual French errors.
    let e = d
        .plan_relance(
            &admin,
            serde_json::json!({ "coproprietaire": "Benjelloun Zzz" }),
        )
        .await
        .unwrap_err();
    assert!(matches!(e, ToolError::NotFound { .. }), "{e}");
    let e = d
        .plan_relance(&admin, serde_json::json!({ "coproprietaire": "Lahlou" }))
        .await
        .unwrap_err();
    assert!(matches!(e, ToolError::Ambiguous { .. }), "{e}");
    let e = d
        .plan_relance(
            &admin,
            serde_json::json!({ "lot": "A41", "residence": "Guéliz", "coproprietaire": "Omar Lahlou" }),
        )
        .await
        .unwrap_err();
    assert!(
        e.to_string().contains("appartient à Mme Khadija Lahlou"),
        "{e}"
    );
    // Nothing said about whom: asked.
    let e = d
        .plan_relance(&admin, serde_json::json!({}))
        .await
        .unwrap_err();
    assert!(e.to_string().starts_with("Précisez qui relancer"), "{e}");
    let e = d
        .plan_relance(
            &admin,
            serde_json::json!({ "residence": "Guéliz", "montant_min": -5 }),
        )
        .await
        .unwrap_err();
    assert_eq!(e.to_string(), "Le montant minimum doit être positif.");
}

#[tokio::test]
async fn only_the_syndic_s_staff_who_manage_accounts_may_remind() {
    let d = demo_with(tous_les_canaux()).await;
    let before = d.relance_counts().await;
    for role in [Role::President, Role::Coproprietaire] {
        let caller = d.caller(d.atlas, role).await;
        let e = d
            .plan_relance(&caller, serde_json::json!({ "residence": "Guéliz" }))
            .await
            .unwrap_err();
        assert!(matches!(e, ToolError::Forbidden(_)), "{role:?}: {e}");
    }
    // Another syndic's staff do not see Atlas's résidences nor co-owners.
    let other: i64 =
        sqlx::query_scalar("SELECT id FROM syndics WHERE id <> $1 ORDER BY id LIMIT 1")
            .bind(d.atlas)
            .fetch_one(&d.db.admin)
            .await
            .unwrap();
    let stranger = d.caller(other, Role::Gestionnaire).await;
    for args in [
        serde_json::json!({ "residence": "Guéliz" }),
        serde_json::json!({ "coproprietaire": "Khadija Lahlou" }),
    ] {
        let e = d.plan_relance(&stranger, args).await.unwrap_err();
        assert!(matches!(e, ToolError::NotFound { .. }), "{e}");
    }
    // A plan of Atlas executed by the other syndic writes nothing for Atlas's co-owners.
    let gestionnaire = d.caller(d.atlas, Role::Gestionnaire).await;
    let p = d
        .plan_relance(
            &gestionnaire,
            serde_json::json!({ "lot": "A41", "residence": "Guéliz" }),
        )
        .await
        .unwrap();
    let r = d
        .execute_relance(&stranger, &p, Uuid::new_v4())
        .await
        .unwrap();
    assert!(relances(&r).is_empty());
    assert_eq!(d.relance_counts().await, before);
}
