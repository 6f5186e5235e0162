-- The document library's index (DESIGN.md: RAG for document text only).
--
-- A document is indexed by a background job: its text is read page by page, cut into chunks at
-- headings and articles (each chunk keeps its page), every chunk gets a French full-text vector
-- and, when an embedding model is configured, an embedding. The job's progress is on the
-- document (pages read, chunks written, state). Re-indexing the same text changes nothing: the
-- document keeps the hash of its text, each chunk the hash of its title and content, and an
-- embedding is kept for an identical chunk of the same model.

ALTER TABLE documents
    ADD COLUMN texte_sha256 text CHECK (texte_sha256 ~ '^[0-9a-f]{64}$'),
    ADD COLUMN pages_lues   integer CHECK (pages_lues >= 0),
    ADD COLUMN chunks       integer CHECK (chunks >= 0),
    -- How the text was read: "texte", "texte du PDF", or the OCR engine's name.
    ADD COLUMN lecture      text,
    ADD COLUMN indexe_le    timestamptz;
CREATE INDEX documents_a_indexer ON documents (created_at, id) WHERE statut IN ('en_attente', 'indexation');

-- Accents are folded on both sides of a full-text search ("reglement" finds "règlement"): the
-- embedded server has no `unaccent` (no contrib), so the folding is this immutable function.
CREATE FUNCTION wakil_sans_accents(t text) RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE STRICT
RETURN replace(replace(translate(lower(t),
    'àâäáãåçéèêëíìîïñóòôöõúùûüýÿ', 'aaaaaaceeeeiiiinooooouuuuyy'), 'œ', 'oe'), 'æ', 'ae');

DROP INDEX document_chunks_tsv;
ALTER TABLE document_chunks DROP COLUMN tsv;
ALTER TABLE document_chunks ADD COLUMN tsv tsvector GENERATED ALWAYS AS (
    setweight(to_tsvector('french', wakil_sans_accents(coalesce(titre, ''))), 'A')
    || setweight(to_tsvector('french', wakil_sans_accents(contenu)), 'B')) STORED;
CREATE INDEX document_chunks_tsv ON document_chunks USING gin (tsv);

-- The embedding's dimension is the model's: the column takes any, and each dimension in use has
-- its own partial HNSW index on the cast column (pgvector's way for several dimensions).
DROP INDEX document_chunks_embedding;
ALTER TABLE document_chunks ALTER COLUMN embedding TYPE vector;
ALTER TABLE document_chunks
    ADD COLUMN sha256 text CHECK (sha256 ~ '^[0-9a-f]{64}$'),
    ADD COLUMN embedding_modele text,
    ADD CONSTRAINT document_chunks_embedding_modele CHECK ((embedding IS NULL) = (embedding_modele IS NULL));
CREATE INDEX document_chunks_a_vectoriser ON document_chunks (syndic_id, embedding_modele);

-- The HNSW index of one dimension, created once when a model of that dimension first writes.
CREATE FUNCTION wakil_index_vectoriel(p_dim integer) RETURNS void
LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = public, pg_temp AS $$
BEGIN
    IF p_dim IS NULL OR p_dim < 1 OR p_dim > 2000 THEN
        RAISE EXCEPTION 'dimension d''embedding hors de 1..2000 : %', p_dim;
    END IF;
    EXECUTE format(
        'CREATE INDEX IF NOT EXISTS %I ON document_chunks USING hnsw ((embedding::vector(%s)) vector_cosine_ops) WHERE vector_dims(embedding) = %s',
        'document_chunks_hnsw_' || p_dim, p_dim, p_dim);
END
$$;
SELECT wakil_index_vectoriel(768);

-- The indexing job's only cross-tenant read: which syndics have a document waiting, or chunks
-- without an embedding of `p_modele` (ids only).
CREATE FUNCTION wakil_documents_syndics_a_indexer(p_modele text)
RETURNS SETOF bigint
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS $$
    SELECT syndic_id FROM documents WHERE statut = 'en_attente'
    UNION
    SELECT syndic_id FROM document_chunks
    WHERE p_modele IS NOT NULL AND embedding_modele IS DISTINCT FROM p_modele
$$;

-- A job cut short (the server stopped while indexing) starts again.
CREATE FUNCTION wakil_documents_reprendre() RETURNS bigint
LANGUAGE sql VOLATILE SECURITY DEFINER SET search_path = public, pg_temp AS $$
    WITH repris AS (
        UPDATE documents SET statut = 'en_attente' WHERE statut = 'indexation' RETURNING 1
    )
    SELECT count(*) FROM repris
$$;

REVOKE ALL ON FUNCTION wakil_index_vectoriel(integer) FROM PUBLIC;
REVOKE ALL ON FUNCTION wakil_documents_syndics_a_indexer(text) FROM PUBLIC;
REVOKE ALL ON FUNCTION wakil_documents_reprendre() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION wakil_index_vectoriel(integer) TO wakil_app;
GRANT EXECUTE ON FUNCTION wakil_documents_syndics_a_indexer(text) TO wakil_app;
GRANT EXECUTE ON FUNCTION wakil_documents_reprendre() TO wakil_app;
