-- The spatial registry's three collections (services/kit/temporal): every
-- version of every record, the full record as the JSON document in doc,
-- and after it copies of the fields that filters, ordering, search and
-- spatial queries need, taken from doc by the store on every insert. Rows
-- are never changed except to close them in record time (known_to, seq_to).

CREATE TABLE divisions (
    code       TEXT NOT NULL,
    version    BIGINT NOT NULL,
    valid_from TEXT NOT NULL,
    valid_to   TEXT NOT NULL,
    known_from TEXT NOT NULL,
    known_to   TEXT NOT NULL,
    seq_from   BIGINT NOT NULL,
    seq_to     BIGINT NOT NULL,
    action     TEXT NOT NULL,
    deleted    BIGINT NOT NULL,
    doc        TEXT NOT NULL,
    display_name TEXT NOT NULL,
    search_name  TEXT NOT NULL,
    level        TEXT NOT NULL,
    parent       TEXT NOT NULL,
    update_time  TEXT NOT NULL,
    terms_key    TEXT NOT NULL,
    PRIMARY KEY (code, version)
);
-- The current rows (valid now, known now) are what reads use by default;
-- partial indexes keep those reads as fast as a table without history.
CREATE INDEX divisions_current ON divisions (code)
    WHERE known_to = '9999-12-31T23:59:59.999999Z' AND valid_to = '9999-12-31T23:59:59.999999Z';
CREATE INDEX divisions_parent ON divisions (parent, code)
    WHERE known_to = '9999-12-31T23:59:59.999999Z' AND valid_to = '9999-12-31T23:59:59.999999Z';
CREATE INDEX divisions_name ON divisions (display_name, code)
    WHERE known_to = '9999-12-31T23:59:59.999999Z' AND valid_to = '9999-12-31T23:59:59.999999Z';
CREATE INDEX divisions_updated ON divisions (update_time, code)
    WHERE known_to = '9999-12-31T23:59:59.999999Z' AND valid_to = '9999-12-31T23:59:59.999999Z';
-- DivisionRevision reads the highest sequence written.
CREATE INDEX divisions_seq ON divisions (seq_from);

-- Search terms: the n-gram terms of every set of names (of addresses: the
-- locality, road and numbers people write) a record has had, shared by
-- the versions with that set (terms_key), so that a search at a past
-- point finds the names then.
CREATE TABLE division_terms (
    term      TEXT NOT NULL,
    code      TEXT NOT NULL,
    terms_key TEXT NOT NULL,
    field     TEXT NOT NULL,
    PRIMARY KEY (term, code, terms_key, field)
);
CREATE INDEX division_terms_set ON division_terms (code, terms_key);

CREATE TABLE addresses (
    id         TEXT NOT NULL,
    version    BIGINT NOT NULL,
    valid_from TEXT NOT NULL,
    valid_to   TEXT NOT NULL,
    known_from TEXT NOT NULL,
    known_to   TEXT NOT NULL,
    seq_from   BIGINT NOT NULL,
    seq_to     BIGINT NOT NULL,
    action     TEXT NOT NULL,
    deleted    BIGINT NOT NULL,
    doc        TEXT NOT NULL,
    division      TEXT NOT NULL,
    road          TEXT NOT NULL,
    house_number  TEXT NOT NULL,
    building      TEXT NOT NULL,
    unit          TEXT NOT NULL,
    room          TEXT NOT NULL,
    full_text     TEXT NOT NULL,
    search_name   TEXT NOT NULL,
    complete_text TEXT NOT NULL,
    address_key   TEXT NOT NULL,
    lon           DOUBLE PRECISION NOT NULL,
    lat           DOUBLE PRECISION NOT NULL,
    update_time   TEXT NOT NULL,
    terms_key     TEXT NOT NULL,
    PRIMARY KEY (id, version)
);
CREATE INDEX addresses_current ON addresses (id)
    WHERE known_to = '9999-12-31T23:59:59.999999Z' AND valid_to = '9999-12-31T23:59:59.999999Z';
CREATE INDEX addresses_division ON addresses (division, id)
    WHERE known_to = '9999-12-31T23:59:59.999999Z' AND valid_to = '9999-12-31T23:59:59.999999Z';
CREATE INDEX addresses_road ON addresses (road, house_number, id)
    WHERE known_to = '9999-12-31T23:59:59.999999Z' AND valid_to = '9999-12-31T23:59:59.999999Z';
CREATE INDEX addresses_text ON addresses (full_text, id)
    WHERE known_to = '9999-12-31T23:59:59.999999Z' AND valid_to = '9999-12-31T23:59:59.999999Z';
CREATE INDEX addresses_updated ON addresses (update_time, id)
    WHERE known_to = '9999-12-31T23:59:59.999999Z' AND valid_to = '9999-12-31T23:59:59.999999Z';
-- One current address per set of components in a county: a second one
-- would be the same address twice.
CREATE UNIQUE INDEX addresses_key ON addresses (address_key)
    WHERE known_to = '9999-12-31T23:59:59.999999Z' AND valid_to = '9999-12-31T23:59:59.999999Z' AND deleted = 0;

CREATE TABLE address_terms (
    term      TEXT NOT NULL,
    id        TEXT NOT NULL,
    terms_key TEXT NOT NULL,
    field     TEXT NOT NULL,
    PRIMARY KEY (term, id, terms_key, field)
);
CREATE INDEX address_terms_set ON address_terms (id, terms_key);

CREATE TABLE features (
    id         TEXT NOT NULL,
    version    BIGINT NOT NULL,
    valid_from TEXT NOT NULL,
    valid_to   TEXT NOT NULL,
    known_from TEXT NOT NULL,
    known_to   TEXT NOT NULL,
    seq_from   BIGINT NOT NULL,
    seq_to     BIGINT NOT NULL,
    action     TEXT NOT NULL,
    deleted    BIGINT NOT NULL,
    doc        TEXT NOT NULL,
    kind         TEXT NOT NULL,
    display_name TEXT NOT NULL,
    search_name  TEXT NOT NULL,
    division     TEXT NOT NULL,
    subject      TEXT NOT NULL,
    min_lon      DOUBLE PRECISION NOT NULL,
    max_lon      DOUBLE PRECISION NOT NULL,
    min_lat      DOUBLE PRECISION NOT NULL,
    max_lat      DOUBLE PRECISION NOT NULL,
    update_time  TEXT NOT NULL,
    terms_key    TEXT NOT NULL,
    PRIMARY KEY (id, version)
);
CREATE INDEX features_current ON features (id)
    WHERE known_to = '9999-12-31T23:59:59.999999Z' AND valid_to = '9999-12-31T23:59:59.999999Z';
CREATE INDEX features_kind ON features (kind, id)
    WHERE known_to = '9999-12-31T23:59:59.999999Z' AND valid_to = '9999-12-31T23:59:59.999999Z';
CREATE INDEX features_division ON features (division, id)
    WHERE known_to = '9999-12-31T23:59:59.999999Z' AND valid_to = '9999-12-31T23:59:59.999999Z';
CREATE INDEX features_name ON features (display_name, id)
    WHERE known_to = '9999-12-31T23:59:59.999999Z' AND valid_to = '9999-12-31T23:59:59.999999Z';
CREATE INDEX features_updated ON features (update_time, id)
    WHERE known_to = '9999-12-31T23:59:59.999999Z' AND valid_to = '9999-12-31T23:59:59.999999Z';

CREATE TABLE feature_terms (
    term      TEXT NOT NULL,
    id        TEXT NOT NULL,
    terms_key TEXT NOT NULL,
    field     TEXT NOT NULL,
    PRIMARY KEY (term, id, terms_key, field)
);
CREATE INDEX feature_terms_set ON feature_terms (id, terms_key);

-- Autocompletion reads a prefix of the road-and-numbers text; the pattern
-- operator class lets LIKE 'x%' use the index whatever the collation.
CREATE INDEX addresses_complete ON addresses (complete_text text_pattern_ops, id)
    WHERE known_to = '9999-12-31T23:59:59.999999Z' AND valid_to = '9999-12-31T23:59:59.999999Z';

-- The spatial index of the current, unretired addresses and features: their
-- bounding boxes (a point's is the point) in a GiST index, searched with
-- the && (overlaps) operator; no PostGIS needed. The store keeps it in
-- step inside every writing transaction.
CREATE TABLE address_geo (
    record_id TEXT PRIMARY KEY,
    area      BOX NOT NULL
);
CREATE INDEX address_geo_area ON address_geo USING gist (area);

CREATE TABLE feature_geo (
    record_id TEXT PRIMARY KEY,
    area      BOX NOT NULL
);
CREATE INDEX feature_geo_area ON feature_geo USING gist (area);
