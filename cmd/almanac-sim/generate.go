package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"net/url"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/almanac/almanac/account"
	"github.com/almanac/almanac/calendar"
	"github.com/almanac/almanac/reminders"
	"github.com/almanac/almanac/store"
)

// A generator writes blocks of ten users: the members of a block share
// calendars with and invite each other, so a block is complete on its own
// and a data set grows block by block.
type generator struct {
	st      *store.Store
	cals    *calendar.Service
	hash    string
	seed    int64
	events  int
	batch   int
	written atomic.Int64
	skipped atomic.Int64
}

func generate(args []string) error {
	fs := flag.NewFlagSet("generate", flag.ContinueOnError)
	db := fs.String("db", os.Getenv("ALMANAC_DATABASE_URL"), "database `URL` (postgres://… or an SQLite file)")
	users := fs.Int("users", 1000, "users to generate (a multiple of 10)")
	first := fs.Int("first", 0, "number of the first user (a multiple of 10)")
	events := fs.Int("events", 1000, "events per user")
	seed := fs.Int64("seed", 1, "seed of the data set")
	workers := fs.Int("workers", 3, "blocks written at once")
	batch := fs.Int("batch", 250, "objects per transaction")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *db == "" || *users%10 != 0 || *first%10 != 0 || *users <= 0 || *events <= 0 {
		return errors.New("generate needs -db, and -users and -first in multiples of 10")
	}
	ctx := context.Background()
	st, err := store.Open(ctx, loaderURL(*db), store.Options{MaxConns: 2 * *workers})
	if err != nil {
		return err
	}
	defer st.Close()
	rem := reminders.New(st, reminders.Options{})
	g := &generator{st: st, hash: account.HashPassword(simPassword), seed: *seed, events: *events, batch: *batch,
		cals: calendar.New(st, calendar.Options{Hooks: []calendar.Hook{rem.Hook()}})}
	t0 := time.Now()
	stop := g.progress(t0, *users**events)
	err = g.run(ctx, *first, *users, *workers)
	stop()
	if err != nil {
		return err
	}
	el := time.Since(t0)
	fmt.Printf("generated users %s…%s: %d events in %s (%.0f events/s); %d blocks were there already\n",
		userName(*first), userName(*first+*users-1), g.written.Load(), el.Round(time.Second),
		float64(g.written.Load())/el.Seconds(), g.skipped.Load())
	if st.Dialect() == "postgres" {
		return printSizes(ctx, *db)
	}
	return nil
}

// loaderURL turns off synchronous commit for the loader's own sessions on
// PostgreSQL: a crash loses the last batches of a run, which is then
// simply repeated, and every batch stops waiting for a WAL flush.
func loaderURL(db string) string {
	if !strings.HasPrefix(db, "postgres") {
		return db
	}
	u, err := url.Parse(db)
	if err != nil {
		return db
	}
	q := u.Query()
	if q.Get("synchronous_commit") == "" {
		q.Set("synchronous_commit", "off")
	}
	u.RawQuery = q.Encode()
	return u.String()
}

func (g *generator) run(ctx context.Context, first, users, workers int) error {
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	blocks := make(chan int)
	var wg sync.WaitGroup
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for base := range blocks {
				if err := g.block(ctx, base); err != nil {
					cancel(fmt.Errorf("block %s: %w", userName(base), err))
				}
			}
		}()
	}
feed:
	for base := first; base < first+users; base += 10 {
		select {
		case blocks <- base:
		case <-ctx.Done():
			break feed
		}
	}
	close(blocks)
	wg.Wait()
	return context.Cause(ctx)
}

func (g *generator) progress(t0 time.Time, total int) (stop func()) {
	done := make(chan struct{})
	go func() {
		tick := time.NewTicker(15 * time.Second)
		defer tick.Stop()
		for {
			select {
			case <-done:
				return
			case <-tick.C:
				n := g.written.Load()
				fmt.Fprintf(os.Stderr, "%s: %d of %d events (%.0f/s)\n", time.Since(t0).Round(time.Second), n, total,
					float64(n)/time.Since(t0).Seconds())
			}
		}
	}()
	return func() { close(done) }
}

type member struct {
	u              *store.User
	personal, work *store.Calendar
}

// block writes users base…base+9, their calendars, shares and events. A
// block whose first user exists was written by an earlier run.
func (g *generator) block(ctx context.Context, base int) error {
	if _, err := g.st.GetUserByName(ctx, userName(base)); err == nil {
		g.skipped.Add(1)
		return nil
	}
	ms := make([]member, 10)
	for k := range ms {
		m, err := g.member(ctx, base+k)
		if err != nil {
			return err
		}
		ms[k] = m
	}
	for k, m := range ms {
		for d, role := range []calendar.Role{calendar.RoleWriter, calendar.RoleReader, calendar.RoleFreeBusy} {
			if err := g.cals.Share(ctx, m.u, m.work, ms[(k+1+d)%10].u, role); err != nil {
				return fmt.Errorf("share: %w", err)
			}
		}
	}
	for k, m := range ms {
		if err := g.fill(ctx, base+k, m); err != nil {
			return err
		}
	}
	return nil
}

func (g *generator) member(ctx context.Context, n int) (member, error) {
	u := &store.User{Name: userName(n), Email: userEmail(n), DisplayName: fmt.Sprintf("Sim User %d", n),
		PasswordHash: g.hash, TimeZone: userZone(n), WeekStart: 1}
	if err := g.st.CreateUser(ctx, u); err != nil {
		return member{}, fmt.Errorf("user %s: %w", u.Name, err)
	}
	m := member{u: u,
		personal: &store.Calendar{Name: "personal", DisplayName: "Personal", Color: "#1E88E5", TimeZone: u.TimeZone},
		work:     &store.Calendar{Name: "work", DisplayName: "Work", Color: "#E53935", Order: 1, TimeZone: u.TimeZone},
	}
	for _, c := range []*store.Calendar{m.personal, m.work} {
		if err := g.cals.CreateCalendar(ctx, u, c); err != nil {
			return member{}, fmt.Errorf("calendar %s/%s: %w", u.Name, c.Name, err)
		}
	}
	return m, nil
}

// fill writes user n's events: three in ten go to the work calendar.
func (g *generator) fill(ctx context.Context, n int, m member) error {
	var personal, work []calendar.BatchItem
	flush := func(cal *store.Calendar, items *[]calendar.BatchItem) error {
		if len(*items) == 0 {
			return nil
		}
		res, err := g.cals.PutObjects(ctx, m.u, cal, *items, calendar.OriginImport)
		if err != nil {
			return err
		}
		for _, r := range res {
			if r.Err != nil {
				return fmt.Errorf("%s: %w", r.Ref, r.Err)
			}
		}
		g.written.Add(int64(len(*items)))
		*items = (*items)[:0]
		return nil
	}
	for i := range g.events {
		it := calendar.BatchItem{Data: simEvent(g.seed, n, i), Ref: fmt.Sprintf("%s #%d", userName(n), i)}
		cal, items := m.personal, &personal
		if i%10 < 3 {
			cal, items = m.work, &work
		}
		*items = append(*items, it)
		if len(*items) == g.batch {
			if err := flush(cal, items); err != nil {
				return err
			}
		}
	}
	if err := flush(m.personal, &personal); err != nil {
		return err
	}
	return flush(m.work, &work)
}

// printSizes reports what the data set occupies on disk, tables with
// their indexes and TOAST.
func printSizes(ctx context.Context, db string) error {
	conn, err := pgx.Connect(ctx, db)
	if err != nil {
		return err
	}
	defer conn.Close(ctx)
	var objects, instances int64
	if err := conn.QueryRow(ctx, `SELECT (SELECT count(*) FROM objects), (SELECT count(*) FROM instances)`).Scan(&objects, &instances); err != nil {
		return err
	}
	rows, err := conn.Query(ctx, `SELECT relname, pg_total_relation_size(oid) FROM pg_class
		WHERE relkind = 'r' AND relnamespace = 'public'::regnamespace ORDER BY 2 DESC`)
	if err != nil {
		return err
	}
	defer rows.Close()
	fmt.Printf("\n%d objects, %d instance rows (%.1f per object)\n\n| table | size | bytes per object |\n|---|---:|---:|\n",
		objects, instances, float64(instances)/float64(max(objects, 1)))
	var total int64
	for rows.Next() {
		var name string
		var size int64
		if err := rows.Scan(&name, &size); err != nil {
			return err
		}
		total += size
		if size >= 1<<20 {
			fmt.Printf("| %s | %.1f GB | %.0f |\n", name, float64(size)/1e9, float64(size)/float64(max(objects, 1)))
		}
	}
	fmt.Printf("| all | %.1f GB | %.0f |\n", float64(total)/1e9, float64(total)/float64(max(objects, 1)))
	return rows.Err()
}
