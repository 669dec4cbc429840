-- Per job: which Willo interview is sent when an application enters one of the trigger stages.
-- Only applications that entered a trigger stage at or after `enabled_at` are invited, so nobody
-- already waiting in the stage when the automation was switched on is invited by surprise.
CREATE TABLE automations (
    id                 INTEGER PRIMARY KEY,
    job_id             INTEGER NOT NULL UNIQUE REFERENCES jobs (id) ON DELETE CASCADE,
    interview_key      TEXT NOT NULL,
    -- JSON list of local stage ids.
    trigger_stage_ids  TEXT NOT NULL,
    review_required    INTEGER NOT NULL DEFAULT 1,
    move_to_stage_id   INTEGER REFERENCES stages (id) ON DELETE SET NULL,
    paused             INTEGER NOT NULL DEFAULT 0,
    enabled_at         INTEGER NOT NULL,
    created_at         INTEGER NOT NULL,
    updated_at         INTEGER NOT NULL
);

-- What was written to the ATS for an invitation, per target and participant revision, with the
-- ATS's id of it: the local half of making write-back idempotent.
CREATE TABLE writebacks (
    id             INTEGER PRIMARY KEY,
    invitation_id  INTEGER NOT NULL REFERENCES invitations (id) ON DELETE CASCADE,
    -- note | field:<name> | move
    target         TEXT NOT NULL,
    revision       INTEGER NOT NULL,
    remote_id      TEXT,
    written_at     INTEGER NOT NULL,
    UNIQUE (invitation_id, target, revision)
);
