-- Durable timers and the append-only event trail.
--
-- Every deadline is a row of `timers`. The scheduler keeps the rows due soon in its in-memory
-- timer wheel, but the row is the truth: a timer fires by moving its row from 'armed' to 'fired'
-- (a compare-and-set) in the same transaction as its action, so a crash before the commit fires
-- it again after a restart and a crash after the commit never fires it twice.

-- Event ids are global so that the trail of one subject reads in order across tenants' shards.
CREATE TABLE events (
    tenant_id     text NOT NULL REFERENCES tenants,
    event_id      bigint GENERATED ALWAYS AS IDENTITY,
    subject_kind  text NOT NULL,
    subject_id    text NOT NULL,
    kind          text NOT NULL,
    actor         text NOT NULL,
    occurred_at   timestamptz NOT NULL,
    recorded_at   timestamptz NOT NULL DEFAULT clock_timestamp(),
    details       jsonb NOT NULL DEFAULT '{}',
    PRIMARY KEY (tenant_id, event_id)
);

CREATE INDEX events_subject ON events (tenant_id, subject_kind, subject_id, event_id);

-- The trail is append-only, whoever asks: not even the schema owner rewrites history.
CREATE FUNCTION events_append_only() RETURNS trigger
    LANGUAGE plpgsql
    AS $$
BEGIN
    RAISE EXCEPTION 'events are append-only: % is refused', TG_OP
        USING ERRCODE = 'insufficient_privilege';
END
$$;

CREATE TRIGGER events_append_only
    BEFORE UPDATE OR DELETE OR TRUNCATE ON events
    FOR EACH STATEMENT EXECUTE FUNCTION events_append_only();

CREATE SEQUENCE timer_ids AS bigint;

CREATE TABLE timers (
    tenant_id     text NOT NULL REFERENCES tenants,
    timer_id      bigint NOT NULL DEFAULT nextval('timer_ids'),
    subject_kind  text NOT NULL,
    subject_id    text NOT NULL,
    kind          text NOT NULL,
    due_at        timestamptz NOT NULL,
    state         text NOT NULL DEFAULT 'armed' CHECK (state IN ('armed', 'fired', 'cancelled')),
    armed_at      timestamptz NOT NULL DEFAULT now(),
    fired_at      timestamptz,
    fired_by      text,
    late_ms       bigint,
    details       jsonb NOT NULL DEFAULT '{}',
    PRIMARY KEY (tenant_id, timer_id),
    CHECK ((state = 'fired') = (fired_at IS NOT NULL))
);

ALTER SEQUENCE timer_ids OWNED BY timers.timer_id;

-- One armed timer per subject and kind: re-arming (an extension) moves the existing row.
CREATE UNIQUE INDEX timers_one_armed ON timers (tenant_id, subject_kind, subject_id, kind) WHERE state = 'armed';

-- What the scheduler claims and loads: only armed rows, in due order.
CREATE INDEX timers_due ON timers (due_at, timer_id) WHERE state = 'armed';

-- Schedulers LISTEN on 'whistle_timers' and learn of near timers at once; the payload is
-- "<timer_id> <due in Unix milliseconds>". Bulk loads set whistle.quiet_timers = 'on' and send
-- one 'reload' instead of a notification per row.
CREATE FUNCTION timers_notify() RETURNS trigger
    LANGUAGE plpgsql
    AS $$
BEGIN
    IF NEW.state = 'armed' AND coalesce(current_setting('whistle.quiet_timers', true), '') <> 'on' THEN
        PERFORM pg_notify('whistle_timers',
            NEW.timer_id::text || ' ' || floor(extract(epoch FROM NEW.due_at) * 1000)::bigint::text);
    END IF;
    RETURN NULL;
END
$$;

-- The WHEN clause keeps firing (armed → fired) from calling the function at all.
CREATE TRIGGER timers_notify
    AFTER INSERT OR UPDATE OF due_at, state ON timers
    FOR EACH ROW WHEN (NEW.state = 'armed') EXECUTE FUNCTION timers_notify();

ALTER TABLE events ENABLE ROW LEVEL SECURITY;
ALTER TABLE timers ENABLE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON events TO whistle_tenant
    USING (tenant_id = whistle_current_tenant()) WITH CHECK (tenant_id = whistle_current_tenant());
CREATE POLICY tenant_isolation ON timers TO whistle_tenant
    USING (tenant_id = whistle_current_tenant()) WITH CHECK (tenant_id = whistle_current_tenant());

-- Tenant work arms, moves and cancels its own timers and appends its own events; firing is
-- the scheduler's, which works across tenants as the schema owner.
GRANT SELECT, INSERT ON events TO whistle_tenant;
GRANT SELECT, INSERT, UPDATE ON timers TO whistle_tenant;
GRANT USAGE ON SEQUENCE timer_ids TO whistle_tenant;
