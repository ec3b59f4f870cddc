package caldav_test

import (
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/almanac/almanac/calendar"
	"github.com/almanac/almanac/store"
	"github.com/almanac/almanac/store/storetest"
)

// TestLimits checks the answers to oversized, hostile and unauthenticated
// requests: the RFC's status and element, never a 500.
func TestLimits(t *testing.T) {
	srv := newServer(t, storetest.SQLite(t), calendar.Limits{MaxResourceSize: 4096})
	if r := srv.do(t, "alice", "MKCALENDAR", "/dav/calendars/alice/work/", ""); r.status != http.StatusCreated {
		t.Fatalf("MKCALENDAR: %d", r.status)
	}
	big := "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//t//EN\r\nBEGIN:VEVENT\r\nUID:big\r\nDTSTAMP:20260101T000000Z\r\n" +
		"DTSTART:20260101T100000Z\r\nDESCRIPTION:" + strings.Repeat("x", 5000) + "\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n"
	r := srv.do(t, "alice", "PUT", "/dav/calendars/alice/work/big.ics", big, "Content-Type", "text/calendar")
	if r.status != http.StatusForbidden || !strings.Contains(r.body, "<C:max-resource-size/>") {
		t.Errorf("oversized object: %d %s", r.status, r.body)
	}
	cases := []struct {
		name, body string
		want       int
	}{
		{"huge body", "<D:propfind xmlns:D=\"DAV:\">" + strings.Repeat("<!-- padding -->", 80_000) + "</D:propfind>", http.StatusRequestEntityTooLarge},
		{"deep nesting", strings.Repeat("<a>", 10_000) + strings.Repeat("</a>", 10_000), http.StatusBadRequest},
		{"not XML", "{\"json\": true}", http.StatusBadRequest},
		{"binary", "\x00\x01\x02<\xff>", http.StatusBadRequest},
	}
	for _, c := range cases {
		r := srv.do(t, "alice", "PROPFIND", "/dav/calendars/alice/work/", c.body, "Depth", "0")
		if r.status != c.want {
			t.Errorf("%s: %d, want %d", c.name, r.status, c.want)
		}
	}
	r = srv.do(t, "", "PROPFIND", "/dav/", "", "Depth", "0")
	if r.status != http.StatusUnauthorized || r.header.Get("WWW-Authenticate") != `Basic realm="Almanac", charset="UTF-8"` {
		t.Errorf("unauthenticated: %d %q", r.status, r.header.Get("WWW-Authenticate"))
	}
}

// TestThrottledLogin: repeated wrong passwords get 429 with Retry-After.
func TestThrottledLogin(t *testing.T) {
	srv := newServer(t, storetest.SQLite(t), calendar.Limits{})
	var last reply
	for i := 0; i < 10; i++ {
		req, _ := http.NewRequest("PROPFIND", srv.URL+"/dav/", nil)
		req.SetBasicAuth("alice", "wrong password "+strconv.Itoa(i))
		req.Header.Set("Depth", "0")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		last = reply{status: resp.StatusCode, header: resp.Header}
		if last.status == http.StatusTooManyRequests {
			break
		}
		if last.status != http.StatusUnauthorized {
			t.Fatalf("attempt %d: %d", i, last.status)
		}
	}
	if last.status != http.StatusTooManyRequests || last.header.Get("Retry-After") == "" {
		t.Fatalf("no throttling: %d %v", last.status, last.header)
	}
}

// TestDateLimits checks CALDAV:min-date-time and CALDAV:max-date-time
// (RFC 4791 §5.2.6, §5.2.7, §5.3.2.1) with a configured range: the
// properties show it, and PUT refuses what falls outside it.
func TestDateLimits(t *testing.T) {
	srv := newServer(t, storetest.SQLite(t), calendar.Limits{
		MinDateTime: time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC),
		MaxDateTime: time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC),
	})
	work := "/dav/calendars/alice/work/"
	mustStatus(t, srv.do(t, "alice", "MKCALENDAR", work, ""), 201)
	r := srv.do(t, "alice", "PROPFIND", work, propfindBody("<C:min-date-time/><C:max-date-time/>"), "Depth", "0")
	if !strings.Contains(r.body, "<C:min-date-time>20000101T000000Z</C:min-date-time>") || !strings.Contains(r.body, "<C:max-date-time>20300101T000000Z</C:max-date-time>") {
		t.Fatalf("PROPFIND:\n%s", r.body)
	}
	event := func(props string) string {
		return "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//t//EN\r\nBEGIN:VEVENT\r\nUID:e\r\nDTSTAMP:20260101T000000Z\r\n" +
			strings.ReplaceAll(props, "\n", "\r\n") + "END:VEVENT\r\nEND:VCALENDAR\r\n"
	}
	for _, tc := range []struct {
		name, body string
		status     int
		element    string
	}{
		{"within", event("DTSTART:20260105T100000Z\n"), http.StatusCreated, ""},
		{"start an hour early", event("DTSTART:19991231T230000Z\n"), http.StatusForbidden, "<C:min-date-time/>"},
		{"all-day end after", event("DTSTART;VALUE=DATE:20291231\nDTEND;VALUE=DATE:20300102\n"), http.StatusForbidden, "<C:max-date-time/>"},
		{"rule until after", event("DTSTART:20260105T100000Z\nRRULE:FREQ=MONTHLY;UNTIL=20350101T000000Z\n"), http.StatusForbidden, "<C:max-date-time/>"},
		{"exception before", event("DTSTART:20260105T100000Z\nRRULE:FREQ=MONTHLY\nEXDATE:19990105T100000Z\n"), http.StatusForbidden, "<C:min-date-time/>"},
	} {
		r := srv.do(t, "alice", "PUT", work+"e.ics", tc.body, "Content-Type", "text/calendar")
		if r.status != tc.status || !strings.Contains(r.body, tc.element) {
			t.Errorf("%s: %d %s, want %d %s", tc.name, r.status, r.body, tc.status, tc.element)
		}
	}
}

// TestQuotaOverCalDAV checks RFC 4331 quotas: a calendar's data counts
// against its owner, whoever writes it; quota-available-bytes says what
// is left to the owner; a PUT or MOVE that would exceed it gets 507 with
// DAV:quota-not-exceeded (§6).
func TestQuotaOverCalDAV(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		size := len(eventICS("a", "x"))
		srv := newServer(t, st, calendar.Limits{QuotaBytes: int64(2*size + size/2)})
		work, bobs := "/dav/calendars/alice/work/", "/dav/calendars/bob/own/"
		mustStatus(t, srv.do(t, "alice", "MKCALENDAR", work, ""), 201)
		mustStatus(t, srv.do(t, "bob", "MKCALENDAR", bobs, ""), 201)
		share := `<?xml version="1.0"?><CS:share xmlns:D="DAV:" xmlns:CS="http://calendarserver.org/ns/">
<CS:set><D:href>mailto:bob@example.com</D:href><CS:read-write/></CS:set></CS:share>`
		mustStatus(t, srv.do(t, "alice", "POST", work, share, "Content-Type", "application/xml"), 200)
		shared := sharedHref(t, srv.do(t, "bob", "PROPFIND", "/dav/calendars/bob/", propfindBody("<D:resourcetype/>"), "Depth", "1").body)

		put := func(user, href, uid string) reply {
			return srv.do(t, user, "PUT", href, eventICS(uid, "x"), "Content-Type", "text/calendar")
		}
		mustStatus(t, put("alice", work+"a.ics", "a"), 201)
		mustStatus(t, put("bob", shared+"b.ics", "b"), 201)
		mustStatus(t, put("bob", bobs+"c.ics", "c"), 201)
		quota := func(user, href string) string {
			r := srv.do(t, user, "PROPFIND", href, propfindBody("<D:quota-available-bytes/>"), "Depth", "0")
			i := strings.Index(r.body, "<D:quota-available-bytes>")
			if i < 0 {
				t.Fatalf("no quota-available-bytes:\n%s", r.body)
			}
			return r.body[i+len("<D:quota-available-bytes>") : strings.Index(r.body, "</D:quota-available-bytes>")]
		}
		left := strconv.Itoa(size / 2)
		for _, c := range []struct{ user, href, want string }{
			{"alice", "/dav/calendars/alice/", left},
			{"alice", work, left},
			{"bob", shared, left}, // the owner's quota
			{"bob", "/dav/calendars/bob/", strconv.Itoa(2*size + size/2 - size)},
		} {
			if got := quota(c.user, c.href); got != c.want {
				t.Errorf("%s %s: quota-available-bytes %s, want %s", c.user, c.href, got, c.want)
			}
		}
		for _, r := range []reply{
			put("alice", work+"d.ics", "d"),
			put("bob", shared+"d.ics", "d"),
			srv.do(t, "bob", "MOVE", bobs+"c.ics", "", "Destination", shared+"c.ics"),
			srv.do(t, "alice", "COPY", work+"a.ics", "", "Destination", "/dav/calendars/alice/work/copy.ics"),
		} {
			if r.status != http.StatusInsufficientStorage || !strings.Contains(r.body, "<D:quota-not-exceeded/>") {
				t.Errorf("over quota: %d %s", r.status, r.body)
			}
		}
		// Within one owner's calendars a move takes no room.
		mustStatus(t, srv.do(t, "bob", "MKCALENDAR", "/dav/calendars/bob/more/", ""), 201)
		mustStatus(t, srv.do(t, "bob", "MOVE", bobs+"c.ics", "", "Destination", "/dav/calendars/bob/more/c.ics"), 201)
	})
}
