//! The fast-path router against the demo data: names resolved in the caller's data (résidence by
//! city, co-owner by surname with a typo, shared surname → question, lot), follow-ups, a
//! co-owner's own account; and the average time of a route.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use serde_json::{Value, json};
use std::time::Instant;
use wakil_agent::router::{Intent, Lang, Previous, Route, route};
use wakil_schema::testing::{DEMO_TODAY, Template, TestDb, demo_clock, fresh};
use wakil_schema::{Caller, Canal};

async fn caller(db: &TestDb, email: &str) -> Caller {
    db.store
        .caller_by_email(email, Canal::Web)
        .await
        .unwrap()
        .unwrap()
}

async fn routed(db: &TestDb, who: &Caller, text: &str, previous: Option<&Previous>) -> Route {
    route(&db.store, who, DEMO_TODAY, text, previous)
        .await
        .unwrap()
        .route
}

fn call(tool: &'static str, args: Value) -> Route {
    Route::Call { tool, args }
}

const GUELIZ: &str = "Résidence Les Jardins de Guéliz";
const MAARIF: &str = "Résidence Al Maârif";
const AGDAL: &str = "Résidence Agdal Parc";

#[tokio::test]
async fn staff_requests_with_names() {
    let db = fresh(Template::Demo).await;
    let g = caller(&db, "gestionnaire@atlas-syndic.ma").await;
    let cases: Vec<(&str, Route)> = vec![
        (
            "impayés Guéliz",
            call("query_impayes", json!({"residence": GUELIZ})),
        ),
        (
            "impayes a marrakech",
            call("query_impayes", json!({"residence": GUELIZ})),
        ),
        (
            "qui n'a pas payé à maarif ?",
            call("query_impayes", json!({"residence": MAARIF})),
        ),
        (
            "chkoun ma khallsch f agdal",
            call("query_impayes", json!({"residence": AGDAL})),
        ),
        (
            "les débiteurs de Casablanca de plus de 1 000 DH",
            call(
                "query_impayes",
                json!({"residence": MAARIF, "montant_min": "1000"}),
            ),
        ),
        (
            "rapport financier 2025 Agdal",
            call(
                "rapport_financier",
                json!({"residence": AGDAL, "annee": 2025}),
            ),
        ),
        (
            "bilan de l'an dernier pour les Jardins de Guéliz",
            call(
                "rapport_financier",
                json!({"residence": GUELIZ, "annee": 2025}),
            ),
        ),
        (
            "factures de Lydec",
            call("list_factures", json!({"fournisseur": "Lydec"})),
        ),
        (
            "factures à payer de Maârif",
            call(
                "list_factures",
                json!({"residence": MAARIF, "statut": "validee"}),
            ),
        ),
        (
            "situation de Mernissi Anas",
            call("solde_copro", json!({"coproprietaire": "Anas Mernissi"})),
        ),
        (
            "solde de M. Omar Lahlou",
            call("solde_copro", json!({"coproprietaire": "Omar Lahlou"})),
        ),
        (
            "solde de Marakchi Meryem",
            call("solde_copro", json!({"coproprietaire": "Meryem Marrakchi"})),
        ),
        (
            "combien doit le lot A41",
            call("solde_copro", json!({"lot": "A41"})),
        ),
        ("solde appt b44", call("solde_copro", json!({"lot": "B44"}))),
        (
            "historique de Filali Fatima Zahra",
            call(
                "solde_copro",
                json!({"coproprietaire": "Fatima Zahra Filali"}),
            ),
        ),
        (
            "M. Omar Lahlou a payé 1 200 DH par chèque n° 4512",
            call(
                "record_payment",
                json!({"coproprietaire": "Omar Lahlou", "montant": "1200", "mode": "cheque", "reference": "4512"}),
            ),
        ),
        (
            "enregistre un virement de 3 400,85 MAD pour le lot A12 réf VIR-889",
            call(
                "record_payment",
                json!({"lot": "A12", "montant": "3400.85", "mode": "virement", "reference": "VIR-889"}),
            ),
        ),
        (
            "Mernissi Anas khlless 2000 dh cash lbareh",
            call(
                "record_payment",
                json!({"coproprietaire": "Anas Mernissi", "montant": "2000", "mode": "especes", "date": "2026-11-14"}),
            ),
        ),
        (
            "relancer les impayés de Guéliz de plus de 90 jours",
            call(
                "send_relance",
                json!({"residence": GUELIZ, "jours_retard_min": 90}),
            ),
        ),
        (
            "relance Mme Filali Fatima Zahra",
            call(
                "send_relance",
                json!({"coproprietaire": "Fatima Zahra Filali"}),
            ),
        ),
        (
            // Three owners are called Filali: the lot says which.
            "Peux-tu envoyer une relance à Mme Filali (A14) ?",
            call("send_relance", json!({"lot": "A14"})),
        ),
        (
            "Send a payment reminder to everyone in Al Maarif who owes more than 2,000 MAD",
            call(
                "send_relance",
                json!({"residence": "Résidence Al Maârif", "montant_min": "2000"}),
            ),
        ),
        (
            "أرسل تذكيرا بالأداء إلى جميع المتأخرين في إقامة أكدال بارك بأكثر من 90 يوما",
            call(
                "send_relance",
                json!({"residence": "Résidence Agdal Parc", "jours_retard_min": 90}),
            ),
        ),
        (
            "3ayyet 3la Meryem Marrakchi bach tkhelless l charges",
            call(
                "send_relance",
                json!({"coproprietaire": "Meryem Marrakchi"}),
            ),
        ),
        (
            // A shared surname on a read: the tool lists the candidates itself.
            "solde de Lahlou",
            call("solde_copro", json!({"coproprietaire": "Lahlou"})),
        ),
        (
            "Lahlou a payé 2000 dh",
            Route::Ask(
                "Plusieurs copropriétaires s'appellent Lahlou : Hassan Lahlou (305), \
                 Khadija Lahlou (A41), Omar Lahlou (B21, P05). Lequel ?"
                    .into(),
            ),
        ),
        (
            "Omar Lahlou a payé",
            call("solde_copro", json!({"coproprietaire": "Omar Lahlou"})),
        ),
        (
            "enregistre un paiement de Omar Lahlou",
            Route::Ask("Quel est le montant du paiement ?".into()),
        ),
        (
            "Fatima Zahra Filali a apporté 900 DH en liquide ce matin",
            call(
                "record_payment",
                json!({"coproprietaire": "Fatima Zahra Filali", "montant": "900", "mode": "especes", "date": "2026-11-15"}),
            ),
        ),
        (
            "dakhel 2 alf dh l B44 b chèque BMCE",
            call(
                "record_payment",
                json!({"lot": "B44", "montant": "2000", "mode": "cheque"}),
            ),
        ),
        (
            "سجل أداء 1500 درهم للشقة 2C فالمعاريف نقدا",
            call(
                "record_payment",
                json!({"residence": MAARIF, "lot": "2C", "montant": "1500", "mode": "especes"}),
            ),
        ),
        (
            // A write with a shared surname: ask which one, even after "l".
            "sajjel 900 dh l Lahlou cash",
            Route::Ask(
                "Plusieurs copropriétaires s'appellent Lahlou : Hassan Lahlou (305), \
                 Khadija Lahlou (A41), Omar Lahlou (B21, P05). Lequel ?"
                    .into(),
            ),
        ),
        // A name nobody has, after "M.": the tool answers with the closest names.
        (
            "solde de M. Zzyzx",
            call("solde_copro", json!({"coproprietaire": "Zzyzx"})),
        ),
        (
            "Omar Lahlou paid 1500 dh by check 4455",
            call(
                "record_payment",
                json!({"coproprietaire": "Omar Lahlou", "mode": "cheque", "montant": "1500", "reference": "4455"}),
            ),
        ),
        (
            // A typo corrected to a shared surname: the read tool asks which one.
            "combien doit M. Mernisi ?",
            call("solde_copro", json!({"coproprietaire": "Mernissi"})),
        ),
        (
            "unpaid above 1000 dh in Casablanca",
            call(
                "query_impayes",
                json!({"residence": MAARIF, "montant_min": "1000"}),
            ),
        ),
        // Two résidences, Arabic-script names, words nobody can place: the LLM.
        ("impayés Gueliz et Agdal", Route::Llm),
        // An Arabic-script résidence name, matched by its consonants.
        (
            "شكون ما خلصش فأكدال",
            call("query_impayes", json!({"residence": AGDAL})),
        ),
        ("solde de la résidence Agdal", Route::Llm),
        ("impayés du gardien Brahim", Route::Llm),
        ("quelle est la météo à Agdal ?", Route::Llm),
    ];
    let mut failures = Vec::new();
    for (text, expected) in &cases {
        let got = routed(&db, &g, text, None).await;
        if got != *expected {
            failures.push(format!(
                "{text}\n   got      {got:?}\n   expected {expected:?}"
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[tokio::test]
async fn ambiguous_lots_and_president_scope() {
    let db = fresh(Template::Demo).await;
    let g = caller(&db, "gestionnaire@atlas-syndic.ma").await;
    let lots: Vec<String> = sqlx::query_scalar(
        "SELECT numero FROM lots WHERE syndic_id = $1
         GROUP BY numero HAVING count(DISTINCT residence_id) > 1 ORDER BY numero LIMIT 1",
    )
    .bind(g.syndic_id)
    .fetch_all(&db.admin)
    .await
    .unwrap();
    if let Some(lot) = lots.first() {
        match routed(&db, &g, &format!("solde du lot {lot}"), None).await {
            Route::Ask(q) => assert!(
                q.starts_with(&format!("Le lot {lot} existe dans plusieurs résidences")),
                "{q}"
            ),
            other => panic!("{other:?}"),
        }
    }
    // A président: the names of their résidence; the tool refuses the others.
    let p = caller(&db, "president.gueliz@atlas-syndic.ma").await;
    assert_eq!(
        routed(&db, &p, "solde de Lahlou", None).await,
        call("solde_copro", json!({"coproprietaire": "Lahlou"}))
    );
    // … and the tool asks among the président's owners only.
    let ctx = wakil_tools::ToolContext::new(
        db.store.clone(),
        demo_clock(),
        wakil_tools::FileStore::new(std::env::temp_dir().join("wakil-test-fichiers")),
    );
    let asked = wakil_tools::find("solde_copro")
        .unwrap()
        .call(&ctx, &p, json!({"coproprietaire": "Lahlou"}))
        .await
        .unwrap_err()
        .to_string();
    assert!(
        asked.contains("Khadija Lahlou") && asked.contains("Omar Lahlou"),
        "{asked}"
    );
    assert!(!asked.contains("Hassan"), "{asked}");
    assert_eq!(
        routed(&db, &p, "impayés Agdal", None).await,
        call("query_impayes", json!({"residence": AGDAL}))
    );
}

#[tokio::test]
async fn follow_ups_with_the_previous_call() {
    let db = fresh(Template::Demo).await;
    let g = caller(&db, "gestionnaire@atlas-syndic.ma").await;
    let impayes = Previous {
        tool: "query_impayes".into(),
        args: json!({"residence": GUELIZ, "jours_retard_min": 90}),
    };
    assert_eq!(
        routed(&db, &g, "et pour 2025 ?", Some(&impayes)).await,
        call(
            "query_impayes",
            json!({"residence": GUELIZ, "jours_retard_min": 90, "annee": 2025})
        )
    );
    assert_eq!(
        routed(&db, &g, "et Agdal ?", Some(&impayes)).await,
        call(
            "query_impayes",
            json!({"residence": AGDAL, "jours_retard_min": 90})
        )
    );
    assert_eq!(
        routed(&db, &g, "relance-les", Some(&impayes)).await,
        call(
            "send_relance",
            json!({"residence": GUELIZ, "jours_retard_min": 90})
        )
    );
    assert_eq!(
        routed(&db, &g, "sift lihom rappel", Some(&impayes)).await,
        call(
            "send_relance",
            json!({"residence": GUELIZ, "jours_retard_min": 90})
        )
    );
    let solde = Previous {
        tool: "solde_copro".into(),
        args: json!({"coproprietaire": "Omar Lahlou"}),
    };
    assert_eq!(
        routed(&db, &g, "et Khadija Lahlou ?", Some(&solde)).await,
        call("solde_copro", json!({"coproprietaire": "Khadija Lahlou"}))
    );
    assert_eq!(
        routed(&db, &g, "relance-le", Some(&solde)).await,
        call("send_relance", json!({"coproprietaire": "Omar Lahlou"}))
    );
    assert_eq!(
        routed(&db, &g, "et le règlement ?", Some(&solde)).await,
        Route::Llm
    );
    // A payment told with a pronoun after a balance: that account.
    let lot = Previous {
        tool: "solde_copro".into(),
        args: json!({"lot": "B44"}),
    };
    assert_eq!(
        routed(
            &db,
            &g,
            "il a apporté un chèque de 800 dh aujourd'hui, saisis-le",
            Some(&lot)
        )
        .await,
        call(
            "record_payment",
            json!({"lot": "B44", "montant": "800", "mode": "cheque", "date": "2026-11-15"})
        )
    );
}

#[tokio::test]
async fn co_owner_asks_about_their_own_account() {
    let db = fresh(Template::Demo).await;
    let c = caller(&db, "anas.mernissi@gmail.com").await;
    for (text, lang) in [
        ("combien je dois ?", Lang::Fr),
        ("chhal khassni nkhelles", Lang::Darija),
        ("شحال خاصني نخلص", Lang::Ar),
        ("how much do I owe?", Lang::En),
        ("historique de mes paiements", Lang::Fr),
        ("wach wslkom lvirement", Lang::Darija),
    ] {
        let r = route(&db.store, &c, DEMO_TODAY, text, None).await.unwrap();
        assert_eq!(r.route, call("solde_copro", json!({})), "{text}");
        assert_eq!(r.lang, lang, "{text}");
        assert!(
            matches!(r.intent, Some(Intent::Solde | Intent::Historique)),
            "{text}"
        );
    }
    // Someone else's name is passed on, never looked up nor listed: the tool refuses.
    assert_eq!(
        routed(&db, &c, "solde de M. Lahlou", None).await,
        call("solde_copro", json!({"coproprietaire": "Lahlou"}))
    );
}

/// Prints the average time of a route over typical requests of the demo (no assertion).
#[tokio::test]
async fn route_timing() {
    let db = fresh(Template::Demo).await;
    let g = caller(&db, "gestionnaire@atlas-syndic.ma").await;
    let c = caller(&db, "anas.mernissi@gmail.com").await;
    let texts = [
        "impayés Guéliz",
        "qui n'a pas payé à maarif de plus de 90 jours ?",
        "rapport financier 2025 Agdal",
        "factures de Lydec",
        "solde de M. Omar Lahlou",
        "solde de Lahlou",
        "solde de Marakchi Meryem",
        "combien doit le lot A41",
        "M. Omar Lahlou a payé 1 200 DH par chèque n° 4512",
        "quelle est la météo ?",
    ];
    // Warm the pool.
    routed(&db, &g, "impayés", None).await;
    let rounds = 20;
    let start = Instant::now();
    for _ in 0..rounds {
        for t in texts {
            routed(&db, &g, t, None).await;
        }
    }
    let staff = start.elapsed() / (rounds * texts.len() as u32);
    let start = Instant::now();
    for _ in 0..rounds {
        routed(&db, &c, "chhal khassni nkhelles", None).await;
    }
    let own = start.elapsed() / rounds;
    println!(
        "route: {staff:?} on average over {} staff requests (names looked up); {own:?} for a co-owner's own balance (no query)",
        texts.len()
    );
}

/// Résidence names carrying numbers (added to the demo data of this test's own database): the
/// number next to the name's words belongs to the name, not to an amount, a year or a delay;
/// the name's words are found without reading every name, and the trigger keeps them.
#[tokio::test]
async fn numbers_in_residence_names() {
    let db = fresh(Template::Demo).await;
    for (nom, ville) in [
        ("Résidence Al Amal 321", "El Jadida"),
        ("Résidence Al Amal 32", "El Jadida"),
        ("Résidence Al Amal 1", "El Jadida"),
        ("Résidence Bab Al Bahr 321", "Casablanca"),
        ("Immeuble 14", "Rabat"),
    ] {
        sqlx::query(
            "INSERT INTO residences (syndic_id, nom, adresse, ville)
             SELECT syndic_id, $1, 'Adresse', $2 FROM residences LIMIT 1",
        )
        .bind(nom)
        .bind(ville)
        .execute(&db.admin)
        .await
        .unwrap();
    }
    let g = caller(&db, "gestionnaire@atlas-syndic.ma").await;
    const AMAL: &str = "Résidence Al Amal 321";
    let cases: Vec<(&str, Route)> = vec![
        (
            "impayés de la résidence Al Amal 321",
            call("query_impayes", json!({"residence": AMAL})),
        ),
        (
            "impayés Al Amal 321 de plus de 90 jours",
            call(
                "query_impayes",
                json!({"residence": AMAL, "jours_retard_min": 90}),
            ),
        ),
        (
            "rapport 2025 Al Amal 321",
            call(
                "rapport_financier",
                json!({"residence": AMAL, "annee": 2025}),
            ),
        ),
        (
            "impayés immeuble 14",
            call("query_impayes", json!({"residence": "Immeuble 14"})),
        ),
        (
            "impayés Al Amal 32",
            call(
                "query_impayes",
                json!({"residence": "Résidence Al Amal 32"}),
            ),
        ),
    ];
    for (text, expected) in cases {
        assert_eq!(routed(&db, &g, text, None).await, expected, "{text}");
    }
    // Without the number: which one? (Not the "1" of a name, nor the "El" of the city.)
    let Route::Ask(q) = routed(&db, &g, "impayés Al Amal", None).await else {
        panic!("a question");
    };
    assert!(
        q.starts_with("Plusieurs résidences correspondent à « Al Amal » :")
            && q.contains("Résidence Al Amal 321 (El Jadida)")
            && !q.contains("Bab Al Bahr"),
        "{q}"
    );
    // A renamed résidence is found by its new name only.
    sqlx::query("UPDATE residences SET nom = 'Résidence Al Amal 322' WHERE nom = $1")
        .bind(AMAL)
        .execute(&db.admin)
        .await
        .unwrap();
    assert_eq!(
        routed(&db, &g, "impayés Al Amal 322", None).await,
        call(
            "query_impayes",
            json!({"residence": "Résidence Al Amal 322"})
        )
    );
    let Route::Call { args, .. } = routed(&db, &g, "impayés Bab Al Bahr 321", None).await else {
        panic!("a call");
    };
    assert_eq!(args, json!({"residence": "Résidence Bab Al Bahr 321"}));
}

#[tokio::test]
async fn a_co_owner_asking_for_a_residences_debtors_goes_to_the_tools_refusal() {
    let db = fresh(Template::Demo).await;
    let owner: String = sqlx::query_scalar(
        "SELECT email FROM users WHERE role = 'coproprietaire' ORDER BY id LIMIT 1",
    )
    .fetch_one(&db.admin)
    .await
    .unwrap();
    let c = caller(&db, &owner).await;
    for text in [
        "Donne-moi la liste des débiteurs de la résidence Guéliz",
        "qui n'a pas payé à Guéliz ?",
    ] {
        let r = route(&db.store, &c, DEMO_TODAY, text, None).await.unwrap();
        assert!(
            matches!(
                r.route,
                Route::Call {
                    tool: "query_impayes",
                    ..
                }
            ),
            "{text}: {:?} {:?}",
            r.intent,
            r.route
        );
    }
    // Their own unpaid charges stay theirs.
    let r = routed(&db, &c, "mes impayés", None).await;
    assert!(
        matches!(
            r,
            Route::Call {
                tool: "solde_copro",
                ..
            }
        ),
        "{r:?}"
    );
}

/// Invitations: the co-owner's canonical name when the names lookup finds them, a staff
/// member's name or e-mail as typed, the number when one is given; the channel asked for when
/// missing; a co-owner's request goes to the LLM.
#[tokio::test]
async fn invitations_to_telegram_or_whatsapp() {
    let db = fresh(Template::Demo).await;
    let g = caller(&db, "gestionnaire@atlas-syndic.ma").await;
    let cases: Vec<(&str, Route)> =
        vec![
        (
            "inviter M. Alami sur Telegram",
            call("inviter", json!({"personne": "Driss Alami", "canal": "telegram"})),
        ),
        (
            "invitation WhatsApp pour Khadija Lahlou",
            call("inviter", json!({"personne": "Khadija Lahlou", "canal": "whatsapp"})),
        ),
        (
            "envoie une invitation telegram à hassan benjeloun",
            call("inviter", json!({"personne": "Hassan Benjelloun", "canal": "telegram"})),
        ),
        (
            "3ti invitation telegram l Omar Lahlou",
            call("inviter", json!({"personne": "Omar Lahlou", "canal": "telegram"})),
        ),
        (
            "lien Telegram pour Salma Bennis",
            call("inviter", json!({"personne": "Salma Bennis", "canal": "telegram"})),
        ),
        (
            "lien Telegram pour Karim Benjelloun",
            call("inviter", json!({"personne": "Karim Benjelloun", "canal": "telegram"})),
        ),
        (
            "invite comptable@atlas-syndic.ma sur WhatsApp au 06 12 34 56 78",
            call(
                "inviter",
                json!({
                    "personne": "comptable@atlas-syndic.ma",
                    "canal": "whatsapp",
                    "telephone": "06 12 34 56 78"
                }),
            ),
        ),
        (
            "inviter Mme Hanane Idrissi",
            Route::Ask(
                "Sur quel canal faut-il inviter Hanane Idrissi : Telegram ou WhatsApp ?".into(),
            ),
        ),
        (
            "envoie une invitation WhatsApp",
            Route::Ask(
                "Qui faut-il inviter sur WhatsApp ? Indiquez le nom du copropriétaire, ou le nom \
                 ou l'e-mail du membre de l'équipe."
                    .into(),
            ),
        ),
        ("le lien WhatsApp ne marche pas", Route::Llm),
    ];
    for (text, expected) in cases {
        let r = route(&db.store, &g, DEMO_TODAY, text, None).await.unwrap();
        assert_eq!(r.route, expected, "{text}");
        assert_eq!(r.intent, Some(Intent::Invitation), "{text}");
    }
    // Several Idrissi: the words go to the tool, which lists them.
    let r = routed(&db, &g, "inviter Mme Idrissi sur Telegram", None).await;
    assert_eq!(
        r,
        call(
            "inviter",
            json!({"personne": "Idrissi", "canal": "telegram"})
        )
    );
    // A co-owner's request is not routed (nobody is looked up for them).
    let c = caller(&db, "anas.mernissi@gmail.com").await;
    assert_eq!(
        routed(&db, &c, "inviter M. Alami sur Telegram", None).await,
        Route::Llm
    );
}
