//! Telegram and WhatsApp in the store: invitations redeemed once (even concurrently), only on
//! time, on their channel and from the invited number; channel identities re-bound to the invited
//! user; deliveries seen once; payment proofs; and none of it visible to another syndic.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use chrono::{Duration, Utc};
use uuid::Uuid;
use wakil_schema::store::{NouveauFichier, NouvelleInvitation, jeton_sha256};
use wakil_schema::testing::{Template, TestDb, fresh};
use wakil_schema::{Caller, Canal, Role, StoreError};

struct Demo {
    db: TestDb,
    atlas: i64,
    other: i64,
}

async fn demo() -> Demo {
    let db = fresh(Template::Demo).await;
    let ids: Vec<i64> = sqlx::query_scalar("SELECT id FROM syndics ORDER BY id")
        .fetch_all(&db.admin)
        .await
        .unwrap();
    Demo {
        db,
        atlas: ids[0],
        other: ids[1],
    }
}

impl Demo {
    /// The first active user of `role` in `syndic`: (user id, co-owner id).
    async fn user(&self, syndic: i64, role: Role) -> (i64, Option<i64>) {
        sqlx::query_as(
            "SELECT id, coproprietaire_id FROM users
             WHERE syndic_id = $1 AND role = $2 AND actif ORDER BY id LIMIT 1",
        )
        .bind(syndic)
        .bind(role)
        .fetch_one(&self.db.admin)
        .await
        .unwrap()
    }

    async fn caller(&self, syndic: i64, user_id: i64) -> Caller {
        let mut t = self.db.store.tenant_read(syndic).await.unwrap();
        let c = t.caller(user_id, Canal::Web).await.unwrap().unwrap();
        t.commit().await.unwrap();
        c
    }

    /// Records an invitation of `user_id` valid for `days`; its id.
    async fn invite(
        &self,
        syndic: i64,
        user_id: i64,
        canal: Canal,
        token: &str,
        telephone: Option<&str>,
    ) -> i64 {
        let mut t = self.db.store.tenant(syndic).await.unwrap();
        let hash = jeton_sha256(token);
        let id = t
            .create_invitation(&NouvelleInvitation {
                user_id,
                canal,
                jeton_sha256: &hash,
                telephone,
                cree_par: None,
                confirmation_id: Some(Uuid::new_v4()),
                expire_le: Utc::now() + Duration::days(7),
            })
            .await
            .unwrap();
        t.commit().await.unwrap();
        id
    }

    /// The link of `identifiant` on `canal`: (user id, syndic id, verified, last inbound set).
    async fn link(&self, canal: Canal, identifiant: &str) -> Option<(i64, i64, bool, bool)> {
        sqlx::query_as(
            "SELECT user_id, syndic_id, verifie_le IS NOT NULL, dernier_entrant_le IS NOT NULL
             FROM channel_links WHERE canal = $1 AND identifiant = $2",
        )
        .bind(canal)
        .bind(identifiant)
        .fetch_optional(&self.db.admin)
        .await
        .unwrap()
    }
}

#[tokio::test]
async fn an_invitation_is_redeemed_once_and_links_the_identity() {
    let d = demo().await;
    let (user, _) = d.user(d.atlas, Role::Coproprietaire).await;
    let token = "0123456789abcdef0123456789abcdef";
    let id = d.invite(d.atlas, user, Canal::Telegram, token, None).await;
    let store = &d.db.store;

    // Unknown tokens, or the right token on the wrong channel, link nothing.
    assert!(
        store
            .redeem_invitation(
                Canal::Telegram,
                "ffffffffffffffffffffffffffffffff",
                "777001"
            )
            .await
            .unwrap()
            .is_none()
    );
    assert!(
        store
            .redeem_invitation(Canal::Whatsapp, token, "212600000001")
            .await
            .unwrap()
            .is_none()
    );

    let caller = store
        .redeem_invitation(Canal::Telegram, token, "777001")
        .await
        .unwrap()
        .expect("the invitation links the account");
    assert_eq!(
        (caller.user_id, caller.syndic_id, caller.canal),
        (user, d.atlas, Canal::Telegram)
    );
    assert_eq!(caller.role, Role::Coproprietaire);
    assert_eq!(
        d.link(Canal::Telegram, "777001").await,
        Some((user, d.atlas, true, true))
    );
    let (utilisee, identifiant): (bool, Option<String>) = sqlx::query_as(
        "SELECT utilisee_le IS NOT NULL, identifiant FROM invitations WHERE id = $1",
    )
    .bind(id)
    .fetch_one(&d.db.admin)
    .await
    .unwrap();
    assert!(utilisee);
    assert_eq!(identifiant.as_deref(), Some("777001"));

    // Twice: the token is spent, even from the same account.
    for who in ["777001", "777002"] {
        assert!(
            store
                .redeem_invitation(Canal::Telegram, token, who)
                .await
                .unwrap()
                .is_none(),
            "{who}"
        );
    }
    assert!(d.link(Canal::Telegram, "777002").await.is_none());

    // The linked identity is now a caller.
    let again = store
        .channel_caller(Canal::Telegram, "777001")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(again.user_id, user);
}

#[tokio::test]
async fn an_expired_invitation_links_nothing() {
    let d = demo().await;
    let (user, _) = d.user(d.atlas, Role::Coproprietaire).await;
    let id = d.invite(d.atlas, user, Canal::Telegram, "aa11", None).await;
    sqlx::query(
        "UPDATE invitations SET created_at = now() - interval '8 days',
                                expire_le = now() - interval '1 day' WHERE id = $1",
    )
    .bind(id)
    .execute(&d.db.admin)
    .await
    .unwrap();
    assert!(
        d.db.store
            .redeem_invitation(Canal::Telegram, "aa11", "777003")
            .await
            .unwrap()
            .is_none()
    );
    assert!(d.link(Canal::Telegram, "777003").await.is_none());
}

#[tokio::test]
async fn a_whatsapp_code_works_from_the_invited_number_only() {
    let d = demo().await;
    let (user, _) = d.user(d.atlas, Role::Coproprietaire).await;
    d.invite(
        d.atlas,
        user,
        Canal::Whatsapp,
        "12345678",
        Some("212612345678"),
    )
    .await;
    let store = &d.db.store;
    assert!(
        store
            .redeem_invitation(Canal::Whatsapp, "12345678", "212699999999")
            .await
            .unwrap()
            .is_none(),
        "another number"
    );
    // The code as a person types it back.
    let caller = store
        .redeem_invitation(Canal::Whatsapp, " 1234 5678 ", "212612345678")
        .await
        .unwrap()
        .expect("the invited number");
    assert_eq!((caller.user_id, caller.canal), (user, Canal::Whatsapp));
    assert_eq!(
        d.link(Canal::Whatsapp, "212612345678").await,
        Some((user, d.atlas, true, true))
    );
}

#[tokio::test]
async fn two_concurrent_redemptions_of_one_token_link_one_identity() {
    let d = demo().await;
    let (user, _) = d.user(d.atlas, Role::Coproprietaire).await;
    for round in 0..5 {
        let token = format!("c0ffee{round}");
        d.invite(d.atlas, user, Canal::Telegram, &token, None).await;
        let runs: Vec<_> = (0..4)
            .map(|k| {
                let (store, token) = (d.db.store.clone(), token.clone());
                tokio::spawn(async move {
                    store
                        .redeem_invitation(Canal::Telegram, &token, &format!("88{round}{k}"))
                        .await
                        .unwrap()
                })
            })
            .collect();
        let mut won = 0;
        for run in runs {
            won += usize::from(run.await.unwrap().is_some());
        }
        assert_eq!(won, 1, "round {round}");
        let links: i64 = sqlx::query_scalar(
            "SELECT count(*) FROM channel_links WHERE canal = 'telegram' AND identifiant LIKE $1",
        )
        .bind(format!("88{round}_"))
        .fetch_one(&d.db.admin)
        .await
        .unwrap();
        assert_eq!(links, 1, "round {round}");
    }
}

#[tokio::test]
async fn redeeming_re_binds_an_identity_linked_to_someone_else() {
    let d = demo().await;
    // A verified Telegram identity of some user of Atlas.
    let (old_user, identifiant): (i64, String) = sqlx::query_as(
        "SELECT user_id, identifiant FROM channel_links
         WHERE syndic_id = $1 AND canal = 'telegram' AND verifie_le IS NOT NULL ORDER BY id LIMIT 1",
    )
    .bind(d.atlas)
    .fetch_one(&d.db.admin)
    .await
    .unwrap();
    // Invited by the other syndic, for one of its users: the identity moves there.
    let (user, _) = d.user(d.other, Role::Gestionnaire).await;
    assert_ne!(user, old_user);
    d.invite(d.other, user, Canal::Telegram, "b1b1", None).await;
    let caller =
        d.db.store
            .redeem_invitation(Canal::Telegram, "b1b1", &identifiant)
            .await
            .unwrap()
            .unwrap();
    assert_eq!((caller.user_id, caller.syndic_id), (user, d.other));
    assert_eq!(
        d.link(Canal::Telegram, &identifiant).await,
        Some((user, d.other, true, true))
    );
    let now =
        d.db.store
            .channel_caller(Canal::Telegram, &identifiant)
            .await
            .unwrap()
            .unwrap();
    assert_eq!((now.user_id, now.role), (user, Role::Gestionnaire));
}

#[tokio::test]
async fn an_inactive_user_cannot_redeem() {
    let d = demo().await;
    let (user, _) = d.user(d.atlas, Role::Coproprietaire).await;
    d.invite(d.atlas, user, Canal::Telegram, "dead", None).await;
    sqlx::query("UPDATE users SET actif = false WHERE id = $1")
        .bind(user)
        .execute(&d.db.admin)
        .await
        .unwrap();
    assert!(
        d.db.store
            .redeem_invitation(Canal::Telegram, "dead", "777010")
            .await
            .unwrap()
            .is_none()
    );
}

#[tokio::test]
async fn a_delivery_is_new_once_per_channel() {
    let d = demo().await;
    let store = &d.db.store;
    assert!(store.first_delivery(Canal::Telegram, "1001").await.unwrap());
    assert!(!store.first_delivery(Canal::Telegram, "1001").await.unwrap());
    assert!(store.first_delivery(Canal::Whatsapp, "1001").await.unwrap());
    assert!(
        store
            .first_delivery(Canal::Whatsapp, "wamid.HBgM")
            .await
            .unwrap()
    );
    // Deliveries older than 30 days are forgotten at the next one of their channel.
    sqlx::query(
        "UPDATE messages_recus SET recu_le = now() - interval '31 days'
         WHERE canal = 'telegram' AND identifiant_message = '1001'",
    )
    .execute(&d.db.admin)
    .await
    .unwrap();
    assert!(store.first_delivery(Canal::Telegram, "1002").await.unwrap());
    let kept: Vec<String> = sqlx::query_scalar(
        "SELECT canal::text || ':' || identifiant_message FROM messages_recus ORDER BY 1",
    )
    .fetch_all(&d.db.admin)
    .await
    .unwrap();
    assert_eq!(
        kept,
        vec!["telegram:1002", "whatsapp:1001", "whatsapp:wamid.HBgM"]
    );
    // The application reaches the table through the function only.
    let direct = sqlx::query("SELECT count(*) FROM messages_recus")
        .execute(&d.db.app)
        .await;
    assert!(direct.is_err(), "wakil_app must not read messages_recus");
    let write = sqlx::query(
        "INSERT INTO messages_recus (canal, identifiant_message) VALUES ('telegram', 'x')",
    )
    .execute(&d.db.app)
    .await;
    assert!(write.is_err(), "wakil_app must not write messages_recus");
}

#[tokio::test]
async fn concurrent_deliveries_of_one_message_are_new_once() {
    let d = demo().await;
    let runs: Vec<_> = (0..8)
        .map(|_| {
            let store = d.db.store.clone();
            tokio::spawn(async move { store.first_delivery(Canal::Whatsapp, "wamid.X").await })
        })
        .collect();
    let mut new = 0;
    for run in runs {
        new += usize::from(run.await.unwrap().unwrap());
    }
    assert_eq!(new, 1);
}

#[tokio::test]
async fn a_channel_caller_is_verified_and_their_last_message_is_recorded() {
    let d = demo().await;
    let (user, identifiant): (i64, String) = sqlx::query_as(
        "SELECT user_id, identifiant FROM channel_links
         WHERE syndic_id = $1 AND canal = 'whatsapp' AND verifie_le IS NOT NULL ORDER BY id LIMIT 1",
    )
    .bind(d.atlas)
    .fetch_one(&d.db.admin)
    .await
    .unwrap();
    sqlx::query("UPDATE channel_links SET dernier_entrant_le = NULL WHERE identifiant = $1")
        .bind(&identifiant)
        .execute(&d.db.admin)
        .await
        .unwrap();
    let before = Utc::now();
    let caller =
        d.db.store
            .channel_caller(Canal::Whatsapp, &identifiant)
            .await
            .unwrap()
            .unwrap();
    assert_eq!((caller.user_id, caller.canal), (user, Canal::Whatsapp));
    let last: Option<chrono::DateTime<Utc>> = sqlx::query_scalar(
        "SELECT dernier_entrant_le FROM channel_links WHERE canal = 'whatsapp' AND identifiant = $1",
    )
    .bind(&identifiant)
    .fetch_one(&d.db.admin)
    .await
    .unwrap();
    assert!(last.is_some_and(|t| t >= before - Duration::seconds(5)));
    // The same identity on the other channel is nobody.
    assert!(
        d.db.store
            .channel_caller(Canal::Telegram, &identifiant)
            .await
            .unwrap()
            .is_none()
    );

    // A link not verified yet is not a caller, and is left untouched.
    let pending: String = sqlx::query_scalar(
        "SELECT identifiant FROM channel_links WHERE verifie_le IS NULL ORDER BY id LIMIT 1",
    )
    .fetch_one(&d.db.admin)
    .await
    .unwrap();
    assert!(
        d.db.store
            .channel_caller(Canal::Whatsapp, &pending)
            .await
            .unwrap()
            .is_none()
    );
    let touched: bool = sqlx::query_scalar(
        "SELECT dernier_entrant_le IS NOT NULL FROM channel_links WHERE identifiant = $1",
    )
    .bind(&pending)
    .fetch_one(&d.db.admin)
    .await
    .unwrap();
    assert!(!touched);
}

/// Records a file of `caller` (no bytes needed here); its id.
async fn fichier(d: &Demo, caller: &Caller, nom: &str) -> Uuid {
    let id = Uuid::new_v4();
    let mut t = d.db.store.tenant(caller.syndic_id).await.unwrap();
    t.add_fichier(
        caller,
        &NouveauFichier {
            id,
            nom,
            mime: "image/jpeg",
            taille: 48_213,
            contenu_sha256: &"ab".repeat(32),
        },
    )
    .await
    .unwrap();
    t.commit().await.unwrap();
    id
}

#[tokio::test]
async fn payment_proofs_are_recorded_once_and_listed_to_the_staff_in_scope() {
    let d = demo().await;
    let (copro_user, copro) = d.user(d.atlas, Role::Coproprietaire).await;
    let copro = copro.unwrap();
    let mut coowner = d.caller(d.atlas, copro_user).await;
    coowner.canal = Canal::Whatsapp;
    let f = fichier(&d, &coowner, "virement.jpg").await;

    let mut t = d.db.store.tenant(d.atlas).await.unwrap();
    let id = t.add_justificatif(&coowner, f).await.unwrap();
    assert_eq!(
        t.add_justificatif(&coowner, f).await.unwrap(),
        id,
        "same file, same proof"
    );
    t.commit().await.unwrap();

    // Staff see it, with the file and the channel.
    let (gestionnaire, _) = d.user(d.atlas, Role::Gestionnaire).await;
    let staff = d.caller(d.atlas, gestionnaire).await;
    let mut t = d.db.store.tenant_read(d.atlas).await.unwrap();
    let list = t.justificatifs_a_verifier(&staff, 50).await.unwrap();
    assert_eq!(list.len(), 1);
    let j = &list[0];
    assert_eq!(
        (
            j.id,
            j.coproprietaire_id,
            j.fichier_id,
            j.nom.as_str(),
            j.mime.as_str(),
            j.canal
        ),
        (id, copro, f, "virement.jpg", "image/jpeg", Canal::Whatsapp)
    );
    assert!(!j.coproprietaire.is_empty());
    // A co-owner is refused the list.
    assert!(matches!(
        t.justificatifs_a_verifier(&coowner, 50).await,
        Err(StoreError::Refus(_))
    ));
    t.commit().await.unwrap();

    // A président sees the proofs of their résidence's co-owners only.
    let presidents: Vec<(i64, bool)> = sqlx::query_as(
        "SELECT u.id, EXISTS (SELECT 1 FROM proprietes p JOIN lots l ON l.id = p.lot_id
                              WHERE p.coproprietaire_id = $2 AND p.jusqu_au IS NULL
                                AND l.residence_id = u.residence_id)
         FROM users u WHERE u.syndic_id = $1 AND u.role = 'president' ORDER BY u.id",
    )
    .bind(d.atlas)
    .bind(copro)
    .fetch_all(&d.db.admin)
    .await
    .unwrap();
    assert!(presidents.iter().any(|p| p.1) && presidents.iter().any(|p| !p.1));
    for (president, sees) in presidents {
        let caller = d.caller(d.atlas, president).await;
        let mut t = d.db.store.tenant_read(d.atlas).await.unwrap();
        let n = t.justificatifs_a_verifier(&caller, 50).await.unwrap().len();
        t.commit().await.unwrap();
        assert_eq!(n, usize::from(sees), "président {president}");
    }

    // Staff do not send proofs; a file of someone else is not a proof of this co-owner.
    let staff_file = fichier(&d, &staff, "facture.pdf").await;
    let mut t = d.db.store.tenant(d.atlas).await.unwrap();
    assert!(matches!(
        t.add_justificatif(&staff, staff_file).await,
        Err(StoreError::Refus(_))
    ));
    assert!(matches!(
        t.add_justificatif(&coowner, staff_file).await,
        Err(StoreError::Refus(_))
    ));
    t.commit().await.unwrap();
}

#[tokio::test]
async fn another_syndic_sees_no_invitation_nor_proof() {
    let d = demo().await;
    let (user, _) = d.user(d.atlas, Role::Coproprietaire).await;
    let coowner = d.caller(d.atlas, user).await;
    let confirmation = Uuid::new_v4();
    let mut t = d.db.store.tenant(d.atlas).await.unwrap();
    let hash = jeton_sha256("abcd");
    t.create_invitation(&NouvelleInvitation {
        user_id: user,
        canal: Canal::Telegram,
        jeton_sha256: &hash,
        telephone: None,
        cree_par: None,
        confirmation_id: Some(confirmation),
        expire_le: Utc::now() + Duration::days(7),
    })
    .await
    .unwrap();
    t.commit().await.unwrap();
    let f = fichier(&d, &coowner, "recu.pdf").await;
    let mut t = d.db.store.tenant(d.atlas).await.unwrap();
    t.add_justificatif(&coowner, f).await.unwrap();
    let mine = t
        .invitation_par_confirmation(confirmation)
        .await
        .unwrap()
        .unwrap();
    assert_eq!((mine.user_id, mine.canal), (user, Canal::Telegram));
    assert_eq!(mine.nom, coowner.nom);
    t.commit().await.unwrap();

    let (gestionnaire, _) = d.user(d.other, Role::Gestionnaire).await;
    let staff = d.caller(d.other, gestionnaire).await;
    let mut t = d.db.store.tenant(d.other).await.unwrap();
    assert!(
        t.invitation_par_confirmation(confirmation)
            .await
            .unwrap()
            .is_none()
    );
    assert!(
        t.justificatifs_a_verifier(&staff, 50)
            .await
            .unwrap()
            .is_empty()
    );
    // The other syndic cannot file a proof on Atlas's file either.
    let mut intruder = coowner.clone();
    intruder.syndic_id = d.other;
    assert!(t.add_justificatif(&intruder, f).await.is_err());
    t.commit().await.unwrap();

    // A token's hash is unique across syndics: the second one must draw another token.
    let (other_user, _) = d.user(d.other, Role::Gestionnaire).await;
    let mut t = d.db.store.tenant(d.other).await.unwrap();
    let same = t
        .create_invitation(&NouvelleInvitation {
            user_id: other_user,
            canal: Canal::Telegram,
            jeton_sha256: &hash,
            telephone: None,
            cree_par: Some(other_user),
            confirmation_id: None,
            expire_le: Utc::now() + Duration::days(7),
        })
        .await;
    assert!(matches!(same, Err(StoreError::JetonDejaAttribue)));
    t.commit().await.unwrap();
}

#[tokio::test]
async fn a_co_owner_account_can_be_created_without_an_e_mail_staff_cannot() {
    let d = demo().await;
    // A co-owner without a user account.
    let (copro, email): (i64, Option<String>) = sqlx::query_as(
        "SELECT c.id, c.email FROM coproprietaires c
         WHERE c.syndic_id = $1 AND NOT EXISTS (SELECT 1 FROM users u WHERE u.coproprietaire_id = c.id)
         ORDER BY c.email IS NULL DESC, c.id LIMIT 1",
    )
    .bind(d.atlas)
    .fetch_one(&d.db.admin)
    .await
    .unwrap();
    assert!(email.is_none(), "the demo has co-owners without e-mail");
    let mut t = d.db.store.tenant(d.atlas).await.unwrap();
    let u = t.creer_utilisateur_coproprietaire(copro).await.unwrap();
    assert_eq!(
        (u.role, u.coproprietaire_id, u.email.as_deref(), u.actif),
        (Role::Coproprietaire, Some(copro), None, true)
    );
    assert_eq!(
        t.utilisateur_du_coproprietaire(copro)
            .await
            .unwrap()
            .map(|x| x.id),
        Some(u.id)
    );
    t.commit().await.unwrap();

    // Nobody logs in without an e-mail, and staff must have one.
    let users = wakil_schema::store::list_users(&d.db.admin, true)
        .await
        .unwrap();
    assert!(users.iter().any(|x| x.email.is_none()));
    let staff = sqlx::query(
        "INSERT INTO users (syndic_id, email, nom_complet, role) VALUES ($1, NULL, 'X', 'gestionnaire')",
    )
    .bind(d.atlas)
    .execute(&d.db.admin)
    .await;
    assert!(staff.is_err());
}
