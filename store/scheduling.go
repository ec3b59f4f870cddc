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
		if err != nil || n == 0 {
			return err
		}
		return logInboxChange(ctx, q, it.UserID, it.Name, false)
	})
	return n > 0, err
}

// logInboxChange raises the user's inbox revision and records the item's
// latest change under it.
func logInboxChange(ctx context.Context, q querier, userID int64, name string, deleted bool) error {
	var rev int64
	err := q.queryRow(ctx, `UPDATE users SET inbox_revision = inbox_revision + 1 WHERE id = $1 RETURNING inbox_revision`, userID).Scan(&rev)
	if err != nil {
		return err
	}
	_, err = q.exec(ctx, `INSERT INTO inbox_changes (user_id, name, revision, deleted) VALUES ($1, $2, $3, $4)
		ON CONFLICT (user_id, name) DO UPDATE SET revision = excluded.revision, deleted = excluded.deleted`,
		userID, name, rev, deleted)
	return err
}

// InboxRevision returns the revision of a user's schedule inbox: its CTag
// and sync token.
func (s *Store) InboxRevision(ctx context.Context, userID int64) (int64, error) {
	var rev int64
	err := s.read.queryRow(ctx, `SELECT inbox_revision FROM users WHERE id = $1`, userID).Scan(&rev)
	if isNoRows(err) {
		return 0, ErrNotFound
	}
	return rev, err
}

// InboxChangesSince is ChangesSince for a user's schedule inbox: the items
// delivered or deleted after revision since, oldest first, and the inbox's
// current revision. It returns ErrInvalidSyncToken for a revision older
// than the log reaches or newer than the inbox.
func (s *Store) InboxChangesSince(ctx context.Context, userID, since int64) ([]Change, int64, error) {
	var rev, floor int64
	err := s.read.queryRow(ctx, `SELECT inbox_revision, inbox_sync_floor FROM users WHERE id = $1`, userID).Scan(&rev, &floor)
	if isNoRows(err) {
		return nil, 0, ErrNotFound
	} else if err != nil {
		return nil, 0, err
	}
	if since < 0 || since > rev || (since != 0 && since < floor) {
		return nil, rev, ErrInvalidSyncToken
	}
	cond := `revision > $2`
	if since == 0 {
		cond = `revision > $2 AND NOT deleted`
	}
	rs, err := s.read.query(ctx, `SELECT name, revision, deleted FROM inbox_changes WHERE user_id = $1 AND `+cond+`
		ORDER BY revision`, userID, since)
	if err != nil {
		return nil, rev, err
	}
	defer rs.Close()
	var out []Change
	for rs.Next() {
		var c Change
		if err := rs.Scan(&c.Name, &c.Revision, &c.Deleted); err != nil {
			return nil, rev, err
		}
		out = append(out, c)
	}
	return out, rev, rs.Err()
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
		if err != nil {
			return err
		}
		return logInboxChange(ctx, q, userID, name, true)
	})
}

// UsersByEmail returns the users with the given (lower-case) verified
// addresses, keyed by address; unknown and unverified addresses are
// missing from the map, so nothing is delivered to an account, or taken
// from it, for an address it has not proven to own.
func (s *Store) UsersByEmail(ctx context.Context, emails []string) (map[string]*User, error) {
	out := map[string]*User{}
	if len(emails) == 0 {
		return out, nil
	}
	rs, err := s.read.query(ctx, `SELECT `+userColumns+` FROM users WHERE email_verified AND email `+s.inList(1), s.listArg(emails))
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
		// The inboxes that lose items move on a revision and forget their
		// logs up to it: older tokens then ask for a full sync rather than
		// keeping a tombstone for every purged item.
		_, err := q.exec(ctx, `UPDATE users SET inbox_revision = inbox_revision + 1, inbox_sync_floor = inbox_revision + 1
			WHERE id IN (SELECT DISTINCT user_id FROM schedule_inbox WHERE created_at < $1)`, Micro(before))
		if err == nil {
			_, err = q.exec(ctx, `DELETE FROM inbox_changes WHERE deleted AND user_id IN
				(SELECT DISTINCT user_id FROM schedule_inbox WHERE created_at < $1)`, Micro(before))
		}
		if err == nil {
			_, err = q.exec(ctx, `DELETE FROM inbox_changes WHERE (user_id, name) IN
				(SELECT user_id, name FROM schedule_inbox WHERE created_at < $1)`, Micro(before))
		}
		if err != nil {
			return err
		}
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
