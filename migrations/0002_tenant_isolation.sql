-- Tenant isolation enforced by PostgreSQL itself.
--
-- The application connects as `wakil_app`: not a superuser, not the tables' owner, NOBYPASSRLS.
-- Each transaction sets `wakil.syndic_id` (SET LOCAL, through set_config(..., true)); every
-- policy compares a row's syndic to it. With the setting absent, no row is visible or writable.
-- Migrations and the seeding of demo data run as the owner role, outside these policies.

DO $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'wakil_app') THEN
        CREATE ROLE wakil_app NOLOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOBYPASSRLS;
    END IF;
END
$$;

CREATE FUNCTION wakil_syndic() RETURNS bigint
LANGUAGE sql STABLE PARALLEL SAFE AS $$
    SELECT NULLIF(current_setting('wakil.syndic_id', true), '')::bigint
$$;

ALTER TABLE syndics ENABLE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON syndics
    USING (id = wakil_syndic()) WITH CHECK (id = wakil_syndic());

-- Every other table of the schema carries syndic_id: one policy each, none forgotten.
DO $$
DECLARE
    t text;
BEGIN
    FOR t IN
        SELECT c.table_name
        FROM information_schema.columns c
        JOIN information_schema.tables tb
          ON tb.table_schema = c.table_schema AND tb.table_name = c.table_name
        WHERE c.table_schema = 'public' AND c.column_name = 'syndic_id'
          AND tb.table_type = 'BASE TABLE'
    LOOP
        EXECUTE format('ALTER TABLE %I ENABLE ROW LEVEL SECURITY', t);
        EXECUTE format(
            'CREATE POLICY tenant_isolation ON %I USING (syndic_id = wakil_syndic()) '
            'WITH CHECK (syndic_id = wakil_syndic())', t);
    END LOOP;
END
$$;

GRANT USAGE ON SCHEMA public TO wakil_app;
GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO wakil_app;
GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO wakil_app;
-- The application never creates tenants nor rewrites history.
REVOKE INSERT, UPDATE, DELETE ON syndics FROM wakil_app;
REVOKE UPDATE, DELETE ON audit_log FROM wakil_app;
REVOKE ALL ON _sqlx_migrations FROM wakil_app;

-- Who is this? The only cross-tenant reads, needed before a syndic is known: the login of a
-- user (by e-mail) and the user behind a channel identity (Telegram chat, WhatsApp number).
-- SECURITY DEFINER with a fixed search_path; they return ids only.
CREATE FUNCTION wakil_identify_login(p_email text)
RETURNS TABLE (user_id bigint, syndic_id bigint)
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS $$
    SELECT u.id, u.syndic_id FROM users u
    WHERE lower(u.email) = lower(btrim(p_email)) AND u.actif
$$;

CREATE FUNCTION wakil_identify_channel(p_canal canal, p_identifiant text)
RETURNS TABLE (user_id bigint, syndic_id bigint)
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS $$
    SELECT u.id, u.syndic_id FROM channel_links l JOIN users u ON u.id = l.user_id
    WHERE l.canal = p_canal AND l.identifiant = p_identifiant AND l.verifie_le IS NOT NULL AND u.actif
$$;

REVOKE ALL ON FUNCTION wakil_identify_login(text) FROM PUBLIC;
REVOKE ALL ON FUNCTION wakil_identify_channel(canal, text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION wakil_identify_login(text) TO wakil_app;
GRANT EXECUTE ON FUNCTION wakil_identify_channel(canal, text) TO wakil_app;

-- Tables of later migrations are granted the same way (their policies are still added one by
-- one; a test checks that every table carrying syndic_id has row-level security and a policy).
ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO wakil_app;
ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT USAGE, SELECT ON SEQUENCES TO wakil_app;
