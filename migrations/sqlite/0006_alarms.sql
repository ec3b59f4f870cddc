-- Reminders: one row per alarm and user, holding the alarm's next trigger.
-- A write to an object replaces its rows in the same transaction; the
-- scheduler leases due rows (alarms_due is the range it scans), queues
-- their deliveries in the outbox and moves each row to its next trigger.
CREATE TABLE alarms (
    id              INTEGER PRIMARY KEY,
    object_id       INTEGER  NOT NULL REFERENCES objects(id) ON DELETE CASCADE,
    calendar_id     INTEGER  NOT NULL REFERENCES calendars(id) ON DELETE CASCADE,
    -- Whose reminder it is: the calendar's owner, or a sharee with alarms
    -- of their own or default reminders.
    user_id         INTEGER  NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    -- RFC 9074 §4 UID, or a digest for alarms without one.
    alarm_uid       TEXT    NOT NULL,
    -- The alarm as the server read it (JSON), so that most triggers need
    -- no parsing; recurring alarms need the series.
    spec            TEXT    NOT NULL,
    recurring       INTEGER NOT NULL,
    next_trigger_at INTEGER  NOT NULL,
    -- The instance and repetition of that trigger (µs; 0 when none).
    instance_start  INTEGER  NOT NULL DEFAULT 0,
    instance_end    INTEGER  NOT NULL DEFAULT 0,
    recurrence_id   INTEGER  NOT NULL DEFAULT 0,
    repeat_index    INTEGER NOT NULL DEFAULT 0,
    -- Set when next_trigger_at is only when to look further ahead in an
    -- endless series, not a trigger.
    recheck         INTEGER NOT NULL DEFAULT 0,
    UNIQUE (object_id, user_id, alarm_uid)
);
CREATE INDEX alarms_due ON alarms (next_trigger_at);

-- Per-user data of shared events (the approach of CalendarServer's
-- per-user data): a sharee's VALARMs and TRANSP, kept apart from the
-- owner's copy and merged into what the sharee reads.
CREATE TABLE object_user_data (
    object_id INTEGER NOT NULL REFERENCES objects(id) ON DELETE CASCADE,
    user_id   INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    data      TEXT   NOT NULL,
    PRIMARY KEY (object_id, user_id)
);
CREATE INDEX object_user_data_user ON object_user_data (user_id);

-- A user's reminder settings: default reminders for one calendar
-- (calendar_id) or for all of theirs (calendar_id 0), and, on the row with
-- calendar_id 0, the webhook that receives their reminders.
CREATE TABLE reminder_settings (
    user_id        INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    calendar_id    INTEGER NOT NULL DEFAULT 0,
    defaults       TEXT   NOT NULL DEFAULT '',
    webhook_url    TEXT   NOT NULL DEFAULT '',
    webhook_secret TEXT   NOT NULL DEFAULT '',
    updated_at     INTEGER NOT NULL,
    PRIMARY KEY (user_id, calendar_id)
);
CREATE INDEX reminder_settings_calendar ON reminder_settings (calendar_id) WHERE calendar_id <> 0;
