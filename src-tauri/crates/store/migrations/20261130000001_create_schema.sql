-- The whole loop: ATS records, Willo interviews and participants, the link between them
-- (invitations), reviews, the outbox of side effects, the inbox of webhook deliveries, and the
-- activity log. Times are Unix milliseconds (UTC). Secrets are never stored here.

CREATE TABLE connections (
    id          INTEGER PRIMARY KEY,
    kind        TEXT NOT NULL CHECK (kind IN ('willo', 'greenhouse', 'lever')),
    label       TEXT NOT NULL,
    base_url    TEXT NOT NULL,
    -- Non-secret settings (auth scheme that worked, acting user, region, ...).
    settings    TEXT NOT NULL DEFAULT '{}',
    created_at  INTEGER NOT NULL,
    updated_at  INTEGER NOT NULL,
    UNIQUE (kind, base_url)
);

CREATE TABLE jobs (
    id             INTEGER PRIMARY KEY,
    connection_id  INTEGER NOT NULL REFERENCES connections (id) ON DELETE CASCADE,
    remote_id      TEXT NOT NULL,
    title          TEXT NOT NULL,
    department     TEXT,
    location       TEXT,
    status         TEXT NOT NULL,
    raw            TEXT NOT NULL,
    synced_at      INTEGER NOT NULL,
    UNIQUE (connection_id, remote_id)
);

CREATE TABLE stages (
    id             INTEGER PRIMARY KEY,
    connection_id  INTEGER NOT NULL REFERENCES connections (id) ON DELETE CASCADE,
    -- NULL for ATSs whose stages are account-wide (Lever).
    job_id         INTEGER REFERENCES jobs (id) ON DELETE CASCADE,
    remote_id      TEXT NOT NULL,
    name           TEXT NOT NULL,
    position       INTEGER NOT NULL,
    UNIQUE (connection_id, remote_id)
);

CREATE TABLE candidates (
    id             INTEGER PRIMARY KEY,
    connection_id  INTEGER NOT NULL REFERENCES connections (id) ON DELETE CASCADE,
    remote_id      TEXT NOT NULL,
    first_name     TEXT NOT NULL,
    last_name      TEXT NOT NULL,
    email          TEXT,
    phone          TEXT,
    raw            TEXT NOT NULL,
    synced_at      INTEGER NOT NULL,
    UNIQUE (connection_id, remote_id)
);
CREATE INDEX candidates_email ON candidates (email COLLATE NOCASE);

CREATE TABLE applications (
    id                INTEGER PRIMARY KEY,
    connection_id     INTEGER NOT NULL REFERENCES connections (id) ON DELETE CASCADE,
    remote_id         TEXT NOT NULL,
    candidate_id      INTEGER NOT NULL REFERENCES candidates (id) ON DELETE CASCADE,
    job_id            INTEGER NOT NULL REFERENCES jobs (id) ON DELETE CASCADE,
    stage_id          INTEGER REFERENCES stages (id) ON DELETE SET NULL,
    status            TEXT NOT NULL,
    -- When the application was first seen in its current stage: the trigger diff reads this.
    stage_entered_at  INTEGER NOT NULL,
    raw               TEXT NOT NULL,
    synced_at         INTEGER NOT NULL,
    UNIQUE (connection_id, remote_id)
);
CREATE INDEX applications_job_stage ON applications (job_id, stage_id);

CREATE TABLE interviews (
    id             INTEGER PRIMARY KEY,
    connection_id  INTEGER NOT NULL REFERENCES connections (id) ON DELETE CASCADE,
    key            TEXT NOT NULL,
    title          TEXT NOT NULL,
    department     TEXT,
    language       TEXT,
    questions      TEXT NOT NULL DEFAULT '[]',
    raw            TEXT NOT NULL,
    synced_at      INTEGER NOT NULL,
    UNIQUE (connection_id, key)
);

-- The link ATS application <-> Willo participant: the source of truth for "already invited".
CREATE TABLE invitations (
    id               INTEGER PRIMARY KEY,
    application_id   INTEGER NOT NULL REFERENCES applications (id) ON DELETE CASCADE,
    interview_id     INTEGER NOT NULL REFERENCES interviews (id) ON DELETE CASCADE,
    participant_key  TEXT UNIQUE,
    status           TEXT NOT NULL CHECK (status IN
                         ('refused', 'queued', 'invited', 'opened', 'started', 'completed', 'reviewed', 'synced', 'failed')),
    email            TEXT,
    phone            TEXT,
    refused_reason   TEXT,
    created_at       INTEGER NOT NULL,
    updated_at       INTEGER NOT NULL,
    UNIQUE (application_id, interview_id)
);
CREATE INDEX invitations_status ON invitations (status, updated_at);

CREATE TABLE invitation_events (
    id             INTEGER PRIMARY KEY,
    invitation_id  INTEGER NOT NULL REFERENCES invitations (id) ON DELETE CASCADE,
    status         TEXT NOT NULL,
    detail         TEXT,
    at             INTEGER NOT NULL
);
CREATE INDEX invitation_events_invitation ON invitation_events (invitation_id, at);

-- A Willo participant as last fetched; raw keeps every field, mapped or not.
CREATE TABLE participants (
    key            TEXT PRIMARY KEY,
    interview_key  TEXT NOT NULL,
    invitation_id  INTEGER REFERENCES invitations (id) ON DELETE SET NULL,
    status         TEXT NOT NULL,
    summary        TEXT,
    score          REAL,
    -- Bumped whenever the fetched content changes; write-back markers carry it.
    revision       INTEGER NOT NULL DEFAULT 1,
    raw            TEXT NOT NULL,
    fetched_at     INTEGER NOT NULL
);

CREATE TABLE responses (
    id               INTEGER PRIMARY KEY,
    participant_key  TEXT NOT NULL REFERENCES participants (key) ON DELETE CASCADE,
    question_key     TEXT NOT NULL,
    position         INTEGER NOT NULL,
    question_text    TEXT NOT NULL,
    kind             TEXT NOT NULL,
    media_url        TEXT,
    text_answer      TEXT,
    transcript       TEXT,
    -- JSON list of {start, end, text} where Willo gives timings.
    segments         TEXT,
    score            REAL,
    UNIQUE (participant_key, question_key)
);

CREATE TABLE reviews (
    id                INTEGER PRIMARY KEY,
    invitation_id     INTEGER NOT NULL UNIQUE REFERENCES invitations (id) ON DELETE CASCADE,
    decision          TEXT NOT NULL CHECK (decision IN ('approved', 'skipped')),
    rating            INTEGER CHECK (rating BETWEEN 1 AND 5),
    question_ratings  TEXT NOT NULL DEFAULT '{}',
    comment           TEXT,
    redactions        TEXT NOT NULL DEFAULT '[]',
    reviewed_at       INTEGER NOT NULL
);

-- Every side effect on Willo or an ATS. `key` makes enqueueing idempotent; a lease lets one
-- worker own a row at a time, and an expired lease returns it to the queue after a crash.
CREATE TABLE outbox (
    id               INTEGER PRIMARY KEY,
    kind             TEXT NOT NULL,
    key              TEXT NOT NULL UNIQUE,
    payload          TEXT NOT NULL,
    status           TEXT NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'done', 'failed')),
    attempts         INTEGER NOT NULL DEFAULT 0,
    next_attempt_at  INTEGER NOT NULL,
    lease_owner      TEXT,
    lease_until      INTEGER,
    last_error       TEXT,
    -- What the remote side returned (participant key, note id): proof the effect happened.
    result           TEXT,
    created_at       INTEGER NOT NULL,
    updated_at       INTEGER NOT NULL
);
CREATE INDEX outbox_due ON outbox (status, next_attempt_at);

-- Webhook deliveries, stored before they are acknowledged, deduplicated by `dedupe_key`.
CREATE TABLE inbox (
    id            INTEGER PRIMARY KEY,
    source        TEXT NOT NULL,
    event         TEXT NOT NULL,
    dedupe_key    TEXT NOT NULL UNIQUE,
    body          TEXT NOT NULL,
    received_at   INTEGER NOT NULL,
    processed_at  INTEGER,
    error         TEXT
);
CREATE INDEX inbox_unprocessed ON inbox (processed_at, received_at);

CREATE TABLE activity (
    id              INTEGER PRIMARY KEY,
    at              INTEGER NOT NULL,
    kind            TEXT NOT NULL,
    message         TEXT NOT NULL,
    invitation_id   INTEGER REFERENCES invitations (id) ON DELETE SET NULL,
    application_id  INTEGER REFERENCES applications (id) ON DELETE SET NULL
);
CREATE INDEX activity_at ON activity (at);
