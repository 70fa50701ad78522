-- Every version of every legal entity (services/kit/temporal): the full
-- record is the JSON document in doc; the columns after it are copies of
-- the fields that filters, ordering and keyset pagination need, taken from
-- doc by the store on every insert. Rows are never changed except to close
-- them in record time (known_to, seq_to).
CREATE TABLE legal_entities (
    uscc               TEXT NOT NULL,
    version            INTEGER NOT NULL,
    valid_from         TEXT NOT NULL,
    valid_to           TEXT NOT NULL,
    known_from         TEXT NOT NULL,
    known_to           TEXT NOT NULL,
    seq_from           INTEGER NOT NULL,
    seq_to             INTEGER NOT NULL,
    action             TEXT NOT NULL,
    deleted            INTEGER NOT NULL,
    doc                TEXT NOT NULL,
    display_name       TEXT NOT NULL,
    search_name        TEXT NOT NULL,
    entity_type        TEXT NOT NULL,
    status             TEXT NOT NULL,
    industry_code      TEXT NOT NULL,
    division_code      TEXT NOT NULL,
    establishment_date TEXT NOT NULL,
    update_time        TEXT NOT NULL,
    terms_key          TEXT NOT NULL,
    PRIMARY KEY (uscc, version)
);
-- The current rows (valid now, known now) are what List reads by default;
-- partial indexes keep those reads as fast as a table without history.
CREATE INDEX legal_entities_current ON legal_entities (uscc)
    WHERE known_to = '9999-12-31T23:59:59.999999Z' AND valid_to = '9999-12-31T23:59:59.999999Z';
CREATE INDEX legal_entities_status ON legal_entities (status, uscc)
    WHERE known_to = '9999-12-31T23:59:59.999999Z' AND valid_to = '9999-12-31T23:59:59.999999Z';
CREATE INDEX legal_entities_type ON legal_entities (entity_type, uscc)
    WHERE known_to = '9999-12-31T23:59:59.999999Z' AND valid_to = '9999-12-31T23:59:59.999999Z';
CREATE INDEX legal_entities_industry ON legal_entities (industry_code, uscc)
    WHERE known_to = '9999-12-31T23:59:59.999999Z' AND valid_to = '9999-12-31T23:59:59.999999Z';
CREATE INDEX legal_entities_division ON legal_entities (division_code, uscc)
    WHERE known_to = '9999-12-31T23:59:59.999999Z' AND valid_to = '9999-12-31T23:59:59.999999Z';
CREATE INDEX legal_entities_established ON legal_entities (establishment_date, uscc)
    WHERE known_to = '9999-12-31T23:59:59.999999Z' AND valid_to = '9999-12-31T23:59:59.999999Z';
CREATE INDEX legal_entities_name ON legal_entities (display_name, uscc)
    WHERE known_to = '9999-12-31T23:59:59.999999Z' AND valid_to = '9999-12-31T23:59:59.999999Z';
CREATE INDEX legal_entities_updated ON legal_entities (update_time, uscc)
    WHERE known_to = '9999-12-31T23:59:59.999999Z' AND valid_to = '9999-12-31T23:59:59.999999Z';

-- Name search: the n-gram terms of every set of names ('name': the name,
-- 'former': former names) an entity has had, shared by the versions with
-- that set (terms_key), so that a search at a past point finds the names
-- then and a write that changes no name writes no terms.
CREATE TABLE legal_entity_terms (
    term      TEXT NOT NULL,
    uscc      TEXT NOT NULL,
    terms_key TEXT NOT NULL,
    field     TEXT NOT NULL,
    PRIMARY KEY (term, uscc, terms_key, field)
);
CREATE INDEX legal_entity_terms_set ON legal_entity_terms (uscc, terms_key);
