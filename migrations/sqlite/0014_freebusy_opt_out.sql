-- Users of the server see each other's busy time unless they opt out
-- (docs/scheduling.md, "Free/busy"); 1 here hides it from everyone the
-- user has not shared a calendar with.
ALTER TABLE users ADD COLUMN freebusy_hidden INTEGER NOT NULL DEFAULT 0;
