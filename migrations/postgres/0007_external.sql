-- Calendars whose data comes from elsewhere, and calendars published at a
-- secret URL.

-- Where a calendar's data comes from: '' for a calendar its users write,
-- 'ics' for a subscription to a published iCalendar feed, 'caldav' for a
-- mirror of a collection on another CalDAV server. A calendar with a source
-- is read-only to its users; only its refresh writes to it.
ALTER TABLE calendars ADD COLUMN source TEXT NOT NULL DEFAULT '';

-- A calendar published read-only at /ical/{token}.ics. Only a digest of
-- the token is searchable; the token itself is kept sealed (AES-GCM with
-- the server's secret key) so that its owner can be shown the URL again.
CREATE TABLE publications (
    calendar_id BIGINT PRIMARY KEY REFERENCES calendars(id) ON DELETE CASCADE,
    digest      TEXT   NOT NULL UNIQUE,
    token       BYTEA  NOT NULL,
    -- busy, titles or full
    level       TEXT   NOT NULL,
    created_at  BIGINT NOT NULL,
    updated_at  BIGINT NOT NULL
);

-- The remote end of a calendar with a source and the state of its
-- refreshes. Workers on any node lease due rows, as they do outbox rows.
CREATE TABLE calendar_sources (
    calendar_id     BIGINT  PRIMARY KEY REFERENCES calendars(id) ON DELETE CASCADE,
    kind            TEXT    NOT NULL,
    url             TEXT    NOT NULL,
    username        TEXT    NOT NULL DEFAULT '',
    -- The password sealed with the server's secret key; empty: none.
    secret          BYTEA   NOT NULL DEFAULT '',
    refresh_every   BIGINT  NOT NULL,
    -- Validators of the last feed fetched (RFC 9110 §8.8), sent back in
    -- conditional requests.
    etag            TEXT    NOT NULL DEFAULT '',
    last_modified   TEXT    NOT NULL DEFAULT '',
    -- CalDAV: the sync token of the last sync-collection (RFC 6578), and
    -- whether the server answers that report at all.
    sync_token      TEXT    NOT NULL DEFAULT '',
    sync_supported  BOOLEAN NOT NULL DEFAULT TRUE,
    failures        INTEGER NOT NULL DEFAULT 0,
    last_error      TEXT    NOT NULL DEFAULT '',
    last_attempt_at BIGINT  NOT NULL DEFAULT 0,
    last_success_at BIGINT  NOT NULL DEFAULT 0,
    next_attempt_at BIGINT  NOT NULL DEFAULT 0,
    leased_until    BIGINT  NOT NULL DEFAULT 0,
    created_at      BIGINT  NOT NULL,
    updated_at      BIGINT  NOT NULL
);
CREATE INDEX calendar_sources_due ON calendar_sources (next_attempt_at);

-- The resources of a mirrored CalDAV collection: the local resource that
-- holds each remote one, and the remote ETag it had when it was fetched.
CREATE TABLE mirror_items (
    calendar_id BIGINT NOT NULL REFERENCES calendars(id) ON DELETE CASCADE,
    href        TEXT   NOT NULL,
    name        TEXT   NOT NULL,
    etag        TEXT   NOT NULL,
    PRIMARY KEY (calendar_id, href)
);
