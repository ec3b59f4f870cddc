-- Version 4 is reserved for the CalDAV work (covering index for time-range
-- scans); this placeholder keeps the sequence gap-free until it lands and
-- is removed then.
SELECT 1;
