package calendar

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/almanac/almanac/icalendar"
	"github.com/almanac/almanac/store"
	"github.com/almanac/almanac/store/storetest"
	"github.com/emersion/go-ical"
)

func ics(body string) []byte {
	return []byte(strings.ReplaceAll("BEGIN:VCALENDAR\nVERSION:2.0\nPRODID:-//test//EN\n"+body+"END:VCALENDAR\n", "\n", "\r\n"))
}

const weeklyBerlin = `BEGIN:VTIMEZONE
TZID:Europe/Berlin
BEGIN:STANDARD
DTSTART:19701025T030000
TZOFFSETFROM:+0200
TZOFFSETTO:+0100
RRULE:FREQ=YEARLY;BYMONTH=10;BYDAY=-1SU
END:STANDARD
BEGIN:DAYLIGHT
DTSTART:19700329T020000
TZOFFSETFROM:+0100
TZOFFSETTO:+0200
RRULE:FREQ=YEARLY;BYMONTH=3;BYDAY=-1SU
END:DAYLIGHT
END:VTIMEZONE
BEGIN:VEVENT
UID:weekly
DTSTAMP:20260101T000000Z
DTSTART;TZID=Europe/Berlin:20260105T100000
DTEND;TZID=Europe/Berlin:20260105T110000
RRULE:FREQ=WEEKLY
SUMMARY:Standup
END:VEVENT
`

type fixture struct {
	s     *Service
	st    *store.Store
	owner *store.User
	cal   *store.Calendar
	now   time.Time
}

func newFixture(t testing.TB, st *store.Store) *fixture {
	t.Helper()
	f := &fixture{st: st, now: time.Date(2026, 1, 10, 12, 0, 0, 0, time.UTC)}
	f.s = New(st, Options{Now: func() time.Time { return f.now }, Limits: Limits{IndexHorizon: 60 * 24 * time.Hour}})
	f.owner = &store.User{Name: "owner", Email: "owner@example.com"}
	if err := st.CreateUser(context.Background(), f.owner); err != nil {
		t.Fatal(err)
	}
	f.cal = &store.Calendar{Name: "c", DisplayName: "C", TimeZone: "America/New_York"}
	if err := f.s.CreateCalendar(context.Background(), f.owner, f.cal); err != nil {
		t.Fatal(err)
	}
	return f
}

func (f *fixture) starts(t *testing.T, from, to string, zone *time.Location) []string {
	t.Helper()
	a, _ := time.Parse(time.RFC3339, from)
	b, _ := time.Parse(time.RFC3339, to)
	list, err := f.s.Instances(context.Background(), f.owner, f.cal, a, b, zone)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, oc := range list {
		out = append(out, oc.Start.UTC().Format("01-02T15:04Z"))
	}
	return out
}

func TestInstancesAcrossHorizonAndDST(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		f := newFixture(t, st)
		ctx := context.Background()
		if _, err := f.s.PutObject(ctx, f.owner, f.cal, "weekly.ics", ics(weeklyBerlin), store.Conditions{}); err != nil {
			t.Fatal(err)
		}
		// The index reaches 11 March; the rest of the month is expanded on
		// the fly, and Berlin's clocks change on 29 March.
		want := "[03-02T09:00Z 03-09T09:00Z 03-16T09:00Z 03-23T09:00Z 03-30T08:00Z]"
		if got := f.starts(t, "2026-03-01T00:00:00Z", "2026-04-01T00:00:00Z", nil); strings.Join(got, " ") != want[1:len(want)-1] {
			t.Fatalf("March: %v, want %s", got, want)
		}
		f.now = f.now.Add(45 * 24 * time.Hour)
		n, err := f.s.ExtendIndex(ctx)
		if err != nil || n != 1 {
			t.Fatalf("ExtendIndex: %d %v", n, err)
		}
		if c, _ := st.ObjectsBetween(ctx, f.cal.ID, 0, store.Micro(time.Date(2026, 4, 1, 0, 0, 0, 0, time.UTC))); c.Beyond {
			t.Fatal("March still past the horizon after extending it")
		}
		if got := f.starts(t, "2026-03-01T00:00:00Z", "2026-04-01T00:00:00Z", nil); strings.Join(got, " ") != want[1:len(want)-1] {
			t.Fatalf("March from the index: %v, want %s", got, want)
		}
		if n, _ := f.s.ExtendIndex(ctx); n != 0 {
			t.Fatalf("extended again at once: %d", n)
		}
	})
}

func TestFloatingAndAllDay(t *testing.T) {
	f := newFixture(t, storetest.SQLite(t))
	ctx := context.Background()
	allDay := ics("BEGIN:VEVENT\nUID:day\nDTSTAMP:20260101T000000Z\nDTSTART;VALUE=DATE:20260315\nSUMMARY:Holiday\nEND:VEVENT\n")
	if _, err := f.s.PutObject(ctx, f.owner, f.cal, "day.ics", allDay, store.Conditions{}); err != nil {
		t.Fatal(err)
	}
	// In the calendar's zone (New York, on EDT since 8 March).
	if got := f.starts(t, "2026-03-14T00:00:00Z", "2026-03-17T00:00:00Z", nil); len(got) != 1 || got[0] != "03-15T04:00Z" {
		t.Fatalf("in New York: %v", got)
	}
	tokyo, _ := time.LoadLocation("Asia/Tokyo")
	if got := f.starts(t, "2026-03-14T00:00:00Z", "2026-03-17T00:00:00Z", tokyo); len(got) != 1 || got[0] != "03-14T15:00Z" {
		t.Fatalf("in Tokyo: %v", got)
	}
	// 15 March in Tokyo ends at 15:00Z, before this window.
	if got := f.starts(t, "2026-03-15T15:00:00Z", "2026-03-15T16:00:00Z", tokyo); len(got) != 0 {
		t.Fatalf("after the day in Tokyo: %v", got)
	}
}

func TestPutObjectRejects(t *testing.T) {
	f := newFixture(t, storetest.SQLite(t))
	ctx := context.Background()
	todoOnly := &store.Calendar{Name: "todo", DisplayName: "T", Components: []string{"VTODO"}}
	if err := f.s.CreateCalendar(ctx, f.owner, todoOnly); err != nil {
		t.Fatal(err)
	}
	event := ics("BEGIN:VEVENT\nUID:e\nDTSTAMP:20260101T000000Z\nDTSTART:20260105T100000Z\nEND:VEVENT\n")
	for _, tc := range []struct {
		name string
		cal  *store.Calendar
		data []byte
		pre  string
	}{
		{"not iCalendar", f.cal, []byte("hello"), PreValidData},
		{"two UIDs", f.cal, ics("BEGIN:VEVENT\nUID:a\nDTSTAMP:20260101T000000Z\nDTSTART:20260105T100000Z\nEND:VEVENT\nBEGIN:VEVENT\nUID:b\nDTSTAMP:20260101T000000Z\nDTSTART:20260105T100000Z\nEND:VEVENT\n"), PreValidObject},
		{"METHOD", f.cal, []byte(strings.Replace(string(event), "VERSION:2.0", "VERSION:2.0\r\nMETHOD:REQUEST", 1)), PreValidObject},
		{"unsupported component", todoOnly, event, PreSupportedComponent},
		{"exploding rule", f.cal, ics("BEGIN:VEVENT\nUID:s\nDTSTAMP:20260101T000000Z\nDTSTART:20260105T100000Z\nRRULE:FREQ=SECONDLY\nEND:VEVENT\n"), PreMaxInstances},
	} {
		_, err := f.s.PutObject(ctx, f.owner, tc.cal, "x.ics", tc.data, store.Conditions{})
		var oe *ObjectError
		if !errors.As(err, &oe) || oe.Precondition != tc.pre {
			t.Errorf("%s: %v, want %s", tc.name, err, tc.pre)
		}
	}
	big := make([]byte, f.s.Limits().MaxResourceSize+1)
	var oe *ObjectError
	if _, err := f.s.PutObject(ctx, f.owner, f.cal, "big.ics", big, store.Conditions{}); !errors.As(err, &oe) || oe.Precondition != PreMaxResourceSize {
		t.Errorf("oversized: %v", err)
	}
	reader := &store.User{Name: "reader", Email: "reader@example.com"}
	_ = f.st.CreateUser(ctx, reader)
	if _, err := f.s.PutObject(ctx, reader, f.cal, "x.ics", event, store.Conditions{}); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("stranger writes: %v", err)
	}
	_ = f.s.Share(ctx, f.owner, f.cal, reader, RoleReader)
	if _, err := f.s.PutObject(ctx, reader, f.cal, "x.ics", event, store.Conditions{}); !errors.Is(err, ErrForbidden) {
		t.Errorf("reader writes: %v", err)
	}
	if _, err := f.s.Instances(ctx, f.owner, f.cal, time.Now(), time.Now().Add(-time.Hour), nil); err == nil {
		t.Error("inverted range accepted")
	}
}

// stamper is a hook that marks what it stores and queues a message.
type stamper struct{ deletes int }

func (h *stamper) BeforePut(_ context.Context, p *PutContext) error {
	p.Write.Data = append([]byte(nil), p.Write.Data...)
	p.Write.Data = []byte(strings.Replace(string(p.Write.Data), "SUMMARY:", "SUMMARY:[stamped] ", 1))
	p.Write.Outbox = append(p.Write.Outbox, store.OutboxMessage{Kind: "test", IdempotencyKey: "put-" + p.Name + "-" + p.Object.UID, Payload: []byte("x")})
	return nil
}

func (h *stamper) BeforeDelete(_ context.Context, d *DeleteContext) error {
	h.deletes++
	d.Outbox = append(d.Outbox, store.OutboxMessage{Kind: "test", IdempotencyKey: "del-" + d.Previous.UID, Payload: []byte("y")})
	return nil
}

func TestHooks(t *testing.T) {
	st := storetest.SQLite(t)
	f := newFixture(t, st)
	h := &stamper{}
	kicked := 0
	f.s.hooks, f.s.kick = []Hook{h}, func() { kicked++ }
	ctx := context.Background()
	ev := ics("BEGIN:VEVENT\nUID:h\nDTSTAMP:20260101T000000Z\nDTSTART:20260105T100000Z\nSUMMARY:Plan\nEND:VEVENT\n")
	res, err := f.s.PutObject(ctx, f.owner, f.cal, "h.ics", ev, store.Conditions{})
	if err != nil {
		t.Fatal(err)
	}
	o, _ := st.GetObject(ctx, f.cal.ID, "h.ics")
	if !strings.Contains(string(o.Data), "SUMMARY:[stamped] Plan") || o.ETag != res.ETag {
		t.Fatalf("stored data: %s", o.Data)
	}
	// A write that fails its precondition queues nothing.
	if _, err := f.s.PutObject(ctx, f.owner, f.cal, "other.ics", ev, store.Conditions{IfMatch: "nope"}); err == nil {
		t.Fatal("precondition ignored")
	}
	if err := f.s.DeleteObject(ctx, f.owner, f.cal, "h.ics", store.Conditions{}); err != nil {
		t.Fatal(err)
	}
	msgs, _ := st.ListOutbox(ctx, "", 10)
	if len(msgs) != 2 || h.deletes != 1 || kicked != 2 {
		t.Fatalf("outbox %d messages, %d deletes seen, %d kicks", len(msgs), h.deletes, kicked)
	}
}

// mover is a hook that adds an override moving the second week's
// instance two hours later, as scheduling does when it puts back an
// override the client's write left out.
type mover struct{}

func (mover) BeforePut(_ context.Context, p *PutContext) error {
	master := p.Object.Master()
	ov := icalendar.CloneComponent(master.Component)
	for _, n := range []string{ical.PropRecurrenceRule, ical.PropDateTimeEnd} {
		ov.Props.Del(n)
	}
	ov.Props.Set(&ical.Prop{Name: ical.PropRecurrenceID, Params: ical.Params{}, Value: "20260112T100000Z"})
	ov.Props.Set(&ical.Prop{Name: ical.PropDateTimeStart, Params: ical.Params{}, Value: "20260112T120000Z"})
	p.Object.Calendar.Children = append(p.Object.Calendar.Children, ov)
	data, err := icalendar.Marshal(p.Object.Calendar.Component)
	p.Write.Data, p.Reshaped = data, true
	return err
}

func (mover) BeforeDelete(context.Context, *DeleteContext) error { return nil }

// A hook that reshapes the object has the write's instances derived again.
func TestHookReshapes(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		f := newFixture(t, st)
		f.s.hooks = []Hook{mover{}}
		ev := ics("BEGIN:VEVENT\nUID:r\nDTSTAMP:20260101T000000Z\nDTSTART:20260105T100000Z\nRRULE:FREQ=WEEKLY;COUNT=3\nSUMMARY:Plan\nEND:VEVENT\n")
		if _, err := f.s.PutObject(context.Background(), f.owner, f.cal, "r.ics", ev, store.Conditions{}); err != nil {
			t.Fatal(err)
		}
		got := strings.Join(f.starts(t, "2026-01-01T00:00:00Z", "2026-02-01T00:00:00Z", time.UTC), " ")
		if want := "01-05T10:00Z 01-12T12:00Z 01-19T10:00Z"; got != want {
			t.Errorf("instances %s, want %s", got, want)
		}
	})
}
