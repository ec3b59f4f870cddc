-- What a calendar view draws of each component of an object (title,
-- location, colour), written with the object, so that views read the index
-- and this column and never parse iCalendar: one record per component, in
-- the order of the data (see calendar.Summary).
ALTER TABLE objects ADD COLUMN summary TEXT NOT NULL DEFAULT '';
-- The component (index into the summary) an instance comes from: the master,
-- or the override that replaces it.
ALTER TABLE instances ADD COLUMN component INTEGER NOT NULL DEFAULT 0;
-- Views read every column of the instances they scan; with them in the
-- index the scan is index-only. It replaces instances_range and
-- instances_cover (0004), whose key it shares and whose columns it holds.
CREATE INDEX instances_view ON instances (calendar_id, start_at)
    INCLUDE (end_at, long, floating, all_day, override, transparent, recurrence_id, component, status, object_id);
DROP INDEX IF EXISTS instances_range;
DROP INDEX IF EXISTS instances_cover;
