package caldav_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/almanac/almanac/account"
	"github.com/almanac/almanac/caldav"
	"github.com/almanac/almanac/calendar"
	"github.com/almanac/almanac/mailer"
	"github.com/almanac/almanac/outbox"
	"github.com/almanac/almanac/scheduling"
	"github.com/almanac/almanac/store"
	"github.com/almanac/almanac/store/storetest"
	"github.com/go-chi/chi/v5"
)

// newSchedulingServer is newServer with implicit scheduling and its
// delivery workers running.
func newSchedulingServer(t *testing.T, st *store.Store) *testServer {
	t.Helper()
	acc := account.New(st, account.Options{})
	for _, u := range testUsers {
		if _, err := acc.Create(context.Background(), account.NewUser{Name: u, Email: u + "@example.com", Password: password(u)}); err != nil {
			t.Fatal(err)
		}
	}
	handlers := map[string]outbox.Handler{}
	worker := outbox.New(st, outbox.Options{Handlers: handlers, Poll: 20 * time.Millisecond})
	// Delivery between users who never dealt with each other: the server
	// takes everyone's invitations (holding them is strangers_test.go's).
	sched := scheduling.New(st, scheduling.Options{InvitationsDefault: store.InvitationsEveryone, MailFrom: "calendar@example.com", Kick: worker.Kick})
	cals := calendar.New(st, calendar.Options{Hooks: []calendar.Hook{sched}, Kick: worker.Kick})
	mail, _ := mailer.New(mailer.Config{DropDir: t.TempDir()})
	for k, h := range sched.Handlers(cals, mail, 2) {
		handlers[k] = h
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { worker.Run(ctx); close(done) }()
	t.Cleanup(func() { cancel(); <-done })
	h := caldav.New(acc, cals, caldav.Options{Scheduler: sched})
	r := chi.NewRouter()
	r.Mount(caldav.Prefix, h.Routes())
	srv := httptest.NewServer(r)
	t.Cleanup(srv.Close)
	return &testServer{srv, st, cals, acc}
}

const invitation = "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//test//EN\r\nBEGIN:VEVENT\r\nUID:meet-1\r\nDTSTAMP:20260101T000000Z\r\n" +
	"DTSTART:20260105T090000Z\r\nDTEND:20260105T100000Z\r\nSUMMARY:Meet\r\nORGANIZER:mailto:alice@example.com\r\n" +
	"ATTENDEE;PARTSTAT=ACCEPTED:mailto:alice@example.com\r\nATTENDEE;PARTSTAT=NEEDS-ACTION:mailto:bob@example.com\r\n" +
	"END:VEVENT\r\nEND:VCALENDAR\r\n"

func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		if cond() {
			return
		}
	}
	t.Fatalf("timed out waiting for %s", what)
}

// TestScheduling covers the CalDAV side of RFC 6638: discovery, the
// inbox, Schedule-Tag and If-Schedule-Tag-Match, and free-busy through
// the outbox.
func TestScheduling(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		s := newSchedulingServer(t, st)
		if r := s.do(t, "alice", "OPTIONS", "/dav/", ""); !strings.Contains(r.header.Get("DAV"), "calendar-auto-schedule") {
			t.Errorf("DAV: %q", r.header.Get("DAV"))
		}
		r := s.do(t, "alice", "PROPFIND", "/dav/principals/alice/", `<D:propfind xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:ns:caldav"><D:prop>`+
			`<C:schedule-inbox-URL/><C:schedule-outbox-URL/><C:calendar-user-type/><C:calendar-user-address-set/></D:prop></D:propfind>`, "Depth", "0")
		for _, want := range []string{"/dav/scheduling/alice/inbox/", "/dav/scheduling/alice/outbox/", "INDIVIDUAL", "mailto:alice@example.com"} {
			if !strings.Contains(r.body, want) {
				t.Errorf("principal lacks %s:\n%s", want, r.body)
			}
		}
		if r := s.do(t, "alice", "MKCALENDAR", "/dav/calendars/alice/work/", ""); r.status != http.StatusCreated {
			t.Fatalf("MKCALENDAR: %d %s", r.status, r.body)
		}
		r = s.do(t, "alice", "PUT", "/dav/calendars/alice/work/meet.ics", invitation, "Content-Type", "text/calendar")
		if r.status != http.StatusCreated || r.header.Get("Schedule-Tag") == "" || r.header.Get("ETag") != "" {
			t.Fatalf("organizer PUT: %d, Schedule-Tag %q, ETag %q (the server added SCHEDULE-STATUS)", r.status, r.header.Get("Schedule-Tag"), r.header.Get("ETag"))
		}
		// Creating it again is refused, not retried: If-None-Match on a
		// stored scheduling object (RFC 7232 §3.2).
		if r := s.do(t, "alice", "PUT", "/dav/calendars/alice/work/meet.ics", invitation, "Content-Type", "text/calendar", "If-None-Match", "*"); r.status != http.StatusPreconditionFailed {
			t.Fatalf("If-None-Match on an existing meeting: %d %s", r.status, r.body)
		}
		// Bob's inbox gets the REQUEST; his default calendar the event.
		var inbox reply
		waitFor(t, "bob's inbox", func() bool {
			inbox = s.do(t, "bob", "PROPFIND", "/dav/scheduling/bob/inbox/", `<D:propfind xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:ns:caldav"><D:prop><D:getetag/><C:calendar-data/></D:prop></D:propfind>`, "Depth", "1")
			return strings.Contains(inbox.body, "METHOD:REQUEST")
		})
		r = s.do(t, "bob", "PROPFIND", "/dav/scheduling/bob/inbox/", `<D:propfind xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:ns:caldav"><D:prop><C:schedule-default-calendar-URL/><D:resourcetype/></D:prop></D:propfind>`, "Depth", "0")
		if !strings.Contains(r.body, "/dav/calendars/bob/calendar/") || !strings.Contains(r.body, "schedule-inbox") {
			t.Errorf("inbox properties:\n%s", r.body)
		}
		get := s.do(t, "bob", "GET", "/dav/calendars/bob/calendar/meet-1.ics", "")
		tag := get.header.Get("Schedule-Tag")
		if get.status != 200 || tag == "" {
			t.Fatalf("bob's copy: %d %q", get.status, tag)
		}
		// Bob accepts with a stale tag (refused), then with his tag.
		// The server asked him to reply (RSVP=TRUE); his client answers.
		accepted := strings.Replace(get.body, "PARTSTAT=NEEDS-ACTION;RSVP=TRUE:mailto:bob", "PARTSTAT=ACCEPTED:mailto:bob", 1)
		if r := s.do(t, "bob", "PUT", "/dav/calendars/bob/calendar/meet-1.ics", accepted, "If-Schedule-Tag-Match", `"stale"`); r.status != http.StatusPreconditionFailed {
			t.Errorf("stale If-Schedule-Tag-Match: %d", r.status)
		}
		if r := s.do(t, "bob", "PUT", "/dav/calendars/bob/calendar/meet-1.ics", accepted, "If-Schedule-Tag-Match", tag); r.status != http.StatusNoContent {
			t.Fatalf("bob's answer: %d %s", r.status, r.body)
		}
		waitFor(t, "bob's answer in alice's copy", func() bool {
			return attendeeLine(s.do(t, "alice", "GET", "/dav/calendars/alice/work/meet.ics", "").body, "mailto:bob@example.com", "PARTSTAT=ACCEPTED")
		})
		// An alarm Bob adds on one device is his own change (RFC 6638
		// §3.2.10): a new tag, so that his other device, still holding
		// the one before, gets 412 instead of undoing it.
		answered := s.do(t, "bob", "GET", "/dav/calendars/bob/calendar/meet-1.ics", "")
		before := answered.header.Get("Schedule-Tag")
		alarm := strings.Replace(answered.body, "END:VEVENT", "BEGIN:VALARM\r\nACTION:DISPLAY\r\nDESCRIPTION:Meet\r\nTRIGGER:-PT10M\r\nEND:VALARM\r\nEND:VEVENT", 1)
		r = s.do(t, "bob", "PUT", "/dav/calendars/bob/calendar/meet-1.ics", alarm, "If-Schedule-Tag-Match", before)
		if after := r.header.Get("Schedule-Tag"); r.status != http.StatusNoContent || after == "" || after == before {
			t.Errorf("bob's alarm: %d, Schedule-Tag %s → %s, want a new one", r.status, before, after)
		}
		if r := s.do(t, "bob", "PUT", "/dav/calendars/bob/calendar/meet-1.ics", answered.body, "If-Schedule-Tag-Match", before); r.status != http.StatusPreconditionFailed {
			t.Errorf("a write with the tag from before the alarm: %d, want 412", r.status)
		}
		// Inbox items can be read and deleted.
		href := between(inbox.body, "<D:href>", "</D:href>", "/inbox/")
		if r := s.do(t, "bob", "GET", href, ""); r.status != 200 || !strings.Contains(r.body, "METHOD:REQUEST") {
			t.Errorf("GET inbox item: %d", r.status)
		}
		if r := s.do(t, "alice", "DELETE", href, ""); r.status != http.StatusNotFound {
			t.Errorf("alice deleting bob's inbox item: %d", r.status)
		}
		if r := s.do(t, "bob", "DELETE", href, ""); r.status != http.StatusNoContent {
			t.Errorf("DELETE inbox item: %d", r.status)
		}
		// Free-busy through the outbox.
		fb := "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:x\r\nMETHOD:REQUEST\r\nBEGIN:VFREEBUSY\r\nUID:fb\r\nDTSTAMP:20260101T000000Z\r\n" +
			"DTSTART:20260105T000000Z\r\nDTEND:20260106T000000Z\r\nORGANIZER:mailto:alice@example.com\r\nATTENDEE:mailto:bob@example.com\r\n" +
			"END:VFREEBUSY\r\nEND:VCALENDAR\r\n"
		r = s.do(t, "alice", "POST", "/dav/scheduling/alice/outbox/", fb, "Content-Type", "text/calendar")
		if r.status != 200 || !strings.Contains(r.body, "FBTYPE=BUSY:20260105T090000Z/20260105T100000Z") || !strings.Contains(r.body, "2.0;Success") {
			t.Errorf("free-busy: %d\n%s", r.status, r.body)
		}
		if r := s.do(t, "bob", "POST", "/dav/scheduling/bob/outbox/", fb, "Content-Type", "text/calendar"); r.status != http.StatusForbidden || !strings.Contains(r.body, "valid-scheduling-message") {
			t.Errorf("free-busy as someone else's organizer: %d %s", r.status, r.body)
		}
		if r := s.do(t, "alice", "POST", "/dav/scheduling/alice/outbox/", "x", "Content-Type", "text/plain"); r.status != http.StatusUnsupportedMediaType {
			t.Errorf("free-busy without a calendar: %d", r.status)
		}
		if r := s.do(t, "alice", "PROPFIND", "/dav/scheduling/bob/inbox/", "", "Depth", "0"); r.status != http.StatusNotFound {
			t.Errorf("alice reading bob's inbox: %d", r.status)
		}
	})
}

// TestScheduleTagOnDeleteAndMove: DELETE and MOVE of a calendar object
// resource honour If-Schedule-Tag-Match as PUT does (RFC 6638 §3.2.10,
// §8.3). A stale tag, or any tag on a resource that is not a scheduling
// object, answers 412 and leaves the resource where it was.
func TestScheduleTagOnDeleteAndMove(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		s := newSchedulingServer(t, st)
		mustStatus(t, s.do(t, "alice", "MKCALENDAR", "/dav/calendars/alice/work/", ""), http.StatusCreated)
		for i, tc := range []struct {
			what, method string
			plain        bool // an event without ORGANIZER: no Schedule-Tag
			stale        bool
			want         int
		}{
			{"DELETE, stale tag", "DELETE", false, true, http.StatusPreconditionFailed},
			{"MOVE, stale tag", "MOVE", false, true, http.StatusPreconditionFailed},
			{"DELETE, not a scheduling object", "DELETE", true, false, http.StatusPreconditionFailed},
			{"MOVE, not a scheduling object", "MOVE", true, false, http.StatusPreconditionFailed},
			{"DELETE, current tag", "DELETE", false, false, http.StatusNoContent},
			{"MOVE, current tag", "MOVE", false, false, http.StatusCreated},
		} {
			uid := fmt.Sprintf("tagged-%d", i)
			from, to := "/dav/calendars/alice/calendar/"+uid+".ics", "/dav/calendars/alice/work/"+uid+".ics"
			body := strings.ReplaceAll(invitation, "meet-1", uid)
			if tc.plain {
				body = withoutScheduling(body)
			}
			put := s.do(t, "alice", "PUT", from, body, "Content-Type", "text/calendar")
			tag := put.header.Get("Schedule-Tag")
			if put.status != http.StatusCreated || (tag == "") != tc.plain {
				t.Fatalf("%s: PUT %d, Schedule-Tag %q", tc.what, put.status, tag)
			}
			if tc.plain {
				tag = `"any"`
			}
			if tc.stale {
				tag = `"stale"`
			}
			if r := s.do(t, "alice", tc.method, from, "", "Destination", to, "If-Schedule-Tag-Match", tag); r.status != tc.want {
				t.Errorf("%s: %d %s, want %d", tc.what, r.status, r.body, tc.want)
			}
			moved := tc.method == "MOVE" && tc.want == http.StatusCreated
			gone := tc.want != http.StatusPreconditionFailed
			if r := s.do(t, "alice", "GET", from, ""); (r.status == http.StatusNotFound) != gone {
				t.Errorf("%s: GET of the source %d", tc.what, r.status)
			}
			if r := s.do(t, "alice", "GET", to, ""); (r.status == http.StatusOK) != moved {
				t.Errorf("%s: GET of the destination %d", tc.what, r.status)
			}
		}
	})
}

// withoutScheduling drops ORGANIZER and ATTENDEE, leaving a plain event.
func withoutScheduling(ics string) string {
	var keep []string
	for _, line := range strings.Split(ics, "\r\n") {
		if !strings.HasPrefix(line, "ORGANIZER") && !strings.HasPrefix(line, "ATTENDEE") {
			keep = append(keep, line)
		}
	}
	return strings.Join(keep, "\r\n")
}

// attendeeLine reports whether the ATTENDEE line of addr holds param.
func attendeeLine(ics, addr, param string) bool {
	for _, line := range strings.Split(strings.ReplaceAll(ics, "\r\n ", ""), "\r\n") {
		if strings.HasPrefix(line, "ATTENDEE") && strings.HasSuffix(line, ":"+addr) {
			return strings.Contains(line, param)
		}
	}
	return false
}

// between returns the first text between open and close that contains
// must.
func between(s, open, close, must string) string {
	for {
		i := strings.Index(s, open)
		if i < 0 {
			return ""
		}
		s = s[i+len(open):]
		j := strings.Index(s, close)
		if j < 0 {
			return ""
		}
		if v := s[:j]; strings.Contains(v, must) && !strings.HasSuffix(v, "/") {
			return v
		}
		s = s[j:]
	}
}

// TestAttendeeWriteOverCalDAV: what an attendee's client may not change
// in their copy (RFC 6638 §3.2.2.1), as a CalDAV client sees it. A copy
// written back with another ORGANIZER and without SEQUENCE still answers
// the organizer and keeps both; one that drops the attendee is refused
// with the RFC's precondition.
func TestAttendeeWriteOverCalDAV(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		s := newSchedulingServer(t, st)
		if r := s.do(t, "alice", "MKCALENDAR", "/dav/calendars/alice/work/", ""); r.status != http.StatusCreated {
			t.Fatalf("MKCALENDAR: %d %s", r.status, r.body)
		}
		meeting := strings.Replace(invitation, "SUMMARY:Meet\r\n", "SUMMARY:Meet\r\nSEQUENCE:3\r\n", 1)
		if r := s.do(t, "alice", "PUT", "/dav/calendars/alice/work/meet.ics", meeting, "Content-Type", "text/calendar"); r.status != http.StatusCreated {
			t.Fatalf("organizer PUT: %d %s", r.status, r.body)
		}
		const copyURL = "/dav/calendars/bob/calendar/meet-1.ics"
		var get reply
		waitFor(t, "bob's copy", func() bool { get = s.do(t, "bob", "GET", copyURL, ""); return get.status == http.StatusOK })
		tag := get.header.Get("Schedule-Tag")

		uninvited := strings.ReplaceAll(get.body, "mailto:bob@example.com", "mailto:robert@example.com")
		r := s.do(t, "bob", "PUT", copyURL, uninvited, "If-Schedule-Tag-Match", tag)
		if r.status != http.StatusForbidden || !strings.Contains(r.body, "allowed-attendee-scheduling-object-change") {
			t.Errorf("a write without the attendee: %d %s", r.status, r.body)
		}

		var lines []string
		for _, line := range strings.Split(strings.ReplaceAll(get.body, "\r\n ", ""), "\r\n") {
			switch {
			case strings.HasPrefix(line, "SEQUENCE"):
				continue
			case strings.HasPrefix(line, "ORGANIZER"):
				line = "ORGANIZER:mailto:mallory@example.com"
			case strings.HasPrefix(line, "ATTENDEE") && strings.HasSuffix(line, ":mailto:bob@example.com"):
				line = "ATTENDEE;PARTSTAT=ACCEPTED:mailto:bob@example.com"
			}
			lines = append(lines, line)
		}
		if r := s.do(t, "bob", "PUT", copyURL, strings.Join(lines, "\r\n"), "If-Schedule-Tag-Match", tag); r.status != http.StatusNoContent || r.header.Get("ETag") != "" {
			t.Fatalf("bob's answer: %d (ETag %q: the server changed what he wrote) %s", r.status, r.header.Get("ETag"), r.body)
		}
		waitFor(t, "bob's answer in alice's copy", func() bool {
			return attendeeLine(s.do(t, "alice", "GET", "/dav/calendars/alice/work/meet.ics", "").body, "mailto:bob@example.com", "PARTSTAT=ACCEPTED")
		})
		stored := s.do(t, "bob", "GET", copyURL, "").body
		if !strings.Contains(stored, "ORGANIZER") || strings.Contains(stored, "mallory") || !strings.Contains(stored, "SEQUENCE:3") {
			t.Errorf("bob's copy lost the organizer's data:\n%s", stored)
		}
	})
}
