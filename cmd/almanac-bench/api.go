package main

import (
	"bytes"
	"context"
	"flag"
	"fmt"
	mrand "math/rand/v2"
	"net/http"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/almanac/almanac/client"
	"github.com/almanac/almanac/jsonapi"
	"github.com/almanac/almanac/store"
)

// benchAPI measures the JSON API of a running server over HTTP: it loads
// one user's calendars with events through POST /events (timing each
// create), then times month and year views one request at a time, and
// counts month views per second from several clients at once.
func benchAPI(args []string) error {
	fs := flag.NewFlagSet("api", flag.ContinueOnError)
	url := fs.String("url", "http://127.0.0.1:8080", "server (registration must be open)")
	label := fs.String("label", "server", "what to call the server in the table, e.g. SQLite")
	events := fs.Int("events", 5000, "events to create, a fifth of them recurring")
	cals := fs.Int("calendars", 3, "calendars to spread them over")
	views := fs.Int("views", 1000, "timed requests per view type")
	clients := fs.Int("clients", 8, "concurrent clients for the throughput run")
	seconds := fs.Int("seconds", 10, "length of the throughput run")
	vacuum := fs.String("vacuum", "", "PostgreSQL URL of the server's database, vacuumed and analysed during and after loading: what autovacuum does where it is on")
	if err := fs.Parse(args); err != nil {
		return err
	}
	ctx := context.Background()
	hc := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: *clients + 4}}
	name := "api" + strconv.FormatInt(time.Now().UnixNano()%1e9, 36)
	c, err := signUp(ctx, hc, *url, name)
	if err != nil {
		return err
	}
	tz := "Europe/Berlin"
	me, err := c.Me(ctx)
	if err != nil {
		return err
	}
	if _, err := c.Do(ctx, "PATCH", "/users/"+me.ID, jsonapi.UserUpdate{TimeZone: &tz}, nil); err != nil {
		return err
	}
	calIDs := make([]string, *cals)
	for i := range calIDs {
		cal, err := c.CreateCalendar(ctx, jsonapi.CalendarRequest{DisplayName: ptr(fmt.Sprint("Bench ", i)), Color: ptr("#3366ff")})
		if err != nil {
			return err
		}
		calIDs[i] = cal.ID
	}
	first := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	rnd := mrand.New(mrand.NewPCG(7, 7))
	create := make(latencies, *events)
	for i := range *events {
		in := apiEvent(i, calIDs[i%len(calIDs)], first.AddDate(0, 0, rnd.IntN(730)), rnd)
		t0 := time.Now()
		if _, err := c.CreateEvent(ctx, in); err != nil {
			return fmt.Errorf("event %d: %w", i, err)
		}
		create[i] = time.Since(t0)
		// Analyse as autovacuum would while the tables grow: without
		// statistics PostgreSQL keeps the plans it made for empty tables.
		if *vacuum != "" && (i+1 == 500 || (i+1)%2500 == 0) {
			if err := vacuumAnalyze(ctx, *vacuum); err != nil {
				return err
			}
		}
	}
	if *vacuum != "" {
		if err := vacuumAnalyze(ctx, *vacuum); err != nil {
			return err
		}
	}
	month, monthN, monthFirst, err := timeViews(ctx, c, calIDs, "month", *views, rnd)
	if err != nil {
		return err
	}
	year, yearN, yearFirst, err := timeViews(ctx, c, calIDs, "year", *views, rnd)
	if err != nil {
		return err
	}
	rps, err := viewThroughput(ctx, c, calIDs, *clients, time.Duration(*seconds)*time.Second)
	if err != nil {
		return err
	}
	fmt.Printf("| %s | %d | %s | %s | %d | %s | %s | %d | %s | %s | %.0f |\n", *label, *events,
		ms(create.quantile(0.5)), ms(create.quantile(0.99)),
		monthN, ms(month.quantile(0.5)), ms(month.quantile(0.99)),
		yearN, ms(year.quantile(0.5)), ms(year.quantile(0.99)), rps)
	fmt.Printf("\nFirst request of each calendar's period (the rest may come from a cache): month ×%d p50 %s, p90 %s, max %s; year ×%d p50 %s, max %s\n",
		len(monthFirst), ms(monthFirst.quantile(0.5)), ms(monthFirst.quantile(0.9)), ms(monthFirst.quantile(1)),
		len(yearFirst), ms(yearFirst.quantile(0.5)), ms(yearFirst.quantile(1)))
	fmt.Printf("\nwrk -t2 -c%d -d20s -H 'Authorization: Bearer %s' '%s/api/v1/calendars/%s/view?view_type=month&date=2026-06-15'\n",
		*clients, c.Token(), *url, calIDs[0])
	return nil
}

// apiEvent is an hour at office hours on day in Berlin; every fifth event
// recurs with one of the rules of the index benchmark.
func apiEvent(i int, cal string, day time.Time, rnd *mrand.Rand) jsonapi.EventRequest {
	start := day.Add(time.Duration([]int{8, 9, 10, 13, 15}[rnd.IntN(5)]) * time.Hour)
	at := func(t time.Time) *jsonapi.EventTime {
		return &jsonapi.EventTime{DateTime: t.Format("2006-01-02T15:04:05"), TimeZone: "Europe/Berlin"}
	}
	in := jsonapi.EventRequest{CalendarID: &cal, Title: ptr(fmt.Sprint("Event ", i)), Start: at(start), End: at(start.Add(time.Hour))}
	if i%3 == 0 {
		in.Location = ptr(fmt.Sprint("Room ", i%40))
	}
	if i%5 == 0 {
		rule := []string{"FREQ=WEEKLY;COUNT=52", "FREQ=DAILY;COUNT=30", "FREQ=MONTHLY;COUNT=24",
			"FREQ=WEEKLY;BYDAY=MO,WE,FR;COUNT=60", "FREQ=WEEKLY"}[rnd.IntN(5)]
		in.Recurrence = &[]string{"RRULE:" + rule}
	}
	return in
}

// viewPath is a view's URL. The load generator reads the answer without
// decoding it, as wrk does, so that the figures are the server's.
func viewPath(cal, kind, day string) string {
	return "/calendars/" + cal + "/view?view_type=" + kind + "&date=" + day
}

// timeViews times n views of a random calendar around a random day of the
// two loaded years, and returns the average number of instances drawn and,
// apart, the latencies of the first request for each calendar's period.
func timeViews(ctx context.Context, c *client.Client, cals []string, kind string, n int, rnd *mrand.Rand) (all latencies, avg int, first latencies, err error) {
	all = make(latencies, n)
	seen := map[string]bool{}
	total := 0
	for i := range n {
		day := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC).AddDate(0, 0, rnd.IntN(730)).Format("2006-01-02")
		cal := cals[rnd.IntN(len(cals))]
		t0 := time.Now()
		body, err := c.GetRaw(ctx, viewPath(cal, kind, day))
		all[i] = time.Since(t0)
		if err != nil {
			return nil, 0, nil, err
		}
		period := cal + day[:7]
		if kind == "year" {
			period = cal + day[:4]
		}
		if !seen[period] {
			seen[period] = true
			first = append(first, all[i])
		}
		total += bytes.Count(body, []byte(`"start_utc"`))
	}
	return all, total / n, first, nil
}

// viewThroughput counts the month views clients complete in d.
func viewThroughput(ctx context.Context, c *client.Client, cals []string, clients int, d time.Duration) (float64, error) {
	var done atomic.Int64
	var failed atomic.Value
	deadline := time.Now().Add(d)
	var wg sync.WaitGroup
	for w := range clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			rnd := mrand.New(mrand.NewPCG(uint64(w), 1))
			for time.Now().Before(deadline) {
				day := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC).AddDate(0, 0, rnd.IntN(730)).Format("2006-01-02")
				if _, err := c.GetRaw(ctx, viewPath(cals[rnd.IntN(len(cals))], "month", day)); err != nil {
					failed.Store(err)
					return
				}
				done.Add(1)
			}
		}()
	}
	wg.Wait()
	if err, ok := failed.Load().(error); ok {
		return 0, err
	}
	return float64(done.Load()) / d.Seconds(), nil
}

// vacuumAnalyze vacuums and analyses the database at url (store.Settle,
// from outside the server).
func vacuumAnalyze(ctx context.Context, url string) error {
	st, err := store.Open(ctx, url, store.Options{MaxConns: 1})
	if err != nil {
		return fmt.Errorf("vacuum: %w", err)
	}
	defer st.Close()
	if err := st.Settle(ctx); err != nil {
		return fmt.Errorf("vacuum: %w", err)
	}
	return nil
}
