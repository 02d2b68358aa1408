-- The figures at scale, finer (issue 7): a change marks the issue it touched, not its whole day,
-- so that a reader corrects a kept day by the few issues changed since its refresh instead of
-- counting the day's thousands of issues again.
--
-- figure_facts keeps, per issue and live task, what the day cells were computed from at the last
-- refresh (figure_fact_rungs the same for the rungs). A kept day with changed issues reads
--   cells − (the changed issues' facts, aggregated as the cells are) + (the changed issues, live);
-- the three figure_fact_* functions below are the only aggregation: the refresh builds the cells
-- with them, the readers use them on the changed issues' facts. A change row without an issue
-- (a rebuild) still sends its whole day to the live count.

ALTER TABLE figure_changes ADD COLUMN issue_id bigint;
-- A queue: rows are appended and soon deleted; vacuum it by the number of dead rows, not by a
-- fraction of a table that is mostly empty.
ALTER TABLE figure_changes SET (autovacuum_vacuum_scale_factor = 0, autovacuum_vacuum_threshold = 10000,
                                autovacuum_analyze_scale_factor = 0, autovacuum_analyze_threshold = 10000);

-- One row per live task of an issue, or one with no task for an issue without one. Merged issues
-- have none: they are counted nowhere.
CREATE TABLE figure_facts (
    tenant_id        text NOT NULL,
    day              date NOT NULL,
    issue_id         bigint NOT NULL,
    state            text NOT NULL,
    satisfaction     text,
    compound_code    text NOT NULL,
    issue_type       text NOT NULL,  -- '' while the issue waits for its type
    rectified        boolean NOT NULL,
    task_id          bigint,
    department_code  text,
    task_state       text,
    acknowledge_due  timestamptz,
    acknowledged_at  timestamptz,
    rectify_due      timestamptz,
    rectified_at     timestamptz,
    verified_at      timestamptz
);

CREATE INDEX figure_facts_day ON figure_facts (tenant_id, day);
CREATE INDEX figure_facts_issue ON figure_facts (tenant_id, issue_id);

-- The rungs of the facts' tasks, with their task's keys (no join when they are summed).
CREATE TABLE figure_fact_rungs (
    tenant_id        text NOT NULL,
    day              date NOT NULL,
    issue_id         bigint NOT NULL,
    task_id          bigint NOT NULL,
    compound_code    text NOT NULL,
    issue_type       text NOT NULL,
    department_code  text NOT NULL,
    action           text NOT NULL,
    deduction        numeric NOT NULL,
    state            text NOT NULL
);

CREATE INDEX figure_fact_rungs_day ON figure_fact_rungs (tenant_id, day);
CREATE INDEX figure_fact_rungs_issue ON figure_fact_rungs (tenant_id, issue_id);

ALTER TABLE figure_facts ENABLE ROW LEVEL SECURITY;
ALTER TABLE figure_fact_rungs ENABLE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON figure_facts TO whistle_tenant USING (tenant_id = whistle_current_tenant());
CREATE POLICY tenant_isolation ON figure_fact_rungs TO whistle_tenant USING (tenant_id = whistle_current_tenant());
GRANT SELECT ON figure_facts, figure_fact_rungs TO whistle_tenant;

-- The facts of the days `p_days`, or of the issues `p_issues` (the other NULL).
CREATE FUNCTION figure_fact_rows(p_tenant text, p_days date[], p_issues bigint[]) RETURNS SETOF figure_facts
    LANGUAGE sql STABLE
    AS $$
    SELECT * FROM figure_facts WHERE tenant_id = p_tenant AND day = ANY (p_days)
    UNION ALL
    SELECT * FROM figure_facts WHERE tenant_id = p_tenant AND issue_id = ANY (p_issues)
$$;

-- What figure_cells holds for those facts: per day, dimension and key (dim 'tasked' counts the
-- issues with a live task, the department table's total).
CREATE FUNCTION figure_fact_cells(p_tenant text, p_days date[], p_issues bigint[])
    RETURNS TABLE (dim text, day date, key text, received integer, issues_rectified integer, issues_closed integer, return_visits integer,
                   satisfied integer, tasks integer, acknowledge_settled integer, acknowledged_in_time integer, tasks_rectified integer,
                   rectified_in_time integer, tasks_verified integer, tasks_closed integer)
    LANGUAGE sql STABLE
    AS $$
    WITH cells AS (
        SELECT day, GROUPING(compound_code, issue_type, department_code) AS g,
               compound_code, issue_type, department_code,
               count(DISTINCT issue_id) AS received,
               count(DISTINCT issue_id) FILTER (WHERE rectified) AS issues_rectified,
               count(DISTINCT issue_id) FILTER (WHERE state = 'closed') AS issues_closed,
               count(DISTINCT issue_id) FILTER (WHERE satisfaction IS NOT NULL) AS return_visits,
               count(DISTINCT issue_id) FILTER (WHERE satisfaction IN ('satisfied', 'basicallySatisfied')) AS satisfied,
               count(DISTINCT issue_id) FILTER (WHERE task_id IS NOT NULL) AS tasked_received,
               count(DISTINCT issue_id) FILTER (WHERE task_id IS NOT NULL AND rectified) AS tasked_rectified,
               count(DISTINCT issue_id) FILTER (WHERE task_id IS NOT NULL AND state = 'closed') AS tasked_closed,
               count(DISTINCT issue_id) FILTER (WHERE task_id IS NOT NULL AND satisfaction IS NOT NULL) AS tasked_visits,
               count(DISTINCT issue_id) FILTER (WHERE task_id IS NOT NULL AND satisfaction IN ('satisfied', 'basicallySatisfied')) AS tasked_satisfied,
               count(task_id) AS tasks,
               count(*) FILTER (WHERE acknowledge_due IS NOT NULL AND (acknowledged_at IS NOT NULL OR rectified_at IS NOT NULL)) AS acknowledge_settled,
               count(*) FILTER (WHERE coalesce(acknowledged_at, rectified_at) <= acknowledge_due) AS acknowledged_in_time,
               count(*) FILTER (WHERE rectified_at IS NOT NULL) AS tasks_rectified,
               count(*) FILTER (WHERE rectified_at IS NOT NULL AND (rectify_due IS NULL OR rectified_at <= rectify_due)) AS rectified_in_time,
               count(*) FILTER (WHERE verified_at IS NOT NULL) AS tasks_verified,
               count(*) FILTER (WHERE task_state = 'closed') AS tasks_closed
        FROM figure_fact_rows(p_tenant, p_days, p_issues)
        GROUP BY GROUPING SETS ((day), (day, compound_code), (day, issue_type), (day, department_code))
    )
    SELECT CASE g WHEN 3 THEN 'compound' WHEN 5 THEN 'type' WHEN 6 THEN 'department' ELSE 'all' END,
           day, coalesce(CASE g WHEN 3 THEN compound_code WHEN 5 THEN issue_type WHEN 6 THEN department_code ELSE '' END, ''),
           received::int, issues_rectified::int, issues_closed::int, return_visits::int, satisfied::int, tasks::int,
           acknowledge_settled::int, acknowledged_in_time::int, tasks_rectified::int, rectified_in_time::int, tasks_verified::int,
           tasks_closed::int
    FROM cells
    WHERE NOT (g = 6 AND department_code IS NULL)  -- the issues without a task
    UNION ALL
    SELECT 'tasked', day, '', tasked_received::int, tasked_rectified::int, tasked_closed::int, tasked_visits::int, tasked_satisfied::int,
           0, 0, 0, 0, 0, 0, 0
    FROM cells WHERE g = 7 AND tasked_received > 0
$$;

-- What figure_pending holds for those facts: open tasks by the local day (in p_zone) their
-- acknowledge limit or rectify deadline falls on.
CREATE FUNCTION figure_fact_pending(p_tenant text, p_days date[], p_issues bigint[], p_zone text)
    RETURNS TABLE (dim text, day date, key text, due_day date, acknowledge integer, rectify integer)
    LANGUAGE sql STABLE
    AS $$
    WITH pending AS (
        SELECT day, compound_code, issue_type, department_code, (acknowledge_due AT TIME ZONE p_zone)::date AS due_day, 1 AS acknowledge, 0 AS rectify
        FROM figure_fact_rows(p_tenant, p_days, p_issues)
        WHERE task_id IS NOT NULL AND acknowledge_due IS NOT NULL AND acknowledged_at IS NULL AND rectified_at IS NULL
        UNION ALL
        SELECT day, compound_code, issue_type, department_code, (rectify_due AT TIME ZONE p_zone)::date, 0, 1
        FROM figure_fact_rows(p_tenant, p_days, p_issues)
        WHERE task_id IS NOT NULL AND rectify_due IS NOT NULL AND rectified_at IS NULL
    )
    SELECT CASE g WHEN 3 THEN 'compound' WHEN 5 THEN 'type' WHEN 6 THEN 'department' ELSE 'all' END,
           day, CASE g WHEN 3 THEN compound_code WHEN 5 THEN issue_type WHEN 6 THEN department_code ELSE '' END, due_day, a::int, r::int
    FROM (
        SELECT day, due_day, compound_code, issue_type, department_code, GROUPING(compound_code, issue_type, department_code) AS g,
               sum(acknowledge) AS a, sum(rectify) AS r
        FROM pending
        GROUP BY GROUPING SETS ((day, due_day), (day, due_day, compound_code), (day, due_day, issue_type), (day, due_day, department_code))
    ) p
$$;

-- What figure_rungs holds for those facts; a notice in draft or rejected deducts nothing.
CREATE FUNCTION figure_fact_rung_cells(p_tenant text, p_days date[], p_issues bigint[])
    RETURNS TABLE (dim text, day date, key text, action text, escalations integer, deductions numeric)
    LANGUAGE sql STABLE
    AS $$
    WITH rungs AS (
        SELECT * FROM figure_fact_rungs WHERE tenant_id = p_tenant AND day = ANY (p_days)
        UNION ALL
        SELECT * FROM figure_fact_rungs WHERE tenant_id = p_tenant AND issue_id = ANY (p_issues)
    )
    SELECT CASE g WHEN 3 THEN 'compound' WHEN 5 THEN 'type' WHEN 6 THEN 'department' ELSE 'all' END,
           day, CASE g WHEN 3 THEN compound_code WHEN 5 THEN issue_type WHEN 6 THEN department_code ELSE '' END, action, n::int, d
    FROM (
        SELECT day, action, compound_code, issue_type, department_code, GROUPING(compound_code, issue_type, department_code) AS g,
               -- In cents whatever was summed, so a cell reads the same however it was reached.
               count(*) AS n, coalesce(sum(deduction) FILTER (WHERE state NOT IN ('draft', 'rejected')), 0)::numeric(12, 2) AS d
        FROM rungs
        GROUP BY GROUPING SETS ((day, action), (day, action, compound_code), (day, action, issue_type), (day, action, department_code))
    ) r
$$;

-- The issues a statement touched, each with its day.
CREATE OR REPLACE FUNCTION figure_touch_issues() RETURNS trigger
    LANGUAGE plpgsql SECURITY DEFINER SET search_path = public
    AS $$
BEGIN
    INSERT INTO figure_changes (tenant_id, day, issue_id)
    SELECT DISTINCT c.tenant_id, (c.reported_at AT TIME ZONE t.time_zone)::date, c.issue_id
    FROM changed c JOIN tenants t ON t.tenant_id = c.tenant_id;
    RETURN NULL;
END
$$;

CREATE OR REPLACE FUNCTION figure_touch_issue_rows() RETURNS trigger
    LANGUAGE plpgsql SECURITY DEFINER SET search_path = public
    AS $$
BEGIN
    INSERT INTO figure_changes (tenant_id, day, issue_id)
    SELECT c.tenant_id, (i.reported_at AT TIME ZONE t.time_zone)::date, c.issue_id
    FROM (SELECT DISTINCT tenant_id, issue_id FROM changed) c
         JOIN issues i ON i.tenant_id = c.tenant_id AND i.issue_id = c.issue_id
         JOIN tenants t ON t.tenant_id = c.tenant_id;
    RETURN NULL;
END
$$;

-- Sums into the kept cells `sign` times what the facts of `p_issues` give (figure_fact_cells and
-- its siblings), dropping the cells left empty: how the refresh takes changed issues out of
-- their days and puts them back.
CREATE FUNCTION figure_add_facts(p_tenant text, p_issues bigint[], p_zone text, p_sign integer) RETURNS void
    LANGUAGE sql
    AS $$
    INSERT INTO figure_cells AS k
    SELECT p_tenant, dim, day, key, p_sign * received, p_sign * issues_rectified, p_sign * issues_closed, p_sign * return_visits,
           p_sign * satisfied, p_sign * tasks, p_sign * acknowledge_settled, p_sign * acknowledged_in_time, p_sign * tasks_rectified,
           p_sign * rectified_in_time, p_sign * tasks_verified, p_sign * tasks_closed
    FROM figure_fact_cells(p_tenant, NULL, p_issues)
    ON CONFLICT (tenant_id, dim, day, key) DO UPDATE SET
        received = k.received + EXCLUDED.received, issues_rectified = k.issues_rectified + EXCLUDED.issues_rectified,
        issues_closed = k.issues_closed + EXCLUDED.issues_closed, return_visits = k.return_visits + EXCLUDED.return_visits,
        satisfied = k.satisfied + EXCLUDED.satisfied, tasks = k.tasks + EXCLUDED.tasks,
        acknowledge_settled = k.acknowledge_settled + EXCLUDED.acknowledge_settled,
        acknowledged_in_time = k.acknowledged_in_time + EXCLUDED.acknowledged_in_time,
        tasks_rectified = k.tasks_rectified + EXCLUDED.tasks_rectified, rectified_in_time = k.rectified_in_time + EXCLUDED.rectified_in_time,
        tasks_verified = k.tasks_verified + EXCLUDED.tasks_verified, tasks_closed = k.tasks_closed + EXCLUDED.tasks_closed;
    INSERT INTO figure_pending AS k
    SELECT p_tenant, dim, day, key, due_day, p_sign * acknowledge, p_sign * rectify
    FROM figure_fact_pending(p_tenant, NULL, p_issues, p_zone)
    ON CONFLICT (tenant_id, dim, day, key, due_day) DO UPDATE SET
        acknowledge = k.acknowledge + EXCLUDED.acknowledge, rectify = k.rectify + EXCLUDED.rectify;
    INSERT INTO figure_rungs AS k
    SELECT p_tenant, dim, day, key, action, p_sign * escalations, p_sign * deductions
    FROM figure_fact_rung_cells(p_tenant, NULL, p_issues)
    ON CONFLICT (tenant_id, dim, day, key, action) DO UPDATE SET
        escalations = k.escalations + EXCLUDED.escalations, deductions = k.deductions + EXCLUDED.deductions;
    -- A cell counts at least one issue (one task, one rung) or is not kept.
    DELETE FROM figure_cells WHERE tenant_id = p_tenant AND received = 0
        AND day IN (SELECT DISTINCT day FROM figure_facts WHERE tenant_id = p_tenant AND issue_id = ANY (p_issues));
    DELETE FROM figure_pending WHERE tenant_id = p_tenant AND acknowledge = 0 AND rectify = 0
        AND day IN (SELECT DISTINCT day FROM figure_facts WHERE tenant_id = p_tenant AND issue_id = ANY (p_issues));
    DELETE FROM figure_rungs WHERE tenant_id = p_tenant AND escalations = 0
        AND day IN (SELECT DISTINCT day FROM figure_facts WHERE tenant_id = p_tenant AND issue_id = ANY (p_issues));
$$;

-- As in 0018, with the facts: a day with a change row without an issue (a rebuild), or with more
-- than 400 changed issues, is recomputed whole; in the others only the changed issues are taken
-- out of the cells (their old facts), recomputed, and put back, so a refresh costs what changed,
-- not the size of the days it touched.
CREATE OR REPLACE FUNCTION figure_refresh(p_tenant text, p_max_days integer) RETURNS integer
    LANGUAGE plpgsql SET jit = off
    AS $$
DECLARE
    zone    text;
    built   text;
    days    date[];
    v_whole    date[];
    v_changed  bigint[];
BEGIN
    -- One refresher per tenant at a time, so a later one always starts from an earlier one's work.
    PERFORM pg_advisory_xact_lock(hashtext('whistle.figure_refresh'), hashtext(p_tenant));
    SELECT time_zone INTO zone FROM tenants WHERE tenant_id = p_tenant;
    IF zone IS NULL THEN
        RETURN 0;
    END IF;
    SELECT time_zone INTO built FROM figure_rollups WHERE tenant_id = p_tenant;
    IF built IS DISTINCT FROM zone THEN
        DELETE FROM figure_cells WHERE tenant_id = p_tenant;
        DELETE FROM figure_pending WHERE tenant_id = p_tenant;
        DELETE FROM figure_rungs WHERE tenant_id = p_tenant;
        DELETE FROM figure_facts WHERE tenant_id = p_tenant;
        DELETE FROM figure_fact_rungs WHERE tenant_id = p_tenant;
        DELETE FROM figure_changes WHERE tenant_id = p_tenant;
        -- No issue: the whole day is counted live until it is rebuilt.
        INSERT INTO figure_changes (tenant_id, day)
        SELECT DISTINCT p_tenant, (reported_at AT TIME ZONE zone)::date FROM issues WHERE tenant_id = p_tenant;
        INSERT INTO figure_rollups (tenant_id, time_zone, refreshed_at) VALUES (p_tenant, zone, now())
        ON CONFLICT (tenant_id) DO UPDATE SET time_zone = EXCLUDED.time_zone, refreshed_at = EXCLUDED.refreshed_at;
    END IF;

    -- Claims what this statement's snapshot sees; later changes keep their rows.
    WITH claimed AS (
        DELETE FROM figure_changes c
        WHERE c.tenant_id = p_tenant
          AND c.day IN (SELECT DISTINCT day FROM figure_changes WHERE tenant_id = p_tenant ORDER BY day LIMIT p_max_days)
        RETURNING c.day, c.issue_id
    ),
    per_day AS (
        SELECT day, bool_or(issue_id IS NULL) OR count(DISTINCT issue_id) > 400 AS whole FROM claimed GROUP BY day
    )
    SELECT (SELECT array_agg(day) FROM per_day),
           (SELECT coalesce(array_agg(day), '{}') FROM per_day WHERE whole),
           (SELECT coalesce(array_agg(DISTINCT c.issue_id), '{}') FROM claimed c JOIN per_day p ON p.day = c.day WHERE NOT p.whole)
    INTO days, v_whole, v_changed;
    IF days IS NULL THEN
        RETURN 0;
    END IF;

    -- The changed issues out of their days' cells, as their facts last counted them.
    PERFORM figure_add_facts(p_tenant, v_changed, zone, -1);

    DELETE FROM figure_facts WHERE tenant_id = p_tenant AND (day = ANY (v_whole) OR issue_id = ANY (v_changed));
    DELETE FROM figure_fact_rungs WHERE tenant_id = p_tenant AND (day = ANY (v_whole) OR issue_id = ANY (v_changed));
    DELETE FROM figure_cells WHERE tenant_id = p_tenant AND day = ANY (v_whole);
    DELETE FROM figure_pending WHERE tenant_id = p_tenant AND day = ANY (v_whole);
    DELETE FROM figure_rungs WHERE tenant_id = p_tenant AND day = ANY (v_whole);

    -- The same rows as FigureStore's live statements, per issue and live task.
    INSERT INTO figure_facts
    SELECT p_tenant, (s.reported_at AT TIME ZONE zone)::date, s.issue_id, s.state, s.satisfaction, s.compound_code, s.issue_type,
           s.rectified, t.task_id, t.department_code, t.state, t.acknowledge_due, t.acknowledged_at, t.rectify_due, t.rectified_at,
           t.verified_at
    FROM (
        SELECT i.reported_at, i.issue_id, i.state, i.satisfaction, i.compound_code, coalesce(i.issue_type, '') AS issue_type,
               i.state = 'closed' OR (k.live > 0 AND k.unrectified = 0) AS rectified
        FROM (SELECT i.* FROM unnest(v_whole) d
                  -- OFFSET 0: each day by the index on (tenant, reported_at), never a scan of every issue.
                  CROSS JOIN LATERAL (SELECT * FROM issues i WHERE i.tenant_id = p_tenant AND i.reported_at >= d::timestamp AT TIME ZONE zone
                                      AND i.reported_at < (d + 1)::timestamp AT TIME ZONE zone OFFSET 0) i
              UNION ALL
              SELECT * FROM issues i WHERE i.tenant_id = p_tenant AND i.issue_id = ANY (v_changed)) i
             CROSS JOIN LATERAL (SELECT count(*) AS live, count(*) FILTER (WHERE t.rectified_at IS NULL) AS unrectified
                                 FROM tasks t WHERE t.tenant_id = i.tenant_id AND t.issue_id = i.issue_id AND t.state <> 'withdrawn') k
        WHERE i.state <> 'merged'
    ) s LEFT JOIN LATERAL (
        -- OFFSET 0: each issue's tasks by the index, never a hash of every task of the tenant.
        SELECT t.task_id, t.department_code, t.state, t.acknowledge_due, t.acknowledged_at, t.rectify_due, t.rectified_at, t.verified_at
        FROM tasks t WHERE t.tenant_id = p_tenant AND t.issue_id = s.issue_id AND t.state <> 'withdrawn' OFFSET 0) t ON true;

    INSERT INTO figure_fact_rungs
    SELECT p_tenant, f.day, f.issue_id, f.task_id, f.compound_code, f.issue_type, f.department_code, e.action, e.deduction, e.state
    FROM figure_fact_rows(p_tenant, v_whole, v_changed) f
         CROSS JOIN LATERAL (SELECT e.action, e.deduction, e.state FROM escalations e
                             WHERE e.tenant_id = p_tenant AND e.task_id = f.task_id OFFSET 0) e
    WHERE f.task_id IS NOT NULL;

    INSERT INTO figure_cells
    SELECT p_tenant, c.* FROM figure_fact_cells(p_tenant, v_whole, NULL) c;
    INSERT INTO figure_pending
    SELECT p_tenant, p.* FROM figure_fact_pending(p_tenant, v_whole, NULL, zone) p;
    INSERT INTO figure_rungs
    SELECT p_tenant, r.* FROM figure_fact_rung_cells(p_tenant, v_whole, NULL) r;

    -- The changed issues back into their days' cells, as they are now.
    PERFORM figure_add_facts(p_tenant, v_changed, zone, 1);

    UPDATE figure_rollups SET refreshed_at = now() WHERE tenant_id = p_tenant;
    RETURN cardinality(days);
END
$$;

REVOKE EXECUTE ON FUNCTION figure_add_facts(text, bigint[], text, integer) FROM PUBLIC;

-- The cells were built without facts: rebuild every tenant (read live until then).
DELETE FROM figure_rollups;
