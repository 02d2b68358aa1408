-- Joint operations (联合整治, issue 8): the office or a lead department schedules an operation at
-- one or more compounds for some issues; each participating department or team must confirm
-- (报到) by a deadline, and one that does not climbs the tenant's acknowledge ladder like a task
-- that was not reported in. The lead records an outcome per issue, which moves its tasks.

CREATE TABLE operations (
    tenant_id        text NOT NULL,
    operation_id     bigint GENERATED ALWAYS AS IDENTITY,
    title            text NOT NULL,
    purpose          text NOT NULL,
    place            text,
    compounds        text[] NOT NULL CHECK (cardinality(compounds) > 0),
    issues           bigint[] NOT NULL DEFAULT '{}',
    lead_department  text NOT NULL,
    starts_at        timestamptz NOT NULL,
    ends_at          timestamptz NOT NULL,
    confirm_due      timestamptz NOT NULL,
    -- scheduled → held (its first outcome is recorded) · cancelled
    state            text NOT NULL DEFAULT 'scheduled' CHECK (state IN ('scheduled', 'held', 'cancelled')),
    ladder_id        bigint,
    created_by       text NOT NULL,
    created_at       timestamptz NOT NULL,
    cancel_reason    text,
    row_version      integer NOT NULL DEFAULT 1,
    PRIMARY KEY (tenant_id, operation_id),
    CHECK (ends_at > starts_at),
    CHECK (confirm_due <= starts_at)
);

-- Who takes part: the lead is a participant too. A team's row carries the operation's period, so
-- that a clash is one indexed query.
CREATE TABLE operation_participants (
    tenant_id        text NOT NULL,
    operation_id     bigint NOT NULL,
    department_code  text NOT NULL,
    is_lead          boolean NOT NULL DEFAULT false,
    is_team          boolean NOT NULL DEFAULT false,
    -- invited → confirmed
    state            text NOT NULL DEFAULT 'invited' CHECK (state IN ('invited', 'confirmed')),
    confirmed_at     timestamptz,
    confirmed_by     text,
    starts_at        timestamptz NOT NULL,
    ends_at          timestamptz NOT NULL,
    active           boolean NOT NULL DEFAULT true,
    PRIMARY KEY (tenant_id, operation_id, department_code),
    FOREIGN KEY (tenant_id, operation_id) REFERENCES operations (tenant_id, operation_id)
);

CREATE INDEX operation_participants_busy ON operation_participants (tenant_id, department_code, starts_at) WHERE active;

-- What the operation did about each issue: rectified on the spot, a follow-up task, or referred
-- to another department (the issue's open tasks are withdrawn).
CREATE TABLE operation_outcomes (
    tenant_id        text NOT NULL,
    operation_id     bigint NOT NULL,
    issue_id         bigint NOT NULL,
    outcome          text NOT NULL CHECK (outcome IN ('rectifiedOnSpot', 'followUp', 'referred')),
    note             text NOT NULL,
    department_code  text,
    recorded_by      text NOT NULL,
    recorded_at      timestamptz NOT NULL,
    PRIMARY KEY (tenant_id, operation_id, issue_id),
    FOREIGN KEY (tenant_id, operation_id) REFERENCES operations (tenant_id, operation_id)
);

-- A participant's missed confirmation is an escalation like a task's: the row names the operation
-- instead of a task, on the 'confirm' track, and each rung fires once per participant.
ALTER TABLE escalations
    ALTER COLUMN task_id DROP NOT NULL,
    ALTER COLUMN issue_id DROP NOT NULL,
    ADD COLUMN operation_id bigint,
    ADD CONSTRAINT escalations_subject CHECK ((task_id IS NULL) <> (operation_id IS NULL)),
    ADD CONSTRAINT escalations_operation FOREIGN KEY (tenant_id, operation_id) REFERENCES operations (tenant_id, operation_id),
    DROP CONSTRAINT escalations_track_check,
    ADD CONSTRAINT escalations_track_check CHECK (track IN ('acknowledge', 'rectify', 'confirm'));

CREATE UNIQUE INDEX escalations_operation_rung ON escalations (tenant_id, operation_id, department_code, track, rung)
    WHERE operation_id IS NOT NULL;

ALTER TABLE operations ENABLE ROW LEVEL SECURITY;
ALTER TABLE operation_participants ENABLE ROW LEVEL SECURITY;
ALTER TABLE operation_outcomes ENABLE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON operations TO whistle_tenant
    USING (tenant_id = whistle_current_tenant()) WITH CHECK (tenant_id = whistle_current_tenant());
CREATE POLICY tenant_isolation ON operation_participants TO whistle_tenant
    USING (tenant_id = whistle_current_tenant()) WITH CHECK (tenant_id = whistle_current_tenant());
CREATE POLICY tenant_isolation ON operation_outcomes TO whistle_tenant
    USING (tenant_id = whistle_current_tenant()) WITH CHECK (tenant_id = whistle_current_tenant());

GRANT SELECT, INSERT, UPDATE ON operations, operation_participants TO whistle_tenant;
GRANT SELECT, INSERT ON operation_outcomes TO whistle_tenant;
