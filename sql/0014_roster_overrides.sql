-- One-off changes to a specialist team's roster that its scheduler makes through the API (a swap,
-- a sick day), on top of the overrides of rosters.yaml: they win over every rotation, the latest
-- over earlier ones. Cancelled ones stay on record.
CREATE TABLE roster_overrides (
    tenant_id     text NOT NULL,
    override_id   bigint GENERATED ALWAYS AS IDENTITY,
    team_code     text NOT NULL,
    member        text NOT NULL,
    starts_at     timestamptz NOT NULL,
    ends_at       timestamptz NOT NULL,
    reason        text NOT NULL,
    created_by    text NOT NULL,
    created_at    timestamptz NOT NULL,
    cancelled_by  text,
    cancelled_at  timestamptz,
    PRIMARY KEY (tenant_id, override_id),
    CHECK (ends_at > starts_at)
);

CREATE INDEX roster_overrides_team ON roster_overrides (tenant_id, team_code, ends_at) WHERE cancelled_at IS NULL;

ALTER TABLE roster_overrides ENABLE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON roster_overrides TO whistle_tenant
    USING (tenant_id = whistle_current_tenant()) WITH CHECK (tenant_id = whistle_current_tenant());
GRANT SELECT, INSERT, UPDATE ON roster_overrides TO whistle_tenant;
