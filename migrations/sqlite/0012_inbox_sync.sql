-- The schedule inbox is synchronised like a calendar (RFC 6578): each
-- user's inbox has a revision, raised by every delivery and deletion, and
-- a log with one row per item name holding its latest change. Purging old
-- items raises the sync floor instead of keeping their tombstones.
ALTER TABLE users ADD COLUMN inbox_revision INTEGER NOT NULL DEFAULT 0;
ALTER TABLE users ADD COLUMN inbox_sync_floor INTEGER NOT NULL DEFAULT 0;
CREATE TABLE inbox_changes (
    user_id  INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    name     TEXT    NOT NULL,
    revision INTEGER NOT NULL,
    deleted  INTEGER NOT NULL,
    PRIMARY KEY (user_id, name)
);
CREATE INDEX inbox_changes_revision ON inbox_changes (user_id, revision);
