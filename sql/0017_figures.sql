-- The figures leaders are judged on (issue 7), the compounds the office records as having reached
-- a campaign's target, and the monthly reports sent.

-- Figures count the issues reported in a period, then their tasks and the rungs fired on them.
CREATE INDEX issues_reported ON issues (tenant_id, reported_at) INCLUDE (state, compound_code, issue_type, satisfaction);
CREATE INDEX escalations_task ON escalations (tenant_id, task_id);

-- A compound the office has accepted as reaching a campaign's target (验收达标: 002's 示范小区,
-- 004's 六达标). A withdrawn record stays, with who withdrew it.
CREATE TABLE campaign_attainments (
    tenant_id      text NOT NULL,
    campaign       text NOT NULL,
    target         text NOT NULL,
    compound_code  text NOT NULL,
    note           text NOT NULL DEFAULT '',
    recorded_by    text NOT NULL,
    recorded_at    timestamptz NOT NULL,
    withdrawn_by   text,
    withdrawn_at   timestamptz,
    withdraw_reason text,
    PRIMARY KEY (tenant_id, campaign, target, compound_code, recorded_at)
);

CREATE UNIQUE INDEX campaign_attainments_live ON campaign_attainments (tenant_id, campaign, target, compound_code) WHERE withdrawn_at IS NULL;

ALTER TABLE campaign_attainments ENABLE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON campaign_attainments TO whistle_tenant
    USING (tenant_id = whistle_current_tenant()) WITH CHECK (tenant_id = whistle_current_tenant());
GRANT SELECT, INSERT, UPDATE ON campaign_attainments TO whistle_tenant;

-- Each monthly report, generated once per campaign and month (the key makes it once, whichever
-- daemon gets there first) and sent to the office through the outbox in the same transaction.
CREATE TABLE monthly_reports (
    tenant_id     text NOT NULL,
    campaign      text NOT NULL,
    month         text NOT NULL CHECK (month ~ '^[0-9]{4}-[0-9]{2}$'),
    generated_at  timestamptz NOT NULL,
    body          jsonb NOT NULL,
    text          text NOT NULL,
    PRIMARY KEY (tenant_id, campaign, month)
);

ALTER TABLE monthly_reports ENABLE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON monthly_reports TO whistle_tenant
    USING (tenant_id = whistle_current_tenant()) WITH CHECK (tenant_id = whistle_current_tenant());
GRANT SELECT, INSERT ON monthly_reports TO whistle_tenant;
