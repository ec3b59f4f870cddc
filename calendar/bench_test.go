package calendar

import (
	"context"
	"fmt"
	mrand "math/rand/v2"
	"testing"
	"time"

	"github.com/almanac/almanac/store"
	"github.com/almanac/almanac/store/storetest"
)

// BenchmarkInstancesMonth queries a month of a 5,000-event calendar, a
// fifth of it recurring, from the index: every instance (what a view
// draws), and the objects with an instance in it (what a CalDAV
// calendar-query needs). PostgreSQL's tables are vacuumed after loading,
// as autovacuum would have done.
func BenchmarkInstancesMonth(b *testing.B) {
	for _, be := range []struct {
		name string
		open func(testing.TB) *store.Store
	}{{"sqlite", storetest.SQLite}, {"postgres", storetest.Postgres}} {
		b.Run(be.name, func(b *testing.B) {
			st := be.open(b)
			f := &fixture{st: st, now: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)}
			f.s = New(st, Options{Now: func() time.Time { return f.now }})
			ctx := context.Background()
			f.owner = &store.User{Name: "b", Email: "b@example.com"}
			_ = st.CreateUser(ctx, f.owner)
			f.cal = &store.Calendar{Name: "c", DisplayName: "C"}
			_ = f.s.CreateCalendar(ctx, f.owner, f.cal)
			rnd := mrand.New(mrand.NewPCG(1, 2))
			for i := range 5000 {
				start := f.now.AddDate(0, 0, rnd.IntN(730)).Add(time.Duration(8+rnd.IntN(8)) * time.Hour)
				rule := ""
				if i%5 == 0 {
					rule = "RRULE:" + []string{"FREQ=WEEKLY;COUNT=52", "FREQ=DAILY;COUNT=30", "FREQ=MONTHLY;COUNT=24", "FREQ=WEEKLY;BYDAY=MO,WE,FR;COUNT=60", "FREQ=WEEKLY;COUNT=100"}[rnd.IntN(5)] + "\n"
				}
				data := ics(fmt.Sprintf("BEGIN:VEVENT\nUID:e%d\nDTSTAMP:20260101T000000Z\nDTSTART:%s\nDTEND:%s\n%sSUMMARY:x\nEND:VEVENT\n",
					i, start.Format("20060102T150405Z"), start.Add(time.Hour).Format("20060102T150405Z"), rule))
				if _, err := f.s.PutObject(ctx, f.owner, f.cal, fmt.Sprintf("e%d.ics", i), data, store.Conditions{}); err != nil {
					b.Fatal(err)
				}
			}
			if err := st.Settle(ctx); err != nil {
				b.Fatal(err)
			}
			from := time.Date(2026, 6, 1, 0, 0, 0, 0, time.UTC)
			b.Run("instances", func(b *testing.B) {
				n := 0
				for b.Loop() {
					list, err := f.s.Instances(ctx, f.owner, f.cal, from, from.AddDate(0, 1, 0), nil)
					if err != nil {
						b.Fatal(err)
					}
					n = len(list)
				}
				b.ReportMetric(float64(n), "instances")
			})
			// A view's first computation: no summary cached.
			b.Run("items-first", func(b *testing.B) {
				n := 0
				for b.Loop() {
					f.s.cache = newSummaryCache()
					list, err := f.s.Items(ctx, f.owner, []*store.Calendar{f.cal}, from, from.AddDate(0, 1, 0), nil)
					if err != nil {
						b.Fatal(err)
					}
					n = len(list)
				}
				b.ReportMetric(float64(n), "instances")
			})
			b.Run("objects", func(b *testing.B) {
				n := 0
				for b.Loop() {
					ids, err := f.s.ObjectsOverlapping(ctx, f.owner, f.cal, from, from.AddDate(0, 1, 0), nil)
					if err != nil {
						b.Fatal(err)
					}
					n = len(ids)
				}
				b.ReportMetric(float64(n), "objects")
			})
		})
	}
}
