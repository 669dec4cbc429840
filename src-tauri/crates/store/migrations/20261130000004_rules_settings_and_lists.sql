-- How an automation picks its interview (a direct choice, one created from a Willo template, or
-- rules on the job's fields), as JSON the engine reads; `interview_key` stays the interview the
-- choice resolved to, which the trigger query uses.
ALTER TABLE automations ADD COLUMN interview_choice TEXT NOT NULL DEFAULT '{"kind":"interview"}';
-- Move the candidate on only when Willo's score reaches this (NULL: move whatever the score).
ALTER TABLE automations ADD COLUMN move_min_score REAL;

-- The app's settings (intervals, receiver, notifications per kind, ...), one JSON value per key.
CREATE TABLE settings (
    key         TEXT PRIMARY KEY,
    value       TEXT NOT NULL,
    updated_at  INTEGER NOT NULL
);

-- The timeline and the activity screen read by invitation and application.
CREATE INDEX activity_invitation ON activity (invitation_id, at);
CREATE INDEX activity_application ON activity (application_id, at);
CREATE INDEX invitations_application ON invitations (application_id, id);
CREATE INDEX outbox_failed ON outbox (status, updated_at) WHERE status = 'failed';
