package changefeed

import (
	"context"
	"testing"
	"time"

	"github.com/almanac/almanac/store"
)

// lost stores an object without announcing it: a change whose message the
// bus lost.
func (e *env) lost(t *testing.T, cal *store.Calendar, name string) *store.WriteResult {
	t.Helper()
	res, err := e.st.PutObject(context.Background(), cal.ID, &store.ObjectWrite{Name: name, UID: name, Component: "VEVENT",
		Data: []byte("x" + name), IndexedUntil: store.Forever}, store.Conditions{})
	if err != nil {
		t.Fatal(err)
	}
	return res
}

// outageEnv is a feed with its catch-up loop running, a user, a calendar
// of theirs and a stream that has seen one live change.
func outageEnv(t *testing.T, poll time.Duration) (*env, *store.User, *store.Calendar, *Stream) {
	t.Helper()
	e := newEnv(t)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		e.feed.Run(ctx, poll)
	}()
	t.Cleanup(func() { cancel(); <-done })
	alice := e.user(t, "alice")
	cal := &store.Calendar{Name: "home", DisplayName: "Home"}
	if err := e.cals.CreateCalendar(ctx, alice, cal); err != nil {
		t.Fatal(err)
	}
	s, err := e.feed.Open(ctx, alice, "")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.Close)
	e.write(t, cal, "a.ics")
	if ev, m := next(t, s); m["kind"] != "created" {
		t.Fatalf("live change: %s %s", ev.Type, ev.Data)
	}
	return e, alice, cal, s
}

// After an outage a stream replays, in order, what its calendars logged
// while the bus was down, and then follows the bus again without repeats.
func TestOutageReplaysMissedChanges(t *testing.T) {
	e, _, cal, s := outageEnv(t, 0)
	e.feed.BusChanged(false)
	b, c := e.lost(t, cal, "b.ics"), e.lost(t, cal, "c.ics")
	// A message that does arrive while the stream is stale is left to
	// the replay, which puts it in order.
	d := e.write(t, cal, "d.ics")
	quiet(t, s)

	e.feed.BusChanged(true)
	var last Event
	for _, want := range []string{b.UUID, c.UUID} {
		ev, m := next(t, s)
		if m["kind"] != "updated" || m["event_id"] != want {
			t.Fatalf("replayed %s %s; want %s", ev.Type, ev.Data, want)
		}
		last = ev
	}
	if ev, m := next(t, s); m["kind"] != "updated" || m["event_id"] != d.UUID {
		t.Fatalf("replayed %s %s; want d.ics", ev.Type, ev.Data)
	}
	quiet(t, s)
	if decodePosition(last.ID)[shortID(cal.UUID)] != c.Revision {
		t.Fatalf("position %s after the replay of revision %d", last.ID, c.Revision)
	}
	e.write(t, cal, "e.ics")
	if _, m := next(t, s); m["kind"] != "created" {
		t.Fatalf("live after the outage: %v", m)
	}
	quiet(t, s)
}

// With a poll interval, streams follow the change logs while the bus is
// down, and the reconnection repeats nothing.
func TestOutagePolling(t *testing.T) {
	e, _, cal, s := outageEnv(t, 20*time.Millisecond)
	e.feed.BusChanged(false)
	b := e.lost(t, cal, "b.ics")
	if _, m := next(t, s); m["event_id"] != b.UUID {
		t.Fatalf("polled while down: %v", m)
	}
	s.mu.Lock()
	stale := s.stale
	s.mu.Unlock()
	if !stale {
		t.Fatal("the stream stopped being stale while the bus is down")
	}
	e.feed.BusChanged(true)
	quiet(t, s)
	e.write(t, cal, "c.ics")
	if _, m := next(t, s); m["kind"] != "created" {
		t.Fatalf("live after the outage: %v", m)
	}
}

// Grants, deletions and property changes made while the bus was down
// reach the stream when it catches up.
func TestOutageAccessAndProperties(t *testing.T) {
	e, alice, cal, s := outageEnv(t, 0)
	ctx := context.Background()
	bob := e.user(t, "bob")
	theirs := &store.Calendar{Name: "team", DisplayName: "Team"}
	spare := &store.Calendar{Name: "spare", DisplayName: "Spare"}
	if err := e.cals.CreateCalendar(ctx, bob, theirs); err != nil {
		t.Fatal(err)
	}
	if err := e.cals.CreateCalendar(ctx, alice, spare); err != nil {
		t.Fatal(err)
	}
	if ev, m := next(t, s); m["kind"] != "access-granted" || m["calendar_id"] != spare.UUID {
		t.Fatalf("new calendar: %s %s", ev.Type, ev.Data)
	}
	quiet(t, s)

	e.feed.BusChanged(false)
	if err := e.st.PutShare(ctx, &store.Share{CalendarID: theirs.ID, UserID: alice.ID, Role: "reader", Name: theirs.UUID}); err != nil {
		t.Fatal(err)
	}
	if err := e.st.DeleteCalendar(ctx, spare.ID); err != nil {
		t.Fatal(err)
	}
	cal.Color = "#123456"
	if err := e.st.UpdateCalendar(ctx, cal); err != nil {
		t.Fatal(err)
	}
	e.feed.BusChanged(true)
	got := map[string]string{}
	for range 3 {
		_, m := next(t, s)
		got[m["kind"].(string)] = m["calendar_id"].(string)
	}
	if got["access-granted"] != theirs.UUID || got["calendar-deleted"] != spare.UUID || got["calendar-updated"] != cal.UUID {
		t.Fatalf("after the outage: %v", got)
	}
	quiet(t, s)
}

// A calendar with more missed changes than a replay carries is reloaded.
func TestOutageTooManyChanges(t *testing.T) {
	e, _, cal, s := outageEnv(t, 0)
	e.feed.BusChanged(false)
	for i := range catchUpMax + 1 {
		e.lost(t, cal, "n"+string(rune('a'+i%26))+string(rune('a'+i/26))+".ics")
	}
	e.feed.BusChanged(true)
	if ev, m := next(t, s); ev.Type != "resync" || m["calendar_id"] != cal.UUID {
		t.Fatalf("got %s %s; want a resync of the calendar", ev.Type, ev.Data)
	}
	quiet(t, s)
}

// Reminders that went out while the bus was down (recorded in the feed,
// their messages lost) reach the stream when it catches up, once.
func TestOutageReplaysReminders(t *testing.T) {
	e, alice, _, s := outageEnv(t, 0)
	ctx := context.Background()
	e.feed.BusChanged(false)
	if _, err := e.st.FeedReminder(ctx, alice.ID, "lost", []byte(`{"id":"lost"}`)); err != nil {
		t.Fatal(err)
	}
	// One that arrives while the stream is stale waits for the replay.
	if err := e.remind(alice, "arrived", `{"id":"arrived"}`); err != nil {
		t.Fatal(err)
	}
	quiet(t, s)
	e.feed.BusChanged(true)
	for _, want := range []string{"lost", "arrived"} {
		if ev, m := next(t, s); ev.Type != "reminder" || m["id"] != want {
			t.Fatalf("replayed %s %s, want %s", ev.Type, ev.Data, want)
		}
	}
	quiet(t, s)
}
