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
	"runtime/pprof"
	"strings"
	"time"

	"github.com/almanac/almanac/calendar"
	"github.com/almanac/almanac/mailer"
	"github.com/almanac/almanac/outbox"
	"github.com/almanac/almanac/scheduling"
	"github.com/almanac/almanac/store"
)

// benchScheduling measures an organizer's update of a meeting with many
// attendees: how long the write takes (the REQUESTs are built and queued
// in its transaction; e-mail leaves later through the outbox) and how
// long until every local attendee's copy shows the change.
func benchScheduling(args []string) error {
	fs := flag.NewFlagSet("scheduling", flag.ContinueOnError)
	local := fs.Int("local", 100, "attendees with an account on this server")
	external := fs.Int("external", 100, "attendees reached by e-mail")
	updates := fs.Int("updates", 20, "organizer updates measured")
	profile := fs.String("cpuprofile", "", "write a CPU profile of the run to this file")
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
	fmt.Printf("Organizer update of a meeting with %d local and %d external attendees, %d updates, GOMAXPROCS=%d, %s\n\n",
		*local, *external, *updates, runtime.GOMAXPROCS(0), time.Now().UTC().Format("2006-01-02"))
	fmt.Println("| store | update p50 | update p95 | update max | all local copies p50 | p95 | max |")
	fmt.Println("|---|---:|---:|---:|---:|---:|---:|")
	dir, err := os.MkdirTemp("", "almanac-bench")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	for _, be := range benchBackends(dir) {
		if err := schedulingRun(be, dir, *local, *external, *updates); err != nil {
			return err
		}
	}
	return nil
}

type backend struct{ name, url, schema string }

// benchBackends is SQLite, plus PostgreSQL when ALMANAC_TEST_DATABASE_URL
// names a server (in a throwaway schema).
func benchBackends(dir string) []backend {
	out := []backend{{"SQLite", filepath.Join(dir, "sched.db"), ""}}
	if url := os.Getenv("ALMANAC_TEST_DATABASE_URL"); url != "" {
		var b [4]byte
		_, _ = rand.Read(b[:])
		out = append(out, backend{"PostgreSQL", url, "bench_" + hex.EncodeToString(b[:])})
	}
	return out
}

func schedulingRun(be backend, dir string, nLocal, nExternal, updates int) error {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	st, err := store.Open(ctx, be.url, store.Options{Schema: be.schema, MaxConns: 20})
	if err != nil {
		return err
	}
	defer st.Close()
	if be.schema != "" {
		defer store.DropSchema(context.Background(), be.url, be.schema)
	}
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	mail, err := mailer.New(mailer.Config{DropDir: filepath.Join(dir, "mail-"+be.name)})
	if err != nil {
		return err
	}
	handlers := map[string]outbox.Handler{}
	worker := outbox.New(st, outbox.Options{Handlers: handlers, Logger: quiet})
	sched := scheduling.New(st, scheduling.Options{MailFrom: "calendar@bench.invalid", PublicURL: "http://127.0.0.1:8080",
		Secret: []byte("benchmark secret benchmark secret"), Kick: worker.Kick, Logger: quiet})
	cals := calendar.New(st, calendar.Options{Hooks: []calendar.Hook{sched}, Kick: worker.Kick})
	for k, h := range sched.Handlers(cals, mail, 8) {
		handlers[k] = h
	}
	done := make(chan struct{})
	go func() { worker.Run(ctx); close(done) }()
	defer func() { cancel(); <-done }()

	org, locals, err := schedulingUsers(ctx, st, nLocal)
	if err != nil {
		return err
	}
	cal := &store.Calendar{Name: "work", DisplayName: "Work"}
	if err := cals.CreateCalendar(ctx, org, cal); err != nil {
		return err
	}
	var upd, fan latencies
	for i := 0; i <= updates; i++ {
		data := meetingData(i, locals, nExternal)
		start := time.Now()
		if _, err := cals.PutObject(ctx, org, cal, "big.ics", data, store.Conditions{}); err != nil {
			return err
		}
		took := time.Since(start)
		if err := waitCopies(ctx, st, locals, i); err != nil {
			return err
		}
		if i > 0 { // the first write creates; updates are measured
			upd, fan = append(upd, took), append(fan, time.Since(start))
		}
	}
	fmt.Printf("| %s | %s | %s | %s | %s | %s | %s |\n", be.name, ms(upd.quantile(0.5)), ms(upd.quantile(0.95)), ms(upd.quantile(1)),
		ms(fan.quantile(0.5)), ms(fan.quantile(0.95)), ms(fan.quantile(1)))
	return nil
}

func schedulingUsers(ctx context.Context, st *store.Store, n int) (*store.User, []*store.User, error) {
	org := &store.User{Name: "organizer", Email: "organizer@bench.invalid"}
	if err := st.CreateUser(ctx, org); err != nil {
		return nil, nil, err
	}
	var out []*store.User
	for i := 0; i < n; i++ {
		u := &store.User{Name: fmt.Sprintf("local%03d", i), Email: fmt.Sprintf("local%03d@bench.invalid", i)}
		if err := st.CreateUser(ctx, u); err != nil {
			return nil, nil, err
		}
		out = append(out, u)
	}
	return org, out, nil
}

// meetingData is version seq of the meeting: each version moves it and
// raises SEQUENCE, so every attendee is sent a REQUEST.
func meetingData(seq int, locals []*store.User, nExternal int) []byte {
	var b strings.Builder
	fmt.Fprintf(&b, "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//bench//EN\r\nBEGIN:VEVENT\r\nUID:big-meeting@bench.invalid\r\n"+
		"DTSTAMP:20260101T000000Z\r\nSEQUENCE:%d\r\nDTSTART:20260105T%02d0000Z\r\nDURATION:PT1H\r\nSUMMARY:All hands %d\r\n"+
		"ORGANIZER;CN=Organizer:mailto:organizer@bench.invalid\r\nATTENDEE;PARTSTAT=ACCEPTED:mailto:organizer@bench.invalid\r\n", seq, 8+seq%10, seq)
	for _, u := range locals {
		fmt.Fprintf(&b, "ATTENDEE;CN=%s;PARTSTAT=NEEDS-ACTION;RSVP=TRUE:mailto:%s\r\n", u.Name, u.Email)
	}
	for i := 0; i < nExternal; i++ {
		fmt.Fprintf(&b, "ATTENDEE;CN=Guest %d;PARTSTAT=NEEDS-ACTION;RSVP=TRUE:mailto:guest%03d@elsewhere.invalid\r\n", i, i)
	}
	b.WriteString("END:VEVENT\r\nEND:VCALENDAR\r\n")
	return []byte(b.String())
}

// waitCopies waits until every local attendee's copy has SEQUENCE seq.
func waitCopies(ctx context.Context, st *store.Store, users []*store.User, seq int) error {
	deadline := time.Now().Add(30 * time.Second)
	for _, u := range users {
		for {
			objs, err := st.ObjectsByUID(ctx, u.ID, "big-meeting@bench.invalid")
			if err != nil {
				return err
			}
			if len(objs) > 0 && objs[0].Sequence == seq {
				break
			}
			if time.Now().After(deadline) {
				return fmt.Errorf("%s's copy did not reach sequence %d", u.Name, seq)
			}
			time.Sleep(2 * time.Millisecond)
		}
	}
	return nil
}
