package store

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"
)

// Knows reports whether userID has dealt with the calendar user address
// addr: it is in their known addresses, or other (the user addr belongs
// to, 0 for someone without an account) and userID share a calendar, in
// either direction, or both are accounts an administrator made (the
// server's own people, as a company's colleagues are). All are index
// look-ups.
func (s *Store) Knows(ctx context.Context, userID int64, addr string, other int64) (bool, error) {
	var n int
	err := s.read.queryRow(ctx, `SELECT CASE
		WHEN EXISTS (SELECT 1 FROM known_addresses WHERE user_id = $1 AND address = $2) THEN 1
		WHEN $3 <> 0 AND EXISTS (SELECT 1 FROM shares sh JOIN calendars c ON c.id = sh.calendar_id
			WHERE (sh.user_id = $1 AND c.owner_id = $3) OR (sh.user_id = $3 AND c.owner_id = $1)) THEN 1
		WHEN $3 <> 0 AND NOT EXISTS (SELECT 1 FROM users WHERE id IN ($1, $3) AND signed_up) THEN 1
		ELSE 0 END`, userID, addr, other).Scan(&n)
	return n == 1, err
}

// RememberAddresses adds addrs (normalised calendar user addresses) to
// userID's known addresses.
func (s *Store) RememberAddresses(ctx context.Context, userID int64, addrs ...string) error {
	if len(addrs) == 0 {
		return nil
	}
	return s.inTx(ctx, func(q querier) error {
		return remember(ctx, q, s.nowMicro(), userID, addrs)
	})
}

// remember inserts addrs as known to userID, a statement per 100.
func remember(ctx context.Context, q querier, now, userID int64, addrs []string) error {
	addrs = slices.Compact(slices.Sorted(slices.Values(addrs)))
	for chunk := range slices.Chunk(addrs, 100) {
		var sql strings.Builder
		sql.WriteString(`INSERT INTO known_addresses (user_id, address, created_at) VALUES `)
		args := []any{userID, now}
		for i, a := range chunk {
			if i > 0 {
				sql.WriteString(", ")
			}
			args = append(args, a)
			fmt.Fprintf(&sql, "($1, $%d, $2)", len(args))
		}
		sql.WriteString(` ON CONFLICT (user_id, address) DO NOTHING`)
		if _, err := q.exec(ctx, sql.String(), args...); err != nil {
			return fmt.Errorf("store: known addresses: %w", err)
		}
	}
	return nil
}

// rememberForCalendar adds addrs to the known addresses of calID's owner.
func rememberForCalendar(ctx context.Context, q querier, now, calID int64, addrs []string) error {
	if len(addrs) == 0 {
		return nil
	}
	var owner int64
	if err := q.queryRow(ctx, `SELECT owner_id FROM calendars WHERE id = $1`, calID).Scan(&owner); err != nil {
		return err
	}
	return remember(ctx, q, now, owner, addrs)
}

// HeldInvitation is an invitation kept out of its attendee's calendars
// until they accept it: their copy of the event.
type HeldInvitation struct {
	ID        int64
	UUID      string // public id
	UserID    int64
	UID       string
	Organizer string // normalised calendar user address
	Component string
	PartStat  string // the attendee's answer in Data
	Data      []byte
	CreatedAt time.Time
	UpdatedAt time.Time
}

const heldColumns = `id, uuid, user_id, uid, organizer, component, partstat, data, created_at, updated_at`

func scanHeld(r row) (*HeldInvitation, error) {
	var h HeldInvitation
	var created, updated int64
	err := r.Scan(&h.ID, &h.UUID, &h.UserID, &h.UID, &h.Organizer, &h.Component, &h.PartStat, &h.Data, &created, &updated)
	if isNoRows(err) {
		return nil, ErrNotFound
	}
	if err != nil {
		return nil, err
	}
	h.CreatedAt, h.UpdatedAt = FromMicro(created), FromMicro(updated)
	return &h, nil
}

// PutHeld stores h, replacing the held invitation of the same user and
// UID (which keeps its public id); it fills in h.UUID.
func (s *Store) PutHeld(ctx context.Context, h *HeldInvitation) error {
	if h.UUID == "" {
		h.UUID = NewUUID()
	}
	now := s.nowMicro()
	return s.inTx(ctx, func(q querier) error {
		return q.queryRow(ctx, `INSERT INTO held_invitations (uuid, user_id, uid, organizer, component, partstat, data, created_at, updated_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $8)
			ON CONFLICT (user_id, uid) DO UPDATE SET organizer = excluded.organizer, component = excluded.component,
				partstat = excluded.partstat, data = excluded.data, updated_at = excluded.updated_at
			RETURNING uuid`, h.UUID, h.UserID, h.UID, h.Organizer, h.Component, h.PartStat, h.Data, now).Scan(&h.UUID)
	})
}

// HeldByUID returns userID's held invitation to the event uid, or
// ErrNotFound.
func (s *Store) HeldByUID(ctx context.Context, userID int64, uid string) (*HeldInvitation, error) {
	return scanHeld(s.read.queryRow(ctx, `SELECT `+heldColumns+` FROM held_invitations WHERE user_id = $1 AND uid = $2`, userID, uid))
}

// HeldByUUID returns userID's held invitation with public id uuid, or
// ErrNotFound.
func (s *Store) HeldByUUID(ctx context.Context, userID int64, uuid string) (*HeldInvitation, error) {
	return scanHeld(s.read.queryRow(ctx, `SELECT `+heldColumns+` FROM held_invitations WHERE user_id = $1 AND uuid = $2`, userID, uuid))
}

// ListHeld returns userID's held invitations, oldest first, but for
// those whose event is in one of their calendars by now (put there by
// their own client).
func (s *Store) ListHeld(ctx context.Context, userID int64) ([]*HeldInvitation, error) {
	rs, err := s.read.query(ctx, `SELECT `+prefixed("h.", heldColumns)+` FROM held_invitations h WHERE h.user_id = $1
		AND NOT EXISTS (SELECT 1 FROM objects o JOIN calendars c ON c.id = o.calendar_id WHERE o.uid = h.uid AND c.owner_id = h.user_id)
		ORDER BY h.id`, userID)
	if err != nil {
		return nil, err
	}
	defer rs.Close()
	var out []*HeldInvitation
	for rs.Next() {
		h, err := scanHeld(rs)
		if err != nil {
			return nil, err
		}
		out = append(out, h)
	}
	return out, rs.Err()
}

// DeleteHeld removes a held invitation. It returns ErrNotFound.
func (s *Store) DeleteHeld(ctx context.Context, userID int64, uuid string) error {
	return s.inTx(ctx, func(q querier) error {
		n, err := q.exec(ctx, `DELETE FROM held_invitations WHERE user_id = $1 AND uuid = $2`, userID, uuid)
		if err == nil && n == 0 {
			return ErrNotFound
		}
		return err
	})
}
