package caldav_test

import (
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/almanac/almanac/calendar"
	"github.com/almanac/almanac/store"
	"github.com/almanac/almanac/store/storetest"
)

// TestLargeSeriesQuery: a series of 50,000 instances, one a minute, has
// more instances in January than the server expands for one request.
// calendar-query with a time-range over it, with or without a filter the
// index cannot answer alone, returns the resource; free-busy-query returns
// the busy time it could expand; an expand asked over the range answers
// the query, the resource's calendar-data alone 403 with
// CALDAV:max-instances (RFC 4791 §9.6.5, §5.2.8), and the other events
// expanded.
func TestLargeSeriesQuery(t *testing.T) {
	flood, err := os.ReadFile(filepath.Join("testdata", "every-minute.ics"))
	if err != nil {
		t.Fatal(err)
	}
	lunch := "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//t//EN\r\nBEGIN:VEVENT\r\nUID:lunch\r\nDTSTAMP:20260101T000000Z\r\n" +
		"DTSTART:20260112T120000Z\r\nDURATION:PT1H\r\nRRULE:FREQ=WEEKLY;COUNT=3\r\nSUMMARY:Lunch\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n"
	const (
		rng    = `<C:time-range start="20260101T000000Z" end="20260301T000000Z"/>`
		prefix = `<C:calendar-query xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:ns:caldav"><D:prop><D:getetag/>`
	)
	tests := []struct {
		name, body string
		status     int
		want       string
	}{
		{"time-range", prefix + `<C:calendar-data/></D:prop><C:filter><C:comp-filter name="VCALENDAR"><C:comp-filter name="VEVENT">` + rng +
			`</C:comp-filter></C:comp-filter></C:filter></C:calendar-query>`, http.StatusMultiStatus, "RRULE:FREQ=MINUTELY;COUNT=50000"},
		{"time-range and text-match", prefix + `</D:prop><C:filter><C:comp-filter name="VCALENDAR"><C:comp-filter name="VEVENT">` +
			`<C:prop-filter name="SUMMARY"><C:text-match>minute</C:text-match></C:prop-filter>` + rng +
			`</C:comp-filter></C:comp-filter></C:filter></C:calendar-query>`, http.StatusMultiStatus, "flood.ics"},
		{"free-busy-query", `<C:free-busy-query xmlns:C="urn:ietf:params:xml:ns:caldav">` + rng + `</C:free-busy-query>`,
			http.StatusOK, "FREEBUSY;FBTYPE=BUSY:20260110T000000Z/"},
		{"expand beyond the bound", prefix + `<C:calendar-data><C:expand start="20260101T000000Z" end="20260301T000000Z"/></C:calendar-data></D:prop>` +
			`<C:filter><C:comp-filter name="VCALENDAR"><C:comp-filter name="VEVENT">` + rng +
			`</C:comp-filter></C:comp-filter></C:filter></C:calendar-query>`, http.StatusMultiStatus,
			"<D:prop><C:calendar-data/></D:prop><D:status>HTTP/1.1 403 Forbidden</D:status><D:error><C:max-instances/></D:error>"},
		{"expand of the other event", prefix + `<C:calendar-data><C:expand start="20260101T000000Z" end="20260301T000000Z"/></C:calendar-data></D:prop>` +
			`<C:filter><C:comp-filter name="VCALENDAR"><C:comp-filter name="VEVENT">` +
			`<C:prop-filter name="SUMMARY"><C:text-match>Lunch</C:text-match></C:prop-filter>` + rng +
			`</C:comp-filter></C:comp-filter></C:filter></C:calendar-query>`, http.StatusMultiStatus, "RECURRENCE-ID:20260112T120000Z"},
		{"expand of one day", prefix + `<C:calendar-data><C:expand start="20260112T000000Z" end="20260112T010000Z"/></C:calendar-data></D:prop>` +
			`<C:filter><C:comp-filter name="VCALENDAR"><C:comp-filter name="VEVENT"><C:time-range start="20260112T000000Z" end="20260112T010000Z"/>` +
			`</C:comp-filter></C:comp-filter></C:filter></C:calendar-query>`, http.StatusMultiStatus, "RECURRENCE-ID:20260112T005900Z"},
	}
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		srv := newServer(t, st, calendar.Limits{})
		if r := srv.do(t, "alice", "MKCALENDAR", "/dav/calendars/alice/work/", ""); r.status != http.StatusCreated {
			t.Fatalf("MKCALENDAR: %d", r.status)
		}
		if r := srv.do(t, "alice", "PUT", "/dav/calendars/alice/work/flood.ics", string(flood), "Content-Type", "text/calendar"); r.status != http.StatusCreated {
			t.Fatalf("PUT: %d %s", r.status, r.body)
		}
		if r := srv.do(t, "alice", "PUT", "/dav/calendars/alice/work/lunch.ics", lunch, "Content-Type", "text/calendar"); r.status != http.StatusCreated {
			t.Fatalf("PUT: %d %s", r.status, r.body)
		}
		for _, tt := range tests {
			r := srv.do(t, "alice", "REPORT", "/dav/calendars/alice/work/", tt.body, "Depth", "1")
			if r.status != tt.status || !strings.Contains(r.body, tt.want) {
				t.Errorf("%s: %d %.400s, want %d with %s", tt.name, r.status, r.body, tt.status, tt.want)
			}
		}
	})
}

// TestExpensiveObjectPut: PUT of the 9.3 KB object of 200 RRULEs is
// refused with CALDAV:valid-calendar-object-resource, and one of ten
// dense rules, which spends the write's expansion budget, with
// CALDAV:max-instances (RFC 4791 §5.3.2.1); a series of every minute is
// taken.
func TestExpensiveObjectPut(t *testing.T) {
	tests := []struct {
		file, want string
		status     int
	}{
		{"many-rules.ics", "<C:valid-calendar-object-resource/>", http.StatusForbidden},
		{"ten-rules.ics", "<C:max-instances/>", http.StatusForbidden},
		{"every-minute.ics", "", http.StatusCreated},
	}
	srv := newServer(t, storetest.SQLite(t), calendar.Limits{})
	if r := srv.do(t, "alice", "MKCALENDAR", "/dav/calendars/alice/work/", ""); r.status != http.StatusCreated {
		t.Fatalf("MKCALENDAR: %d", r.status)
	}
	for _, tt := range tests {
		data, err := os.ReadFile(filepath.Join("testdata", tt.file))
		if err != nil {
			t.Fatal(err)
		}
		r := srv.do(t, "alice", "PUT", "/dav/calendars/alice/work/"+tt.file, string(data), "Content-Type", "text/calendar")
		if r.status != tt.status || !strings.Contains(r.body, tt.want) {
			t.Errorf("%s: %d %s, want %d with %s", tt.file, r.status, r.body, tt.status, tt.want)
		}
	}
}
