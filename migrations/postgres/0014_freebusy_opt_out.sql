-- Users of the server see each other's busy time unless they opt out
-- (docs/scheduling.md, "Free/busy"); TRUE here hides it from everyone the
-- user has not shared a calendar with.
ALTER TABLE users ADD COLUMN freebusy_hidden BOOLEAN NOT NULL DEFAULT FALSE;
