package main

import (
	"bufio"
	"context"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"runtime/pprof"
	"time"

	"github.com/almanac/almanac/calendar"
	"github.com/almanac/almanac/store"
)

// benchImport imports a generated export of n events into an SQLite file
// and, when ALMANAC_TEST_DATABASE_URL is set, into PostgreSQL: the whole
// path of "almanac import" (splitting the file, validating, expanding and
// indexing every object, batched writes), then the same file again (every
// object unchanged), then an export of the calendar.
func benchImport(args []string) error {
	fs := flag.NewFlagSet("import", flag.ContinueOnError)
	n := fs.Int("n", 100_000, "events in the generated file")
	batch := fs.Int("batch", 250, "objects per transaction")
	profile := fs.String("cpuprofile", "", "write a CPU profile to `file`")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *profile != "" {
		f, err := os.Create(*profile)
		if err != nil {
			return err
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			return err
		}
		defer pprof.StopCPUProfile()
	}
	dir, err := os.MkdirTemp("", "almanac-bench")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	file := filepath.Join(dir, "export.ics")
	size, err := writeExport(file, *n)
	if err != nil {
		return err
	}
	fmt.Printf("Import of a generated export, %d events (%.1f MB; 1 in 10 weekly for a year, 1 in 50 with a moved instance, 1 in 20 all-day), %d objects per transaction, GOMAXPROCS=%d, %s\n\n",
		*n, float64(size)/1e6, *batch, runtime.GOMAXPROCS(0), time.Now().UTC().Format("2006-01-02"))
	fmt.Println("| store | import | objects/s | again (unchanged) | export | peak heap |")
	fmt.Println("|---|---:|---:|---:|---:|---:|")
	for _, be := range benchBackends(dir) {
		if err := importOnce(be, file, *batch); err != nil {
			return err
		}
	}
	return nil
}

func importOnce(be backend, file string, batch int) error {
	ctx := context.Background()
	st, err := store.Open(ctx, be.url, store.Options{Schema: be.schema})
	if err != nil {
		return err
	}
	defer func() {
		st.Close()
		if be.schema != "" {
			_ = store.DropSchema(ctx, be.url, be.schema)
		}
	}()
	u := &store.User{Name: "bench", Email: "bench@bench.invalid"}
	if err := st.CreateUser(ctx, u); err != nil {
		return err
	}
	cals := calendar.New(st, calendar.Options{})
	cal := &store.Calendar{Name: "imported"}
	if err := cals.CreateCalendar(ctx, u, cal); err != nil {
		return err
	}
	heap := watchHeap()
	first, rep, err := timeImport(ctx, cals, u, cal, file, batch)
	if err != nil {
		return err
	}
	if rep.Failed > 0 || rep.Created != rep.Total {
		return fmt.Errorf("%s: %+v", be.name, rep.Errors[:min(3, len(rep.Errors))])
	}
	again, rep2, err := timeImport(ctx, cals, u, cal, file, batch)
	if err != nil {
		return err
	}
	if rep2.Unchanged != rep.Total {
		return fmt.Errorf("%s: second import changed %d objects", be.name, rep2.Total-rep2.Unchanged)
	}
	t0 := time.Now()
	w := bufio.NewWriter(discard{})
	if err := cals.Export(ctx, u, cal, w); err != nil {
		return err
	}
	exp := time.Since(t0)
	fmt.Printf("| %s | %.1f s | %.0f | %.1f s | %.1f s | %.0f MB |\n", be.name, first.Seconds(),
		float64(rep.Total)/first.Seconds(), again.Seconds(), exp.Seconds(), float64(heap())/1e6)
	return nil
}

func timeImport(ctx context.Context, cals *calendar.Service, u *store.User, cal *store.Calendar, file string, batch int) (time.Duration, *calendar.ImportReport, error) {
	fh, err := os.Open(file)
	if err != nil {
		return 0, nil, err
	}
	defer fh.Close()
	fi, _ := fh.Stat()
	t0 := time.Now()
	rep, err := cals.Import(ctx, u, cal, fh, fi.Size(), calendar.ImportOptions{BatchSize: batch})
	return time.Since(t0), rep, err
}

// watchHeap samples the heap in use until the returned function is
// called, which reports the peak.
func watchHeap() func() uint64 {
	var peak uint64
	stop := make(chan struct{})
	done := make(chan struct{})
	go func() {
		defer close(done)
		t := time.NewTicker(50 * time.Millisecond)
		defer t.Stop()
		var ms runtime.MemStats
		for {
			runtime.ReadMemStats(&ms)
			peak = max(peak, ms.HeapInuse)
			select {
			case <-stop:
				return
			case <-t.C:
			}
		}
	}()
	return func() uint64 { close(stop); <-done; return peak }
}

type discard struct{}

func (discard) Write(p []byte) (int, error) { return len(p), nil }

// writeExport writes an export of n events shaped like a Google or
// Outlook export: one VTIMEZONE at the top, then the events.
func writeExport(path string, n int) (int64, error) {
	fh, err := os.Create(path)
	if err != nil {
		return 0, err
	}
	defer fh.Close()
	w := bufio.NewWriter(fh)
	w.WriteString("BEGIN:VCALENDAR\r\nPRODID:-//Almanac//bench//EN\r\nVERSION:2.0\r\nCALSCALE:GREGORIAN\r\nMETHOD:PUBLISH\r\n" +
		"X-WR-CALNAME:Bench\r\nBEGIN:VTIMEZONE\r\nTZID:Europe/Berlin\r\nBEGIN:DAYLIGHT\r\nTZOFFSETFROM:+0100\r\n" +
		"TZOFFSETTO:+0200\r\nTZNAME:CEST\r\nDTSTART:19700329T020000\r\nRRULE:FREQ=YEARLY;BYMONTH=3;BYDAY=-1SU\r\n" +
		"END:DAYLIGHT\r\nBEGIN:STANDARD\r\nTZOFFSETFROM:+0200\r\nTZOFFSETTO:+0100\r\nTZNAME:CET\r\n" +
		"DTSTART:19701025T030000\r\nRRULE:FREQ=YEARLY;BYMONTH=10;BYDAY=-1SU\r\nEND:STANDARD\r\nEND:VTIMEZONE\r\n")
	base := time.Date(2016, 1, 4, 9, 0, 0, 0, time.UTC)
	for i := range n {
		start := base.Add(time.Duration(i%3650) * 24 * time.Hour).Add(time.Duration(i%8) * time.Hour)
		writeEvent(w, i, start)
	}
	w.WriteString("END:VCALENDAR\r\n")
	if err := w.Flush(); err != nil {
		return 0, err
	}
	fi, err := fh.Stat()
	if err != nil {
		return 0, err
	}
	return fi.Size(), nil
}

func writeEvent(w *bufio.Writer, i int, start time.Time) {
	const local = "20060102T150405"
	uid := fmt.Sprintf("%08x-bench-%d@example.com", i*2654435761, i)
	fmt.Fprintf(w, "BEGIN:VEVENT\r\nUID:%s\r\nDTSTAMP:20260301T120000Z\r\nCREATED:20250101T000000Z\r\n", uid)
	if i%20 == 0 {
		fmt.Fprintf(w, "DTSTART;VALUE=DATE:%s\r\nDTEND;VALUE=DATE:%s\r\nTRANSP:TRANSPARENT\r\n",
			start.Format("20060102"), start.AddDate(0, 0, 1).Format("20060102"))
	} else {
		fmt.Fprintf(w, "DTSTART;TZID=Europe/Berlin:%s\r\nDTEND;TZID=Europe/Berlin:%s\r\n",
			start.Format(local), start.Add(time.Hour).Format(local))
	}
	if i%10 == 1 {
		w.WriteString("RRULE:FREQ=WEEKLY;COUNT=52\r\n")
	}
	fmt.Fprintf(w, "SUMMARY:Event %d with the team\r\nLOCATION:Room %d\r\nDESCRIPTION:Agenda: review\\, plan and decide. Item %d.\r\n"+
		"STATUS:CONFIRMED\r\nSEQUENCE:0\r\nBEGIN:VALARM\r\nACTION:DISPLAY\r\nDESCRIPTION:Reminder\r\nTRIGGER:-PT15M\r\nEND:VALARM\r\nEND:VEVENT\r\n",
		i, i%40, i)
	if i%50 == 1 {
		moved := start.AddDate(0, 0, 14)
		fmt.Fprintf(w, "BEGIN:VEVENT\r\nUID:%s\r\nDTSTAMP:20260301T120000Z\r\nRECURRENCE-ID;TZID=Europe/Berlin:%s\r\n"+
			"DTSTART;TZID=Europe/Berlin:%s\r\nDTEND;TZID=Europe/Berlin:%s\r\nSUMMARY:Event %d (moved)\r\nEND:VEVENT\r\n",
			uid, moved.Format(local), moved.Add(2*time.Hour).Format(local), moved.Add(3*time.Hour).Format(local), i)
	}
}
