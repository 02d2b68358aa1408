-- Intake in one statement.
--
-- Taking a report in writes the issue, its duplicate flag, its tasks, their timers and every
-- event. Sent as ~25 statements from the daemon, each parsed and planned afresh, it cost
-- PostgreSQL milliseconds per issue. `whistle_intake` does it in one call: one round trip, one
-- implicit transaction, plans cached per session, and the rows of each table written by one
-- set-based INSERT.
--
-- The function switches to whistle_tenant and sets the tenant itself (both LOCAL, so they end
-- with the statement), so row-level security checks every row it writes exactly as it would
-- for statements sent one by one.

-- A timer notification only matters to a scheduler whose wheel already covers the due time;
-- later ones are loaded when their time comes within the horizon. Writers that know the
-- horizon set whistle.notify_before, so far-off deadlines cost no NOTIFY (whose commit-time
-- lock serializes every notifying transaction of the database). The test is in the trigger's
-- WHEN clause, so a quiet row costs no function call at all.
CREATE OR REPLACE FUNCTION timers_notify() RETURNS trigger
    LANGUAGE plpgsql
    AS $$
BEGIN
    PERFORM pg_notify('whistle_timers',
        NEW.timer_id::text || ' ' || floor(extract(epoch FROM NEW.due_at) * 1000)::bigint::text);
    RETURN NULL;
END
$$;

DROP TRIGGER timers_notify ON timers;
CREATE TRIGGER timers_notify
    AFTER INSERT OR UPDATE OF due_at, state ON timers
    FOR EACH ROW
    WHEN (NEW.state = 'armed'
          AND coalesce(current_setting('whistle.quiet_timers', true), '') <> 'on'
          AND NEW.due_at < coalesce(nullif(current_setting('whistle.notify_before', true), '')::timestamptz, 'infinity'))
    EXECUTE FUNCTION timers_notify();

-- The trail and the timers are written several rows per report; a foreign key to the single
-- tenants row made every concurrent writer share-lock that one row (a MultiXact per writer).
-- Row-level security already refuses a row of any tenant but the transaction's, which is only
-- ever set to an existing tenant; tenants are never deleted; an issue's compound (a foreign key
-- of its own) belongs to its tenant.
ALTER TABLE events DROP CONSTRAINT events_tenant_id_fkey;
ALTER TABLE timers DROP CONSTRAINT timers_tenant_id_fkey;
ALTER TABLE issues DROP CONSTRAINT issues_tenant_id_fkey;

-- The same holds for the list row every issue and task of a tenant names (one row for all of
-- them: measured, dropping these two keys took intake from 221 to 345 issues/s). A list row is
-- never updated or deleted (liability_lists_immutable, 0004), and now never truncated either,
-- and list ids are only written as read from liability_lists in the same transaction.
ALTER TABLE issues DROP CONSTRAINT issues_list_id_fkey;
ALTER TABLE tasks DROP CONSTRAINT tasks_list_id_fkey;
CREATE TRIGGER liability_lists_never_truncated
    BEFORE TRUNCATE ON liability_lists
    FOR EACH STATEMENT EXECUTE FUNCTION liability_lists_immutable();

-- p_issue: channel, compound, building, household, type, listVersion, description, reporter,
--   details, state, triageReason, idempotencyKey, requestHash, reportedBy, actor,
--   receivedEvent (details of issue.received), triageEvent (details of issue.triaged, or absent).
-- p_tasks: an array of department, role, rule, acknowledgeDue, rectifyDue (microseconds since
--   the Unix epoch: exact, unlike float seconds), rectifyWorkingDays, acknowledgeHours,
--   limitsSource, event (details of task.dispatched), deadlineUnset (details of
--   task.deadlineUnset, or absent); both events get the issue added.
-- Returns the issue, whether this call created it (false: the idempotency key was used before;
-- then conflict says whether with another body), the list row, the task ids in p_tasks' order
-- and the possible duplicates flagged.
CREATE FUNCTION whistle_intake(
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

    -- The tasks, their timers and the whole trail, each table in one INSERT. Events keep the
    -- order statements one by one would give them: the issue's, then each task's.
    WITH input AS (
        SELECT t.n, t.v,
               timestamptz 'epoch' + (t.v->>'acknowledgeDue')::bigint * interval '1 microsecond' AS acknowledge_due,
               timestamptz 'epoch' + (t.v->>'rectifyDue')::bigint * interval '1 microsecond' AS rectify_due
        FROM jsonb_array_elements(p_tasks) WITH ORDINALITY AS t(v, n)),
    written AS (
        INSERT INTO tasks (tenant_id, issue_id, department_code, role, list_id, rule, dispatched_at, acknowledge_due,
                           rectify_due, original_rectify_due, rectify_working_days, acknowledge_hours, limits_source)
        SELECT p_tenant, out_issue, v->>'department', v->>'role', out_list, v->>'rule', p_received_at, acknowledge_due,
               rectify_due, rectify_due, (v->>'rectifyWorkingDays')::integer, (v->>'acknowledgeHours')::integer, v->>'limitsSource'
        FROM input ORDER BY n
        RETURNING task_id, department_code),
    -- One live task per department and issue (a unique index), so the department finds its input.
    task AS (
        SELECT input.*, written.task_id FROM input JOIN written ON written.department_code = input.v->>'department'),
    armed AS (
        INSERT INTO timers (tenant_id, subject_kind, subject_id, kind, due_at)
        SELECT p_tenant, 'task', task.task_id::text, due.kind, due.at
        FROM task CROSS JOIN LATERAL (VALUES ('acknowledge', task.acknowledge_due), ('rectify', task.rectify_due)) AS due(kind, at)
        WHERE due.at IS NOT NULL),
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

-- Finding possible duplicates reads the newest open issues of a compound and type first.
CREATE INDEX issues_compound_type_newest ON issues (tenant_id, compound_code, issue_type, issue_id DESC)
    WHERE state IN ('triage', 'open');
