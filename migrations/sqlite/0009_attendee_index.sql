-- A user's invitations, answered or not, are one index scan per calendar:
-- the pending ones by (calendar, partstat), all of them by calendar. This
-- index replaces the one for pending invitations only.
CREATE INDEX objects_attendee ON objects (calendar_id, partstat) WHERE sched_role = 'attendee';
DROP INDEX objects_pending;
