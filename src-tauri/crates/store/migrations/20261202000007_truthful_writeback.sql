-- A recruiter cancelled the send of an invite that was already attempted: the worker looks for
-- what that attempt did before it withdraws it (1), instead of the cancel withdrawing it blind.
ALTER TABLE outbox ADD COLUMN withdraw_requested INTEGER NOT NULL DEFAULT 0;

-- What a recruiter cares about in a participant (status, answers, transcripts, summary, score),
-- as canonical JSON: the revision (and so a follow-up note) changes only when this does, not on
-- any byte of the raw JSON (a re-signed media URL). NULL until first fetched after this migration.
ALTER TABLE participants ADD COLUMN content TEXT;

-- Counts the reviews of an invitation that said something new (a rating, a comment, what to
-- withhold, approve or skip): a re-approval with a new review writes a new note.
ALTER TABLE reviews ADD COLUMN version INTEGER NOT NULL DEFAULT 1;
