-- Possible duplicates flagged at intake, and issues merged into another (duplicate_of).

ALTER TABLE issues
    ADD COLUMN possible_duplicates  bigint[] NOT NULL DEFAULT '{}',
    ADD COLUMN duplicate_of         bigint;

ALTER TABLE issues DROP CONSTRAINT issues_state_check;
ALTER TABLE issues ADD CONSTRAINT issues_state_check CHECK (state IN ('triage', 'open', 'closed', 'merged'));
ALTER TABLE issues ADD CONSTRAINT issues_merged_check CHECK ((state = 'merged') = (duplicate_of IS NOT NULL));

CREATE INDEX issues_household ON issues (tenant_id, compound_code, household) WHERE household IS NOT NULL;
