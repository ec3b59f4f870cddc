package store

import "context"

// ViewInstance is an index row with what a calendar view needs of its
// object: the public id and the summary written with it.
type ViewInstance struct {
	IndexedInstance
	ObjectUUID string
	Summary    string
}

// ViewInstances is InstancesBetween for several calendars in one round
// trip, each row joined with its object's public id and summary. The scan
// starts the calendars' largest max span before the window, so it stays a
// range scan of the (calendar, start) index per calendar.
func (s *Store) ViewInstances(ctx context.Context, calIDs []int64, from, to int64) ([]ViewInstance, error) {
	if len(calIDs) == 0 {
		return nil, nil
	}
	in := s.inList(1)
	cols := `i.calendar_id, i.object_id, i.start_at, i.end_at, i.recurrence_id, i.floating, i.all_day,
		i.override, i.transparent, i.status, i.component, o.uuid, o.summary
		FROM instances i JOIN objects o ON o.id = i.object_id`
	lo, hi := sat(from, -floatSlack), sat(to, floatSlack)
	rs, err := s.read.query(ctx, `SELECT `+cols+`
		WHERE i.calendar_id `+in+` AND i.start_at < $3
		  AND i.start_at >= $2 - (SELECT COALESCE(MAX(max_span), 0) FROM calendars WHERE id `+in+`)
		  AND NOT i.long AND (i.end_at > $2 OR i.start_at >= $2)
		UNION ALL
		SELECT `+cols+`
		WHERE i.calendar_id `+in+` AND i.long AND i.start_at < $3 AND i.end_at > $2`,
		s.listArg(calIDs), lo, hi)
	if err != nil {
		return nil, err
	}
	defer rs.Close()
	var out []ViewInstance
	for rs.Next() {
		var v ViewInstance
		if err := rs.Scan(&v.CalendarID, &v.ObjectID, &v.Start, &v.End, &v.RecurrenceID, &v.Floating, &v.AllDay,
			&v.Override, &v.Transparent, &v.Status, &v.Component, &v.ObjectUUID, &v.Summary); err != nil {
			return nil, err
		}
		if v.Floating || v.overlaps(from, to) {
			out = append(out, v)
		}
	}
	return out, rs.Err()
}

// ObjectsIndexedBeforeAny is ObjectsIndexedBefore for several calendars:
// the objects, with their data, whose instances are materialised only up
// to a time before to, so that a reader must expand them past it.
func (s *Store) ObjectsIndexedBeforeAny(ctx context.Context, calIDs []int64, to int64) ([]*Object, error) {
	if len(calIDs) == 0 {
		return nil, nil
	}
	return s.queryObjects(ctx, true, `SELECT `+objectColumns+`, data FROM objects
		WHERE calendar_id `+s.inList(1)+` AND indexed_until < $2 AND indexed_until < 9223372036854775807`,
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
