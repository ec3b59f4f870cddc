-- Reminders handed to the users' open clients, kept a day: a stream that
-- reconnects with Last-Event-ID (GET /api/v1/stream) is given those that
-- went out while it was away, whichever node delivered them. Ids only
-- grow (AUTOINCREMENT: never reused after a purge), so a stream's
-- position is the last id it sent.
CREATE TABLE reminder_feed (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    user_id      INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    -- The delivery's idempotency key: a delivery tried twice is kept once.
    delivery_key TEXT    NOT NULL UNIQUE,
    -- The reminder as the stream sends it (JSON).
    payload      TEXT    NOT NULL,
    created_at   INTEGER NOT NULL
);
CREATE INDEX reminder_feed_user ON reminder_feed (user_id, id);
CREATE INDEX reminder_feed_created ON reminder_feed (created_at);
