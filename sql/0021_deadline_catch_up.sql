-- What DeadlineCatchUp looks for when the daemon starts: tasks that went out without a rectify
-- deadline (the calendar had no notice for its year) and ladders the calendar stopped. Both are
-- rare, so the partial indexes stay small and the start does not read every task and event.
CREATE INDEX tasks_undated ON tasks (tenant_id, task_id) WHERE rectify_due IS NULL;
CREATE INDEX events_unscheduled ON events (tenant_id, subject_id) WHERE kind = 'escalation.unscheduled';
