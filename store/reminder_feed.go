package store

import (
	"context"
	"fmt"
	"time"
)

// FedReminder is a reminder handed to a user's open clients, as a
// reconnecting stream replays it.
type FedReminder struct {
	ID        int64 // grows with every reminder: a stream's position
	UserID    int64
	Payload   []byte
	CreatedAt time.Time
}

// FeedReminder records a reminder handed to userID's open clients and
// returns its id. A delivery tried again (the same key) keeps its first
// row and id.
func (s *Store) FeedReminder(ctx context.Context, userID int64, key string, payload []byte) (int64, error) {
	var id int64
	err := s.inTx(ctx, func(q querier) error {
		err := q.queryRow(ctx, `INSERT INTO reminder_feed (user_id, delivery_key, payload, created_at) VALUES ($1, $2, $3, $4)
			ON CONFLICT (delivery_key) DO NOTHING RETURNING id`, userID, key, string(payload), s.nowMicro()).Scan(&id)
		if isNoRows(err) {
			err = q.queryRow(ctx, `SELECT id FROM reminder_feed WHERE delivery_key = $1`, key).Scan(&id)
		}
		return err
	})
	if err != nil {
		return 0, fmt.Errorf("store: recording reminder %s: %w", key, err)
	}
	return id, nil
}

// RemindersFedSince returns userID's reminders after id after, oldest
// first: the latest limit of them when there are more.
func (s *Store) RemindersFedSince(ctx context.Context, userID, after int64, limit int) ([]FedReminder, error) {
	rows, err := s.read.query(ctx, `SELECT id, payload, created_at FROM reminder_feed
		WHERE user_id = $1 AND id > $2 ORDER BY id DESC LIMIT $3`, userID, after, limit)
	if err != nil {
		return nil, fmt.Errorf("store: reading the reminders of user %d: %w", userID, err)
	}
	defer rows.Close()
	var out []FedReminder
	for rows.Next() {
		r := FedReminder{UserID: userID}
		var payload string
		var created int64
		if err := rows.Scan(&r.ID, &payload, &created); err != nil {
			return nil, err
		}
		r.Payload, r.CreatedAt = []byte(payload), FromMicro(created)
		out = append(out, r)
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	for i, j := 0, len(out)-1; i < j; i, j = i+1, j-1 {
		out[i], out[j] = out[j], out[i]
	}
	return out, nil
}

// LastFedReminder returns the id of userID's latest reminder (0: none):
// where a new stream starts.
func (s *Store) LastFedReminder(ctx context.Context, userID int64) (int64, error) {
	var id int64
	err := s.read.queryRow(ctx, `SELECT COALESCE(MAX(id), 0) FROM reminder_feed WHERE user_id = $1`, userID).Scan(&id)
	if err != nil {
		return 0, fmt.Errorf("store: reading the last reminder of user %d: %w", userID, err)
	}
	return id, nil
}

// PurgeReminderFeed deletes the reminders recorded before before; a stream
// away longer no longer gets them.
func (s *Store) PurgeReminderFeed(ctx context.Context, before time.Time) (int64, error) {
	var n int64
	err := s.inTx(ctx, func(q querier) error {
		var err error
		n, err = q.exec(ctx, `DELETE FROM reminder_feed WHERE created_at < $1`, Micro(before))
		return err
	})
	return n, err
}
