-- Search as you type indexes applications, not candidates: the index's rowid is the
-- application's id, so a search walks the matches newest first straight out of the index and
-- stops at the page's end, instead of joining and sorting every match (0.4 ms rather than 7 ms
-- for a page of 6,000 matches at 100,000 rows). The index keeps its own copy of the name and email.
DROP TRIGGER candidates_search_on_insert;
DROP TRIGGER candidates_search_on_delete;
DROP TRIGGER candidates_search_on_update;
DROP TABLE candidate_search;

CREATE VIRTUAL TABLE application_search USING fts5(
    name, email,
    tokenize = 'unicode61 remove_diacritics 2', prefix = '1 2 3'
);
INSERT INTO application_search (rowid, name, email)
    SELECT a.id, c.first_name || ' ' || c.last_name, COALESCE(c.email, '')
    FROM applications a JOIN candidates c ON c.id = a.candidate_id;

CREATE TRIGGER applications_search_on_insert AFTER INSERT ON applications BEGIN
    INSERT INTO application_search (rowid, name, email)
        SELECT NEW.id, c.first_name || ' ' || c.last_name, COALESCE(c.email, '')
        FROM candidates c WHERE c.id = NEW.candidate_id;
END;
-- Also fires for applications deleted with their candidate (ON DELETE CASCADE).
CREATE TRIGGER applications_search_on_delete AFTER DELETE ON applications BEGIN
    DELETE FROM application_search WHERE rowid = OLD.id;
END;
CREATE TRIGGER applications_search_on_candidate AFTER UPDATE OF candidate_id ON applications
WHEN OLD.candidate_id IS NOT NEW.candidate_id
BEGIN
    DELETE FROM application_search WHERE rowid = OLD.id;
    INSERT INTO application_search (rowid, name, email)
        SELECT NEW.id, c.first_name || ' ' || c.last_name, COALESCE(c.email, '')
        FROM candidates c WHERE c.id = NEW.candidate_id;
END;
-- A sync writes every candidate again; only a real change touches the index.
CREATE TRIGGER candidates_search_on_update AFTER UPDATE OF first_name, last_name, email ON candidates
WHEN OLD.first_name IS NOT NEW.first_name OR OLD.last_name IS NOT NEW.last_name OR OLD.email IS NOT NEW.email
BEGIN
    DELETE FROM application_search
        WHERE rowid IN (SELECT id FROM applications WHERE candidate_id = NEW.id);
    INSERT INTO application_search (rowid, name, email)
        SELECT a.id, NEW.first_name || ' ' || NEW.last_name, COALESCE(NEW.email, '')
        FROM applications a WHERE a.candidate_id = NEW.id;
END;
