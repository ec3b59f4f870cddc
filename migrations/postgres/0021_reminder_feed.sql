-- Reminders handed to the users' open clients, kept a day: a stream that
-- reconnects with Last-Event-ID (GET /api/v1/stream) is given those that
-- went out while it was away, whichever node delivered them. A stream's
-- position is the last id it sent.
CREATE TABLE reminder_feed (
    id           BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    user_id      BIGINT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    -- The delivery's idempotency key: a delivery tried twice is kept once.
    delivery_key TEXT   NOT NULL UNIQUE,
    -- The reminder as the stream sends it (JSON).
    payload      TEXT   NOT NULL,
    created_at   BIGINT NOT NULL
);
CREATE INDEX reminder_feed_user ON reminder_feed (user_id, id);
CREATE INDEX reminder_feed_created ON reminder_feed (created_at);
