-- A calendar-query's candidates read, for each instance in the window,
-- its times and its object. From instances_view that is a twelve-column
-- entry; this index holds just those, for the absolute-time instances of a
-- week or less that the candidates scan.
CREATE INDEX instances_candidates ON instances (calendar_id, start_at, end_at, object_id) WHERE NOT long AND NOT floating;
