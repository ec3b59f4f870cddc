package scheduling

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/almanac/almanac/calendar"
	"github.com/almanac/almanac/icalendar"
	"github.com/almanac/almanac/itip"
	"github.com/almanac/almanac/mailer"
	"github.com/almanac/almanac/store"
	"github.com/almanac/almanac/store/storetest"
)

// hookEnv is the calendar service with the scheduling hook and no outbox
// workers: what a write queues stays in the outbox to be looked at.
type hookEnv struct {
	t     *testing.T
	st    *store.Store
	cals  *calendar.Service
	users map[string]*store.User
	n     int
}

func newHookEnv(t *testing.T, st *store.Store) *hookEnv {
	t.Helper()
	// Delivery between users who never dealt with each other: the server
	// takes everyone's invitations (holding them is strangers_test.go's).
	sched := New(st, Options{InvitationsDefault: store.InvitationsEveryone, MailFrom: "calendar@almanac.test", PublicURL: "http://127.0.0.1:1", Secret: []byte("0123456789abcdef0123456789abcdef")})
	h := &hookEnv{t: t, st: st, cals: calendar.New(st, calendar.Options{Hooks: []calendar.Hook{sched}}), users: map[string]*store.User{}}
	for _, n := range []string{"alice", "bob", "dave"} {
		u := &store.User{Name: n, Email: n + "@almanac.test"}
		if err := st.CreateUser(context.Background(), u); err != nil {
			t.Fatal(err)
		}
		h.users[n] = u
	}
	return h
}

// calendar returns a new calendar of Alice's, so that every case starts
// without a stored version.
func (h *hookEnv) calendar() *store.Calendar {
	h.t.Helper()
	h.n++
	cal := &store.Calendar{Name: fmt.Sprintf("c%d", h.n), DisplayName: "Work"}
	if err := h.cals.CreateCalendar(context.Background(), h.users["alice"], cal); err != nil {
		h.t.Fatal(err)
	}
	return cal
}

// put writes a file of testdata/organizer as Alice's client would.
func (h *hookEnv) put(cal *store.Calendar, file string) *store.WriteResult {
	h.t.Helper()
	data, err := os.ReadFile(filepath.Join("testdata", "organizer", file))
	if err != nil {
		h.t.Fatal(err)
	}
	res, err := h.cals.PutObject(context.Background(), h.users["alice"], cal, "event.ics", data, store.Conditions{})
	if err != nil {
		h.t.Fatalf("put %s: %v", file, err)
	}
	return res
}

// lastID is the id of the newest outbox message.
func (h *hookEnv) lastID() int64 {
	h.t.Helper()
	msgs, err := h.st.ListOutbox(context.Background(), "", 1)
	if err != nil {
		h.t.Fatal(err)
	}
	if len(msgs) == 0 {
		return 0
	}
	return msgs[0].ID
}

// sent maps each recipient's e-mail address to the iTIP method of the
// message queued for them after the outbox message with id after.
func (h *hookEnv) sent(after int64) map[string]string {
	h.t.Helper()
	msgs, err := h.st.ListOutbox(context.Background(), "", 1000)
	if err != nil {
		h.t.Fatal(err)
	}
	out := map[string]string{}
	for _, m := range msgs {
		if m.ID <= after {
			continue
		}
		_, to, _ := strings.Cut(m.Ref, " ")
		email := itip.Email(to)
		if _, dup := out[email]; dup {
			h.t.Errorf("two messages for %s", email)
		}
		out[email] = h.method(m)
	}
	return out
}

func (h *hookEnv) method(m *store.OutboxMessage) string {
	h.t.Helper()
	switch m.Kind {
	case LocalKind:
		var p localPayload
		if err := json.Unmarshal(m.Payload, &p); err != nil {
			h.t.Fatal(err)
		}
		if p.Object != "" {
			return itip.Request // built from the organizer's copy at delivery
		}
		msg, err := itip.Parse(p.Data)
		if err != nil {
			h.t.Fatal(err)
		}
		return msg.Method
	case mailer.Kind:
		var p mailer.Message
		if err := json.Unmarshal(m.Payload, &p); err != nil {
			h.t.Fatal(err)
		}
		in, err := itip.ParseMail(bytes.NewReader(p.Data))
		if err != nil {
			h.t.Fatal(err)
		}
		return in.Message.Method
	}
	h.t.Fatalf("unexpected outbox message %s", m.Kind)
	return ""
}

// TestOrganizerChangesSent: the organizer's write sends a REQUEST only to
// the attendees whose view of the event changed, instance by instance
// (RFC 6638 §3.2.1.2), and nothing for the organizer's own data: alarms,
// TRANSP, stamps, categories, colour, X- properties (see
// organizerPrivate).
func TestOrganizerChangesSent(t *testing.T) {
	const bob, carol, dave = "bob@almanac.test", "carol@example.net", "dave@almanac.test"
	req := itip.Request
	everyone := map[string]string{bob: req, carol: req}
	cases := []struct {
		name     string
		old, new string
		want     map[string]string // recipient → method; empty: nothing is sent
	}{
		{"alarm added", "apple.ics", "apple-alarm.ics", nil},
		{"alarm changed and acknowledged", "apple-alarm.ics", "apple-alarm-changed.ics", nil},
		{"alarm removed", "apple-alarm.ics", "apple-stamps.ics", nil},
		{"Thunderbird alarm added", "thunderbird.ics", "thunderbird-alarm.ics", nil},
		{"Thunderbird alarm dismissed", "thunderbird-alarm.ics", "thunderbird-dismissed.ics", nil},
		{"TRANSP changed", "apple.ics", "apple-transp.ics", nil},
		{"DTSTAMP and LAST-MODIFIED only", "apple.ics", "apple-stamps.ics", nil},
		{"SEQUENCE raised alone", "apple.ics", "apple-sequence.ics", nil},
		{"categories, colour, X- data and server parameters", "apple.ics", "apple-private.ics", nil},
		{"SUMMARY changed", "apple.ics", "apple-summary.ics", everyone},
		{"DESCRIPTION changed", "apple.ics", "apple-description.ics", everyone},
		{"LOCATION changed", "apple.ics", "apple-location.ics", everyone},
		{"STATUS changed", "apple.ics", "apple-tentative.ics", everyone},
		{"DTSTART changed", "apple.ics", "apple-dtstart.ics", everyone},
		{"meeting cancelled", "apple.ics", "apple-cancelled.ics", map[string]string{bob: itip.Cancel, carol: itip.Cancel}},
		{"alarm added to a cancelled meeting", "apple-cancelled.ics", "apple-cancelled-alarm.ics", nil},
		{"attendee's ROLE changed", "apple.ics", "apple-carol-optional.ics", everyone},
		// The attendee list is part of what every attendee holds: the
		// others get an update, with the same SEQUENCE (RFC 5546 §2.1.4).
		{"attendee added", "apple.ics", "apple-dave.ics", map[string]string{bob: req, carol: req, dave: req}},
		{"attendee removed", "apple.ics", "apple-no-carol.ics", map[string]string{bob: req, carol: itip.Cancel}},
		{"alarm on an override", "weekly.ics", "weekly-override-alarm.ics", nil},
		{"override made to hold one instance's alarm", "weekly.ics", "weekly-instance-alarm.ics", nil},
		{"that override dropped again", "weekly-instance-alarm.ics", "weekly.ics", nil},
		{"instance moved", "weekly.ics", "weekly-moved.ics", everyone},
		{"moved instance back in the series", "weekly.ics", "weekly-unmoved.ics", everyone},
		{"instance excluded", "weekly.ics", "weekly-exdate.ics", everyone},
		{"attendee added to one instance", "weekly.ics", "weekly-dave-once.ics", map[string]string{bob: req, carol: req, dave: req}},
	}
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		h := newHookEnv(t, st)
		for _, tc := range cases {
			cal := h.calendar()
			h.put(cal, tc.old)
			mark := h.lastID()
			h.put(cal, tc.new)
			got := h.sent(mark)
			if want := tc.want; !maps.Equal(got, want) && (len(got) != 0 || len(want) != 0) {
				t.Errorf("%s (%s → %s): sent %v, want %v", tc.name, tc.old, tc.new, got, want)
			}
		}
	})
}

// TestOrganizerSequenceBumpAlone: a client that raises SEQUENCE without
// changing anything attendees see tells nobody, so the server keeps the
// SEQUENCE they have: their answers, which carry it, still count (RFC
// 5546 §2.1.5), and the organizer's stale copy does not undo one.
func TestOrganizerSequenceBumpAlone(t *testing.T) {
	st := storetest.SQLite(t)
	h := newHookEnv(t, st)
	ctx := context.Background()
	cal := h.calendar()
	h.put(cal, "apple.ics")
	// Bob's answer is recorded in the organizer's copy.
	o, err := st.GetObject(ctx, cal.ID, "event.ics")
	if err != nil {
		t.Fatal(err)
	}
	obj, err := icalendar.ParseObject(o.Data, icalendar.Options{})
	if err != nil {
		t.Fatal(err)
	}
	itip.SetPartStat(obj.Master().Component, "mailto:bob@almanac.test", itip.Accepted)
	data, _ := icalendar.Marshal(obj.Calendar.Component)
	w := &store.ObjectWrite{Name: o.Name, UID: o.UID, Component: o.Component, Data: data, Sequence: o.Sequence,
		IndexedUntil: store.Forever, Scheduling: o.Scheduling}
	if _, err := st.PutObject(ctx, cal.ID, w, store.Conditions{IfMatch: o.ETag}); err != nil {
		t.Fatal(err)
	}

	mark := h.lastID()
	h.put(cal, "apple-sequence.ics")
	if got := h.sent(mark); len(got) != 0 {
		t.Errorf("a SEQUENCE bump alone sent %v", got)
	}
	o, _ = st.GetObject(ctx, cal.ID, "event.ics")
	obj, _ = icalendar.ParseObject(o.Data, icalendar.Options{})
	if seq, _ := obj.Master().Sequence(); seq != 0 || o.Sequence != 0 {
		t.Errorf("stored SEQUENCE %d (column %d), want the 0 the attendees have", seq, o.Sequence)
	}
	if ps := itip.PartStat(obj.Master().Component, "mailto:bob@almanac.test"); ps != itip.Accepted {
		t.Errorf("bob's answer became %s", ps)
	}

	// A real change with a new SEQUENCE is sent and keeps it.
	mark = h.lastID()
	h.put(cal, "apple-dtstart.ics")
	if got := h.sent(mark); len(got) != 2 {
		t.Errorf("rescheduling sent %v", got)
	}
	o, _ = st.GetObject(ctx, cal.ID, "event.ics")
	if o.Sequence != 1 {
		t.Errorf("stored SEQUENCE %d after rescheduling, want 1", o.Sequence)
	}
}

// TestOrganizerPrivate pins the list of what an organizer keeps to
// themselves; everything else reaches the attendees when it changes.
func TestOrganizerPrivate(t *testing.T) {
	private := []string{"VALARM", "TRANSP", "DTSTAMP", "LAST-MODIFIED", "CREATED", "SEQUENCE", "CATEGORIES",
		"COLOR", "X-MOZ-GENERATION", "X-MOZ-LASTACK", "X-APPLE-TRAVEL-ADVISORY-BEHAVIOR"}
	shared := []string{"DTSTART", "DTEND", "DURATION", "DUE", "RRULE", "RDATE", "EXDATE", "SUMMARY", "LOCATION",
		"DESCRIPTION", "STATUS", "ATTENDEE", "ORGANIZER", "URL", "CONFERENCE", "ATTACH", "CLASS", "PRIORITY",
		"X-ALT-DESC", "X-APPLE-STRUCTURED-LOCATION"}
	for _, name := range private {
		if !organizerPrivate(name) {
			t.Errorf("%s is not the organizer's own", name)
		}
	}
	for _, name := range shared {
		if organizerPrivate(name) {
			t.Errorf("%s is not sent to attendees", name)
		}
	}
}

// TestOrganizerRemovesScheduling: an organizer who writes the event back
// without ORGANIZER and attendees cancels it for the attendees, and the
// event is then a plain one, without a Schedule-Tag (RFC 6638 §3.1,
// §3.2.10).
func TestOrganizerRemovesScheduling(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		e := newEnv(t, st)
		alice := e.users["alice"]
		e.put(alice, e.work, "plan.ics", event("plan-1", 0, "", "bob@almanac.test"), store.Conditions{IfNoneMatch: true})
		e.eventually("bob's copy", func() bool { o, _ := e.copyOf("bob", "plan-1"); return o != nil })

		plain := strings.NewReplacer("ORGANIZER;CN=Alice:mailto:alice@almanac.test\r\n", "",
			"ATTENDEE;PARTSTAT=ACCEPTED:mailto:alice@almanac.test\r\n", "",
			"ATTENDEE;PARTSTAT=NEEDS-ACTION;RSVP=TRUE:mailto:bob@almanac.test\r\n", "").Replace(string(event("plan-1", 0, "")))
		e.put(alice, e.work, "plan.ics", []byte(plain), store.Conditions{})
		e.eventually("bob's copy cancelled", func() bool {
			_, obj := e.copyOf("bob", "plan-1")
			return obj != nil && masterStatus(obj) == "CANCELLED"
		})
		o, _ := e.copyOf("alice", "plan-1")
		if o.Role != "" || o.ScheduleTag != "" {
			t.Errorf("alice's plain event still schedules: %+v", o.Scheduling)
		}
		// Written again, it stays plain and sends nothing.
		e.put(alice, e.work, "plan.ics", []byte(plain), store.Conditions{})
		if o, _ := e.copyOf("alice", "plan-1"); o.Role != "" || o.ScheduleTag != "" {
			t.Errorf("written again: %+v", o.Scheduling)
		}
	})
}

// TestOrganizerMakesCancelledEventAgain: an organizer deletes a meeting
// Bob had accepted, then makes it again with the same UID, as a client
// does that starts over at SEQUENCE 0. Bob's cancelled copy becomes the
// new invitation, waiting for his answer; a REQUEST older than the
// cancellation would not have revived it.
func TestOrganizerMakesCancelledEventAgain(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		e := newEnv(t, st)
		ctx := context.Background()
		alice, bob := e.users["alice"], e.users["bob"]
		e.put(alice, e.work, "plan.ics", event("plan-1", 0, "", "bob@almanac.test"), store.Conditions{IfNoneMatch: true})
		e.eventually("bob's copy", func() bool { o, _ := e.copyOf("bob", "plan-1"); return o != nil })
		bobCopy, _ := e.copyOf("bob", "plan-1")
		bobCal, _ := st.GetCalendar(ctx, bobCopy.CalendarID)
		accepted := strings.Replace(string(bobCopy.Data), "PARTSTAT=NEEDS-ACTION;RSVP=TRUE:mailto:bob", "PARTSTAT=ACCEPTED:mailto:bob", 1)
		e.put(bob, bobCal, bobCopy.Name, []byte(accepted), store.Conditions{})

		if err := e.cals.DeleteObject(ctx, alice, e.work, "plan.ics", store.Conditions{}); err != nil {
			t.Fatal(err)
		}
		e.eventually("bob's copy cancelled", func() bool {
			_, obj := e.copyOf("bob", "plan-1")
			return obj.Master().Status() == "CANCELLED"
		})
		e.put(alice, e.work, "plan.ics", event("plan-1", 0, "", "bob@almanac.test"), store.Conditions{IfNoneMatch: true})
		e.eventually("bob's copy made again", func() bool {
			_, obj := e.copyOf("bob", "plan-1")
			return obj.Master().Status() != "CANCELLED"
		})
		if ps := e.partstat("bob", "plan-1", "", "bob"); ps != itip.NeedsAction {
			t.Errorf("bob's answer to the new meeting: %s, want NEEDS-ACTION", ps)
		}
	})
}
