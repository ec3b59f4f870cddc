package reminders

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/almanac/almanac/alarm"
	"github.com/almanac/almanac/calendar"
	"github.com/almanac/almanac/store"
	"github.com/almanac/almanac/store/storetest"
)

const sharedEvent = `
BEGIN:VEVENT
UID:shared
DTSTAMP:20260101T000000Z
DTSTART:20260601T120000Z
DURATION:PT1H
SUMMARY:Planning
TRANSP:OPAQUE
BEGIN:VALARM
UID:owner-alarm
ACTION:DISPLAY
DESCRIPTION:owner
TRIGGER:-PT15M
END:VALARM
END:VEVENT
`

// A writer's VALARMs and TRANSP are theirs alone: the owner's copy keeps
// the owner's, each reads their own, and each gets their own reminders.
func TestShareeAlarmsAreTheirOwn(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		f := newFixture(t, st, time.Date(2026, 5, 31, 12, 0, 0, 0, time.UTC))
		f.cals = calendar.New(st, calendar.Options{Now: f.clock, Hooks: []calendar.Hook{f.rem.Hook()}, Viewer: f.rem})
		bob := f.user("bob")
		if err := f.cals.Share(ctx, f.owner, f.cal, bob, calendar.RoleWriter); err != nil {
			t.Fatal(err)
		}
		f.put(f.owner, "s.ics", sharedEvent)
		view, err := f.cals.GetObject(ctx, bob, f.cal, "s.ics")
		if err != nil {
			t.Fatal(err)
		}
		if strings.Contains(string(view.Data), "owner-alarm") {
			t.Fatalf("the sharee sees the owner's alarm:\n%s", view.Data)
		}
		// Bob adds his own alarm and marks the event free for himself,
		// sending If-Match with the tag of his view.
		mine := strings.Replace(string(view.Data), "END:VEVENT", "TRANSP:TRANSPARENT\r\nBEGIN:VALARM\r\nUID:bob-alarm\r\nACTION:DISPLAY\r\nDESCRIPTION:bob\r\nTRIGGER:-PT5M\r\nEND:VALARM\r\nEND:VEVENT", 1)
		if _, err := f.cals.PutObject(ctx, bob, f.cal, "s.ics", []byte(mine), store.Conditions{IfMatch: view.ETag}); err != nil {
			t.Fatal(err)
		}
		stored, _ := f.cals.GetObject(ctx, f.owner, f.cal, "s.ics")
		if !strings.Contains(string(stored.Data), "owner-alarm") || strings.Contains(string(stored.Data), "bob-alarm") || strings.Contains(string(stored.Data), "TRANSPARENT") {
			t.Fatalf("owner's copy:\n%s", stored.Data)
		}
		view, _ = f.cals.GetObject(ctx, bob, f.cal, "s.ics")
		if strings.Contains(string(view.Data), "owner-alarm") || !strings.Contains(string(view.Data), "bob-alarm") || !strings.Contains(string(view.Data), "TRANSP:TRANSPARENT") {
			t.Fatalf("bob's view:\n%s", view.Data)
		}
		if view.ETag == stored.ETag {
			t.Error("the sharee's view has the owner's entity tag")
		}
		msgs := f.stage(time.Date(2026, 6, 1, 11, 59, 0, 0, time.UTC))
		got := map[string]bool{}
		for _, m := range msgs {
			got[m.IdempotencyKey[strings.Index(m.IdempotencyKey, "/")+1:]] = true
		}
		var owner, sharee int
		for k := range got {
			switch {
			case strings.Contains(k, "owner-alarm"):
				owner++
			case strings.Contains(k, "bob-alarm"):
				sharee++
			}
		}
		if owner != 1 || sharee != 1 {
			t.Errorf("reminders staged: %v", got)
		}
		// The owner edits the event: Bob's alarm stays his.
		f.set(time.Date(2026, 5, 31, 13, 0, 0, 0, time.UTC))
		f.put(f.owner, "s.ics", strings.Replace(sharedEvent, "Planning", "Planning (moved room)", 1))
		view, _ = f.cals.GetObject(ctx, bob, f.cal, "s.ics")
		if !strings.Contains(string(view.Data), "bob-alarm") || !strings.Contains(string(view.Data), "moved room") {
			t.Fatalf("bob's view after the owner's edit:\n%s", view.Data)
		}
	})
}

// A reader may keep reminders of their own on a calendar they cannot
// write, through their per-user data.
func TestReaderSetsOwnReminder(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		f := newFixture(t, st, time.Date(2026, 5, 31, 12, 0, 0, 0, time.UTC))
		f.cals = calendar.New(st, calendar.Options{Now: f.clock, Hooks: []calendar.Hook{f.rem.Hook()}, Viewer: f.rem})
		carol := f.user("carol")
		if err := f.cals.Share(ctx, f.owner, f.cal, carol, calendar.RoleReader); err != nil {
			t.Fatal(err)
		}
		f.put(f.owner, "s.ics", sharedEvent)
		obj, _ := st.GetObject(ctx, f.cal.ID, "s.ics")
		err := f.rem.EditUserAlarms(ctx, carol, f.cal, obj, func(e *alarm.Edit) error {
			return e.Add(alarm.Spec{UID: "carol-alarm", Action: alarm.Email, MinutesBefore: 60})
		})
		if err != nil {
			t.Fatal(err)
		}
		list, err := f.rem.UserAlarms(ctx, carol, f.cal, obj)
		if err != nil || len(list) != 1 || list[0].UID != "carol-alarm" {
			t.Fatalf("carol's alarms %+v %v", list, err)
		}
		msgs := f.stage(time.Date(2026, 6, 1, 10, 59, 30, 0, time.UTC))
		if got := dueTimes(msgs, KindEmail); strings.Join(got, " ") != "06-01T11:00" {
			t.Errorf("carol's e-mail %v", got)
		}
		for _, m := range msgs {
			if !strings.Contains(string(m.Payload), "carol@example.com") {
				t.Errorf("mail not to carol: %s", m.Payload)
			}
		}
	})
}

// A sharee whose access is revoked gets no more reminders of the calendar.
func TestUnshareDropsReminders(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		f := newFixture(t, st, time.Date(2026, 5, 31, 12, 0, 0, 0, time.UTC))
		dan := f.user("dan")
		if err := f.cals.Share(ctx, f.owner, f.cal, dan, calendar.RoleReader); err != nil {
			t.Fatal(err)
		}
		f.put(f.owner, "s.ics", sharedEvent)
		obj, _ := st.GetObject(ctx, f.cal.ID, "s.ics")
		if err := f.rem.EditUserAlarms(ctx, dan, f.cal, obj, func(e *alarm.Edit) error {
			return e.Add(alarm.Spec{UID: "dan-alarm", MinutesBefore: 60})
		}); err != nil {
			t.Fatal(err)
		}
		f.stage(time.Date(2026, 6, 1, 10, 59, 30, 0, time.UTC))
		if err := f.cals.Unshare(ctx, f.owner, f.cal, dan); err != nil {
			t.Fatal(err)
		}
		rows, _ := st.AlarmsOf(ctx, obj.ID)
		for _, r := range rows {
			if r.UserID == dan.ID {
				t.Errorf("dan still has %+v", r)
			}
		}
		for _, m := range f.stage(f.clock()) {
			if strings.Contains(m.IdempotencyKey, "dan-alarm") {
				t.Errorf("dan's staged reminder kept: %s", m.IdempotencyKey)
			}
		}
	})
}
