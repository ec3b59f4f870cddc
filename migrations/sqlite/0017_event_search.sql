-- Search over the text of events (GET /api/v1/events?q=): each object's
-- title, location, description and people, written with the object by
-- the store (calendar.SearchText: lower case, without accents, words
-- separated by spaces), and the span of its instances, by which results
-- are ordered. The FTS5 index reads its text from this table and follows
-- it through the triggers; rows go with their objects (ON DELETE CASCADE).
-- The small columns come first: a row's text may spill to overflow pages,
-- which reading them then never touches.
CREATE TABLE object_text (
    object_id   INTEGER PRIMARY KEY REFERENCES objects(id) ON DELETE CASCADE,
    calendar_id INTEGER NOT NULL,
    -- µs: the first instance's start, and the last one's end (the largest
    -- INTEGER for a series without end).
    first_start INTEGER NOT NULL,
    last_end    INTEGER NOT NULL,
    body        TEXT    NOT NULL
);
-- A search matching many events reads a calendar's events in time order
-- and keeps those that match, stopping when it has enough.
CREATE INDEX object_text_time ON object_text (calendar_id, last_end, first_start);
-- Word prefixes of two and three letters are indexed too, so that a
-- search as the user types ("pl", "pla") stays an index lookup.
CREATE VIRTUAL TABLE object_text_fts USING fts5(body, content='object_text', content_rowid='object_id',
    tokenize='unicode61 remove_diacritics 0', prefix='2 3');
CREATE TRIGGER object_text_ai AFTER INSERT ON object_text BEGIN
    INSERT INTO object_text_fts (rowid, body) VALUES (new.object_id, new.body);
END;
CREATE TRIGGER object_text_ad AFTER DELETE ON object_text BEGIN
    INSERT INTO object_text_fts (object_text_fts, rowid, body) VALUES ('delete', old.object_id, old.body);
END;
CREATE TRIGGER object_text_au AFTER UPDATE OF body ON object_text BEGIN
    INSERT INTO object_text_fts (object_text_fts, rowid, body) VALUES ('delete', old.object_id, old.body);
    INSERT INTO object_text_fts (rowid, body) VALUES (new.object_id, new.body);
END;
