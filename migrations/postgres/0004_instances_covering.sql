-- Time-range queries read only these columns of the instances they scan;
-- with them in the index the scan can be index-only (calendar-query answers
-- one row per object from the index alone). It replaces instances_range.
CREATE INDEX instances_cover ON instances (calendar_id, start_at) INCLUDE (end_at, floating, long, object_id);
DROP INDEX instances_range;
