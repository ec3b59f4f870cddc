package store

import "context"

// Change is one entry of a calendar's change log.
type Change struct {
	Name     string
	UUID     string // the object's public id
	Revision int64
	Deleted  bool
}

// logChange records that name changed at rev. The log keeps one row per
// resource (its latest change), so a sync answer never repeats a name.
func logChange(ctx context.Context, q querier, calID, rev int64, name, uuid string, deleted bool) error {
	_, err := q.exec(ctx, `INSERT INTO changes (calendar_id, revision, name, uuid, deleted) VALUES ($1, $2, $3, $4, $5)
		ON CONFLICT (calendar_id, name) DO UPDATE SET revision = excluded.revision, uuid = excluded.uuid, deleted = excluded.deleted`,
		calID, rev, name, uuid, deleted)
	return err
}

// ChangesSince returns the changes of calendar calID after revision since,
// oldest first, at most limit of them (limit <= 0: all), and the calendar's
// current revision. With since == 0 it lists the live resources only, as an
// initial sync must (RFC 6578 §3.3). It returns ErrInvalidSyncToken when
// since is older than the log reaches or newer than the calendar, and
// ErrNotFound when the calendar does not exist.
//
// When the answer is truncated, the revision of the last change returned
// is a valid token to continue from (RFC 6578 §3.6).
func (s *Store) ChangesSince(ctx context.Context, calID, since int64, limit int) ([]Change, int64, error) {
	var rev, floor int64
	err := s.read.queryRow(ctx, `SELECT revision, sync_floor FROM calendars WHERE id = $1`, calID).Scan(&rev, &floor)
	if isNoRows(err) {
		return nil, 0, ErrNotFound
	} else if err != nil {
		return nil, 0, err
	}
	if since < 0 || since > rev || (since != 0 && since < floor) {
		return nil, rev, ErrInvalidSyncToken
	}
	if limit <= 0 {
		limit = -1 // no LIMIT in SQLite; PostgreSQL accepts LIMIT NULL
	}
	var lim any = limit
	if limit < 0 && s.dialect == "postgres" {
		lim = nil
	}
	cond := `revision > $2`
	if since == 0 {
		cond = `revision > $2 AND NOT deleted`
	}
	rs, err := s.read.query(ctx, `SELECT name, uuid, revision, deleted FROM changes WHERE calendar_id = $1 AND `+cond+`
		ORDER BY revision LIMIT $3`, calID, since, lim)
	if err != nil {
		return nil, rev, err
	}
	defer rs.Close()
	var out []Change
	for rs.Next() {
		var c Change
		if err := rs.Scan(&c.Name, &c.UUID, &c.Revision, &c.Deleted); err != nil {
			return nil, rev, err
		}
		out = append(out, c)
	}
	return out, rev, rs.Err()
}

// PruneTombstones forgets deletions at or before revision upTo, so the log
// stops growing with deleted resources; sync tokens older than upTo become
// invalid and their clients do a full sync.
func (s *Store) PruneTombstones(ctx context.Context, calID, upTo int64) error {
	return s.inTx(ctx, func(q querier) error {
		if _, err := q.exec(ctx, `DELETE FROM changes WHERE calendar_id = $1 AND deleted AND revision <= $2`, calID, upTo); err != nil {
			return err
		}
		_, err := q.exec(ctx, `UPDATE calendars SET sync_floor = $2 WHERE id = $1 AND sync_floor < $2`, calID, upTo)
		return err
	})
}
