-- Generated documents (appel de fonds notices, convocations, PVs, yearly reports) are documents
-- of their résidence whose bytes are a stored file (`fichiers`), downloadable through the same
-- route as uploads. A notice addressed to one co-owner names them: that co-owner may open it.

ALTER TABLE documents ADD COLUMN fichier_id uuid;
ALTER TABLE documents ADD COLUMN coproprietaire_id bigint;
ALTER TABLE documents
    ADD CONSTRAINT documents_fichier_fk FOREIGN KEY (fichier_id, syndic_id) REFERENCES fichiers (id, syndic_id);
ALTER TABLE documents
    ADD CONSTRAINT documents_coproprietaire_fk
    FOREIGN KEY (coproprietaire_id, syndic_id) REFERENCES coproprietaires (id, syndic_id);
-- A document addressed to a co-owner belongs to a résidence.
ALTER TABLE documents
    ADD CONSTRAINT documents_destinataire_residence CHECK (coproprietaire_id IS NULL OR residence_id IS NOT NULL);
CREATE INDEX documents_fichier ON documents (fichier_id) WHERE fichier_id IS NOT NULL;
CREATE INDEX documents_coproprietaire ON documents (coproprietaire_id) WHERE coproprietaire_id IS NOT NULL;
