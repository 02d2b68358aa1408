-- Photos: stored once per tenant by content hash; evidence links them to an issue (before) or to a
-- task's rectification (after).

CREATE TABLE photos (
    tenant_id     text NOT NULL REFERENCES tenants,
    sha256        text NOT NULL CHECK (sha256 ~ '^[0-9a-f]{64}$'),
    content_type  text NOT NULL CHECK (content_type IN ('image/jpeg', 'image/png', 'image/webp')),
    size          integer NOT NULL CHECK (size > 0),
    data          bytea NOT NULL,
    stored_at     timestamptz NOT NULL,
    PRIMARY KEY (tenant_id, sha256)
);

CREATE TABLE evidence (
    tenant_id    text NOT NULL,
    evidence_id  bigint GENERATED ALWAYS AS IDENTITY,
    issue_id     bigint NOT NULL,
    task_id      bigint,
    sha256       text NOT NULL,
    kind         text NOT NULL CHECK (kind IN ('before', 'after')),
    added_by     text NOT NULL,
    added_at     timestamptz NOT NULL,
    PRIMARY KEY (tenant_id, evidence_id),
    FOREIGN KEY (tenant_id, issue_id) REFERENCES issues (tenant_id, issue_id),
    FOREIGN KEY (tenant_id, sha256) REFERENCES photos (tenant_id, sha256),
    CHECK ((kind = 'after') = (task_id IS NOT NULL))
);

CREATE UNIQUE INDEX evidence_once ON evidence (tenant_id, issue_id, coalesce(task_id, 0), sha256, kind);

ALTER TABLE photos ENABLE ROW LEVEL SECURITY;
ALTER TABLE evidence ENABLE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON photos TO whistle_tenant
    USING (tenant_id = whistle_current_tenant()) WITH CHECK (tenant_id = whistle_current_tenant());
CREATE POLICY tenant_isolation ON evidence TO whistle_tenant
    USING (tenant_id = whistle_current_tenant()) WITH CHECK (tenant_id = whistle_current_tenant());
GRANT SELECT, INSERT ON photos, evidence TO whistle_tenant;
