package store

import (
	"context"
	"strconv"
)

// Candidates is what a calendar-query's top-level time-range (RFC 4791
// §9.9) needs from the index: the objects with an absolute-time instance
// overlapping the window, each once; the floating and all-day instances
// that may overlap it once read in some zone, for the caller to decide;
// and whether some object's materialised instances stop before the
// window's end, in which case the index alone cannot answer (and the rest
// is not looked up).
type Candidates struct {
	IDs      []int64
	Floating []IndexedInstance
	Beyond   bool
}

// ObjectsBetween answers Candidates for [from, to) (µs), in one statement
// when the window holds no floating or all-day instance and every series
// is indexed past it, as in most calendars; two otherwise. The statement
// ends with marker rows (negative ids, which no object has) saying
// whether either is the case. An object comes once per instance in the
// window and its repeats are dropped here: cheaper on both engines than
// DISTINCT, which PostgreSQL answers by hashing and SQLite by a temporary
// index, a lookup and an insertion for every row.
func (s *Store) ObjectsBetween(ctx context.Context, calID, from, to int64) (Candidates, error) {
	var c Candidates
	rs, err := s.read.query(ctx, s.absoluteSQL()+`
		UNION ALL `+s.markersSQL(""), candidatesArgs(calID, from, to)...)
	if err != nil {
		return c, err
	}
	defer rs.Close()
	seen := make(map[int64]bool, 256)
	floating := false
	var id int64
	dest := []any{&id} // hoisted: one allocation, not one per row
	for rs.Next() {
		if err := rs.Scan(dest...); err != nil {
			return c, err
		}
		switch {
		case id == markBeyond:
			c.Beyond = true
		case id == markFloating:
			floating = true
		case !seen[id]:
			seen[id] = true
			c.IDs = append(c.IDs, id)
		}
	}
	if err := rs.Err(); err != nil || c.Beyond {
		// Past the horizon the index alone cannot answer: the caller
		// expands, and needs nothing else from here.
		return Candidates{Beyond: c.Beyond}, err
	}
	if floating {
		c.Floating, err = s.FloatingBetween(ctx, calID, from, to)
	}
	return c, err
}

// Markers ending the candidates statements, never object ids.
const (
	markBeyond   = -1
	markFloating = -2
)

// absoluteSQL selects the object ids of the calendar's ($1) absolute-time
// instances overlapping [$2, $3), once per instance.
func (s *Store) absoluteSQL() string {
	return `SELECT object_id FROM ` + s.instancesBy("instances_candidates") + `
		WHERE calendar_id = $1 AND start_at < $3 AND start_at >= $2 - (SELECT max_span FROM calendars WHERE id = $1)
		  AND NOT long AND NOT floating AND (end_at > $2 OR start_at >= $2)
		UNION ALL
		SELECT object_id FROM ` + s.instancesBy("instances_long") + `
		WHERE calendar_id = $1 AND long AND NOT floating AND start_at < $3 AND end_at > $2`
}

// candidatesArgs binds $1–$5 of absoluteSQL and markersSQL.
func candidatesArgs(calID, from, to int64) []any {
	lo, hi := widened(from, to)
	return []any{calID, from, to, lo, hi}
}

// markersSQL selects markBeyond when some object of the calendar ($1) is
// indexed only up to a time before $3, and markFloating when it has a
// floating or all-day instance whose wall-clock times overlap [$4, $5);
// rest completes each marker row to the statement's columns.
func (s *Store) markersSQL(rest string) string {
	return `SELECT ` + strconv.Itoa(markBeyond) + rest + ` WHERE EXISTS (SELECT 1 FROM objects WHERE calendar_id = $1
			AND ` + indexedBefore("$3") + `)
		UNION ALL
		SELECT ` + strconv.Itoa(markFloating) + rest + ` WHERE EXISTS (` + s.floatingQuery("1", "$4", "$5") + `)`
}

// FloatingBetween returns the calendar's floating and all-day instances
// that overlap [from, to) (µs) in some time zone: their stored wall-clock
// times widened by 14 hours on each side. The caller reads them in its
// zone.
func (s *Store) FloatingBetween(ctx context.Context, calID, from, to int64) ([]IndexedInstance, error) {
	lo, hi := widened(from, to)
	rs, err := s.read.query(ctx, s.floatingQuery("object_id, start_at, end_at, all_day", "$2", "$3"), calID, lo, hi)
	if err != nil {
		return nil, err
	}
	defer rs.Close()
	return scanFloating(calID, rs)
}

// floatingQuery selects cols of the calendar's ($1) floating and all-day
// instances whose stored wall-clock times overlap [lo, hi).
func (s *Store) floatingQuery(cols, lo, hi string) string {
	return `SELECT ` + cols + ` FROM ` + s.instancesBy("instances_floating") + `
		WHERE calendar_id = $1 AND floating AND NOT long AND start_at < ` + hi + `
		  AND start_at >= ` + lo + ` - (SELECT max_span FROM calendars WHERE id = $1)
		UNION ALL
		SELECT ` + cols + ` FROM ` + s.instancesBy("instances_long") + `
		WHERE calendar_id = $1 AND floating AND long AND start_at < ` + hi + ` AND end_at > ` + lo
}

func scanFloating(calID int64, rs rows) ([]IndexedInstance, error) {
	var out []IndexedInstance
	for rs.Next() {
		in := IndexedInstance{CalendarID: calID, Instance: Instance{Floating: true}}
		if err := rs.Scan(&in.ObjectID, &in.Start, &in.End, &in.AllDay); err != nil {
			return nil, err
		}
		out = append(out, in)
	}
	return out, rs.Err()
}

// GetObjectBodies returns the named objects of a calendar with only what a
// report writes of them (name, component, ETag, size and data): fewer
// columns to read for every row of a large answer. Ids of other calendars
// or that do not exist are skipped.
func (s *Store) GetObjectBodies(ctx context.Context, calID int64, ids []int64) ([]*Object, error) {
	if len(ids) == 0 {
		return nil, nil
	}
	// "+calendar_id" keeps SQLite from scanning the calendar's index
	// instead of looking the ids up by primary key.
	rs, err := s.read.query(ctx, `SELECT id, name, component, etag, size, data FROM objects
		WHERE +calendar_id = $1 AND id `+s.inList(2), calID, s.listArg(ids))
	if err != nil {
		return nil, err
	}
	defer rs.Close()
	var out []*Object
	for rs.Next() {
		o := &Object{CalendarID: calID}
		if err := rs.Scan(&o.ID, &o.Name, &o.Component, &o.ETag, &o.Size, &o.Data); err != nil {
			return nil, err
		}
		out = append(out, o)
	}
	return out, rs.Err()
}

// ComponentsOf returns the component type (VEVENT, VTODO …) of each of the
// calendar's objects among ids, for free-busy, which counts events only.
func (s *Store) ComponentsOf(ctx context.Context, calID int64, ids []int64) (map[int64]string, error) {
	out := make(map[int64]string, len(ids))
	if len(ids) == 0 {
		return out, nil
	}
	rs, err := s.read.query(ctx, `SELECT id, component FROM objects WHERE +calendar_id = $1 AND id `+s.inList(2), calID, s.listArg(ids))
	if err != nil {
		return nil, err
	}
	defer rs.Close()
	for rs.Next() {
		var id int64
		var comp string
		if err := rs.Scan(&id, &comp); err != nil {
			return nil, err
		}
		out[id] = comp
	}
	return out, rs.Err()
}

// EachObjectBetween calls fn, as the rows arrive, with every object of
// the calendar that has an absolute-time instance overlapping [from, to)
// (µs): its name, component, ETag, size and data, each object once. It is
// ObjectsBetween and GetObjectBodies in one statement, so that a
// calendar-query answer streams from the database cursor to the client.
// Floating and all-day instances are not considered: floating says that
// some may overlap, for the caller to ask FloatingBetween. When beyond,
// some series is indexed only up to a time before to, the index cannot
// answer, and fn has not been called. fn must not use the store.
func (s *Store) EachObjectBetween(ctx context.Context, calID, from, to int64, fn func(*Object) error) (beyond, floating bool, err error) {
	// The markers' negative ids sort first: beyond is known before any
	// object is handed over.
	rs, err := s.read.query(ctx, `SELECT o.id, o.name, o.component, o.etag, o.size, o.data FROM objects o
		WHERE o.id IN (`+s.absoluteSQL()+`)
		UNION ALL `+s.markersSQL(", '', '', '', 0, NULL")+`
		ORDER BY 1`, candidatesArgs(calID, from, to)...)
	if err != nil {
		return false, false, err
	}
	defer rs.Close()
	for rs.Next() {
		o := &Object{CalendarID: calID}
		if err := rs.Scan(&o.ID, &o.Name, &o.Component, &o.ETag, &o.Size, &o.Data); err != nil {
			return false, false, err
		}
		switch o.ID {
		case markBeyond:
			return true, false, nil
		case markFloating:
			floating = true
		default:
			if err := fn(o); err != nil {
				return false, false, err
			}
		}
	}
	return false, floating, rs.Err()
}

// GetObjectHeads returns the named objects of a calendar with their name,
// component, ETag and size, and their data only when withData is set: a
// sync that asks for ETags alone reads no calendar data. Names that do not
// exist are skipped.
func (s *Store) GetObjectHeads(ctx context.Context, calID int64, names []string, withData bool) ([]*Object, error) {
	if len(names) == 0 {
		return nil, nil
	}
	data := "NULL"
	if withData {
		data = "data"
	}
	rs, err := s.read.query(ctx, `SELECT id, name, component, etag, size, `+data+` FROM objects
		WHERE calendar_id = $1 AND name `+s.inList(2), calID, s.listArg(names))
	if err != nil {
		return nil, err
	}
	defer rs.Close()
	var out []*Object
	for rs.Next() {
		o := &Object{CalendarID: calID}
		if err := rs.Scan(&o.ID, &o.Name, &o.Component, &o.ETag, &o.Size, &o.Data); err != nil {
			return nil, err
		}
		out = append(out, o)
	}
	return out, rs.Err()
}
