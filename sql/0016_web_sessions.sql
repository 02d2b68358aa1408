-- Web sessions (issue 7): a browser signs in once with a credential's token and then carries a
-- random session id in a cookie. Only the id's SHA-256 is stored, as for tokens, so a copy of the
-- table opens no session. Sessions live here rather than in the daemon's memory so that they
-- survive a restart and are shared by every daemon behind a load balancer.

CREATE TABLE web_sessions (
    tenant_id      text NOT NULL REFERENCES tenants,
    session_hash   text NOT NULL,
    credential_id  bigint NOT NULL,
    created_at     timestamptz NOT NULL,
    expires_at     timestamptz NOT NULL,
    PRIMARY KEY (tenant_id, session_hash),
    -- Deleting a credential ends its sessions; revoking one is checked on every request.
    FOREIGN KEY (tenant_id, credential_id) REFERENCES credentials (tenant_id, credential_id) ON DELETE CASCADE,
    CHECK (expires_at > created_at)
);

-- A cookie names no tenant: the session is found by its hash alone (as a token is), once per request.
CREATE UNIQUE INDEX web_sessions_hash ON web_sessions (session_hash);
CREATE INDEX web_sessions_expiry ON web_sessions (expires_at);

ALTER TABLE web_sessions ENABLE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON web_sessions TO whistle_tenant
    USING (tenant_id = whistle_current_tenant()) WITH CHECK (tenant_id = whistle_current_tenant());
-- Signing in and out runs as the tenant; looking a cookie up, as the schema owner (like tokens).
GRANT SELECT, INSERT, DELETE ON web_sessions TO whistle_tenant;
