//! Assemblées générales: the AGs of a résidence, their agenda, resolutions, attendance sheet and
//! votes, the per-résidence rules, and the journal of the entries confirmed by conversation.
//!
//! Dates and times of an AG are local (Africa/Casablanca); `assemblees.date_heure` is the
//! instant. A co-owner's tantièmes on the attendance sheet are those of the lots they own in the
//! résidence on the day of the AG, summed here, never typed.

use super::{Result, Tenant};
use crate::ag::Regles;
use crate::types::{ChoixVote, IssueResolution, Majorite, Presence, StatutAg, TypeAg};
use chrono::{NaiveDate, NaiveTime};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// An AG as the tools show and select it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema, sqlx::FromRow)]
pub struct AssembleeRef {
    pub id: i64,
    pub residence_id: i64,
    pub residence: String,
    #[sqlx(rename = "type")]
    #[serde(rename = "type")]
    pub type_ag: TypeAg,
    /// Local date (Africa/Casablanca).
    pub date: NaiveDate,
    /// Local time.
    pub heure: NaiveTime,
    pub lieu: String,
    pub convoquee_le: Option<NaiveDate>,
    pub seconde_reunion: bool,
    pub president_seance: Option<String>,
    pub secretaire: Option<String>,
    pub statut: StatutAg,
}

/// The résidence's AG rules (`residences.ag_*`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ReglesAg {
    pub regles: Regles,
    pub preavis_jours: i32,
    pub seconde_reunion_jours: i32,
}

/// Who issues an AG's documents, and for which résidence.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct EnteteAg {
    pub syndic: String,
    pub syndic_ville: Option<String>,
    pub syndic_telephone: Option<String>,
    pub syndic_email: Option<String>,
    pub residence: String,
    pub adresse: String,
    pub ville: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema, sqlx::FromRow)]
pub struct PointOdj {
    pub id: i64,
    pub rang: i32,
    pub titre: String,
    pub description: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema, sqlx::FromRow)]
pub struct ResolutionAg {
    pub id: i64,
    pub numero: i32,
    /// The agenda item it hangs on.
    pub point_id: i64,
    pub point_rang: i32,
    pub texte: String,
    pub majorite: Majorite,
    pub issue: Option<IssueResolution>,
}

/// A line of the attendance sheet: a recorded row, or a co-owner of the résidence on the day
/// of the AG who has none yet (absent until said otherwise).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema, sqlx::FromRow)]
pub struct LignePresence {
    pub coproprietaire_id: i64,
    /// "Mme Leïla El Idrissi".
    pub nom: String,
    /// Their lots in the résidence on the day of the AG ("A12, P04").
    pub lots: String,
    pub tantiemes: i64,
    pub presence: Presence,
    pub represente_par: Option<i64>,
    /// The representative's name.
    pub mandataire: Option<String>,
    /// Whether the row is recorded (`ag_presences`).
    pub enregistre: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, sqlx::FromRow)]
pub struct VoteAg {
    pub resolution_id: i64,
    pub coproprietaire_id: i64,
    pub choix: ChoixVote,
}

/// An AG to create.
#[derive(Debug, Clone)]
pub struct NouvelleAssemblee<'a> {
    pub residence_id: i64,
    pub type_ag: TypeAg,
    pub date: NaiveDate,
    pub heure: NaiveTime,
    pub lieu: &'a str,
    pub seconde_reunion: bool,
}

/// A confirmed AG entry already journaled.
#[derive(Debug, Clone, Copy, PartialEq, Eq, sqlx::FromRow)]
pub struct SaisieAg {
    pub assemblee_id: Option<i64>,
    pub objet_id: Option<i64>,
}

const AG_SELECT: &str = "
    SELECT a.id, a.residence_id, r.nom AS residence, a.type,
           (a.date_heure AT TIME ZONE 'Africa/Casablanca')::date AS date,
           (a.date_heure AT TIME ZONE 'Africa/Casablanca')::time AS heure,
           a.lieu, a.convoquee_le, a.seconde_reunion, a.president_seance, a.secretaire, a.statut
    FROM assemblees a JOIN residences r ON r.id = a.residence_id";

/// The co-owners of the AG `$1`'s résidence on its day, with their lots and tantièmes there.
const PROPRIETAIRES_DU_JOUR: &str = "
    ag AS (SELECT id, residence_id, (date_heure AT TIME ZONE 'Africa/Casablanca')::date AS jour
           FROM assemblees WHERE id = $1),
    proprio AS (
        SELECT p.coproprietaire_id, sum(l.tantiemes)::bigint AS tantiemes,
               string_agg(l.numero, ', ' ORDER BY l.numero) AS lots
        FROM ag JOIN lots l ON l.residence_id = ag.residence_id
        JOIN proprietes p ON p.lot_id = l.id AND p.depuis <= ag.jour
                         AND (p.jusqu_au IS NULL OR p.jusqu_au > ag.jour)
        GROUP BY p.coproprietaire_id)";

impl Tenant {
    /// The AGs of a résidence, oldest first.
    pub async fn assemblees(&mut self, residence_id: i64) -> Result<Vec<AssembleeRef>> {
        Ok(sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "{AG_SELECT} WHERE a.residence_id = $1 ORDER BY a.date_heure, a.id"
        )))
        .bind(residence_id)
        .fetch_all(&mut *self.tx)
        .await?)
    }

    pub async fn assemblee(&mut self, id: i64) -> Result<Option<AssembleeRef>> {
        Ok(
            sqlx::query_as(sqlx::AssertSqlSafe(format!("{AG_SELECT} WHERE a.id = $1")))
                .bind(id)
                .fetch_optional(&mut *self.tx)
                .await?,
        )
    }

    /// Locks an AG until the transaction ends (one entry of an AG at a time), and reads it.
    pub async fn verrouiller_assemblee(&mut self, id: i64) -> Result<Option<AssembleeRef>> {
        sqlx::query("SELECT id FROM assemblees WHERE id = $1 FOR UPDATE")
            .bind(id)
            .fetch_optional(&mut *self.tx)
            .await?;
        self.assemblee(id).await
    }

    pub async fn regles_ag(&mut self, residence_id: i64) -> Result<Option<ReglesAg>> {
        let row: Option<(i32, i32, i32, i32)> = sqlx::query_as(
            "SELECT (ag_quorum * 1000)::int, (ag_plafond_voix * 1000)::int,
                    ag_preavis_jours, ag_seconde_reunion_jours
             FROM residences WHERE id = $1",
        )
        .bind(residence_id)
        .fetch_optional(&mut *self.tx)
        .await?;
        Ok(row.map(|(q, p, preavis, seconde)| ReglesAg {
            regles: Regles {
                quorum_milliemes: i64::from(q),
                plafond_milliemes: i64::from(p),
            },
            preavis_jours: preavis,
            seconde_reunion_jours: seconde,
        }))
    }

    pub async fn entete_ag(&mut self, residence_id: i64) -> Result<Option<EnteteAg>> {
        Ok(sqlx::query_as(
            "SELECT s.nom AS syndic, s.ville AS syndic_ville, s.telephone AS syndic_telephone,
                    s.email AS syndic_email, r.nom AS residence, r.adresse, r.ville
             FROM residences r JOIN syndics s ON s.id = r.syndic_id WHERE r.id = $1",
        )
        .bind(residence_id)
        .fetch_optional(&mut *self.tx)
        .await?)
    }

    pub async fn inserer_assemblee(&mut self, a: &NouvelleAssemblee<'_>) -> Result<i64> {
        Ok(sqlx::query_scalar(
            "INSERT INTO assemblees (syndic_id, residence_id, type, date_heure, lieu, seconde_reunion)
             VALUES ($1, $2, $3, ($4 + $5) AT TIME ZONE 'Africa/Casablanca', $6, $7)
             RETURNING id",
        )
        .bind(self.syndic_id)
        .bind(a.residence_id)
        .bind(a.type_ag)
        .bind(a.date)
        .bind(a.heure)
        .bind(a.lieu)
        .bind(a.seconde_reunion)
        .fetch_one(&mut *self.tx)
        .await?)
    }

    pub async fn ordre_du_jour(&mut self, assemblee_id: i64) -> Result<Vec<PointOdj>> {
        Ok(sqlx::query_as(
            "SELECT id, rang, titre, description FROM ag_ordre_du_jour
             WHERE assemblee_id = $1 ORDER BY rang",
        )
        .bind(assemblee_id)
        .fetch_all(&mut *self.tx)
        .await?)
    }

    /// Adds an item at the end of the agenda; returns its id.
    pub async fn inserer_point(
        &mut self,
        assemblee_id: i64,
        titre: &str,
        description: Option<&str>,
    ) -> Result<i64> {
        Ok(sqlx::query_scalar(
            "INSERT INTO ag_ordre_du_jour (syndic_id, assemblee_id, rang, titre, description)
             SELECT $1, $2, coalesce(max(rang), 0) + 1, $3, $4
             FROM ag_ordre_du_jour WHERE assemblee_id = $2
             RETURNING id",
        )
        .bind(self.syndic_id)
        .bind(assemblee_id)
        .bind(titre)
        .bind(description)
        .fetch_one(&mut *self.tx)
        .await?)
    }

    pub async fn resolutions(&mut self, assemblee_id: i64) -> Result<Vec<ResolutionAg>> {
        Ok(sqlx::query_as(
            "SELECT r.id, r.numero, r.ordre_du_jour_id AS point_id, o.rang AS point_rang,
                    r.texte, r.majorite, r.issue
             FROM resolutions r JOIN ag_ordre_du_jour o ON o.id = r.ordre_du_jour_id
             WHERE r.assemblee_id = $1 ORDER BY r.numero",
        )
        .bind(assemblee_id)
        .fetch_all(&mut *self.tx)
        .await?)
    }

    /// Adds a resolution on an agenda item, numbered after the AG's last one; returns its id.
    pub async fn inserer_resolution(
        &mut self,
        assemblee_id: i64,
        point_id: i64,
        texte: &str,
        majorite: Majorite,
    ) -> Result<i64> {
        Ok(sqlx::query_scalar(
            "INSERT INTO resolutions (syndic_id, assemblee_id, ordre_du_jour_id, numero, texte, majorite)
             SELECT $1, $2, $3, coalesce(max(numero), 0) + 1, $4, $5
             FROM resolutions WHERE assemblee_id = $2
             RETURNING id",
        )
        .bind(self.syndic_id)
        .bind(assemblee_id)
        .bind(point_id)
        .bind(texte)
        .bind(majorite)
        .fetch_one(&mut *self.tx)
        .await?)
    }

    /// The attendance sheet: every recorded row, and every co-owner of the résidence on the day
    /// of the AG without one (absent), by name.
    pub async fn feuille_de_presence(&mut self, assemblee_id: i64) -> Result<Vec<LignePresence>> {
        Ok(sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "WITH {PROPRIETAIRES_DU_JOUR}
             SELECT c.id AS coproprietaire_id, concat_ws(' ', c.civilite, c.prenom, c.nom) AS nom,
                    coalesce(pr.lots, '') AS lots,
                    coalesce(x.tantiemes::bigint, pr.tantiemes) AS tantiemes,
                    coalesce(x.presence, 'absent') AS presence,
                    x.represente_par,
                    CASE WHEN m.id IS NOT NULL THEN concat_ws(' ', m.civilite, m.prenom, m.nom) END AS mandataire,
                    x.id IS NOT NULL AS enregistre
             FROM (SELECT coproprietaire_id FROM ag_presences WHERE assemblee_id = $1
                   UNION SELECT coproprietaire_id FROM proprio) ids
             JOIN coproprietaires c ON c.id = ids.coproprietaire_id
             LEFT JOIN ag_presences x ON x.assemblee_id = $1 AND x.coproprietaire_id = c.id
             LEFT JOIN proprio pr ON pr.coproprietaire_id = c.id
             LEFT JOIN coproprietaires m ON m.id = x.represente_par
             ORDER BY c.nom, c.prenom, c.id"
        )))
        .bind(assemblee_id)
        .fetch_all(&mut *self.tx)
        .await?)
    }

    /// Records a co-owner's attendance (replacing what was recorded), their tantièmes summed from
    /// the lots they own in the résidence on the day of the AG. A co-owner marked absent no
    /// longer represents anyone: those they represented become absent. Returns false (nothing
    /// written) when they own no lot there that day.
    pub async fn enregistrer_presence(
        &mut self,
        assemblee_id: i64,
        coproprietaire_id: i64,
        presence: Presence,
        represente_par: Option<i64>,
    ) -> Result<bool> {
        let written = sqlx::query(sqlx::AssertSqlSafe(format!(
            "WITH {PROPRIETAIRES_DU_JOUR}
             INSERT INTO ag_presences (syndic_id, assemblee_id, coproprietaire_id, presence,
                                       represente_par, tantiemes)
             SELECT $4, $1, pr.coproprietaire_id, $3, $5, pr.tantiemes
             FROM proprio pr WHERE pr.coproprietaire_id = $2
             ON CONFLICT (assemblee_id, coproprietaire_id) DO UPDATE
             SET presence = EXCLUDED.presence, represente_par = EXCLUDED.represente_par,
                 tantiemes = EXCLUDED.tantiemes"
        )))
        .bind(assemblee_id)
        .bind(coproprietaire_id)
        .bind(presence)
        .bind(self.syndic_id)
        .bind(represente_par)
        .execute(&mut *self.tx)
        .await?
        .rows_affected()
            == 1;
        if written && presence == Presence::Absent {
            sqlx::query(
                "UPDATE ag_presences SET presence = 'absent', represente_par = NULL
                 WHERE assemblee_id = $1 AND represente_par = $2",
            )
            .bind(assemblee_id)
            .bind(coproprietaire_id)
            .execute(&mut *self.tx)
            .await?;
        }
        Ok(written)
    }

    /// Records as absent every co-owner of the résidence on the day of the AG who has no row:
    /// the attendance sheet is then complete and frozen with the PV.
    pub async fn completer_feuille(&mut self, assemblee_id: i64) -> Result<u64> {
        Ok(sqlx::query(sqlx::AssertSqlSafe(format!(
            "WITH {PROPRIETAIRES_DU_JOUR}
             INSERT INTO ag_presences (syndic_id, assemblee_id, coproprietaire_id, presence, tantiemes)
             SELECT $2, $1, pr.coproprietaire_id, 'absent', pr.tantiemes FROM proprio pr
             ON CONFLICT (assemblee_id, coproprietaire_id) DO NOTHING"
        )))
        .bind(assemblee_id)
        .bind(self.syndic_id)
        .execute(&mut *self.tx)
        .await?
        .rows_affected())
    }

    /// Every vote of the AG's resolutions.
    pub async fn votes_ag(&mut self, assemblee_id: i64) -> Result<Vec<VoteAg>> {
        Ok(sqlx::query_as(
            "SELECT v.resolution_id, v.coproprietaire_id, v.choix
             FROM votes v JOIN resolutions r ON r.id = v.resolution_id
             WHERE r.assemblee_id = $1 ORDER BY v.resolution_id, v.coproprietaire_id",
        )
        .bind(assemblee_id)
        .fetch_all(&mut *self.tx)
        .await?)
    }

    /// Replaces a resolution's votes; each weighs the voter's tantièmes on the attendance sheet.
    pub async fn remplacer_votes(
        &mut self,
        resolution_id: i64,
        votes: &[(i64, ChoixVote)],
    ) -> Result<()> {
        sqlx::query("DELETE FROM votes WHERE resolution_id = $1")
            .bind(resolution_id)
            .execute(&mut *self.tx)
            .await?;
        let (ids, choix): (Vec<i64>, Vec<ChoixVote>) = votes.iter().copied().unzip();
        sqlx::query(
            "INSERT INTO votes (syndic_id, resolution_id, coproprietaire_id, choix, tantiemes)
             SELECT $1, $2, u.c, u.choix, x.tantiemes
             FROM UNNEST($3::bigint[], $4::choix_vote[]) AS u (c, choix)
             JOIN resolutions r ON r.id = $2
             JOIN ag_presences x ON x.assemblee_id = r.assemblee_id AND x.coproprietaire_id = u.c",
        )
        .bind(self.syndic_id)
        .bind(resolution_id)
        .bind(&ids)
        .bind(&choix)
        .execute(&mut *self.tx)
        .await?;
        Ok(())
    }

    pub async fn fixer_issue(
        &mut self,
        resolution_id: i64,
        issue: Option<IssueResolution>,
    ) -> Result<()> {
        sqlx::query("UPDATE resolutions SET issue = $2 WHERE id = $1")
            .bind(resolution_id)
            .bind(issue)
            .execute(&mut *self.tx)
            .await?;
        Ok(())
    }

    /// The convocation is sent on `le` (kept if it was already).
    pub async fn marquer_convoquee(&mut self, assemblee_id: i64, le: NaiveDate) -> Result<()> {
        sqlx::query(
            "UPDATE assemblees SET convoquee_le = coalesce(convoquee_le, $2),
                    statut = CASE WHEN statut = 'planifiee' THEN 'convoquee'::statut_ag ELSE statut END
             WHERE id = $1",
        )
        .bind(assemblee_id)
        .bind(le)
        .execute(&mut *self.tx)
        .await?;
        Ok(())
    }

    /// The attendance is being taken: the AG is held.
    pub async fn marquer_tenue(&mut self, assemblee_id: i64) -> Result<()> {
        sqlx::query(
            "UPDATE assemblees SET statut = 'tenue'
             WHERE id = $1 AND statut IN ('planifiee', 'convoquee')",
        )
        .bind(assemblee_id)
        .execute(&mut *self.tx)
        .await?;
        Ok(())
    }

    /// The PV is drawn up: the officers of the meeting are recorded and the AG is closed.
    pub async fn cloturer_assemblee(
        &mut self,
        assemblee_id: i64,
        president_seance: &str,
        secretaire: &str,
    ) -> Result<()> {
        sqlx::query(
            "UPDATE assemblees SET president_seance = $2, secretaire = $3, statut = 'cloturee'
             WHERE id = $1",
        )
        .bind(assemblee_id)
        .bind(president_seance)
        .bind(secretaire)
        .execute(&mut *self.tx)
        .await?;
        Ok(())
    }

    /// Journals a confirmed AG entry; false when this confirmation is already journaled (then
    /// nothing must be written again). Concurrent confirmations wait for each other on the
    /// primary key.
    pub async fn journaliser_saisie_ag(
        &mut self,
        confirmation: Uuid,
        assemblee_id: Option<i64>,
        outil: &str,
        user_id: i64,
    ) -> Result<bool> {
        let inserted: Option<Uuid> = sqlx::query_scalar(
            "INSERT INTO ag_saisies (confirmation_id, syndic_id, assemblee_id, outil, user_id)
             VALUES ($1, $2, $3, $4, $5)
             ON CONFLICT DO NOTHING RETURNING confirmation_id",
        )
        .bind(confirmation)
        .bind(self.syndic_id)
        .bind(assemblee_id)
        .bind(outil)
        .bind(user_id)
        .fetch_optional(&mut *self.tx)
        .await?;
        Ok(inserted.is_some())
    }

    /// The AG and the row a journaled entry created.
    pub async fn completer_saisie_ag(
        &mut self,
        confirmation: Uuid,
        assemblee_id: i64,
        objet_id: Option<i64>,
    ) -> Result<()> {
        sqlx::query(
            "UPDATE ag_saisies SET assemblee_id = $2, objet_id = $3 WHERE confirmation_id = $1",
        )
        .bind(confirmation)
        .bind(assemblee_id)
        .bind(objet_id)
        .execute(&mut *self.tx)
        .await?;
        Ok(())
    }

    pub async fn saisie_ag(&mut self, confirmation: Uuid) -> Result<Option<SaisieAg>> {
        Ok(sqlx::query_as(
            "SELECT assemblee_id, objet_id FROM ag_saisies WHERE confirmation_id = $1",
        )
        .bind(confirmation)
        .fetch_optional(&mut *self.tx)
        .await?)
    }
}
