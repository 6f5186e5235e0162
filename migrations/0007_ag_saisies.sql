-- The AG entered by conversation (planifier_ag, ajouter_point_ordre_du_jour, ajouter_resolution,
-- enregistrer_presence, enregistrer_votes, generate_convocation, generate_pv): every confirmed
-- entry is journaled under its confirmation id, so that confirming twice writes once (the
-- primary key decides, even between concurrent transactions). `objet_id` is the row the entry
-- created (agenda item, resolution), for the confirmation to give the same answer again.

CREATE TABLE ag_saisies (
    confirmation_id  uuid PRIMARY KEY,
    syndic_id        bigint NOT NULL,
    -- NULL only while planifier_ag creates the AG in the same transaction.
    assemblee_id     bigint,
    outil            text NOT NULL CHECK (btrim(outil) <> ''),
    objet_id         bigint,
    user_id          bigint NOT NULL,
    created_at       timestamptz NOT NULL DEFAULT now(),
    FOREIGN KEY (assemblee_id, syndic_id) REFERENCES assemblees (id, syndic_id) ON DELETE CASCADE,
    FOREIGN KEY (user_id, syndic_id) REFERENCES users (id, syndic_id)
);
CREATE INDEX ag_saisies_assemblee ON ag_saisies (assemblee_id);

ALTER TABLE ag_saisies ENABLE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON ag_saisies
    USING (syndic_id = wakil_syndic()) WITH CHECK (syndic_id = wakil_syndic());
