-- Tenants and their directory: territories (镇/街道), communities, compounds with their
-- property companies, buildings, departments and their people by role, with contact channels.
--
-- Every primary key leads with tenant_id so the schema can be sharded by tenant. Rows are
-- keyed by the stable codes of config/tenants/<tenant>/directory.yaml; an entry removed from
-- the configuration is marked inactive, never deleted, because tasks keep referring to it.

CREATE TABLE tenants (
    tenant_id   text PRIMARY KEY CHECK (tenant_id ~ '^[a-z0-9][a-z0-9-]*$'),
    name        text NOT NULL,
    kind        text NOT NULL CHECK (kind IN ('county', 'district', 'city')),
    parent      text,
    time_zone   text NOT NULL DEFAULT 'Asia/Shanghai',
    calendar    text NOT NULL DEFAULT 'cn',
    source      text NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now(),
    updated_at  timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE territories (
    tenant_id   text NOT NULL REFERENCES tenants,
    code        text NOT NULL,
    name        text NOT NULL,
    kind        text NOT NULL CHECK (kind IN ('town', 'township', 'street')),
    aliases     text[] NOT NULL DEFAULT '{}',
    sample      boolean NOT NULL DEFAULT false,
    active      boolean NOT NULL DEFAULT true,
    PRIMARY KEY (tenant_id, code)
);

CREATE TABLE communities (
    tenant_id       text NOT NULL,
    code            text NOT NULL,
    territory_code  text NOT NULL,
    name            text NOT NULL,
    sample          boolean NOT NULL DEFAULT false,
    active          boolean NOT NULL DEFAULT true,
    PRIMARY KEY (tenant_id, code),
    FOREIGN KEY (tenant_id, territory_code) REFERENCES territories (tenant_id, code)
);

CREATE TABLE property_companies (
    tenant_id   text NOT NULL REFERENCES tenants,
    code        text NOT NULL,
    name        text NOT NULL,
    aliases     text[] NOT NULL DEFAULT '{}',
    sample      boolean NOT NULL DEFAULT false,
    active      boolean NOT NULL DEFAULT true,
    PRIMARY KEY (tenant_id, code)
);

CREATE TABLE compounds (
    tenant_id              text NOT NULL,
    code                   text NOT NULL,
    community_code         text NOT NULL,
    territory_code         text NOT NULL,
    name                   text NOT NULL,
    address                text,
    property_company_code  text,
    households             integer CHECK (households >= 0),
    sample                 boolean NOT NULL DEFAULT false,
    active                 boolean NOT NULL DEFAULT true,
    PRIMARY KEY (tenant_id, code),
    FOREIGN KEY (tenant_id, community_code) REFERENCES communities (tenant_id, code),
    FOREIGN KEY (tenant_id, territory_code) REFERENCES territories (tenant_id, code),
    FOREIGN KEY (tenant_id, property_company_code) REFERENCES property_companies (tenant_id, code)
);

CREATE INDEX compounds_territory ON compounds (tenant_id, territory_code);

CREATE TABLE buildings (
    tenant_id      text NOT NULL,
    compound_code  text NOT NULL,
    code           text NOT NULL,
    name           text NOT NULL,
    households     integer CHECK (households >= 0),
    active         boolean NOT NULL DEFAULT true,
    PRIMARY KEY (tenant_id, compound_code, code),
    FOREIGN KEY (tenant_id, compound_code) REFERENCES compounds (tenant_id, code)
);

CREATE TABLE departments (
    tenant_id       text NOT NULL REFERENCES tenants,
    code            text NOT NULL,
    name            text NOT NULL,
    kind            text NOT NULL CHECK (kind IN ('functional', 'territorial', 'team', 'office', 'leadership')),
    aliases         text[] NOT NULL DEFAULT '{}',
    territory_code  text,
    parent_code     text,
    sample          boolean NOT NULL DEFAULT false,
    active          boolean NOT NULL DEFAULT true,
    PRIMARY KEY (tenant_id, code),
    FOREIGN KEY (tenant_id, territory_code) REFERENCES territories (tenant_id, code),
    FOREIGN KEY (tenant_id, parent_code) REFERENCES departments (tenant_id, code) DEFERRABLE INITIALLY DEFERRED,
    CHECK ((kind = 'territorial') = (territory_code IS NOT NULL))
);

-- People are known by role and title; the directory carries placeholders, not personal data.
CREATE TABLE department_people (
    tenant_id        text NOT NULL,
    department_code  text NOT NULL,
    seq              integer NOT NULL,
    role             text NOT NULL CHECK (role IN ('principal', 'deputyInCharge', 'liaison', 'handler')),
    title            text NOT NULL,
    name             text,
    PRIMARY KEY (tenant_id, department_code, seq),
    FOREIGN KEY (tenant_id, department_code) REFERENCES departments (tenant_id, code) ON DELETE CASCADE
);

CREATE TABLE person_contacts (
    tenant_id        text NOT NULL,
    department_code  text NOT NULL,
    person_seq       integer NOT NULL,
    seq              integer NOT NULL,
    channel          text NOT NULL CHECK (channel IN ('internal', 'phone', 'sms', 'email', 'wechat', 'webhook')),
    address          text NOT NULL,
    PRIMARY KEY (tenant_id, department_code, person_seq, seq),
    FOREIGN KEY (tenant_id, department_code, person_seq)
        REFERENCES department_people (tenant_id, department_code, seq) ON DELETE CASCADE
);

-- One row per configuration load that changed something; a load whose checksum matches the
-- last one writes nothing, which is what makes loading idempotent.
CREATE TABLE config_loads (
    tenant_id   text NOT NULL REFERENCES tenants,
    load_id     bigint GENERATED ALWAYS AS IDENTITY,
    loaded_at   timestamptz NOT NULL DEFAULT now(),
    checksum    text NOT NULL,
    files       text[] NOT NULL,
    summary     jsonb NOT NULL,
    PRIMARY KEY (tenant_id, load_id)
);

DO $$
DECLARE
    t text;
BEGIN
    FOREACH t IN ARRAY ARRAY['tenants', 'territories', 'communities', 'property_companies', 'compounds',
                             'buildings', 'departments', 'department_people', 'person_contacts', 'config_loads']
    LOOP
        EXECUTE format('ALTER TABLE %I ENABLE ROW LEVEL SECURITY', t);
        EXECUTE format(
            'CREATE POLICY tenant_isolation ON %I TO whistle_tenant '
            'USING (tenant_id = whistle_current_tenant()) WITH CHECK (tenant_id = whistle_current_tenant())', t);
    END LOOP;
END
$$;

-- The directory is maintained from configuration, so tenant sessions only read it.
GRANT SELECT ON tenants, territories, communities, property_companies, compounds, buildings,
    departments, department_people, person_contacts, config_loads TO whistle_tenant;
