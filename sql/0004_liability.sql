-- Liability lists (责任清单) as loaded from config/tenants/<tenant>/liability/<version>.yaml.
--
-- A row is one text of one version: loading the same text again writes nothing, and a version
-- whose file was edited in place gets a second row beside the first, so a task routed by the
-- earlier text (it records list_id) can always be explained by the words that routed it.
-- Rows are never updated or deleted.

CREATE TABLE liability_lists (
    list_id     bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    tenant_id   text NOT NULL REFERENCES tenants,
    version     text NOT NULL,
    checksum    text NOT NULL,
    effective   date NOT NULL,
    until       date,
    title       text NOT NULL,
    source      text NOT NULL,
    -- The YAML as read, and a summary of its entries (code, name, class, departments by role).
    document    text NOT NULL,
    types       jsonb NOT NULL,
    loaded_at   timestamptz NOT NULL DEFAULT now(),
    UNIQUE (tenant_id, version, checksum)
);

CREATE INDEX liability_lists_version ON liability_lists (tenant_id, version, list_id DESC);

CREATE FUNCTION liability_lists_immutable() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'liability_lists rows are never changed or removed: a changed list is loaded as a new row'
        USING ERRCODE = 'restrict_violation';
END
$$;

CREATE TRIGGER liability_lists_immutable
    BEFORE UPDATE OR DELETE ON liability_lists
    FOR EACH ROW EXECUTE FUNCTION liability_lists_immutable();

ALTER TABLE liability_lists ENABLE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON liability_lists TO whistle_tenant
    USING (tenant_id = whistle_current_tenant()) WITH CHECK (tenant_id = whistle_current_tenant());
GRANT SELECT ON liability_lists TO whistle_tenant;
