-- The candidate list at 100,000 rows: each application carries its latest invitation (kept by
-- triggers, so no code path can forget it), and candidates have a full-text index for search as
-- you type (prefixes of any word of the name or email, accents folded).
ALTER TABLE applications ADD COLUMN invitation_id INTEGER;
ALTER TABLE applications ADD COLUMN invitation_status TEXT NOT NULL DEFAULT 'not_sent';
UPDATE applications SET invitation_id = (SELECT MAX(i.id) FROM invitations i WHERE i.application_id = applications.id);
UPDATE applications SET invitation_status = COALESCE((SELECT i.status FROM invitations i WHERE i.id = applications.invitation_id), 'not_sent');
CREATE INDEX applications_list ON applications (connection_id, id);
CREATE INDEX applications_list_status ON applications (connection_id, invitation_status, id);

CREATE TRIGGER invitations_latest_on_insert AFTER INSERT ON invitations BEGIN
    UPDATE applications SET invitation_id = NEW.id, invitation_status = NEW.status
    WHERE id = NEW.application_id AND (invitation_id IS NULL OR invitation_id <= NEW.id);
END;
CREATE TRIGGER invitations_latest_on_status AFTER UPDATE OF status ON invitations BEGIN
    UPDATE applications SET invitation_status = NEW.status
    WHERE id = NEW.application_id AND invitation_id = NEW.id;
END;

CREATE VIRTUAL TABLE candidate_search USING fts5(
    name, email,
    content = 'candidates', content_rowid = 'id',
    tokenize = 'unicode61 remove_diacritics 2', prefix = '1 2 3'
);
INSERT INTO candidate_search (rowid, name, email)
    SELECT id, first_name || ' ' || last_name, COALESCE(email, '') FROM candidates;
CREATE TRIGGER candidates_search_on_insert AFTER INSERT ON candidates BEGIN
    INSERT INTO candidate_search (rowid, name, email)
    VALUES (NEW.id, NEW.first_name || ' ' || NEW.last_name, COALESCE(NEW.email, ''));
END;
CREATE TRIGGER candidates_search_on_delete AFTER DELETE ON candidates BEGIN
    INSERT INTO candidate_search (candidate_search, rowid, name, email)
    VALUES ('delete', OLD.id, OLD.first_name || ' ' || OLD.last_name, COALESCE(OLD.email, ''));
END;
-- A sync writes every candidate again; only a real change touches the index.
CREATE TRIGGER candidates_search_on_update AFTER UPDATE OF first_name, last_name, email ON candidates
WHEN OLD.first_name IS NOT NEW.first_name OR OLD.last_name IS NOT NEW.last_name OR OLD.email IS NOT NEW.email
BEGIN
    INSERT INTO candidate_search (candidate_search, rowid, name, email)
    VALUES ('delete', OLD.id, OLD.first_name || ' ' || OLD.last_name, COALESCE(OLD.email, ''));
    INSERT INTO candidate_search (rowid, name, email)
    VALUES (NEW.id, NEW.first_name || ' ' || NEW.last_name, COALESCE(NEW.email, ''));
END;

-- Search starts from the matching candidates and finds their applications.
CREATE INDEX applications_candidate ON applications (candidate_id);
