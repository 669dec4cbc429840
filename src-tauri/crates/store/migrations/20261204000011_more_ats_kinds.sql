-- Ashby and Workable join Greenhouse and Lever as ATSs a connection can be.
--
-- SQLite cannot change a CHECK constraint in place, so `connections` is rebuilt as
-- `invitations` was (see 20261203000010): a new table, the rows copied, the old one dropped and
-- the new one named as it was, so every other table's reference to `connections` points at it.
-- Migrations run with foreign keys off (see `Store::open`), so dropping the old table deletes no
-- row that references it.
CREATE TABLE connections_rebuilt (
    id          INTEGER PRIMARY KEY,
    kind        TEXT NOT NULL CHECK (kind IN ('willo', 'greenhouse', 'lever', 'ashby', 'workable')),
    label       TEXT NOT NULL,
    base_url    TEXT NOT NULL,
    -- Non-secret settings (auth scheme that worked, acting user, region, ...).
    settings    TEXT NOT NULL DEFAULT '{}',
    created_at  INTEGER NOT NULL,
    updated_at  INTEGER NOT NULL,
    UNIQUE (kind, base_url)
);
INSERT INTO connections_rebuilt (id, kind, label, base_url, settings, created_at, updated_at)
    SELECT id, kind, label, base_url, settings, created_at, updated_at FROM connections;
DROP TABLE connections;
ALTER TABLE connections_rebuilt RENAME TO connections;
