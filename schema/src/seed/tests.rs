//! Tests against the project's PostgreSQL (the test harness): each test gets a fresh migrated
//! database, seeds it and checks the invariants in SQL.

use std::error::Error;

use super::*;
use crate::decoupage::{Page, decouper};

type TestResult = Result<(), Box<dyn Error>>;

/// Runs `f` on a fresh, migrated database of the test harness.
async fn with_db(f: impl AsyncFnOnce(&PgPool) -> TestResult) -> TestResult {
    let db = crate::testing::fresh(crate::testing::Template::Empty).await;
    f(&db.admin).await
}

async fn count(pool: &PgPool, sql: &'static str) -> Result<i64, sqlx::Error> {
    sqlx::query_scalar(sql).fetch_one(pool).await
}

/// Rules that hold for every syndic the seed writes.
async fn check_invariants(pool: &PgPool, today: NaiveDate) -> TestResult {
    let checks: &[(&str, &'static str)] = &[
        (
            "tantièmes of a résidence add up to its base",
            "SELECT count(*) FROM (SELECT r.id FROM residences r JOIN lots l ON l.residence_id = r.id \
             GROUP BY r.id HAVING sum(l.tantiemes) <> max(r.base_tantiemes)) x",
        ),
        (
            "every résidence has lots",
            "SELECT count(*) FROM residences r WHERE NOT EXISTS (SELECT 1 FROM lots l WHERE l.residence_id = r.id)",
        ),
        (
            "échéances of a call add up to its total",
            "SELECT count(*) FROM appels_de_fonds a LEFT JOIN (SELECT appel_id, sum(montant) s FROM echeances \
             GROUP BY appel_id) e ON e.appel_id = a.id WHERE e.s IS DISTINCT FROM a.montant_total",
        ),
        (
            "allocations of a payment do not exceed it",
            "SELECT count(*) FROM (SELECT p.id FROM paiements p JOIN allocations a ON a.paiement_id = p.id \
             GROUP BY p.id HAVING sum(a.montant) > max(p.montant)) x",
        ),
        (
            "allocations of an échéance do not exceed it",
            "SELECT count(*) FROM (SELECT e.id FROM echeances e JOIN allocations a ON a.echeance_id = e.id \
             GROUP BY e.id HAVING sum(a.montant) > max(e.montant)) x",
        ),
        (
            "a payment pays its own co-owner's échéances",
            "SELECT count(*) FROM allocations a JOIN paiements p ON p.id = a.paiement_id \
             JOIN echeances e ON e.id = a.echeance_id WHERE e.coproprietaire_id <> p.coproprietaire_id",
        ),
        (
            "échéances go to the lot's current owner",
            "SELECT count(*) FROM echeances e JOIN proprietes pr ON pr.lot_id = e.lot_id AND pr.jusqu_au IS NULL \
             WHERE pr.coproprietaire_id <> e.coproprietaire_id",
        ),
        (
            "invoices: TTC = HT + TVA and TVA = round(HT × taux / 100, 2)",
            "SELECT count(*) FROM factures WHERE montant_ttc <> montant_ht + montant_tva \
             OR montant_tva <> round(montant_ht * taux_tva / 100, 2)",
        ),
        (
            "payment references are unique per co-owner",
            "SELECT count(*) FROM (SELECT coproprietaire_id, reference FROM paiements GROUP BY 1, 2 HAVING count(*) > 1) x",
        ),
        (
            "every co-owner with an e-mail of a résidence with logins has one",
            "SELECT count(*) FROM coproprietaires c JOIN syndics s ON s.id = c.syndic_id \
             LEFT JOIN (SELECT coproprietaire_id, count(*) n FROM users GROUP BY 1) u ON u.coproprietaire_id = c.id \
             WHERE c.email IS NOT NULL AND s.nom <> 'Syndic Al Manar' AND coalesce(u.n, 0) <> 1",
        ),
        (
            "invoices validated carry who and when",
            "SELECT count(*) FROM factures WHERE statut <> 'brouillon' AND (valide_le IS NULL OR valide_par IS NULL)",
        ),
    ];
    for (what, sql) in checks {
        let n = count(pool, sql).await?;
        assert_eq!(n, 0, "{what}: {n} violation(s)");
    }
    let future: i64 = sqlx::query_scalar(
        "SELECT (SELECT count(*) FROM paiements WHERE date_paiement > $1) \
         + (SELECT count(*) FROM factures WHERE date_facture > $1 OR payee_le > $1) \
         + (SELECT count(*) FROM appels_de_fonds WHERE periode_debut > $1)",
    )
    .bind(today)
    .fetch_one(pool)
    .await?;
    assert_eq!(future, 0, "nothing dated after today");
    // The sequences were moved past the explicit ids: a default id does not collide.
    let id: i64 = sqlx::query_scalar("INSERT INTO syndics (nom) VALUES ('Sonde') RETURNING id")
        .fetch_one(pool)
        .await?;
    let max: i64 = sqlx::query_scalar("SELECT max(id) FROM syndics WHERE nom <> 'Sonde'")
        .fetch_one(pool)
        .await?;
    assert!(id > max);
    sqlx::query("DELETE FROM syndics WHERE nom = 'Sonde'")
        .execute(pool)
        .await?;
    Ok(())
}

/// What the brief asks of the Atlas demo in particular.
async fn check_demo(pool: &PgPool, today: NaiveDate, report: &SeedReport) -> TestResult {
    let atlas: i64 = sqlx::query_scalar("SELECT id FROM syndics WHERE nom = 'Atlas Syndic'")
        .fetch_one(pool)
        .await?;
    let manar: i64 = sqlx::query_scalar("SELECT id FROM syndics WHERE nom = 'Syndic Al Manar'")
        .fetch_one(pool)
        .await?;
    let scalar = async |sql: &'static str, syndic: i64| -> Result<i64, sqlx::Error> {
        sqlx::query_scalar(sql)
            .bind(syndic)
            .bind(today)
            .fetch_one(pool)
            .await
    };
    assert_eq!(
        scalar(
            "SELECT count(*) FROM residences WHERE syndic_id = $1 AND $2 IS NOT NULL",
            atlas
        )
        .await?,
        3
    );
    assert_eq!(
        scalar(
            "SELECT count(*) FROM lots WHERE syndic_id = $1 AND $2 IS NOT NULL",
            atlas
        )
        .await?,
        120
    );
    assert_eq!(
        scalar("SELECT count(*) FROM coproprietaires WHERE syndic_id = $1 AND civilite = 'Société' AND $2 IS NOT NULL", atlas).await?,
        1
    );
    let two_lots = scalar(
        "SELECT count(*) FROM (SELECT coproprietaire_id FROM proprietes WHERE syndic_id = $1 AND $2 IS NOT NULL \
         GROUP BY 1 HAVING count(*) = 2) x",
        atlas,
    )
    .await?;
    assert!(two_lots >= 10, "owners of two lots: {two_lots}");
    let credit = scalar(
        "SELECT count(*) FROM (SELECT p.coproprietaire_id, sum(p.montant) - coalesce(sum(a.alloue), 0) AS credit \
         FROM paiements p LEFT JOIN (SELECT paiement_id, sum(montant) alloue FROM allocations GROUP BY 1) a \
         ON a.paiement_id = p.id WHERE p.syndic_id = $1 AND p.annule_le IS NULL AND $2 IS NOT NULL GROUP BY 1) x \
         WHERE credit > 0",
        atlas,
    )
    .await?;
    assert_eq!(credit, 1, "exactly one co-owner with a credit");
    let late = scalar(
        "SELECT count(DISTINCT e.coproprietaire_id) FROM echeances e \
         LEFT JOIN (SELECT echeance_id, sum(montant) paye FROM allocations GROUP BY 1) a ON a.echeance_id = e.id \
         WHERE e.syndic_id = $1 AND e.montant > coalesce(a.paye, 0) AND e.date_echeance < $2 - 90",
        atlas,
    )
    .await?;
    assert!(late >= 3, "co-owners more than 90 days late: {late}");
    let drafts = scalar(
        "SELECT count(*) FROM factures WHERE syndic_id = $1 AND statut = 'brouillon' AND confiance < 1 \
         AND texte_ocr IS NOT NULL AND $2 IS NOT NULL",
        atlas,
    )
    .await?;
    assert!((2..=3).contains(&drafts), "drafts: {drafts}");
    assert_eq!(
        scalar("SELECT count(*) FROM users WHERE syndic_id = $1 AND role = 'president' AND residence_id IS NOT NULL AND $2 IS NOT NULL", atlas).await?,
        3
    );
    assert_eq!(
        scalar(
            "SELECT count(*) FROM users WHERE syndic_id = $1 AND $2 IS NOT NULL",
            manar
        )
        .await?,
        1
    );
    assert_eq!(
        scalar(
            "SELECT count(*) FROM lots WHERE syndic_id = $1 AND $2 IS NOT NULL",
            manar
        )
        .await?,
        8
    );
    assert!(
        scalar(
            "SELECT count(*) FROM paiements WHERE syndic_id = $1 AND $2 IS NOT NULL",
            manar
        )
        .await?
            > 0
    );
    assert!(scalar("SELECT count(*) FROM channel_links WHERE syndic_id = $1 AND verifie_le IS NOT NULL AND $2 IS NOT NULL", atlas).await? >= 6);
    assert!(
        scalar(
            "SELECT count(*) FROM demandes_intervention WHERE syndic_id = $1 AND $2 IS NOT NULL",
            atlas
        )
        .await?
            >= 3
    );

    // Budgets of a plausible size; spending near them over the full year Y-1.
    let budgets: Vec<(i32, Decimal)> = sqlx::query_as(
        "SELECT b.annee, sum(l.montant) FROM budgets b JOIN budget_lignes l ON l.budget_id = b.id \
         WHERE b.syndic_id = $1 GROUP BY b.id, b.annee",
    )
    .bind(atlas)
    .fetch_all(pool)
    .await?;
    assert_eq!(budgets.len(), 6);
    for (annee, total) in &budgets {
        assert!(
            *total >= Decimal::from(250_000) && *total <= Decimal::from(500_000),
            "{annee}: {total}"
        );
    }
    let ratios: Vec<(String, Decimal)> = sqlx::query_as(
        "SELECT l.categorie::text, (SELECT coalesce(sum(f.montant_ttc), 0) FROM factures f \
           WHERE f.residence_id = b.residence_id AND f.categorie = l.categorie AND f.statut <> 'brouillon' \
           AND f.periode_debut >= make_date(b.annee, 1, 1) AND f.periode_debut < make_date(b.annee + 1, 1, 1)) / l.montant \
         FROM budgets b JOIN budget_lignes l ON l.budget_id = b.id \
         WHERE b.syndic_id = $1 AND b.annee = extract(year FROM $2::date)::int - 1",
    )
    .bind(atlas)
    .bind(today)
    .fetch_all(pool)
    .await?;
    assert!(!ratios.is_empty());
    for (cat, r) in &ratios {
        assert!(
            *r > Decimal::new(80, 2) && *r < Decimal::new(125, 2),
            "{cat}: actual/budget {r}"
        );
    }
    assert!(ratios.iter().any(|r| r.1 > Decimal::ONE) && ratios.iter().any(|r| r.1 < Decimal::ONE));

    // Calls: quarterly from Q1 of Y-1 to the current quarter (plus the works voted in Guéliz).
    let quarters = 4 + i64::from(today.month0() / 3 + 1);
    let calls: Vec<(i64, i64)> = sqlx::query_as(
        "SELECT residence_id, count(*) FILTER (WHERE type = 'budget') FROM appels_de_fonds \
         WHERE syndic_id = $1 GROUP BY 1",
    )
    .bind(atlas)
    .fetch_all(pool)
    .await?;
    assert!(
        calls.iter().all(|c| c.1 == quarters),
        "{calls:?} vs {quarters}"
    );

    // The AG: attendance of every co-owner of Guéliz with their tantièmes; votes consistent.
    let bad_presences = scalar(
        "SELECT count(*) FROM ag_presences p JOIN assemblees a ON a.id = p.assemblee_id \
         WHERE a.syndic_id = $1 AND $2 IS NOT NULL AND p.tantiemes <> (SELECT sum(l.tantiemes) FROM proprietes pr \
         JOIN lots l ON l.id = pr.lot_id WHERE pr.coproprietaire_id = p.coproprietaire_id AND l.residence_id = a.residence_id)",
        atlas,
    )
    .await?;
    assert_eq!(bad_presences, 0);
    let missing = scalar(
        "SELECT count(DISTINCT pr.coproprietaire_id) FROM assemblees a JOIN lots l ON l.residence_id = a.residence_id \
         JOIN proprietes pr ON pr.lot_id = l.id WHERE a.syndic_id = $1 AND $2 IS NOT NULL AND NOT EXISTS \
         (SELECT 1 FROM ag_presences p WHERE p.assemblee_id = a.id AND p.coproprietaire_id = pr.coproprietaire_id)",
        atlas,
    )
    .await?;
    assert_eq!(missing, 0);
    let bad_votes = scalar(
        "SELECT count(*) FROM votes v JOIN resolutions r ON r.id = v.resolution_id \
         LEFT JOIN ag_presences p ON p.assemblee_id = r.assemblee_id AND p.coproprietaire_id = v.coproprietaire_id \
         WHERE v.syndic_id = $1 AND $2 IS NOT NULL AND (p.id IS NULL OR p.presence = 'absent' OR p.tantiemes <> v.tantiemes)",
        atlas,
    )
    .await?;
    assert_eq!(bad_votes, 0);
    let resolutions: Vec<(crate::types::Majorite, String, i64, i64)> = sqlx::query_as(
        "SELECT r.majorite, r.issue::text, \
           coalesce((SELECT sum(tantiemes) FROM votes v WHERE v.resolution_id = r.id AND v.choix = 'pour'), 0), \
           (SELECT sum(tantiemes) FROM ag_presences p WHERE p.assemblee_id = r.assemblee_id AND p.presence <> 'absent') \
         FROM resolutions r WHERE r.syndic_id = $1 ORDER BY r.numero",
    )
    .bind(atlas)
    .fetch_all(pool)
    .await?;
    assert!(resolutions.len() >= 5);
    for (majorite, issue, pour, presents) in &resolutions {
        let adopted = crate::ag::adoptee(*majorite, *pour, *presents, 1000);
        assert_eq!(
            issue,
            if adopted { "adoptee" } else { "rejetee" },
            "{majorite:?} pour {pour} / {presents}"
        );
    }
    assert!(
        resolutions.iter().any(|r| r.1 == "rejetee")
            && resolutions.iter().any(|r| r.1 == "adoptee")
    );
    assert_eq!(
        scalar("SELECT count(*) FROM appels_de_fonds WHERE syndic_id = $1 AND type = 'travaux' AND $2 IS NOT NULL", atlas).await?,
        1
    );

    // The règlement: chunked by article, with pages, searchable in French.
    let (chunks, pages): (i64, i32) = sqlx::query_as(
        "SELECT count(c.*), max(d.pages) FROM documents d JOIN document_chunks c ON c.document_id = d.id \
         WHERE d.syndic_id = $1 AND d.type = 'reglement'",
    )
    .bind(atlas)
    .fetch_one(pool)
    .await?;
    assert!(chunks >= 30 && pages >= 8, "{chunks} chunks, {pages} pages");
    // Every demo document says what its index holds, as the indexing job would have written it.
    let misstated = scalar(
        "SELECT count(*) FROM documents d WHERE d.syndic_id = $1 AND $2 IS NOT NULL \
         AND (d.statut <> 'indexe' OR d.texte_sha256 IS NULL OR d.pages_lues IS DISTINCT FROM d.pages \
              OR d.chunks IS DISTINCT FROM (SELECT count(*) FROM document_chunks c WHERE c.document_id = d.id)::int)",
        atlas,
    )
    .await?;
    assert_eq!(
        misstated, 0,
        "documents whose index state is not their chunks"
    );
    let hits = scalar(
        "SELECT count(*) FROM document_chunks WHERE syndic_id = $1 AND $2 IS NOT NULL \
         AND tsv @@ websearch_to_tsquery('french', 'chiens laisse')",
        atlas,
    )
    .await?;
    assert!(hits >= 1);
    let full_sha: String =
        sqlx::query_scalar("SELECT encode(sha256(convert_to($1, 'UTF8')), 'hex')")
            .bind(REGLEMENT_GUELIZ)
            .fetch_one(pool)
            .await?;
    let stored: String = sqlx::query_scalar(
        "SELECT contenu_sha256 FROM documents WHERE syndic_id = $1 AND type = 'reglement'",
    )
    .bind(atlas)
    .fetch_one(pool)
    .await?;
    assert_eq!(full_sha, stored);

    // The other documents of Guéliz: three contracts and a letter for the co-owners, a note for
    // the syndic's team only; every one chunked by section.
    let docs: Vec<(TypeDocument, Visibilite, String, i64)> = sqlx::query_as(
        "SELECT d.type, d.visibilite, d.titre, count(c.*) FROM documents d \
         JOIN residences r ON r.id = d.residence_id \
         JOIN document_chunks c ON c.document_id = d.id \
         WHERE d.syndic_id = $1 AND r.nom = 'Résidence Les Jardins de Guéliz' \
           AND d.type IN ('contrat', 'courrier', 'autre') \
         GROUP BY d.id ORDER BY d.date_document",
    )
    .bind(atlas)
    .fetch_all(pool)
    .await?;
    assert_eq!(docs.len(), DOCUMENTS_GUELIZ.len(), "{docs:?}");
    for ((kind, visibilite, titre, chunks), d) in docs.iter().zip(DOCUMENTS_GUELIZ) {
        assert_eq!(titre, d.titre);
        assert_eq!(*kind, d.type_document);
        assert_eq!(*visibilite, d.visibilite);
        assert!(*chunks >= 5, "{titre}: {chunks} chunks");
    }
    assert_eq!(docs.iter().filter(|d| d.1 == Visibilite::Staff).count(), 1);
    let hits = scalar(
        "SELECT count(*) FROM document_chunks c JOIN documents d ON d.id = c.document_id \
         WHERE c.syndic_id = $1 AND $2 IS NOT NULL AND d.type = 'contrat' \
         AND c.tsv @@ websearch_to_tsquery('french', 'astreinte cabine')",
        atlas,
    )
    .await?;
    assert!(hits >= 1);

    // Row-level security: the application role sees Al Manar's rows only.
    let mut tx = pool.begin().await?;
    sqlx::query("SET LOCAL ROLE wakil_app")
        .execute(&mut *tx)
        .await?;
    sqlx::query("SELECT set_config('wakil.syndic_id', $1, true)")
        .bind(manar.to_string())
        .execute(&mut *tx)
        .await?;
    let visible: i64 = sqlx::query_scalar("SELECT count(*) FROM lots")
        .fetch_one(&mut *tx)
        .await?;
    assert_eq!(visible, 8);
    tx.rollback().await?;

    // The report lists what a demo needs to log in.
    assert_eq!(report.syndics.len(), 2);
    for role in [
        Role::Admin,
        Role::Gestionnaire,
        Role::Comptable,
        Role::President,
    ] {
        assert!(report.users.iter().any(|u| u.role == role), "{role:?}");
    }
    assert!(
        report
            .users
            .iter()
            .filter(|u| u.role == Role::Coproprietaire)
            .count()
            >= 3
    );
    assert_eq!(report.counts.get("lots"), Some(&128));
    Ok(())
}

async fn fingerprint(pool: &PgPool) -> Result<Vec<Option<String>>, sqlx::Error> {
    let row = sqlx::query(
        "SELECT (SELECT count(*) FROM lots)::text, (SELECT sum(tantiemes) FROM lots)::text, \
         (SELECT sum(montant) FROM echeances)::text, (SELECT sum(montant) FROM paiements)::text, \
         (SELECT sum(montant) FROM allocations)::text, (SELECT sum(montant_ttc) FROM factures)::text, \
         (SELECT sum(montant) FROM budget_lignes)::text, (SELECT count(*) FROM votes)::text, \
         (SELECT md5(string_agg(numero || ':' || tantiemes, ',' ORDER BY id)) FROM lots), \
         (SELECT md5(string_agg(coalesce(prenom, '') || nom || coalesce(email, ''), ',' ORDER BY id)) FROM coproprietaires), \
         (SELECT md5(string_agg(reference || montant || date_paiement, ',' ORDER BY id)) FROM paiements), \
         (SELECT md5(string_agg(numero || montant_ttc || statut, ',' ORDER BY id)) FROM factures), \
         (SELECT md5(string_agg(choix || ':' || tantiemes, ',' ORDER BY id)) FROM votes), \
         (SELECT md5(string_agg(identifiant, ',' ORDER BY id)) FROM channel_links), \
         (SELECT md5(string_agg(email, ',' ORDER BY id)) FROM users)",
    )
    .fetch_one(pool)
    .await?;
    (0..row.len())
        .map(|i| row.try_get::<Option<String>, _>(i))
        .collect()
}

fn date(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).unwrap_or_default()
}

#[tokio::test]
async fn demo_then_scale_keeps_every_invariant() -> TestResult {
    let today = date(2025, 11, 20);
    with_db(async |pool: &PgPool| {
        let report = seed_demo(pool, today).await?;
        check_invariants(pool, today).await?;
        check_demo(pool, today, &report).await?;

        match seed_demo(pool, today).await {
            Err(SeedError::DemoAlreadyLoaded { nom, .. }) => assert_eq!(nom, "Atlas Syndic"),
            other => panic!("a second demo must be refused, got {other:?}"),
        }

        let scale = seed_scale(pool, 5, today).await?;
        assert_eq!(scale.syndics.len(), 1);
        assert_eq!(scale.syndics[0].nom, "Syndic Benchmark");
        assert_eq!(scale.counts.get("residences"), Some(&5));
        let again = seed_scale(pool, 2, today).await?;
        assert_eq!(again.syndics[0].nom, "Syndic Benchmark #2");
        check_invariants(pool, today).await?;
        // The demo's figures are untouched by the benchmark.
        check_demo(pool, today, &report).await?;
        assert!(matches!(
            seed_scale(pool, 0, today).await,
            Err(SeedError::InvalidArgument(_))
        ));
        Ok(())
    })
    .await
}

#[tokio::test]
async fn demo_is_deterministic() -> TestResult {
    // Early January: the current quarter's call is out, little of it is paid.
    let today = date(2026, 1, 3);
    let mut prints = Vec::new();
    for _ in 0..2 {
        with_db(async |pool: &PgPool| {
            let report = seed_demo(pool, today).await?;
            check_invariants(pool, today).await?;
            check_demo(pool, today, &report).await?;
            prints.push(fingerprint(pool).await?);
            Ok(())
        })
        .await?;
    }
    assert_eq!(prints.len(), 2);
    assert_eq!(prints[0], prints[1]);
    assert!(prints[0].iter().all(Option::is_some));
    Ok(())
}

#[tokio::test]
async fn demo_holds_at_the_end_of_a_quarter() -> TestResult {
    let today = date(2025, 3, 31);
    with_db(async |pool: &PgPool| {
        let report = seed_demo(pool, today).await?;
        check_invariants(pool, today).await?;
        check_demo(pool, today, &report).await
    })
    .await
}

#[tokio::test]
async fn bulk_foreign_key_check_finds_orphans() -> TestResult {
    with_db(async |pool: &PgPool| {
        let mut tx = pool.begin().await?;
        sqlx::query("SET LOCAL session_replication_role = replica").execute(&mut *tx).await?;
        sqlx::query("INSERT INTO syndics (id, nom) VALUES (1, 'S')").execute(&mut *tx).await?;
        sqlx::query("INSERT INTO lots (id, syndic_id, residence_id, numero, tantiemes) VALUES (1, 1, 999, 'A1', 10)")
            .execute(&mut *tx)
            .await?;
        let since = vec![0; TABLES.len()];
        match check_foreign_keys(&mut tx, &since).await {
            Err(SeedError::Generator(m)) => assert!(m.contains("lots"), "{m}"),
            other => panic!("the orphan lot must be found, got {other:?}"),
        }
        // Rows older than the seed are not its business.
        let mut since = since;
        since[TABLES.iter().position(|t| *t == "lots").unwrap_or(0)] = 1;
        assert!(check_foreign_keys(&mut tx, &since).await.is_ok());
        tx.rollback().await?;
        Ok(())
    })
    .await
}

#[test]
fn reglement_is_several_pages_of_articles() {
    let words = REGLEMENT_GUELIZ.split_whitespace().count();
    assert!((3_000..=5_000).contains(&words), "{words} words");
    let chunks = decouper(&[Page {
        numero: None,
        texte: REGLEMENT_GUELIZ,
    }]);
    let mut articles: Vec<&str> = chunks
        .iter()
        .filter_map(|c| c.titre.as_deref().filter(|t| t.starts_with("Article ")))
        .collect();
    articles.dedup();
    assert_eq!(articles.len(), 30);
}

#[test]
fn demo_documents_are_titled_dated_sections() {
    for d in DOCUMENTS_GUELIZ {
        assert_eq!(
            d.texte.lines().next(),
            Some(format!("# {}", d.titre).as_str())
        );
        assert!((2023..=2025).contains(&d.date.year()), "{}", d.titre);
        let words = d.texte.split_whitespace().count();
        let range = if d.type_document == TypeDocument::Contrat {
            1_800..=3_000
        } else {
            450..=900
        };
        assert!(range.contains(&words), "{}: {words} words", d.titre);
        let chunks = decouper(&[Page {
            numero: None,
            texte: d.texte,
        }]);
        assert!(chunks.len() >= 6, "{}", d.titre);
        assert!(
            chunks
                .iter()
                .all(|c| !c.contenu.contains("TODO") && !c.contenu.contains("# ")),
            "{}",
            d.titre
        );
    }
    // Only the note on the recovery of unpaid charges is kept from the co-owners.
    let staff: Vec<&str> = DOCUMENTS_GUELIZ
        .iter()
        .filter(|d| d.visibilite == Visibilite::Staff)
        .map(|d| d.titre)
        .collect();
    assert_eq!(staff.len(), 1);
    assert!(staff[0].starts_with("Note interne"));
}

#[tokio::test]
async fn the_planner_has_statistics_right_after_a_seed() -> TestResult {
    with_db(async |pool: &PgPool| {
        seed_demo(pool, date(2026, 1, 3)).await?;
        // Never analysed tables have reltuples = -1; a plan made without statistics for the
        // impayés query was 20 times slower on the 10,000-résidence benchmark.
        let unanalysed: Vec<String> = sqlx::query_scalar(
            "SELECT relname::text FROM pg_class
             WHERE relname IN ('echeances', 'allocations', 'paiements', 'lots', 'residences')
               AND reltuples < 0",
        )
        .fetch_all(pool)
        .await?;
        assert_eq!(unanalysed, Vec::<String>::new());
        Ok(())
    })
    .await
}
