-- Every version of every building (services/kit/temporal): the full record
-- is the JSON document in doc; the columns after it are copies of the
-- fields that filters, ordering, aggregation and the spatial scan need,
-- taken from doc by the store on every insert. Rows are never changed
-- except to close them in record time (known_to, seq_to).
CREATE TABLE buildings (
    id                     TEXT NOT NULL,
    version                INTEGER NOT NULL,
    valid_from             TEXT NOT NULL,
    valid_to               TEXT NOT NULL,
    known_from             TEXT NOT NULL,
    known_to               TEXT NOT NULL,
    seq_from               INTEGER NOT NULL,
    seq_to                 INTEGER NOT NULL,
    action                 TEXT NOT NULL,
    deleted                INTEGER NOT NULL,
    doc                    TEXT NOT NULL,
    display_name           TEXT NOT NULL,
    search_name            TEXT NOT NULL,
    address                TEXT NOT NULL,
    division_code          TEXT NOT NULL,
    building_use           TEXT NOT NULL,
    status                 TEXT NOT NULL,
    structure_type         TEXT NOT NULL,
    safety_rating          TEXT NOT NULL,
    floors_above           INTEGER NOT NULL,
    floors_below           INTEGER NOT NULL,
    height_m               REAL NOT NULL,
    floor_area_m2          REAL NOT NULL,
    -- hundredths of a square metre, so that sums are exact on both dialects
    floor_area_centi       INTEGER NOT NULL,
    year_built             INTEGER NOT NULL,
    status_date            TEXT NOT NULL,
    safety_assessment_date TEXT NOT NULL,
    update_time            TEXT NOT NULL,
    -- the footprint's bounding box: what a query at a past moment scans
    min_lon                REAL NOT NULL,
    min_lat                REAL NOT NULL,
    max_lon                REAL NOT NULL,
    max_lat                REAL NOT NULL,
    -- '|persons/…|legalEntities/…|': owner queries at a past moment
    owners                 TEXT NOT NULL,
    -- names the version's set of search terms (services/kit/temporal)
    terms_key              TEXT NOT NULL,
    PRIMARY KEY (id, version)
);
-- The current rows (valid now, known now) are what reads see by default;
-- partial indexes keep those reads as fast as a table without history.
CREATE INDEX buildings_current ON buildings (id)
    WHERE known_to = '9999-12-31T23:59:59.999999Z' AND valid_to = '9999-12-31T23:59:59.999999Z';
CREATE INDEX buildings_use ON buildings (building_use, id)
    WHERE known_to = '9999-12-31T23:59:59.999999Z' AND valid_to = '9999-12-31T23:59:59.999999Z';
CREATE INDEX buildings_rating ON buildings (safety_rating, id)
    WHERE known_to = '9999-12-31T23:59:59.999999Z' AND valid_to = '9999-12-31T23:59:59.999999Z';
CREATE INDEX buildings_status ON buildings (status, id)
    WHERE known_to = '9999-12-31T23:59:59.999999Z' AND valid_to = '9999-12-31T23:59:59.999999Z';
CREATE INDEX buildings_division ON buildings (division_code, id)
    WHERE known_to = '9999-12-31T23:59:59.999999Z' AND valid_to = '9999-12-31T23:59:59.999999Z';
CREATE INDEX buildings_address ON buildings (address, id)
    WHERE known_to = '9999-12-31T23:59:59.999999Z' AND valid_to = '9999-12-31T23:59:59.999999Z';
CREATE INDEX buildings_name ON buildings (display_name, id)
    WHERE known_to = '9999-12-31T23:59:59.999999Z' AND valid_to = '9999-12-31T23:59:59.999999Z';
CREATE INDEX buildings_year ON buildings (year_built, id)
    WHERE known_to = '9999-12-31T23:59:59.999999Z' AND valid_to = '9999-12-31T23:59:59.999999Z';
CREATE INDEX buildings_updated ON buildings (update_time, id)
    WHERE known_to = '9999-12-31T23:59:59.999999Z' AND valid_to = '9999-12-31T23:59:59.999999Z';

-- Name search: the n-gram terms of every name a building has had, shared
-- by the versions with that name (terms_key), so that a search at a past
-- point finds the name then and a write that changes no name writes no
-- terms.
CREATE TABLE building_terms (
    term      TEXT NOT NULL,
    id        TEXT NOT NULL,
    terms_key TEXT NOT NULL,
    field     TEXT NOT NULL,
    PRIMARY KEY (term, id, terms_key, field)
);
CREATE INDEX building_terms_set ON building_terms (id, terms_key);

-- The owners of each building's current version, for owner queries.
CREATE TABLE building_owners (
    owner TEXT NOT NULL,
    id    TEXT NOT NULL,
    PRIMARY KEY (owner, id)
);
CREATE INDEX building_owners_id ON building_owners (id);

-- The spatial index: the bounding box of each building's current
-- footprint in an R*Tree, whose ids are integers; building_spatial_ids
-- maps them to building ids, stable for a building's life.
CREATE TABLE building_spatial_ids (
    rid INTEGER PRIMARY KEY,
    id  TEXT NOT NULL UNIQUE
);
CREATE VIRTUAL TABLE building_rtree USING rtree(rid, min_lon, max_lon, min_lat, max_lat);
