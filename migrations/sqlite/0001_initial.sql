-- Times are microseconds since the Unix epoch (UTC), as in the PostgreSQL
-- schema, so that one set of queries serves both dialects. Booleans are 0/1.

CREATE TABLE users (
    id            INTEGER PRIMARY KEY,
    uuid          TEXT    NOT NULL UNIQUE,
    name          TEXT    NOT NULL UNIQUE,
    email         TEXT    NOT NULL UNIQUE,
    display_name  TEXT    NOT NULL DEFAULT '',
    password_hash TEXT    NOT NULL DEFAULT '',
    time_zone     TEXT    NOT NULL DEFAULT 'UTC',
    week_start    INTEGER NOT NULL DEFAULT 1,
    created_at    INTEGER  NOT NULL,
    updated_at    INTEGER  NOT NULL
);

-- Server-generated secrets for CalDAV clients (HTTP Basic). They carry 128
-- bits of entropy, so a SHA-256 digest is enough to store them safely and
-- lets every request be checked with one index lookup.
CREATE TABLE app_passwords (
    id           INTEGER PRIMARY KEY,
    user_id      INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    name         TEXT   NOT NULL,
    digest       TEXT   NOT NULL UNIQUE,
    created_at   INTEGER NOT NULL,
    last_used_at INTEGER NOT NULL DEFAULT 0,
    UNIQUE (user_id, name)
);

CREATE TABLE sessions (
    id           INTEGER PRIMARY KEY,
    user_id      INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    digest       TEXT   NOT NULL UNIQUE,
    csrf         TEXT   NOT NULL,
    created_at   INTEGER NOT NULL,
    expires_at   INTEGER NOT NULL
);
CREATE INDEX sessions_user ON sessions (user_id);

CREATE TABLE calendars (
    id           INTEGER PRIMARY KEY,
    uuid         TEXT    NOT NULL UNIQUE,
    owner_id     INTEGER  NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    name         TEXT    NOT NULL,
    display_name TEXT    NOT NULL DEFAULT '',
    description  TEXT    NOT NULL DEFAULT '',
    color        TEXT    NOT NULL DEFAULT '',
    sort_order   INTEGER NOT NULL DEFAULT 0,
    time_zone    TEXT    NOT NULL DEFAULT '',
    components   TEXT    NOT NULL DEFAULT 'VEVENT,VTODO',
    revision     INTEGER  NOT NULL DEFAULT 0,
    -- Oldest revision the change log can still answer from (RFC 6578 §3.2).
    sync_floor   INTEGER  NOT NULL DEFAULT 0,
    -- Longest short instance (µs) ever indexed here: overlap scans start
    -- this far before the window so that they stay index range scans.
    -- Instances longer than a week are flagged long and found separately.
    max_span     INTEGER  NOT NULL DEFAULT 0,
    created_at   INTEGER  NOT NULL,
    updated_at   INTEGER  NOT NULL,
    UNIQUE (owner_id, name)
);

-- WebDAV dead properties set by clients (RFC 4918 §4.2), kept verbatim.
CREATE TABLE calendar_properties (
    calendar_id INTEGER NOT NULL REFERENCES calendars(id) ON DELETE CASCADE,
    namespace   TEXT   NOT NULL,
    name        TEXT   NOT NULL,
    xml         TEXT   NOT NULL,
    PRIMARY KEY (calendar_id, namespace, name)
);

CREATE TABLE objects (
    id            INTEGER PRIMARY KEY,
    uuid          TEXT    NOT NULL UNIQUE,
    calendar_id   INTEGER  NOT NULL REFERENCES calendars(id) ON DELETE CASCADE,
    name          TEXT    NOT NULL,
    uid           TEXT    NOT NULL,
    component     TEXT    NOT NULL,
    data          BLOB    NOT NULL,
    etag          TEXT    NOT NULL,
    size          INTEGER NOT NULL,
    sequence      INTEGER NOT NULL DEFAULT 0,
    -- Calendar revision of the latest write to this resource.
    revision      INTEGER NOT NULL,
    -- Instances are materialised up to this time; beyond it they are
    -- expanded on the fly (the largest INTEGER means "all of them").
    indexed_until INTEGER  NOT NULL,
    created_at    INTEGER  NOT NULL,
    modified_at   INTEGER  NOT NULL,
    UNIQUE (calendar_id, name),
    UNIQUE (calendar_id, uid)
);
-- Series indexed only up to a horizon: readers expand them past it, and a
-- background job moves the horizon forward.
CREATE INDEX objects_horizon ON objects (calendar_id, indexed_until) WHERE indexed_until < 9223372036854775807;
CREATE INDEX objects_extend ON objects (indexed_until) WHERE indexed_until < 9223372036854775807;

-- The time-range index: one row per materialised instance.
CREATE TABLE instances (
    calendar_id   INTEGER  NOT NULL REFERENCES calendars(id) ON DELETE CASCADE,
    object_id     INTEGER  NOT NULL REFERENCES objects(id) ON DELETE CASCADE,
    start_at      INTEGER  NOT NULL,
    end_at        INTEGER  NOT NULL,
    recurrence_id INTEGER  NOT NULL DEFAULT 0,
    floating      INTEGER NOT NULL DEFAULT 0,
    all_day       INTEGER NOT NULL DEFAULT 0,
    override      INTEGER NOT NULL DEFAULT 0,
    transparent   INTEGER NOT NULL DEFAULT 0,
    status        TEXT    NOT NULL DEFAULT '',
    long          INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX instances_range ON instances (calendar_id, start_at);
CREATE INDEX instances_long ON instances (calendar_id, start_at) WHERE long;
CREATE INDEX instances_object ON instances (object_id);

-- The per-calendar change log behind sync tokens and CTags: one row per
-- resource, carrying the revision of its latest change.
CREATE TABLE changes (
    calendar_id INTEGER  NOT NULL REFERENCES calendars(id) ON DELETE CASCADE,
    revision    INTEGER  NOT NULL,
    name        TEXT    NOT NULL,
    -- Public id of the object, so that a deletion can still name it.
    uuid        TEXT    NOT NULL DEFAULT '',
    deleted     INTEGER NOT NULL,
    PRIMARY KEY (calendar_id, revision),
    UNIQUE (calendar_id, name)
);
