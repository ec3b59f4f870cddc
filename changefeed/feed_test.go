package changefeed

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"testing"
	"time"

	"github.com/almanac/almanac/bus"
	"github.com/almanac/almanac/calendar"
	"github.com/almanac/almanac/store"
	"github.com/almanac/almanac/store/storetest"
)

type env struct {
	st   *store.Store
	cals *calendar.Service
	feed *Feed
	pub  *Publisher
}

func newEnv(t *testing.T) *env {
	t.Helper()
	st := storetest.SQLite(t)
	b, err := bus.Open(context.Background(), bus.Options{DataDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(b.Close)
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	pub := NewPublisher(b.Conn(), DefaultSubjects, log)
	cals := calendar.New(st, calendar.Options{Notifier: pub})
	return &env{st: st, cals: cals, feed: New(b.Conn(), DefaultSubjects, cals, log), pub: pub}
}

func (e *env) user(t *testing.T, name string) *store.User {
	u := &store.User{Name: name, Email: name + "@example.com"}
	if err := e.st.CreateUser(context.Background(), u); err != nil {
		t.Fatal(err)
	}
	return u
}

// write stores an object the way the calendar service does and announces it.
func (e *env) write(t *testing.T, cal *store.Calendar, name string) *store.WriteResult {
	t.Helper()
	res, err := e.st.PutObject(context.Background(), cal.ID, &store.ObjectWrite{Name: name, UID: name, Component: "VEVENT",
		Data: []byte("x" + name), IndexedUntil: store.Forever}, store.Conditions{})
	if err != nil {
		t.Fatal(err)
	}
	e.pub.Changed(context.Background(), calendar.Change{CalendarID: cal.ID, CalendarUUID: cal.UUID, ObjectUUID: res.UUID,
		Name: name, ETag: res.ETag, Revision: res.Revision, Kind: calendar.Created})
	return res
}

// remind hands a reminder to u's clients as the reminders' web channel
// does: recorded in the feed, then published.
func (e *env) remind(u *store.User, key, payload string) error {
	ctx := context.Background()
	seq, err := e.st.FeedReminder(ctx, u.ID, key, []byte(payload))
	if err != nil {
		return err
	}
	return e.pub.Reminder(ctx, u.ID, seq, []byte(payload))
}

// pending holds events taken from streams but not yet looked at.
var pending = map[*Stream][]Event{}

func next(t *testing.T, s *Stream) (Event, map[string]any) {
	t.Helper()
	deadline := time.After(5 * time.Second)
	for len(pending[s]) == 0 {
		select {
		case <-s.Ready():
			evs, open := s.Take()
			pending[s] = append(pending[s], evs...)
			if len(evs) == 0 && !open {
				t.Fatal("stream closed")
			}
		case <-deadline:
			t.Fatal("no event within 5 s")
		}
	}
	ev := pending[s][0]
	pending[s] = pending[s][1:]
	var m map[string]any
	_ = json.Unmarshal(ev.Data, &m)
	return ev, m
}

func quiet(t *testing.T, s *Stream) {
	t.Helper()
	if len(pending[s]) > 0 {
		t.Fatalf("unexpected event %s %s", pending[s][0].Type, pending[s][0].Data)
	}
	select {
	case <-s.Ready():
		if evs, _ := s.Take(); len(evs) > 0 {
			t.Fatalf("unexpected event %s %s", evs[0].Type, evs[0].Data)
		}
	case <-time.After(200 * time.Millisecond):
	}
}

func TestSharingAndRevocation(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	alice, bob := e.user(t, "alice"), e.user(t, "bob")
	as, err := e.feed.Open(ctx, alice, "")
	if err != nil {
		t.Fatal(err)
	}
	defer as.Close()
	bs, _ := e.feed.Open(ctx, bob, "")
	defer bs.Close()

	cal := &store.Calendar{Name: "team", DisplayName: "Team"}
	if err := e.cals.CreateCalendar(ctx, alice, cal); err != nil {
		t.Fatal(err)
	}
	if ev, m := next(t, as); ev.Type != "access" || m["calendar_id"] != cal.UUID {
		t.Fatalf("owner's stream: %s %s", ev.Type, ev.Data)
	}
	res := e.write(t, cal, "a.ics")
	if ev, m := next(t, as); ev.Type != "change" || m["event_id"] != res.UUID || m["kind"] != "created" {
		t.Fatalf("change: %s %s", ev.Type, ev.Data)
	}
	quiet(t, bs)

	if err := e.cals.Share(ctx, alice, cal, bob, calendar.RoleReader); err != nil {
		t.Fatal(err)
	}
	if ev, _ := next(t, bs); ev.Type != "access" {
		t.Fatalf("sharee's stream: %s %s", ev.Type, ev.Data)
	}
	e.write(t, cal, "b.ics")
	next(t, as)
	if ev, m := next(t, bs); ev.Type != "change" || m["calendar_id"] != cal.UUID {
		t.Fatalf("sharee did not get the change: %s %s", ev.Type, ev.Data)
	}

	if err := e.cals.Unshare(ctx, alice, cal, bob); err != nil {
		t.Fatal(err)
	}
	if ev, m := next(t, bs); ev.Type != "access" || m["kind"] != "access-revoked" {
		t.Fatalf("revocation: %s %s", ev.Type, ev.Data)
	}
	e.write(t, cal, "c.ics")
	next(t, as)
	quiet(t, bs)
}

func TestResumeReplaysMissedChanges(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	alice := e.user(t, "alice")
	cal := &store.Calendar{Name: "home", DisplayName: "Home"}
	if err := e.cals.CreateCalendar(ctx, alice, cal); err != nil {
		t.Fatal(err)
	}
	s, _ := e.feed.Open(ctx, alice, "")
	e.write(t, cal, "a.ics")
	ev, _ := next(t, s)
	s.Close()

	missed := e.write(t, cal, "b.ics")
	if _, err := e.st.DeleteObject(ctx, cal.ID, "a.ics", store.Conditions{}); err != nil {
		t.Fatal(err)
	}
	s, err := e.feed.Open(ctx, alice, ev.ID)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if _, m := next(t, s); m["event_id"] != missed.UUID || m["kind"] != "updated" {
		t.Fatalf("first replayed: %v", m)
	}
	if _, m := next(t, s); m["kind"] != "deleted" || m["event_id"] == "" {
		t.Fatalf("second replayed: %v", m)
	}
	quiet(t, s)
	e.write(t, cal, "c.ics")
	if _, m := next(t, s); m["kind"] != "created" {
		t.Fatalf("live after replay: %v", m)
	}
}

func TestSlowClientGetsResync(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	alice := e.user(t, "alice")
	cal := &store.Calendar{Name: "busy", DisplayName: "Busy"}
	if err := e.cals.CreateCalendar(ctx, alice, cal); err != nil {
		t.Fatal(err)
	}
	s, _ := e.feed.Open(ctx, alice, "")
	defer s.Close()
	for i := range buffer + 10 {
		e.pub.Changed(ctx, calendar.Change{CalendarID: cal.ID, Revision: int64(i + 10), Kind: calendar.Updated})
	}
	// Do not read until the feed has given up on the stream.
	for i := 0; ; i++ {
		s.mu.Lock()
		over := s.overflow
		s.mu.Unlock()
		if over {
			break
		}
		if i > 1000 {
			t.Fatal("the stream never overflowed")
		}
		time.Sleep(10 * time.Millisecond)
	}
	evs, open := s.Take()
	if open || len(evs) != buffer || evs[len(evs)-1].Type != "resync" {
		t.Fatalf("open %v, %d events, last %q; want a closed stream ending in resync", open, len(evs), evs[len(evs)-1].Type)
	}
}

func TestPositionRoundTrip(t *testing.T) {
	got := decodePosition("0123456789ab:12.ffffffffffff:0.bad.x:-1")
	if len(got) != 2 || got["0123456789ab"] != 12 || got["ffffffffffff"] != 0 {
		t.Fatalf("decodePosition: %v", got)
	}
}

// A reminder published for a user reaches that user's open streams as a
// "reminder" event, and nobody else's.
func TestReminderEvent(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	ann, ben := e.user(t, "ann"), e.user(t, "ben")
	sa, err := e.feed.Open(ctx, ann, "")
	if err != nil {
		t.Fatal(err)
	}
	defer sa.Close()
	sb, err := e.feed.Open(ctx, ben, "")
	if err != nil {
		t.Fatal(err)
	}
	defer sb.Close()
	if err := e.remind(ann, "r1", `{"id":"r1","summary":"Dentist"}`); err != nil {
		t.Fatal(err)
	}
	ev, m := next(t, sa)
	if ev.Type != "reminder" || m["summary"] != "Dentist" {
		t.Fatalf("event %s %s", ev.Type, ev.Data)
	}
	select {
	case <-sb.Ready():
		if evs, _ := sb.Take(); len(evs) > 0 {
			t.Errorf("another user got %s", evs[0].Data)
		}
	case <-time.After(200 * time.Millisecond):
	}
}

// TestInstallationsSharingABus: two installations on one NATS server, each
// with its own database (so the same calendar and user ids) and subjects,
// do not hear each other's changes or reminders.
func TestInstallationsSharingABus(t *testing.T) {
	ctx := context.Background()
	b, err := bus.Open(ctx, bus.Options{DataDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(b.Close)
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	install := func(subj Subjects) *env {
		st := storetest.SQLite(t)
		pub := NewPublisher(b.Conn(), subj, log)
		cals := calendar.New(st, calendar.Options{Notifier: pub})
		return &env{st: st, cals: cals, feed: New(b.Conn(), subj, cals, log), pub: pub}
	}
	one, two := install("one"), install("two")
	alice1, alice2 := one.user(t, "alice"), two.user(t, "alice")
	if alice1.ID != alice2.ID {
		t.Fatalf("the test wants equal ids: %d, %d", alice1.ID, alice2.ID)
	}
	cal1 := &store.Calendar{Name: "home", DisplayName: "Home"}
	cal2 := &store.Calendar{Name: "home", DisplayName: "Home"}
	if err := one.cals.CreateCalendar(ctx, alice1, cal1); err != nil {
		t.Fatal(err)
	}
	if err := two.cals.CreateCalendar(ctx, alice2, cal2); err != nil {
		t.Fatal(err)
	}
	s2, err := two.feed.Open(ctx, alice2, "")
	if err != nil {
		t.Fatal(err)
	}
	defer s2.Close()
	one.write(t, cal1, "a.ics")
	if err := one.remind(alice1, "r1", `{}`); err != nil {
		t.Fatal(err)
	}
	quiet(t, s2)
	two.write(t, cal2, "b.ics")
	if ev, m := next(t, s2); ev.Type != "change" || m["calendar_id"] != cal2.UUID {
		t.Fatalf("own change: %s %s", ev.Type, ev.Data)
	}
}

func TestSubjectsValid(t *testing.T) {
	for s, want := range map[Subjects]bool{"almanac": true, "family-2": true, "": false, "a.b": false, "a b": false, "a*": false, "a>": false} {
		if s.Valid() != want {
			t.Errorf("%q: valid %v, want %v", s, !want, want)
		}
	}
}

// A stream that was closed while reminders went out gets them, in order,
// when it resumes from its last event's id; a stream without one does not
// get old reminders, and a reminder replayed and then received from the
// bus is sent once.
func TestRemindersMissedWhileAway(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	ann := e.user(t, "ann")
	if err := e.remind(ann, "before", `{"id":"before"}`); err != nil {
		t.Fatal(err)
	}
	s, err := e.feed.Open(ctx, ann, "")
	if err != nil {
		t.Fatal(err)
	}
	if err := e.remind(ann, "seen", `{"id":"seen"}`); err != nil {
		t.Fatal(err)
	}
	ev, m := next(t, s)
	if ev.Type != "reminder" || m["id"] != "seen" {
		t.Fatalf("live: %s %s", ev.Type, ev.Data)
	}
	last := ev.ID
	s.Close()
	for _, k := range []string{"away-1", "away-2"} {
		if err := e.remind(ann, k, `{"id":"`+k+`"}`); err != nil {
			t.Fatal(err)
		}
	}
	back, err := e.feed.Open(ctx, ann, last)
	if err != nil {
		t.Fatal(err)
	}
	defer back.Close()
	for _, want := range []string{"away-1", "away-2"} {
		if ev, m := next(t, back); ev.Type != "reminder" || m["id"] != want {
			t.Fatalf("replayed %s %s, want %s", ev.Type, ev.Data, want)
		}
	}
	// The delivery of away-2 tried again: the same feed entry, not resent.
	if err := e.remind(ann, "away-2", `{"id":"away-2"}`); err != nil {
		t.Fatal(err)
	}
	if err := e.remind(ann, "after", `{"id":"after"}`); err != nil {
		t.Fatal(err)
	}
	if ev, m := next(t, back); m["id"] != "after" {
		t.Fatalf("after the replay: %s %s", ev.Type, ev.Data)
	}
	fresh, err := e.feed.Open(ctx, ann, "")
	if err != nil {
		t.Fatal(err)
	}
	defer fresh.Close()
	quiet(t, fresh)
}

func TestPositionCarriesReminders(t *testing.T) {
	got := decodePosition("0123456789ab:12.r:40")
	if len(got) != 2 || got[reminderKey] != 40 || got["0123456789ab"] != 12 {
		t.Fatalf("decodePosition: %v", got)
	}
}
