package caldav_test

import (
	"net/http"
	"strconv"
	"strings"
	"testing"

	"github.com/almanac/almanac/calendar"
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
