-- Durable side effects (DESIGN.md §7): e-mail, webhooks and pushes are
-- recorded here in the transaction that causes them and delivered by
-- workers, at least once, with retries and a dead letter.
CREATE TABLE outbox (
    id              BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    kind            TEXT   NOT NULL,
    -- One delivery per key, whoever enqueues it and however often.
    idempotency_key TEXT   NOT NULL UNIQUE,
    payload         BYTEA  NOT NULL,
    -- pending, done or dead
    status          TEXT   NOT NULL DEFAULT 'pending',
    attempts        INTEGER NOT NULL DEFAULT 0,
    due_at          BIGINT NOT NULL,
    next_attempt_at BIGINT NOT NULL,
    leased_until    BIGINT NOT NULL DEFAULT 0,
    last_error      TEXT   NOT NULL DEFAULT '',
    -- What the delivery is about (e.g. an object's public id), for
    -- reporting its state back to the user.
    ref             TEXT   NOT NULL DEFAULT '',
    created_at      BIGINT NOT NULL,
    updated_at      BIGINT NOT NULL
);
CREATE INDEX outbox_pending ON outbox (next_attempt_at) WHERE status = 'pending';
CREATE INDEX outbox_ref ON outbox (ref) WHERE ref <> '';
