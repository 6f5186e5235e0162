-- Name lookups by whole word (the fast-path router): the folded words of a résidence's name and
-- city, of a co-owner's or a supplier's name, one row each, kept by triggers.
--
-- Why a table and not a GIN index on the names: the application reads under row-level security,
-- and PostgreSQL uses an index for a condition on a protected table only when its operators are
-- leakproof. `words && $1` (arrayoverlap) is not: a GIN index on the words is never used by
-- `wakil_app` and every lookup reads every row of the tenant (≈250 ms for 10,000 résidences and
-- 333,000 co-owners). `mot = ANY($1)` and `mot > $1` (texteq, text_gt) are leakproof: a btree on
-- (syndic_id, mot) serves both the lookups and the typo candidates (the distinct words starting
-- like a typed one, read by skipping from one word to the next).

CREATE TABLE nom_mots (
    syndic_id bigint NOT NULL REFERENCES syndics(id),
    -- 'residence', 'coproprietaire' or 'fournisseur'.
    kind      text   NOT NULL CHECK (kind IN ('residence', 'coproprietaire', 'fournisseur')),
    id        bigint NOT NULL,
    mot       text   NOT NULL CHECK (mot <> ''),
    PRIMARY KEY (kind, id, mot)
);
CREATE INDEX nom_mots_mot ON nom_mots (syndic_id, mot, kind);

ALTER TABLE nom_mots ENABLE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON nom_mots
    USING (syndic_id = wakil_syndic()) WITH CHECK (syndic_id = wakil_syndic());

-- The words of a row of TG_ARGV[0]'s kind: nom_cle (already folded), and the city if any.
CREATE FUNCTION wakil_nom_mots() RETURNS trigger
LANGUAGE plpgsql SET search_path = public, pg_temp AS $$
BEGIN
    IF TG_OP <> 'INSERT' THEN
        DELETE FROM nom_mots WHERE kind = TG_ARGV[0] AND id = OLD.id;
    END IF;
    IF TG_OP <> 'DELETE' THEN
        INSERT INTO nom_mots (syndic_id, kind, id, mot)
        SELECT DISTINCT NEW.syndic_id, TG_ARGV[0], NEW.id, w
        FROM unnest(string_to_array(
                 NEW.nom_cle || ' ' || wakil_fold(coalesce(to_jsonb(NEW) ->> 'ville', '')), ' ')) w
        WHERE w <> '';
    END IF;
    RETURN NULL;
END
$$;

CREATE TRIGGER nom_mots AFTER INSERT OR DELETE OR UPDATE OF nom, ville ON residences
    FOR EACH ROW EXECUTE FUNCTION wakil_nom_mots('residence');
CREATE TRIGGER nom_mots AFTER INSERT OR DELETE OR UPDATE OF prenom, nom ON coproprietaires
    FOR EACH ROW EXECUTE FUNCTION wakil_nom_mots('coproprietaire');
CREATE TRIGGER nom_mots AFTER INSERT OR DELETE OR UPDATE OF nom ON fournisseurs
    FOR EACH ROW EXECUTE FUNCTION wakil_nom_mots('fournisseur');

-- Also during bulk loads, which skip the other triggers (`session_replication_role = replica`).
ALTER TABLE residences ENABLE ALWAYS TRIGGER nom_mots;
ALTER TABLE coproprietaires ENABLE ALWAYS TRIGGER nom_mots;
ALTER TABLE fournisseurs ENABLE ALWAYS TRIGGER nom_mots;

INSERT INTO nom_mots (syndic_id, kind, id, mot)
SELECT DISTINCT syndic_id, 'residence', id, w
FROM residences, unnest(string_to_array(nom_cle || ' ' || wakil_fold(ville), ' ')) w WHERE w <> ''
UNION
SELECT DISTINCT syndic_id, 'coproprietaire', id, w
FROM coproprietaires, unnest(string_to_array(nom_cle, ' ')) w WHERE w <> ''
UNION
SELECT DISTINCT syndic_id, 'fournisseur', id, w
FROM fournisseurs, unnest(string_to_array(nom_cle, ' ')) w WHERE w <> '';
