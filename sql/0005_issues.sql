-- Issues (what was reported) and tasks (one department's share of an issue).
--
-- A task records the liability-list text that routed it (list_id), so loading a new version
-- never changes routed history. Every change of an issue or a task writes an event in the same
-- transaction (events, 0003). Rows carry a row_version for compare-and-set updates.

CREATE TABLE issues (
    tenant_id        text NOT NULL REFERENCES tenants,
    issue_id         bigint GENERATED ALWAYS AS IDENTITY,
    channel          text NOT NULL CHECK (channel IN ('visit', 'inspection', 'whistle', 'hotline', 'app', 'open311')),
    compound_code    text NOT NULL,
    building_code    text,
    household        text,
    issue_type       text,
    list_id          bigint REFERENCES liability_lists,
    description      text NOT NULL CHECK (length(description) BETWEEN 1 AND 4000),
    -- Residents' personal data (name, phone) and the channel's own fields (走访人, 排查时间 …).
    reporter         jsonb NOT NULL DEFAULT '{}',
    channel_details  jsonb NOT NULL DEFAULT '{}',
    reported_at      timestamptz NOT NULL,
    received_at      timestamptz NOT NULL,
    state            text NOT NULL CHECK (state IN ('triage', 'open', 'closed')),
    triage_reason    text,
    idempotency_key  text,
    request_hash     text,
    row_version      integer NOT NULL DEFAULT 1,
    PRIMARY KEY (tenant_id, issue_id),
    FOREIGN KEY (tenant_id, compound_code) REFERENCES compounds (tenant_id, code),
    UNIQUE (tenant_id, idempotency_key)
);

CREATE INDEX issues_triage ON issues (tenant_id, received_at) WHERE state = 'triage';
CREATE INDEX issues_compound ON issues (tenant_id, compound_code, issue_type, reported_at);

CREATE TABLE tasks (
    tenant_id             text NOT NULL,
    task_id               bigint GENERATED ALWAYS AS IDENTITY,
    issue_id              bigint NOT NULL,
    department_code       text NOT NULL,
    role                  text NOT NULL CHECK (role IN ('lead', 'coLead', 'responsible', 'supporting')),
    state                 text NOT NULL DEFAULT 'dispatched'
        CHECK (state IN ('dispatched', 'acknowledged', 'inProgress', 'rectified', 'verified', 'closed', 'withdrawn')),
    list_id               bigint NOT NULL REFERENCES liability_lists,
    -- Why the department is on the issue, in the words of RouteExplanation.rule.
    rule                  text NOT NULL,
    dispatched_at         timestamptz NOT NULL,
    acknowledge_due       timestamptz,
    rectify_due           timestamptz,
    rectify_working_days  integer,
    limits_source         text NOT NULL,
    row_version           integer NOT NULL DEFAULT 1,
    PRIMARY KEY (tenant_id, task_id),
    FOREIGN KEY (tenant_id, issue_id) REFERENCES issues (tenant_id, issue_id),
    FOREIGN KEY (tenant_id, department_code) REFERENCES departments (tenant_id, code)
);

-- One live task per department and issue; withdrawn ones stay as history.
CREATE UNIQUE INDEX tasks_one_per_department ON tasks (tenant_id, issue_id, department_code) WHERE state <> 'withdrawn';
CREATE INDEX tasks_inbox ON tasks (tenant_id, department_code, state, rectify_due);

ALTER TABLE issues ENABLE ROW LEVEL SECURITY;
ALTER TABLE tasks ENABLE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON issues TO whistle_tenant
    USING (tenant_id = whistle_current_tenant()) WITH CHECK (tenant_id = whistle_current_tenant());
CREATE POLICY tenant_isolation ON tasks TO whistle_tenant
    USING (tenant_id = whistle_current_tenant()) WITH CHECK (tenant_id = whistle_current_tenant());
GRANT SELECT, INSERT, UPDATE ON issues, tasks TO whistle_tenant;
GRANT SELECT ON liability_lists TO whistle_tenant;
