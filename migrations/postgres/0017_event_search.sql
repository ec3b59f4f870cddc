-- Search over the text of events (GET /api/v1/events?q=): each object's
-- title, location, description and people, written with the object by
-- the store (calendar.SearchText: lower case, without accents, words
-- separated by spaces), and the span of its instances, by which results
-- are ordered. Rows go with their objects (ON DELETE CASCADE).
CREATE TABLE object_text (
    object_id   BIGINT PRIMARY KEY REFERENCES objects(id) ON DELETE CASCADE,
    calendar_id BIGINT NOT NULL,
    -- µs: the first instance's start, and the last one's end (the largest
    -- bigint for a series without end).
    first_start BIGINT NOT NULL,
    last_end    BIGINT NOT NULL,
    body        TEXT   NOT NULL,
    -- The words, for the GIN index: prefix queries ('pla':*) are index
    -- lookups, and a recheck reads this column instead of parsing body
    -- again. The 'simple' configuration keeps every word as it is (no
    -- stemming, no stop words): the text is already normalised.
    words       TSVECTOR GENERATED ALWAYS AS (to_tsvector('simple', body)) STORED
);
CREATE INDEX object_text_words ON object_text USING gin (words);
-- A search matching many events reads a calendar's events in time order
-- and keeps those that match, stopping when it has enough; the planner
-- chooses between the two indexes from the words' statistics.
CREATE INDEX object_text_time ON object_text (calendar_id, last_end) INCLUDE (first_start);
