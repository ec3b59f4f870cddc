package store

import "context"

// ReminderSettings are a user's reminder settings for one calendar, or for
// all their calendars when CalendarID is 0.
type ReminderSettings struct {
	UserID     int64
	CalendarID int64
	// Defaults is a JSON list of default reminders, applied to events
	// without alarms of their own ("" or "[]": none).
	Defaults string
	// WebhookURL and WebhookSecret (on the CalendarID 0 row) say where the
	// user's reminders are posted and with which HMAC key.
	WebhookURL    string
	WebhookSecret string
}

func putPerUser(ctx context.Context, q querier, objID int64, pu *PerUserData) error {
	if pu.Data == "" {
		_, err := q.exec(ctx, `DELETE FROM object_user_data WHERE object_id = $1 AND user_id = $2`, objID, pu.UserID)
		return err
	}
	_, err := q.exec(ctx, `INSERT INTO object_user_data (object_id, user_id, data) VALUES ($1, $2, $3)
		ON CONFLICT (object_id, user_id) DO UPDATE SET data = excluded.data`, objID, pu.UserID, pu.Data)
	return err
}

// PerUser returns every user's per-user data of an object, by user id.
func (s *Store) PerUser(ctx context.Context, objectID int64) (map[int64]string, error) {
	rs, err := s.read.query(ctx, `SELECT user_id, data FROM object_user_data WHERE object_id = $1`, objectID)
	if err != nil {
		return nil, err
	}
	defer rs.Close()
	out := map[int64]string{}
	for rs.Next() {
		var id int64
		var data string
		if err := rs.Scan(&id, &data); err != nil {
			return nil, err
		}
		out[id] = data
	}
	return out, rs.Err()
}

// PerUserFor returns one user's per-user data of the given objects, by
// object id; objects without any are left out.
func (s *Store) PerUserFor(ctx context.Context, userID int64, objectIDs []int64) (map[int64]string, error) {
	out := map[int64]string{}
	if len(objectIDs) == 0 {
		return out, nil
	}
	rs, err := s.read.query(ctx, `SELECT object_id, data FROM object_user_data WHERE user_id = $1 AND object_id `+s.inList(2),
		userID, s.listArg(objectIDs))
	if err != nil {
		return nil, err
	}
	defer rs.Close()
	for rs.Next() {
		var id int64
		var data string
		if err := rs.Scan(&id, &data); err != nil {
			return nil, err
		}
		out[id] = data
	}
	return out, rs.Err()
}

const settingsColumns = `user_id, calendar_id, defaults, webhook_url, webhook_secret`

// GetReminderSettings returns a user's settings for calID (0: all their
// calendars), or ErrNotFound.
func (s *Store) GetReminderSettings(ctx context.Context, userID, calID int64) (*ReminderSettings, error) {
	var r ReminderSettings
	err := s.read.queryRow(ctx, `SELECT `+settingsColumns+` FROM reminder_settings WHERE user_id = $1 AND calendar_id = $2`,
		userID, calID).Scan(&r.UserID, &r.CalendarID, &r.Defaults, &r.WebhookURL, &r.WebhookSecret)
	if isNoRows(err) {
		return nil, ErrNotFound
	}
	return &r, err
}

// PutReminderSettings creates or replaces a user's settings for one
// calendar (or all, CalendarID 0).
func (s *Store) PutReminderSettings(ctx context.Context, r *ReminderSettings) error {
	return s.inTx(ctx, func(q querier) error {
		_, err := q.exec(ctx, `INSERT INTO reminder_settings (`+settingsColumns+`, updated_at) VALUES ($1, $2, $3, $4, $5, $6)
			ON CONFLICT (user_id, calendar_id) DO UPDATE SET defaults = excluded.defaults, webhook_url = excluded.webhook_url,
				webhook_secret = excluded.webhook_secret, updated_at = excluded.updated_at`,
			r.UserID, r.CalendarID, r.Defaults, r.WebhookURL, r.WebhookSecret, s.nowMicro())
		return err
	})
}

// CalendarReminderSettings returns the settings that bear on the events of
// a calendar: every user's for that calendar, and the owner's general ones.
func (s *Store) CalendarReminderSettings(ctx context.Context, calID, ownerID int64) ([]ReminderSettings, error) {
	rs, err := s.read.query(ctx, `SELECT `+settingsColumns+` FROM reminder_settings
		WHERE calendar_id = $1 OR (user_id = $2 AND calendar_id = 0) ORDER BY user_id, calendar_id`, calID, ownerID)
	if err != nil {
		return nil, err
	}
	defer rs.Close()
	var out []ReminderSettings
	for rs.Next() {
		var r ReminderSettings
		if err := rs.Scan(&r.UserID, &r.CalendarID, &r.Defaults, &r.WebhookURL, &r.WebhookSecret); err != nil {
			return nil, err
		}
		out = append(out, r)
	}
	return out, rs.Err()
}
