-- Implicit scheduling (RFC 6638). Columns derived from a scheduling object
-- resource when it is written:
--   schedule_tag  the Schedule-Tag (RFC 6638 §3.2.10), '' when the object
--                 is not a scheduling object resource;
--   sched_role    'organizer' or 'attendee': the calendar owner's part in it;
--   partstat      the owner's PARTSTAT in an attendee copy, so that pending
--                 invitations are one index scan.
ALTER TABLE objects ADD COLUMN schedule_tag TEXT NOT NULL DEFAULT '';
ALTER TABLE objects ADD COLUMN sched_role TEXT NOT NULL DEFAULT '';
ALTER TABLE objects ADD COLUMN partstat TEXT NOT NULL DEFAULT '';
-- Incoming scheduling messages find a user's copy by UID across calendars.
CREATE INDEX objects_uid ON objects (uid);
CREATE INDEX objects_pending ON objects (calendar_id) WHERE sched_role = 'attendee' AND partstat = 'NEEDS-ACTION';

-- A user's scheduling inbox (RFC 6638 §2.2): the iTIP messages delivered
-- to them, kept until they (or their client) delete them.
CREATE TABLE schedule_inbox (
    id         INTEGER PRIMARY KEY,
    user_id    INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    name       TEXT   NOT NULL,
    uid        TEXT   NOT NULL,
    method     TEXT   NOT NULL,
    sender     TEXT   NOT NULL,
    data       BLOB   NOT NULL,
    etag       TEXT   NOT NULL,
    created_at INTEGER NOT NULL,
    UNIQUE (user_id, name)
);
