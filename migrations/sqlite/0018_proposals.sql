-- New times attendees propose for an organizer's event (COUNTER, RFC 5546
-- §3.2.7), kept until the organizer accepts or declines them, so that the
-- JSON API and the web client can show them besides the schedule inbox.
CREATE TABLE proposals (
    id         INTEGER PRIMARY KEY,
    uuid       TEXT    NOT NULL UNIQUE,
    user_id    INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    uid        TEXT    NOT NULL,
    name       TEXT    NOT NULL,
    attendee   TEXT    NOT NULL,
    comment    TEXT    NOT NULL,
    data       BLOB    NOT NULL,
    state      TEXT    NOT NULL,
    created_at INTEGER NOT NULL,
    UNIQUE (user_id, name)
);
CREATE INDEX proposals_event ON proposals (user_id, uid);
