-- Candidates' data rights: an invitation whose data was deleted at the candidate's request stays
-- as an 'erased' row (no contact details, no results) so that nothing invites them again; what
-- each automation's note carries; when an application left the ATS's active list (retention
-- counts from there); and the audit of every deletion, which names no person.
--
-- SQLite cannot change a CHECK constraint in place, so `invitations` is rebuilt: a new table,
-- the rows copied, the old one dropped and the new one named as it was. The other tables'
-- references name `invitations` and so point at the new table. This relies on migrations running
-- with foreign keys off (see `Store::open`): with them on, dropping the old table would delete
-- every row that references it.
CREATE TABLE invitations_rebuilt (
    id               INTEGER PRIMARY KEY,
    application_id   INTEGER NOT NULL REFERENCES applications (id) ON DELETE CASCADE,
    interview_id     INTEGER NOT NULL REFERENCES interviews (id) ON DELETE CASCADE,
    participant_key  TEXT UNIQUE,
    status           TEXT NOT NULL CHECK (status IN
                         ('refused', 'queued', 'invited', 'opened', 'started', 'completed', 'reviewed', 'synced',
                          'failed', 'erased')),
    email            TEXT,
    phone            TEXT,
    refused_reason   TEXT,
    created_at       INTEGER NOT NULL,
    updated_at       INTEGER NOT NULL,
    checked_at       INTEGER,
    UNIQUE (application_id, interview_id)
);
INSERT INTO invitations_rebuilt (id, application_id, interview_id, participant_key, status, email, phone,
                                 refused_reason, created_at, updated_at, checked_at)
    SELECT id, application_id, interview_id, participant_key, status, email, phone,
           refused_reason, created_at, updated_at, checked_at
    FROM invitations;
DROP TABLE invitations;
ALTER TABLE invitations_rebuilt RENAME TO invitations;

CREATE INDEX invitations_status ON invitations (status, updated_at);
CREATE INDEX invitations_open_by_check ON invitations (status, checked_at, created_at);
CREATE INDEX invitations_application ON invitations (application_id, id);
CREATE TRIGGER invitations_latest_on_insert AFTER INSERT ON invitations BEGIN
    UPDATE applications SET invitation_id = NEW.id, invitation_status = NEW.status
    WHERE id = NEW.application_id AND (invitation_id IS NULL OR invitation_id <= NEW.id);
END;
CREATE TRIGGER invitations_latest_on_status AFTER UPDATE OF status ON invitations BEGIN
    UPDATE applications SET invitation_status = NEW.status
    WHERE id = NEW.application_id AND invitation_id = NEW.id;
END;

-- 'everything' (answers and transcripts) or 'summary_and_links' (no transcript or answer text).
ALTER TABLE automations ADD COLUMN note_content TEXT NOT NULL DEFAULT 'everything'
    CHECK (note_content IN ('everything', 'summary_and_links'));

-- Set when a full read of the ATS no longer lists the application as active; cleared if it returns.
ALTER TABLE applications ADD COLUMN closed_at INTEGER;

-- Set when a candidate's name or email changes (an ATS anonymising them, say): the next sync
-- then rebuilds the search index, so that no word of the old ones stays in its segments.
CREATE TABLE search_stale (id INTEGER PRIMARY KEY CHECK (id = 1));
DROP TRIGGER candidates_search_on_update;
CREATE TRIGGER candidates_search_on_update AFTER UPDATE OF first_name, last_name, email ON candidates
WHEN OLD.first_name IS NOT NEW.first_name OR OLD.last_name IS NOT NEW.last_name OR OLD.email IS NOT NEW.email
BEGIN
    DELETE FROM application_search
        WHERE rowid IN (SELECT id FROM applications WHERE candidate_id = NEW.id);
    INSERT INTO application_search (rowid, name, email)
        SELECT a.id, NEW.first_name || ' ' || NEW.last_name, COALESCE(NEW.email, '')
        FROM applications a WHERE a.candidate_id = NEW.id;
    INSERT OR IGNORE INTO search_stale (id) VALUES (1);
END;

CREATE TABLE erasures (
    id               INTEGER PRIMARY KEY,
    application_id   INTEGER REFERENCES applications (id) ON DELETE SET NULL,
    -- The ATS's ids of the application and candidate: enough to follow up, naming no one.
    ats_application  TEXT NOT NULL,
    ats_candidate    TEXT NOT NULL,
    requested_by     TEXT NOT NULL,
    requested_at     INTEGER NOT NULL,
    status           TEXT NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'done')),
    -- What was deleted where and what could not be (JSON of ids and outcomes).
    report           TEXT,
    finished_at      INTEGER
);
CREATE INDEX erasures_application ON erasures (application_id, id);

-- Willo participants whose data was removed here: a later webhook or read of one (Willo may
-- still have it) stores nothing. Keys are Willo's ids and name no one.
CREATE TABLE erased_participants (
    key        TEXT PRIMARY KEY,
    erased_at  INTEGER NOT NULL
);

-- The files this app exported, so that a candidate's deletion removes exactly those that hold
-- them: their access-request exports (by application), and activity exports (read for them).
CREATE TABLE exports (
    id              INTEGER PRIMARY KEY,
    path            TEXT NOT NULL UNIQUE,
    kind            TEXT NOT NULL CHECK (kind IN ('candidate', 'activity')),
    application_id  INTEGER REFERENCES applications (id) ON DELETE SET NULL,
    created_at      INTEGER NOT NULL
);
