package caldav_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"

	"github.com/go-chi/chi/v5"

	"github.com/almanac/almanac/account"
	"github.com/almanac/almanac/caldav"
	"github.com/almanac/almanac/calendar"
	"github.com/almanac/almanac/reminders"
	"github.com/almanac/almanac/store/storetest"
)

const reviewEvent = `BEGIN:VCALENDAR
VERSION:2.0
PRODID:-//test//EN
BEGIN:VEVENT
UID:p1
DTSTAMP:20260101T000000Z
DTSTART:20260601T120000Z
DURATION:PT1H
SUMMARY:Review
BEGIN:VALARM
UID:alices-alarm
ACTION:DISPLAY
DESCRIPTION:Review
TRIGGER:-PT15M
END:VALARM
END:VEVENT
END:VCALENDAR
`

// A sharee reads their own alarms and an entity tag of their own through
// every CalDAV read (GET, PROPFIND, calendar-multiget, calendar-query,
// sync-collection), and what they PUT in VALARM stays theirs.
func TestShareeReadsPerUserData(t *testing.T) {
	st := storetest.SQLite(t)
	acc := account.New(st, account.Options{})
	for _, u := range testUsers {
		if _, err := acc.Create(context.Background(), account.NewUser{Name: u, Email: u + "@example.com", Password: password(u)}); err != nil {
			t.Fatal(err)
		}
	}
	rem := reminders.New(st, reminders.Options{})
	cals := calendar.New(st, calendar.Options{Hooks: []calendar.Hook{rem.Hook()}, Viewer: rem})
	r := chi.NewRouter()
	r.Mount(caldav.Prefix, caldav.New(acc, cals, caldav.Options{}).Routes())
	srv := httptest.NewServer(r)
	t.Cleanup(srv.Close)
	s := &testServer{srv, st, cals, acc}

	owned := "/dav/calendars/alice/work/"
	if r := s.do(t, "alice", "MKCALENDAR", owned, ""); r.status != 201 {
		t.Fatalf("MKCALENDAR: %d", r.status)
	}
	ctx := context.Background()
	alice, _ := st.GetUserByName(ctx, "alice")
	bob, _ := st.GetUserByName(ctx, "bob")
	c, _ := st.GetCalendarByName(ctx, alice.ID, "work")
	if err := cals.Share(ctx, alice, c, bob, calendar.RoleWriter); err != nil {
		t.Fatal(err)
	}
	if r := s.do(t, "alice", "PUT", owned+"p1.ics", strings.ReplaceAll(reviewEvent, "\n", "\r\n"), "Content-Type", "text/calendar"); r.status != 201 {
		t.Fatalf("PUT: %d %s", r.status, r.body)
	}
	sh, err := st.GetShare(ctx, c.ID, bob.ID)
	if err != nil {
		t.Fatal(err)
	}
	cal := "/dav/calendars/bob/" + sh.Name + "/"
	get := s.do(t, "bob", "GET", cal+"p1.ics", "")
	if get.status != 200 || strings.Contains(get.body, "alices-alarm") {
		t.Fatalf("bob's GET: %d\n%s", get.status, get.body)
	}
	etag := get.header.Get("ETag")
	if a := s.do(t, "alice", "GET", owned+"p1.ics", ""); a.header.Get("ETag") == etag || !strings.Contains(a.body, "alices-alarm") {
		t.Fatalf("alice's GET: %s\n%s", a.header.Get("ETag"), a.body)
	}
	tags := regexp.MustCompile(`\.ics</D:href><D:propstat><D:prop><D:getetag>([^<]*)</D:getetag>`)
	check := func(name string, r reply) {
		t.Helper()
		m := tags.FindAllStringSubmatch(r.body, -1)
		if r.status != 207 || len(m) == 0 || strings.Contains(r.body, "alices-alarm") {
			t.Errorf("%s: %d\n%s", name, r.status, r.body)
			return
		}
		for _, x := range m {
			if v := strings.NewReplacer("&#34;", `"`, "&quot;", `"`).Replace(x[1]); v != etag {
				t.Errorf("%s: etag %s, GET said %s", name, v, etag)
			}
		}
	}
	props := `<D:prop><D:getetag/><C:calendar-data/></D:prop>`
	ns := `xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:ns:caldav"`
	check("PROPFIND", s.do(t, "bob", "PROPFIND", cal, `<?xml version="1.0"?><D:propfind `+ns+`>`+props+`</D:propfind>`, "Depth", "1"))
	check("multiget", s.do(t, "bob", "REPORT", cal, `<?xml version="1.0"?><C:calendar-multiget `+ns+`>`+props+`<D:href>`+cal+`p1.ics</D:href></C:calendar-multiget>`))
	check("query", s.do(t, "bob", "REPORT", cal, `<?xml version="1.0"?><C:calendar-query `+ns+`>`+props+
		`<C:filter><C:comp-filter name="VCALENDAR"><C:comp-filter name="VEVENT"><C:time-range start="20260501T000000Z" end="20260701T000000Z"/></C:comp-filter></C:comp-filter></C:filter></C:calendar-query>`, "Depth", "1"))
	check("sync", s.do(t, "bob", "REPORT", cal, `<?xml version="1.0"?><D:sync-collection `+ns+`><D:sync-token/><D:sync-level>1</D:sync-level>`+props+`</D:sync-collection>`))

	// Bob adds his alarm with If-Match on his tag; Alice's stays hers.
	mine := strings.Replace(get.body, "END:VEVENT", "BEGIN:VALARM\r\nUID:bobs-alarm\r\nACTION:DISPLAY\r\nDESCRIPTION:x\r\nTRIGGER:-PT5M\r\nEND:VALARM\r\nEND:VEVENT", 1)
	put := s.do(t, "bob", "PUT", cal+"p1.ics", mine, "Content-Type", "text/calendar", "If-Match", etag)
	if put.status != http.StatusNoContent || put.header.Get("ETag") != "" {
		t.Fatalf("bob's PUT: %d, ETag %q", put.status, put.header.Get("ETag"))
	}
	if b := s.do(t, "bob", "GET", cal+"p1.ics", ""); !strings.Contains(b.body, "bobs-alarm") || strings.Contains(b.body, "alices-alarm") {
		t.Errorf("bob reads:\n%s", b.body)
	}
	if a := s.do(t, "alice", "GET", owned+"p1.ics", ""); strings.Contains(a.body, "bobs-alarm") || !strings.Contains(a.body, "alices-alarm") {
		t.Errorf("alice reads:\n%s", a.body)
	}
	if stale := s.do(t, "bob", "PUT", cal+"p1.ics", mine, "Content-Type", "text/calendar", "If-Match", etag); stale.status != http.StatusPreconditionFailed {
		t.Errorf("PUT with a stale tag: %d", stale.status)
	}
}
