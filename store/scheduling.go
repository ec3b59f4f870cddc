package store

import (
	"context"
	"time"
)

// ObjectsByUID returns the resources holding uid in the calendars ownerID
// owns, oldest first: where a scheduling message for that user lands.
func (s *Store) ObjectsByUID(ctx context.Context, ownerID int64, uid string) ([]*Object, error) {
	return s.queryObjects(ctx, true, `SELECT `+prefixed("o.", objectColumns)+`, o.data FROM objects o
		JOIN calendars c ON c.id = o.calendar_id WHERE o.uid = $1 AND c.owner_id = $2 ORDER BY o.id`, uid, ownerID)
}

// PendingInvitations returns the attendee copies in ownerID's calendars
// that they have not answered (PARTSTAT=NEEDS-ACTION), with their data.
func (s *Store) PendingInvitations(ctx context.Context, ownerID int64) ([]*Object, error) {
	return s.AttendeeCopies(ctx, ownerID, "NEEDS-ACTION")
}

// AttendeeCopies returns the events in ownerID's calendars they are
// invited to, with their data; partstat, when set, keeps those with that
// answer.
func (s *Store) AttendeeCopies(ctx context.Context, ownerID int64, partstat string) ([]*Object, error) {
	// Two statements rather than "$2 = '' OR …", which no index serves.
	sql := `SELECT ` + prefixed("o.", objectColumns) + `, o.data FROM objects o
		JOIN calendars c ON c.id = o.calendar_id
		WHERE c.owner_id = $1 AND o.sched_role = 'attendee'`
	if partstat == "" {
		return s.queryObjects(ctx, true, sql+` ORDER BY o.id`, ownerID)
	}
	return s.queryObjects(ctx, true, sql+` AND o.partstat = $2 ORDER BY o.id`, ownerID, partstat)
}

// prefixed qualifies a column list with a table alias.
func prefixed(alias, cols string) string {
	out := make([]byte, 0, len(cols)+16*len(alias))
	start := true
	for i := 0; i < len(cols); i++ {
		c := cols[i]
		if start && c != ' ' && c != '\n' && c != '\t' {
			out = append(out, alias...)
			start = false
		}
		if c == ',' {
			start = true
		}
		out = append(out, c)
	}
	return string(out)
}

// InboxItem is a scheduling message in a user's schedule inbox.
type InboxItem struct {
	ID        int64
	UserID    int64
	Name      string // resource name in the inbox collection
	UID       string
	Method    string
	Sender    string // calendar user address of the originator
	Data      []byte
	ETag      string
	CreatedAt time.Time
}

// PutInboxItem stores a delivered message; an item with the same name is
// kept as it is, so that a repeated delivery adds nothing. It reports
// whether the item is new.
func (s *Store) PutInboxItem(ctx context.Context, it *InboxItem) (bool, error) {
	var n int64
	err := s.inTx(ctx, func(q querier) error {
		var err error
		n, err = q.exec(ctx, `INSERT INTO schedule_inbox (user_id, name, uid, method, sender, data, etag, created_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT (user_id, name) DO NOTHING`,
			it.UserID, it.Name, it.UID, it.Method, it.Sender, it.Data, ETagOf(it.Data), s.nowMicro())
		return err
	})
	return n > 0, err
}

const inboxColumns = `id, user_id, name, uid, method, sender, data, etag, created_at`

func scanInbox(r row) (*InboxItem, error) {
	var it InboxItem
	var created int64
	err := r.Scan(&it.ID, &it.UserID, &it.Name, &it.UID, &it.Method, &it.Sender, &it.Data, &it.ETag, &created)
	if isNoRows(err) {
		return nil, ErrNotFound
	}
	it.CreatedAt = FromMicro(created)
	return &it, err
}

// ListInbox returns a user's inbox, oldest first.
func (s *Store) ListInbox(ctx context.Context, userID int64) ([]*InboxItem, error) {
	rs, err := s.read.query(ctx, `SELECT `+inboxColumns+` FROM schedule_inbox WHERE user_id = $1 ORDER BY id`, userID)
	if err != nil {
		return nil, err
	}
	defer rs.Close()
	var out []*InboxItem
	for rs.Next() {
		it, err := scanInbox(rs)
		if err != nil {
			return nil, err
		}
		out = append(out, it)
	}
	return out, rs.Err()
}

// GetInboxItem returns one item, or ErrNotFound.
func (s *Store) GetInboxItem(ctx context.Context, userID int64, name string) (*InboxItem, error) {
	return scanInbox(s.read.queryRow(ctx, `SELECT `+inboxColumns+` FROM schedule_inbox WHERE user_id = $1 AND name = $2`, userID, name))
}

// DeleteInboxItem removes one item. It returns ErrNotFound.
func (s *Store) DeleteInboxItem(ctx context.Context, userID int64, name string) error {
	return s.inTx(ctx, func(q querier) error {
		n, err := q.exec(ctx, `DELETE FROM schedule_inbox WHERE user_id = $1 AND name = $2`, userID, name)
		if err == nil && n == 0 {
			return ErrNotFound
		}
		return err
	})
}

// UsersByEmail returns the users with the given (lower-case) addresses,
// keyed by address; unknown addresses are missing from the map.
func (s *Store) UsersByEmail(ctx context.Context, emails []string) (map[string]*User, error) {
	out := map[string]*User{}
	if len(emails) == 0 {
		return out, nil
	}
	rs, err := s.read.query(ctx, `SELECT `+userColumns+` FROM users WHERE email `+s.inList(1), s.listArg(emails))
	if err != nil {
		return nil, err
	}
	defer rs.Close()
	for rs.Next() {
		u, err := scanUser(rs)
		if err != nil {
			return nil, err
		}
		out[u.Email] = u
	}
	return out, rs.Err()
}

// PurgeInbox deletes inbox items delivered before the given time: the
// server applied them when they arrived, so old ones only take room.
func (s *Store) PurgeInbox(ctx context.Context, before time.Time) (int64, error) {
	var n int64
	err := s.inTx(ctx, func(q querier) error {
		var err error
		n, err = q.exec(ctx, `DELETE FROM schedule_inbox WHERE created_at < $1`, Micro(before))
		return err
	})
	return n, err
}

// ObjectETag returns the ETag of the resource with the public id, or
// ErrNotFound: a cheap check that a version read earlier is still current.
func (s *Store) ObjectETag(ctx context.Context, uuid string) (string, error) {
	var etag string
	err := s.read.queryRow(ctx, `SELECT etag FROM objects WHERE uuid = $1`, uuid).Scan(&etag)
	if isNoRows(err) {
		return "", ErrNotFound
	}
	return etag, err
}
