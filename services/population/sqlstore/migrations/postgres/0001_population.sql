-- Every version of every person (services/kit/temporal): the full record is
-- the JSON document in doc; the columns after it are copies of the fields
-- that filters, ordering, search and the registry's integrity checks need,
-- taken from doc by the store on every insert. Rows are never changed except
-- to close them in record time (known_to, seq_to). Reference columns
-- (household, the addresses) hold resource names.
CREATE TABLE persons (
    id_number          TEXT NOT NULL,
    version            BIGINT NOT NULL,
    valid_from         TEXT NOT NULL,
    valid_to           TEXT NOT NULL,
    known_from         TEXT NOT NULL,
    known_to           TEXT NOT NULL,
    seq_from           BIGINT NOT NULL,
    seq_to             BIGINT NOT NULL,
    action             TEXT NOT NULL,
    deleted            BIGINT NOT NULL,
    doc                TEXT NOT NULL,
    display_name       TEXT NOT NULL,
    search_name        TEXT NOT NULL,
    sex                TEXT NOT NULL,
    birth_date         TEXT NOT NULL,
    ethnicity          TEXT NOT NULL,
    household          TEXT NOT NULL,
    relation           TEXT NOT NULL,
    relation_code      TEXT NOT NULL,
    registered_address TEXT NOT NULL,
    residence_address  TEXT NOT NULL,
    education          TEXT NOT NULL,
    marital_status     TEXT NOT NULL,
    status             TEXT NOT NULL,
    update_time        TEXT NOT NULL,
    terms_key          TEXT NOT NULL,
    PRIMARY KEY (id_number, version)
);
-- The current rows (valid now, known now) are what List reads by default;
-- partial indexes keep those reads as fast as a table without history.
CREATE INDEX persons_current ON persons (id_number)
    WHERE known_to = '9999-12-31T23:59:59.999999Z' AND valid_to = '9999-12-31T23:59:59.999999Z';
-- Members of a household, head first (relation_code 02 sorts first).
CREATE INDEX persons_household ON persons (household, relation_code, id_number)
    WHERE known_to = '9999-12-31T23:59:59.999999Z' AND valid_to = '9999-12-31T23:59:59.999999Z';
CREATE INDEX persons_registered_address ON persons (registered_address, id_number)
    WHERE known_to = '9999-12-31T23:59:59.999999Z' AND valid_to = '9999-12-31T23:59:59.999999Z';
CREATE INDEX persons_residence_address ON persons (residence_address, id_number)
    WHERE known_to = '9999-12-31T23:59:59.999999Z' AND valid_to = '9999-12-31T23:59:59.999999Z';
CREATE INDEX persons_birth_date ON persons (birth_date, id_number)
    WHERE known_to = '9999-12-31T23:59:59.999999Z' AND valid_to = '9999-12-31T23:59:59.999999Z';
CREATE INDEX persons_name ON persons (display_name, id_number)
    WHERE known_to = '9999-12-31T23:59:59.999999Z' AND valid_to = '9999-12-31T23:59:59.999999Z';
CREATE INDEX persons_status ON persons (status, id_number)
    WHERE known_to = '9999-12-31T23:59:59.999999Z' AND valid_to = '9999-12-31T23:59:59.999999Z';
CREATE INDEX persons_updated ON persons (update_time, id_number)
    WHERE known_to = '9999-12-31T23:59:59.999999Z' AND valid_to = '9999-12-31T23:59:59.999999Z';

-- Name search: the n-gram terms of every set of names ('name': the name,
-- 'former': former names) a person has had, shared by the versions with
-- that set (terms_key), so that a search at a past point finds the names
-- then and a write that changes no name writes no terms.
CREATE TABLE person_terms (
    term      TEXT NOT NULL,
    id_number TEXT NOT NULL,
    terms_key TEXT NOT NULL,
    field     TEXT NOT NULL,
    PRIMARY KEY (term, id_number, terms_key, field)
);
CREATE INDEX person_terms_set ON person_terms (id_number, terms_key);

-- Every version of every household. Its members and head are not stored
-- here: they are the persons whose household column names it.
CREATE TABLE households (
    household_id       TEXT NOT NULL,
    version            BIGINT NOT NULL,
    valid_from         TEXT NOT NULL,
    valid_to           TEXT NOT NULL,
    known_from         TEXT NOT NULL,
    known_to           TEXT NOT NULL,
    seq_from           BIGINT NOT NULL,
    seq_to             BIGINT NOT NULL,
    action             TEXT NOT NULL,
    deleted            BIGINT NOT NULL,
    doc                TEXT NOT NULL,
    household_number   TEXT NOT NULL,
    household_type     TEXT NOT NULL,
    registered_address TEXT NOT NULL,
    update_time        TEXT NOT NULL,
    PRIMARY KEY (household_id, version)
);
CREATE INDEX households_current ON households (household_id)
    WHERE known_to = '9999-12-31T23:59:59.999999Z' AND valid_to = '9999-12-31T23:59:59.999999Z';
CREATE INDEX households_number ON households (household_number, household_id)
    WHERE known_to = '9999-12-31T23:59:59.999999Z' AND valid_to = '9999-12-31T23:59:59.999999Z';
CREATE INDEX households_registered_address ON households (registered_address, household_id)
    WHERE known_to = '9999-12-31T23:59:59.999999Z' AND valid_to = '9999-12-31T23:59:59.999999Z';
CREATE INDEX households_updated ON households (update_time, household_id)
    WHERE known_to = '9999-12-31T23:59:59.999999Z' AND valid_to = '9999-12-31T23:59:59.999999Z';
