package store

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"time"
)

// Object is a calendar object resource: one iCalendar text holding the
// components of one UID, kept byte for byte as the client sent it.
type Object struct {
	ID           int64
	UUID         string
	CalendarID   int64
	Name         string // resource name in the collection, e.g. "abc.ics"
	UID          string
	Component    string // VEVENT, VTODO or VJOURNAL
	Data         []byte // nil when listed without data
	ETag         string // strong entity tag, without quotes
	Size         int
	Sequence     int
	Revision     int64  // calendar revision of the latest write
	IndexedUntil int64  // instances are materialised up to here (µs)
	Summary      string // what views draw of each component (see ObjectWrite)
	Scheduling
	CreatedAt  time.Time
	ModifiedAt time.Time
}

// Scheduling is what implicit scheduling (RFC 6638) derives from a
// scheduling object resource: its Schedule-Tag, the calendar owner's role
// in it and, for an attendee's copy, their participation status.
type Scheduling struct {
	ScheduleTag string // "" for an object that is not a scheduling object resource
	Role        string // SchedOrganizer, SchedAttendee or ""
	PartStat    string // the owner's PARTSTAT in an attendee copy
}

// Roles in Scheduling.Role.
const (
	SchedOrganizer = "organizer"
	SchedAttendee  = "attendee"
)

// Instance is one occurrence in the time-range index.
type Instance struct {
	// Start and End are µs since the epoch in UTC; for floating and all-day
	// instances they hold the wall-clock time read as if it were UTC, and
	// the reader applies its time zone.
	Start, End   int64
	RecurrenceID int64 // µs; 0 for a component without recurrence
	Floating     bool
	AllDay       bool
	Override     bool // the instance comes from a RECURRENCE-ID component
	Transparent  bool // TRANSP:TRANSPARENT
	Status       string
	Component    int // index of the component it comes from, in the data
}

// LongInstance is the span above which an instance is indexed as long (see
// the instances table).
const LongInstance = int64(7 * 24 * time.Hour / time.Microsecond)

// ObjectWrite is what PutObject stores: the resource and its index rows,
// which the caller derived from the data.
type ObjectWrite struct {
	// UUID is the public id a new resource gets (random when empty); an
	// existing resource keeps its own.
	UUID         string
	Name         string
	UID          string
	Component    string
	Data         []byte
	Sequence     int
	Instances    []Instance
	IndexedUntil int64
	Scheduling   Scheduling
	// Summary is what calendar views draw of each component, encoded by
	// the caller, so that views need not parse Data.
	Summary string
	// Text is what a search finds the object by (see search.go).
	Text string
	// Outbox holds side effects of the write (invitations, for example),
	// committed with it so that none is lost and none sent for a write
	// that failed.
	Outbox []OutboxMessage
	// Known lists calendar user addresses the calendar's owner has dealt
	// with through this write (people they invite, the organizer they
	// answer), added to their known addresses with it.
	Known []string
	// Alarms, when set, replaces the object's reminder rows.
	Alarms *AlarmSet
}

// Conditions are the preconditions of a write (RFC 7232).
type Conditions struct {
	IfMatch     string // the current ETag must equal this ("*": must exist)
	IfNoneMatch bool   // the resource must not exist (If-None-Match: *)
	// IfScheduleTagMatch: the stored Schedule-Tag must equal this
	// (RFC 6638 §3.3, If-Schedule-Tag-Match).
	IfScheduleTagMatch *string
	// Stored is set by a hook that read the stored version to prepare the
	// write: its ETag, or "" when it read none. If the resource changed
	// meanwhile the write fails with ErrStale, and the caller prepares it
	// again; the client never sees this condition.
	Stored *string
}

// WriteResult describes a successful write.
type WriteResult struct {
	ObjectID int64
	UUID     string
	ETag     string
	Created  bool
	Revision int64 // the calendar's new revision (sync token)
	// ScheduleTag is the stored Schedule-Tag ("" for an object that is not
	// a scheduling object resource, RFC 6638 §3.2.10).
	ScheduleTag string
}

// ETagOf returns the strong entity tag of a resource body.
func ETagOf(data []byte) string {
	sum := sha256.Sum256(data)
	return hex.EncodeToString(sum[:16])
}

// checkMoveTarget applies a MOVE's conditions on its destination: with
// Overwrite: F it must not exist (RFC 4918 §9.9.4), and RFC 4791 §5.3.2.1's
// CALDAV:no-uid-conflict: no other resource of the calendar has the UID,
// and the one replaced has the same.
func checkMoveTarget(ctx context.Context, q querier, calID int64, name, uid string, objID int64, overwrite bool) error {
	rs, err := q.query(ctx, `SELECT name, uid FROM objects WHERE calendar_id = $1 AND (name = $2 OR uid = $3) AND id <> $4`,
		calID, name, uid, objID)
	if err != nil {
		return err
	}
	defer rs.Close()
	var destUID, other string
	exists := false
	for rs.Next() {
		var n, u string
		if err := rs.Scan(&n, &u); err != nil {
			return err
		}
		if n == name {
			exists, destUID = true, u
		} else {
			other = n
		}
	}
	if err := rs.Err(); err != nil {
		return err
	}
	switch {
	case exists && !overwrite:
		return ErrPreconditionFailed
	case other != "":
		return &UIDConflictError{UID: uid, Name: other}
	case exists && destUID != uid:
		return &UIDConflictError{UID: destUID, Name: name}
	}
	return nil
}

// PutObject creates or replaces the resource w.Name in calendar calID,
// together with its index rows and a change-log entry, in one transaction.
// It returns ErrNotFound if the calendar does not exist,
// ErrPreconditionFailed if cond does not hold, and a *UIDConflictError if
// another resource in the calendar already has w.UID (RFC 4791 §5.3.2.1).
func (s *Store) PutObject(ctx context.Context, calID int64, w *ObjectWrite, cond Conditions) (*WriteResult, error) {
	res := &WriteResult{ETag: ETagOf(w.Data), ScheduleTag: w.Scheduling.ScheduleTag}
	now := s.nowMicro()
	err := s.inTx(ctx, func(q querier) error {
		rev, maxSpan, err := bumpRevision(ctx, q, calID, now)
		if err != nil {
			return err
		}
		res.Revision = rev
		cur, err := s.current(ctx, q, calID, w.Name, w.UID)
		if err != nil {
			return err
		}
		exists := cur.id != 0
		res.ObjectID, res.UUID = cur.id, cur.uuid
		// The client's conditions first: an Overwrite: F or If-Match that
		// fails is the answer whatever the content (RFC 4918 §9.8.5).
		if err := cond.check(exists, cur.etag, cur.scheduleTag); err != nil {
			return err
		}
		// RFC 4791 §5.3.2.1 (CALDAV:no-uid-conflict): no other resource may
		// have the UID, and a resource is not replaced by one of another UID.
		if cur.uidElsewhere != "" {
			return &UIDConflictError{UID: w.UID, Name: cur.uidElsewhere}
		}
		if exists && cur.uid != w.UID {
			return &UIDConflictError{UID: cur.uid, Name: w.Name}
		}
		sc := w.Scheduling
		if exists {
			_, err = q.exec(ctx, `UPDATE objects SET uid = $2, component = $3, data = $4, etag = $5, size = $6,
				sequence = $7, revision = $8, indexed_until = $9, modified_at = $10,
				schedule_tag = $11, sched_role = $12, partstat = $13, summary = $14 WHERE id = $1`,
				res.ObjectID, w.UID, w.Component, w.Data, res.ETag, len(w.Data), w.Sequence, rev, w.IndexedUntil, now,
				sc.ScheduleTag, sc.Role, sc.PartStat, w.Summary)
			if err == nil {
				_, err = q.exec(ctx, `DELETE FROM instances WHERE object_id = $1`, res.ObjectID)
			}
		} else {
			res.Created, res.UUID = true, w.UUID
			if res.UUID == "" {
				res.UUID = NewUUID()
			}
			err = q.queryRow(ctx, `INSERT INTO objects (uuid, calendar_id, name, uid, component, data, etag, size,
				sequence, revision, indexed_until, created_at, modified_at, schedule_tag, sched_role, partstat, summary)
				VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $12, $13, $14, $15, $16) RETURNING id`,
				res.UUID, calID, w.Name, w.UID, w.Component, w.Data, res.ETag, len(w.Data), w.Sequence, rev,
				w.IndexedUntil, now, sc.ScheduleTag, sc.Role, sc.PartStat, w.Summary).Scan(&res.ObjectID)
		}
		if err != nil {
			return err
		}
		if err := s.insertInstances(ctx, q, calID, res.ObjectID, maxSpan, w.Instances); err != nil {
			return err
		}
		if err := s.putTexts(ctx, q, []textRow{textOf(res.ObjectID, calID, w)}); err != nil {
			return err
		}
		if w.Alarms != nil {
			if err := s.replaceAlarms(ctx, q, calID, res.ObjectID, res.UUID, now, w.Alarms, res.Created); err != nil {
				return err
			}
		}
		if err := enqueue(ctx, q, now, w.Outbox); err != nil {
			return err
		}
		if err := rememberForCalendar(ctx, q, now, calID, w.Known); err != nil {
			return err
		}
		return logChange(ctx, q, calID, rev, w.Name, res.UUID, false)
	})
	if err != nil {
		if _, ok := uniqueViolation(err); ok {
			// Only a concurrent writer on another node can get here: the
			// calendar row lock makes the checks above authoritative.
			return nil, fmt.Errorf("%w: concurrent write to %s", ErrPreconditionFailed, w.Name)
		}
		return nil, err
	}
	return res, nil
}

// currentState is what a write needs to know of the calendar's
// resources: the one at its name, if any, and the name of another holding
// its UID.
type currentState struct {
	id                           int64
	uuid, uid, etag, scheduleTag string
	uidElsewhere                 string
}

// current reads, in one statement, the resource at name and any other
// with the UID (RFC 4791 §5.3.2.1, CALDAV:no-uid-conflict): at most two
// rows, each from a unique index.
func (s *Store) current(ctx context.Context, q querier, calID int64, name, uid string) (currentState, error) {
	var cur currentState
	rs, err := q.query(ctx, `SELECT id, uuid, uid, name, etag, schedule_tag FROM objects
		WHERE calendar_id = $1 AND (name = $2 OR uid = $3)`, calID, name, uid)
	if err != nil {
		return cur, err
	}
	defer rs.Close()
	for rs.Next() {
		var r currentState
		var rowName string
		if err := rs.Scan(&r.id, &r.uuid, &r.uid, &rowName, &r.etag, &r.scheduleTag); err != nil {
			return cur, err
		}
		if rowName == name {
			r.uidElsewhere = cur.uidElsewhere
			cur = r
		} else {
			cur.uidElsewhere = rowName
		}
	}
	return cur, rs.Err()
}

// check tests the client's conditions first: one that fails against what
// is stored now is the answer (412), however the write was prepared; only
// a write whose conditions hold is prepared again when it is stale.
func (c Conditions) check(exists bool, etag, scheduleTag string) error {
	switch {
	case c.IfScheduleTagMatch != nil && (!exists || *c.IfScheduleTagMatch != scheduleTag):
		return ErrPreconditionFailed
	case c.IfNoneMatch && exists:
		return ErrPreconditionFailed
	case c.IfMatch == "*" && !exists:
		return ErrPreconditionFailed
	case c.IfMatch != "" && c.IfMatch != "*" && c.IfMatch != etag:
		return ErrPreconditionFailed
	}
	if c.Stored != nil && (exists && *c.Stored != etag || !exists && *c.Stored != "") {
		return ErrStale
	}
	return nil
}

// insertInstances writes one object's index rows and widens the
// calendar's max span when a new short instance is longer than any before.
func (s *Store) insertInstances(ctx context.Context, q querier, calID, objID, maxSpan int64, list []Instance) error {
	rows := make([]indexRow, len(list))
	for i, in := range list {
		rows[i] = indexRow{objID: objID, Instance: in}
	}
	return s.insertIndexRows(ctx, q, calID, maxSpan, rows)
}

const instanceInsertHead = `INSERT INTO instances (calendar_id, object_id, start_at, end_at, recurrence_id,
	floating, all_day, override, transparent, status, long, component)`

// DeleteObject removes the resource name from calendar calID with its index
// rows and records a tombstone. It returns ErrNotFound or
// ErrPreconditionFailed (cond does not hold for the stored resource).
func (s *Store) DeleteObject(ctx context.Context, calID int64, name string, cond Conditions) (revision int64, err error) {
	return s.DeleteObjectWith(ctx, calID, name, cond, nil)
}

// DeleteObjectWith is DeleteObject that also enqueues outbox messages in
// the same transaction.
func (s *Store) DeleteObjectWith(ctx context.Context, calID int64, name string, cond Conditions, outbox []OutboxMessage) (revision int64, err error) {
	err = s.inTx(ctx, func(q querier) error {
		// The calendar's lock first, so that cond is tested against the
		// row this transaction deletes.
		if revision, _, err = bumpRevision(ctx, q, calID, s.nowMicro()); err != nil {
			return err
		}
		cur, err := source(ctx, q, calID, name, cond)
		if err != nil {
			return err
		}
		if _, err := q.exec(ctx, `DELETE FROM objects WHERE id = $1`, cur.id); err != nil {
			return err
		}
		if err := cancelReminders(ctx, q, cur.uuid, s.nowMicro()); err != nil {
			return err
		}
		if err := enqueue(ctx, q, s.nowMicro(), outbox); err != nil {
			return err
		}
		return logChange(ctx, q, calID, revision, name, cur.uuid, true)
	})
	return revision, err
}

// source reads the resource a DELETE or MOVE acts on and tests the
// client's conditions against it by the rule a PUT's are tested by (so an
// If-Schedule-Tag-Match fails on a resource without a Schedule-Tag, RFC
// 6638 §3.2.10, §8.3). The caller holds the calendar's lock.
func source(ctx context.Context, q querier, calID int64, name string, cond Conditions) (currentState, error) {
	var cur currentState
	err := q.queryRow(ctx, `SELECT id, uuid, uid, etag, schedule_tag FROM objects WHERE calendar_id = $1 AND name = $2`,
		calID, name).Scan(&cur.id, &cur.uuid, &cur.uid, &cur.etag, &cur.scheduleTag)
	if isNoRows(err) {
		return cur, ErrNotFound
	} else if err != nil {
		return cur, err
	}
	return cur, cond.check(true, cur.etag, cur.scheduleTag)
}

// MoveObject moves a resource to another calendar (or name), keeping its
// bytes, ETag and public id; both calendars log the change. It returns
// ErrNotFound (no source), ErrPreconditionFailed (cond does not hold for
// the source, or destination exists and overwrite is false) or a
// *UIDConflictError at the destination.
func (s *Store) MoveObject(ctx context.Context, fromCal int64, name string, toCal int64, toName string, cond Conditions, overwrite bool) (*WriteResult, error) {
	res := &WriteResult{}
	now := s.nowMicro()
	err := s.inTx(ctx, func(q querier) error {
		var fromRev, toRev, toSpan int64
		// Lock both calendars in id order so that two opposite moves cannot
		// deadlock, and before reading the source so that cond is tested
		// against the row this transaction moves.
		for _, id := range orderedPair(fromCal, toCal) {
			rev, span, err := bumpRevision(ctx, q, id, now)
			if err != nil {
				return err
			}
			if id == fromCal {
				fromRev = rev
			}
			if id == toCal {
				toRev, toSpan = rev, span
			}
		}
		cur, err := source(ctx, q, fromCal, name, cond)
		if err != nil {
			return err
		}
		res.ObjectID, res.UUID, res.ETag = cur.id, cur.uuid, cur.etag
		if fromCal == toCal && name == toName {
			return ErrPreconditionFailed
		}
		if fromCal == toCal {
			// A rename: the tombstone of the old name and the new name
			// need revisions of their own in the change log.
			if toRev, toSpan, err = bumpRevision(ctx, q, toCal, now); err != nil {
				return err
			}
		}
		if err := checkMoveTarget(ctx, q, toCal, toName, cur.uid, res.ObjectID, overwrite); err != nil {
			return err
		}
		n, err := q.exec(ctx, `DELETE FROM objects WHERE calendar_id = $1 AND name = $2 AND id <> $3`, toCal, toName, res.ObjectID)
		if err != nil {
			return err
		}
		res.Created = n == 0
		if _, err := q.exec(ctx, `UPDATE objects SET calendar_id = $2, name = $3, revision = $4, modified_at = $5 WHERE id = $1`,
			res.ObjectID, toCal, toName, toRev, now); err != nil {
			return err
		}
		if _, err := q.exec(ctx, `UPDATE instances SET calendar_id = $2 WHERE object_id = $1`, res.ObjectID, toCal); err != nil {
			return err
		}
		if _, err := q.exec(ctx, `UPDATE alarms SET calendar_id = $2 WHERE object_id = $1`, res.ObjectID, toCal); err != nil {
			return err
		}
		if _, err := q.exec(ctx, `UPDATE object_text SET calendar_id = $2 WHERE object_id = $1`, res.ObjectID, toCal); err != nil {
			return err
		}
		if err := widenSpan(ctx, q, res.ObjectID, toCal, toSpan); err != nil {
			return err
		}
		res.Revision = toRev
		if err := logChange(ctx, q, fromCal, fromRev, name, res.UUID, true); err != nil {
			return err
		}
		return logChange(ctx, q, toCal, toRev, toName, res.UUID, false)
	})
	if err != nil {
		return nil, err
	}
	return res, nil
}

func orderedPair(a, b int64) []int64 {
	switch {
	case a == b:
		return []int64{a}
	case a < b:
		return []int64{a, b}
	}
	return []int64{b, a}
}

// widenSpan makes calendar calID's max span cover the moved object's short
// instances.
func widenSpan(ctx context.Context, q querier, objID, calID, cur int64) error {
	var span int64
	err := q.queryRow(ctx, `SELECT COALESCE(MAX(end_at - start_at), 0) FROM instances WHERE object_id = $1 AND NOT long`, objID).Scan(&span)
	if err != nil || span <= cur {
		return err
	}
	_, err = q.exec(ctx, `UPDATE calendars SET max_span = $2 WHERE id = $1 AND max_span < $2`, calID, span)
	return err
}

const objectColumns = `id, uuid, calendar_id, name, uid, component, etag, size, sequence, revision,
	indexed_until, created_at, modified_at, schedule_tag, sched_role, partstat, summary`

func scanObject(r row, withData bool) (*Object, error) {
	var o Object
	var created, modified int64
	dest := []any{&o.ID, &o.UUID, &o.CalendarID, &o.Name, &o.UID, &o.Component, &o.ETag, &o.Size,
		&o.Sequence, &o.Revision, &o.IndexedUntil, &created, &modified, &o.ScheduleTag, &o.Role, &o.PartStat, &o.Summary}
	if withData {
		dest = append(dest, &o.Data)
	}
	err := r.Scan(dest...)
	if isNoRows(err) {
		return nil, ErrNotFound
	}
	if err != nil {
		return nil, err
	}
	o.CreatedAt, o.ModifiedAt = FromMicro(created), FromMicro(modified)
	return &o, nil
}

// GetObject returns a resource with its data, or ErrNotFound.
func (s *Store) GetObject(ctx context.Context, calID int64, name string) (*Object, error) {
	return scanObject(s.read.queryRow(ctx, `SELECT `+objectColumns+`, data FROM objects
		WHERE calendar_id = $1 AND name = $2`, calID, name), true)
}

// GetObjectByUID returns the calendar's resource holding uid, or ErrNotFound.
func (s *Store) GetObjectByUID(ctx context.Context, calID int64, uid string) (*Object, error) {
	return scanObject(s.read.queryRow(ctx, `SELECT `+objectColumns+`, data FROM objects
		WHERE calendar_id = $1 AND uid = $2`, calID, uid), true)
}

// GetObjectByUUID returns the resource with the public id, or ErrNotFound.
func (s *Store) GetObjectByUUID(ctx context.Context, uuid string) (*Object, error) {
	return scanObject(s.read.queryRow(ctx, `SELECT `+objectColumns+`, data FROM objects WHERE uuid = $1`, uuid), true)
}

// ListObjects returns every resource of a calendar ordered by name, with
// their data when withData is set.
func (s *Store) ListObjects(ctx context.Context, calID int64, withData bool) ([]*Object, error) {
	cols := objectColumns
	if withData {
		cols += ", data"
	}
	return s.queryObjects(ctx, withData, `SELECT `+cols+` FROM objects WHERE calendar_id = $1 ORDER BY name`, calID)
}

// GetObjectsByUID returns the calendar's resources holding the given UIDs,
// with their data; UIDs that no resource holds are skipped.
func (s *Store) GetObjectsByUID(ctx context.Context, calID int64, uids []string) ([]*Object, error) {
	if len(uids) == 0 {
		return nil, nil
	}
	return s.queryObjects(ctx, true, `SELECT `+objectColumns+`, data FROM objects
		WHERE calendar_id = $1 AND uid `+s.inList(2), calID, s.listArg(uids))
}

// ObjectsAfter returns up to limit resources of a calendar in order of
// name, starting after the name after ("": from the first), with their
// data when withData is set. Exports page through a calendar with it so
// that they never hold all of it; each page is a range of the (calendar,
// name) index, so a page costs the same at the end of a large calendar as
// at its start.
func (s *Store) ObjectsAfter(ctx context.Context, calID int64, after string, limit int, withData bool) ([]*Object, error) {
	cols := objectColumns
	if withData {
		cols += ", data"
	}
	return s.queryObjects(ctx, withData, `SELECT `+cols+` FROM objects WHERE calendar_id = $1 AND name > $2
		ORDER BY name LIMIT $3`, calID, after, limit)
}

// GetObjectsByID returns the resources with the given internal ids, with
// their data, in no particular order; ids that do not exist are skipped.
func (s *Store) GetObjectsByID(ctx context.Context, ids []int64) ([]*Object, error) {
	if len(ids) == 0 {
		return nil, nil
	}
	return s.queryObjects(ctx, true, `SELECT `+objectColumns+`, data FROM objects WHERE id `+s.inList(1), s.listArg(ids))
}

// GetObjectsByName returns the named resources of a calendar with their
// data (calendar-multiget); names that do not exist are skipped.
func (s *Store) GetObjectsByName(ctx context.Context, calID int64, names []string) ([]*Object, error) {
	if len(names) == 0 {
		return nil, nil
	}
	return s.queryObjects(ctx, true, `SELECT `+objectColumns+`, data FROM objects
		WHERE calendar_id = $1 AND name `+s.inList(2), calID, s.listArg(names))
}

func (s *Store) queryObjects(ctx context.Context, withData bool, sql string, args ...any) ([]*Object, error) {
	rs, err := s.read.query(ctx, sql, args...)
	if err != nil {
		return nil, err
	}
	defer rs.Close()
	var out []*Object
	for rs.Next() {
		o, err := scanObject(rs, withData)
		if err != nil {
			return nil, err
		}
		out = append(out, o)
	}
	return out, rs.Err()
}
