package reminders

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/almanac/almanac/alarm"
	"github.com/almanac/almanac/icalendar"
	"github.com/almanac/almanac/recurrence"
	"github.com/almanac/almanac/store"
)

// Default is a default reminder (as Google Calendar's defaultReminders):
// applied to events that have no alarms of their own.
type Default struct {
	Minutes int    `json:"minutes"`
	Method  string `json:"method"` // "email" or "popup"
}

// MaxDefaults bounds the default reminders of one calendar.
const MaxDefaults = 5

// ParseDefaults reads a settings row's default reminders.
func ParseDefaults(s string) ([]Default, error) {
	if s == "" {
		return nil, nil
	}
	var out []Default
	err := json.Unmarshal([]byte(s), &out)
	return out, err
}

// subject is an object as the rows are computed from it.
type subject struct {
	cal    *store.Calendar
	obj    *icalendar.Object // the owner's copy
	series *recurrence.Series
	zones  alarm.Zones
	// perUser holds each sharee's own alarms, by user id.
	perUser map[int64]*icalendar.Object
	// settings bearing on the calendar, by user id: general ones (0) and
	// for this calendar.
	settings map[int64]map[int64]store.ReminderSettings
	old      map[string]store.AlarmRow // the rows before the write, by user and UID
	// restage is the earliest trigger whose staged deliveries the write
	// withdraws; rows start there so that they are staged again.
	restage time.Time
}

func rowKey(user int64, uid string) string { return strconv.FormatInt(user, 10) + "\x00" + uid }

// rows computes the alarm rows of an object: the owner's alarms (or their
// defaults), and each sharee's own alarms (or their defaults for this
// calendar).
func (s *Service) rows(sub *subject) ([]store.AlarmRow, error) {
	users := map[int64]bool{sub.cal.OwnerID: true}
	for u := range sub.perUser {
		users[u] = true
	}
	for u := range sub.settings {
		users[u] = true
	}
	var out []store.AlarmRow
	for u := range users {
		list, err := s.alarmsOf(sub, u)
		if err != nil {
			return nil, err
		}
		for i := range list {
			r, ok, err := s.firstRow(sub, u, &list[i])
			if err != nil {
				return nil, err
			}
			if ok {
				out = append(out, r)
			}
		}
	}
	return out, nil
}

// alarmsOf lists user u's alarms on the object: those in the data (the
// owner's copy, or the user's per-user data), then defaults for the
// components that have none.
func (s *Service) alarmsOf(sub *subject, u int64) ([]alarm.Alarm, error) {
	var own []alarm.Alarm
	var err error
	switch pu := sub.perUser[u]; {
	case u == sub.cal.OwnerID:
		own, err = alarm.Parse(sub.obj)
	case pu != nil:
		own, err = perUserAlarms(sub.obj, pu)
	}
	if err != nil {
		return nil, err
	}
	if u != sub.cal.OwnerID && sub.perUser[u] == nil && sub.settings[u][sub.cal.ID].Defaults == "" {
		return nil, nil // a sharee gets reminders only when they ask for them
	}
	return append(own, s.defaults(sub, u, own)...), nil
}

// defaults returns default alarms for the components of the object that
// have no alarm of user u: the user's defaults for this calendar, else
// (for the owner) their general ones.
func (s *Service) defaults(sub *subject, u int64, own []alarm.Alarm) []alarm.Alarm {
	set, ok := sub.settings[u][sub.cal.ID]
	if !ok && u == sub.cal.OwnerID {
		set = sub.settings[u][0]
	}
	defs, err := ParseDefaults(set.Defaults)
	if err != nil || len(defs) == 0 {
		return nil
	}
	has := map[int]bool{}
	for _, a := range own {
		has[a.Component] = true
	}
	var out []alarm.Alarm
	for i, c := range sub.obj.Components {
		if has[i] {
			continue
		}
		rid, recurring := componentKey(c)
		for k, d := range defs {
			a := alarm.Alarm{UID: fmt.Sprintf("default-%d-%d", i, k), Component: i, ComponentRID: rid,
				Action: alarm.Display, Related: alarm.RelStart, Recurring: recurring, Default: true,
				Offset: icalendar.NewDuration(-time.Duration(d.Minutes) * time.Minute), Summary: c.Summary()}
			if d.Method == "email" {
				a.Action = alarm.Email
			}
			out = append(out, a)
		}
	}
	return out
}

// firstRow computes the row of alarm a for user u: its first trigger from
// now, or from where the row stood before the write when that trigger is
// due and not yet staged, so that an edit never loses a due reminder.
func (s *Service) firstRow(sub *subject, u int64, a *alarm.Alarm) (store.AlarmRow, bool, error) {
	after := s.opt.Now()
	if !sub.restage.IsZero() && sub.restage.Before(after) {
		after = sub.restage
	}
	if old, ok := sub.old[rowKey(u, a.Key())]; ok && !old.Recheck && old.NextAt <= store.Micro(after) {
		after = store.FromMicro(old.NextAt - 1)
	}
	f, recheck, err := alarm.Next(a, sub.obj, sub.series, sub.zones, after)
	return s.row(u, a, f, recheck, err)
}

func (s *Service) row(u int64, a *alarm.Alarm, f alarm.Fire, recheck time.Time, err error) (store.AlarmRow, bool, error) {
	spec, _ := json.Marshal(a)
	r := store.AlarmRow{UserID: u, UID: a.Key(), Spec: spec, Recurring: a.Recurring}
	switch {
	case errors.Is(err, alarm.ErrNoMore) && recheck.IsZero():
		return r, false, nil
	case errors.Is(err, alarm.ErrNoMore):
		r.NextAt, r.Recheck = store.Micro(recheck), true
		return r, true, nil
	case err != nil:
		return r, false, err
	}
	setFire(&r, f)
	return r, true, nil
}

func setFire(r *store.AlarmRow, f alarm.Fire) {
	r.NextAt, r.Repeat, r.Recheck = store.Micro(f.At), f.Repeat, false
	r.InstanceStart, r.InstanceEnd, r.RecurrenceID = 0, 0, 0
	if !f.InstanceStart.IsZero() {
		r.InstanceStart, r.InstanceEnd = store.Micro(f.InstanceStart), store.Micro(f.InstanceEnd)
	}
	if !f.RecurrenceID.IsZero() {
		r.RecurrenceID = store.Micro(f.RecurrenceID)
	}
}

// loadSubject gathers what the rows of an object depend on besides its
// data: per-user data, settings and the rows before the write.
func (s *Service) loadSubject(ctx context.Context, sub *subject, objectID int64, uuid string) error {
	sets, err := s.settings.get(ctx, s.st, sub.cal)
	if err != nil {
		return err
	}
	sub.settings = map[int64]map[int64]store.ReminderSettings{}
	for _, r := range sets {
		if r.Defaults == "" && r.CalendarID == 0 {
			continue // a webhook only
		}
		if sub.settings[r.UserID] == nil {
			sub.settings[r.UserID] = map[int64]store.ReminderSettings{}
		}
		sub.settings[r.UserID][r.CalendarID] = r
	}
	sub.old = map[string]store.AlarmRow{}
	if sub.perUser == nil {
		sub.perUser = map[int64]*icalendar.Object{}
	}
	if objectID == 0 {
		return nil
	}
	rows, err := s.st.AlarmsOf(ctx, objectID)
	if err != nil {
		return err
	}
	if err := s.findRestage(ctx, sub, uuid); err != nil {
		return err
	}
	for _, r := range rows {
		sub.old[rowKey(r.UserID, r.UID)] = r
	}
	return s.loadPerUser(ctx, sub, objectID)
}

// findRestage finds the earliest trigger staged for the object and not
// tried yet: the write withdraws it (store.ReminderRef), and it must be
// staged again unless the write changed or acknowledged it.
func (s *Service) findRestage(ctx context.Context, sub *subject, uuid string) error {
	msgs, err := s.st.OutboxByRef(ctx, store.ReminderRef(uuid))
	if err != nil {
		return err
	}
	for _, m := range msgs {
		if m.Status == store.OutboxPending && m.Attempts == 0 && (sub.restage.IsZero() || m.DueAt.Before(sub.restage)) {
			sub.restage = m.DueAt.Add(-time.Microsecond)
		}
	}
	return nil
}
