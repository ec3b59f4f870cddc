package store

import (
	"context"
	"fmt"
	"strings"
	"time"
)

// User is a principal who signs in and owns calendars.
type User struct {
	ID           int64
	UUID         string
	Name         string // login name, also the principal URL segment
	Email        string // lower case
	DisplayName  string
	PasswordHash string // argon2id in PHC format; empty: no password login
	TimeZone     string // IANA name
	WeekStart    int    // 0 = Sunday … 6 = Saturday
	CreatedAt    time.Time
	UpdatedAt    time.Time
}

const userColumns = `id, uuid, name, email, display_name, password_hash, time_zone, week_start, created_at, updated_at`

// qualified prefixes each column of a comma-separated list with a table
// alias, for a join.
func qualified(alias, cols string) string {
	list := strings.Split(cols, ", ")
	for i, c := range list {
		list[i] = alias + "." + c
	}
	return strings.Join(list, ", ")
}

func scanUser(r row) (*User, error) {
	var u User
	var created, updated int64
	err := r.Scan(&u.ID, &u.UUID, &u.Name, &u.Email, &u.DisplayName, &u.PasswordHash, &u.TimeZone, &u.WeekStart, &created, &updated)
	if isNoRows(err) {
		return nil, ErrNotFound
	}
	if err != nil {
		return nil, err
	}
	u.CreatedAt, u.UpdatedAt = FromMicro(created), FromMicro(updated)
	return &u, nil
}

// CreateUser stores u and fills in its ID, UUID and timestamps, and the
// calendars given (their owner set to u) in the same transaction, so that
// no one sees the user without them. It returns a FieldConflictError
// (matching ErrExists) naming "name" or "email" when another user already
// has that value.
func (s *Store) CreateUser(ctx context.Context, u *User, calendars ...*Calendar) error {
	now := s.nowMicro()
	if u.UUID == "" {
		u.UUID = NewUUID()
	}
	if u.TimeZone == "" {
		u.TimeZone = "UTC"
	}
	err := s.inTx(ctx, func(q querier) error {
		err := q.queryRow(ctx, `INSERT INTO users (uuid, name, email, display_name, password_hash, time_zone, week_start, created_at, updated_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $8) RETURNING id`,
			u.UUID, u.Name, u.Email, u.DisplayName, u.PasswordHash, u.TimeZone, u.WeekStart, now).Scan(&u.ID)
		if err != nil {
			return err
		}
		for _, c := range calendars {
			c.OwnerID = u.ID
			if err := insertCalendar(ctx, q, c, now); err != nil {
				return fmt.Errorf("calendar %q: %w", c.Name, err)
			}
		}
		return nil
	})
	if err != nil {
		return userConflict(err)
	}
	u.CreatedAt, u.UpdatedAt = FromMicro(now), FromMicro(now)
	return nil
}

func userConflict(err error) error {
	for _, f := range []string{"name", "email", "uuid"} {
		if violates(err, f) {
			return &FieldConflictError{Field: f}
		}
	}
	return fmt.Errorf("store: user: %w", err)
}

// UpdateUser writes every profile field of u (not its password hash when
// it is empty). It returns ErrNotFound or a FieldConflictError.
func (s *Store) UpdateUser(ctx context.Context, u *User) error {
	now := s.nowMicro()
	err := s.inTx(ctx, func(q querier) error {
		n, err := q.exec(ctx, `UPDATE users SET name = $2, email = $3, display_name = $4,
			password_hash = CASE WHEN $5 = '' THEN password_hash ELSE $5 END,
			time_zone = $6, week_start = $7, updated_at = $8 WHERE id = $1`,
			u.ID, u.Name, u.Email, u.DisplayName, u.PasswordHash, u.TimeZone, u.WeekStart, now)
		if err == nil && n == 0 {
			return ErrNotFound
		}
		return err
	})
	if err != nil && err != ErrNotFound {
		return userConflict(err)
	}
	u.UpdatedAt = FromMicro(now)
	return err
}

// DeleteUser removes a user with everything they own. It returns ErrNotFound.
func (s *Store) DeleteUser(ctx context.Context, id int64) error {
	return s.inTx(ctx, func(q querier) error {
		n, err := q.exec(ctx, `DELETE FROM users WHERE id = $1`, id)
		if err == nil && n == 0 {
			return ErrNotFound
		}
		return err
	})
}

// GetUser returns the user with the internal id, or ErrNotFound.
func (s *Store) GetUser(ctx context.Context, id int64) (*User, error) {
	return scanUser(s.read.queryRow(ctx, `SELECT `+userColumns+` FROM users WHERE id = $1`, id))
}

// GetUserByUUID returns the user with the public id, or ErrNotFound.
func (s *Store) GetUserByUUID(ctx context.Context, uuid string) (*User, error) {
	return scanUser(s.read.queryRow(ctx, `SELECT `+userColumns+` FROM users WHERE uuid = $1`, uuid))
}

// GetUserByName returns the user with the login name, or ErrNotFound.
func (s *Store) GetUserByName(ctx context.Context, name string) (*User, error) {
	return scanUser(s.read.queryRow(ctx, `SELECT `+userColumns+` FROM users WHERE name = $1`, name))
}

// GetUserByEmail returns the user with the (lower-case) address, or ErrNotFound.
func (s *Store) GetUserByEmail(ctx context.Context, email string) (*User, error) {
	return scanUser(s.read.queryRow(ctx, `SELECT `+userColumns+` FROM users WHERE email = $1`, email))
}

// ListUsers returns every user ordered by name.
func (s *Store) ListUsers(ctx context.Context) ([]*User, error) {
	rs, err := s.read.query(ctx, `SELECT `+userColumns+` FROM users ORDER BY name`)
	if err != nil {
		return nil, err
	}
	defer rs.Close()
	var out []*User
	for rs.Next() {
		u, err := scanUser(rs)
		if err != nil {
			return nil, err
		}
		out = append(out, u)
	}
	return out, rs.Err()
}
