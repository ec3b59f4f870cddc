package reminders

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/almanac/almanac/calendar"
	"github.com/almanac/almanac/store"
	"github.com/almanac/almanac/store/storetest"
)

func ics(body string) []byte {
	return []byte(strings.ReplaceAll("BEGIN:VCALENDAR\nVERSION:2.0\nPRODID:-//test//EN\n"+strings.TrimLeft(body, "\n")+"END:VCALENDAR\n", "\n", "\r\n"))
}

type fixture struct {
	t     *testing.T
	st    *store.Store
	rem   *Service
	cals  *calendar.Service
	owner *store.User
	cal   *store.Calendar
	mu    sync.Mutex
	now   time.Time
}

func (f *fixture) clock() time.Time {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.now
}

func (f *fixture) set(t time.Time) {
	f.mu.Lock()
	f.now = t
	f.mu.Unlock()
}

func newFixture(t *testing.T, st *store.Store, now time.Time) *fixture {
	t.Helper()
	f := &fixture{t: t, st: st, now: now}
	st.SetClock(f.clock)
	f.rem = New(st, Options{Now: f.clock, Lookahead: time.Minute})
	f.cals = calendar.New(st, calendar.Options{Now: f.clock, Hooks: []calendar.Hook{f.rem.Hook()}})
	f.owner = f.user("owner")
	f.cal = &store.Calendar{Name: "c", DisplayName: "C", TimeZone: "Europe/Berlin"}
	if err := f.cals.CreateCalendar(context.Background(), f.owner, f.cal); err != nil {
		t.Fatal(err)
	}
	return f
}

func (f *fixture) user(name string) *store.User {
	u := &store.User{Name: name, Email: name + "@example.com", TimeZone: "Europe/Berlin"}
	if err := f.st.CreateUser(context.Background(), u); err != nil {
		f.t.Fatal(err)
	}
	return u
}

func (f *fixture) put(u *store.User, name, body string) *store.WriteResult {
	f.t.Helper()
	res, err := f.cals.PutObject(context.Background(), u, f.cal, name, ics(body), store.Conditions{})
	if err != nil {
		f.t.Fatal(err)
	}
	return res
}

// stage runs the scheduler at time now and returns the reminder messages
// queued so far, by idempotency key.
func (f *fixture) stage(now time.Time) map[string]*store.OutboxMessage {
	f.t.Helper()
	f.set(now)
	if _, err := f.rem.StageDue(context.Background()); err != nil {
		f.t.Fatal(err)
	}
	list, err := f.st.ListOutbox(context.Background(), "", 10000)
	if err != nil {
		f.t.Fatal(err)
	}
	out := map[string]*store.OutboxMessage{}
	for _, m := range list {
		out[m.IdempotencyKey] = m
	}
	return out
}

func dueTimes(msgs map[string]*store.OutboxMessage, kind string) []string {
	var out []string
	for _, m := range msgs {
		if m.Kind == kind {
			out = append(out, m.DueAt.UTC().Format("01-02T15:04"))
		}
	}
	return sortStrings(out)
}

func sortStrings(s []string) []string {
	for i := range s {
		for j := i + 1; j < len(s); j++ {
			if s[j] < s[i] {
				s[i], s[j] = s[j], s[i]
			}
		}
	}
	return s
}

const dailyBerlin = `
BEGIN:VEVENT
UID:daily
DTSTAMP:20260101T000000Z
DTSTART;TZID=Europe/Berlin:20260327T090000
DURATION:PT30M
RRULE:FREQ=DAILY
SUMMARY:Stand-up
BEGIN:VALARM
UID:a1
ACTION:DISPLAY
DESCRIPTION:Stand-up soon
TRIGGER:-PT10M
END:VALARM
END:VEVENT
`

// The reminders of a daily 09:00 Berlin meeting are queued at 08:50 local
// time on both sides of the change to summer time (29 March 2026: 07:50
// UTC before, 06:50 after), one per instance, as time passes.
func TestRecurringAcrossDST(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		f := newFixture(t, st, time.Date(2026, 3, 26, 12, 0, 0, 0, time.UTC))
		f.put(f.owner, "daily.ics", dailyBerlin)
		var msgs map[string]*store.OutboxMessage
		for at := f.now; at.Before(time.Date(2026, 3, 31, 12, 0, 0, 0, time.UTC)); at = at.Add(30 * time.Minute) {
			msgs = f.stage(at)
		}
		got := dueTimes(msgs, KindWeb)
		want := []string{"03-27T07:50", "03-28T07:50", "03-29T06:50", "03-30T06:50", "03-31T06:50"}
		if strings.Join(got, " ") != strings.Join(want, " ") {
			t.Errorf("reminders due %v, want %v", got, want)
		}
	})
}

// Moving an instance withdraws its staged reminder and stages the new
// one; deleting the event withdraws what is left; an acknowledgement
// (RFC 9074 §6) stops the reminder of that instance.
func TestEditsCancelStagedReminders(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		f := newFixture(t, st, time.Date(2026, 5, 31, 12, 0, 0, 0, time.UTC))
		body := func(start, extra string) string {
			return "BEGIN:VEVENT\nUID:e\nDTSTAMP:20260101T000000Z\nDTSTART:" + start + "\nDURATION:PT1H\nSUMMARY:Lunch\n" +
				"BEGIN:VALARM\nUID:a\nACTION:EMAIL\nSUMMARY:Lunch\nDESCRIPTION:Lunch\nATTENDEE:mailto:x@example.com\nTRIGGER:-PT15M\n" + extra + "END:VALARM\nEND:VEVENT\n"
		}
		f.put(f.owner, "e.ics", body("20260601T120000Z", ""))
		msgs := f.stage(time.Date(2026, 6, 1, 11, 44, 30, 0, time.UTC))
		if got := dueTimes(msgs, KindEmail); len(got) != 1 || got[0] != "06-01T11:45" {
			t.Fatalf("staged %v", got)
		}
		f.put(f.owner, "e.ics", body("20260601T130000Z", ""))
		msgs = f.stage(f.clock())
		if got := dueTimes(msgs, KindEmail); len(got) != 0 {
			t.Fatalf("after the move, still staged: %v", got)
		}
		msgs = f.stage(time.Date(2026, 6, 1, 12, 44, 30, 0, time.UTC))
		if got := dueTimes(msgs, KindEmail); len(got) != 1 || got[0] != "06-01T12:45" {
			t.Fatalf("after the move, staged %v", got)
		}
		var m *store.OutboxMessage
		for _, m = range msgs {
		}
		var mail struct{ To []string }
		_ = json.Unmarshal(m.Payload, &mail)
		if len(mail.To) != 1 || mail.To[0] != "owner@example.com" {
			t.Errorf("mail to %v", mail.To)
		}
		// Due and not yet handed off: dismissing it on a device stops it.
		f.set(time.Date(2026, 6, 1, 12, 45, 10, 0, time.UTC))
		f.put(f.owner, "e.ics", body("20260601T130000Z", "ACKNOWLEDGED:20260601T124510Z\n"))
		if msgs = f.stage(f.clock()); len(msgs) != 0 {
			t.Errorf("acknowledged reminder still staged: %v", dueTimes(msgs, KindEmail))
		}
		f.set(time.Date(2026, 6, 1, 12, 44, 50, 0, time.UTC))
		f.put(f.owner, "e.ics", body("20260601T130000Z", ""))
		if msgs = f.stage(f.clock()); len(msgs) != 1 {
			t.Fatalf("re-staged %d", len(msgs))
		}
		if err := f.cals.DeleteObject(ctx, f.owner, f.cal, "e.ics", store.Conditions{}); err != nil {
			t.Fatal(err)
		}
		if msgs = f.stage(f.clock()); len(msgs) != 0 {
			t.Errorf("deleted event's reminder still staged")
		}
	})
}

// Bad alarms are refused with valid-calendar-data, never a panic or 500.
func TestBadAlarmRefused(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		f := newFixture(t, st, time.Date(2026, 5, 31, 12, 0, 0, 0, time.UTC))
		_, err := f.cals.PutObject(context.Background(), f.owner, f.cal, "b.ics", ics(`BEGIN:VEVENT
UID:b
DTSTAMP:20260101T000000Z
DTSTART:20260601T120000Z
BEGIN:VALARM
ACTION:DISPLAY
DESCRIPTION:x
TRIGGER:-PT5M
REPEAT:1000000
DURATION:PT1M
END:VALARM
END:VEVENT
`), store.Conditions{})
		var oe *calendar.ObjectError
		if !errors.As(err, &oe) || oe.Precondition != calendar.PreValidData {
			t.Fatalf("err = %v", err)
		}
	})
}

// Default reminders apply to events without alarms of their own.
func TestDefaultReminders(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		f := newFixture(t, st, time.Date(2026, 5, 31, 12, 0, 0, 0, time.UTC))
		if err := st.PutReminderSettings(ctx, &store.ReminderSettings{UserID: f.owner.ID, Defaults: `[{"minutes":30,"method":"email"},{"minutes":5,"method":"popup"}]`}); err != nil {
			t.Fatal(err)
		}
		f.put(f.owner, "d.ics", "BEGIN:VEVENT\nUID:d\nDTSTAMP:20260101T000000Z\nDTSTART:20260601T120000Z\nSUMMARY:Dentist\nEND:VEVENT\n")
		f.put(f.owner, "own.ics", "BEGIN:VEVENT\nUID:own\nDTSTAMP:20260101T000000Z\nDTSTART:20260601T120000Z\nSUMMARY:Own\n"+
			"BEGIN:VALARM\nACTION:DISPLAY\nDESCRIPTION:x\nTRIGGER:-PT1M\nEND:VALARM\nEND:VEVENT\n")
		msgs := f.stage(time.Date(2026, 6, 1, 11, 59, 30, 0, time.UTC))
		if got := dueTimes(msgs, KindEmail); strings.Join(got, " ") != "06-01T11:30" {
			t.Errorf("default e-mail %v", got)
		}
		if got := dueTimes(msgs, KindWeb); strings.Join(got, " ") != "06-01T11:55 06-01T11:59" {
			t.Errorf("popups %v", got)
		}
	})
}

// Imported events (batched writes) get their reminders, and importing them
// again replaces, rather than adds to, them.
func TestImportedReminders(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		f := newFixture(t, st, time.Date(2026, 5, 31, 12, 0, 0, 0, time.UTC))
		items := make([]calendar.BatchItem, 3)
		for i := range items {
			items[i] = calendar.BatchItem{Data: ics(fmt.Sprintf("BEGIN:VEVENT\nUID:imp-%d\nDTSTAMP:20260101T000000Z\nDTSTART:20260601T1%d0000Z\nSUMMARY:Imported\n"+
				"BEGIN:VALARM\nUID:a\nACTION:DISPLAY\nDESCRIPTION:x\nTRIGGER:-PT10M\nEND:VALARM\nEND:VEVENT\n", i, i))}
		}
		for range 2 {
			res, err := f.cals.PutObjects(ctx, f.owner, f.cal, items, calendar.OriginImport)
			if err != nil {
				t.Fatal(err)
			}
			for _, r := range res {
				if r.Err != nil {
					t.Fatal(r.Err)
				}
			}
			// A changed summary makes the second import write them again.
			for i := range items {
				items[i].Data = []byte(strings.Replace(string(items[i].Data), "Imported", "Imported again", 1))
			}
		}
		msgs := f.stage(time.Date(2026, 6, 1, 12, 50, 0, 0, time.UTC))
		if got := dueTimes(msgs, KindWeb); strings.Join(got, " ") != "06-01T09:50 06-01T10:50 06-01T11:50" {
			t.Errorf("imported reminders %v", got)
		}
	})
}

// Clients copy the master's VALARM, UID and all, into the overrides they
// write (moving one instance, say): each copy is an alarm of its own.
func TestOverrideCopiesAlarmUID(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		f := newFixture(t, st, time.Date(2026, 5, 31, 12, 0, 0, 0, time.UTC))
		valarm := "BEGIN:VALARM\nUID:same\nACTION:DISPLAY\nDESCRIPTION:x\nTRIGGER:-PT10M\nEND:VALARM\n"
		f.put(f.owner, "w.ics", "BEGIN:VEVENT\nUID:w\nDTSTAMP:20260101T000000Z\nDTSTART:20260601T090000Z\nDURATION:PT1H\nRRULE:FREQ=DAILY;COUNT=3\n"+valarm+"END:VEVENT\n"+
			"BEGIN:VEVENT\nUID:w\nDTSTAMP:20260101T000000Z\nRECURRENCE-ID:20260602T090000Z\nDTSTART:20260602T140000Z\nDURATION:PT1H\n"+valarm+"END:VEVENT\n")
		var msgs map[string]*store.OutboxMessage
		for at := f.now; at.Before(time.Date(2026, 6, 4, 0, 0, 0, 0, time.UTC)); at = at.Add(time.Hour) {
			msgs = f.stage(at)
		}
		if got := dueTimes(msgs, KindWeb); strings.Join(got, " ") != "06-01T08:50 06-02T13:50 06-03T08:50" {
			t.Errorf("reminders %v", got)
		}
	})
}

// Dismissing a repeating reminder once it has gone out withdraws the
// repetitions already queued, on every channel, and queues none of the
// rest (RFC 9074 §6, RFC 5545 §3.8.6.2).
func TestDismissStopsRepeats(t *testing.T) {
	const event = `
BEGIN:VEVENT
UID:rep
DTSTAMP:20260101T000000Z
DTSTART:20260601T120000Z
DURATION:PT1H
SUMMARY:Review
BEGIN:VALARM
UID:r1
ACTION:EMAIL
SUMMARY:Review
DESCRIPTION:Review
ATTENDEE:mailto:owner@example.com
TRIGGER:-PT15M
REPEAT:5
DURATION:PT1M
%s
END:VALARM
END:VEVENT
`
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		f := newFixture(t, st, time.Date(2026, 6, 1, 11, 0, 0, 0, time.UTC))
		f.put(f.owner, "rep.ics", fmt.Sprintf(event, ""))
		msgs := f.stage(time.Date(2026, 6, 1, 11, 44, 30, 0, time.UTC))
		if got := dueTimes(msgs, KindEmail); len(got) != 1 || got[0] != "06-01T11:45" {
			t.Fatalf("staged %v, want the first alert", got)
		}
		for _, m := range msgs {
			if err := st.CompleteOutbox(ctx, m.ID); err != nil {
				t.Fatal(err)
			}
		}
		msgs = f.stage(time.Date(2026, 6, 1, 11, 45, 40, 0, time.UTC))
		if got := dueTimes(msgs, KindEmail); len(got) != 2 {
			t.Fatalf("staged %v, want the alert and its first repetition", got)
		}
		// Dismissed between the alert and its first repetition.
		f.put(f.owner, "rep.ics", fmt.Sprintf(event, "ACKNOWLEDGED:20260601T114550Z"))
		for _, at := range []time.Time{f.clock(), time.Date(2026, 6, 1, 11, 50, 0, 0, time.UTC)} {
			msgs = f.stage(at)
			if got := dueTimes(msgs, KindEmail); len(got) != 1 || got[0] != "06-01T11:45" || msgs[firstKey(msgs)].Status != store.OutboxDone {
				t.Fatalf("at %s: queued %v, want only the alert that went out", at.Format(time.TimeOnly), got)
			}
		}
	})
}

func firstKey(msgs map[string]*store.OutboxMessage) string {
	for k := range msgs {
		return k
	}
	return ""
}

// TestEmailReminderNeedsVerifiedAddress: an e-mail reminder of a user whose
// address nobody has proven yet (a sign-up's) is not mailed to it, where
// it could reach whoever owns that address; it shows on their screens.
func TestEmailReminderNeedsVerifiedAddress(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		f := newFixture(t, st, time.Date(2026, 5, 31, 12, 0, 0, 0, time.UTC))
		f.owner.EmailUnverified = true
		if err := st.UpdateUser(ctx, f.owner); err != nil {
			t.Fatal(err)
		}
		f.put(f.owner, "e.ics", "BEGIN:VEVENT\nUID:e\nDTSTAMP:20260101T000000Z\nDTSTART:20260601T120000Z\nDURATION:PT1H\nSUMMARY:Lunch\n"+
			"BEGIN:VALARM\nUID:a\nACTION:EMAIL\nSUMMARY:Lunch\nDESCRIPTION:Lunch\nTRIGGER:-PT15M\nEND:VALARM\nEND:VEVENT\n")
		msgs := f.stage(time.Date(2026, 6, 1, 11, 44, 30, 0, time.UTC))
		if got := dueTimes(msgs, KindEmail); len(got) != 0 {
			t.Fatalf("mailed to an unverified address: %v", got)
		}
		if got := dueTimes(msgs, KindWeb); len(got) != 1 || got[0] != "06-01T11:45" {
			t.Fatalf("on screen: %v", got)
		}
	})
}
