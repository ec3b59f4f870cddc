package store

import (
	"context"
	"fmt"
	"slices"
	"strings"
)

// AlarmRow is the next trigger of one alarm for one user.
type AlarmRow struct {
	ID        int64
	UserID    int64
	UID       string
	Spec      []byte // the alarm as read (JSON, see package alarm)
	Recurring bool
	// NextAt is the trigger (µs), or when to look again for Recheck rows.
	NextAt        int64
	InstanceStart int64
	InstanceEnd   int64
	RecurrenceID  int64
	Repeat        int
	Recheck       bool
}

// AlarmSet is what a write stores about reminders: every alarm row of the
// object (replacing the old ones) and, when a sharee wrote, their per-user
// data.
type AlarmSet struct {
	Rows []AlarmRow
	// PerUser, when set, replaces (or with empty Data removes) one
	// user's per-user data of the object.
	PerUser *PerUserData
}

// PerUserData is a user's own part of a shared object (their VALARMs and
// TRANSP), kept as iCalendar text.
type PerUserData struct {
	UserID int64
	Data   string
}

// ReminderRef is the outbox ref of the deliveries of an object's reminders.
func ReminderRef(objectUUID string) string { return "reminder:" + objectUUID }

// replaceAlarms stores an object's alarm rows in the caller's transaction
// and withdraws the staged deliveries nobody has tried yet: the new rows
// stage them again if they still hold (the caller starts them early enough
// to cover the withdrawn ones; idempotency keys drop what already went).
func (s *Store) replaceAlarms(ctx context.Context, q querier, calID, objID int64, uuid string, now int64, set *AlarmSet, created bool) error {
	// A row just inserted has no alarms yet (they go with their object,
	// ON DELETE CASCADE): one statement fewer for every new event.
	if !created {
		if _, err := q.exec(ctx, `DELETE FROM alarms WHERE object_id = $1`, objID); err != nil {
			return err
		}
	}
	if err := s.insertAlarms(ctx, q, calID, objID, set.Rows); err != nil {
		return err
	}
	if err := cancelReminders(ctx, q, uuid, now); err != nil {
		return err
	}
	if set.PerUser != nil {
		return putPerUser(ctx, q, objID, set.PerUser)
	}
	return nil
}

func (s *Store) insertAlarms(ctx context.Context, q querier, calID, objID int64, list []AlarmRow) error {
	rows := make([]objectAlarm, len(list))
	for i, a := range list {
		rows[i] = objectAlarm{objID, a}
	}
	return s.insertAlarmRows(ctx, q, calID, rows)
}

// objectAlarm is an alarm row with the object it belongs to.
type objectAlarm struct {
	objID int64
	AlarmRow
}

// insertAlarmRows writes alarm rows of any objects of one calendar in
// multi-row statements.
func (s *Store) insertAlarmRows(ctx context.Context, q querier, calID int64, list []objectAlarm) error {
	for part := range slices.Chunk(list, s.rowsPerStatement()) {
		var obj, cal, user, next, istart, iend, rid, rep int64Col
		var uid, spec textCol
		var recurring, recheck boolCol
		for _, a := range part {
			obj, cal, user, uid, spec = append(obj, a.objID), append(cal, calID), append(user, a.UserID), append(uid, a.UID), append(spec, string(a.Spec))
			recurring, next, istart, iend = append(recurring, a.Recurring), append(next, a.NextAt), append(istart, a.InstanceStart), append(iend, a.InstanceEnd)
			rid, rep, recheck = append(rid, a.RecurrenceID), append(rep, int64(a.Repeat)), append(recheck, a.Recheck)
		}
		sql, args := s.insertRows(`INSERT INTO alarms (object_id, calendar_id, user_id, alarm_uid, spec, recurring, next_trigger_at,
			instance_start, instance_end, recurrence_id, repeat_index, recheck)`, "",
			obj, cal, user, uid, spec, recurring, next, istart, iend, rid, rep, recheck)
		if _, err := q.exec(ctx, sql, args...); err != nil {
			return fmt.Errorf("store: alarms: %w", err)
		}
	}
	return nil
}

// batchAlarms stores the alarm rows of a batch's writes at indexes ok, in
// multi-row statements, and withdraws the untried deliveries of the
// objects it replaced (see replaceAlarms).
func (s *Store) batchAlarms(ctx context.Context, q querier, calID int64, b *Batch, res *BatchResult, ok []int, byName map[string]current, now int64) error {
	var replaced []int64
	var refs []string
	var rows []objectAlarm
	for _, i := range ok {
		w, r := b.Writes[i], res.Writes[i]
		if w.Alarms == nil {
			continue
		}
		if _, existed := byName[w.Name]; existed {
			replaced, refs = append(replaced, r.ObjectID), append(refs, ReminderRef(r.UUID))
		}
		for _, a := range w.Alarms.Rows {
			rows = append(rows, objectAlarm{r.ObjectID, a})
		}
		if w.Alarms.PerUser != nil {
			if err := putPerUser(ctx, q, r.ObjectID, w.Alarms.PerUser); err != nil {
				return err
			}
		}
	}
	for part := range slices.Chunk(replaced, batchChunk) {
		if _, err := q.exec(ctx, `DELETE FROM alarms WHERE object_id `+s.inList(1), s.listArg(part)); err != nil {
			return err
		}
	}
	if err := s.cancelRefs(ctx, q, refs, now); err != nil {
		return err
	}
	return s.insertAlarmRows(ctx, q, calID, rows)
}

// cancelBatchReminders withdraws the untried reminder deliveries of
// objects a batch deletes.
func (s *Store) cancelBatchReminders(ctx context.Context, q querier, dels []current) error {
	refs := make([]string, len(dels))
	for i, d := range dels {
		refs[i] = ReminderRef(d.uuid)
	}
	return s.cancelRefs(ctx, q, refs, s.nowMicro())
}

func (s *Store) cancelRefs(ctx context.Context, q querier, refs []string, now int64) error {
	for part := range slices.Chunk(refs, batchChunk) {
		if _, err := q.exec(ctx, `DELETE FROM outbox WHERE status = 'pending' AND attempts = 0 AND leased_until < $1
			AND ref `+s.inList(2), now, s.listArg(part)); err != nil {
			return err
		}
	}
	return nil
}

// cancelReminders withdraws the deliveries of an object's reminders that
// nobody has tried yet.
func cancelReminders(ctx context.Context, q querier, uuid string, now int64) error {
	_, err := q.exec(ctx, `DELETE FROM outbox WHERE `+byRef+` AND status = 'pending' AND attempts = 0 AND leased_until < $2`,
		ReminderRef(uuid), now)
	return err
}

const alarmColumns = `id, user_id, alarm_uid, spec, recurring, next_trigger_at, instance_start, instance_end,
	recurrence_id, repeat_index, recheck`

func alarmDest(a *AlarmRow, spec *string) []any {
	return []any{&a.ID, &a.UserID, &a.UID, spec, &a.Recurring, &a.NextAt, &a.InstanceStart, &a.InstanceEnd,
		&a.RecurrenceID, &a.Repeat, &a.Recheck}
}

// AlarmsOf returns the alarm rows of an object.
func (s *Store) AlarmsOf(ctx context.Context, objectID int64) ([]AlarmRow, error) {
	rs, err := s.read.query(ctx, `SELECT `+alarmColumns+` FROM alarms WHERE object_id = $1 ORDER BY id`, objectID)
	if err != nil {
		return nil, err
	}
	defer rs.Close()
	var out []AlarmRow
	for rs.Next() {
		var a AlarmRow
		var spec string
		if err := rs.Scan(alarmDest(&a, &spec)...); err != nil {
			return nil, err
		}
		a.Spec = []byte(spec)
		out = append(out, a)
	}
	return out, rs.Err()
}

// DueAlarm is an alarm row whose trigger has come, with what delivering it
// needs.
type DueAlarm struct {
	AlarmRow
	ObjectID     int64
	ObjectUUID   string
	CalendarID   int64
	CalendarUUID string
	Data         []byte // the object's data, for recurring alarms only
	UserUUID     string
	UserEmail    string // empty until the address is verified
	UserName     string
	UserTimeZone string
}

// AlarmUpdate moves a due alarm to its next trigger, or deletes it.
type AlarmUpdate struct {
	Row    AlarmRow // ID and the new Next… fields
	Delete bool
}

// StageFunc turns due alarms into deliveries and their next triggers.
type StageFunc func(due []*DueAlarm) ([]AlarmUpdate, []OutboxMessage, error)

// StageAlarms leases up to n alarms triggering at or before until, lets fn
// turn them into outbox messages and next triggers, and stores both in the
// same transaction: a crash anywhere leaves the alarms due, to be staged
// again, and the outbox's idempotency keys drop what was queued twice. On
// PostgreSQL rows locked by another node are skipped, so each alarm is
// staged by one node. It returns how many alarms were due.
func (s *Store) StageAlarms(ctx context.Context, until int64, n int, fn StageFunc) (int, error) {
	lock := ""
	if s.dialect == "postgres" {
		lock = " FOR UPDATE SKIP LOCKED"
	}
	var count int
	err := s.inTx(ctx, func(q querier) error {
		due, err := dueAlarms(ctx, q, until, n, lock)
		if err != nil || len(due) == 0 {
			return err
		}
		count = len(due)
		updates, msgs, err := fn(due)
		if err != nil {
			return err
		}
		if err := applyAlarmUpdates(ctx, q, updates); err != nil {
			return err
		}
		return enqueue(ctx, q, s.nowMicro(), msgs)
	})
	return count, err
}

// dueAlarmsSQL selects due alarms in trigger order: the lease itself is a
// range scan of alarms_due on the alarms table alone (the lock clause
// goes where %s is), and only the rows taken are joined with what
// delivery needs from the object, calendar and user.
const dueAlarmsSQL = `WITH due AS (SELECT * FROM alarms WHERE next_trigger_at <= $1 ORDER BY next_trigger_at LIMIT $2%s)
	SELECT a.id, a.user_id, a.alarm_uid, a.spec, a.recurring, a.next_trigger_at, a.instance_start,
		a.instance_end, a.recurrence_id, a.repeat_index, a.recheck,
		a.object_id, o.uuid, a.calendar_id, c.uuid, CASE WHEN a.recurring OR a.recheck THEN o.data END,
		u.uuid, CASE WHEN u.email_verified THEN u.email ELSE '' END, u.display_name, u.time_zone
	FROM due a JOIN objects o ON o.id = a.object_id JOIN calendars c ON c.id = a.calendar_id
		JOIN users u ON u.id = a.user_id
	ORDER BY a.next_trigger_at`

func dueAlarms(ctx context.Context, q querier, until int64, n int, lock string) ([]*DueAlarm, error) {
	rs, err := q.query(ctx, fmt.Sprintf(dueAlarmsSQL, lock), until, n)
	if err != nil {
		return nil, err
	}
	defer rs.Close()
	var out []*DueAlarm
	for rs.Next() {
		var d DueAlarm
		var spec string
		dest := append(alarmDest(&d.AlarmRow, &spec), &d.ObjectID, &d.ObjectUUID, &d.CalendarID, &d.CalendarUUID,
			&d.Data, &d.UserUUID, &d.UserEmail, &d.UserName, &d.UserTimeZone)
		if err := rs.Scan(dest...); err != nil {
			return nil, err
		}
		d.Spec = []byte(spec)
		out = append(out, &d)
	}
	return out, rs.Err()
}

func applyAlarmUpdates(ctx context.Context, q querier, updates []AlarmUpdate) error {
	var gone []int64
	for _, u := range updates {
		if u.Delete {
			gone = append(gone, u.Row.ID)
			continue
		}
		r := u.Row
		if _, err := q.exec(ctx, `UPDATE alarms SET next_trigger_at = $2, instance_start = $3, instance_end = $4,
			recurrence_id = $5, repeat_index = $6, recheck = $7 WHERE id = $1`,
			r.ID, r.NextAt, r.InstanceStart, r.InstanceEnd, r.RecurrenceID, r.Repeat, r.Recheck); err != nil {
			return err
		}
	}
	for len(gone) > 0 {
		k := min(len(gone), 500)
		var b strings.Builder
		b.WriteString(`DELETE FROM alarms WHERE id IN (`)
		args := make([]any, k)
		for i, id := range gone[:k] {
			if i > 0 {
				b.WriteByte(',')
			}
			fmt.Fprintf(&b, "$%d", i+1)
			args[i] = id
		}
		b.WriteByte(')')
		if _, err := q.exec(ctx, b.String(), args...); err != nil {
			return err
		}
		gone = gone[k:]
	}
	return nil
}

// NextAlarm returns the earliest trigger time of any alarm (µs), or false
// when there is none.
func (s *Store) NextAlarm(ctx context.Context) (int64, bool, error) {
	var at int64
	err := s.read.queryRow(ctx, `SELECT next_trigger_at FROM alarms ORDER BY next_trigger_at LIMIT 1`).Scan(&at)
	if isNoRows(err) {
		return 0, false, nil
	}
	return at, err == nil, err
}

// ReplaceUserAlarms stores one user's per-user data of an object (their
// own alarms on a shared calendar) and their alarm rows, withdraws their
// staged deliveries nobody has tried yet, and logs a change of the object
// so that their other devices sync the new view. It returns the
// calendar's new revision, or ErrNotFound when the object is gone.
func (s *Store) ReplaceUserAlarms(ctx context.Context, calID, objID, userID int64, fragment string, rows []AlarmRow) (revision int64, err error) {
	now := s.nowMicro()
	err = s.inTx(ctx, func(q querier) error {
		rev, _, err := bumpRevision(ctx, q, calID, now)
		if err != nil {
			return err
		}
		var name, uuid string
		err = q.queryRow(ctx, `SELECT name, uuid FROM objects WHERE id = $1 AND calendar_id = $2`, objID, calID).Scan(&name, &uuid)
		if isNoRows(err) {
			return ErrNotFound
		} else if err != nil {
			return err
		}
		if _, err := q.exec(ctx, `DELETE FROM alarms WHERE object_id = $1 AND user_id = $2`, objID, userID); err != nil {
			return err
		}
		for i := range rows {
			rows[i].UserID = userID
		}
		if err := s.insertAlarms(ctx, q, calID, objID, rows); err != nil {
			return err
		}
		if _, err := q.exec(ctx, `DELETE FROM outbox WHERE `+byRef+` AND status = 'pending' AND attempts = 0 AND leased_until < $2
			AND idempotency_key LIKE $3`, ReminderRef(uuid), now, fmt.Sprintf("reminder/%s/%d/%%", uuid, userID)); err != nil {
			return err
		}
		if err := putPerUser(ctx, q, objID, &PerUserData{UserID: userID, Data: fragment}); err != nil {
			return err
		}
		if _, err := q.exec(ctx, `UPDATE objects SET revision = $2, modified_at = $3 WHERE id = $1`, objID, rev, now); err != nil {
			return err
		}
		revision = rev
		return logChange(ctx, q, calID, rev, name, uuid, false)
	})
	return revision, err
}

// ExplainAlarmLease returns the query plan of the scheduler's lease of
// due alarms, which must stay a range scan of alarms_due.
func (s *Store) ExplainAlarmLease(ctx context.Context) (string, error) {
	explain, lock := "EXPLAIN QUERY PLAN ", ""
	if s.dialect == "postgres" {
		explain, lock = "EXPLAIN ", " FOR UPDATE SKIP LOCKED"
	}
	rs, err := s.read.query(ctx, explain+fmt.Sprintf(dueAlarmsSQL, lock), s.nowMicro(), 500)
	if err != nil {
		return "", err
	}
	defer rs.Close()
	var b strings.Builder
	for rs.Next() {
		vals := make([]any, 0, 4)
		var line string
		if s.dialect == "postgres" {
			vals = append(vals, &line)
		} else {
			var id, parent, unused int64
			vals = append(vals, &id, &parent, &unused, &line)
		}
		if err := rs.Scan(vals...); err != nil {
			return "", err
		}
		b.WriteString(line + "\n")
	}
	return b.String(), rs.Err()
}

// ReplaceObjectAlarms replaces an object's alarm rows outside an object
// write (after a change of default reminders), withdrawing its staged
// deliveries nobody has tried yet. It returns ErrNotFound when the object
// is gone.
func (s *Store) ReplaceObjectAlarms(ctx context.Context, calID, objID int64, rows []AlarmRow) error {
	now := s.nowMicro()
	return s.inTx(ctx, func(q querier) error {
		var uuid string
		err := q.queryRow(ctx, `SELECT uuid FROM objects WHERE id = $1 AND calendar_id = $2`, objID, calID).Scan(&uuid)
		if isNoRows(err) {
			return ErrNotFound
		} else if err != nil {
			return err
		}
		return s.replaceAlarms(ctx, q, calID, objID, uuid, now, &AlarmSet{Rows: rows}, false)
	})
}

// dropUserReminders forgets a former sharee's reminders of a calendar:
// their alarm rows, default reminders, per-user data and untried
// deliveries.
func dropUserReminders(ctx context.Context, q querier, calID, userID, now int64) error {
	if _, err := q.exec(ctx, `DELETE FROM alarms WHERE calendar_id = $1 AND user_id = $2`, calID, userID); err != nil {
		return err
	}
	if _, err := q.exec(ctx, `DELETE FROM reminder_settings WHERE calendar_id = $1 AND user_id = $2`, calID, userID); err != nil {
		return err
	}
	if _, err := q.exec(ctx, `DELETE FROM object_user_data WHERE user_id = $1
		AND object_id IN (SELECT id FROM objects WHERE calendar_id = $2)`, userID, calID); err != nil {
		return err
	}
	_, err := q.exec(ctx, `DELETE FROM outbox WHERE ref IN (SELECT 'reminder:' || uuid FROM objects WHERE calendar_id = $1) AND ref <> ''
		AND status = 'pending' AND attempts = 0 AND leased_until < $2 AND idempotency_key LIKE $3`,
		calID, now, fmt.Sprintf("reminder/%%/%d/%%", userID))
	return err
}

// cancelCalendarReminders withdraws the untried reminder deliveries of a
// calendar's events, and its default reminders, before the calendar goes.
func cancelCalendarReminders(ctx context.Context, q querier, calID, now int64) error {
	if _, err := q.exec(ctx, `DELETE FROM reminder_settings WHERE calendar_id = $1`, calID); err != nil {
		return err
	}
	_, err := q.exec(ctx, `DELETE FROM outbox WHERE ref IN (SELECT 'reminder:' || uuid FROM objects WHERE calendar_id = $1) AND ref <> ''
		AND status = 'pending' AND attempts = 0 AND leased_until < $2`, calID, now)
	return err
}
