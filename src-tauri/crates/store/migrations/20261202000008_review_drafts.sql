-- Review work a recruiter has started but not approved or skipped (ratings, comment, what to
-- withhold), one per interview, so leaving the review (J/K, another screen, a restart) loses
-- nothing. Deleted when the review is decided. `body` is the review as the app sent it (JSON).
CREATE TABLE review_drafts (
    invitation_id  INTEGER PRIMARY KEY REFERENCES invitations (id) ON DELETE CASCADE,
    body           TEXT NOT NULL,
    saved_at       INTEGER NOT NULL
);
