-- The schedule inbox is synchronised like a calendar (RFC 6578): each
-- user's inbox has a revision, raised by every delivery and deletion, and
-- a log with one row per item name holding its latest change. Purging old
-- items raises the sync floor instead of keeping their tombstones.
ALTER TABLE users ADD COLUMN inbox_revision BIGINT NOT NULL DEFAULT 0;
ALTER TABLE users ADD COLUMN inbox_sync_floor BIGINT NOT NULL DEFAULT 0;
CREATE TABLE inbox_changes (
    user_id  BIGINT  NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    name     TEXT    NOT NULL,
    revision BIGINT  NOT NULL,
    deleted  BOOLEAN NOT NULL,
    PRIMARY KEY (user_id, name)
);
CREATE INDEX inbox_changes_revision ON inbox_changes (user_id, revision);
