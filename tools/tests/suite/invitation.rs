//! `inviter` against the demo data: the plan writes nothing, the execution creates one invitation
//! per confirmation (and the co-owner's account when they have none), only the token's hash is
//! stored, and the token shown redeems through the store into a channel identity.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use serde_json::json;
use uuid::Uuid;
use wakil_schema::store::jeton_sha256;
use wakil_schema::{Canal, Role};
use wakil_tools::envoi::{EnvoiConfig, TelegramConfig, WhatsAppConfig};
use wakil_tools::{ToolError, ToolResult};

use crate::common;
use common::{Demo, demo, execute, plan};

const MERNISSI: &str = "anas.mernissi@gmail.com";

impl Demo {
    async fn invitations(&self) -> i64 {
        sqlx::query_scalar("SELECT count(*) FROM invitations")
            .fetch_one(&self.db.admin)
            .await
            .unwrap()
    }

    async fn users(&self) -> i64 {
        sqlx::query_scalar("SELECT count(*) FROM users")
            .fetch_one(&self.db.admin)
            .await
            .unwrap()
    }

    async fn by_email(&self, email: &str) -> wakil_schema::Caller {
        self.ctx
            .store
            .caller_by_email(email, Canal::Web)
            .await
            .unwrap()
            .unwrap()
    }

    /// Plans then confirms `args` as `who`, with confirmation `id`.
    async fn invite(
        &self,
        who: &wakil_schema::Caller,
        args: serde_json::Value,
        id: Uuid,
    ) -> ToolResult {
        let p = plan(&self.ctx, who, "inviter", args).await.unwrap();
        execute(&self.ctx, who, &p, id).await.unwrap()
    }

    /// With the bot's username and the business number configured.
    fn with_links(mut self) -> Self {
        self.ctx.envoi = EnvoiConfig {
            telegram: Some(TelegramConfig {
                api_url: "http://127.0.0.1:9".into(),
                token: "123:abc".into(),
                bot_username: Some("AtlasSyndicBot".into()),
            }),
            whatsapp: Some(WhatsAppConfig {
                api_url: "http://127.0.0.1:9".into(),
                phone_number_id: "1055".into(),
                token: "EAAB".into(),
                modele_relance: None,
                numero: Some("212522123456".into()),
            }),
            email: None,
        };
        self
    }
}

#[tokio::test]
async fn a_co_owner_with_an_account_gets_a_telegram_link_that_links_their_account() {
    let d = demo().await.with_links();
    let staff = d.caller(d.atlas, Role::Gestionnaire).await;
    let owner = d.by_email(MERNISSI).await;

    let p = plan(
        &d.ctx,
        &staff,
        "inviter",
        json!({ "personne": "Anas Mernissi", "canal": "telegram" }),
    )
    .await
    .unwrap();
    assert_eq!(d.invitations().await, 0, "the plan writes nothing");
    assert!(
        p.summary
            .starts_with("Inviter Anas Mernissi (copropriétaire, "),
        "{}",
        p.summary
    );
    assert!(
        p.summary
            .ends_with("sur Telegram, invitation valable 7 jours ?")
    );
    let shown = p.tables[0].to_text();
    assert!(
        shown.contains("existant (anas.mernissi@gmail.com)"),
        "{shown}"
    );

    let r = execute(&d.ctx, &staff, &p, Uuid::new_v4()).await.unwrap();
    let code = r.output["code"].as_str().unwrap().to_string();
    assert_eq!(code.len(), 32);
    assert_eq!(
        r.output["lien"],
        format!("https://t.me/AtlasSyndicBot?start={code}")
    );
    assert_eq!(r.output["user_id"], owner.user_id);
    assert_eq!(r.output["compte_cree"], false);
    // The link is in the table, never in the summary (which the audit log keeps).
    assert!(!r.summary.contains(&code), "{}", r.summary);
    let shown = r.tables[0].to_text();
    assert!(shown.contains(&code));
    assert!(
        shown.contains(
            "Ouvrez ce lien sur le téléphone de Anas Mernissi, puis appuyez sur Démarrer"
        ),
        "{shown}"
    );

    // Only the hash is stored, with who created it and the channel.
    let (hash, cree_par, canal, telephone): (String, Option<i64>, Canal, Option<String>) =
        sqlx::query_as("SELECT jeton_sha256, cree_par, canal, telephone FROM invitations")
            .fetch_one(&d.db.admin)
            .await
            .unwrap();
    assert_eq!(hash, jeton_sha256(&code));
    assert_ne!(hash, code);
    assert_eq!(
        (cree_par, canal, telephone),
        (Some(staff.user_id), Canal::Telegram, None)
    );

    // The person opens the link: the bot redeems the token for their Telegram id.
    let linked = d
        .ctx
        .store
        .redeem_invitation(Canal::Telegram, &code, "5550001")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        (linked.user_id, linked.role, linked.canal),
        (owner.user_id, Role::Coproprietaire, Canal::Telegram)
    );
    let caller = d
        .ctx
        .store
        .channel_caller(Canal::Telegram, "5550001")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(caller.user_id, owner.user_id);
    assert_eq!(caller.coproprietaire_id, owner.coproprietaire_id);
    // Once.
    assert!(
        d.ctx
            .store
            .redeem_invitation(Canal::Telegram, &code, "5550002")
            .await
            .unwrap()
            .is_none()
    );
}

#[tokio::test]
async fn a_co_owner_without_an_account_gets_one_without_e_mail_and_their_registered_number() {
    let d = demo().await.with_links();
    let staff = d.caller(d.atlas, Role::Admin).await;
    let (copro, nom, telephone): (i64, String, String) = sqlx::query_as(
        "SELECT c.id, concat_ws(' ', c.prenom, c.nom), c.telephone FROM coproprietaires c
         WHERE c.syndic_id = $1 AND c.email IS NULL AND c.telephone IS NOT NULL
           AND NOT EXISTS (SELECT 1 FROM users u WHERE u.coproprietaire_id = c.id)
           AND EXISTS (SELECT 1 FROM proprietes p WHERE p.coproprietaire_id = c.id AND p.jusqu_au IS NULL)
           AND (SELECT count(*) FROM coproprietaires o
                WHERE o.syndic_id = c.syndic_id AND o.nom = c.nom AND o.prenom = c.prenom) = 1
         ORDER BY c.id LIMIT 1",
    )
    .bind(d.atlas)
    .fetch_one(&d.db.admin)
    .await
    .unwrap();
    let digits = telephone.trim_start_matches('+').to_string();
    let users = d.users().await;

    let p = plan(
        &d.ctx,
        &staff,
        "inviter",
        json!({ "personne": nom, "canal": "whatsapp" }),
    )
    .await
    .unwrap();
    assert_eq!(d.users().await, users, "the plan creates no account");
    assert!(
        p.summary.starts_with(&format!(
            "Un compte copropriétaire sera créé pour {nom} (sans e-mail ni mot de passe). Inviter {nom} (copropriétaire, "
        )),
        "{}",
        p.summary
    );
    assert!(p.tables[0].to_text().contains("Numéro WhatsApp"));

    let r = execute(&d.ctx, &staff, &p, Uuid::new_v4()).await.unwrap();
    assert_eq!(r.output["compte_cree"], true);
    assert_eq!(r.output["telephone"], digits);
    let code = r.output["code"].as_str().unwrap().to_string();
    assert_eq!(code.len(), 8);
    assert_eq!(
        r.output["lien"],
        format!("https://wa.me/212522123456?text={code}")
    );
    assert!(
        r.output["instructions"]
            .as_str()
            .unwrap()
            .starts_with("Depuis le numéro +212 "),
        "{}",
        r.output["instructions"]
    );
    let (user, email, role, password): (i64, Option<String>, Role, Option<String>) =
        sqlx::query_as(
            "SELECT id, email, role, password_hash FROM users WHERE coproprietaire_id = $1",
        )
        .bind(copro)
        .fetch_one(&d.db.admin)
        .await
        .unwrap();
    assert_eq!((email, role, password), (None, Role::Coproprietaire, None));
    assert_eq!(r.output["user_id"], user);

    // The code works from the registered number only.
    assert!(
        d.ctx
            .store
            .redeem_invitation(Canal::Whatsapp, &code, "212600000000")
            .await
            .unwrap()
            .is_none()
    );
    let linked = d
        .ctx
        .store
        .redeem_invitation(Canal::Whatsapp, &code, &digits)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        (linked.user_id, linked.coproprietaire_id),
        (user, Some(copro))
    );
    assert!(
        d.ctx
            .store
            .channel_caller(Canal::Whatsapp, &digits)
            .await
            .unwrap()
            .is_some()
    );
}

#[tokio::test]
async fn staff_are_invited_by_e_mail_on_whatsapp_with_their_number() {
    let d = demo().await;
    let staff = d.caller(d.atlas, Role::Gestionnaire).await;
    let comptable: String =
        sqlx::query_scalar("SELECT email FROM users WHERE syndic_id = $1 AND role = 'comptable'")
            .bind(d.atlas)
            .fetch_one(&d.db.admin)
            .await
            .unwrap();
    // Without a number: asked for one.
    let e = plan(
        &d.ctx,
        &staff,
        "inviter",
        json!({ "personne": comptable, "canal": "whatsapp" }),
    )
    .await
    .unwrap_err();
    assert!(
        e.to_string().starts_with("Indiquez le numéro WhatsApp de "),
        "{e}"
    );
    // A number that is none.
    let e = plan(
        &d.ctx,
        &staff,
        "inviter",
        json!({ "personne": comptable, "canal": "whatsapp", "telephone": "12 34" }),
    )
    .await
    .unwrap_err();
    assert!(
        e.to_string().starts_with("Numéro de téléphone non reconnu"),
        "{e}"
    );

    let r = d
        .invite(
            &staff,
            json!({ "personne": comptable.to_uppercase(), "canal": "WhatsApp", "telephone": "06 12 34 56 78" }),
            Uuid::new_v4(),
        )
        .await;
    assert_eq!(r.output["role"], "comptable");
    assert_eq!(r.output["telephone"], "212612345678");
    // No business number configured: no link, the code and what to do with it.
    assert_eq!(r.output["lien"], serde_json::Value::Null);
    let code = r.output["code"].as_str().unwrap().to_string();
    assert!(
        r.output["instructions"].as_str().unwrap().starts_with(&format!(
            "Depuis le numéro +212 6 12 34 56 78, envoyez ce code au numéro WhatsApp du syndic : {code}."
        )),
        "{}",
        r.output["instructions"]
    );
    let linked = d
        .ctx
        .store
        .redeem_invitation(Canal::Whatsapp, &code, "212612345678")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(linked.role, Role::Comptable);

    // A staff member by name, on Telegram without a configured bot username.
    let nom: String = sqlx::query_scalar(
        "SELECT nom_complet FROM users WHERE syndic_id = $1 AND role = 'admin' ORDER BY id LIMIT 1",
    )
    .bind(d.atlas)
    .fetch_one(&d.db.admin)
    .await
    .unwrap();
    let r = d
        .invite(
            &staff,
            json!({ "personne": nom, "canal": "telegram" }),
            Uuid::new_v4(),
        )
        .await;
    assert_eq!(r.output["role"], "admin");
    let code = r.output["code"].as_str().unwrap();
    assert!(
        r.output["instructions"]
            .as_str()
            .unwrap()
            .contains(&format!("envoyez /start {code}")),
        "{}",
        r.output["instructions"]
    );
}

#[tokio::test]
async fn co_owners_presidents_and_comptables_may_not_invite() {
    let d = demo().await;
    for role in [Role::Coproprietaire, Role::President, Role::Comptable] {
        let who = d.caller(d.atlas, role).await;
        let e = plan(
            &d.ctx,
            &who,
            "inviter",
            json!({ "personne": "Anas Mernissi", "canal": "telegram" }),
        )
        .await
        .unwrap_err();
        assert!(matches!(e, ToolError::Forbidden(_)), "{role:?}: {e}");
    }
    assert_eq!(d.invitations().await, 0);
}

#[tokio::test]
async fn unknown_people_get_the_closest_names_and_inactive_users_are_refused() {
    let d = demo().await;
    let staff = d.caller(d.atlas, Role::Gestionnaire).await;
    let e = plan(
        &d.ctx,
        &staff,
        "inviter",
        json!({ "personne": "Anas Mernisi", "canal": "telegram" }),
    )
    .await
    .unwrap_err();
    let text = e.to_string();
    assert!(
        text.starts_with("Aucune personne ne correspond à « Anas Mernisi ». Vouliez-vous dire : ")
            && text.contains("Anas Mernissi"),
        "{text}"
    );
    let e = plan(
        &d.ctx,
        &staff,
        "inviter",
        json!({ "personne": "personne@nulle-part.ma", "canal": "telegram" }),
    )
    .await
    .unwrap_err();
    assert!(matches!(e, ToolError::NotFound { .. }), "{e}");
    // Another syndic's people are unknown here.
    let other: String = sqlx::query_scalar(
        "SELECT email FROM users WHERE syndic_id <> $1 AND role = 'gestionnaire' LIMIT 1",
    )
    .bind(d.atlas)
    .fetch_one(&d.db.admin)
    .await
    .unwrap();
    let e = plan(
        &d.ctx,
        &staff,
        "inviter",
        json!({ "personne": other, "canal": "telegram" }),
    )
    .await
    .unwrap_err();
    assert!(matches!(e, ToolError::NotFound { .. }), "{e}");

    sqlx::query("UPDATE users SET actif = false WHERE email = $1")
        .bind(MERNISSI)
        .execute(&d.db.admin)
        .await
        .unwrap();
    let e = plan(
        &d.ctx,
        &staff,
        "inviter",
        json!({ "personne": "Anas Mernissi", "canal": "telegram" }),
    )
    .await
    .unwrap_err();
    assert!(
        e.to_string()
            .starts_with("Le compte de Anas Mernissi est désactivé"),
        "{e}"
    );
    assert_eq!(d.invitations().await, 0);
}

#[tokio::test]
async fn confirming_twice_creates_one_invitation_and_shows_its_code_once() {
    let d = demo().await;
    let staff = d.caller(d.atlas, Role::Gestionnaire).await;
    let p = plan(
        &d.ctx,
        &staff,
        "inviter",
        json!({ "personne": "Anas Mernissi", "canal": "telegram" }),
    )
    .await
    .unwrap();
    let id = Uuid::new_v4();
    let first = execute(&d.ctx, &staff, &p, id).await.unwrap();
    let again = execute(&d.ctx, &staff, &p, id).await.unwrap();
    assert_eq!(d.invitations().await, 1);
    assert_eq!(first.output["deja_creee"], false);
    assert_eq!(again.output["deja_creee"], true);
    assert_eq!(again.output["invitation_id"], first.output["invitation_id"]);
    assert_eq!(again.output["code"], serde_json::Value::Null);
    let code = first.output["code"].as_str().unwrap();
    assert!(!again.summary.contains(code) && !again.tables[0].to_text().contains(code));
    assert!(
        again
            .summary
            .contains("avait déjà été créée par cette confirmation"),
        "{}",
        again.summary
    );
    // A new confirmation is a new invitation, with a new code.
    let other = execute(&d.ctx, &staff, &p, Uuid::new_v4()).await.unwrap();
    assert_ne!(other.output["code"], first.output["code"]);
    assert_eq!(d.invitations().await, 2);
}
