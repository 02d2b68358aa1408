-- The task lifecycle: what each step records on the task and the issue, and the gaps in the
-- liability list that upheld disputes (退单) reveal.

ALTER TABLE tasks
    ADD COLUMN acknowledged_at           timestamptz,
    ADD COLUMN measures                  text,
    ADD COLUMN rectified_at              timestamptz,
    ADD COLUMN verified_at               timestamptz,
    ADD COLUMN verified_by               text,
    ADD COLUMN rejection_reason          text,
    ADD COLUMN closed_at                 timestamptz,
    ADD COLUMN dispute_reason            text,
    ADD COLUMN state_before_dispute      text,
    ADD COLUMN pending_extension_until   timestamptz,
    ADD COLUMN pending_extension_reason  text,
    ADD COLUMN extension_approved_by     text,
    ADD COLUMN extensions                integer NOT NULL DEFAULT 0,
    ADD COLUMN original_rectify_due      timestamptz,
    ADD COLUMN acknowledge_hours         integer;

UPDATE tasks SET original_rectify_due = rectify_due;

ALTER TABLE tasks DROP CONSTRAINT tasks_state_check;
ALTER TABLE tasks ADD CONSTRAINT tasks_state_check
    CHECK (state IN ('dispatched', 'acknowledged', 'inProgress', 'rectified', 'verified', 'closed', 'disputed', 'withdrawn'));

ALTER TABLE issues
    ADD COLUMN closed_at     timestamptz,
    ADD COLUMN satisfaction  text CHECK (satisfaction IN ('satisfied', 'basicallySatisfied', 'dissatisfied')),
    ADD COLUMN reopened      integer NOT NULL DEFAULT 0;

-- A department the list named that the office agreed was not responsible: input for the next
-- version of the list.
CREATE TABLE liability_gaps (
    tenant_id        text NOT NULL REFERENCES tenants,
    gap_id           bigint GENERATED ALWAYS AS IDENTITY,
    issue_id         bigint NOT NULL,
    task_id          bigint NOT NULL,
    issue_type       text,
    list_id          bigint REFERENCES liability_lists,
    department_code  text NOT NULL,
    reassigned_to    text,
    dispute_reason   text NOT NULL,
    note             text,
    recorded_by      text NOT NULL,
    recorded_at      timestamptz NOT NULL,
    PRIMARY KEY (tenant_id, gap_id),
    FOREIGN KEY (tenant_id, task_id) REFERENCES tasks (tenant_id, task_id)
);

ALTER TABLE liability_gaps ENABLE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON liability_gaps TO whistle_tenant
    USING (tenant_id = whistle_current_tenant()) WITH CHECK (tenant_id = whistle_current_tenant());
GRANT SELECT, INSERT ON liability_gaps TO whistle_tenant;

-- A reopened issue (回访不满意) gives the same departments new tasks beside their closed ones.
DROP INDEX tasks_one_per_department;
CREATE UNIQUE INDEX tasks_one_live_per_department ON tasks (tenant_id, issue_id, department_code)
    WHERE state NOT IN ('withdrawn', 'closed');
