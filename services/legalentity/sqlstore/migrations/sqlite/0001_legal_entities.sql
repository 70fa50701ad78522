-- Current state of every legal entity. The full record is the JSON document
-- in doc; the other columns are copies of the fields that filters, ordering
-- and keyset pagination need, kept in step by the store on every write.
CREATE TABLE legal_entities (
    uscc               TEXT PRIMARY KEY,
    display_name       TEXT NOT NULL,
    entity_type        TEXT NOT NULL,
    status             TEXT NOT NULL,
    industry_code      TEXT NOT NULL,
    division_code      TEXT NOT NULL,
    establishment_date TEXT NOT NULL,
    create_time        TEXT NOT NULL,
    update_time        TEXT NOT NULL,
    revision           INTEGER NOT NULL,
    doc                TEXT NOT NULL
);
CREATE INDEX legal_entities_status ON legal_entities (status, uscc);
CREATE INDEX legal_entities_type ON legal_entities (entity_type, uscc);
CREATE INDEX legal_entities_industry ON legal_entities (industry_code, uscc);
CREATE INDEX legal_entities_division ON legal_entities (division_code, uscc);
CREATE INDEX legal_entities_established ON legal_entities (establishment_date, uscc);
CREATE INDEX legal_entities_name ON legal_entities (display_name, uscc);
CREATE INDEX legal_entities_updated ON legal_entities (update_time, uscc);

-- Name search: the n-gram terms of each entity's current name ('name') and
-- former names ('former').
CREATE TABLE legal_entity_terms (
    term  TEXT NOT NULL,
    uscc  TEXT NOT NULL REFERENCES legal_entities (uscc),
    field TEXT NOT NULL,
    PRIMARY KEY (term, uscc, field)
);
CREATE INDEX legal_entity_terms_uscc ON legal_entity_terms (uscc);
