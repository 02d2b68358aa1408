-- The figures at scale (issue 7): each local day's counts per department, compound and type,
-- kept by the daemon so that a year of figures sums a few thousand rows instead of a million
-- issues.
--
-- Exact, never stale: every statement that writes issues, tasks or escalations appends the days
-- of the issues it touched to figure_changes (append-only, so writers never wait on each
-- other); a reader counts the days with a change live from the base tables and the other days
-- from the cells, in one snapshot. figure_refresh claims changed days under a per-tenant lock
-- and recomputes them; a change that commits while it runs leaves its own row behind.
--
-- What depends on the moment of the query (acknowledge limits passed, deadlines overdue) is kept
-- as the open tasks per day their limit falls on: days before today are summed, today's tasks
-- are counted live from the partial indexes below.

CREATE TABLE figure_changes (
    tenant_id  text NOT NULL,
    day        date NOT NULL
);

CREATE INDEX figure_changes_day ON figure_changes (tenant_id, day);

-- The zone the cells' days are in; a tenant whose zone changed is rebuilt, and read live until then.
CREATE TABLE figure_rollups (
    tenant_id     text PRIMARY KEY,
    time_zone     text NOT NULL,
    refreshed_at  timestamptz NOT NULL
);

-- dim: 'all' (the day's issues), 'tasked' (issues with a live task: the department table's
-- total), 'department' (an issue counts once per department with a live task), 'compound',
-- 'type' ('' for an issue waiting for its type).
CREATE TABLE figure_cells (
    tenant_id             text NOT NULL,
    dim                   text NOT NULL CHECK (dim IN ('all', 'tasked', 'department', 'compound', 'type')),
    day                   date NOT NULL,
    key                   text NOT NULL,
    received              integer NOT NULL,
    issues_rectified      integer NOT NULL,
    issues_closed         integer NOT NULL,
    return_visits         integer NOT NULL,
    satisfied             integer NOT NULL,
    tasks                 integer NOT NULL,
    acknowledge_settled   integer NOT NULL,  -- acknowledged or rectified, with a limit
    acknowledged_in_time  integer NOT NULL,
    tasks_rectified       integer NOT NULL,
    rectified_in_time     integer NOT NULL,
    tasks_verified        integer NOT NULL,
    tasks_closed          integer NOT NULL,
    PRIMARY KEY (tenant_id, dim, day, key)
);

-- Open tasks by the local day their acknowledge limit or rectify deadline falls on.
CREATE TABLE figure_pending (
    tenant_id    text NOT NULL,
    dim          text NOT NULL,
    day          date NOT NULL,
    key          text NOT NULL,
    due_day      date NOT NULL,
    acknowledge  integer NOT NULL,  -- neither acknowledged nor rectified, limit on due_day
    rectify      integer NOT NULL,  -- not rectified, deadline on due_day
    PRIMARY KEY (tenant_id, dim, day, key, due_day)
);

CREATE TABLE figure_rungs (
    tenant_id    text NOT NULL,
    dim          text NOT NULL,
    day          date NOT NULL,
    key          text NOT NULL,
    action       text NOT NULL,
    escalations  integer NOT NULL,
    deductions   numeric NOT NULL,
    PRIMARY KEY (tenant_id, dim, day, key, action)
);

-- Today's open tasks, for what depends on the moment of the query.
CREATE INDEX tasks_acknowledge_pending ON tasks (tenant_id, acknowledge_due)
    WHERE acknowledged_at IS NULL AND rectified_at IS NULL AND state <> 'withdrawn';
CREATE INDEX tasks_rectify_pending ON tasks (tenant_id, rectify_due)
    WHERE rectified_at IS NULL AND state <> 'withdrawn';

ALTER TABLE figure_changes ENABLE ROW LEVEL SECURITY;
ALTER TABLE figure_rollups ENABLE ROW LEVEL SECURITY;
ALTER TABLE figure_cells ENABLE ROW LEVEL SECURITY;
ALTER TABLE figure_pending ENABLE ROW LEVEL SECURITY;
ALTER TABLE figure_rungs ENABLE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON figure_changes TO whistle_tenant USING (tenant_id = whistle_current_tenant());
CREATE POLICY tenant_isolation ON figure_rollups TO whistle_tenant USING (tenant_id = whistle_current_tenant());
CREATE POLICY tenant_isolation ON figure_cells TO whistle_tenant USING (tenant_id = whistle_current_tenant());
CREATE POLICY tenant_isolation ON figure_pending TO whistle_tenant USING (tenant_id = whistle_current_tenant());
CREATE POLICY tenant_isolation ON figure_rungs TO whistle_tenant USING (tenant_id = whistle_current_tenant());
-- Readers only: the triggers append as the schema owner, the refresher runs as the system.
GRANT SELECT ON figure_changes, figure_rollups, figure_cells, figure_pending, figure_rungs TO whistle_tenant;

-- The days of the issues a statement touched. `changed` is the statement's new rows.
CREATE FUNCTION figure_touch_issues() RETURNS trigger
    LANGUAGE plpgsql SECURITY DEFINER SET search_path = public
    AS $$
BEGIN
    INSERT INTO figure_changes (tenant_id, day)
    SELECT DISTINCT c.tenant_id, (c.reported_at AT TIME ZONE t.time_zone)::date
    FROM changed c JOIN tenants t ON t.tenant_id = c.tenant_id;
    RETURN NULL;
END
$$;

-- Tasks and escalations carry their issue's id.
CREATE FUNCTION figure_touch_issue_rows() RETURNS trigger
    LANGUAGE plpgsql SECURITY DEFINER SET search_path = public
    AS $$
BEGIN
    INSERT INTO figure_changes (tenant_id, day)
    SELECT DISTINCT c.tenant_id, (i.reported_at AT TIME ZONE t.time_zone)::date
    FROM (SELECT DISTINCT tenant_id, issue_id FROM changed) c
         JOIN issues i ON i.tenant_id = c.tenant_id AND i.issue_id = c.issue_id
         JOIN tenants t ON t.tenant_id = c.tenant_id;
    RETURN NULL;
END
$$;

-- An issue's reported_at never changes, so an update's new rows name its day.
CREATE TRIGGER figure_issues_insert AFTER INSERT ON issues REFERENCING NEW TABLE AS changed
    FOR EACH STATEMENT EXECUTE FUNCTION figure_touch_issues();
CREATE TRIGGER figure_issues_update AFTER UPDATE ON issues REFERENCING NEW TABLE AS changed
    FOR EACH STATEMENT EXECUTE FUNCTION figure_touch_issues();
CREATE TRIGGER figure_tasks_insert AFTER INSERT ON tasks REFERENCING NEW TABLE AS changed
    FOR EACH STATEMENT EXECUTE FUNCTION figure_touch_issue_rows();
CREATE TRIGGER figure_tasks_update AFTER UPDATE ON tasks REFERENCING NEW TABLE AS changed
    FOR EACH STATEMENT EXECUTE FUNCTION figure_touch_issue_rows();
CREATE TRIGGER figure_escalations_insert AFTER INSERT ON escalations REFERENCING NEW TABLE AS changed
    FOR EACH STATEMENT EXECUTE FUNCTION figure_touch_issue_rows();
CREATE TRIGGER figure_escalations_update AFTER UPDATE ON escalations REFERENCING NEW TABLE AS changed
    FOR EACH STATEMENT EXECUTE FUNCTION figure_touch_issue_rows();

-- Recomputes up to max_days changed days of one tenant; returns how many it did (0: nothing
-- left). A tenant never refreshed, or whose zone changed, is rebuilt: every day marked changed.
CREATE FUNCTION figure_refresh(p_tenant text, p_max_days integer) RETURNS integer
    LANGUAGE plpgsql SET jit = off
    AS $$
DECLARE
    zone   text;
    built  text;
    days   date[];
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
        DELETE FROM figure_changes WHERE tenant_id = p_tenant;
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
        RETURNING c.day
    )
    SELECT array_agg(DISTINCT day) INTO days FROM claimed;
    IF days IS NULL THEN
        RETURN 0;
    END IF;

    DELETE FROM figure_cells WHERE tenant_id = p_tenant AND day = ANY (days);
    DELETE FROM figure_pending WHERE tenant_id = p_tenant AND day = ANY (days);
    DELETE FROM figure_rungs WHERE tenant_id = p_tenant AND day = ANY (days);

    -- The same counts as FigureStore's live statements, per day and dimension.
    WITH bounds AS (
        SELECT d AS day, d::timestamp AT TIME ZONE zone AS lo, (d + 1)::timestamp AT TIME ZONE zone AS hi FROM unnest(days) d
    ),
    scope AS (
        SELECT b.day, i.issue_id, i.state, i.satisfaction, i.compound_code, coalesce(i.issue_type, '') AS issue_type,
               i.state = 'closed' OR (k.live > 0 AND k.unrectified = 0) AS rectified
        FROM bounds b
             CROSS JOIN LATERAL (SELECT * FROM issues i WHERE i.tenant_id = p_tenant AND i.reported_at >= b.lo AND i.reported_at < b.hi OFFSET 0) i
             CROSS JOIN LATERAL (SELECT count(*) AS live, count(*) FILTER (WHERE t.rectified_at IS NULL) AS unrectified
                                 FROM tasks t WHERE t.tenant_id = i.tenant_id AND t.issue_id = i.issue_id AND t.state <> 'withdrawn') k
        WHERE i.state <> 'merged'
    ),
    joined AS MATERIALIZED (
        SELECT s.*, t.task_id, t.department_code, t.state AS task_state, t.acknowledge_due, t.acknowledged_at, t.rectify_due,
               t.rectified_at, t.verified_at
        FROM scope s LEFT JOIN LATERAL (
            -- OFFSET 0: each issue's tasks by the index, never a hash of every task of the tenant.
            SELECT t.task_id, t.department_code, t.state, t.acknowledge_due, t.acknowledged_at, t.rectify_due, t.rectified_at, t.verified_at
            FROM tasks t WHERE t.tenant_id = p_tenant AND t.issue_id = s.issue_id AND t.state <> 'withdrawn' OFFSET 0) t ON true
    ),
    cells AS (
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
        FROM joined
        GROUP BY GROUPING SETS ((day), (day, compound_code), (day, issue_type), (day, department_code))
    ),
    keyed AS (
        SELECT CASE g WHEN 3 THEN 'compound' WHEN 5 THEN 'type' WHEN 6 THEN 'department' ELSE 'all' END AS dim,
               coalesce(CASE g WHEN 3 THEN compound_code WHEN 5 THEN issue_type WHEN 6 THEN department_code ELSE '' END, '') AS key,
               cells.*
        FROM cells
        WHERE NOT (g = 6 AND department_code IS NULL)  -- the issues without a task
    ),
    pending AS (
        SELECT day, compound_code, issue_type, department_code, (acknowledge_due AT TIME ZONE zone)::date AS due_day, 1 AS acknowledge, 0 AS rectify
        FROM joined WHERE task_id IS NOT NULL AND acknowledge_due IS NOT NULL AND acknowledged_at IS NULL AND rectified_at IS NULL
        UNION ALL
        SELECT day, compound_code, issue_type, department_code, (rectify_due AT TIME ZONE zone)::date, 0, 1
        FROM joined WHERE task_id IS NOT NULL AND rectify_due IS NOT NULL AND rectified_at IS NULL
    ),
    pending_cells AS (
        INSERT INTO figure_pending (tenant_id, dim, day, key, due_day, acknowledge, rectify)
        SELECT p_tenant, CASE g WHEN 3 THEN 'compound' WHEN 5 THEN 'type' WHEN 6 THEN 'department' ELSE 'all' END,
               day, CASE g WHEN 3 THEN compound_code WHEN 5 THEN issue_type WHEN 6 THEN department_code ELSE '' END, due_day, a, r
        FROM (
            SELECT day, due_day, compound_code, issue_type, department_code, GROUPING(compound_code, issue_type, department_code) AS g,
                   sum(acknowledge) AS a, sum(rectify) AS r
            FROM pending
            GROUP BY GROUPING SETS ((day, due_day), (day, due_day, compound_code), (day, due_day, issue_type), (day, due_day, department_code))
        ) p
    ),
    rung_cells AS (
        INSERT INTO figure_rungs (tenant_id, dim, day, key, action, escalations, deductions)
        SELECT p_tenant, CASE g WHEN 3 THEN 'compound' WHEN 5 THEN 'type' WHEN 6 THEN 'department' ELSE 'all' END,
               day, CASE g WHEN 3 THEN compound_code WHEN 5 THEN issue_type WHEN 6 THEN department_code ELSE '' END, action, n, d
        FROM (
            SELECT j.day, e.action, j.compound_code, j.issue_type, j.department_code, GROUPING(j.compound_code, j.issue_type, j.department_code) AS g,
                   count(*) AS n, coalesce(sum(e.deduction) FILTER (WHERE e.state NOT IN ('draft', 'rejected')), 0) AS d
            FROM joined j CROSS JOIN LATERAL (SELECT e.action, e.deduction, e.state FROM escalations e
                                              WHERE e.tenant_id = p_tenant AND e.task_id = j.task_id OFFSET 0) e
            GROUP BY GROUPING SETS ((j.day, e.action), (j.day, e.action, j.compound_code), (j.day, e.action, j.issue_type), (j.day, e.action, j.department_code))
        ) r
    ),
    tasked AS (
        INSERT INTO figure_cells
        SELECT p_tenant, 'tasked', day, '', tasked_received, tasked_rectified, tasked_closed, tasked_visits, tasked_satisfied,
               0, 0, 0, 0, 0, 0, 0
        FROM keyed WHERE dim = 'all'
    )
    INSERT INTO figure_cells
    SELECT p_tenant, dim, day, key, received, issues_rectified, issues_closed, return_visits, satisfied, tasks, acknowledge_settled,
           acknowledged_in_time, tasks_rectified, rectified_in_time, tasks_verified, tasks_closed
    FROM keyed;

    UPDATE figure_rollups SET refreshed_at = now() WHERE tenant_id = p_tenant;
    RETURN cardinality(days);
END
$$;

REVOKE EXECUTE ON FUNCTION figure_refresh(text, integer) FROM PUBLIC;
