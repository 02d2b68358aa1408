-- Intake as in 0020, and:
-- * a task's further events from the daemon (p_tasks[].trail: an array of {kind, details},
--   written after its task.dispatched and task.deadlineUnset, the issue added to the details):
--   escalation.unscheduled, a ladder whose first rung the working-day calendar cannot count (it
--   runs out before the rung), which was armed by nothing and said nothing, so that the office
--   hears it and DeadlineCatchUp resumes the ladder once the next year is in; task.unnotified,
--   a department nobody of which could be told of its task;
-- * the whistle to each department (p_tasks[].notice, the message, and p_tasks[].deliveries,
--   {department, channel, endpoint, mentions}): an outbox row per delivery, in the same
--   transaction as the task. Until now a department heard of a new task first from the
--   reminder at its reporting-in deadline.

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

    -- Open issues of the same compound and type within the window, or of the same household and
    -- type: newest first from issues_compound_type_newest, reading no further than the twentieth.
    IF v_type IS NOT NULL THEN
        SELECT coalesce(array_agg(f.issue_id ORDER BY f.issue_id), '{}') INTO out_duplicates
        FROM (
            SELECT i.issue_id FROM issues i
            WHERE i.tenant_id = p_tenant AND i.compound_code = v_compound AND i.issue_type = v_type
              AND i.state IN ('triage', 'open')
              AND (i.reported_at >= p_duplicates_from OR (v_household IS NOT NULL AND i.household = v_household))
            ORDER BY i.issue_id DESC LIMIT 20) f;
    ELSE
        -- Without a type only the same household's untyped issues are duplicates.
        SELECT coalesce(array_agg(f.issue_id ORDER BY f.issue_id), '{}') INTO out_duplicates
        FROM (
            SELECT i.issue_id FROM issues i
            WHERE i.tenant_id = p_tenant AND i.compound_code = v_compound AND i.issue_type IS NULL
              AND i.state IN ('triage', 'open') AND v_household IS NOT NULL AND i.household = v_household
            ORDER BY i.issue_id DESC LIMIT 20) f;
    END IF;

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
    -- The whistle to each task's department, one outbox row per delivery; the message names the
    -- issue and the task, whose numbers only this statement knows.
    told AS (
        INSERT INTO outbox (tenant_id, event_kind, department_code, channel, endpoint, message, mentions, created_at, next_attempt_at)
        SELECT p_tenant, 'task.dispatched', d->>'department', d->>'channel', d->>'endpoint',
               jsonb_set(task.v->'notice', '{lines,0}',
                         to_jsonb(replace(replace(task.v->'notice'->'lines'->>0, '#{issue}', '#' || out_issue), '#{task}', '#' || task.task_id))),
               ARRAY(SELECT jsonb_array_elements_text(d->'mentions')), p_received_at, p_received_at
        FROM task CROSS JOIN LATERAL jsonb_array_elements(coalesce(task.v->'deliveries', '[]')) AS d),
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
            UNION ALL
            -- And whatever else the daemon has to say of it (a ladder the calendar cannot count).
            SELECT task.n, 2 + x.i, 'task', task.task_id::text, x.v->>'kind', 'whistle',
                   (x.v->'details') || jsonb_build_object('issue', out_issue::text)
            FROM task CROSS JOIN LATERAL jsonb_array_elements(coalesce(task.v->'trail', '[]')) WITH ORDINALITY AS x(v, i)
        ) AS e
        ORDER BY e.n, e.k)
    SELECT coalesce(array_agg(task.task_id ORDER BY task.n), '{}') INTO out_tasks FROM task;
END
$$;
