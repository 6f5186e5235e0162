//! The AG tools against a real database: the PV of the demo AG checked figure by figure against
//! SQL sums of its attendance and votes (text extracted with `pdftotext`), the convocation's
//! notice, an AG entered by conversation on a résidence with an owner above half of the votes,
//! and confirmations counted once. Expected figures are computed here by SQL, not by the tools.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use chrono::{Days, NaiveDate};
use std::path::{Path, PathBuf};
use uuid::Uuid;
use wakil_schema::testing::DEMO_TODAY;
use wakil_schema::{Caller, Clock, Role};
use wakil_tools::{ToolContext, ToolError, ToolResult};

use crate::common;
use common::{Demo, demo, execute, plan};

const GUELIZ: &str = "Résidence Les Jardins de Guéliz";

/// Plans and confirms once.
async fn confirm(
    ctx: &ToolContext,
    caller: &Caller,
    tool: &str,
    args: serde_json::Value,
) -> ToolResult {
    let p = plan(ctx, caller, tool, args.clone())
        .await
        .unwrap_or_else(|e| panic!("{tool} {args}: {e}"));
    execute(ctx, caller, &p, Uuid::new_v4())
        .await
        .unwrap_or_else(|e| panic!("{tool} {args}: {e}"))
}

/// Rows of the AG tables and documents, as the owner sees them: what a refused or planned
/// request must leave as it was.
async fn counts(d: &Demo) -> Vec<i64> {
    sqlx::query_scalar(
        "SELECT unnest(ARRAY[(SELECT count(*) FROM assemblees), (SELECT count(*) FROM ag_ordre_du_jour),
                (SELECT count(*) FROM resolutions), (SELECT count(*) FROM ag_presences),
                (SELECT count(*) FROM votes), (SELECT count(*) FROM documents),
                (SELECT count(*) FROM fichiers), (SELECT count(*) FROM ag_saisies),
                (SELECT count(*) FROM resolutions WHERE issue IS NOT NULL),
                (SELECT count(*) FROM assemblees WHERE convoquee_le IS NOT NULL)])",
    )
    .fetch_all(&d.db.admin)
    .await
    .unwrap()
}

/// The text of a generated PDF (`pdftotext -layout`), with non-breaking spaces as spaces; the
/// PDF is kept under the target directory, with a PNG of `page`, for a look.
fn pdf_text(ctx: &ToolContext, syndic: i64, r: &ToolResult, name: &str) -> String {
    assert_eq!(r.files.len(), 1, "{}", r.summary);
    let f = &r.files[0];
    assert_eq!(f.mime, "application/pdf");
    let path = ctx.files.path(syndic, f.id);
    let bytes = std::fs::read(&path).unwrap();
    assert!(bytes.starts_with(b"%PDF-"));
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("ag");
    std::fs::create_dir_all(&dir).unwrap();
    let kept: PathBuf = dir.join(format!("{name}.pdf"));
    std::fs::write(&kept, &bytes).unwrap();
    let png = std::process::Command::new("pdftoppm")
        .args(["-png", "-r", "60"])
        .arg(&kept)
        .arg(dir.join(name))
        .status()
        .expect("pdftoppm (poppler-utils, scripts/setup.sh)");
    assert!(png.success());
    let out = std::process::Command::new("pdftotext")
        .args(["-layout"])
        .arg(&kept)
        .arg("-")
        .output()
        .expect("pdftotext (poppler-utils, scripts/setup.sh)");
    assert!(out.status.success());
    String::from_utf8(out.stdout)
        .unwrap()
        .replace('\u{a0}', " ")
}

/// A message with its non-breaking spaces as spaces.
fn plain(s: &str) -> String {
    s.replace('\u{a0}', " ")
}

/// "1 000" as the PDF prints it.
fn n(v: i64) -> String {
    let s = v.to_string();
    let mut out = String::new();
    for (i, c) in s.chars().enumerate() {
        if i > 0 && (s.len() - i).is_multiple_of(3) {
            out.push(' ');
        }
        out.push(c);
    }
    out
}

/// The numbers of the line after the header line of a votes table in `section`.
fn votes_row(section: &str) -> Vec<i64> {
    let mut lines = section.lines();
    lines
        .by_ref()
        .find(|l| l.contains("Pour") && l.contains("Contre") && l.contains("Abstention"))
        .unwrap_or_else(|| panic!("no votes table in {section}"));
    let row = lines.find(|l| !l.trim().is_empty()).unwrap();
    // Columns are separated by several spaces; a thousands separator is a single one.
    row.split("  ")
        .map(str::trim)
        .filter(|c| !c.is_empty())
        .map(|c| c.replace(' ', "").parse::<i64>().unwrap())
        .collect()
}

#[tokio::test]
async fn the_pv_of_the_demo_ag_states_the_figures_of_its_rows() {
    let d = demo().await;
    let gestionnaire = d.caller(d.atlas, Role::Gestionnaire).await;
    let ag: i64 = sqlx::query_scalar(
        "SELECT a.id FROM assemblees a JOIN residences r ON r.id = a.residence_id WHERE r.nom = $1",
    )
    .bind(GUELIZ)
    .fetch_one(&d.db.admin)
    .await
    .unwrap();
    // Attendance by SQL: (presence, head count, tantièmes), and no owner above half.
    let presence: Vec<(String, i64, i64)> = sqlx::query_as(
        "SELECT presence::text, count(*), sum(tantiemes)::bigint FROM ag_presences
         WHERE assemblee_id = $1 GROUP BY 1 ORDER BY 1",
    )
    .bind(ag)
    .fetch_all(&d.db.admin)
    .await
    .unwrap();
    let get = |p: &str| {
        presence
            .iter()
            .find(|r| r.0 == p)
            .map_or((0, 0), |r| (r.1, r.2))
    };
    let (absents, t_absents) = get("absent");
    let (presents, t_presents) = get("present");
    let (representes, t_representes) = get("represente");
    let total = presents + representes + absents;
    let t_total = t_presents + t_representes + t_absents;
    let max: i32 =
        sqlx::query_scalar("SELECT max(tantiemes) FROM ag_presences WHERE assemblee_id = $1")
            .bind(ag)
            .fetch_one(&d.db.admin)
            .await
            .unwrap();
    assert!(
        i64::from(max) * 2 <= t_total,
        "the demo AG has no capped owner"
    );

    let before = counts(&d).await;
    let p = plan(
        &d.ctx,
        &gestionnaire,
        "generate_pv",
        serde_json::json!({ "residence": "Guéliz" }),
    )
    .await
    .unwrap();
    assert_eq!(counts(&d).await, before, "a plan writes nothing");
    assert!(plain(&p.summary).contains("14/06/2025"), "{}", p.summary);
    let confirmation = Uuid::new_v4();
    let r = execute(&d.ctx, &gestionnaire, &p, confirmation)
        .await
        .unwrap();
    let text = pdf_text(&d.ctx, d.atlas, &r, "pv-demo");

    // Attendance and quorum.
    let quorum = format!(
        "Le quorum est atteint : {} copropriétaires sur {} présents ou représentés ({} requis), \
         totalisant {} / {} tantièmes.",
        presents + representes,
        total,
        (total + 1) / 2,
        n(t_presents + t_representes),
        n(t_total)
    );
    let flat = text.split_whitespace().collect::<Vec<_>>().join(" ");
    assert!(flat.contains(&quorum), "{quorum}\n{text}");
    for (label, count, t) in [
        ("Présents", presents, t_presents),
        ("Représentés", representes, t_representes),
        ("Absents", absents, t_absents),
        ("Total", total, t_total),
    ] {
        let line = format!("{label} {} {}", n(count), n(t));
        assert!(flat.contains(&line), "{line}");
    }
    assert!(flat.contains(&format!("Total : {total} copropriétaires {}", n(t_total))));
    // Every co-owner of the sheet with their tantièmes and presence.
    let lignes: Vec<(String, i32, String, Option<String>, bool)> = sqlx::query_as(
        "SELECT concat_ws(' ', c.civilite, c.prenom, c.nom), p.tantiemes, p.presence::text,
                concat_ws(' ', m.civilite, m.prenom, m.nom), c.civilite IN ('Mme', 'Société')
         FROM ag_presences p JOIN coproprietaires c ON c.id = p.coproprietaire_id
         LEFT JOIN coproprietaires m ON m.id = p.represente_par WHERE p.assemblee_id = $1",
    )
    .bind(ag)
    .fetch_all(&d.db.admin)
    .await
    .unwrap();
    assert_eq!(lignes.len() as i64, total);
    let lines: Vec<&str> = text.lines().collect();
    for (nom, t, presence, par, feminin) in &lignes {
        let e = if *feminin { "e" } else { "" };
        let i = lines
            .iter()
            .position(|l| l.trim_start().starts_with(&format!("{nom} ")))
            .unwrap_or_else(|| panic!("{nom} missing"));
        let line = lines[i];
        assert!(line.contains(&format!(" {t} ")), "{line}");
        let expected = match presence.as_str() {
            "present" => format!("Présent{e}"),
            "absent" => format!("Absent{e}"),
            _ => format!("Représenté{e} par {}", par.as_deref().unwrap()),
        };
        assert!(line.contains(&expected), "{line} / {expected}");
    }

    // Each resolution: votes by SQL, the outcome by the majority's rule in SQL.
    let resolutions: Vec<(i32, i64, i64, i64, bool, String)> = sqlx::query_as(
        "WITH s AS (SELECT sum(tantiemes) FILTER (WHERE presence <> 'absent') AS presentes,
                           sum(tantiemes) AS total FROM ag_presences WHERE assemblee_id = $1),
              v AS (SELECT r.id, r.numero, r.majorite,
                           coalesce(sum(v.tantiemes) FILTER (WHERE v.choix = 'pour'), 0) AS pour,
                           coalesce(sum(v.tantiemes) FILTER (WHERE v.choix = 'contre'), 0) AS contre,
                           coalesce(sum(v.tantiemes) FILTER (WHERE v.choix = 'abstention'), 0) AS abst
                    FROM resolutions r LEFT JOIN votes v ON v.resolution_id = r.id
                    WHERE r.assemblee_id = $1 GROUP BY r.id)
         SELECT v.numero, v.pour::bigint, v.contre::bigint, v.abst::bigint,
                CASE v.majorite WHEN 'simple' THEN v.pour * 2 > s.presentes
                                WHEN 'absolue' THEN v.pour * 2 > s.total
                                WHEN 'trois_quarts' THEN v.pour * 4 >= s.total * 3
                                ELSE v.pour = s.total END,
                r.issue::text
         FROM v CROSS JOIN s JOIN resolutions r ON r.id = v.id ORDER BY v.numero",
    )
    .bind(ag)
    .fetch_all(&d.db.admin)
    .await
    .unwrap();
    assert_eq!(resolutions.len(), 7);
    assert!(resolutions.iter().any(|r| r.4) && resolutions.iter().any(|r| !r.4));
    let sections: Vec<&str> = text.split("Résolution n° ").skip(1).collect();
    assert_eq!(sections.len(), resolutions.len());
    for ((numero, pour, contre, abst, adoptee, stored), section) in
        resolutions.iter().zip(&sections)
    {
        assert!(section.starts_with(&format!("{numero}.")), "{section}");
        assert_eq!(
            votes_row(section),
            vec![*pour, *contre, *abst],
            "résolution {numero}"
        );
        let label = if *adoptee { "ADOPTÉE" } else { "REJETÉE" };
        let label_line = section
            .lines()
            .find(|l| l.contains("Majorité requise"))
            .unwrap();
        assert!(
            label_line.contains(label),
            "résolution {numero}: {label_line}"
        );
        assert_eq!(stored, if *adoptee { "adoptee" } else { "rejetee" });
    }
    // The thresholds: a simple majority over the tantièmes present, the others over all.
    assert!(flat.contains(&format!(
        "au moins {} voix sur {}",
        n((t_presents + t_representes) / 2 + 1),
        n(t_presents + t_representes)
    )));
    assert!(flat.contains(&format!(
        "au moins {} voix sur {}",
        n((3 * t_total + 3) / 4),
        n(t_total)
    )));
    // Officers and signatures.
    let (president, secretaire): (String, String) =
        sqlx::query_as("SELECT president_seance, secretaire FROM assemblees WHERE id = $1")
            .bind(ag)
            .fetch_one(&d.db.admin)
            .await
            .unwrap();
    assert!(flat.contains(&format!("Président de séance {president}")));
    assert!(flat.contains("Le président de séance") && flat.contains("Le secrétaire"));
    assert!(flat.contains(&secretaire));

    // Published as a PV of the résidence, shared with its co-owners.
    let (kind, visibilite, residence): (String, String, String) = sqlx::query_as(
        "SELECT d.type::text, d.visibilite::text, r.nom FROM documents d
         JOIN residences r ON r.id = d.residence_id WHERE d.fichier_id = $1",
    )
    .bind(r.files[0].id)
    .fetch_one(&d.db.admin)
    .await
    .unwrap();
    assert_eq!(
        (kind.as_str(), visibilite.as_str(), residence.as_str()),
        ("pv", "residence", GUELIZ)
    );

    // The same confirmation again: the same document, nothing more written.
    let after = counts(&d).await;
    let again = execute(&d.ctx, &gestionnaire, &p, confirmation)
        .await
        .unwrap();
    assert_eq!(again.output["deja_enregistre"], true);
    assert_eq!(again.files, r.files);
    assert_eq!(counts(&d).await, after);
}

#[tokio::test]
async fn the_convocation_refuses_a_date_inside_the_notice_and_writes_nothing() {
    let d = demo().await;
    let gestionnaire = d.caller(d.atlas, Role::Gestionnaire).await;
    let before = counts(&d).await;
    // 14 days ahead: one day short of the 15 days of notice.
    let trop_tot = DEMO_TODAY + Days::new(14);
    let e = plan(
        &d.ctx,
        &gestionnaire,
        "generate_convocation",
        serde_json::json!({
            "residence": "Agdal", "date_ag": trop_tot.to_string(), "heure": "18h30",
            "lieu": "Salle des fêtes", "ordre_du_jour": ["Approbation des comptes"]
        }),
    )
    .await
    .unwrap_err();
    assert!(matches!(e, ToolError::InvalidArgs(_)), "{e:?}");
    assert!(
        plain(&e.to_string())
            .contains("au moins 15 jours avant l'AG : envoyée le 15/11/2026, elle permet une AG à partir du 30/11/2026, pas le 29/11/2026"),
        "{e}"
    );
    assert_eq!(counts(&d).await, before);

    // The notice is the résidence's own: 20 days in Agdal.
    sqlx::query("UPDATE residences SET ag_preavis_jours = 20 WHERE nom = 'Résidence Agdal Parc'")
        .execute(&d.db.admin)
        .await
        .unwrap();
    let ag = DEMO_TODAY + Days::new(18);
    confirm(
        &d.ctx,
        &gestionnaire,
        "planifier_ag",
        serde_json::json!({
            "residence": "Agdal", "date": ag.to_string(), "heure": "18:30",
            "lieu": "Salle des fêtes", "ordre_du_jour": ["Budget 2027"]
        }),
    )
    .await;
    let before = counts(&d).await;
    let e = plan(
        &d.ctx,
        &gestionnaire,
        "generate_convocation",
        serde_json::json!({ "residence": "Agdal" }),
    )
    .await
    .unwrap_err();
    assert!(
        plain(&e.to_string()).contains("au moins 20 jours")
            && plain(&e.to_string()).contains("05/12/2026"),
        "{e}"
    );
    assert_eq!(counts(&d).await, before);
}

/// A résidence of four co-owners where a company holds 600 of the 1 000 tantièmes.
async fn residence_plafond(d: &Demo) {
    sqlx::raw_sql(sqlx::AssertSqlSafe(format!(
        "INSERT INTO residences (syndic_id, nom, adresse, ville) VALUES ({s}, 'Résidence Les Orangers', '5, avenue Hassan II', 'Rabat');
         INSERT INTO coproprietaires (syndic_id, civilite, prenom, nom) VALUES
             ({s}, 'Société', NULL, 'Immobilière Atlas Invest'), ({s}, 'M.', 'Karim', 'Bouhaddou'),
             ({s}, 'Mme', 'Salma', 'Ouazzani'), ({s}, 'M.', 'Youssef', 'Tahiri');
         INSERT INTO lots (syndic_id, residence_id, numero, tantiemes)
             SELECT {s}, r.id, x.numero, x.t FROM residences r,
                    (VALUES ('C1', 450), ('C2', 150), ('O1', 200), ('O2', 120), ('O3', 80)) x (numero, t)
             WHERE r.nom = 'Résidence Les Orangers';
         INSERT INTO proprietes (syndic_id, lot_id, coproprietaire_id, depuis)
             SELECT {s}, l.id, c.id, DATE '2020-01-01' FROM lots l
             JOIN residences r ON r.id = l.residence_id AND r.nom = 'Résidence Les Orangers'
             JOIN coproprietaires c ON c.nom = CASE l.numero WHEN 'C1' THEN 'Immobilière Atlas Invest'
                 WHEN 'C2' THEN 'Immobilière Atlas Invest' WHEN 'O1' THEN 'Bouhaddou'
                 WHEN 'O2' THEN 'Ouazzani' ELSE 'Tahiri' END
             WHERE NOT EXISTS (SELECT 1 FROM proprietes p WHERE p.coproprietaire_id = c.id);",
        s = d.atlas
    )))
    .execute(&d.db.admin)
    .await
    .unwrap();
}

fn ctx_at(d: &Demo, today: NaiveDate) -> ToolContext {
    let mut ctx = d.ctx.clone();
    ctx.clock = Clock::Fixed(today);
    ctx
}

#[tokio::test]
async fn an_ag_entered_by_conversation_gives_its_pv_with_the_big_owner_capped() {
    let d = demo().await;
    residence_plafond(&d).await;
    let g = d.caller(d.atlas, Role::Gestionnaire).await;
    let jour = NaiveDate::from_ymd_opt(2026, 12, 5).unwrap();

    // Planned with two items, a third added, convened 20 days ahead.
    let planned = plan(
        &d.ctx,
        &g,
        "planifier_ag",
        serde_json::json!({
            "residence": "Orangers", "date": "2026-12-05", "heure": "18h30",
            "lieu": "Salle de réunion de la résidence",
            "ordre_du_jour": ["Approbation des comptes 2026", "Ravalement de la façade"]
        }),
    )
    .await
    .unwrap();
    assert!(
        plain(&planned.summary).contains("samedi 5 décembre 2026 à 18 h 30"),
        "{}",
        planned.summary
    );
    // Confirmed twice, even at once: one AG.
    let conf = Uuid::new_v4();
    let (a, b) = tokio::join!(
        execute(&d.ctx, &g, &planned, conf),
        execute(&d.ctx, &g, &planned, conf)
    );
    let (a, b) = (a.unwrap(), b.unwrap());
    assert_ne!(a.output["deja_enregistre"], b.output["deja_enregistre"]);
    let ag: i64 = sqlx::query_scalar(
        "SELECT a.id FROM assemblees a JOIN residences r ON r.id = a.residence_id
         WHERE r.nom = 'Résidence Les Orangers'",
    )
    .fetch_one(&d.db.admin)
    .await
    .unwrap();
    let point = plan(
        &d.ctx,
        &g,
        "ajouter_point_ordre_du_jour",
        serde_json::json!({ "residence": "Orangers", "titre": "Règlement intérieur de la piscine" }),
    )
    .await
    .unwrap();
    let conf = Uuid::new_v4();
    execute(&d.ctx, &g, &point, conf).await.unwrap();
    let again = execute(&d.ctx, &g, &point, conf).await.unwrap();
    assert_eq!(again.output["deja_enregistre"], true);
    assert!(
        plain(&again.summary).contains("Point n° 3"),
        "{}",
        again.summary
    );
    let points: i64 =
        sqlx::query_scalar("SELECT count(*) FROM ag_ordre_du_jour WHERE assemblee_id = $1")
            .bind(ag)
            .fetch_one(&d.db.admin)
            .await
            .unwrap();
    assert_eq!(points, 3);

    let convoquer = plan(
        &d.ctx,
        &g,
        "generate_convocation",
        serde_json::json!({ "residence": "Orangers" }),
    )
    .await
    .unwrap();
    let conf = Uuid::new_v4();
    let convocation = execute(&d.ctx, &g, &convoquer, conf).await.unwrap();
    let before = counts(&d).await;
    let again = execute(&d.ctx, &g, &convoquer, conf).await.unwrap();
    assert_eq!(again.output["deja_enregistre"], true);
    assert_eq!(again.files, convocation.files);
    assert_eq!(counts(&d).await, before);
    let text = pdf_text(&d.ctx, d.atlas, &convocation, "convocation-orangers");
    let flat = text.split_whitespace().collect::<Vec<_>>().join(" ");
    for expected in [
        "Convocation à l'assemblée générale ordinaire",
        "Casablanca, le dimanche 15 novembre 2026",
        "samedi 5 décembre 2026",
        "18 h 30",
        "Salle de réunion de la résidence",
        "1. Approbation des comptes 2026",
        "2. Ravalement de la façade",
        "3. Règlement intérieur de la piscine",
        "la moitié au moins des copropriétaires sont présents ou représentés",
        "seconde réunion sera convoquée dans les 30 jours",
        "Pouvoir",
    ] {
        assert!(flat.contains(expected), "{expected}\n{text}");
    }
    let (statut, convoquee): (String, NaiveDate) =
        sqlx::query_as("SELECT statut::text, convoquee_le FROM assemblees WHERE id = $1")
            .bind(ag)
            .fetch_one(&d.db.admin)
            .await
            .unwrap();
    assert_eq!((statut.as_str(), convoquee), ("convoquee", DEMO_TODAY));
    let (kind, visibilite): (String, String) =
        sqlx::query_as("SELECT type::text, visibilite::text FROM documents WHERE fichier_id = $1")
            .bind(convocation.files[0].id)
            .fetch_one(&d.db.admin)
            .await
            .unwrap();
    assert_eq!(
        (kind.as_str(), visibilite.as_str()),
        ("courrier", "residence")
    );
    // Convened: no more agenda items (nothing off the agenda is voted).
    let e = plan(
        &d.ctx,
        &g,
        "ajouter_point_ordre_du_jour",
        serde_json::json!({ "residence": "Orangers", "titre": "Divers" }),
    )
    .await
    .unwrap_err();
    assert!(
        plain(&e.to_string()).contains("ne figurerait pas sur la convocation"),
        "{e}"
    );
    // Before the day, no attendance.
    let e = plan(
        &d.ctx,
        &g,
        "enregistrer_presence",
        serde_json::json!({ "residence": "Orangers", "coproprietaire": "Bouhaddou" }),
    )
    .await
    .unwrap_err();
    assert!(
        plain(&e.to_string()).contains("n'a pas encore eu lieu"),
        "{e}"
    );

    // The day of the AG.
    let ctx = ctx_at(&d, jour);
    for (point, texte, majorite) in [
        (1, "Approbation des comptes de l'exercice 2026", "simple"),
        (
            2,
            "Ravalement de la façade pour 350 000 MAD",
            "majorité absolue",
        ),
        (
            3,
            "Adoption du règlement intérieur de la piscine",
            "unanimité",
        ),
    ] {
        confirm(
            &ctx,
            &g,
            "ajouter_resolution",
            serde_json::json!({
                "residence": "Orangers", "point": point, "texte": texte, "majorite": majorite
            }),
        )
        .await;
    }
    let before = counts(&d).await;
    let e = plan(
        &ctx,
        &g,
        "ajouter_resolution",
        serde_json::json!({ "residence": "Orangers", "point": 9, "texte": "Hors sujet" }),
    )
    .await
    .unwrap_err();
    assert!(
        plain(&e.to_string()).contains("n'a pas de point n° 9")
            && plain(&e.to_string()).contains("1. Approbation des comptes 2026"),
        "{e}"
    );
    let e = plan(
        &ctx,
        &g,
        "enregistrer_votes",
        serde_json::json!({ "residence": "Orangers", "resolution": 1 }),
    )
    .await
    .unwrap_err();
    assert!(plain(&e.to_string()).contains("feuille de présence"), "{e}");
    assert_eq!(counts(&d).await, before);

    // "Immobilière Atlas Invest présente ; M. Bouhaddou présent, représente aussi Mme Ouazzani."
    confirm(&ctx, &g, "enregistrer_presence", serde_json::json!({ "residence": "Orangers", "coproprietaire": "Immobilière Atlas Invest" })).await;
    let presence = plan(
        &ctx,
        &g,
        "enregistrer_presence",
        serde_json::json!({
            "residence": "Orangers", "coproprietaire": "Karim Bouhaddou", "represente": ["Ouazzani"]
        }),
    )
    .await
    .unwrap();
    assert!(plain(&presence.summary).contains("M. Karim Bouhaddou présent (200 tantièmes), représentant Mme Salma Ouazzani (120 tantièmes)"), "{}", presence.summary);
    assert!(plain(&presence.summary).contains("3 copropriétaires sur 4 présents ou représentés (2 requis), totalisant 920 / 1 000 tantièmes"), "{}", presence.summary);
    let conf = Uuid::new_v4();
    execute(&ctx, &g, &presence, conf).await.unwrap();
    assert_eq!(
        execute(&ctx, &g, &presence, conf).await.unwrap().output["deja_enregistre"],
        true
    );
    let sheet: Vec<(String, String, i32)> = sqlx::query_as(
        "SELECT c.nom, p.presence::text, p.tantiemes FROM ag_presences p
         JOIN coproprietaires c ON c.id = p.coproprietaire_id WHERE p.assemblee_id = $1 ORDER BY c.nom",
    )
    .bind(ag)
    .fetch_all(&d.db.admin)
    .await
    .unwrap();
    assert_eq!(
        sheet,
        vec![
            ("Bouhaddou".into(), "present".into(), 200),
            ("Immobilière Atlas Invest".into(), "present".into(), 600),
            ("Ouazzani".into(), "represente".into(), 120),
        ]
    );

    // An absent co-owner does not vote.
    let e = plan(
        &ctx,
        &g,
        "enregistrer_votes",
        serde_json::json!({ "residence": "Orangers", "resolution": 1, "contre": ["Tahiri"] }),
    )
    .await
    .unwrap_err();
    assert!(
        plain(&e.to_string()).contains("M. Youssef Tahiri est absent"),
        "{e}"
    );

    // Votes in capped voices: the company's 600 tantièmes weigh 400 (the others' 400).
    let votes = plan(
        &ctx,
        &g,
        "enregistrer_votes",
        serde_json::json!({
            "residence": "Orangers", "resolution": 1, "contre": ["Bouhaddou", "Ouazzani"]
        }),
    )
    .await
    .unwrap();
    assert!(
        plain(&votes.summary).contains("pour 400, contre 320, abstention 0 voix"),
        "{}",
        votes.summary
    );
    assert!(
        plain(&votes.summary).contains("au moins 361 voix sur 720 : la résolution serait adoptée"),
        "{}",
        votes.summary
    );
    let conf = Uuid::new_v4();
    execute(&ctx, &g, &votes, conf).await.unwrap();
    execute(&ctx, &g, &votes, conf).await.unwrap();
    confirm(&ctx, &g, "enregistrer_votes", serde_json::json!({
        "residence": "Orangers", "resolution": 2, "contre": ["Bouhaddou"], "abstention": ["Salma Ouazzani"]
    }))
    .await;
    confirm(
        &ctx,
        &g,
        "enregistrer_votes",
        serde_json::json!({ "residence": "Orangers", "resolution": 3 }),
    )
    .await;
    let stored: Vec<(i32, String, i64)> = sqlx::query_as(
        "SELECT r.numero, v.choix::text, sum(v.tantiemes)::bigint FROM votes v
         JOIN resolutions r ON r.id = v.resolution_id WHERE r.assemblee_id = $1 GROUP BY 1, 2 ORDER BY 1, 2",
    )
    .bind(ag)
    .fetch_all(&d.db.admin)
    .await
    .unwrap();
    // Stored in tantièmes, once each.
    assert_eq!(
        stored,
        vec![
            (1, "contre".into(), 320),
            (1, "pour".into(), 600),
            (2, "abstention".into(), 120),
            (2, "contre".into(), 200),
            (2, "pour".into(), 600),
            (3, "pour".into(), 920),
        ]
    );

    // The PV: quorum, the cap, each outcome.
    let before = counts(&d).await;
    let e = plan(
        &ctx,
        &g,
        "generate_pv",
        serde_json::json!({ "residence": "Orangers" }),
    )
    .await
    .unwrap_err();
    assert!(plain(&e.to_string()).contains("président de séance"), "{e}");
    let e = plan(
        &ctx,
        &g,
        "generate_pv",
        serde_json::json!({
            "residence": "Orangers", "president_seance": "Ouazzani", "secretaire": "Bouhaddou"
        }),
    )
    .await
    .unwrap_err();
    assert!(plain(&e.to_string()).contains("n'est pas présent"), "{e}");
    assert_eq!(counts(&d).await, before);
    let pv = confirm(&ctx, &g, "generate_pv", serde_json::json!({
        "residence": "Orangers", "president_seance": "Karim Bouhaddou", "secretaire": "Immobilière Atlas Invest"
    }))
    .await;
    let text = pdf_text(&ctx, d.atlas, &pv, "pv-orangers");
    let flat = text.split_whitespace().collect::<Vec<_>>().join(" ");
    for expected in [
        "Le quorum est atteint : 3 copropriétaires sur 4 présents ou représentés (2 requis), totalisant 920 / 1 000 tantièmes.",
        "Société Immobilière Atlas Invest détient 600 tantièmes sur 1 000, au-delà du plafond ; ses voix sont réduites de 600 à 400",
        "Total des voix : 800, dont 720 présentes ou représentées.",
        "M. Youssef Tahiri O3 80 Absent",
        "Mme Salma Ouazzani O2 120 Représentée par M. Karim Bouhaddou",
        "Société Immobilière Atlas Invest C1, C2 600 Présente",
    ] {
        assert!(flat.contains(expected), "{expected}\n{text}");
    }
    let sections: Vec<&str> = text.split("Résolution n° ").skip(1).collect();
    let expected = [
        (vec![400, 320, 0], "au moins 361 voix sur 720", "ADOPTÉE"),
        // Absolute majority over all 800 voices: the capped owner alone (400) no longer decides.
        (vec![400, 200, 120], "au moins 401 voix sur 800", "REJETÉE"),
        // Unanimity of all voices: the absent co-owner's 80 are missing.
        (vec![720, 0, 0], "au moins 800 voix sur 800", "REJETÉE"),
    ];
    assert_eq!(sections.len(), 3);
    for (section, (row, seuil, issue)) in sections.iter().zip(&expected) {
        assert_eq!(&votes_row(section), row);
        let s = section.split_whitespace().collect::<Vec<_>>().join(" ");
        assert!(s.contains(seuil) && s.contains(issue), "{s}");
    }
    let issues: Vec<(String, String, String)> = sqlx::query_as(
        "SELECT r.issue::text, a.statut::text, a.president_seance FROM resolutions r
         JOIN assemblees a ON a.id = r.assemblee_id WHERE a.id = $1 ORDER BY r.numero",
    )
    .bind(ag)
    .fetch_all(&d.db.admin)
    .await
    .unwrap();
    assert_eq!(
        issues.iter().map(|i| i.0.as_str()).collect::<Vec<_>>(),
        ["adoptee", "rejetee", "rejetee"]
    );
    assert_eq!(
        (issues[0].1.as_str(), issues[0].2.as_str()),
        ("cloturee", "M. Karim Bouhaddou")
    );
    // The sheet is complete: the absent co-owner recorded with their tantièmes.
    let absent: (String, i32) = sqlx::query_as(
        "SELECT p.presence::text, p.tantiemes FROM ag_presences p JOIN coproprietaires c ON c.id = p.coproprietaire_id
         WHERE p.assemblee_id = $1 AND c.nom = 'Tahiri'",
    )
    .bind(ag)
    .fetch_one(&d.db.admin)
    .await
    .unwrap();
    assert_eq!(absent, ("absent".into(), 80));
    // Closed: nothing more is entered.
    let e = plan(
        &ctx,
        &g,
        "enregistrer_votes",
        serde_json::json!({ "residence": "Orangers", "date_ag": "2026-12-05", "resolution": 3 }),
    )
    .await
    .unwrap_err();
    assert!(plain(&e.to_string()).contains("clôturée"), "{e}");
}

#[tokio::test]
async fn a_president_reads_the_ag_of_their_residence_and_enters_nothing() {
    let d = demo().await;
    let president = d.caller(d.atlas, Role::President).await;
    let comptable = d.caller(d.atlas, Role::Comptable).await;
    let residence: String = sqlx::query_scalar("SELECT nom FROM residences WHERE id = $1")
        .bind(president.residence_id.unwrap())
        .fetch_one(&d.db.admin)
        .await
        .unwrap();
    assert_eq!(residence, GUELIZ);
    let r = wakil_tools::find("consulter_ag")
        .unwrap()
        .call(&d.ctx, &president, serde_json::json!({}))
        .await
        .unwrap()
        .done()
        .unwrap();
    assert_eq!(r.output["assemblee"]["residence"], GUELIZ);
    assert_eq!(r.output["presence"]["coproprietaires"], 34);
    assert_eq!(r.output["resolutions"].as_array().unwrap().len(), 7);
    let e = wakil_tools::find("consulter_ag")
        .unwrap()
        .call(
            &d.ctx,
            &president,
            serde_json::json!({ "residence": "Agdal" }),
        )
        .await
        .unwrap_err();
    assert!(matches!(e, ToolError::NotFound { .. }), "{e:?}");
    for caller in [&president, &comptable] {
        for tool in ["generate_pv", "planifier_ag", "enregistrer_presence"] {
            let e = wakil_tools::find(tool)
                .unwrap()
                .call(&d.ctx, caller, serde_json::json!({}))
                .await
                .unwrap_err();
            assert!(matches!(e, ToolError::Forbidden(_)), "{tool}: {e:?}");
        }
    }
    // The PV renders for the président (read-only), from the same rows.
    let ag: i64 = sqlx::query_scalar("SELECT id FROM assemblees WHERE residence_id = $1")
        .bind(president.residence_id.unwrap())
        .fetch_one(&d.db.admin)
        .await
        .unwrap();
    let pdf = wakil_tools::ag::render_pv(&d.ctx, &president, ag)
        .await
        .unwrap();
    assert!(pdf.bytes.starts_with(b"%PDF-") && pdf.pages >= 2);
}

#[tokio::test]
async fn co_owners_are_named_within_the_residence_by_name_or_lot_and_ambiguity_is_asked() {
    let d = demo().await;
    let g = d.caller(d.atlas, Role::Gestionnaire).await;
    confirm(&d.ctx, &g, "planifier_ag", serde_json::json!({
        "residence": "Guéliz", "date": DEMO_TODAY.to_string(), "heure": "10:00",
        "lieu": "Salle polyvalente", "type": "extraordinaire", "ordre_du_jour": ["Ascenseur du bâtiment B"]
    }))
    .await;
    let before = counts(&d).await;
    let e = plan(
        &d.ctx,
        &g,
        "enregistrer_presence",
        serde_json::json!({ "residence": "Guéliz", "coproprietaire": "Filali" }),
    )
    .await
    .unwrap_err();
    match &e {
        ToolError::Ambiguous { candidates, .. } => {
            assert_eq!(candidates.len(), 3, "{candidates:?}");
            assert!(plain(&e.to_string()).contains("Précisez lequel"), "{e}");
        }
        other => panic!("{other:?}"),
    }
    let e = plan(
        &d.ctx,
        &g,
        "enregistrer_presence",
        serde_json::json!({ "residence": "Guéliz", "coproprietaire": "Filalli Imanne" }),
    )
    .await
    .unwrap_err();
    assert!(
        matches!(e, ToolError::NotFound { ref suggestions, .. } if suggestions.iter().any(|s| s.contains("Imane Filali"))),
        "{e:?}"
    );
    // A lot number names its owner.
    let p = plan(
        &d.ctx,
        &g,
        "enregistrer_presence",
        serde_json::json!({
            "residence": "Guéliz", "coproprietaire": "A23", "represente": ["Imane Filali"]
        }),
    )
    .await
    .unwrap();
    assert!(
        plain(&p.summary).contains(
            "Mme Asmae Filali présent (25 tantièmes), représentant Mme Imane Filali (31 tantièmes)"
        ),
        "{}",
        p.summary
    );
    assert!(
        plain(&p.summary).contains("l'AGE du 15/11/2026"),
        "{}",
        p.summary
    );
    let e = plan(
        &d.ctx,
        &g,
        "enregistrer_presence",
        serde_json::json!({
            "residence": "Guéliz", "coproprietaire": "A23", "represente": ["A23"]
        }),
    )
    .await
    .unwrap_err();
    assert!(plain(&e.to_string()).contains("cité deux fois"), "{e}");
    assert_eq!(counts(&d).await, before);
}

#[tokio::test]
async fn without_quorum_nothing_is_voted_and_a_second_meeting_follows_within_its_delay() {
    let d = demo().await;
    let g = d.caller(d.atlas, Role::Gestionnaire).await;
    confirm(
        &d.ctx,
        &g,
        "planifier_ag",
        serde_json::json!({
            "residence": "Guéliz", "date": DEMO_TODAY.to_string(), "heure": "10:00",
            "lieu": "Salle polyvalente", "type": "AGE", "ordre_du_jour": ["Ascenseur du bâtiment B"]
        }),
    )
    .await;
    confirm(&d.ctx, &g, "ajouter_resolution", serde_json::json!({
        "residence": "Guéliz", "point": 1, "texte": "Remplacement de l'ascenseur du bâtiment B", "majorite": "trois quarts"
    }))
    .await;
    for (present, represente) in [("A23", vec!["M2"]), ("Leïla El Idrissi", vec![])] {
        confirm(
            &d.ctx,
            &g,
            "enregistrer_presence",
            serde_json::json!({
                "residence": "Guéliz", "coproprietaire": present, "represente": represente
            }),
        )
        .await;
    }
    let e = plan(
        &d.ctx,
        &g,
        "enregistrer_votes",
        serde_json::json!({ "residence": "Guéliz", "resolution": 1 }),
    )
    .await
    .unwrap_err();
    assert!(
        plain(&e.to_string()).starts_with("Le quorum n'est pas atteint : 3 copropriétaires sur 34 présents ou représentés (17 requis), totalisant 78 / 1 000 tantièmes."),
        "{e}"
    );
    let pv = confirm(
        &d.ctx,
        &g,
        "generate_pv",
        serde_json::json!({
            "residence": "Guéliz", "date_ag": DEMO_TODAY.to_string(),
            "president_seance": "Leïla El Idrissi", "secretaire": "Asmae Filali"
        }),
    )
    .await;
    let text = pdf_text(&d.ctx, d.atlas, &pv, "pv-carence");
    let flat = text.split_whitespace().collect::<Vec<_>>().join(" ");
    for expected in [
        "Le quorum n'est pas atteint : 3 copropriétaires sur 34",
        "Non délibérée faute de quorum",
        "Une seconde réunion doit se tenir au plus tard le 15/12/2026",
    ] {
        assert!(flat.contains(expected), "{expected}\n{text}");
    }
    let issue: Option<String> = sqlx::query_scalar(
        "SELECT r.issue::text FROM resolutions r JOIN assemblees a ON a.id = r.assemblee_id
         WHERE a.type = 'extraordinaire'",
    )
    .fetch_one(&d.db.admin)
    .await
    .unwrap();
    assert_eq!(issue, None);

    // The second meeting: within the 30 days, it deliberates whatever the attendance.
    let e = plan(&d.ctx, &g, "planifier_ag", serde_json::json!({
        "residence": "Guéliz", "date": "2027-01-20", "heure": "10:00", "lieu": "Salle", "seconde_reunion": true
    }))
    .await
    .unwrap_err();
    assert!(
        plain(&e.to_string()).contains("dans les 30 jours")
            && plain(&e.to_string()).contains("15/11/2026"),
        "{e}"
    );
    let p = plan(&d.ctx, &g, "planifier_ag", serde_json::json!({
        "residence": "Guéliz", "date": "2026-12-10", "heure": "10:00", "lieu": "Salle", "type": "extraordinaire",
        "seconde_reunion": true, "ordre_du_jour": ["Ascenseur du bâtiment B"]
    }))
    .await
    .unwrap();
    assert!(
        plain(&p.summary).contains("(seconde réunion)"),
        "{}",
        p.summary
    );
    let seconde = execute(&d.ctx, &g, &p, Uuid::new_v4()).await.unwrap();
    assert_eq!(seconde.output["etat"]["presence"]["seconde_reunion"], true);
}
