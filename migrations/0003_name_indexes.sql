-- Name lookups by whole word (the fast-path router's `names_with_words`): `words && $1` on the
-- words of a résidence's name and city, of a co-owner's or a supplier's folded name. Without
-- these GIN indexes every lookup reads every row of the tenant (≈35 ms for 66,000 co-owners,
-- 0.05 ms with them). Names change rarely: no pending list (`fastupdate = off`), so a bulk load
-- is searchable at once without waiting for a vacuum.

CREATE INDEX residences_mots ON residences
    USING gin (string_to_array(nom_cle || ' ' || wakil_fold(coalesce(ville, '')), ' '))
    WITH (fastupdate = off);
CREATE INDEX coproprietaires_mots ON coproprietaires
    USING gin (string_to_array(nom_cle, ' ')) WITH (fastupdate = off);
CREATE INDEX fournisseurs_mots ON fournisseurs
    USING gin (string_to_array(nom_cle, ' ')) WITH (fastupdate = off);
