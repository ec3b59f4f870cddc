package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"flag"
	"fmt"
	mrand "math/rand/v2"
	"os"
	"path/filepath"
	"time"

	"github.com/almanac/almanac/calendar"
	"github.com/almanac/almanac/store"
)

// benchIndex measures month-window queries on the time-range index: a
// calendar of n events, a fifth of them recurring, queried for random
// months, at two sizes (a calendar each). The larger spans proportionally more
// years at the same density (ten times the history, as a calendar grows in
// real life), so equal answers at both sizes show that the cost follows
// the answer, not the calendar.
func benchIndex(args []string) error {
	fs := flag.NewFlagSet("index", flag.ContinueOnError)
	sizes := []int{5000, 50000}
	queries := fs.Int("queries", 2000, "month queries per size")
	if err := fs.Parse(args); err != nil {
		return err
	}
	fmt.Printf("Month-window instance queries (index + on-the-fly past the horizon), %d per size, %s\n\n",
		*queries, time.Now().UTC().Format("2006-01-02"))
	fmt.Println("| store | events | query | answer size | p50 | p99 |")
	fmt.Println("|---|---:|---|---:|---:|---:|")
	dir, err := os.MkdirTemp("", "almanac-bench")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	type backend struct{ name, url, schema string }
	backends := []backend{{"SQLite", filepath.Join(dir, "index.db"), ""}}
	if url := os.Getenv("ALMANAC_TEST_DATABASE_URL"); url != "" {
		var b [4]byte
		_, _ = rand.Read(b[:])
		backends = append(backends, backend{"PostgreSQL", url, "bench_" + hex.EncodeToString(b[:])})
	}
	ctx := context.Background()
	for _, be := range backends {
		st, err := store.Open(ctx, be.url, store.Options{Schema: be.schema})
		if err != nil {
			return err
		}
		err = indexSizes(ctx, st, be.name, sizes, *queries)
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

// indexSizes loads one calendar per size, then queries them in turn, one
// query on each before the next, so that whatever else the machine does
// weighs on every size alike. The store is settled after loading
// (PostgreSQL vacuumed, as autovacuum would do).
func indexSizes(ctx context.Context, st *store.Store, name string, sizes []int, queries int) error {
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	svc := calendar.New(st, calendar.Options{Now: func() time.Time { return now }})
	u := &store.User{Name: "index-bench", Email: "index-bench@bench.invalid"}
	if err := st.CreateUser(ctx, u); err != nil {
		return err
	}
	cals := make([]*store.Calendar, len(sizes))
	for i, n := range sizes {
		cals[i] = &store.Calendar{Name: fmt.Sprint("cal", n), DisplayName: "Bench", TimeZone: "Europe/Berlin"}
		if err := svc.CreateCalendar(ctx, u, cals[i]); err != nil {
			return err
		}
		if err := loadIndexCalendar(ctx, svc, u, cals[i], n, sizes[0], now); err != nil {
			return err
		}
	}
	if err := st.Settle(ctx); err != nil {
		return err
	}
	for _, q := range []struct {
		name string
		run  func(cal *store.Calendar, from, to time.Time) (int, error)
	}{
		{"objects overlapping (calendar-query)", func(cal *store.Calendar, from, to time.Time) (int, error) {
			ids, err := svc.ObjectsOverlapping(ctx, u, cal, from, to, nil)
			return len(ids), err
		}},
		{"instances (views)", func(cal *store.Calendar, from, to time.Time) (int, error) {
			list, err := svc.Instances(ctx, u, cal, from, to, nil)
			return len(list), err
		}},
	} {
		lat := make([]latencies, len(sizes))
		total := make([]int, len(sizes))
		months := mrand.New(mrand.NewPCG(7, 7)) // the same months at every size
		for range queries {
			from := now.AddDate(0, months.IntN(23), 0)
			for i, cal := range cals {
				t0 := time.Now()
				got, err := q.run(cal, from, from.AddDate(0, 1, 0))
				lat[i] = append(lat[i], time.Since(t0))
				if err != nil {
					return err
				}
				total[i] += got
			}
		}
		for i, n := range sizes {
			fmt.Printf("| %s | %d | %s | %d | %s | %s |\n", name, n, q.name, total[i]/queries, ms(lat[i].quantile(0.5)), ms(lat[i].quantile(0.99)))
		}
	}
	return nil
}

// loadIndexCalendar writes n events into cal. The first base events fill
// the two years queried, [now, now+2y), the same in every calendar; the
// rest go into the years before at the same density (5,000 in two years,
// 50,000 in twenty), as history does, leaving four years between so that
// their series have ended: 24 monthly instances from a 31st take more
// than three years, as months without a 31st have none (RFC 5545
// §3.3.10).
func loadIndexCalendar(ctx context.Context, svc *calendar.Service, u *store.User, cal *store.Calendar, n, base int, now time.Time) error {
	rnd := mrand.New(mrand.NewPCG(42, 42))
	for i := range n {
		day := now.AddDate(0, 0, rnd.IntN(730))
		if i >= base {
			history := 730*n/base - 730
			day = now.AddDate(-4, 0, -history+rnd.IntN(history))
		}
		if _, err := svc.PutObject(ctx, u, cal, fmt.Sprintf("e%d.ics", i), benchEvent(i, day, rnd), store.Conditions{}); err != nil {
			return err
		}
		// What autovacuum does as a table grows: without fresh
		// statistics, PostgreSQL keeps the plans it made for the empty
		// tables, sequential scans, for every later write.
		if i+1 == 500 || (i+1)%base == 0 {
			if err := svc.Store().Settle(ctx); err != nil {
				return err
			}
		}
	}
	return nil
}

// benchEvent is an event on day at office hours; every fifth one recurs
// with one of the rules of the side-by-side benchmark, except that its
// endless weekly rule ends after 100 weeks here: endless series pile up
// over the years, and the comparison is between equal answers.
func benchEvent(i int, day time.Time, rnd *mrand.Rand) []byte {
	start := day.Add(time.Duration([]int{8, 9, 10, 13, 15}[rnd.IntN(5)]) * time.Hour)
	rule := ""
	if i%5 == 0 {
		rule = "RRULE:" + []string{"FREQ=WEEKLY;COUNT=52", "FREQ=DAILY;COUNT=30", "FREQ=MONTHLY;COUNT=24",
			"FREQ=WEEKLY;BYDAY=MO,WE,FR;COUNT=60", "FREQ=WEEKLY;COUNT=100"}[rnd.IntN(5)] + "\r\n"
	}
	f := "20060102T150405Z"
	return []byte(fmt.Sprintf("BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//bench//EN\r\nBEGIN:VEVENT\r\nUID:bench-%d\r\n"+
		"DTSTAMP:20260101T000000Z\r\nDTSTART:%s\r\nDTEND:%s\r\n%sSUMMARY:Event %d\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n",
		i, start.Format(f), start.Add(time.Hour).Format(f), rule, i))
}
