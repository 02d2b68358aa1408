-- Reading an issue finds all its tasks (any state) and the issues merged into it: both by index,
-- not by scanning tables that grow with every report.
CREATE INDEX tasks_issue ON tasks (tenant_id, issue_id);
CREATE INDEX issues_duplicate_of ON issues (tenant_id, duplicate_of) WHERE duplicate_of IS NOT NULL;
