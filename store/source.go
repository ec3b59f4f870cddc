package store

import (
	"context"
	"fmt"
	"time"
)

// Source is the remote end of a calendar that mirrors data from elsewhere
// (Calendar.Source), with the state of its refreshes.
type Source struct {
	CalendarID   int64
	Kind         string // SourceICS or SourceCalDAV
	URL          string
	Username     string
	Secret       []byte // the password, sealed; empty: none
	RefreshEvery time.Duration
	// ETag and LastModified are the validators of the last feed fetched,
	// for conditional requests.
	ETag, LastModified string
	// SyncToken is the CalDAV sync token of the last sync-collection;
	// SyncSupported is false once the server refused that report.
	SyncToken     string
	SyncSupported bool
	Failures      int // consecutive failed refreshes
	LastError     string
	LastAttemptAt time.Time
	LastSuccessAt time.Time
	NextAttemptAt time.Time
	CreatedAt     time.Time
	UpdatedAt     time.Time
}

const sourceColumns = `calendar_id, kind, url, username, secret, refresh_every, etag, last_modified, sync_token,
	sync_supported, failures, last_error, last_attempt_at, last_success_at, next_attempt_at, created_at, updated_at`

func scanSource(r row) (*Source, error) {
	var src Source
	var every, attempt, success, next, created, updated int64
	err := r.Scan(&src.CalendarID, &src.Kind, &src.URL, &src.Username, &src.Secret, &every, &src.ETag,
		&src.LastModified, &src.SyncToken, &src.SyncSupported, &src.Failures, &src.LastError,
		&attempt, &success, &next, &created, &updated)
	if isNoRows(err) {
		return nil, ErrNotFound
	}
	if err != nil {
		return nil, err
	}
	src.RefreshEvery = time.Duration(every) * time.Microsecond
	src.LastAttemptAt, src.LastSuccessAt = fromMicroOrZero(attempt), fromMicroOrZero(success)
	src.NextAttemptAt, src.CreatedAt, src.UpdatedAt = FromMicro(next), FromMicro(created), FromMicro(updated)
	return &src, nil
}

func fromMicroOrZero(us int64) time.Time {
	if us == 0 {
		return time.Time{}
	}
	return FromMicro(us)
}

// CreateSourceCalendar creates calendar c (whose Source must be set) and
// its source in one transaction; the source is due for its first refresh
// at once. It returns ErrExists if the owner has a calendar named c.Name.
func (s *Store) CreateSourceCalendar(ctx context.Context, c *Calendar, src *Source) error {
	if c.Source == "" || c.Source != src.Kind {
		return fmt.Errorf("store: calendar source %q does not match %q", c.Source, src.Kind)
	}
	now := s.nowMicro()
	if c.UUID == "" {
		c.UUID = NewUUID()
	}
	err := s.inTx(ctx, func(q querier) error {
		err := q.queryRow(ctx, `INSERT INTO calendars (uuid, owner_id, name, display_name, description, color,
			sort_order, time_zone, components, source, created_at, updated_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $11) RETURNING id`,
			c.UUID, c.OwnerID, c.Name, c.DisplayName, c.Description, c.Color, c.Order, c.TimeZone,
			joinComponents(c.Components), c.Source, now).Scan(&c.ID)
		if err != nil {
			return err
		}
		src.CalendarID = c.ID
		_, err = q.exec(ctx, `INSERT INTO calendar_sources (calendar_id, kind, url, username, secret, refresh_every,
			next_attempt_at, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $7, $7)`,
			c.ID, src.Kind, src.URL, src.Username, nonNil(src.Secret), src.RefreshEvery.Microseconds(), now)
		return err
	})
	if _, ok := uniqueViolation(err); ok {
		return ErrExists
	}
	if err != nil {
		return fmt.Errorf("store: create calendar: %w", err)
	}
	c.CreatedAt, c.UpdatedAt = FromMicro(now), FromMicro(now)
	src.NextAttemptAt, src.CreatedAt, src.UpdatedAt = FromMicro(now), FromMicro(now), FromMicro(now)
	return nil
}

func nonNil(b []byte) []byte {
	if b == nil {
		return []byte{}
	}
	return b
}

// GetSource returns the source of a calendar, or ErrNotFound.
func (s *Store) GetSource(ctx context.Context, calID int64) (*Source, error) {
	return scanSource(s.read.queryRow(ctx, `SELECT `+sourceColumns+` FROM calendar_sources WHERE calendar_id = $1`, calID))
}

// UpdateSourceSettings writes a source's URL, credentials and interval.
// The remote end may be another one now, so what was learnt about the old
// one (validators, sync token, failures) is forgotten and a refresh is due
// at once. It returns ErrNotFound.
func (s *Store) UpdateSourceSettings(ctx context.Context, src *Source) error {
	now := s.nowMicro()
	return s.inTx(ctx, func(q querier) error {
		n, err := q.exec(ctx, `UPDATE calendar_sources SET url = $2, username = $3, secret = $4, refresh_every = $5,
			etag = '', last_modified = '', sync_token = '', sync_supported = TRUE, failures = 0, last_error = '',
			next_attempt_at = $6, updated_at = $6 WHERE calendar_id = $1`,
			src.CalendarID, src.URL, src.Username, nonNil(src.Secret), src.RefreshEvery.Microseconds(), now)
		if err == nil && n == 0 {
			return ErrNotFound
		}
		return err
	})
}

// RefreshSourceNow makes a source due at once. It returns ErrNotFound.
func (s *Store) RefreshSourceNow(ctx context.Context, calID int64) error {
	return s.inTx(ctx, func(q querier) error {
		n, err := q.exec(ctx, `UPDATE calendar_sources SET next_attempt_at = $2, updated_at = $2 WHERE calendar_id = $1`,
			calID, s.nowMicro())
		if err == nil && n == 0 {
			return ErrNotFound
		}
		return err
	})
}

// LeaseSources claims up to n sources due for a refresh, for lease. On
// PostgreSQL rows another node is claiming are skipped, so each refresh
// runs on one node.
func (s *Store) LeaseSources(ctx context.Context, n int, lease time.Duration) ([]*Source, error) {
	now := s.nowMicro()
	lock := ""
	if s.dialect == "postgres" {
		lock = " FOR UPDATE SKIP LOCKED"
	}
	var out []*Source
	err := s.inTx(ctx, func(q querier) error {
		rs, err := q.query(ctx, `UPDATE calendar_sources SET leased_until = $2, last_attempt_at = $1
			WHERE calendar_id IN (SELECT calendar_id FROM calendar_sources WHERE next_attempt_at <= $1 AND leased_until < $1
				ORDER BY next_attempt_at LIMIT $3`+lock+`)
			RETURNING `+sourceColumns, now, now+lease.Microseconds(), n)
		if err != nil {
			return err
		}
		defer rs.Close()
		for rs.Next() {
			src, err := scanSource(rs)
			if err != nil {
				return err
			}
			out = append(out, src)
		}
		return rs.Err()
	})
	return out, err
}

// SourceOutcome is the result of one refresh.
type SourceOutcome struct {
	Err                error     // nil: success
	Warning            string    // on success: what was skipped (kept as the last error)
	ETag, LastModified string    // new validators (kept when empty on success)
	SyncToken          string    // new sync token (CalDAV)
	SyncSupported      bool      // whether sync-collection worked
	Next               time.Time // when to refresh next
}

// FinishRefresh records the outcome of a refresh and releases the lease.
// A success resets the failure count; a failure adds to it.
func (s *Store) FinishRefresh(ctx context.Context, calID int64, o SourceOutcome) error {
	now := s.nowMicro()
	return s.inTx(ctx, func(q querier) error {
		if o.Err != nil {
			_, err := q.exec(ctx, `UPDATE calendar_sources SET failures = failures + 1, last_error = $2,
				next_attempt_at = $3, leased_until = 0, updated_at = $4 WHERE calendar_id = $1`,
				calID, truncate(o.Err.Error(), 2000), Micro(o.Next), now)
			return err
		}
		_, err := q.exec(ctx, `UPDATE calendar_sources SET failures = 0, last_error = $8, last_success_at = $2,
			etag = $3, last_modified = $4, sync_token = $5, sync_supported = $6, next_attempt_at = $7,
			leased_until = 0, updated_at = $2 WHERE calendar_id = $1`,
			calID, now, o.ETag, o.LastModified, o.SyncToken, o.SyncSupported, Micro(o.Next), truncate(o.Warning, 2000))
		return err
	})
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n]
}

// CountTombstones returns how many deleted resources a calendar's change
// log remembers, and how many live ones it has.
func (s *Store) CountTombstones(ctx context.Context, calID int64) (tombstones, live int64, err error) {
	err = s.read.queryRow(ctx, `SELECT
		(SELECT count(*) FROM changes WHERE calendar_id = $1 AND deleted),
		(SELECT count(*) FROM objects WHERE calendar_id = $1)`, calID).Scan(&tombstones, &live)
	return tombstones, live, err
}

// ListSources returns every source, for administration and key rotation.
func (s *Store) ListSources(ctx context.Context) ([]*Source, error) {
	rs, err := s.read.query(ctx, `SELECT `+sourceColumns+` FROM calendar_sources ORDER BY calendar_id`)
	if err != nil {
		return nil, err
	}
	defer rs.Close()
	var out []*Source
	for rs.Next() {
		src, err := scanSource(rs)
		if err != nil {
			return nil, err
		}
		out = append(out, src)
	}
	return out, rs.Err()
}

// MirrorItem maps a remote resource of a mirrored collection to the local
// resource holding it.
type MirrorItem struct {
	Href string // the remote path
	Name string // the local resource name
	ETag string // the remote ETag when it was fetched
}

// MirrorItems returns what is known of a mirrored collection, by href.
func (s *Store) MirrorItems(ctx context.Context, calID int64) (map[string]MirrorItem, error) {
	rs, err := s.read.query(ctx, `SELECT href, name, etag FROM mirror_items WHERE calendar_id = $1`, calID)
	if err != nil {
		return nil, err
	}
	defer rs.Close()
	out := map[string]MirrorItem{}
	for rs.Next() {
		var it MirrorItem
		if err := rs.Scan(&it.Href, &it.Name, &it.ETag); err != nil {
			return nil, err
		}
		out[it.Href] = it
	}
	return out, rs.Err()
}

// UpdateMirrorItems records fetched remote resources and forgets removed
// ones (by href). It runs after the objects are written: if it is lost,
// the next refresh fetches those resources again and finds them unchanged.
func (s *Store) UpdateMirrorItems(ctx context.Context, calID int64, put []MirrorItem, remove []string) error {
	return s.inTx(ctx, func(q querier) error {
		for _, it := range put {
			if _, err := q.exec(ctx, `INSERT INTO mirror_items (calendar_id, href, name, etag) VALUES ($1, $2, $3, $4)
				ON CONFLICT (calendar_id, href) DO UPDATE SET name = excluded.name, etag = excluded.etag`,
				calID, it.Href, it.Name, it.ETag); err != nil {
				return err
			}
		}
		for _, h := range remove {
			if _, err := q.exec(ctx, `DELETE FROM mirror_items WHERE calendar_id = $1 AND href = $2`, calID, h); err != nil {
				return err
			}
		}
		return nil
	})
}

// UpdateSecrets replaces sealed secrets (source passwords by calendar id,
// publication tokens by calendar id) in one transaction, as a key
// rotation re-seals them.
func (s *Store) UpdateSecrets(ctx context.Context, sources, publications map[int64][]byte) error {
	return s.inTx(ctx, func(q querier) error {
		for id, b := range sources {
			if _, err := q.exec(ctx, `UPDATE calendar_sources SET secret = $2 WHERE calendar_id = $1`, id, b); err != nil {
				return err
			}
		}
		for id, b := range publications {
			if _, err := q.exec(ctx, `UPDATE publications SET token = $2 WHERE calendar_id = $1`, id, b); err != nil {
				return err
			}
		}
		return nil
	})
}

// ListPublications returns every publication, for key rotation.
func (s *Store) ListPublications(ctx context.Context) ([]*Publication, error) {
	rs, err := s.read.query(ctx, `SELECT `+publicationColumns+` FROM publications ORDER BY calendar_id`)
	if err != nil {
		return nil, err
	}
	defer rs.Close()
	var out []*Publication
	for rs.Next() {
		p, err := scanPublication(rs)
		if err != nil {
			return nil, err
		}
		out = append(out, p)
	}
	return out, rs.Err()
}
