package store

import "context"

// ObjectsBetween returns the ids of the calendar's objects with an
// absolute-time instance overlapping [from, to) (µs), each once, and the
// floating and all-day instances that may overlap it once read in some
// zone, for the caller to decide. It answers calendar-query's top-level
// time-range (RFC 4791 §9.9) with one index range scan that returns one
// row per object, not per instance.
func (s *Store) ObjectsBetween(ctx context.Context, calID, from, to int64) ([]int64, []IndexedInstance, error) {
	lo, hi := sat(from, -floatSlack), sat(to, floatSlack)
	// UNION ALL: deduplicating the whole compound costs a temporary
	// B-tree ten times the price of the scan; the few rows the later
	// branches add are deduplicated here.
	rs, err := s.read.query(ctx, `SELECT DISTINCT object_id, FALSE, 0, 0, FALSE FROM instances
		WHERE calendar_id = $1 AND start_at < $3 AND start_at >= $2 - (SELECT max_span FROM calendars WHERE id = $1)
		  AND NOT long AND NOT floating AND (end_at > $2 OR start_at >= $2)
		UNION ALL
		SELECT object_id, FALSE, 0, 0, FALSE FROM `+s.instancesBy("instances_long")+`
		WHERE calendar_id = $1 AND long AND NOT floating AND start_at < $3 AND end_at > $2
		UNION ALL
		SELECT object_id, TRUE, start_at, end_at, all_day FROM `+s.instancesBy("instances_floating")+`
		WHERE calendar_id = $1 AND floating AND NOT long AND start_at < $5
		  AND start_at >= $4 - (SELECT max_span FROM calendars WHERE id = $1)
		UNION ALL
		SELECT object_id, TRUE, start_at, end_at, all_day FROM `+s.instancesBy("instances_long")+`
		WHERE calendar_id = $1 AND floating AND long AND start_at < $5 AND end_at > $4`, calID, from, to, lo, hi)
	if err != nil {
		return nil, nil, err
	}
	defer rs.Close()
	var ids []int64
	var floating []IndexedInstance
	seen := map[int64]bool{}
	for rs.Next() {
		var id, start, end int64
		var isFloating, allDay bool
		if err := rs.Scan(&id, &isFloating, &start, &end, &allDay); err != nil {
			return nil, nil, err
		}
		if !isFloating {
			if !seen[id] {
				seen[id] = true
				ids = append(ids, id)
			}
			continue
		}
		floating = append(floating, IndexedInstance{CalendarID: calID, ObjectID: id,
			Instance: Instance{Start: start, End: end, Floating: true, AllDay: allDay}})
	}
	return ids, floating, rs.Err()
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
