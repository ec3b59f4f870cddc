package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"flag"
	"fmt"
	mrand "math/rand/v2"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/almanac/almanac/account"
	"github.com/almanac/almanac/calendar"
	"github.com/almanac/almanac/jsonapi"
	"github.com/almanac/almanac/store"
)

// benchSearch measures GET /api/v1/events?q= on a calendar of n events
// (50,000 by default), through the JSON API in process: authentication,
// the user's calendars, the index lookup, reading and parsing the events
// found and choosing each one's next instance. The events have titles,
// places, descriptions and guests drawn from small vocabularies, so that
// some words are common (a tenth of the events), some rare, and the
// searches range from a handful of results to the full page of 50.
func benchSearch(args []string) error {
	fs := flag.NewFlagSet("search", flag.ContinueOnError)
	n := fs.Int("n", 50000, "events in the calendar")
	queries := fs.Int("queries", 200, "searches of each kind")
	if err := fs.Parse(args); err != nil {
		return err
	}
	fmt.Printf("Searches (GET /api/v1/events?q=) over a calendar of %d events, %d of each kind, %s\n\n",
		*n, *queries, time.Now().UTC().Format("2006-01-02"))
	fmt.Println("| store | search | example | results | p50 | p99 |")
	fmt.Println("|---|---|---|---:|---:|---:|")
	dir, err := os.MkdirTemp("", "almanac-bench")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	type backend struct{ name, url, schema string }
	backends := []backend{{"SQLite", filepath.Join(dir, "search.db"), ""}}
	if u := os.Getenv("ALMANAC_TEST_DATABASE_URL"); u != "" {
		var b [4]byte
		_, _ = rand.Read(b[:])
		backends = append(backends, backend{"PostgreSQL", u, "bench_" + hex.EncodeToString(b[:])})
	}
	ctx := context.Background()
	for _, be := range backends {
		st, err := store.Open(ctx, be.url, store.Options{Schema: be.schema})
		if err != nil {
			return err
		}
		err = searchStore(ctx, st, be.name, dir, *n, *queries)
		st.Close()
		if be.schema != "" {
			_ = store.DropSchema(ctx, be.url, be.schema)
		}
		if err != nil {
			return err
		}
	}
	return nil
}

var (
	searchTitles = []string{"Team sync", "Planning", "Budget review", "Dentist", "Lunch", "Offsite", "Design review",
		"Interview", "Quarterly report", "Standup", "Retrospective", "Customer call", "Workshop", "Training", "Yoga",
		"Board meeting", "Sprint demo", "Coffee", "Hiring committee", "Release"}
	searchPlaces = []string{"Room 1", "Room 2", "Room 4b", "Main hall", "Café Central", "Online", "Garden", "Library"}
	searchWords  = strings.Fields("agenda notes budget slides figures draft contract roadmap feedback goals " +
		"metrics launch hiring travel invoice report summary vendor pricing security privacy backlog release " +
		"quarter forecast design prototype research survey onboarding policy compliance audit migration")
	searchPeople = strings.Fields("alice bob carol dave erin frank grace heidi ivan judy mallory niaj olivia peggy rupert " +
		"sybil trent victor walter yolanda zoe")
)

func searchStore(ctx context.Context, st *store.Store, name, dir string, n, queries int) error {
	now := time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)
	st.SetClock(func() time.Time { return now })
	svc := calendar.New(st, calendar.Options{Now: func() time.Time { return now }})
	acc := account.New(st, account.Options{AllowRegistration: true})
	mux := http.NewServeMux()
	mux.Handle("/api/v1/", http.StripPrefix("/api/v1", jsonapi.New(acc, svc, jsonapi.Options{}).Routes()))
	srv := httptest.NewServer(mux)
	defer srv.Close()
	call := func(method, path, token string, body any) (map[string]any, error) {
		var rd *bytes.Reader
		if body != nil {
			b, _ := json.Marshal(body)
			rd = bytes.NewReader(b)
		} else {
			rd = bytes.NewReader(nil)
		}
		req, _ := http.NewRequest(method, srv.URL+"/api/v1"+path, rd)
		req.Header.Set("Content-Type", "application/json")
		if token != "" {
			req.Header.Set("Authorization", "Bearer "+token)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			return nil, err
		}
		defer resp.Body.Close()
		var out map[string]any
		if err := json.NewDecoder(resp.Body).Decode(&out); err != nil {
			return nil, err
		}
		if resp.StatusCode >= 300 {
			return nil, fmt.Errorf("%s %s: %d %v", method, path, resp.StatusCode, out)
		}
		return out, nil
	}
	if _, err := call("POST", "/users/register", "", map[string]string{"name": "search", "email": "search@bench.invalid",
		"password": "search bench password"}); err != nil {
		return err
	}
	login, err := call("POST", "/users/login", "", map[string]string{"login": "search", "password": "search bench password"})
	if err != nil {
		return err
	}
	token := login["token"].(string)
	u, err := st.GetUserByName(ctx, "search")
	if err != nil {
		return err
	}
	cal := &store.Calendar{Name: "big", DisplayName: "Big", TimeZone: "Europe/Berlin"}
	if err := svc.CreateCalendar(ctx, u, cal); err != nil {
		return err
	}
	path := filepath.Join(dir, name+".ics")
	if err := os.WriteFile(path, searchCalendar(n, now), 0o600); err != nil {
		return err
	}
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	info, _ := f.Stat()
	t0 := time.Now()
	rep, err := svc.Import(ctx, u, cal, f, info.Size(), calendar.ImportOptions{})
	if err != nil {
		return err
	}
	if rep.Created != n {
		return fmt.Errorf("imported %d of %d events: %+v", rep.Created, n, rep.Errors)
	}
	if err := st.Settle(ctx); err != nil {
		return err
	}
	fmt.Fprintf(os.Stderr, "%s: loaded %d events in %s\n", name, n, time.Since(t0).Round(time.Millisecond))
	rnd := mrand.New(mrand.NewPCG(3, 3))
	kinds := []struct {
		name string
		q    func() string
	}{
		{"a common word (a title)", func() string { return searchTitles[rnd.IntN(len(searchTitles))] }},
		{"a guest's name", func() string { return searchPeople[rnd.IntN(len(searchPeople))] }},
		{"two words", func() string {
			return searchWords[rnd.IntN(len(searchWords))] + " " + searchPeople[rnd.IntN(len(searchPeople))]
		}},
		{"a prefix of two letters", func() string { return searchWords[rnd.IntN(len(searchWords))][:2] }},
		{"a word no event has", func() string { return fmt.Sprintf("zebra%d", rnd.IntN(1000)) }},
	}
	for _, k := range kinds {
		var lat latencies
		results := 0
		example := ""
		for i := range queries {
			q := k.q()
			if i == 0 {
				example = q
			}
			t1 := time.Now()
			out, err := call("GET", "/events?q="+url.QueryEscape(q), token, nil)
			lat = append(lat, time.Since(t1))
			if err != nil {
				return err
			}
			results += len(out["items"].([]any))
		}
		fmt.Printf("| %s | %s | %s | %d | %s | %s |\n", name, k.name, example, results/queries, ms(lat.quantile(0.5)), ms(lat.quantile(0.99)))
	}
	return nil
}

// searchCalendar is an export of n events over the ten years before and
// the two after now, a fifth of them weekly series of a year.
func searchCalendar(n int, now time.Time) []byte {
	rnd := mrand.New(mrand.NewPCG(11, 11))
	var b bytes.Buffer
	b.WriteString("BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//bench//EN\r\n")
	const f = "20060102T150405Z"
	for i := range n {
		day := now.AddDate(0, 0, rnd.IntN(12*365)-10*365)
		start := day.Add(time.Duration(8+rnd.IntN(9)) * time.Hour)
		fmt.Fprintf(&b, "BEGIN:VEVENT\r\nUID:search-%d\r\nDTSTAMP:20260101T000000Z\r\nDTSTART:%s\r\nDTEND:%s\r\n",
			i, start.Format(f), start.Add(time.Hour).Format(f))
		if i%5 == 0 {
			b.WriteString("RRULE:FREQ=WEEKLY;COUNT=52\r\n")
		}
		fmt.Fprintf(&b, "SUMMARY:%s\r\nLOCATION:%s\r\nDESCRIPTION:", searchTitles[rnd.IntN(len(searchTitles))], searchPlaces[rnd.IntN(len(searchPlaces))])
		for j := range 12 {
			if j > 0 {
				b.WriteByte(' ')
			}
			b.WriteString(searchWords[rnd.IntN(len(searchWords))])
		}
		b.WriteString("\r\n")
		for range 1 + rnd.IntN(3) {
			p := searchPeople[rnd.IntN(len(searchPeople))]
			fmt.Fprintf(&b, "ATTENDEE;CN=%s:mailto:%s@example.com\r\n", strings.ToUpper(p[:1])+p[1:], p)
		}
		b.WriteString("END:VEVENT\r\n")
	}
	b.WriteString("END:VCALENDAR\r\n")
	return b.Bytes()
}
