package store

import (
	"context"
	"fmt"
	"strings"
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

// FeedEntry is a reminder to record in the feed.
type FeedEntry struct {
	UserID  int64
	Key     string // the delivery's idempotency key
	Payload []byte
}

// FeedReminder records a reminder handed to userID's open clients and
// returns its id. A delivery tried again (the same key) keeps its first
// row and id.
func (s *Store) FeedReminder(ctx context.Context, userID int64, key string, payload []byte) (int64, error) {
	ids, err := s.FeedReminders(ctx, []FeedEntry{{UserID: userID, Key: key, Payload: payload}})
	if err != nil {
		return 0, err
	}
	return ids[0], nil
}

// FeedReminders records reminders in one transaction, as FeedReminder
// does each, and returns their ids in the entries' order.
func (s *Store) FeedReminders(ctx context.Context, entries []FeedEntry) ([]int64, error) {
	byKey := make(map[string]int64, len(entries))
	err := s.inTx(ctx, func(q querier) error {
		clear(byKey)
		if s.dialect == "postgres" {
			// The feed only lets a reconnecting stream replay what it
			// missed (the reminder itself goes out either way): it need
			// not wait for its commit to reach the disk, which would cost
			// every reminder handed to open clients a flush. SQLite's
			// synchronous=NORMAL does not flush on commit either.
			if _, err := q.exec(ctx, `SET LOCAL synchronous_commit TO OFF`); err != nil {
				return err
			}
		}
		now := s.nowMicro()
		const perStmt = 100
		for rest := entries; len(rest) > 0; {
			n := min(len(rest), perStmt)
			var b strings.Builder
			b.WriteString(`INSERT INTO reminder_feed (user_id, delivery_key, payload, created_at) VALUES `)
			args := make([]any, 0, 3*n+1)
			args = append(args, now)
			for i, e := range rest[:n] {
				if i > 0 {
					b.WriteByte(',')
				}
				fmt.Fprintf(&b, "($%d, $%d, $%d, $1)", len(args)+1, len(args)+2, len(args)+3)
				args = append(args, e.UserID, e.Key, string(e.Payload))
			}
			b.WriteString(` ON CONFLICT (delivery_key) DO NOTHING RETURNING id, delivery_key`)
			if err := scanFeedIDs(ctx, q, byKey, b.String(), args...); err != nil {
				return err
			}
			rest = rest[n:]
		}
		var again []string
		for _, e := range entries {
			if _, ok := byKey[e.Key]; !ok {
				again = append(again, e.Key)
			}
		}
		if len(again) == 0 {
			return nil
		}
		return scanFeedIDs(ctx, q, byKey, `SELECT id, delivery_key FROM reminder_feed WHERE delivery_key `+s.inList(1), s.listArg(again))
	})
	if err != nil {
		return nil, fmt.Errorf("store: recording %d reminders: %w", len(entries), err)
	}
	ids := make([]int64, len(entries))
	for i, e := range entries {
		ids[i] = byKey[e.Key]
	}
	return ids, nil
}

func scanFeedIDs(ctx context.Context, q querier, into map[string]int64, sql string, args ...any) error {
	rows, err := q.query(ctx, sql, args...)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var id int64
		var key string
		if err := rows.Scan(&id, &key); err != nil {
			return err
		}
		into[key] = id
	}
	return rows.Err()
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
