-- The change feed of a registry's database: one row per committed change,
-- numbered without gaps by feed_head, which every write transaction
-- increments first (so sequence order is commit order).
CREATE TABLE feed_head (
    id            INTEGER PRIMARY KEY,
    last_sequence INTEGER NOT NULL
);
INSERT INTO feed_head (id, last_sequence) VALUES (1, 0);

CREATE TABLE changes (
    sequence   INTEGER PRIMARY KEY,
    collection TEXT NOT NULL,
    record_key TEXT NOT NULL,
    action     TEXT NOT NULL,
    version    INTEGER NOT NULL,
    valid_from TEXT NOT NULL,
    valid_to   TEXT NOT NULL,
    known_at   TEXT NOT NULL,
    deleted    INTEGER NOT NULL,
    doc        TEXT NOT NULL
);
CREATE INDEX changes_record ON changes (collection, record_key, sequence);

-- Identifier changes: reading old_key follows to new_key.
CREATE TABLE redirects (
    collection TEXT NOT NULL,
    old_key    TEXT NOT NULL,
    new_key    TEXT NOT NULL,
    sequence   INTEGER NOT NULL,
    valid_from TEXT NOT NULL,
    PRIMARY KEY (collection, old_key)
);
