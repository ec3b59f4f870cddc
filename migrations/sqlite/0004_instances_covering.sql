-- Time-range queries read only these columns of the instances they scan;
-- with them in the index the scan never visits the table (calendar-query
-- answers one row per object from the index alone). It replaces
-- instances_range, of which it is an extension.
CREATE INDEX instances_cover ON instances (calendar_id, start_at, end_at, floating, long, object_id);
DROP INDEX instances_range;
-- Floating and all-day instances are looked up with a wider window and
-- checked in the reader's zone; their own small index keeps that second
-- scan from walking every instance of the window again.
CREATE INDEX instances_floating ON instances (calendar_id, start_at, end_at, long, all_day, object_id) WHERE floating;
