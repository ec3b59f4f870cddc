package store

import "context"

// Publication is a calendar published read-only at a secret URL.
type Publication struct {
	CalendarID int64
	Digest     string // SHA-256 of the token, hex; what requests are matched by
	Token      []byte // the token, sealed with the server's secret key
	Level      string // busy, titles or full
	CreatedAt  int64  // µs
	UpdatedAt  int64  // µs
}

// PutPublication creates or replaces the calendar's publication.
func (s *Store) PutPublication(ctx context.Context, p *Publication) error {
	now := s.nowMicro()
	return s.inTx(ctx, func(q querier) error {
		_, err := q.exec(ctx, `INSERT INTO publications (calendar_id, digest, token, level, created_at, updated_at)
			VALUES ($1, $2, $3, $4, $5, $5)
			ON CONFLICT (calendar_id) DO UPDATE SET digest = excluded.digest, token = excluded.token,
				level = excluded.level, updated_at = excluded.updated_at`,
			p.CalendarID, p.Digest, p.Token, p.Level, now)
		return err
	})
}

const publicationColumns = `calendar_id, digest, token, level, created_at, updated_at`

func scanPublication(r row) (*Publication, error) {
	var p Publication
	err := r.Scan(&p.CalendarID, &p.Digest, &p.Token, &p.Level, &p.CreatedAt, &p.UpdatedAt)
	if isNoRows(err) {
		return nil, ErrNotFound
	}
	return &p, err
}

// GetPublication returns the calendar's publication, or ErrNotFound.
func (s *Store) GetPublication(ctx context.Context, calID int64) (*Publication, error) {
	return scanPublication(s.read.queryRow(ctx, `SELECT `+publicationColumns+` FROM publications WHERE calendar_id = $1`, calID))
}

// GetPublicationByDigest returns the publication whose token has the
// digest, or ErrNotFound.
func (s *Store) GetPublicationByDigest(ctx context.Context, digest string) (*Publication, error) {
	return scanPublication(s.read.queryRow(ctx, `SELECT `+publicationColumns+` FROM publications WHERE digest = $1`, digest))
}

// DeletePublication revokes the calendar's publication; ErrNotFound when
// there is none.
func (s *Store) DeletePublication(ctx context.Context, calID int64) error {
	return s.inTx(ctx, func(q querier) error {
		n, err := q.exec(ctx, `DELETE FROM publications WHERE calendar_id = $1`, calID)
		if err == nil && n == 0 {
			return ErrNotFound
		}
		return err
	})
}
