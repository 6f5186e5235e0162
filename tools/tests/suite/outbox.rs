//! The outbox worker against the demo database and fake providers on 127.0.0.1 speaking the real
//! protocols (Telegram Bot API, WhatsApp Cloud API, SMTP): reminders queued by `send_relance`
//! are sent; transient failures are retried with their attempts counted; a permanent refusal,
//! or too many failures, is a dead letter that an operator can queue again; WhatsApp sends free
//! text inside the 24-hour window and the approved template outside; a channel this server
//! cannot use waits; two workers never send a message twice; the worker stops when told.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use rust_decimal::Decimal;
use std::time::Duration;
use uuid::Uuid;
use wakil_schema::{Role, StatutOutbox};
use wakil_tools::envoi::{
    EnvoiConfig, Envoyeurs, OutboxConfig, OutboxWorker, SmtpConfig, TelegramConfig, WhatsAppConfig,
};
use wakil_tools::format::{date, mad};
use wakil_tools::{Called, ToolResult};

use crate::common;
use crate::fakes;
use common::{Demo, demo};
use fakes::{FakeApi, FakeSmtp, telegram_erreur, telegram_ok, whatsapp_ok};

const TOKEN: &str = "123456:ABC-test";

fn telegram(api: &FakeApi) -> EnvoiConfig {
    EnvoiConfig {
        telegram: Some(TelegramConfig {
            api_url: api.url.clone(),
            token: TOKEN.into(),
            bot_username: None,
        }),
        ..EnvoiConfig::default()
    }
}

/// Retries at once, three attempts at most.
fn rapide() -> OutboxConfig {
    OutboxConfig {
        intervalle: Duration::from_millis(50),
        max_tentatives: 3,
        delai_base: Duration::ZERO,
        ..OutboxConfig::default()
    }
}

/// (status, attempts, last error, provider's id, sent) of an outbox message.
type Etat = (StatutOutbox, i32, Option<String>, Option<String>, bool);

impl Demo {
    fn worker(&self, config: OutboxConfig) -> OutboxWorker {
        OutboxWorker::new(
            self.ctx.store.clone(),
            Envoyeurs::from_config(&self.ctx.envoi).unwrap(),
            config,
        )
    }

    /// Plans and confirms `send_relance` as the syndic's gestionnaire.
    async fn relancer(&self, syndic: i64, args: serde_json::Value) -> ToolResult {
        let caller = self.caller(syndic, Role::Gestionnaire).await;
        let spec = wakil_tools::find("send_relance").unwrap();
        let Called::Pending(p) = spec.call(&self.ctx, &caller, args).await.unwrap() else {
            panic!("a write waits for its confirmation");
        };
        spec.execute(&self.ctx, &caller, p.plan, Uuid::new_v4())
            .await
            .unwrap()
    }

    /// A verified Telegram chat for the co-owner's user.
    async fn lier_telegram(&self, prenom: &str, nom: &str, chat: &str) {
        let n = sqlx::query(
            "INSERT INTO channel_links (syndic_id, user_id, canal, identifiant, verifie_le)
             SELECT u.syndic_id, u.id, 'telegram', $3, now() FROM users u
             JOIN coproprietaires c ON c.id = u.coproprietaire_id WHERE c.prenom = $1 AND c.nom = $2",
        )
        .bind(prenom)
        .bind(nom)
        .bind(chat)
        .execute(&self.db.admin)
        .await
        .unwrap();
        assert_eq!(n.rows_affected(), 1);
    }

    async fn etat(&self, outbox: i64) -> Etat {
        sqlx::query_as(
            "SELECT statut, tentatives, derniere_erreur, reference_externe, envoye_le IS NOT NULL
             FROM outbox WHERE id = $1",
        )
        .bind(outbox)
        .fetch_one(&self.db.admin)
        .await
        .unwrap()
    }

    async fn texte(&self, outbox: i64) -> String {
        let contenu: serde_json::Value =
            sqlx::query_scalar("SELECT contenu FROM outbox WHERE id = $1")
                .bind(outbox)
                .fetch_one(&self.db.admin)
                .await
                .unwrap();
        contenu["texte"].as_str().unwrap().to_string()
    }
}

/// The queued messages of a `send_relance` result: (co-owner, outbox id, amount, oldest date).
fn queued(r: &ToolResult) -> Vec<(String, i64, Decimal, String)> {
    r.output["relances"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| {
            (
                l["coproprietaire"].as_str().unwrap().to_string(),
                l["outbox_id"].as_i64().unwrap(),
                l["montant_du"].as_str().unwrap().parse().unwrap(),
                l["plus_ancienne_echeance"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

#[tokio::test]
async fn transient_failures_are_retried_with_their_attempts_counted_then_the_message_is_sent() {
    // Telegram answers 500 twice, then takes the message.
    let api = FakeApi::start(|_, n| {
        if n < 2 {
            telegram_erreur(500, "Internal Server Error")
        } else {
            telegram_ok(n)
        }
    })
    .await;
    let mut d = demo().await;
    d.ctx.envoi = telegram(&api);
    d.lier_telegram("Omar", "Lahlou", "555001").await;
    let r = d
        .relancer(
            d.atlas,
            serde_json::json!({ "coproprietaire": "Omar Lahlou" }),
        )
        .await;
    let [(_, id, montant, oldest)] = queued(&r).try_into().unwrap();
    assert_eq!(d.etat(id).await.0, StatutOutbox::EnAttente);
    let w = d.worker(rapide());

    let b = w.passe().await.unwrap();
    assert_eq!((b.envoyes, b.echecs), (0, 1));
    let e = d.etat(id).await;
    assert_eq!((e.0, e.1, e.4), (StatutOutbox::Echec, 1, false));
    assert_eq!(
        e.2.as_deref(),
        Some("Telegram a refusé le message (500) : Internal Server Error")
    );
    w.passe().await.unwrap();
    assert_eq!(d.etat(id).await.1, 2);
    let b = w.passe().await.unwrap();
    assert_eq!(b.envoyes, 1);
    let e = d.etat(id).await;
    assert_eq!(
        (e.0, e.1, e.3.as_deref(), e.4),
        (StatutOutbox::Envoye, 3, Some("1002"), true)
    );
    // Nothing more to do.
    assert_eq!(w.passe().await.unwrap(), Default::default());

    let requetes = api.requetes();
    assert_eq!(requetes.len(), 3);
    let texte = d.texte(id).await;
    for q in &requetes {
        assert_eq!(q.chemin, format!("/bot{TOKEN}/sendMessage"));
        assert_eq!(q.corps["chat_id"], 555001);
        assert_eq!(q.corps["text"], texte.as_str());
    }
    assert!(texte.starts_with("Bonjour M. Lahlou,"), "{texte}");
    assert!(texte.contains(&mad(montant)), "{texte}");
    let oldest = chrono::NaiveDate::parse_from_str(&oldest, "%Y-%m-%d").unwrap();
    assert!(texte.contains(&date(oldest)), "{texte}");
}

#[tokio::test]
async fn a_refusal_is_a_dead_letter_at_once_and_failures_stop_after_the_last_attempt() {
    // One recipient blocked the bot (403: permanent); the other's requests always fail (502).
    let api = FakeApi::start(|q, n| match q.corps["chat_id"].as_i64() {
        Some(555001) => telegram_erreur(403, "Forbidden: bot was blocked by the user"),
        Some(555002) => telegram_erreur(502, "Bad Gateway"),
        _ => telegram_ok(n),
    })
    .await;
    let mut d = demo().await;
    d.ctx.envoi = telegram(&api);
    d.lier_telegram("Omar", "Lahlou", "555001").await;
    d.lier_telegram("Meryem", "Marrakchi", "555002").await;
    let r = d
        .relancer(
            d.atlas,
            serde_json::json!({ "coproprietaires": ["Omar Lahlou", "Meryem Marrakchi"] }),
        )
        .await;
    let ids: std::collections::HashMap<String, i64> = queued(&r)
        .into_iter()
        .map(|(c, id, _, _)| (c, id))
        .collect();
    let (omar, meryem) = (ids["M. Omar Lahlou"], ids["Mme Meryem Marrakchi"]);
    let w = d.worker(rapide());

    let b = w.passe().await.unwrap();
    assert_eq!((b.abandonnes, b.echecs), (1, 1));
    let e = d.etat(omar).await;
    assert_eq!(
        (e.0, e.1, e.2.as_deref()),
        (
            StatutOutbox::Abandonne,
            1,
            Some("Telegram a refusé le message (403) : Forbidden: bot was blocked by the user")
        )
    );
    assert_eq!(d.etat(meryem).await.0, StatutOutbox::Echec);
    w.passe().await.unwrap();
    let b = w.passe().await.unwrap();
    assert_eq!(b.abandonnes, 1);
    let e = d.etat(meryem).await;
    assert_eq!(
        (e.0, e.1, e.2.as_deref(), e.4),
        (
            StatutOutbox::Abandonne,
            3,
            Some("Telegram a refusé le message (502) : Bad Gateway (3 tentatives)"),
            false
        )
    );
    assert_eq!(w.passe().await.unwrap(), Default::default());
    let count = |chat: i64| {
        api.requetes()
            .iter()
            .filter(|q| q.corps["chat_id"] == chat)
            .count()
    };
    assert_eq!((count(555001), count(555002)), (1, 3));

    // The operator sees the dead letters and queues one again: it starts over.
    let morts = wakil_schema::store::lister_outbox(&d.db.admin, Some(StatutOutbox::Abandonne), 10)
        .await
        .unwrap();
    assert_eq!(morts.len(), 2);
    assert!(morts.iter().all(|m| m.syndic == "Atlas Syndic"));
    assert!(
        wakil_schema::store::relancer_abandonne(&d.db.admin, meryem)
            .await
            .unwrap()
    );
    assert_eq!(d.etat(meryem).await.0, StatutOutbox::EnAttente);
    assert_eq!(d.etat(meryem).await.1, 0);
    assert!(
        !wakil_schema::store::relancer_abandonne(&d.db.admin, meryem)
            .await
            .unwrap(),
        "only a dead letter is queued again"
    );
}

#[tokio::test]
async fn whatsapp_sends_free_text_inside_the_24_hour_window_and_the_template_outside() {
    let api = FakeApi::start(|q, n| {
        if q.autorisation.as_deref() != Some("Bearer EAAB-test") {
            return (401, serde_json::json!({ "error": { "message": "Invalid OAuth access token", "code": 190 } }));
        }
        whatsapp_ok(n, q.corps["to"].as_str().unwrap_or_default())
    })
    .await;
    let mut d = demo().await;
    d.ctx.envoi = EnvoiConfig {
        whatsapp: Some(WhatsAppConfig {
            api_url: format!("{}/v21.0", api.url),
            phone_number_id: "1055".into(),
            token: "EAAB-test".into(),
            modele_relance: Some("relance_impaye".into()),
            numero: None,
        }),
        ..EnvoiConfig::default()
    };
    // Driss El Fassi wrote two hours ago; Khadija Lahlou never did.
    sqlx::query(
        "UPDATE channel_links SET dernier_entrant_le = now() - interval '2 hours'
         WHERE canal = 'whatsapp' AND identifiant = '212645310697'",
    )
    .execute(&d.db.admin)
    .await
    .unwrap();
    let r = d
        .relancer(
            d.atlas,
            serde_json::json!({ "coproprietaires": ["Khadija Lahlou", "Driss El Fassi"] }),
        )
        .await;
    let b = d.worker(rapide()).passe().await.unwrap();
    assert_eq!(b.envoyes, 2);

    let requetes = api.requetes();
    assert_eq!(requetes.len(), 2);
    for (coproprietaire, id, montant, oldest) in queued(&r) {
        let e = d.etat(id).await;
        assert_eq!(e.0, StatutOutbox::Envoye);
        assert!(e.3.as_deref().unwrap().starts_with("wamid.TEST"));
        let to = if coproprietaire == "M. Driss El Fassi" {
            "212645310697"
        } else {
            "212668211981"
        };
        let q = requetes.iter().find(|q| q.corps["to"] == to).unwrap();
        assert_eq!(q.chemin, "/v21.0/1055/messages");
        assert_eq!(q.corps["messaging_product"], "whatsapp");
        if to == "212645310697" {
            assert_eq!(q.corps["type"], "text");
            assert_eq!(q.corps["text"]["body"], d.texte(id).await.as_str());
        } else {
            assert_eq!(q.corps["type"], "template");
            let t = &q.corps["template"];
            assert_eq!(t["name"], "relance_impaye");
            assert_eq!(t["language"]["code"], "fr");
            let oldest = chrono::NaiveDate::parse_from_str(&oldest, "%Y-%m-%d").unwrap();
            assert_eq!(
                t["components"][0]["parameters"],
                serde_json::json!([
                    { "type": "text", "text": mad(montant) },
                    { "type": "text", "text": date(oldest) },
                ])
            );
        }
    }
}

#[tokio::test]
async fn e_mail_goes_through_smtp_in_the_co_owner_s_language() {
    let smtp = FakeSmtp::start().await;
    let mut d = demo().await;
    d.ctx.envoi = EnvoiConfig {
        email: Some(SmtpConfig {
            url: format!("smtp://127.0.0.1:{}", smtp.port),
            from: "Atlas Syndic <relances@atlas-syndic.ma>".into(),
        }),
        ..EnvoiConfig::default()
    };
    let r = d
        .relancer(
            d.atlas,
            serde_json::json!({ "coproprietaire": "Meryem El Khatib" }),
        )
        .await;
    let [(_, id, montant, _)] = queued(&r).try_into().unwrap();
    assert_eq!(d.worker(rapide()).passe().await.unwrap().envoyes, 1);

    let [mail] = smtp.courriels().try_into().unwrap();
    assert_eq!(mail.ehlo, "atlas-syndic.ma");
    assert_eq!(mail.from, "relances@atlas-syndic.ma");
    assert_eq!(mail.to, ["meryem.el-khatib@gmail.com"]);
    assert!(
        mail.header("To")
            .unwrap()
            .contains("meryem.el-khatib@gmail.com")
    );
    assert!(
        mail.header("Content-Type")
            .unwrap()
            .starts_with("text/plain; charset=utf-8")
    );
    let body = mail.body().replace("\r\n", "\n");
    assert_eq!(body.trim_end(), d.texte(id).await);
    assert!(body.contains("الملكية المشتركة"));
    assert!(body.contains(&format!(
        "{}\u{a0}درهم",
        wakil_tools::format::montant(montant)
    )));
    let e = d.etat(id).await;
    assert_eq!(e.0, StatutOutbox::Envoye);
    assert_eq!(e.3.as_deref(), Some("2.0.0 Ok: queued as FAKE1"));
}

#[tokio::test]
async fn a_message_for_a_channel_not_configured_here_waits_without_using_its_attempts() {
    let api = FakeApi::start(|_, n| telegram_ok(n)).await;
    let mut d = demo().await;
    d.ctx.envoi = telegram(&api);
    d.lier_telegram("Omar", "Lahlou", "555001").await;
    let r = d
        .relancer(
            d.atlas,
            serde_json::json!({ "coproprietaire": "Omar Lahlou" }),
        )
        .await;
    let [(_, id, _, _)] = queued(&r).try_into().unwrap();
    // This worker has no Telegram client (the server restarted without the token).
    let w = OutboxWorker::new(d.ctx.store.clone(), Envoyeurs::default(), rapide());
    let b = w.passe().await.unwrap();
    assert_eq!(b.differes, 1);
    let e = d.etat(id).await;
    assert_eq!((e.0, e.1), (StatutOutbox::Echec, 0));
    assert_eq!(
        e.2.as_deref(),
        Some(
            "Telegram n'est pas configuré sur ce serveur (TELEGRAM_BOT_TOKEN) : le message partira dès qu'il le sera"
        )
    );
    // Not due again before the wait is over.
    assert_eq!(w.passe().await.unwrap(), Default::default());
    assert!(api.requetes().is_empty());
}

#[tokio::test]
async fn two_workers_never_send_a_message_twice_and_serve_every_syndic() {
    let smtp = FakeSmtp::start().await;
    let mut d = demo().await;
    d.ctx.envoi = EnvoiConfig {
        email: Some(SmtpConfig {
            url: format!("smtp://127.0.0.1:{}", smtp.port),
            from: "relances@wakil.ma".into(),
        }),
        ..EnvoiConfig::default()
    };
    let other: i64 =
        sqlx::query_scalar("SELECT id FROM syndics WHERE id <> $1 ORDER BY id LIMIT 1")
            .bind(d.atlas)
            .fetch_one(&d.db.admin)
            .await
            .unwrap();
    let atlas = d
        .relancer(d.atlas, serde_json::json!({ "residence": "Guéliz" }))
        .await;
    let manar = d
        .relancer(
            other,
            serde_json::json!({ "coproprietaire": "Aïcha Bouzidi" }),
        )
        .await;
    let total = queued(&atlas).len() + queued(&manar).len();
    assert!(total >= 3);

    let (w1, w2) = (d.worker(rapide()), d.worker(rapide()));
    let (a, b) = tokio::join!(w1.passe(), w2.passe());
    let (a, b) = (a.unwrap(), b.unwrap());
    assert_eq!(a.envoyes + b.envoyes, total);
    let mails = smtp.courriels();
    assert_eq!(mails.len(), total);
    let mut to: Vec<String> = mails.iter().flat_map(|m| m.to.clone()).collect();
    to.sort();
    to.dedup();
    assert_eq!(to.len(), total, "each co-owner got one message");
    assert!(to.contains(&"aicha.bouzidi@menara.ma".to_string()));
    for (_, id, _, _) in queued(&atlas).into_iter().chain(queued(&manar)) {
        assert_eq!(d.etat(id).await.0, StatutOutbox::Envoye);
    }
}

#[tokio::test]
async fn the_running_worker_sends_what_is_queued_and_stops_when_told() {
    let api = FakeApi::start(|_, n| telegram_ok(n)).await;
    let mut d = demo().await;
    d.ctx.envoi = telegram(&api);
    d.lier_telegram("Omar", "Lahlou", "555001").await;
    let (stop, stopped) = tokio::sync::watch::channel(false);
    let task = d.worker(rapide()).spawn(stopped);
    let r = d
        .relancer(
            d.atlas,
            serde_json::json!({ "coproprietaire": "Omar Lahlou" }),
        )
        .await;
    let [(_, id, _, _)] = queued(&r).try_into().unwrap();
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    while d.etat(id).await.0 != StatutOutbox::Envoye {
        assert!(std::time::Instant::now() < deadline, "not sent in time");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    stop.send(true).unwrap();
    tokio::time::timeout(Duration::from_secs(5), task)
        .await
        .expect("the worker stops")
        .unwrap();
    assert_eq!(api.requetes().len(), 1);
}
