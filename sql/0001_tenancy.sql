-- Tenancy: the role tenant-scoped work runs as, and the function row-level security reads.
--
-- The daemon connects as the owner of the schema (used for migrations, configuration loading
-- and cross-tenant system work such as the timer scheduler). Every request made on behalf of a
-- tenant runs in a transaction that switches to whistle_tenant (SET LOCAL ROLE) and sets
-- whistle.tenant_id; the policies below then hide and refuse every other tenant's rows.

DO $$
BEGIN
    CREATE ROLE whistle_tenant NOLOGIN NOSUPERUSER NOBYPASSRLS NOINHERIT;
EXCEPTION
    -- Roles are cluster-wide: another database of the same cluster may have created it already.
    WHEN duplicate_object OR unique_violation THEN NULL;
END
$$;

DO $$
BEGIN
    EXECUTE format('GRANT whistle_tenant TO %I', current_user);
EXCEPTION
    WHEN duplicate_object OR invalid_grant_operation THEN NULL;
END
$$;

CREATE FUNCTION whistle_current_tenant() RETURNS text
    LANGUAGE sql STABLE PARALLEL SAFE
    AS $$ SELECT nullif(current_setting('whistle.tenant_id', true), '') $$;

COMMENT ON FUNCTION whistle_current_tenant() IS
    'The tenant of the current transaction, set by the daemon with set_config(''whistle.tenant_id'', …, true); NULL outside a tenant context.';

GRANT USAGE ON SCHEMA public TO whistle_tenant;
