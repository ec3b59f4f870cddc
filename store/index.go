package store

import "context"

// IndexedInstance is an index row with the object it belongs to.
type IndexedInstance struct {
	Instance
	CalendarID int64
	ObjectID   int64
}

// floatSlack widens a query for floating and all-day instances, whose
// stored times are wall clock: every UTC offset in use lies within ±14 h.
const floatSlack = int64(14 * 3600 * 1e6)

// widened is [from, to) widened by floatSlack on each side: where the
// stored times of the floating and all-day instances that may overlap it
// lie.
func widened(from, to int64) (lo, hi int64) {
	return sat(from, -floatSlack), sat(to, floatSlack)
}

// overlaps applies RFC 4791 §9.9 to absolute times: a zero-length instance
// overlaps when it starts inside the window, others when they intersect it.
func (in Instance) overlaps(from, to int64) bool {
	return in.Start < to && (in.End > from || in.Start >= from)
}

// sat adds d to t without overflowing, so Forever stays Forever.
func sat(t, d int64) int64 {
	switch {
	case d > 0 && t > Forever-d:
		return Forever
	case d < 0 && t < -Forever-d:
		return -Forever
	}
	return t + d
}

// ObjectRef names an object whose index needs work.
type ObjectRef struct {
	ID, CalendarID int64
	ETag           string
	IndexedUntil   int64
}

// indexedBefore is the condition "materialised only up to a time before
// p" (a placeholder) in the form the partial index objects_horizon
// serves. The unary plus is for SQLite: it matches a bare placeholder
// against the index's own "indexed_until < 9223372036854775807" by the
// bound value, and then prepares the whole statement again every time the
// placeholder is bound.
func indexedBefore(p string) string {
	return "indexed_until < +" + p + " AND indexed_until < 9223372036854775807"
}

// ObjectsToExtend returns up to limit objects whose instances are
// materialised only up to a time before before, in order of horizon and
// id, starting after the object after (zero: from the first); pass the
// last one returned to get the next page.
func (s *Store) ObjectsToExtend(ctx context.Context, before int64, after ObjectRef, limit int) ([]ObjectRef, error) {
	rs, err := s.read.query(ctx, `SELECT id, calendar_id, etag, indexed_until FROM objects
		WHERE `+indexedBefore("$1")+` AND (indexed_until, id) > ($2, $3)
		ORDER BY indexed_until, id LIMIT $4`, before, after.IndexedUntil, after.ID, limit)
	if err != nil {
		return nil, err
	}
	defer rs.Close()
	var out []ObjectRef
	for rs.Next() {
		var r ObjectRef
		if err := rs.Scan(&r.ID, &r.CalendarID, &r.ETag, &r.IndexedUntil); err != nil {
			return nil, err
		}
		out = append(out, r)
	}
	return out, rs.Err()
}

// ReindexObject replaces an object's index rows and horizon without
// changing the object: it is not a change clients see (no revision, no
// change log). It does nothing and reports false when the object's ETag is
// no longer etag, i.e. a client wrote it in the meantime.
func (s *Store) ReindexObject(ctx context.Context, ref ObjectRef, instances []Instance, indexedUntil int64) (bool, error) {
	done := false
	err := s.inTx(ctx, func(q querier) error {
		// Lock the calendar first, in the same order as writers do.
		lock := `SELECT max_span FROM calendars WHERE id = $1`
		if s.dialect == "postgres" {
			lock += ` FOR UPDATE`
		}
		var maxSpan int64
		if err := q.queryRow(ctx, lock, ref.CalendarID).Scan(&maxSpan); err != nil {
			if isNoRows(err) {
				return nil
			}
			return err
		}
		var etag string
		err := q.queryRow(ctx, `SELECT etag FROM objects WHERE id = $1`, ref.ID).Scan(&etag)
		if isNoRows(err) || (err == nil && etag != ref.ETag) {
			return nil
		} else if err != nil {
			return err
		}
		if _, err := q.exec(ctx, `DELETE FROM instances WHERE object_id = $1`, ref.ID); err != nil {
			return err
		}
		if err := s.insertInstances(ctx, q, ref.CalendarID, ref.ID, maxSpan, instances); err != nil {
			return err
		}
		_, err = q.exec(ctx, `UPDATE objects SET indexed_until = $2 WHERE id = $1`, ref.ID, indexedUntil)
		done = err == nil
		return err
	})
	return done, err
}
