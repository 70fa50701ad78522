-- The audit log (services/audit). Rows of audit_records and
-- audit_resources are inserted by the Log and deleted only by pruning,
-- oldest first per chain; nothing updates them. Times are UTC text in
-- store.TimeLayout, so that text order is time order.

-- Every chain ever opened, with its retention checkpoint: the seq, hash and
-- time of the last pruned record (0 and 64 zeros until the first prune).
CREATE TABLE audit_chains (
    chain           TEXT PRIMARY KEY,
    created         TEXT NOT NULL,
    checkpoint_seq  INTEGER NOT NULL,
    checkpoint_hash TEXT NOT NULL,
    checkpoint_time TEXT NOT NULL
);

CREATE TABLE audit_records (
    id             TEXT PRIMARY KEY,
    chain          TEXT NOT NULL,
    seq            INTEGER NOT NULL,
    record_time    TEXT NOT NULL,
    department     TEXT NOT NULL,
    application    TEXT NOT NULL,
    principal      TEXT NOT NULL,
    purpose        TEXT NOT NULL,
    case_reference TEXT NOT NULL,
    method         TEXT NOT NULL,
    result         TEXT NOT NULL,
    detail         TEXT NOT NULL,
    request_hash   TEXT NOT NULL,
    prev_hash      TEXT NOT NULL,
    hash           TEXT NOT NULL
);
-- One writer per chain: a second process appending under the same chain
-- name collides here instead of forking the chain.
CREATE UNIQUE INDEX audit_records_chain_seq ON audit_records (chain, seq);
-- Search reads newest first, by one filter at a time.
CREATE INDEX audit_records_time ON audit_records (record_time, id);
CREATE INDEX audit_records_department ON audit_records (department, record_time, id);
CREATE INDEX audit_records_method ON audit_records (method, record_time, id);
CREATE INDEX audit_records_result ON audit_records (result, record_time, id);

-- The resource names a record touched, in order (pos), hashed with the
-- record; record_time is a copy of the record's, so that a search by
-- resource reads newest first from the index alone.
CREATE TABLE audit_resources (
    record_id   TEXT NOT NULL,
    pos         INTEGER NOT NULL,
    name        TEXT NOT NULL,
    record_time TEXT NOT NULL,
    PRIMARY KEY (record_id, pos)
);
CREATE INDEX audit_resources_name ON audit_resources (name, record_time, record_id);
