-- A calendar shared with another user, with the sharee's role and their own
-- name, colour and order for it (what they see is theirs to change).
CREATE TABLE shares (
    calendar_id  BIGINT  NOT NULL REFERENCES calendars(id) ON DELETE CASCADE,
    user_id      BIGINT  NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    role         TEXT    NOT NULL,
    -- URL segment of the calendar in the sharee's calendar home.
    name         TEXT    NOT NULL,
    display_name TEXT    NOT NULL DEFAULT '',
    color        TEXT    NOT NULL DEFAULT '',
    sort_order   INTEGER NOT NULL DEFAULT 0,
    created_at   BIGINT  NOT NULL,
    updated_at   BIGINT  NOT NULL,
    PRIMARY KEY (calendar_id, user_id),
    UNIQUE (user_id, name)
);
