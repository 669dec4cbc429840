-- When a draft was saved is never read: a draft is only shown again, never dated.
ALTER TABLE review_drafts DROP COLUMN saved_at;
