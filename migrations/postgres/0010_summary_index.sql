-- A view's first look at a month reads the summaries of a few hundred
-- objects. From the table each is a visit to a page of whole rows (the
-- iCalendar data, about a kilobyte each); this index holds only what a view
-- reads, and the lookups are index-only.
CREATE INDEX objects_summary ON objects (id) INCLUDE (uuid, summary);
