-- The access policy's revision: one row, incremented in the same
-- transaction as every change to departments, the catalogue or grants.
CREATE TABLE policy_revision (
    id       INTEGER PRIMARY KEY CHECK (id = 1),
    revision INTEGER NOT NULL
);
INSERT INTO policy_revision (id, revision) VALUES (1, 0);

-- Departments admitted to the platform (准入单位).
CREATE TABLE departments (
    code            TEXT PRIMARY KEY,
    display_name    TEXT NOT NULL,
    contact_person  TEXT NOT NULL,
    contact_phone   TEXT NOT NULL,
    contact_email   TEXT NOT NULL,
    status          TEXT NOT NULL,
    admin           INTEGER NOT NULL,
    rate_per_second INTEGER NOT NULL,
    rate_burst      INTEGER NOT NULL,
    division        TEXT NOT NULL,
    create_time     TEXT NOT NULL,
    update_time     TEXT NOT NULL
);

-- Credentials of departments' applications. Secrets are never stored: only
-- the SHA-256 digest of the current one and of the one the last rotation
-- replaced. Times are '' when unset.
CREATE TABLE credentials (
    id                   TEXT PRIMARY KEY,
    department           TEXT NOT NULL REFERENCES departments (code),
    application          TEXT NOT NULL,
    kind                 TEXT NOT NULL,
    create_time          TEXT NOT NULL,
    issue_time           TEXT NOT NULL,
    expire_time          TEXT NOT NULL,
    secret_digest        TEXT NOT NULL,
    previous_digest      TEXT NOT NULL,
    previous_expire_time TEXT NOT NULL,
    revoke_time          TEXT NOT NULL,
    creator              TEXT NOT NULL
);
CREATE INDEX credentials_department ON credentials (department, id);

-- Keys that sign bearer tokens: the Ed25519 seed, base64. The newest is
-- current.
CREATE TABLE signing_keys (
    id          TEXT PRIMARY KEY,
    seed        TEXT NOT NULL,
    create_time TEXT NOT NULL
);

-- The resource catalogue (资源目录): one entry per registry resource type.
CREATE TABLE catalogue_resources (
    code                TEXT PRIMARY KEY,
    registry            TEXT NOT NULL,
    resource_type       TEXT NOT NULL,
    title               TEXT NOT NULL,
    provider_department TEXT NOT NULL,
    summary             TEXT NOT NULL,
    format              TEXT NOT NULL,
    update_cycle        TEXT NOT NULL,
    sharing_method      TEXT NOT NULL,
    publish_time        TEXT NOT NULL,
    update_time         TEXT NOT NULL
);

-- The data items of each entry, in the resource's field order (position).
CREATE TABLE catalogue_items (
    resource_code  TEXT NOT NULL REFERENCES catalogue_resources (code),
    path           TEXT NOT NULL,
    position       INTEGER NOT NULL,
    title          TEXT NOT NULL,
    sharing_class  TEXT NOT NULL,
    item_condition TEXT NOT NULL,
    legal_basis    TEXT NOT NULL,
    personal       INTEGER NOT NULL,
    obsolete       INTEGER NOT NULL,
    PRIMARY KEY (resource_code, path)
);

-- Grants (共享授权). items and divisions are JSON arrays of text; the state
-- stored is never EXPIRED, which is computed against the reader's clock.
CREATE TABLE grants (
    id                    TEXT PRIMARY KEY,
    applicant             TEXT NOT NULL REFERENCES departments (code),
    applicant_application TEXT NOT NULL,
    resource_code         TEXT NOT NULL REFERENCES catalogue_resources (code),
    items                 TEXT NOT NULL,
    purpose               TEXT NOT NULL,
    legal_basis           TEXT NOT NULL,
    divisions             TEXT NOT NULL,
    start_time            TEXT NOT NULL,
    expire_time           TEXT NOT NULL,
    state                 TEXT NOT NULL,
    decision_department   TEXT NOT NULL,
    decision_principal    TEXT NOT NULL,
    decision_time         TEXT NOT NULL,
    decision_reason       TEXT NOT NULL,
    revocation_department TEXT NOT NULL,
    revocation_principal  TEXT NOT NULL,
    revocation_time       TEXT NOT NULL,
    revocation_reason     TEXT NOT NULL,
    create_time           TEXT NOT NULL
);
CREATE INDEX grants_applicant ON grants (applicant, id);
CREATE INDEX grants_resource ON grants (resource_code, id);
-- The access policy reads the approved grants that have not expired.
CREATE INDEX grants_live ON grants (state, expire_time);
