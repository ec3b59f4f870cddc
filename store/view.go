package store

import (
	"context"
	"strconv"
)

// viewColumns are what a view reads of an index row, all in the
// instances_view index so that the scan never visits the table. Every
// column read costs a call into SQLite (and a mutex) per row, so the flags,
// the status and the component travel packed in one number: bits 0-3 the
// flags, 4-7 the status (statusCodes), 8 and up the component.
const viewColumns = `calendar_id, object_id, start_at, end_at, recurrence_id,
	CASE WHEN floating THEN 1 ELSE 0 END + CASE WHEN all_day THEN 2 ELSE 0 END +
	CASE WHEN override THEN 4 ELSE 0 END + CASE WHEN transparent THEN 8 ELSE 0 END +
	16 * CASE status WHEN '' THEN 0 WHEN 'CONFIRMED' THEN 1 WHEN 'TENTATIVE' THEN 2 WHEN 'CANCELLED' THEN 3
		WHEN 'NEEDS-ACTION' THEN 4 WHEN 'COMPLETED' THEN 5 WHEN 'IN-PROCESS' THEN 6 WHEN 'DRAFT' THEN 7
		WHEN 'FINAL' THEN 8 ELSE 15 END +
	256 * component`

// statusCodes are the STATUS values of RFC 5545 §3.8.1.11 by their code in
// viewColumns; 15 stands for any other, read from the table.
var statusCodes = [...]string{"", "CONFIRMED", "TENTATIVE", "CANCELLED", "NEEDS-ACTION", "COMPLETED", "IN-PROCESS", "DRAFT", "FINAL"}

// beyondMarker is the packed value of the row that says some series is
// materialised only up to a time before the window's end; real rows pack
// non-negative values.
const beyondMarker = -1

// ViewWindow returns the candidate instances of the calendars that may
// overlap [from, to) (µs), with each row's component, and whether some
// object's instances are materialised only up to a time before to (plus
// the floating slack): then the caller expands those series past their
// horizon (ObjectsIndexedBeforeAny). Instances with absolute times are exact
// candidates under "start < to AND (end > from OR start >= from)";
// floating and all-day ones are returned when they overlap the window
// widened by 14 h on both sides, and the caller decides in the viewer's
// time zone.
//
// One statement answers both, the horizon as a marker row, which saves
// views a round trip in the common case of nothing past it. It reads only
// the covering index: the scan starts the calendars' largest max span
// before the window, so it stays one range scan of the (calendar, start)
// index per calendar and its cost follows the answer, not the size of the
// calendar; instances longer than LongInstance come from their own small
// index.
func (s *Store) ViewWindow(ctx context.Context, calIDs []int64, from, to int64) ([]IndexedInstance, bool, error) {
	if len(calIDs) == 0 {
		return nil, false, nil
	}
	in := s.inList(1)
	lo, hi := widened(from, to)
	rs, err := s.read.query(ctx, `SELECT `+viewColumns+` FROM instances
		WHERE calendar_id `+in+` AND start_at < $3
		  AND start_at >= $2 - (SELECT COALESCE(MAX(max_span), 0) FROM calendars WHERE id `+in+`)
		  AND NOT long AND (end_at > $2 OR start_at >= $2)
		UNION ALL
		SELECT `+viewColumns+` FROM `+s.instancesBy("instances_long")+`
		WHERE calendar_id `+in+` AND long AND start_at < $3 AND end_at > $2
		UNION ALL
		SELECT 0, 0, 0, 0, 0, `+strconv.Itoa(beyondMarker)+` WHERE EXISTS (SELECT 1 FROM objects
			WHERE calendar_id `+in+` AND `+indexedBefore("$3")+`)`,
		s.listArg(calIDs), lo, hi)
	if err != nil {
		return nil, false, err
	}
	defer rs.Close()
	beyond := false
	out := make([]IndexedInstance, 0, 256)
	var other []int // rows whose status has no code
	// The scan targets live outside the loop: passed as any they escape,
	// and one allocation per query beats one per row.
	var v IndexedInstance
	var packed int
	dest := []any{&v.CalendarID, &v.ObjectID, &v.Start, &v.End, &v.RecurrenceID, &packed}
	for rs.Next() {
		v = IndexedInstance{}
		if err := rs.Scan(dest...); err != nil {
			return nil, false, err
		}
		if packed == beyondMarker {
			beyond = true
			continue
		}
		v.Floating, v.AllDay, v.Override, v.Transparent = packed&1 != 0, packed&2 != 0, packed&4 != 0, packed&8 != 0
		v.Component = packed >> 8
		code := packed >> 4 & 15
		if code < len(statusCodes) {
			v.Status = statusCodes[code]
		}
		if v.Floating || v.overlaps(from, to) {
			if code >= len(statusCodes) {
				other = append(other, len(out))
			}
			out = append(out, v)
		}
	}
	if err := rs.Err(); err != nil {
		return nil, false, err
	}
	return out, beyond, s.otherStatuses(ctx, out, other)
}

// otherStatuses reads the statuses that have no code from the table: an
// extension value (RFC 5545 allows none, but it costs nothing to keep).
func (s *Store) otherStatuses(ctx context.Context, rows []IndexedInstance, which []int) error {
	for _, i := range which {
		r := &rows[i]
		err := s.read.queryRow(ctx, `SELECT status FROM instances WHERE object_id = $1 AND start_at = $2 AND recurrence_id = $3`,
			r.ObjectID, r.Start, r.RecurrenceID).Scan(&r.Status)
		if err != nil && !isNoRows(err) {
			return err
		}
	}
	return nil
}

// ObjectSummary is what views need of an object besides its index rows.
type ObjectSummary struct {
	ID      int64
	UUID    string
	Summary string
}

// ObjectSummaries returns the public ids and summaries of the objects with
// the given internal ids, in no particular order; ids that do not exist
// (deleted meanwhile) are skipped.
func (s *Store) ObjectSummaries(ctx context.Context, ids []int64) ([]ObjectSummary, error) {
	if len(ids) == 0 {
		return nil, nil
	}
	from := "objects"
	if s.dialect == "sqlite" {
		from = "objects INDEXED BY objects_summary" // not the table by rowid
	}
	rs, err := s.read.query(ctx, `SELECT id, uuid, summary FROM `+from+` WHERE id `+s.inList(1), s.listArg(ids))
	if err != nil {
		return nil, err
	}
	defer rs.Close()
	out := make([]ObjectSummary, 0, len(ids))
	for rs.Next() {
		var o ObjectSummary
		if err := rs.Scan(&o.ID, &o.UUID, &o.Summary); err != nil {
			return nil, err
		}
		out = append(out, o)
	}
	return out, rs.Err()
}

// ObjectsIndexedBeforeAny returns the objects of the calendars, with their
// data, whose instances are materialised only up to a time before to, so
// that a reader must expand them past it.
func (s *Store) ObjectsIndexedBeforeAny(ctx context.Context, calIDs []int64, to int64) ([]*Object, error) {
	if len(calIDs) == 0 {
		return nil, nil
	}
	return s.queryObjects(ctx, true, `SELECT `+objectColumns+`, data FROM objects
		WHERE calendar_id `+s.inList(1)+` AND `+indexedBefore("$2"),
		s.listArg(calIDs), to)
}

// ListObjectsAfter returns up to limit resources of a calendar with their
// data, ordered by name, starting after the name after ("" from the
// first): one page of a listing, continued by passing the last name.
func (s *Store) ListObjectsAfter(ctx context.Context, calID int64, after string, limit int) ([]*Object, error) {
	return s.queryObjects(ctx, true, `SELECT `+objectColumns+`, data FROM objects
		WHERE calendar_id = $1 AND name > $2 ORDER BY name LIMIT $3`, calID, after, limit)
}

// GetObjectsByUUID returns the resources with the given public ids, with
// their data, in no particular order; ids that do not exist are skipped.
func (s *Store) GetObjectsByUUID(ctx context.Context, uuids []string) ([]*Object, error) {
	if len(uuids) == 0 {
		return nil, nil
	}
	return s.queryObjects(ctx, true, `SELECT `+objectColumns+`, data FROM objects WHERE uuid `+s.inList(1), s.listArg(uuids))
}
