package caldav_test

import (
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/almanac/almanac/calendar"
	"github.com/almanac/almanac/store/storetest"
)

// meetingWith is alice's event inviting n people besides herself,
// organized by organizer.
func meetingWith(uid, organizer string, n int) string {
	var b strings.Builder
	b.WriteString("BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//t//EN\r\nBEGIN:VEVENT\r\nUID:" + uid + "\r\n")
	b.WriteString("DTSTAMP:20260101T000000Z\r\nDTSTART:20260105T090000Z\r\nDTEND:20260105T100000Z\r\nSUMMARY:All hands\r\n")
	b.WriteString("ORGANIZER:mailto:" + organizer + "\r\nATTENDEE;PARTSTAT=ACCEPTED:mailto:" + organizer + "\r\n")
	if organizer != "alice@example.com" {
		b.WriteString("ATTENDEE;PARTSTAT=NEEDS-ACTION:mailto:alice@example.com\r\n")
	}
	for i := range n {
		fmt.Fprintf(&b, "ATTENDEE;PARTSTAT=NEEDS-ACTION;RSVP=TRUE:mailto:guest%d@example.net\r\n", i)
	}
	b.WriteString("END:VEVENT\r\nEND:VCALENDAR\r\n")
	return b.String()
}

// TestMaxAttendees: calendars and the schedule inbox advertise
// CALDAV:max-attendees-per-instance (RFC 4791 §5.2.9), and an organizer's
// PUT inviting more is refused with that precondition (§5.3.2.1). An
// attendee's copy of someone else's larger meeting is still stored: the
// server only answers it.
func TestMaxAttendees(t *testing.T) {
	srv := newServer(t, storetest.SQLite(t), calendar.Limits{MaxAttendees: 3})
	if r := srv.do(t, "alice", "MKCALENDAR", "/dav/calendars/alice/work/", ""); r.status != http.StatusCreated {
		t.Fatalf("MKCALENDAR: %d", r.status)
	}
	const prop = `<?xml version="1.0"?><D:propfind xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:ns:caldav"><D:prop><C:max-attendees-per-instance/></D:prop></D:propfind>`
	for _, path := range []string{"/dav/calendars/alice/work/", "/dav/scheduling/alice/inbox/"} {
		r := srv.do(t, "alice", "PROPFIND", path, prop, "Depth", "0")
		if r.status != http.StatusMultiStatus || !strings.Contains(r.body, "<C:max-attendees-per-instance>3</C:max-attendees-per-instance>") {
			t.Errorf("PROPFIND %s: %d %s", path, r.status, r.body)
		}
	}
	put := func(name, body string) reply {
		return srv.do(t, "alice", "PUT", "/dav/calendars/alice/work/"+name, body, "Content-Type", "text/calendar")
	}
	r := put("big.ics", meetingWith("big", "alice@example.com", 4))
	if r.status != http.StatusForbidden || !strings.Contains(r.body, "<C:max-attendees-per-instance/>") {
		t.Errorf("four attendees: %d %s", r.status, r.body)
	}
	if r := put("ok.ics", meetingWith("ok", "alice@example.com", 3)); r.status != http.StatusCreated {
		t.Errorf("three attendees: %d %s", r.status, r.body)
	}
	if r := put("theirs.ics", meetingWith("theirs", "erin@example.org", 10)); r.status != http.StatusCreated {
		t.Errorf("an attendee's copy of a larger meeting: %d %s", r.status, r.body)
	}
}
