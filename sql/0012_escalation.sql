-- The escalation ladder (提醒 → 催办 → 督办 → 约谈 → 通报 → 问责) and the notification outbox.
--
-- A task keeps the ladder it was dispatched with (tasks.ladder_id → escalation_ladders, whose
-- rows are never changed). Each track (acknowledge, rectify) has at most one armed timer,
-- 'ladder.<track>', due when its next rung fires; firing a rung writes its escalation row
-- (unique per task, track and rung: each fires once), its event and its outbox rows in the
-- scheduler's claiming transaction, then arms the next rung.

CREATE TABLE escalation_ladders (
    tenant_id   text NOT NULL REFERENCES tenants,
    ladder_id   bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    checksum    text NOT NULL,
    body        jsonb NOT NULL,
    loaded_at   timestamptz NOT NULL DEFAULT now(),
    UNIQUE (tenant_id, checksum)
);

CREATE FUNCTION escalation_ladders_immutable() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'escalation_ladders rows are never changed or removed: tasks keep the ladder they were dispatched with'
        USING ERRCODE = 'restrict_violation';
END
$$;

CREATE TRIGGER escalation_ladders_immutable
    BEFORE UPDATE OR DELETE OR TRUNCATE ON escalation_ladders
    FOR EACH STATEMENT EXECUTE FUNCTION escalation_ladders_immutable();

ALTER TABLE tasks
    ADD COLUMN ladder_id        bigint,
    ADD COLUMN supervision_due  timestamptz,
    ADD COLUMN talk_promise     timestamptz,
    -- A task routed to a specialist team goes to the member on duty (rosters.yaml); a 'handoff'
    -- timer passes it on when the shift ends before anyone reported in.
    ADD COLUMN assignee         text;

-- One row per rung that fired on a task. State: 'issued' for most; a talk is 'awaitingSchedule'
-- until the office sets time and place, 'scheduled', then 'held' once its promise is recorded;
-- a public notice is a 'draft' until the group leader makes it 'approved' or 'rejected'.
-- notified: 'pending' until a delivery succeeds ('delivered'), 'unnotified' when nobody could
-- be told (no channel, or every delivery dead).
CREATE TABLE escalations (
    tenant_id        text NOT NULL,
    escalation_id    bigint GENERATED ALWAYS AS IDENTITY,
    task_id          bigint NOT NULL,
    issue_id         bigint NOT NULL,
    department_code  text NOT NULL,
    track            text NOT NULL CHECK (track IN ('acknowledge', 'rectify')),
    rung             text NOT NULL,
    action           text NOT NULL,
    due_at           timestamptz NOT NULL,
    fired_at         timestamptz NOT NULL,
    deduction        numeric(8, 2) NOT NULL DEFAULT 0,
    targets          text[] NOT NULL,
    recipients       jsonb NOT NULL DEFAULT '[]',
    unreachable      text[] NOT NULL DEFAULT '{}',
    state            text NOT NULL CHECK (state IN ('issued', 'awaitingSchedule', 'scheduled', 'held', 'draft', 'approved', 'rejected')),
    document         jsonb,
    talk             jsonb,
    decided_by       text,
    decided_at       timestamptz,
    decision_reason  text,
    notified         text NOT NULL DEFAULT 'pending' CHECK (notified IN ('pending', 'delivered', 'unnotified')),
    row_version      integer NOT NULL DEFAULT 1,
    PRIMARY KEY (tenant_id, escalation_id),
    UNIQUE (tenant_id, task_id, track, rung),
    FOREIGN KEY (tenant_id, task_id) REFERENCES tasks (tenant_id, task_id)
);

CREATE INDEX escalations_due ON escalations (tenant_id, due_at);  -- deductions count by the month a rung was due
CREATE INDEX escalations_open ON escalations (tenant_id, escalation_id) WHERE state IN ('awaitingSchedule', 'draft') OR notified = 'unnotified';

-- Every notification, written in the transaction of the event that caused it and delivered by
-- the dispatcher: pending → sending (claimed, with a lease) → delivered, or back to pending
-- with a later next_attempt_at, or dead after the last attempt. delivery_key travels with every
-- attempt so that a receiver drops duplicates.
CREATE TABLE outbox (
    tenant_id         text NOT NULL,
    outbox_id         bigint GENERATED ALWAYS AS IDENTITY,
    delivery_key      uuid NOT NULL DEFAULT gen_random_uuid() UNIQUE,
    escalation_id     bigint,
    event_kind        text NOT NULL,
    department_code   text NOT NULL,
    channel           text NOT NULL CHECK (channel IN ('webhook', 'dingtalk', 'wecom', 'log')),
    endpoint          text NOT NULL,
    message           jsonb NOT NULL,
    mentions          text[] NOT NULL DEFAULT '{}',
    state             text NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'sending', 'delivered', 'dead')),
    attempts          integer NOT NULL DEFAULT 0,
    created_at        timestamptz NOT NULL,
    next_attempt_at   timestamptz NOT NULL,
    last_attempt_at   timestamptz,
    lease_until       timestamptz,
    last_error        text,
    delivered_at      timestamptz,
    PRIMARY KEY (tenant_id, outbox_id)
);

-- What the dispatcher claims, oldest first, and counts per endpoint for its rate limit.
CREATE INDEX outbox_due ON outbox (next_attempt_at, outbox_id) WHERE state IN ('pending', 'sending');
CREATE INDEX outbox_recent ON outbox (endpoint, last_attempt_at) WHERE last_attempt_at IS NOT NULL;
CREATE INDEX outbox_escalation ON outbox (tenant_id, escalation_id) WHERE escalation_id IS NOT NULL;
CREATE INDEX outbox_dead ON outbox (tenant_id, outbox_id) WHERE state = 'dead';

ALTER TABLE escalation_ladders ENABLE ROW LEVEL SECURITY;
ALTER TABLE escalations ENABLE ROW LEVEL SECURITY;
ALTER TABLE outbox ENABLE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON escalation_ladders TO whistle_tenant
    USING (tenant_id = whistle_current_tenant()) WITH CHECK (tenant_id = whistle_current_tenant());
CREATE POLICY tenant_isolation ON escalations TO whistle_tenant
    USING (tenant_id = whistle_current_tenant()) WITH CHECK (tenant_id = whistle_current_tenant());
CREATE POLICY tenant_isolation ON outbox TO whistle_tenant
    USING (tenant_id = whistle_current_tenant()) WITH CHECK (tenant_id = whistle_current_tenant());

-- Tenant work reads ladders, decides talks and notices (which writes outbox rows) and retries
-- dead deliveries; firing rungs and delivering are the daemon's, as the schema owner.
GRANT SELECT ON escalation_ladders TO whistle_tenant;
GRANT SELECT, UPDATE ON escalations TO whistle_tenant;
GRANT SELECT, INSERT, UPDATE ON outbox TO whistle_tenant;

-- Intake as in 0011, with the ladder each task keeps and the timers of its ladders' first rungs:
-- p_issue adds ladderChecksum (the tenant's ladder, registered at start), p_tasks items add
-- assignee (a team's member on duty) and timers (kind, at in microseconds, details): the first
-- rung of each ladder and the assignee's shift end.
CREATE OR REPLACE FUNCTION whistle_intake(
    p_tenant text, p_issue jsonb, p_tasks jsonb, p_reported_at timestamptz, p_received_at timestamptz,
    p_duplicates_from timestamptz, p_notify_before timestamptz,
    OUT out_issue bigint, OUT out_created boolean, OUT out_conflict boolean, OUT out_list bigint,
    OUT out_tasks bigint[], OUT out_duplicates bigint[])
    LANGUAGE plpgsql
    AS $$
DECLARE
    v_version text := p_issue->>'listVersion';
    v_type text := p_issue->>'type';
    v_household text := p_issue->>'household';
    v_compound text := p_issue->>'compound';
    v_hash text;
    v_ladder bigint;
BEGIN
    PERFORM set_config('whistle.tenant_id', p_tenant, true),
            set_config('whistle.notify_before', coalesce(p_notify_before::text, ''), true);
    SET LOCAL ROLE whistle_tenant;

    out_created := true;
    out_conflict := false;
    out_tasks := '{}';

    IF v_version IS NOT NULL THEN
        SELECT l.list_id INTO out_list FROM liability_lists l WHERE l.version = v_version ORDER BY l.list_id DESC LIMIT 1;
        IF out_list IS NULL THEN
            RAISE EXCEPTION 'liability list % of % is not loaded', v_version, p_tenant USING ERRCODE = 'WH001';
        END IF;
    END IF;

    -- Open issues of the same compound and type within the window, or of the same household and type.
    SELECT coalesce(array_agg(f.issue_id ORDER BY f.issue_id), '{}') INTO out_duplicates
    FROM (
        SELECT i.issue_id FROM issues i
        WHERE i.tenant_id = p_tenant AND i.compound_code = v_compound AND i.issue_type IS NOT DISTINCT FROM v_type
          AND i.state IN ('triage', 'open')
          AND ((v_type IS NOT NULL AND i.reported_at >= p_duplicates_from)
               OR (v_household IS NOT NULL AND i.household = v_household))
        ORDER BY i.issue_id DESC LIMIT 20) f;

    INSERT INTO issues AS i (tenant_id, channel, compound_code, building_code, household, issue_type, list_id, description,
                             reporter, channel_details, reported_at, received_at, state, triage_reason, idempotency_key,
                             request_hash, reported_by, possible_duplicates)
    VALUES (p_tenant, p_issue->>'channel', v_compound, p_issue->>'building', v_household, v_type, out_list,
            p_issue->>'description', p_issue->'reporter', p_issue->'details', p_reported_at, p_received_at,
            p_issue->>'state', p_issue->>'triageReason', p_issue->>'idempotencyKey', p_issue->>'requestHash',
            (p_issue->>'reportedBy')::bigint, out_duplicates)
    ON CONFLICT (tenant_id, idempotency_key) DO NOTHING
    RETURNING i.issue_id INTO out_issue;

    IF out_issue IS NULL THEN
        -- The key was used before (perhaps by a request that committed while this one waited).
        SELECT i.issue_id, i.request_hash INTO out_issue, v_hash FROM issues i WHERE i.idempotency_key = p_issue->>'idempotencyKey';
        out_created := false;
        out_conflict := v_hash IS DISTINCT FROM p_issue->>'requestHash';
        out_duplicates := '{}';
        RETURN;
    END IF;

    SELECT e.ladder_id INTO v_ladder FROM escalation_ladders e
    WHERE e.tenant_id = p_tenant AND e.checksum = p_issue->>'ladderChecksum';

    -- The tasks, their timers and the whole trail, each table in one INSERT. Events keep the
    -- order statements one by one would give them: the issue's, then each task's.
    WITH input AS (
        SELECT t.n, t.v,
               timestamptz 'epoch' + (t.v->>'acknowledgeDue')::bigint * interval '1 microsecond' AS acknowledge_due,
               timestamptz 'epoch' + (t.v->>'rectifyDue')::bigint * interval '1 microsecond' AS rectify_due
        FROM jsonb_array_elements(p_tasks) WITH ORDINALITY AS t(v, n)),
    written AS (
        INSERT INTO tasks (tenant_id, issue_id, department_code, role, list_id, rule, dispatched_at, acknowledge_due,
                           rectify_due, original_rectify_due, rectify_working_days, acknowledge_hours, limits_source, ladder_id, assignee)
        SELECT p_tenant, out_issue, v->>'department', v->>'role', out_list, v->>'rule', p_received_at, acknowledge_due,
               rectify_due, rectify_due, (v->>'rectifyWorkingDays')::integer, (v->>'acknowledgeHours')::integer, v->>'limitsSource',
               v_ladder, v->>'assignee'
        FROM input ORDER BY n
        RETURNING task_id, department_code),
    -- One live task per department and issue (a unique index), so the department finds its input.
    task AS (
        SELECT input.*, written.task_id FROM input JOIN written ON written.department_code = input.v->>'department'),
    armed AS (
        INSERT INTO timers (tenant_id, subject_kind, subject_id, kind, due_at, details)
        SELECT p_tenant, 'task', task.task_id::text, due.kind, due.at, due.details
        FROM task CROSS JOIN LATERAL (VALUES ('acknowledge', task.acknowledge_due, '{}'::jsonb), ('rectify', task.rectify_due, '{}'::jsonb)) AS due(kind, at, details)
        WHERE due.at IS NOT NULL
        UNION ALL
        -- Each ladder's first rung (its moment counted in working days by the daemon), and a team
        -- member's shift end.
        SELECT p_tenant, 'task', task.task_id::text, l->>'kind', timestamptz 'epoch' + (l->>'at')::bigint * interval '1 microsecond', l->'details'
        FROM task CROSS JOIN LATERAL jsonb_array_elements(coalesce(task.v->'timers', '[]')) AS l),
    trail AS (
        INSERT INTO events (tenant_id, subject_kind, subject_id, kind, actor, occurred_at, details)
        SELECT p_tenant, e.subject_kind, e.subject_id, e.kind, e.actor, p_received_at, e.details
        FROM (
            SELECT 0 AS n, 1 AS k, 'issue' AS subject_kind, out_issue::text AS subject_id, 'issue.received' AS kind,
                   p_issue->>'actor' AS actor, p_issue->'receivedEvent' AS details
            UNION ALL
            SELECT 0, 2, 'issue', out_issue::text, 'issue.possibleDuplicate', 'whistle',
                   jsonb_build_object('of', array_to_string(out_duplicates, ','))
            WHERE cardinality(out_duplicates) > 0
            UNION ALL
            SELECT 0, 3, 'issue', out_issue::text, 'issue.triaged', 'whistle', p_issue->'triageEvent'
            WHERE p_issue ? 'triageEvent'
            UNION ALL
            SELECT task.n, 1, 'task', task.task_id::text, 'task.dispatched', p_issue->>'actor',
                   (task.v->'event') || jsonb_build_object('issue', out_issue::text)
            FROM task
            UNION ALL
            -- The task is dispatched all the same; the office sees that its deadline could not be set.
            SELECT task.n, 2, 'task', task.task_id::text, 'task.deadlineUnset', 'whistle',
                   (task.v->'deadlineUnset') || jsonb_build_object('issue', out_issue::text)
            FROM task WHERE task.v ? 'deadlineUnset'
        ) AS e
        ORDER BY e.n, e.k)
    SELECT coalesce(array_agg(task.task_id ORDER BY task.n), '{}') INTO out_tasks FROM task;
END
$$;
