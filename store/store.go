// Package store keeps Almanac's state: principals, calendars, calendar object
// resources with their time-range index, and the change log behind sync
// tokens. One API, two backends: PostgreSQL through pgx for deployments that
// scale out, and an embedded SQLite file (pure Go, no cgo) for a server that
// needs nothing else. Both run the same SQL wherever the dialects agree and
// pass the same conformance tests.
package store

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// Errors returned by store methods. Callers test them with errors.Is; the
// protocol front ends translate them to HTTP and DAV statuses.
var (
	ErrNotFound           = errors.New("store: not found")
	ErrExists             = errors.New("store: already exists")
	ErrPreconditionFailed = errors.New("store: precondition failed")
	ErrInvalidSyncToken   = errors.New("store: sync token no longer valid")
	// ErrStale: the resource changed after a write was prepared from it
	// (Conditions.Stored); prepare the write again.
	ErrStale = errors.New("store: the stored version changed meanwhile")
)

// UIDConflictError reports that another resource of the calendar already
// holds the UID (RFC 4791 §5.3.2.1, CALDAV:no-uid-conflict).
type UIDConflictError struct {
	UID  string
	Name string // the resource that has the UID
}

func (e *UIDConflictError) Error() string {
	return fmt.Sprintf("store: UID %q is already used by resource %q", e.UID, e.Name)
}

// FieldConflictError reports a uniqueness violation on a named field, such as
// a user name or e-mail address that is already taken.
type FieldConflictError struct{ Field string }

func (e *FieldConflictError) Error() string { return "store: " + e.Field + " already in use" }

func (e *FieldConflictError) Is(target error) bool { return target == ErrExists }

// Store is the database handle shared by every front end.
type Store struct {
	dialect string
	read    querier // queries outside a transaction
	begin   func(ctx context.Context) (txQuerier, error)
	ping    func(ctx context.Context) error
	close   func()
	now     func() time.Time
}

// Options tune a store.
type Options struct {
	// MaxConns bounds the connection pool (0: backend default).
	MaxConns int
	// Schema places every table in this PostgreSQL schema, created if
	// needed; tests use it for isolation. Ignored by SQLite.
	Schema string
}

// Open connects to the database named by url: a postgres:// or
// postgresql:// URL, or a path (optionally prefixed by sqlite: or file:) for
// an embedded SQLite database. It applies pending migrations.
func Open(ctx context.Context, url string, opt Options) (*Store, error) {
	var (
		s   *Store
		err error
	)
	if isPostgresURL(url) {
		s, err = openPostgres(ctx, url, opt)
	} else {
		s, err = openSQLite(ctx, sqlitePath(url), opt)
	}
	if err != nil {
		return nil, err
	}
	if err := s.Migrate(ctx); err != nil {
		s.Close()
		return nil, err
	}
	return s, nil
}

// Dialect is "postgres" or "sqlite".
func (s *Store) Dialect() string { return s.dialect }

// Ping checks that the database answers.
func (s *Store) Ping(ctx context.Context) error { return s.ping(ctx) }

// Settle prepares the index tables for reading after a bulk load. On
// PostgreSQL it vacuums and analyses them: until VACUUM marks the new
// pages all-visible, an index-only scan still reads the table page of
// every row, and the planner has no statistics; autovacuum does the same
// within a minute or so where it is on. SQLite needs nothing.
func (s *Store) Settle(ctx context.Context) error {
	if s.dialect != "postgres" {
		return nil
	}
	_, err := s.read.exec(ctx, `VACUUM (ANALYZE) instances, objects, calendars, object_text`)
	return err
}

// Close releases every connection.
func (s *Store) Close() { s.close() }

// SetClock replaces the clock used for timestamps; tests use it.
func (s *Store) SetClock(now func() time.Time) { s.now = now }

func (s *Store) nowMicro() int64 { return s.now().UnixMicro() }

// inTx runs fn in one transaction, committed when fn returns nil.
func (s *Store) inTx(ctx context.Context, fn func(q querier) error) error {
	tx, err := s.begin(ctx)
	if err != nil {
		return fmt.Errorf("store: begin: %w", err)
	}
	if err := fn(tx); err != nil {
		tx.rollback()
		return err
	}
	if err := tx.commit(ctx); err != nil {
		return fmt.Errorf("store: commit: %w", err)
	}
	return nil
}

// Clock returns the store's current time.
func (s *Store) Clock() time.Time { return s.now() }
