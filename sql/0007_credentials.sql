-- Credentials: one per person, bound to one tenant and one role (and, for department roles, one
-- department). The token itself is shown once and never stored: only its SHA-256.

CREATE TABLE credentials (
    tenant_id        text NOT NULL REFERENCES tenants,
    credential_id    bigint GENERATED ALWAYS AS IDENTITY,
    token_hash       text NOT NULL UNIQUE,
    role             text NOT NULL
        CHECK (role IN ('admin', 'office', 'handler', 'departmentLeader', 'scheduler', 'leader', 'reporter')),
    department_code  text,
    name             text NOT NULL,
    created_at       timestamptz NOT NULL DEFAULT now(),
    revoked_at       timestamptz,
    PRIMARY KEY (tenant_id, credential_id),
    FOREIGN KEY (tenant_id, department_code) REFERENCES departments (tenant_id, code),
    CHECK ((role IN ('handler', 'departmentLeader', 'scheduler')) = (department_code IS NOT NULL))
);

-- Who reported an issue, so a reporter sees what it reported.
ALTER TABLE issues ADD COLUMN reported_by bigint;

ALTER TABLE credentials ENABLE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON credentials TO whistle_tenant
    USING (tenant_id = whistle_current_tenant()) WITH CHECK (tenant_id = whistle_current_tenant());
-- Credentials are managed with `whistle tokens`, as the schema owner; tenant sessions only read them.
GRANT SELECT ON credentials TO whistle_tenant;
