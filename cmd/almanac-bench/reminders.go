package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/almanac/almanac/bus"
	"github.com/almanac/almanac/calendar"
	"github.com/almanac/almanac/changefeed"
	"github.com/almanac/almanac/outbox"
	"github.com/almanac/almanac/reminders"
	"github.com/almanac/almanac/store"
)

// benchReminders loads n events whose reminders come due spread over one
// minute, then lets the scheduler and the outbox deliver them to users'
// open clients (the bus) and reports the lag from due time to hand-off.
//
// The store, scheduler and outbox share a clock that is moved forward
// after loading, so that the minute starts just after the scheduler
// begins: loading takes longer than a minute, the measurement does not.
func benchReminders(args []string) error {
	fs := flag.NewFlagSet("reminders", flag.ContinueOnError)
	n := fs.Int("n", 100000, "reminders")
	spread := fs.Duration("spread", time.Minute, "the reminders come due evenly over this span")
	writers := fs.Int("writers", 8, "concurrent writers while loading")
	only := fs.String("store", "", "sqlite or postgres (default: both, PostgreSQL when ALMANAC_TEST_DATABASE_URL is set)")
	batch := fs.Int("batch", 0, "outbox messages leased at once (0: the outbox default)")
	conc := fs.Int("concurrency", 0, "outbox deliveries in parallel (0: the outbox default)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	fmt.Printf("%d reminders due within %s, GOMAXPROCS=%d, %s\n\n", *n, *spread, runtime.GOMAXPROCS(0), time.Now().UTC().Format("2006-01-02"))
	fmt.Println("| store | load (events/s) | delivered | p50 lag | p99 lag | max lag | lease scan |")
	fmt.Println("|---|---:|---:|---:|---:|---:|---|")
	dir, err := os.MkdirTemp("", "almanac-bench")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	for _, be := range reminderBackends(dir) {
		if *only != "" && *only != be.key {
			continue
		}
		if err := reminderRun(be, dir, *n, *writers, *spread, outbox.Options{Batch: *batch, Concurrency: *conc}); err != nil {
			return err
		}
	}
	return nil
}

// lookahead is the scheduler's (shorter than the server's default of two
// minutes, to keep the run short; the default only stages earlier).
const lookahead = 30 * time.Second

type reminderBackend struct{ key, name, url, schema string }

func reminderBackends(dir string) []reminderBackend {
	out := []reminderBackend{{"sqlite", "SQLite", filepath.Join(dir, "reminders.db"), ""}}
	if url := os.Getenv("ALMANAC_TEST_DATABASE_URL"); url != "" {
		var b [4]byte
		_, _ = rand.Read(b[:])
		out = append(out, reminderBackend{"postgres", "PostgreSQL", url, "bench_" + hex.EncodeToString(b[:])})
	}
	return out
}

// shiftClock is time.Now moved back by an offset set once loading is done.
type shiftClock struct{ off atomic.Int64 }

func (c *shiftClock) now() time.Time { return time.Now().Add(-time.Duration(c.off.Load())) }

func reminderRun(be reminderBackend, dir string, n, writers int, spread time.Duration, tune outbox.Options) error {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	st, err := store.Open(ctx, be.url, store.Options{Schema: be.schema, MaxConns: 24})
	if err != nil {
		return err
	}
	defer st.Close()
	if be.schema != "" {
		defer func() { _ = store.DropSchema(context.Background(), be.url, be.schema) }()
	}
	clock := &shiftClock{}
	st.SetClock(clock.now)
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	b, err := bus.Open(ctx, bus.Options{DataDir: filepath.Join(dir, "nats-"+be.key), Name: "bench", Logger: quiet})
	if err != nil {
		return err
	}
	defer b.Close()

	rec := &lagRecorder{clock: clock}
	pub := changefeed.NewPublisher(b.Conn(), changefeed.DefaultSubjects, quiet)
	web := reminders.WebHandler(st, pub, reminders.FeedLanes(st.Dialect()))
	worker := outbox.New(st, outbox.Options{Logger: quiet, Batch: tune.Batch, Concurrency: tune.Concurrency,
		Handlers: map[string]outbox.Handler{reminders.KindWeb: outbox.HandlerFunc(func(ctx context.Context, m *store.OutboxMessage) error {
			err := web.Deliver(ctx, m)
			rec.add(m.DueAt)
			return err
		})}})
	rem := reminders.New(st, reminders.Options{Now: clock.now, Kick: worker.Kick, Logger: quiet, Lookahead: lookahead})
	cals := calendar.New(st, calendar.Options{Now: clock.now, Hooks: []calendar.Hook{rem.Hook()}})

	// Events start an hour from now; their reminders (10 minutes before)
	// are spread evenly over the span.
	first := time.Now().Add(time.Hour).Truncate(time.Second)
	start := time.Now()
	if err := loadReminded(ctx, st, cals, n, writers, first, spread); err != nil {
		return err
	}
	rate := float64(n) / time.Since(start).Seconds()
	plan, err := st.ExplainAlarmLease(ctx)
	if err != nil {
		return err
	}
	// Move the clock forward so that the first reminder is due just past
	// the scheduler's lookahead, so that staging runs while the reminders
	// come due, as it would in the field.
	due := first.Add(-10 * time.Minute)
	clock.off.Store(-int64(time.Until(due) - lookahead - 5*time.Second))
	rec.reset()
	var wg sync.WaitGroup
	wg.Add(2)
	go func() { defer wg.Done(); rem.Run(ctx) }()
	go func() { defer wg.Done(); worker.Run(ctx) }()
	deadline := time.Now().Add(lookahead + spread + time.Minute)
	for rec.count() < n && time.Now().Before(deadline) {
		time.Sleep(200 * time.Millisecond)
	}
	cancel()
	wg.Wait()
	l := rec.lags()
	fmt.Printf("| %s | %.0f | %d | %s | %s | %s | %s |\n", be.name, rate, len(l), ms(l.quantile(0.5)), ms(l.quantile(0.99)), ms(l.quantile(1)), leaseScan(plan))
	return nil
}

func loadReminded(ctx context.Context, st *store.Store, cals *calendar.Service, n, writers int, first time.Time, spread time.Duration) error {
	u := &store.User{Name: "bench", Email: "bench@example.com"}
	if err := st.CreateUser(ctx, u); err != nil {
		return err
	}
	var next atomic.Int64
	errs := make(chan error, writers)
	var wg sync.WaitGroup
	for w := range writers {
		cal := &store.Calendar{Name: fmt.Sprintf("c%d", w), DisplayName: "Bench"}
		if err := cals.CreateCalendar(ctx, u, cal); err != nil {
			return err
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := next.Add(1) - 1; i < int64(n); i = next.Add(1) - 1 {
				at := first.Add(time.Duration(i) * spread / time.Duration(n)).UTC()
				name := fmt.Sprintf("r%d.ics", i)
				if _, err := cals.PutObject(ctx, u, cal, name, remindedEvent(name, at), store.Conditions{}); err != nil {
					errs <- err
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	return <-errs
}

func remindedEvent(uid string, start time.Time) []byte {
	return []byte("BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//almanac//bench//EN\r\nBEGIN:VEVENT\r\nUID:" + uid +
		"\r\nDTSTAMP:20260101T000000Z\r\nDTSTART:" + start.Format("20060102T150405") + "Z\r\nDURATION:PT30M\r\nSUMMARY:Bench\r\n" +
		"BEGIN:VALARM\r\nUID:" + uid + "-a\r\nACTION:DISPLAY\r\nDESCRIPTION:Bench\r\nTRIGGER:-PT10M\r\nEND:VALARM\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n")
}

// lagRecorder keeps the lag of every hand-off.
type lagRecorder struct {
	clock *shiftClock
	mu    sync.Mutex
	l     latencies
}

func (r *lagRecorder) add(due time.Time) {
	lag := r.clock.now().Sub(due)
	r.mu.Lock()
	r.l = append(r.l, lag)
	r.mu.Unlock()
}

func (r *lagRecorder) reset() {
	r.mu.Lock()
	r.l = nil
	r.mu.Unlock()
}

func (r *lagRecorder) count() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.l)
}

func (r *lagRecorder) lags() latencies {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.l
}

// leaseScan picks out of a query plan how the alarms table is read.
func leaseScan(plan string) string {
	for _, line := range strings.Split(plan, "\n") {
		line = strings.TrimSpace(strings.TrimLeft(strings.TrimSpace(line), "->"))
		if strings.Contains(line, "alarms_due") || strings.Contains(line, "Scan on alarms") || strings.Contains(line, "SCAN alarms") {
			if i := strings.Index(line, "  ("); i > 0 {
				line = line[:i]
			}
			return line
		}
	}
	return "?"
}
