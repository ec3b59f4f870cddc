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
	Email        string // lower case; matched to the account only once verified
	DisplayName  string
	PasswordHash string // argon2id in PHC format; empty: no password login
	TimeZone     string // IANA name
	WeekStart    int    // 0 = Sunday … 6 = Saturday
	CreatedAt    time.Time
	UpdatedAt    time.Time
	// EmailUnverified says that nobody has proven to own Email yet: a
	// public sign-up's address until the link sent to it is followed (an
	// administrator's accounts, the zero value, are verified). PendingEmail
	// is a new address waiting for its link, while Email stays in use.
	EmailUnverified bool
	PendingEmail    string
	// FreeBusyHidden opts out of the directory: other users see the
	// user's busy time only in calendars shared with them.
	FreeBusyHidden bool
	// Invitations is whose invitations go straight into the user's
	// calendar: InvitationsEveryone, InvitationsKnown, or "" for the
	// server's default.
	Invitations string
	// SignedUp marks an account made by a public sign-up rather than by
	// an administrator; it is set when the account is made and never
	// changes. The administrator's accounts know each other (Knows).
	SignedUp bool
}

// The values of User.Invitations.
const (
	InvitationsEveryone = "everyone"
	InvitationsKnown    = "known"
)

// VerifiedEmail is the user's address when it is verified, else "": the
// address scheduling and sharing may match to the account.
func (u *User) VerifiedEmail() string {
	if u.EmailUnverified {
		return ""
	}
	return u.Email
}

const userColumns = `id, uuid, name, email, display_name, password_hash, time_zone, week_start, created_at, updated_at, email_verified, pending_email, freebusy_hidden, invitations, signed_up`

// userScan is a user's columns (userColumns) being scanned; done converts
// what needs converting.
type userScan struct {
	u                *User
	created, updated int64
	verified         bool
}

func (us *userScan) dest() []any {
	u := us.u
	return []any{&u.ID, &u.UUID, &u.Name, &u.Email, &u.DisplayName, &u.PasswordHash, &u.TimeZone, &u.WeekStart,
		&us.created, &us.updated, &us.verified, &u.PendingEmail, &u.FreeBusyHidden, &u.Invitations, &u.SignedUp}
}

func (us *userScan) done() {
	us.u.CreatedAt, us.u.UpdatedAt = FromMicro(us.created), FromMicro(us.updated)
	us.u.EmailUnverified = !us.verified
}

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
	us := userScan{u: &User{}}
	err := r.Scan(us.dest()...)
	if isNoRows(err) {
		return nil, ErrNotFound
	}
	if err != nil {
		return nil, err
	}
	us.done()
	return us.u, nil
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
		err := q.queryRow(ctx, `INSERT INTO users (uuid, name, email, display_name, password_hash, time_zone, week_start, created_at, updated_at,
			email_verified, pending_email, freebusy_hidden, invitations, signed_up) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $8, $9, $10, $11, $12, $13) RETURNING id`,
			u.UUID, u.Name, u.Email, u.DisplayName, u.PasswordHash, u.TimeZone, u.WeekStart, now, !u.EmailUnverified, u.PendingEmail,
			u.FreeBusyHidden, u.Invitations, u.SignedUp).Scan(&u.ID)
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
// it is empty). A verification link sent before is void once the address
// it was for is no longer the one waiting. It returns ErrNotFound or a
// FieldConflictError.
func (s *Store) UpdateUser(ctx context.Context, u *User) error {
	now := s.nowMicro()
	err := s.inTx(ctx, func(q querier) error {
		n, err := q.exec(ctx, `UPDATE users SET name = $2, email = $3, display_name = $4,
			password_hash = CASE WHEN $5 = '' THEN password_hash ELSE $5 END,
			time_zone = $6, week_start = $7, updated_at = $8,
			email_token = CASE WHEN email = $3 AND email_verified = $9 AND pending_email = $10 THEN email_token ELSE '' END,
			email_verified = $9, pending_email = $10, freebusy_hidden = $11, invitations = $12 WHERE id = $1`,
			u.ID, u.Name, u.Email, u.DisplayName, u.PasswordHash, u.TimeZone, u.WeekStart, now, !u.EmailUnverified, u.PendingEmail,
			u.FreeBusyHidden, u.Invitations)
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

// GetUserByEmail returns the user whose verified address is email (lower
// case), or ErrNotFound: an address nobody has verified belongs to no one
// as far as sharing and scheduling go.
func (s *Store) GetUserByEmail(ctx context.Context, email string) (*User, error) {
	return scanUser(s.read.queryRow(ctx, `SELECT `+userColumns+` FROM users WHERE email = $1 AND email_verified`, email))
}

// GetUserByLoginEmail returns the user with the address, verified or not,
// or ErrNotFound: people sign in with the address they registered.
func (s *Store) GetUserByLoginEmail(ctx context.Context, email string) (*User, error) {
	return scanUser(s.read.queryRow(ctx, `SELECT `+userColumns+` FROM users WHERE email = $1`, email))
}

// SetEmailToken records the digest of the link sent to verify the user's
// waiting address (PendingEmail, or Email when that is not verified yet),
// replacing any earlier one. It returns ErrNotFound.
func (s *Store) SetEmailToken(ctx context.Context, userID int64, digest string, expires time.Time) error {
	return s.inTx(ctx, func(q querier) error {
		n, err := q.exec(ctx, `UPDATE users SET email_token = $2, email_token_expires = $3 WHERE id = $1`,
			userID, digest, Micro(expires))
		if err == nil && n == 0 {
			return ErrNotFound
		}
		return err
	})
}

// EmailTokenUser returns the user a verification link's digest was sent
// for, and when the link expires; ErrNotFound for none.
func (s *Store) EmailTokenUser(ctx context.Context, digest string) (*User, time.Time, error) {
	if digest == "" {
		return nil, time.Time{}, ErrNotFound
	}
	us := userScan{u: &User{}}
	var expires int64
	err := s.read.queryRow(ctx, `SELECT `+userColumns+`, email_token_expires FROM users WHERE email_token = $1`, digest).
		Scan(append(us.dest(), &expires)...)
	if isNoRows(err) {
		return nil, time.Time{}, ErrNotFound
	}
	if err != nil {
		return nil, time.Time{}, err
	}
	us.done()
	return us.u, FromMicro(expires), nil
}

// ReleaseUnverifiedEmail takes email from the account that holds it
// without having verified it, if any: an unverified address does not
// reserve it, or anyone could keep its owner from using it.
func (s *Store) ReleaseUnverifiedEmail(ctx context.Context, email string) error {
	return s.inTx(ctx, func(q querier) error { return releaseUnverified(ctx, q, email) })
}

// releaseUnverified gives the account holding email unverified an address
// of its own that can reach no one (RFC 2606 .invalid), for its owner to
// replace; its verification link is void.
func releaseUnverified(ctx context.Context, q querier, email string) error {
	_, err := q.exec(ctx, `UPDATE users SET email = 'released-' || uuid || '@example.invalid',
		email_token = '', email_token_expires = 0 WHERE email = $1 AND NOT email_verified`, email)
	return err
}

// ConfirmEmail marks the address the unexpired link with digest was sent
// for as verified: a waiting new address replaces the old one, and
// another account holding it unverified loses it. It returns
// the user, ErrNotFound for an unknown or expired link, and a
// FieldConflictError on "email" when another account has the address by
// now.
func (s *Store) ConfirmEmail(ctx context.Context, digest string) (*User, error) {
	now := s.nowMicro()
	var id int64
	err := s.inTx(ctx, func(q querier) error {
		var addr string
		err := q.queryRow(ctx, `SELECT pending_email FROM users WHERE email_token = $1 AND email_token <> ''`, digest).Scan(&addr)
		if err == nil && addr != "" {
			err = releaseUnverified(ctx, q, addr)
		}
		if err != nil && !isNoRows(err) {
			return err
		}
		err = q.queryRow(ctx, `UPDATE users SET
			email = CASE WHEN pending_email <> '' THEN pending_email ELSE email END,
			pending_email = '', email_verified = $3, email_token = '', email_token_expires = 0, updated_at = $2
			WHERE email_token = $1 AND email_token <> '' AND email_token_expires > $2 RETURNING id`, digest, now, true).Scan(&id)
		if isNoRows(err) {
			return ErrNotFound
		}
		return err
	})
	if err == ErrNotFound {
		return nil, err
	}
	if err != nil {
		return nil, userConflict(err)
	}
	return s.GetUser(ctx, id)
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
