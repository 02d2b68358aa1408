-- Campaign field work (issue 9): door-to-door visits, spot checks with their findings and
-- deductions, and the history of property companies' grades and of the priority list.

-- One visit of one household: what was found (issues, reported through the visit channel) or
-- nothing to report; whether the household is registered on the smart-property platform (000).
CREATE TABLE visits (
    tenant_id            text NOT NULL,
    visit_id             bigint GENERATED ALWAYS AS IDENTITY,
    compound_code        text NOT NULL,
    building             text NOT NULL,
    household            text NOT NULL,
    visitor              text NOT NULL,
    visited_at           timestamptz NOT NULL,
    result               text NOT NULL CHECK (result IN ('nothingToReport', 'problems')),
    issues               bigint[] NOT NULL DEFAULT '{}',
    platform_registered  boolean,
    note                 text,
    idempotency_key      text,
    recorded_by          text NOT NULL,
    recorded_at          timestamptz NOT NULL,
    PRIMARY KEY (tenant_id, visit_id),
    UNIQUE (tenant_id, idempotency_key)
);

CREATE INDEX visits_household ON visits (tenant_id, compound_code, building, household, visited_at);

-- A random draw (双随机): the seed and the candidates it was drawn from are kept, so the draw can
-- be re-run and compared.
CREATE TABLE spot_checks (
    tenant_id            text NOT NULL,
    spot_check_id        bigint GENERATED ALWAYS AS IDENTITY,
    seed                 text NOT NULL,
    territory            text,
    candidate_compounds  text[] NOT NULL,
    candidate_issues     text[] NOT NULL,
    compounds            text[] NOT NULL,
    issues               text[] NOT NULL,
    note                 text,
    drawn_by             text NOT NULL,
    drawn_at             timestamptz NOT NULL,
    PRIMARY KEY (tenant_id, spot_check_id)
);

-- What inspectors found: 'unlisted' (no listed issue of the compound covers it: a new issue and a
-- deduction for the territory), 'listed' (covered by a listed issue), 'falseClosure' (a closed
-- issue not rectified: reopened, a deduction for each department that closed a task), 'confirmed'
-- (a closed issue found rectified).
CREATE TABLE spot_findings (
    tenant_id        text NOT NULL,
    finding_id       bigint GENERATED ALWAYS AS IDENTITY,
    spot_check_id    bigint NOT NULL,
    compound_code    text NOT NULL,
    kind             text NOT NULL CHECK (kind IN ('unlisted', 'listed', 'falseClosure', 'confirmed')),
    issue_id         bigint,
    description      text NOT NULL,
    inspector        text NOT NULL,
    recorded_by      text NOT NULL,
    recorded_at      timestamptz NOT NULL,
    PRIMARY KEY (tenant_id, finding_id),
    FOREIGN KEY (tenant_id, spot_check_id) REFERENCES spot_checks (tenant_id, spot_check_id)
);

-- Deductions that are not a ladder's rung (月度考评): listed with the escalations' by the month
-- they count in.
CREATE TABLE assessment_deductions (
    tenant_id        text NOT NULL,
    deduction_id     bigint GENERATED ALWAYS AS IDENTITY,
    department_code  text NOT NULL,
    reason           text NOT NULL CHECK (reason IN ('unlistedProblem', 'falseClosure')),
    points           numeric(8, 2) NOT NULL,
    counted_at       timestamptz NOT NULL,
    finding_id       bigint,
    issue_id         bigint,
    note             text NOT NULL,
    PRIMARY KEY (tenant_id, deduction_id)
);

CREATE INDEX assessment_deductions_month ON assessment_deductions (tenant_id, counted_at);

-- Each change of a company's grade or stars, with the items that explain it.
CREATE TABLE company_grades (
    tenant_id     text NOT NULL,
    company_code  text NOT NULL,
    changed_at    timestamptz NOT NULL,
    score         numeric(8, 2) NOT NULL,
    grade         text NOT NULL,
    stars         integer NOT NULL,
    items         jsonb NOT NULL,
    PRIMARY KEY (tenant_id, company_code, changed_at)
);

-- Compounds on the priority rectification list: entered, left, and why.
CREATE TABLE priority_compounds (
    tenant_id      text NOT NULL,
    compound_code  text NOT NULL,
    entered_at     timestamptz NOT NULL,
    left_at        timestamptz,
    reasons        text[] NOT NULL,
    PRIMARY KEY (tenant_id, compound_code, entered_at)
);

ALTER TABLE visits ENABLE ROW LEVEL SECURITY;
ALTER TABLE spot_checks ENABLE ROW LEVEL SECURITY;
ALTER TABLE spot_findings ENABLE ROW LEVEL SECURITY;
ALTER TABLE assessment_deductions ENABLE ROW LEVEL SECURITY;
ALTER TABLE company_grades ENABLE ROW LEVEL SECURITY;
ALTER TABLE priority_compounds ENABLE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON visits TO whistle_tenant
    USING (tenant_id = whistle_current_tenant()) WITH CHECK (tenant_id = whistle_current_tenant());
CREATE POLICY tenant_isolation ON spot_checks TO whistle_tenant
    USING (tenant_id = whistle_current_tenant()) WITH CHECK (tenant_id = whistle_current_tenant());
CREATE POLICY tenant_isolation ON spot_findings TO whistle_tenant
    USING (tenant_id = whistle_current_tenant()) WITH CHECK (tenant_id = whistle_current_tenant());
CREATE POLICY tenant_isolation ON assessment_deductions TO whistle_tenant
    USING (tenant_id = whistle_current_tenant()) WITH CHECK (tenant_id = whistle_current_tenant());
CREATE POLICY tenant_isolation ON company_grades TO whistle_tenant
    USING (tenant_id = whistle_current_tenant()) WITH CHECK (tenant_id = whistle_current_tenant());
CREATE POLICY tenant_isolation ON priority_compounds TO whistle_tenant
    USING (tenant_id = whistle_current_tenant()) WITH CHECK (tenant_id = whistle_current_tenant());

GRANT SELECT, INSERT ON visits, spot_checks, spot_findings, assessment_deductions, company_grades TO whistle_tenant;
GRANT SELECT, INSERT, UPDATE ON priority_compounds TO whistle_tenant;
