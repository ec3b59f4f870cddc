-- Bytes of calendar data each calendar holds, kept by triggers so that a
-- quota check reads one row per calendar instead of summing every object
-- of the owner on every write.
ALTER TABLE calendars ADD COLUMN bytes_used INTEGER NOT NULL DEFAULT 0;
UPDATE calendars SET bytes_used = (SELECT COALESCE(SUM(size), 0) FROM objects WHERE calendar_id = calendars.id);
CREATE TRIGGER objects_usage_insert AFTER INSERT ON objects BEGIN
    UPDATE calendars SET bytes_used = bytes_used + NEW.size WHERE id = NEW.calendar_id;
END;
CREATE TRIGGER objects_usage_delete AFTER DELETE ON objects BEGIN
    UPDATE calendars SET bytes_used = bytes_used - OLD.size WHERE id = OLD.calendar_id;
END;
CREATE TRIGGER objects_usage_update AFTER UPDATE OF size, calendar_id ON objects BEGIN
    UPDATE calendars SET bytes_used = bytes_used - OLD.size WHERE id = OLD.calendar_id;
    UPDATE calendars SET bytes_used = bytes_used + NEW.size WHERE id = NEW.calendar_id;
END;
