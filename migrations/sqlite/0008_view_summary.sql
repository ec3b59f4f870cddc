-- What a calendar view draws of each component of an object (title,
-- location, colour), written with the object, so that views read the index
-- and this column and never parse iCalendar: a JSON array with one entry per
-- component, in the order of the data.
ALTER TABLE objects ADD COLUMN summary TEXT NOT NULL DEFAULT '';
-- The component (index into the summary) an instance comes from: the master,
-- or the override that replaces it.
ALTER TABLE instances ADD COLUMN component INTEGER NOT NULL DEFAULT 0;
