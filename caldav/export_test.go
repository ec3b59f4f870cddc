package caldav_test

import (
	"compress/gzip"
	"context"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/almanac/almanac/calendar"
	"github.com/almanac/almanac/icalendar"
	"github.com/almanac/almanac/store"
	"github.com/almanac/almanac/store/storetest"
)

const berlinEvent = "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//test//EN\r\nBEGIN:VTIMEZONE\r\nTZID:Europe/Berlin\r\n" +
	"BEGIN:STANDARD\r\nDTSTART:19701025T030000\r\nTZOFFSETFROM:+0200\r\nTZOFFSETTO:+0100\r\nRRULE:FREQ=YEARLY;BYMONTH=10;BYDAY=-1SU\r\nEND:STANDARD\r\n" +
	"BEGIN:DAYLIGHT\r\nDTSTART:19700329T020000\r\nTZOFFSETFROM:+0100\r\nTZOFFSETTO:+0200\r\nRRULE:FREQ=YEARLY;BYMONTH=3;BYDAY=-1SU\r\nEND:DAYLIGHT\r\n" +
	"END:VTIMEZONE\r\nBEGIN:VEVENT\r\nUID:%s\r\nDTSTAMP:20260101T000000Z\r\nDTSTART;TZID=Europe/Berlin:20260105T100000\r\n" +
	"DTEND;TZID=Europe/Berlin:20260105T110000\r\nSUMMARY:%s\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n"

func TestGetCalendarExports(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		srv := newServer(t, st, calendar.Limits{})
		srv.do(t, "alice", "MKCALENDAR", "/dav/calendars/alice/work/", "")
		for _, uid := range []string{"a", "b", "c"} {
			body := strings.NewReplacer("%s", uid).Replace(berlinEvent)
			if r := srv.do(t, "alice", "PUT", "/dav/calendars/alice/work/"+uid+".ics", body, "Content-Type", "text/calendar"); r.status != 201 {
				t.Fatalf("PUT: %d %s", r.status, r.body)
			}
		}
		r := srv.do(t, "alice", "GET", "/dav/calendars/alice/work/", "", "Accept", "text/calendar")
		if r.status != 200 || !strings.HasPrefix(r.header.Get("Content-Type"), "text/calendar") {
			t.Fatalf("GET: %d %v", r.status, r.header)
		}
		cals, err := icalendar.ParseAll([]byte(r.body))
		if err != nil || len(cals) != 1 || len(cals[0].Children) != 4 || strings.Count(r.body, "BEGIN:VTIMEZONE") != 1 {
			t.Fatalf("export: %v\n%s", err, r.body)
		}
		etag := r.header.Get("ETag")
		if c := srv.do(t, "alice", "GET", "/dav/calendars/alice/work/", "", "If-None-Match", etag); c.status != http.StatusNotModified || c.body != "" {
			t.Errorf("If-None-Match: %d", c.status)
		}
		if c := srv.do(t, "alice", "GET", "/dav/calendars/alice/work/", "", "If-Modified-Since", r.header.Get("Last-Modified")); c.status != http.StatusNotModified {
			t.Errorf("If-Modified-Since: %d", c.status)
		}
		srv.do(t, "alice", "DELETE", "/dav/calendars/alice/work/c.ics", "")
		if c := srv.do(t, "alice", "GET", "/dav/calendars/alice/work/", "", "If-None-Match", etag); c.status != 200 || strings.Count(c.body, "BEGIN:VEVENT") != 2 {
			t.Errorf("after a change: %d", c.status)
		}
		if c := srv.do(t, "bob", "GET", "/dav/calendars/alice/work/", ""); c.status != http.StatusNotFound {
			t.Errorf("another user: %d", c.status)
		}
		req, _ := http.NewRequest("GET", srv.URL+"/dav/calendars/alice/work/", nil)
		req.SetBasicAuth("alice", password("alice"))
		req.Header.Set("Accept-Encoding", "gzip")
		resp, err := http.DefaultTransport.RoundTrip(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		zr, err := gzip.NewReader(resp.Body)
		if err != nil || resp.Header.Get("Content-Encoding") != "gzip" {
			t.Fatalf("gzip: %v %v", err, resp.Header)
		}
		if b, _ := io.ReadAll(zr); !strings.HasSuffix(string(b), "END:VCALENDAR\r\n") {
			t.Errorf("gzipped export: %q", b)
		}
	})
}

func TestReadOnlyCalendar(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		srv := newServer(t, st, calendar.Limits{})
		ctx := context.Background()
		alice, _ := st.GetUserByName(ctx, "alice")
		cal := &store.Calendar{OwnerID: alice.ID, Name: "holidays", DisplayName: "Holidays", Source: store.SourceICS, Components: []string{"VEVENT"}}
		if err := st.CreateSourceCalendar(ctx, cal, &store.Source{Kind: store.SourceICS, URL: "https://example.com/h.ics", RefreshEvery: time.Hour}); err != nil {
			t.Fatal(err)
		}
		data := strings.NewReplacer("%s", "h1").Replace(berlinEvent)
		if _, err := srv.cals.SyncSource(ctx, cal, []calendar.BatchItem{{Data: []byte(data), Name: "h1.ics"}}, calendar.SyncOptions{Replace: true}); err != nil {
			t.Fatal(err)
		}
		if r := srv.do(t, "alice", "GET", "/dav/calendars/alice/holidays/h1.ics", ""); r.status != 200 {
			t.Fatalf("GET: %d", r.status)
		}
		for _, m := range []struct{ method, path string }{
			{"PUT", "/dav/calendars/alice/holidays/h1.ics"}, {"PUT", "/dav/calendars/alice/holidays/new.ics"},
			{"DELETE", "/dav/calendars/alice/holidays/h1.ics"},
		} {
			r := srv.do(t, "alice", m.method, m.path, data, "Content-Type", "text/calendar")
			if r.status != http.StatusForbidden || !strings.Contains(r.body, "<D:need-privileges><D:resource><D:href>"+m.path) {
				t.Errorf("%s %s: %d %s", m.method, m.path, r.status, r.body)
			}
		}
		r := srv.do(t, "alice", "PROPFIND", "/dav/calendars/alice/holidays/", `<propfind xmlns="DAV:"><prop><current-user-privilege-set/></prop></propfind>`, "Depth", "0")
		if strings.Contains(r.body, "write-content") || strings.Contains(r.body, "<D:bind/>") || !strings.Contains(r.body, "write-properties") {
			t.Errorf("privileges of a read-only calendar: %s", r.body)
		}
		if r := srv.do(t, "alice", "PROPPATCH", "/dav/calendars/alice/holidays/", `<propertyupdate xmlns="DAV:"><set><prop><displayname>Feiertage</displayname></prop></set></propertyupdate>`); r.status != 207 || !strings.Contains(r.body, "200 OK") {
			t.Errorf("renaming a read-only calendar: %d %s", r.status, r.body)
		}
	})
}
