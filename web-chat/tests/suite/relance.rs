//! A reminder through the web chat, end to end: the staff member asks, sees the confirmation
//! (how many, how much, which channel), confirms; the outbox worker running inside the server
//! sends the message; the server stops its worker at shutdown.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use crate::common;

use common::{STAFF, of_type, spawn_app_with_outbox, text_of};
use serde_json::json;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use wakil_schema::Canal;
use wakil_tools::envoi::{
    Accuse, Destinataire, EnvoiConfig, EnvoiFuture, Envoyeur, Envoyeurs, MessageSortant,
    OutboxConfig, OutboxWorker, TelegramConfig,
};

/// A Telegram client that takes every message and keeps (chat, text).
#[derive(Clone, Default)]
struct Recu(Arc<Mutex<Vec<(String, String)>>>);

impl Envoyeur for Recu {
    fn envoyer<'a>(
        &'a self,
        destinataire: &'a Destinataire<'a>,
        message: &'a MessageSortant,
    ) -> EnvoiFuture<'a> {
        self.0
            .lock()
            .unwrap()
            .push((destinataire.adresse.to_string(), message.texte.clone()));
        Box::pin(async {
            Ok(Accuse {
                reference: Some("42".into()),
            })
        })
    }
}

#[tokio::test]
async fn a_confirmed_reminder_is_sent_by_the_server_s_outbox_worker() {
    let recu = Recu::default();
    let envoi = EnvoiConfig {
        telegram: Some(TelegramConfig {
            api_url: "http://127.0.0.1:9".into(),
            token: "t".into(),
            bot_username: None,
        }),
        ..EnvoiConfig::default()
    };
    let client = recu.clone();
    let mut app = spawn_app_with_outbox(envoi, move |store| {
        OutboxWorker::new(
            store,
            Envoyeurs::default().avec(Canal::Telegram, client),
            OutboxConfig {
                intervalle: Duration::from_millis(50),
                ..OutboxConfig::default()
            },
        )
    })
    .await;
    sqlx::query(
        "INSERT INTO channel_links (syndic_id, user_id, canal, identifiant, verifie_le)
         SELECT u.syndic_id, u.id, 'telegram', '777001', now() FROM users u
         JOIN coproprietaires c ON c.id = u.coproprietaire_id
         WHERE c.prenom = 'Omar' AND c.nom = 'Lahlou'",
    )
    .execute(&app.db.admin)
    .await
    .unwrap();

    let (_, mut ws, _) = app.open_as(STAFF).await;
    let frames = ws.ask("relance Omar Lahlou").await;
    let confirmation = of_type(&frames, "confirmation");
    assert_eq!(confirmation.len(), 1, "{frames:?}");
    let summary = confirmation[0]["summary"].as_str().unwrap();
    assert!(
        summary.starts_with("Envoyer une relance à M. Omar Lahlou (Résidence Les Jardins de Guéliz, lots B21, P05) par Telegram : "),
        "{summary}"
    );
    assert!(
        recu.0.lock().unwrap().is_empty(),
        "nothing before the click"
    );

    ws.send(json!({ "type": "confirm", "id": confirmation[0]["id"] }))
        .await;
    let done = ws.turn().await;
    assert!(
        text_of(&done).starts_with("1 relance en cours d'envoi pour un total dû de "),
        "{done:?}"
    );

    let deadline = Instant::now() + Duration::from_secs(10);
    while recu.0.lock().unwrap().is_empty() {
        assert!(Instant::now() < deadline, "the worker did not send it");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let (chat, texte) = recu.0.lock().unwrap()[0].clone();
    assert_eq!(chat, "777001");
    assert!(texte.starts_with("Bonjour M. Lahlou,"), "{texte}");
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let statut: String = sqlx::query_scalar("SELECT statut::text FROM outbox")
            .fetch_one(&app.db.admin)
            .await
            .unwrap();
        if statut == "envoye" {
            break;
        }
        assert!(Instant::now() < deadline, "not recorded as sent: {statut}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }

    // Ctrl-C: the server stops, and its worker with it.
    app.stop().await.unwrap();
    assert_eq!(recu.0.lock().unwrap().len(), 1);
}
