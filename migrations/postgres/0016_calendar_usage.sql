-- Bytes of calendar data each calendar holds, kept by a trigger so that a
-- quota check reads one row per calendar instead of summing every object
-- of the owner on every write.
ALTER TABLE calendars ADD COLUMN bytes_used BIGINT NOT NULL DEFAULT 0;
UPDATE calendars SET bytes_used = (SELECT COALESCE(SUM(size), 0) FROM objects WHERE calendar_id = calendars.id);
CREATE FUNCTION objects_usage() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP IN ('UPDATE', 'DELETE') THEN
        UPDATE calendars SET bytes_used = bytes_used - OLD.size WHERE id = OLD.calendar_id;
    END IF;
    IF TG_OP IN ('UPDATE', 'INSERT') THEN
        UPDATE calendars SET bytes_used = bytes_used + NEW.size WHERE id = NEW.calendar_id;
    END IF;
    RETURN NULL;
END
$$;
CREATE TRIGGER objects_usage AFTER INSERT OR DELETE OR UPDATE OF size, calendar_id ON objects
    FOR EACH ROW EXECUTE FUNCTION objects_usage();
