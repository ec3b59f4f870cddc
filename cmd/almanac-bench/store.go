package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"sync"
	"time"

	"github.com/almanac/almanac/store"
)

func benchStore(args []string) error {
	fs := flag.NewFlagSet("store", flag.ContinueOnError)
	n := fs.Int("n", 3000, "objects written per run")
	writers := fs.Int("writers", 8, "concurrent writers in the concurrent run (each to its own calendar)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	fmt.Printf("Single-object writes (object + index row + change log, one transaction), %d per run, GOMAXPROCS=%d, %s\n\n",
		*n, runtime.GOMAXPROCS(0), time.Now().UTC().Format("2006-01-02"))
	fmt.Println("| store | writers | writes/s | p50 | p99 |")
	fmt.Println("|---|---:|---:|---:|---:|")
	ctx := context.Background()
	dir, err := os.MkdirTemp("", "almanac-bench")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	backends := []struct{ name, url, schema string }{{"SQLite", filepath.Join(dir, "bench.db"), ""}}
	if url := os.Getenv("ALMANAC_TEST_DATABASE_URL"); url != "" {
		var b [4]byte
		_, _ = rand.Read(b[:])
		backends = append(backends, struct{ name, url, schema string }{"PostgreSQL", url, "bench_" + hex.EncodeToString(b[:])})
	}
	for _, be := range backends {
		st, err := store.Open(ctx, be.url, store.Options{Schema: be.schema, MaxConns: *writers + 2})
		if err != nil {
			return err
		}
		for _, w := range []int{1, *writers} {
			rate, lat, err := writeObjects(ctx, st, *n, w)
			if err != nil {
				st.Close()
				return err
			}
			fmt.Printf("| %s | %d | %.0f | %s | %s |\n", be.name, w, rate, ms(lat.quantile(0.5)), ms(lat.quantile(0.99)))
		}
		st.Close()
		if be.schema != "" {
			_ = store.DropSchema(ctx, be.url, be.schema)
		}
	}
	return nil
}

// writeObjects writes n new objects from w goroutines, each into its own
// calendar, and returns the throughput and every write's latency.
func writeObjects(ctx context.Context, st *store.Store, n, w int) (float64, latencies, error) {
	var b [4]byte
	_, _ = rand.Read(b[:])
	u := &store.User{Name: "bench" + hex.EncodeToString(b[:]), Email: hex.EncodeToString(b[:]) + "@bench.invalid"}
	if err := st.CreateUser(ctx, u); err != nil {
		return 0, nil, err
	}
	cals := make([]*store.Calendar, w)
	for i := range cals {
		cals[i] = &store.Calendar{OwnerID: u.ID, Name: fmt.Sprintf("c%d", i)}
		if err := st.CreateCalendar(ctx, cals[i]); err != nil {
			return 0, nil, err
		}
	}
	lat := make(latencies, n)
	var wg sync.WaitGroup
	errs := make(chan error, w)
	start := time.Now()
	for g := range w {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := g; i < n; i += w {
				uid := fmt.Sprintf("%s-%d", u.Name, i)
				t0 := time.Now()
				day := int64(i%365) * 86400e6
				_, err := st.PutObject(ctx, cals[g].ID, &store.ObjectWrite{
					Name: uid + ".ics", UID: uid, Component: "VEVENT", Data: sampleEvent(uid),
					Instances:    []store.Instance{{Start: 1767225600e6 + day, End: 1767229200e6 + day}},
					IndexedUntil: store.Forever,
				}, store.Conditions{IfNoneMatch: true})
				lat[i] = time.Since(t0)
				if err != nil {
					errs <- err
					return
				}
			}
		}()
	}
	wg.Wait()
	elapsed := time.Since(start)
	close(errs)
	if err := <-errs; err != nil {
		return 0, nil, err
	}
	return float64(n) / elapsed.Seconds(), lat, nil
}

// sampleEvent is a typical client-written event of about 900 bytes.
func sampleEvent(uid string) []byte {
	return []byte("BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//Almanac//bench//EN\r\n" +
		"BEGIN:VTIMEZONE\r\nTZID:Europe/Berlin\r\nBEGIN:DAYLIGHT\r\nTZOFFSETFROM:+0100\r\nTZOFFSETTO:+0200\r\n" +
		"TZNAME:CEST\r\nDTSTART:19700329T020000\r\nRRULE:FREQ=YEARLY;BYMONTH=3;BYDAY=-1SU\r\nEND:DAYLIGHT\r\n" +
		"BEGIN:STANDARD\r\nTZOFFSETFROM:+0200\r\nTZOFFSETTO:+0100\r\nTZNAME:CET\r\nDTSTART:19701025T030000\r\n" +
		"RRULE:FREQ=YEARLY;BYMONTH=10;BYDAY=-1SU\r\nEND:STANDARD\r\nEND:VTIMEZONE\r\n" +
		"BEGIN:VEVENT\r\nUID:" + uid + "\r\nDTSTAMP:20260101T120000Z\r\nCREATED:20260101T120000Z\r\n" +
		"LAST-MODIFIED:20260101T120000Z\r\nDTSTART;TZID=Europe/Berlin:20260105T100000\r\n" +
		"DTEND;TZID=Europe/Berlin:20260105T110000\r\nSUMMARY:Planning meeting\r\nLOCATION:Room 4\r\n" +
		"DESCRIPTION:Quarterly planning with the whole team.\r\nSEQUENCE:0\r\nSTATUS:CONFIRMED\r\n" +
		"TRANSP:OPAQUE\r\nBEGIN:VALARM\r\nACTION:DISPLAY\r\nDESCRIPTION:Reminder\r\nTRIGGER:-PT15M\r\n" +
		"END:VALARM\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n")
}
