-- The catch-up reconcile visits open invitations least recently checked first, so that a small
-- request budget per run still reaches every invitation in turn.
ALTER TABLE invitations ADD COLUMN checked_at INTEGER;
CREATE INDEX invitations_open_by_check ON invitations (status, checked_at, created_at);
