package store

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/jackc/pgx/v5"
)

// Batch is a set of writes to one calendar committed together: many objects
// with their index rows and change-log entries, and deletions. An import
// writes one batch per few hundred objects; a subscription's refresh writes
// its whole feed as one batch, so that readers see the old set or the new
// one, never a mix.
type Batch struct {
	Writes []BatchWrite
	// Deletes names resources to remove; names that do not exist are
	// ignored.
	Deletes []string
	// DeleteOthers removes every resource of the calendar that is neither
	// written nor named in Keep: the batch replaces the whole content.
	DeleteOthers bool
	Keep         []string
}

// BatchWrite is one object of a batch with its own preconditions.
type BatchWrite struct {
	*ObjectWrite
	Conditions Conditions
}

// BatchResult says what became of a batch.
type BatchResult struct {
	// Writes holds one result per write, in order. Err is
	// ErrPreconditionFailed, ErrStale or a *UIDConflictError for a write
	// that was skipped; the others were committed.
	Writes  []BatchWriteResult
	Deleted []Change // resources removed, with their tombstones' revisions
}

// BatchWriteResult is the outcome of one write of a batch.
type BatchWriteResult struct {
	WriteResult
	Err error
}

// batchChunk bounds the rows of one multi-row statement, well below the
// 65,535 parameters PostgreSQL accepts.
const batchChunk = 200

// current is what a batch needs to know of an existing resource.
type current struct {
	id          int64
	uuid, etag  string
	name, uid   string
	scheduleTag string
}

// PutObjects commits b to calendar calID in one transaction. A write
// whose preconditions fail, or whose UID another resource holds (RFC 4791
// §5.3.2.1), is skipped and reported in its result; the rest of the batch
// goes ahead. The revision is bumped once per change, so every change has
// its own entry in the change log. It returns ErrNotFound if the calendar
// does not exist and an error for a batch that names a resource twice.
func (s *Store) PutObjects(ctx context.Context, calID int64, b *Batch) (*BatchResult, error) {
	if err := b.check(); err != nil {
		return nil, err
	}
	var res *BatchResult
	err := s.inTx(ctx, func(q querier) error {
		var err error
		res, err = s.putBatch(ctx, q, calID, b)
		return err
	})
	if err != nil {
		if _, ok := uniqueViolation(err); ok {
			return nil, fmt.Errorf("%w: concurrent write to the calendar", ErrPreconditionFailed)
		}
		return nil, err
	}
	return res, nil
}

// check rejects a batch that names a resource twice: its writes could not
// be ordered.
func (b *Batch) check() error {
	seen := make(map[string]bool, len(b.Writes)+len(b.Deletes))
	for _, w := range b.Writes {
		if seen[w.Name] {
			return fmt.Errorf("store: batch writes %q twice", w.Name)
		}
		seen[w.Name] = true
	}
	for _, n := range b.Deletes {
		if seen[n] {
			return fmt.Errorf("store: batch writes and deletes %q", n)
		}
		seen[n] = true
	}
	return nil
}

func (s *Store) putBatch(ctx context.Context, q querier, calID int64, b *Batch) (*BatchResult, error) {
	if err := s.lockCalendar(ctx, q, calID); err != nil {
		return nil, err
	}
	byName, byUID, err := s.currentOf(ctx, q, calID, b)
	if err != nil {
		return nil, err
	}
	dels, err := s.deletions(ctx, q, calID, b)
	if err != nil {
		return nil, err
	}
	res := &BatchResult{Writes: make([]BatchWriteResult, len(b.Writes))}
	ok := checkWrites(b, res, byName, byUID, dels)
	n := int64(len(ok) + len(dels))
	if n == 0 {
		return res, nil
	}
	now := s.nowMicro()
	var rev, maxSpan int64
	err = q.queryRow(ctx, `UPDATE calendars SET revision = revision + $2, updated_at = $3
		WHERE id = $1 RETURNING revision, max_span`, calID, n, now).Scan(&rev, &maxSpan)
	if err != nil {
		return nil, err
	}
	// Deletions first, so that their UIDs are free for the writes.
	first := rev - n + 1
	if res.Deleted, err = s.deleteAll(ctx, q, calID, dels, first); err != nil {
		return nil, err
	}
	err = s.writeAll(ctx, q, calID, b, res, ok, byName, first+int64(len(dels)), now, maxSpan)
	return res, err
}

// checkWrites applies each write's preconditions and the calendar's UID
// uniqueness (RFC 4791 §5.3.2.1), recording failures in res, and returns
// the indexes of the writes that go ahead.
func checkWrites(b *Batch, res *BatchResult, byName, byUID map[string]current, dels []current) []int {
	// A UID held by a resource the batch deletes is free for its writes
	// (a resource renamed at the source).
	deleted := make(map[string]bool, len(dels))
	for _, d := range dels {
		deleted[d.name] = true
	}
	var ok []int
	for i, w := range b.Writes {
		cur, exists := byName[w.Name]
		if err := w.Conditions.check(exists, cur.etag, cur.scheduleTag); err != nil {
			res.Writes[i].Err = err
		} else if other, taken := byUID[w.UID]; taken && other.name != w.Name && !deleted[other.name] {
			res.Writes[i].Err = &UIDConflictError{UID: w.UID, Name: other.name}
		} else {
			ok = append(ok, i)
		}
	}
	return ok
}

// lockCalendar takes the calendar's row lock, as every writer does first,
// and fails with ErrNotFound when it does not exist. SQLite has one writer
// at a time anyway.
func (s *Store) lockCalendar(ctx context.Context, q querier, calID int64) error {
	lock := `SELECT id FROM calendars WHERE id = $1`
	if s.dialect == "postgres" {
		lock += ` FOR UPDATE`
	}
	var id int64
	err := q.queryRow(ctx, lock, calID).Scan(&id)
	if isNoRows(err) {
		return ErrNotFound
	}
	return err
}

// currentOf reads the resources a batch's writes touch, by name and by UID.
func (s *Store) currentOf(ctx context.Context, q querier, calID int64, b *Batch) (byName, byUID map[string]current, err error) {
	names := make([]string, len(b.Writes))
	uids := make([]string, len(b.Writes))
	for i, w := range b.Writes {
		names[i], uids[i] = w.Name, w.UID
	}
	byName, byUID = map[string]current{}, map[string]current{}
	for part := range slices.Chunk(names, 1000) {
		if err := s.scanCurrent(ctx, q, byName, func(c current) string { return c.name }, `name`, calID, part); err != nil {
			return nil, nil, err
		}
	}
	for part := range slices.Chunk(uids, 1000) {
		if err := s.scanCurrent(ctx, q, byUID, func(c current) string { return c.uid }, `uid`, calID, part); err != nil {
			return nil, nil, err
		}
	}
	return byName, byUID, nil
}

func (s *Store) scanCurrent(ctx context.Context, q querier, into map[string]current, key func(current) string, col string, calID int64, vals []string) error {
	rs, err := q.query(ctx, `SELECT id, uuid, etag, name, uid, schedule_tag FROM objects WHERE calendar_id = $1 AND `+col+` `+s.inList(2),
		calID, s.listArg(vals))
	if err != nil {
		return err
	}
	defer rs.Close()
	for rs.Next() {
		var c current
		if err := rs.Scan(&c.id, &c.uuid, &c.etag, &c.name, &c.uid, &c.scheduleTag); err != nil {
			return err
		}
		into[key(c)] = c
	}
	return rs.Err()
}

// deletions lists the existing resources the batch removes.
func (s *Store) deletions(ctx context.Context, q querier, calID int64, b *Batch) ([]current, error) {
	if !b.DeleteOthers && len(b.Deletes) == 0 {
		return nil, nil
	}
	keep := make(map[string]bool, len(b.Writes)+len(b.Keep))
	for _, w := range b.Writes {
		keep[w.Name] = true
	}
	for _, n := range b.Keep {
		keep[n] = true
	}
	del := make(map[string]bool, len(b.Deletes))
	for _, n := range b.Deletes {
		del[n] = true
	}
	rs, err := q.query(ctx, `SELECT id, uuid, etag, name, uid, schedule_tag FROM objects WHERE calendar_id = $1 ORDER BY name`, calID)
	if err != nil {
		return nil, err
	}
	defer rs.Close()
	var out []current
	for rs.Next() {
		var c current
		if err := rs.Scan(&c.id, &c.uuid, &c.etag, &c.name, &c.uid, &c.scheduleTag); err != nil {
			return nil, err
		}
		if del[c.name] || (b.DeleteOthers && !keep[c.name]) {
			out = append(out, c)
		}
	}
	return out, rs.Err()
}

// writeAll stores the writes at indexes ok, giving them revisions from
// first on, with their index rows, outbox messages and change-log entries.
func (s *Store) writeAll(ctx context.Context, q querier, calID int64, b *Batch, res *BatchResult, ok []int, byName map[string]current, first, now, maxSpan int64) error {
	inserts, err := s.updateObjects(ctx, q, b, res, ok, byName, first, now)
	if err != nil {
		return err
	}
	if err := s.insertObjects(ctx, q, calID, b, res, inserts, now); err != nil {
		return err
	}
	var outbox []OutboxMessage
	var known []string
	var changes []Change
	var rows []indexRow
	texts := make([]textRow, 0, len(ok))
	for _, i := range ok {
		w, r := b.Writes[i], res.Writes[i]
		texts = append(texts, textOf(r.ObjectID, calID, w.ObjectWrite))
		outbox = append(outbox, w.Outbox...)
		known = append(known, w.Known...)
		changes = append(changes, Change{Name: w.Name, UUID: r.UUID, Revision: r.Revision})
		for _, in := range w.Instances {
			rows = append(rows, indexRow{objID: r.ObjectID, Instance: in})
		}
	}
	if err := s.insertIndexRows(ctx, q, calID, maxSpan, rows); err != nil {
		return err
	}
	if err := s.putTexts(ctx, q, texts); err != nil {
		return err
	}
	if err := s.batchAlarms(ctx, q, calID, b, res, ok, byName, now); err != nil {
		return err
	}
	if err := enqueue(ctx, q, now, outbox); err != nil {
		return err
	}
	if err := rememberForCalendar(ctx, q, now, calID, known); err != nil {
		return err
	}
	return s.logChanges(ctx, q, calID, changes)
}

// updateObjects gives the writes at indexes ok their revisions from first
// on, rewrites those that replace an existing resource (dropping their old
// index rows) and returns the indexes of the new ones.
func (s *Store) updateObjects(ctx context.Context, q querier, b *Batch, res *BatchResult, ok []int, byName map[string]current, first, now int64) ([]int, error) {
	var inserts []int
	var updated []int64
	for k, i := range ok {
		w, r := b.Writes[i], &res.Writes[i].WriteResult
		r.ETag, r.Revision, r.ScheduleTag = ETagOf(w.Data), first+int64(k), w.Scheduling.ScheduleTag
		cur, exists := byName[w.Name]
		if !exists {
			r.Created, r.UUID = true, cmp.Or(w.UUID, NewUUID())
			inserts = append(inserts, i)
			continue
		}
		r.ObjectID, r.UUID = cur.id, cur.uuid
		sc := w.Scheduling
		if _, err := q.exec(ctx, `UPDATE objects SET uid = $2, component = $3, data = $4, etag = $5, size = $6,
			sequence = $7, revision = $8, indexed_until = $9, modified_at = $10,
			schedule_tag = $11, sched_role = $12, partstat = $13, summary = $14 WHERE id = $1`,
			cur.id, w.UID, w.Component, w.Data, r.ETag, len(w.Data), w.Sequence, r.Revision, w.IndexedUntil, now,
			sc.ScheduleTag, sc.Role, sc.PartStat, w.Summary); err != nil {
			return nil, err
		}
		updated = append(updated, cur.id)
	}
	for part := range slices.Chunk(updated, 1000) {
		if _, err := q.exec(ctx, `DELETE FROM instances WHERE object_id `+s.inList(1), s.listArg(part)); err != nil {
			return nil, err
		}
	}
	return inserts, nil
}

// insertObjects inserts the new objects of a batch in multi-row
// statements and records their ids.
func (s *Store) insertObjects(ctx context.Context, q querier, calID int64, b *Batch, res *BatchResult, idx []int, now int64) error {
	for part := range slices.Chunk(idx, s.rowsPerStatement()) {
		var uuids, names, uids, comps, etags, tags, roles, partstats, summaries textCol
		var cals, sizes, seqs, revs, until, times int64Col
		var data bytesCol
		byUUID := make(map[string]int, len(part))
		for _, i := range part {
			w, r := b.Writes[i], &res.Writes[i]
			uuids, cals, names, uids = append(uuids, r.UUID), append(cals, calID), append(names, w.Name), append(uids, w.UID)
			comps, data, etags, sizes = append(comps, w.Component), append(data, w.Data), append(etags, r.ETag), append(sizes, int64(len(w.Data)))
			seqs, revs, until, times = append(seqs, int64(w.Sequence)), append(revs, r.Revision), append(until, w.IndexedUntil), append(times, now)
			sc := w.Scheduling
			tags, roles, partstats = append(tags, sc.ScheduleTag), append(roles, sc.Role), append(partstats, sc.PartStat)
			summaries = append(summaries, w.Summary)
			byUUID[r.UUID] = i
		}
		sql, args := s.insertRows(`INSERT INTO objects (uuid, calendar_id, name, uid, component, data, etag, size,
			sequence, revision, indexed_until, created_at, modified_at, schedule_tag, sched_role, partstat, summary)`,
			` RETURNING id, uuid`, uuids, cals, names, uids, comps, data, etags, sizes, seqs, revs, until, times, times,
			tags, roles, partstats, summaries)
		if err := scanIDs(ctx, q, sql, args, func(id int64, uuid string) {
			res.Writes[byUUID[uuid]].ObjectID = id
		}); err != nil {
			return err
		}
	}
	return nil
}

func scanIDs(ctx context.Context, q querier, sql string, args []any, set func(int64, string)) error {
	rs, err := q.query(ctx, sql, args...)
	if err != nil {
		return err
	}
	defer rs.Close()
	for rs.Next() {
		var id int64
		var uuid string
		if err := rs.Scan(&id, &uuid); err != nil {
			return err
		}
		set(id, uuid)
	}
	return rs.Err()
}

// indexRow is an index row with the object it belongs to.
type indexRow struct {
	objID int64
	Instance
}

// insertIndexRows writes the index rows of many objects in multi-row
// statements and widens the calendar's max span once.
func (s *Store) insertIndexRows(ctx context.Context, q querier, calID, maxSpan int64, rows []indexRow) error {
	if err := s.writeIndexRows(ctx, q, calID, rows); err != nil {
		return fmt.Errorf("store: index: %w", err)
	}
	newMax := maxSpan
	for _, r := range rows {
		if span := r.End - r.Start; span <= LongInstance && span > newMax {
			newMax = span
		}
	}
	if newMax > maxSpan {
		_, err := q.exec(ctx, `UPDATE calendars SET max_span = $2 WHERE id = $1 AND max_span < $2`, calID, newMax)
		return err
	}
	return nil
}

// writeIndexRows inserts index rows. Many rows go to PostgreSQL with
// COPY, its fastest way in; an import writes a few hundred thousand.
func (s *Store) writeIndexRows(ctx context.Context, q querier, calID int64, rows []indexRow) error {
	if tx, ok := q.(pgTx); ok && len(rows) > 100 {
		_, err := tx.tx.CopyFrom(ctx, pgx.Identifier{"instances"}, []string{"calendar_id", "object_id", "start_at",
			"end_at", "recurrence_id", "floating", "all_day", "override", "transparent", "status", "long", "component"},
			pgx.CopyFromSlice(len(rows), func(i int) ([]any, error) {
				r := rows[i]
				return []any{calID, r.objID, r.Start, r.End, r.RecurrenceID, r.Floating, r.AllDay, r.Override,
					r.Transparent, r.Status, r.End-r.Start > LongInstance, int64(r.Component)}, nil
			}))
		return err
	}
	for part := range slices.Chunk(rows, s.rowsPerStatement()) {
		sql, args := s.indexInsert(calID, part)
		if _, err := q.exec(ctx, sql, args...); err != nil {
			return err
		}
	}
	return nil
}

func (s *Store) indexInsert(calID int64, rows []indexRow) (string, []any) {
	n := len(rows)
	cals, objs, starts, ends, rids := make(int64Col, n), make(int64Col, n), make(int64Col, n), make(int64Col, n), make(int64Col, n)
	floating, allDay, override, transp, long := make(boolCol, n), make(boolCol, n), make(boolCol, n), make(boolCol, n), make(boolCol, n)
	status, comps := make(textCol, n), make(int64Col, n)
	for i, r := range rows {
		cals[i], objs[i], starts[i], ends[i], rids[i] = calID, r.objID, r.Start, r.End, r.RecurrenceID
		floating[i], allDay[i], override[i], transp[i] = r.Floating, r.AllDay, r.Override, r.Transparent
		status[i], long[i], comps[i] = r.Status, r.End-r.Start > LongInstance, int64(r.Component)
	}
	return s.insertRows(instanceInsertHead, "", cals, objs, starts, ends, rids, floating, allDay, override, transp, status, long, comps)
}

// logChanges records many changes in multi-row statements; the names are
// distinct, as the batch checked.
func (s *Store) logChanges(ctx context.Context, q querier, calID int64, list []Change) error {
	for part := range slices.Chunk(list, s.rowsPerStatement()) {
		var cals, revs int64Col
		var names, uuids textCol
		var deleted boolCol
		for _, c := range part {
			cals, revs, names, uuids, deleted = append(cals, calID), append(revs, c.Revision), append(names, c.Name), append(uuids, c.UUID), append(deleted, c.Deleted)
		}
		sql, args := s.insertRows(`INSERT INTO changes (calendar_id, revision, name, uuid, deleted)`,
			` ON CONFLICT (calendar_id, name) DO UPDATE SET revision = excluded.revision,
			uuid = excluded.uuid, deleted = excluded.deleted`, cals, revs, names, uuids, deleted)
		if _, err := q.exec(ctx, sql, args...); err != nil {
			return err
		}
	}
	return nil
}

// deleteAll removes resources (their index rows go with them) and records
// their tombstones with revisions from first on.
func (s *Store) deleteAll(ctx context.Context, q querier, calID int64, dels []current, first int64) ([]Change, error) {
	if len(dels) == 0 {
		return nil, nil
	}
	out := make([]Change, len(dels))
	ids := make([]int64, len(dels))
	for i, d := range dels {
		out[i] = Change{Name: d.name, UUID: d.uuid, Revision: first + int64(i), Deleted: true}
		ids[i] = d.id
	}
	for part := range slices.Chunk(ids, batchChunk) {
		if _, err := q.exec(ctx, `DELETE FROM objects WHERE id `+s.inList(1), s.listArg(part)); err != nil {
			return nil, err
		}
	}
	if err := s.cancelBatchReminders(ctx, q, dels); err != nil {
		return nil, err
	}
	return out, s.logChanges(ctx, q, calID, out)
}

// values appends the VALUES list of a multi-row SQLite statement: rows
// groups of cols anonymous placeholders. Not $n: the driver asks for every
// parameter's name, which SQLite looks up in a list of the named ones,
// quadratic in the number of parameters.
func (s *Store) values(b []byte, rows, cols int) []byte {
	for i := range rows {
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, '(')
		for c := range cols {
			if c > 0 {
				b = append(b, ',')
			}
			b = append(b, '?')
		}
		b = append(b, ')')
	}
	return b
}

// column is one column of the rows of a multi-row INSERT.
type column interface {
	len() int
	at(i int) any
	pgType() string // the PostgreSQL array type
	slice() any     // the values as a plain slice, for the PostgreSQL driver
}

type int64Col []int64
type textCol []string
type boolCol []bool
type bytesCol [][]byte

func (c int64Col) len() int     { return len(c) }
func (c int64Col) at(i int) any { return c[i] }
func (int64Col) pgType() string { return "bigint[]" }
func (c textCol) len() int      { return len(c) }
func (c textCol) at(i int) any  { return c[i] }
func (textCol) pgType() string  { return "text[]" }
func (c boolCol) len() int      { return len(c) }
func (c boolCol) at(i int) any  { return c[i] }
func (boolCol) pgType() string  { return "boolean[]" }
func (c bytesCol) len() int     { return len(c) }
func (c bytesCol) at(i int) any { return c[i] }
func (bytesCol) pgType() string { return "bytea[]" }
func (c int64Col) slice() any   { return []int64(c) }
func (c textCol) slice() any    { return []string(c) }
func (c boolCol) slice() any    { return []bool(c) }
func (c bytesCol) slice() any   { return [][]byte(c) }

// insertRows builds a multi-row INSERT of the columns after head (the
// INSERT INTO … (…) part) and before tail. PostgreSQL gets one array per
// column, expanded by unnest: one statement text, so one plan, whatever
// the number of rows. SQLite gets a VALUES list.
func (s *Store) insertRows(head, tail string, cols ...column) (string, []any) {
	n := cols[0].len()
	if s.dialect == "postgres" {
		var b strings.Builder
		b.WriteString(head)
		b.WriteString(" SELECT * FROM unnest(")
		args := make([]any, len(cols))
		for i, c := range cols {
			if i > 0 {
				b.WriteByte(',')
			}
			fmt.Fprintf(&b, "$%d::%s", i+1, c.pgType())
			args[i] = c.slice()
		}
		b.WriteString(")")
		b.WriteString(tail)
		return b.String(), args
	}
	sql := append([]byte(head), " VALUES "...)
	sql = s.values(sql, n, len(cols))
	args := make([]any, 0, n*len(cols))
	for i := range n {
		for _, c := range cols {
			args = append(args, c.at(i))
		}
	}
	return string(append(sql, tail...)), args
}

// rowsPerStatement bounds the rows of one multi-row statement: SQLite
// binds each value separately; PostgreSQL's arrays have no such limit,
// but very long ones would only hold up other writers.
func (s *Store) rowsPerStatement() int {
	if s.dialect == "postgres" {
		return 5000
	}
	return batchChunk
}
