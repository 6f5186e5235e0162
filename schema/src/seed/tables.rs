//! Rows built in memory, column by column, and their bulk insertion with explicit ids:
//! `INSERT INTO t (…) SELECT * FROM UNNEST($1::bigint[], $2::text[], …)`, in batches.

use chrono::{DateTime, NaiveDate, Utc};
use rust_decimal::Decimal;
use sqlx::PgConnection;

use crate::types::{
    Canal, Categorie, ChoixVote, Langue, LotType, Majorite, ModePaiement, Presence, Role,
    StatutFacture, TypeAg, TypeAppel, TypeDocument, Visibilite,
};

/// Declares a table: the row type (one struct per row, for readable generators), the column
/// store (one `Vec` per column, bound as arrays) and its batched insert. Field names are the
/// column names (`r#type` for `type`); the literal is the PostgreSQL type of the column.
macro_rules! table {
    ($store:ident, $row:ident, $table:literal { $($field:ident : $ty:ty = $pg:literal),+ $(,)? }) => {
        #[derive(Debug, Clone)]
        pub(crate) struct $row {
            $(pub $field: $ty),+
        }

        #[derive(Debug, Default)]
        pub(crate) struct $store {
            $(pub $field: Vec<$ty>),+
        }

        impl $store {
            pub(crate) const TABLE: &'static str = $table;

            pub(crate) fn push(&mut self, r: $row) {
                $(self.$field.push(r.$field);)+
            }

            pub(crate) fn len(&self) -> usize {
                self.id.len()
            }

            fn insert_sql() -> String {
                let cols: &[(&str, &str)] = &[$((stringify!($field), $pg)),+];
                let names: Vec<&str> = cols.iter().map(|c| c.0.trim_start_matches("r#")).collect();
                let arrays: Vec<String> = cols
                    .iter()
                    .enumerate()
                    .map(|(i, c)| format!("${}::{}[]", i + 1, c.1))
                    .collect();
                format!(
                    "INSERT INTO {} ({}) SELECT * FROM UNNEST({})",
                    $table,
                    names.join(", "),
                    arrays.join(", ")
                )
            }

            /// Inserts every row held, `batch` rows per statement, and empties the store.
            pub(crate) async fn flush(
                &mut self,
                conn: &mut PgConnection,
                batch: usize,
            ) -> Result<u64, sqlx::Error> {
                let n = self.len();
                if n == 0 {
                    return Ok(0);
                }
                let sql = Self::insert_sql();
                let started = std::time::Instant::now();
                let mut start = 0;
                while start < n {
                    let end = (start + batch.max(1)).min(n);
                    sqlx::query(sqlx::AssertSqlSafe(sql.clone()))
                        $(.bind(&self.$field[start..end]))+
                        .execute(&mut *conn)
                        .await?;
                    start = end;
                }
                $(self.$field.clear();)+
                tracing::debug!(
                    table = $table,
                    rows = n,
                    elapsed_us = started.elapsed().as_micros() as u64,
                    "seed insert"
                );
                Ok(n as u64)
            }
        }
    };
}

table!(Syndics, SyndicRow, "syndics" {
    id: i64 = "bigint",
    nom: String = "text",
    ice: Option<String> = "text",
    ville: Option<String> = "text",
    telephone: Option<String> = "text",
    email: Option<String> = "text",
});

table!(Residences, ResidenceRow, "residences" {
    id: i64 = "bigint",
    syndic_id: i64 = "bigint",
    nom: String = "text",
    adresse: String = "text",
    ville: String = "text",
    latitude: Option<Decimal> = "numeric",
    longitude: Option<Decimal> = "numeric",
    base_tantiemes: i32 = "integer",
    banque: Option<&'static str> = "text",
    rib: Option<&'static str> = "text",
});

table!(Lots, LotRow, "lots" {
    id: i64 = "bigint",
    syndic_id: i64 = "bigint",
    residence_id: i64 = "bigint",
    numero: String = "text",
    r#type: LotType = "lot_type",
    etage: Option<i32> = "integer",
    surface_m2: Option<Decimal> = "numeric",
    tantiemes: i32 = "integer",
});

table!(Coproprietaires, CoproprietaireRow, "coproprietaires" {
    id: i64 = "bigint",
    syndic_id: i64 = "bigint",
    civilite: Option<&'static str> = "text",
    prenom: Option<String> = "text",
    nom: String = "text",
    email: Option<String> = "text",
    telephone: Option<String> = "text",
    langue: Langue = "langue",
    adresse: Option<String> = "text",
});

table!(Proprietes, ProprieteRow, "proprietes" {
    id: i64 = "bigint",
    syndic_id: i64 = "bigint",
    lot_id: i64 = "bigint",
    coproprietaire_id: i64 = "bigint",
    depuis: NaiveDate = "date",
    jusqu_au: Option<NaiveDate> = "date",
});

table!(Users, UserRow, "users" {
    id: i64 = "bigint",
    syndic_id: i64 = "bigint",
    email: String = "text",
    nom_complet: String = "text",
    role: Role = "user_role",
    coproprietaire_id: Option<i64> = "bigint",
    residence_id: Option<i64> = "bigint",
    langue: Langue = "langue",
    password_hash: Option<String> = "text",
});

table!(ChannelLinks, ChannelLinkRow, "channel_links" {
    id: i64 = "bigint",
    syndic_id: i64 = "bigint",
    user_id: i64 = "bigint",
    canal: Canal = "canal",
    identifiant: String = "text",
    verifie_le: Option<DateTime<Utc>> = "timestamptz",
});

table!(Budgets, BudgetRow, "budgets" {
    id: i64 = "bigint",
    syndic_id: i64 = "bigint",
    residence_id: i64 = "bigint",
    annee: i32 = "integer",
    vote_le: Option<NaiveDate> = "date",
});

table!(BudgetLignes, BudgetLigneRow, "budget_lignes" {
    id: i64 = "bigint",
    syndic_id: i64 = "bigint",
    budget_id: i64 = "bigint",
    categorie: Categorie = "categorie_depense",
    montant: Decimal = "numeric",
});

table!(Appels, AppelRow, "appels_de_fonds" {
    id: i64 = "bigint",
    syndic_id: i64 = "bigint",
    residence_id: i64 = "bigint",
    budget_id: Option<i64> = "bigint",
    r#type: TypeAppel = "type_appel",
    libelle: String = "text",
    periode_debut: NaiveDate = "date",
    periode_fin: NaiveDate = "date",
    montant_total: Decimal = "numeric",
    date_emission: NaiveDate = "date",
    date_echeance: NaiveDate = "date",
});

table!(Echeances, EcheanceRow, "echeances" {
    id: i64 = "bigint",
    syndic_id: i64 = "bigint",
    appel_id: i64 = "bigint",
    residence_id: i64 = "bigint",
    lot_id: i64 = "bigint",
    coproprietaire_id: i64 = "bigint",
    montant: Decimal = "numeric",
    date_echeance: NaiveDate = "date",
});

table!(Paiements, PaiementRow, "paiements" {
    id: i64 = "bigint",
    syndic_id: i64 = "bigint",
    coproprietaire_id: i64 = "bigint",
    residence_id: i64 = "bigint",
    montant: Decimal = "numeric",
    date_paiement: NaiveDate = "date",
    mode: ModePaiement = "mode_paiement",
    reference: Option<String> = "text",
    enregistre_par: Option<i64> = "bigint",
    created_at: DateTime<Utc> = "timestamptz",
});

table!(Allocations, AllocationRow, "allocations" {
    id: i64 = "bigint",
    syndic_id: i64 = "bigint",
    paiement_id: i64 = "bigint",
    echeance_id: i64 = "bigint",
    montant: Decimal = "numeric",
});

table!(Fournisseurs, FournisseurRow, "fournisseurs" {
    id: i64 = "bigint",
    syndic_id: i64 = "bigint",
    nom: String = "text",
    ice: Option<String> = "text",
    categorie: Categorie = "categorie_depense",
    telephone: Option<String> = "text",
    email: Option<String> = "text",
    rib: Option<String> = "text",
});

table!(ReferencesFournisseurs, ReferenceFournisseurRow, "references_fournisseurs" {
    id: i64 = "bigint",
    syndic_id: i64 = "bigint",
    residence_id: i64 = "bigint",
    fournisseur_id: i64 = "bigint",
    reference: String = "text",
});

table!(Factures, FactureRow, "factures" {
    id: i64 = "bigint",
    syndic_id: i64 = "bigint",
    residence_id: Option<i64> = "bigint",
    fournisseur_id: Option<i64> = "bigint",
    numero: Option<String> = "text",
    date_facture: Option<NaiveDate> = "date",
    date_echeance: Option<NaiveDate> = "date",
    periode_debut: Option<NaiveDate> = "date",
    periode_fin: Option<NaiveDate> = "date",
    categorie: Option<Categorie> = "categorie_depense",
    montant_ht: Option<Decimal> = "numeric",
    taux_tva: Option<Decimal> = "numeric",
    montant_tva: Option<Decimal> = "numeric",
    montant_ttc: Option<Decimal> = "numeric",
    statut: StatutFacture = "statut_facture",
    texte_ocr: Option<String> = "text",
    moteur_ocr: Option<&'static str> = "text",
    confiance: Option<Decimal> = "numeric",
    confiances_champs: Option<serde_json::Value> = "jsonb",
    valide_par: Option<i64> = "bigint",
    valide_le: Option<DateTime<Utc>> = "timestamptz",
    payee_le: Option<NaiveDate> = "date",
    reference_paiement: Option<String> = "text",
    created_at: DateTime<Utc> = "timestamptz",
});

table!(Assemblees, AssembleeRow, "assemblees" {
    id: i64 = "bigint",
    syndic_id: i64 = "bigint",
    residence_id: i64 = "bigint",
    r#type: TypeAg = "type_ag",
    date_heure: DateTime<Utc> = "timestamptz",
    lieu: String = "text",
    convoquee_le: Option<NaiveDate> = "date",
    seconde_reunion: bool = "boolean",
    president_seance: Option<String> = "text",
    secretaire: Option<String> = "text",
    statut: &'static str = "statut_ag",
});

table!(OrdreDuJour, OrdreDuJourRow, "ag_ordre_du_jour" {
    id: i64 = "bigint",
    syndic_id: i64 = "bigint",
    assemblee_id: i64 = "bigint",
    rang: i32 = "integer",
    titre: String = "text",
    description: Option<String> = "text",
});

table!(Presences, PresenceRow, "ag_presences" {
    id: i64 = "bigint",
    syndic_id: i64 = "bigint",
    assemblee_id: i64 = "bigint",
    coproprietaire_id: i64 = "bigint",
    presence: Presence = "presence",
    represente_par: Option<i64> = "bigint",
    tantiemes: i32 = "integer",
});

table!(Resolutions, ResolutionRow, "resolutions" {
    id: i64 = "bigint",
    syndic_id: i64 = "bigint",
    assemblee_id: i64 = "bigint",
    ordre_du_jour_id: i64 = "bigint",
    numero: i32 = "integer",
    texte: String = "text",
    majorite: Majorite = "majorite",
    issue: Option<&'static str> = "issue_resolution",
});

table!(Votes, VoteRow, "votes" {
    id: i64 = "bigint",
    syndic_id: i64 = "bigint",
    resolution_id: i64 = "bigint",
    coproprietaire_id: i64 = "bigint",
    choix: ChoixVote = "choix_vote",
    tantiemes: i32 = "integer",
});

table!(DocumentChunks, DocumentChunkRow, "document_chunks" {
    id: i64 = "bigint",
    syndic_id: i64 = "bigint",
    document_id: i64 = "bigint",
    rang: i32 = "integer",
    page: Option<i32> = "integer",
    sha256: Option<String> = "text",
    titre: Option<String> = "text",
    contenu: String = "text",
});

table!(Demandes, DemandeRow, "demandes_intervention" {
    id: i64 = "bigint",
    syndic_id: i64 = "bigint",
    residence_id: i64 = "bigint",
    lot_id: Option<i64> = "bigint",
    coproprietaire_id: Option<i64> = "bigint",
    description: String = "text",
    statut: &'static str = "statut_demande",
    created_at: DateTime<Utc> = "timestamptz",
});

/// A document; its `contenu_sha256` is computed by PostgreSQL from the full text.
#[derive(Debug, Clone)]
pub(crate) struct DocumentRow {
    pub id: i64,
    pub syndic_id: i64,
    pub residence_id: Option<i64>,
    pub titre: String,
    pub r#type: TypeDocument,
    pub date_document: Option<NaiveDate>,
    pub visibilite: Visibilite,
    pub mime: &'static str,
    pub contenu: String,
    pub pages: Option<i32>,
    pub statut: &'static str,
    /// The index as the job would have written it: chunks and text hash.
    pub chunks: i32,
    pub texte_sha256: String,
    pub ajoute_par: Option<i64>,
}

#[derive(Debug, Default)]
pub(crate) struct Documents {
    pub rows: Vec<DocumentRow>,
}

impl Documents {
    pub(crate) const TABLE: &'static str = "documents";

    pub(crate) fn push(&mut self, r: DocumentRow) {
        self.rows.push(r);
    }

    /// One statement per document (they are few and large); `_batch` keeps the stores' signature.
    pub(crate) async fn flush(
        &mut self,
        conn: &mut PgConnection,
        _batch: usize,
    ) -> Result<u64, sqlx::Error> {
        let n = self.rows.len() as u64;
        for d in self.rows.drain(..) {
            sqlx::query(
                "INSERT INTO documents (id, syndic_id, residence_id, titre, type, date_document, \
                 visibilite, mime, contenu_sha256, pages, statut, ajoute_par, chunks, pages_lues, \
                 texte_sha256, lecture, indexe_le) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, encode(sha256(convert_to($9, 'UTF8')), 'hex'), \
                 $10, $11::statut_indexation, $12, $13, $10, $14, 'texte', now())",
            )
            .bind(d.id)
            .bind(d.syndic_id)
            .bind(d.residence_id)
            .bind(d.titre)
            .bind(d.r#type)
            .bind(d.date_document)
            .bind(d.visibilite)
            .bind(d.mime)
            .bind(d.contenu)
            .bind(d.pages)
            .bind(d.statut)
            .bind(d.ajoute_par)
            .bind(d.chunks)
            .bind(d.texte_sha256)
            .execute(&mut *conn)
            .await?;
        }
        Ok(n)
    }
}

/// Declares the batch (every table, in insertion order: parents before children) and the id
/// counters, from one list so that neither can forget a table.
macro_rules! batch {
    ($($field:ident : $store:ident),+ $(,)?) => {
        /// Rows of some résidences, ready to insert.
        #[derive(Debug, Default)]
        pub(crate) struct Batch {
            $(pub $field: $store,)+
        }

        /// The last id given in each table: read under lock from `max(id)`, then counted up.
        #[derive(Debug, Default, Clone)]
        pub(crate) struct Ids {
            $(pub $field: i64,)+
        }

        /// Every table the seed writes, in insertion order.
        pub(crate) const TABLES: &[&str] = &[$($store::TABLE),+];

        impl Batch {
            /// Inserts everything held (parents first) and empties the batch; returns rows per table.
            pub(crate) async fn flush(
                &mut self,
                conn: &mut PgConnection,
                batch: usize,
            ) -> Result<Vec<(&'static str, u64)>, sqlx::Error> {
                Ok(vec![$(($store::TABLE, self.$field.flush(conn, batch).await?)),+])
            }
        }

        impl Ids {
            /// Sets the counters from a row of `max(id)` in [`TABLES`] order.
            pub(crate) fn from_maxima(m: &[i64]) -> Self {
                let mut it = m.iter().copied();
                Ids { $($field: it.next().unwrap_or(0),)+ }
            }
        }
    };
}

batch!(
    syndics: Syndics,
    residences: Residences,
    fournisseurs: Fournisseurs,
    lots: Lots,
    coproprietaires: Coproprietaires,
    proprietes: Proprietes,
    users: Users,
    channel_links: ChannelLinks,
    budgets: Budgets,
    budget_lignes: BudgetLignes,
    appels: Appels,
    echeances: Echeances,
    paiements: Paiements,
    allocations: Allocations,
    factures: Factures,
    references_fournisseurs: ReferencesFournisseurs,
    assemblees: Assemblees,
    ordre_du_jour: OrdreDuJour,
    presences: Presences,
    resolutions: Resolutions,
    votes: Votes,
    documents: Documents,
    document_chunks: DocumentChunks,
    demandes: Demandes,
);

/// The next id of a table.
pub(crate) fn next(counter: &mut i64) -> i64 {
    *counter += 1;
    *counter
}
