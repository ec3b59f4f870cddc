package caldav_test

import (
	"context"
	"fmt"
	"io"
	"math/rand"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/almanac/almanac/calendar"
	"github.com/almanac/almanac/store"
	"github.com/almanac/almanac/store/storetest"
)

// benchEvent is the generator of ../shared/peers/side_by_side.py: events
// over two years, every fifth one recurring.
func benchEvent(i int, rnd *rand.Rand) string {
	day := rnd.Intn(730)
	hours := []int{8, 9, 10, 13, 15}
	start := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC).AddDate(0, 0, day).Add(time.Duration(hours[rnd.Intn(len(hours))]) * time.Hour)
	rr := ""
	if i%5 == 0 {
		rules := []string{"FREQ=WEEKLY;COUNT=52", "FREQ=DAILY;COUNT=30", "FREQ=MONTHLY;COUNT=24", "FREQ=WEEKLY;BYDAY=MO,WE,FR;COUNT=60", "FREQ=WEEKLY"}
		rr = "RRULE:" + rules[rnd.Intn(len(rules))] + "\r\n"
	}
	return fmt.Sprintf("BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//bench//EN\r\nBEGIN:VEVENT\r\nUID:bench-%d@example.test\r\n"+
		"DTSTAMP:20260101T000000Z\r\nDTSTART:%s\r\nDTEND:%s\r\n%sSUMMARY:Event %d planning meeting\r\nLOCATION:Room %d\r\n"+
		"DESCRIPTION:Generated event number %d\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n",
		i, start.Format("20060102T150405Z"), start.Add(time.Hour).Format("20060102T150405Z"), rr, i, i%40, i)
}

// loadCalendar makes alice's calendar "bench" with n generated events
// and settles the store.
func loadCalendar(b *testing.B, srv *testServer, n int) *store.Calendar {
	ctx := context.Background()
	u, _ := srv.st.GetUserByName(ctx, "alice")
	cal := &store.Calendar{Name: "bench"}
	if err := srv.cals.CreateCalendar(ctx, u, cal); err != nil {
		b.Fatal(err)
	}
	rnd := rand.New(rand.NewSource(42))
	for i := 0; i < n; i++ {
		if _, err := srv.cals.PutObject(ctx, u, cal, fmt.Sprintf("bench-%d.ics", i), []byte(benchEvent(i, rnd)), store.Conditions{}); err != nil {
			b.Fatal(err)
		}
	}
	if err := srv.st.Settle(ctx); err != nil { // as autovacuum would have
		b.Fatal(err)
	}
	return cal
}

const monthQuery = `<?xml version="1.0" encoding="utf-8"?>
<C:calendar-query xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:ns:caldav">
  <D:prop><D:getetag/><C:calendar-data/></D:prop>
  <C:filter><C:comp-filter name="VCALENDAR"><C:comp-filter name="VEVENT">
    <C:time-range start="20260601T000000Z" end="20260701T000000Z"/>
  </C:comp-filter></C:comp-filter></C:filter>
</C:calendar-query>`

func benchRequest(b *testing.B, srv *testServer, method, path, body string, want int, hdr ...string) {
	req, _ := http.NewRequest(method, srv.URL+path, strings.NewReader(body))
	req.SetBasicAuth("alice", password("alice"))
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		b.Fatal(err)
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	if resp.StatusCode != want {
		b.Fatalf("%s %s: %d", method, path, resp.StatusCode)
	}
}

func eachStore(b *testing.B, fn func(b *testing.B, st *store.Store)) {
	b.Run("sqlite", func(b *testing.B) { fn(b, storetest.SQLite(b)) })
	b.Run("postgres", func(b *testing.B) { fn(b, storetest.Postgres(b)) })
}

// BenchmarkMonthQuery is the side-by-side benchmark's REPORT: one month of a
// 5,000-event calendar with calendar-data.
func BenchmarkMonthQuery(b *testing.B) {
	eachStore(b, func(b *testing.B, st *store.Store) {
		srv := newServer(b, st, calendar.Limits{})
		loadCalendar(b, srv, 5000)
		b.ResetTimer()
		for i := 0; i < b.N; i++ {
			benchRequest(b, srv, "REPORT", "/dav/calendars/alice/bench/", monthQuery, http.StatusMultiStatus, "Depth", "1")
		}
	})
}

// BenchmarkSyncOneChange asks a 10,000-object calendar for the one change
// since the last sync.
func BenchmarkSyncOneChange(b *testing.B) {
	eachStore(b, func(b *testing.B, st *store.Store) {
		srv := newServer(b, st, calendar.Limits{})
		cal := loadCalendar(b, srv, 10_000)
		ctx := context.Background()
		u, _ := st.GetUserByName(ctx, "alice")
		c, _ := st.GetCalendar(ctx, cal.ID)
		token := fmt.Sprintf("https://almanac.invalid/sync/%s/%d", c.UUID, c.Revision)
		if _, err := srv.cals.PutObject(ctx, u, c, "bench-1.ics", []byte(benchEvent(1, rand.New(rand.NewSource(1)))), store.Conditions{}); err != nil {
			b.Fatal(err)
		}
		body := `<D:sync-collection xmlns:D="DAV:"><D:sync-token>` + token + `</D:sync-token><D:sync-level>1</D:sync-level><D:prop><D:getetag/></D:prop></D:sync-collection>`
		b.ResetTimer()
		for i := 0; i < b.N; i++ {
			benchRequest(b, srv, "REPORT", "/dav/calendars/alice/bench/", body, http.StatusMultiStatus, "Depth", "1")
		}
	})
}

// BenchmarkCTag is the poll of an unchanged calendar: PROPFIND of getctag
// and sync-token.
func BenchmarkCTag(b *testing.B) {
	eachStore(b, func(b *testing.B, st *store.Store) {
		srv := newServer(b, st, calendar.Limits{})
		loadCalendar(b, srv, 100)
		body := `<D:propfind xmlns:D="DAV:" xmlns:CS="http://calendarserver.org/ns/"><D:prop><CS:getctag/><D:sync-token/></D:prop></D:propfind>`
		b.ResetTimer()
		for i := 0; i < b.N; i++ {
			benchRequest(b, srv, "PROPFIND", "/dav/calendars/alice/bench/", body, http.StatusMultiStatus, "Depth", "0")
		}
	})
}
