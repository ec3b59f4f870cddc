package store

import (
	"context"
	"time"
)

// Share grants a user a role on someone else's calendar. Name, DisplayName,
// Color and Order are the sharee's own view of it.
type Share struct {
	CalendarID  int64
	UserID      int64
	Role        string
	Name        string // URL segment in the sharee's calendar home
	DisplayName string
	Color       string
	Order       int
	CreatedAt   time.Time
	UpdatedAt   time.Time
}

const shareColumns = `calendar_id, user_id, role, name, display_name, color, sort_order, created_at, updated_at`

func scanShare(r row) (*Share, error) {
	var sh Share
	var created, updated int64
	err := r.Scan(&sh.CalendarID, &sh.UserID, &sh.Role, &sh.Name, &sh.DisplayName, &sh.Color, &sh.Order, &created, &updated)
	if isNoRows(err) {
		return nil, ErrNotFound
	}
	if err != nil {
		return nil, err
	}
	sh.CreatedAt, sh.UpdatedAt = FromMicro(created), FromMicro(updated)
	return &sh, nil
}

// PutShare creates or updates a share. On update only the role changes;
// the sharee's name, colour and order stay theirs. It returns ErrExists when
// the sharee already has another calendar at sh.Name.
func (s *Store) PutShare(ctx context.Context, sh *Share) error {
	now := s.nowMicro()
	err := s.inTx(ctx, func(q querier) error {
		_, err := q.exec(ctx, `INSERT INTO shares (`+shareColumns+`) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $8)
			ON CONFLICT (calendar_id, user_id) DO UPDATE SET role = excluded.role, updated_at = excluded.updated_at`,
			sh.CalendarID, sh.UserID, sh.Role, sh.Name, sh.DisplayName, sh.Color, sh.Order, now)
		if err != nil {
			return err
		}
		// Sharing changes what the calendar's readers see (e.g. its
		// sharing properties), so it counts as a change to the calendar.
		_, _, err = bumpRevision(ctx, q, sh.CalendarID, now)
		return err
	})
	if _, ok := uniqueViolation(err); ok {
		return ErrExists
	}
	return err
}

// UpdateShareView changes the sharee's own name for, colour and order of a
// shared calendar. It returns ErrNotFound.
func (s *Store) UpdateShareView(ctx context.Context, sh *Share) error {
	return s.inTx(ctx, func(q querier) error {
		n, err := q.exec(ctx, `UPDATE shares SET display_name = $3, color = $4, sort_order = $5, updated_at = $6
			WHERE calendar_id = $1 AND user_id = $2`, sh.CalendarID, sh.UserID, sh.DisplayName, sh.Color, sh.Order, s.nowMicro())
		if err == nil && n == 0 {
			return ErrNotFound
		}
		return err
	})
}

// DeleteShare revokes a user's access to a calendar. It returns ErrNotFound.
func (s *Store) DeleteShare(ctx context.Context, calID, userID int64) error {
	return s.inTx(ctx, func(q querier) error {
		n, err := q.exec(ctx, `DELETE FROM shares WHERE calendar_id = $1 AND user_id = $2`, calID, userID)
		if err == nil && n == 0 {
			return ErrNotFound
		}
		if err == nil {
			_, _, err = bumpRevision(ctx, q, calID, s.nowMicro())
		}
		if err == nil {
			err = dropUserReminders(ctx, q, calID, userID, s.nowMicro())
		}
		return err
	})
}

// GetShare returns a user's share of a calendar, or ErrNotFound.
func (s *Store) GetShare(ctx context.Context, calID, userID int64) (*Share, error) {
	return scanShare(s.read.queryRow(ctx, `SELECT `+shareColumns+` FROM shares WHERE calendar_id = $1 AND user_id = $2`, calID, userID))
}

// GetShareByName returns the share at URL segment name in a user's calendar
// home, or ErrNotFound.
func (s *Store) GetShareByName(ctx context.Context, userID int64, name string) (*Share, error) {
	return scanShare(s.read.queryRow(ctx, `SELECT `+shareColumns+` FROM shares WHERE user_id = $1 AND name = $2`, userID, name))
}

// ListShares returns the shares of a calendar.
func (s *Store) ListShares(ctx context.Context, calID int64) ([]*Share, error) {
	return s.queryShares(ctx, `SELECT `+shareColumns+` FROM shares WHERE calendar_id = $1 ORDER BY created_at`, calID)
}

// SharesOfUser returns the calendars shared with a user.
func (s *Store) SharesOfUser(ctx context.Context, userID int64) ([]*Share, error) {
	return s.queryShares(ctx, `SELECT `+shareColumns+` FROM shares WHERE user_id = $1 ORDER BY sort_order, name`, userID)
}

func (s *Store) queryShares(ctx context.Context, sql string, args ...any) ([]*Share, error) {
	rs, err := s.read.query(ctx, sql, args...)
	if err != nil {
		return nil, err
	}
	defer rs.Close()
	var out []*Share
	for rs.Next() {
		sh, err := scanShare(rs)
		if err != nil {
			return nil, err
		}
		out = append(out, sh)
	}
	return out, rs.Err()
}
