package store

import (
	"context"
	"time"
)

// Session is a signed-in browser or API client. Only the SHA-256 digest of
// its bearer token is stored.
type Session struct {
	ID        int64
	UserID    int64
	Digest    string
	CSRF      string
	CreatedAt time.Time
	ExpiresAt time.Time
}

// CreateSession stores a new session and fills in its ID.
func (s *Store) CreateSession(ctx context.Context, sess *Session) error {
	return s.inTx(ctx, func(q querier) error {
		return q.queryRow(ctx, `INSERT INTO sessions (user_id, digest, csrf, created_at, expires_at)
			VALUES ($1, $2, $3, $4, $5) RETURNING id`,
			sess.UserID, sess.Digest, sess.CSRF, Micro(sess.CreatedAt), Micro(sess.ExpiresAt)).Scan(&sess.ID)
	})
}

// SessionUser returns the unexpired session with the token digest and its
// user in one round trip (the lookup behind every request with a bearer
// token or session cookie), or ErrNotFound.
func (s *Store) SessionUser(ctx context.Context, digest string) (*User, *Session, error) {
	var sess Session
	var created, expires int64
	us := userScan{u: &User{}}
	u := us.u
	err := s.read.queryRow(ctx, `SELECT `+qualified("u", userColumns)+`, s.id, s.csrf, s.created_at, s.expires_at
		FROM sessions s JOIN users u ON u.id = s.user_id
		WHERE s.digest = $1 AND s.expires_at > $2`, digest, s.nowMicro()).
		Scan(append(us.dest(), &sess.ID, &sess.CSRF, &created, &expires)...)
	if isNoRows(err) {
		return nil, nil, ErrNotFound
	}
	if err != nil {
		return nil, nil, err
	}
	us.done()
	sess.UserID, sess.Digest = u.ID, digest
	sess.CreatedAt, sess.ExpiresAt = FromMicro(created), FromMicro(expires)
	return u, &sess, nil
}

// DeleteSession ends the session with the token digest (logout).
func (s *Store) DeleteSession(ctx context.Context, digest string) error {
	return s.inTx(ctx, func(q querier) error {
		_, err := q.exec(ctx, `DELETE FROM sessions WHERE digest = $1`, digest)
		return err
	})
}

// DeleteUserSessions ends every session of a user, e.g. after a password
// change.
func (s *Store) DeleteUserSessions(ctx context.Context, userID int64) error {
	return s.DeleteOtherSessions(ctx, userID, "")
}

// DeleteOtherSessions ends every session of a user but the one with the
// token digest keep (the one that changed the password).
func (s *Store) DeleteOtherSessions(ctx context.Context, userID int64, keep string) error {
	return s.inTx(ctx, func(q querier) error {
		_, err := q.exec(ctx, `DELETE FROM sessions WHERE user_id = $1 AND digest <> $2`, userID, keep)
		return err
	})
}

// PurgeExpiredSessions deletes sessions past their expiry and reports how
// many went.
func (s *Store) PurgeExpiredSessions(ctx context.Context) (int64, error) {
	var n int64
	err := s.inTx(ctx, func(q querier) error {
		var err error
		n, err = q.exec(ctx, `DELETE FROM sessions WHERE expires_at <= $1`, s.nowMicro())
		return err
	})
	return n, err
}

// AppPassword is a named, revocable secret for a CalDAV client.
type AppPassword struct {
	ID         int64
	UserID     int64
	Name       string
	Digest     string
	CreatedAt  time.Time
	LastUsedAt time.Time // zero if never used
}

// CreateAppPassword stores p and fills in its ID. It returns a
// FieldConflictError for "name" if the user already has one of that name.
func (s *Store) CreateAppPassword(ctx context.Context, p *AppPassword) error {
	now := s.nowMicro()
	err := s.inTx(ctx, func(q querier) error {
		return q.queryRow(ctx, `INSERT INTO app_passwords (user_id, name, digest, created_at)
			VALUES ($1, $2, $3, $4) RETURNING id`, p.UserID, p.Name, p.Digest, now).Scan(&p.ID)
	})
	if _, ok := uniqueViolation(err); ok {
		return &FieldConflictError{Field: "name"}
	}
	p.CreatedAt = FromMicro(now)
	return err
}

// LoginBy says which of a user's identifiers a login names; the caller
// decides (account: an "@" means an address).
type LoginBy int

const (
	ByName  LoginBy = iota // the login name
	ByEmail                // the e-mail address
)

// UserWithAppPassword returns the user that login names (by name or by
// address, as by says) and the id of their app password with the digest,
// 0 when they have none: the lookup behind every HTTP Basic request, in
// one round trip. It returns ErrNotFound for no such user.
func (s *Store) UserWithAppPassword(ctx context.Context, by LoginBy, login, digest string) (*User, int64, error) {
	col := "name"
	if by == ByEmail {
		col = "email"
	}
	var pid int64
	us := userScan{u: &User{}}
	err := s.read.queryRow(ctx, `SELECT `+userColumns+`,
		COALESCE((SELECT a.id FROM app_passwords a WHERE a.digest = $2 AND a.user_id = users.id), 0)
		FROM users WHERE `+col+` = $1`, login, digest).Scan(append(us.dest(), &pid)...)
	if isNoRows(err) {
		return nil, 0, ErrNotFound
	}
	if err != nil {
		return nil, 0, err
	}
	us.done()
	return us.u, pid, nil
}

// TouchAppPassword records that an app password was just used.
func (s *Store) TouchAppPassword(ctx context.Context, id int64) error {
	return s.inTx(ctx, func(q querier) error {
		_, err := q.exec(ctx, `UPDATE app_passwords SET last_used_at = $2 WHERE id = $1`, id, s.nowMicro())
		return err
	})
}

// ListAppPasswords returns a user's app passwords ordered by name.
func (s *Store) ListAppPasswords(ctx context.Context, userID int64) ([]*AppPassword, error) {
	rs, err := s.read.query(ctx, `SELECT id, user_id, name, digest, created_at, last_used_at
		FROM app_passwords WHERE user_id = $1 ORDER BY name`, userID)
	if err != nil {
		return nil, err
	}
	defer rs.Close()
	var out []*AppPassword
	for rs.Next() {
		var p AppPassword
		var created, used int64
		if err := rs.Scan(&p.ID, &p.UserID, &p.Name, &p.Digest, &created, &used); err != nil {
			return nil, err
		}
		p.CreatedAt = FromMicro(created)
		if used != 0 {
			p.LastUsedAt = FromMicro(used)
		}
		out = append(out, &p)
	}
	return out, rs.Err()
}

// DeleteAppPassword revokes a user's app password by name; ErrNotFound if
// there is none.
func (s *Store) DeleteAppPassword(ctx context.Context, userID int64, name string) error {
	return s.inTx(ctx, func(q querier) error {
		n, err := q.exec(ctx, `DELETE FROM app_passwords WHERE user_id = $1 AND name = $2`, userID, name)
		if err == nil && n == 0 {
			return ErrNotFound
		}
		return err
	})
}
