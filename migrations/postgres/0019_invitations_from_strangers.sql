-- Invitations from people a user has never dealt with wait in their
-- invitations inbox instead of landing in their calendar
-- (docs/scheduling.md, "Invitations from someone new").
--
-- users.invitations: 'everyone' or 'known', the user's choice of whose
-- invitations go straight into the calendar; '' follows the server's
-- default (--invitations-default).
ALTER TABLE users ADD COLUMN invitations TEXT NOT NULL DEFAULT '';

-- The calendar user addresses a user has dealt with: people they invited,
-- organizers whose invitation they answered or have in their calendar.
-- Written with the events that make them known; read once per new
-- invitation.
CREATE TABLE known_addresses (
    user_id    BIGINT  NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    address    TEXT    NOT NULL, -- normalised, "mailto:" and lower case
    created_at BIGINT  NOT NULL,
    PRIMARY KEY (user_id, address)
);

-- An invitation held for its attendee: their copy of the event, kept out
-- of every calendar until they accept it. uuid is its public id (the
-- event_id of the invitation in the JSON API).
CREATE TABLE held_invitations (
    id         BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    uuid       TEXT    NOT NULL UNIQUE,
    user_id    BIGINT  NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    uid        TEXT    NOT NULL,
    organizer  TEXT    NOT NULL,
    component  TEXT    NOT NULL,
    partstat   TEXT    NOT NULL,
    data       BYTEA   NOT NULL,
    created_at BIGINT  NOT NULL,
    updated_at BIGINT  NOT NULL,
    UNIQUE (user_id, uid)
);
