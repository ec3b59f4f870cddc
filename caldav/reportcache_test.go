package caldav_test

import (
	"strings"
	"testing"

	"github.com/almanac/almanac/calendar"
	"github.com/almanac/almanac/store/storetest"
)

// TestReportCacheFollowsChanges repeats a calendar-query around writes: a
// repeated answer may come from the cache, but never an answer from
// before a change.
func TestReportCacheFollowsChanges(t *testing.T) {
	s := newServer(t, storetest.SQLite(t), calendar.Limits{})
	cal := "/dav/calendars/alice/work/"
	if r := s.do(t, "alice", "MKCALENDAR", cal, ""); r.status != 201 {
		t.Fatalf("MKCALENDAR: %d %s", r.status, r.body)
	}
	event := func(uid, summary string) string {
		return "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//t//EN\r\nBEGIN:VEVENT\r\nUID:" + uid +
			"\r\nDTSTAMP:20260101T000000Z\r\nDTSTART:20260610T100000Z\r\nDTEND:20260610T110000Z\r\nSUMMARY:" +
			summary + "\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n"
	}
	put := func(name, uid, summary string) {
		if r := s.do(t, "alice", "PUT", cal+name, event(uid, summary), "Content-Type", "text/calendar"); r.status/100 != 2 {
			t.Fatalf("PUT: %d %s", r.status, r.body)
		}
	}
	query := `<?xml version="1.0"?><C:calendar-query xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:ns:caldav">
<D:prop><D:getetag/><C:calendar-data/></D:prop><C:filter><C:comp-filter name="VCALENDAR"><C:comp-filter name="VEVENT">
<C:time-range start="20260601T000000Z" end="20260701T000000Z"/></C:comp-filter></C:comp-filter></C:filter></C:calendar-query>`
	report := func(user string) string {
		r := s.do(t, user, "REPORT", cal, query, "Depth", "1", "Content-Type", "application/xml")
		if user == "alice" && r.status != 207 {
			t.Fatalf("REPORT: %d %s", r.status, r.body)
		}
		return r.body
	}
	put("a.ics", "a", "First")
	first := report("alice")
	if again := report("alice"); again != first || !strings.Contains(first, "SUMMARY:First") {
		t.Fatalf("repeated answer differs or lacks the event:\n%s", again)
	}
	put("a.ics", "a", "Changed")
	if got := report("alice"); !strings.Contains(got, "SUMMARY:Changed") || strings.Contains(got, "SUMMARY:First") {
		t.Fatalf("answer after a change:\n%s", got)
	}
	put("b.ics", "b", "Second")
	if got := report("alice"); !strings.Contains(got, "SUMMARY:Second") {
		t.Fatalf("answer after a new event:\n%s", got)
	}
	if r := s.do(t, "alice", "DELETE", cal+"b.ics", ""); r.status != 204 {
		t.Fatalf("DELETE: %d", r.status)
	}
	if got := report("alice"); strings.Contains(got, "SUMMARY:Second") {
		t.Fatalf("answer after a deletion:\n%s", got)
	}
	// Another user never gets alice's cached answer.
	if got := report("bob"); strings.Contains(got, "SUMMARY:") {
		t.Fatalf("bob reads alice's calendar:\n%s", got)
	}
}
