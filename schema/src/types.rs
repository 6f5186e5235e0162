//! Domain enums and the caller's identity. Each enum maps to the PostgreSQL enum of the same
//! meaning (see `migrations/0001_domain.sql`) and serialises in snake_case for tools and JSON.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

macro_rules! pg_enum {
    ($(#[$m:meta])* $name:ident as $pg:literal { $($(#[$vm:meta])* $variant:ident => $label:literal),+ $(,)? }) => {
        $(#[$m])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, JsonSchema, sqlx::Type)]
        #[sqlx(type_name = $pg, rename_all = "snake_case")]
        #[serde(rename_all = "snake_case")]
        pub enum $name { $($(#[$vm])* $variant),+ }

        impl $name {
            pub const ALL: &'static [$name] = &[$($name::$variant),+];
            /// The French label shown to users.
            pub fn label(self) -> &'static str {
                match self { $($name::$variant => $label),+ }
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.label())
            }
        }
    };
}

pg_enum!(
    /// What a user may do follows from their role.
    Role as "user_role" {
        Admin => "administrateur",
        Gestionnaire => "gestionnaire",
        Comptable => "comptable",
        President => "président du conseil syndical",
        Coproprietaire => "copropriétaire",
    }
);

pg_enum!(LotType as "lot_type" {
    Appartement => "appartement", Villa => "villa", Commerce => "commerce",
    Bureau => "bureau", Parking => "parking", Cave => "cave",
});

pg_enum!(Langue as "langue" { Fr => "français", Ar => "arabe", En => "anglais" });

pg_enum!(Canal as "canal" {
    Web => "web", Telegram => "Telegram", Whatsapp => "WhatsApp", Email => "e-mail", Cli => "ligne de commande",
});

pg_enum!(
    /// Expense categories of budgets and supplier invoices.
    Categorie as "categorie_depense" {
        Eau => "eau", Electricite => "électricité", Ascenseur => "ascenseur",
        Gardiennage => "gardiennage", Nettoyage => "nettoyage", Jardinage => "jardinage",
        Assurance => "assurance", Travaux => "travaux", HonorairesSyndic => "honoraires syndic",
        Entretien => "entretien", Divers => "divers",
    }
);

pg_enum!(TypeAppel as "type_appel" { Budget => "budget", Travaux => "travaux", Exceptionnel => "exceptionnel" });

pg_enum!(ModePaiement as "mode_paiement" {
    Virement => "virement", Cheque => "chèque", Especes => "espèces", Terminal => "terminal (carte)",
});

pg_enum!(StatutFacture as "statut_facture" { Brouillon => "brouillon", Validee => "validée", Payee => "payée" });

pg_enum!(TypeAg as "type_ag" { Ordinaire => "ordinaire", Extraordinaire => "extraordinaire" });

pg_enum!(
    /// The life of an AG: planned, convened (convocation sent), held, closed (PV drawn up).
    StatutAg as "statut_ag" {
        Planifiee => "planifiée", Convoquee => "convoquée", Tenue => "tenue",
        Cloturee => "clôturée", Annulee => "annulée",
    }
);

pg_enum!(IssueResolution as "issue_resolution" { Adoptee => "adoptée", Rejetee => "rejetée" });

pg_enum!(Presence as "presence" { Present => "présent", Represente => "représenté", Absent => "absent" });

pg_enum!(Majorite as "majorite" {
    Simple => "majorité simple (art. 17)", Absolue => "majorité absolue",
    TroisQuarts => "majorité des trois quarts", Unanimite => "unanimité",
});

pg_enum!(ChoixVote as "choix_vote" { Pour => "pour", Contre => "contre", Abstention => "abstention" });

pg_enum!(TypeDocument as "type_document" {
    Reglement => "règlement de copropriété", Pv => "procès-verbal", Contrat => "contrat",
    Courrier => "courrier", Autre => "autre",
});

pg_enum!(
    /// Where a document is in its indexing: waiting, being read, searchable, failed, or with no
    /// prose to search (a workbook of figures).
    StatutIndexation as "statut_indexation" {
        EnAttente => "en attente", Indexation => "en cours d'indexation", Indexe => "indexé",
        Erreur => "erreur", SansTexte => "sans texte à rechercher",
    }
);

pg_enum!(Visibilite as "visibilite" { Staff => "équipe du syndic", Residence => "copropriétaires de la résidence" });

impl Role {
    /// Staff of the syndic (every role but copropriétaire).
    pub fn is_staff(self) -> bool {
        self != Role::Coproprietaire
    }
}

/// Who is asking, as the channel authenticated them. Every tool checks it before any SQL; the
/// model never builds or widens it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Caller {
    pub user_id: i64,
    pub syndic_id: i64,
    pub role: Role,
    pub nom: String,
    /// Set for a co-owner: the only account they may see.
    pub coproprietaire_id: Option<i64>,
    /// Set for a président: the only résidence they may see.
    pub residence_id: Option<i64>,
    pub canal: Canal,
}

impl Caller {
    /// The résidence a caller is bound to, if any (président). Staff with `None` see them all.
    pub fn residence_scope(&self) -> Option<i64> {
        self.residence_id
    }
}

/// Today's date in Africa/Casablanca, or a fixed date (tests, `WAKIL_TODAY`, reproducible demos).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Clock {
    #[default]
    System,
    Fixed(chrono::NaiveDate),
}

impl Clock {
    pub fn today(&self) -> chrono::NaiveDate {
        match self {
            Clock::System => chrono::Utc::now()
                .with_timezone(&chrono_tz::Africa::Casablanca)
                .date_naive(),
            Clock::Fixed(d) => *d,
        }
    }
}

/// A moment as the clocks of Morocco show it (Africa/Casablanca).
pub fn heure_locale(t: chrono::DateTime<chrono::Utc>) -> chrono::NaiveDateTime {
    t.with_timezone(&chrono_tz::Africa::Casablanca)
        .naive_local()
}

pg_enum!(
    /// Who wrote a stored message of a conversation.
    MessageRole as "role_message" {
        User => "utilisateur", Assistant => "assistant", Tool => "outil", System => "système",
    }
);

pg_enum!(
    /// The life of a pending (write) action: only `EnAttente` can be confirmed, once.
    StatutAction as "statut_action" {
        EnAttente => "en attente", Confirmee => "confirmée", Executee => "exécutée",
        Annulee => "annulée", Expiree => "expirée", Echec => "échec",
    }
);

pg_enum!(
    /// The life of an outbound message: queued, claimed by a worker, sent, failed and due again,
    /// or abandoned (dead letter).
    StatutOutbox as "statut_outbox" {
        EnAttente => "en attente", Envoi => "en cours d'envoi", Envoye => "envoyé",
        Echec => "échec, nouvel essai prévu", Abandonne => "abandonné",
    }
);
