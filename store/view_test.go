package store_test

import (
	"context"
	"fmt"
	"slices"
	"testing"

	"github.com/almanac/almanac/store"
	"github.com/almanac/almanac/store/storetest"
)

// TestViewWindow checks the multi-calendar overlap query: rows of every
// calendar asked for and of no other, with their component and flags, and
// the max span of the widest calendar applied; and the summaries query.
func TestViewWindow(t *testing.T) {
	const h = int64(3600e6)
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		u := mustUser(t, s, "vera")
		a, b, other := mustCalendar(t, s, u, "a"), mustCalendar(t, s, u, "b"), mustCalendar(t, s, u, "other")
		names := map[int64]string{}
		put := func(c *store.Calendar, name string, summary string, in ...store.Instance) {
			w := write(name+".ics", name, in...)
			w.Summary = summary
			res, err := s.PutObject(ctx, c.ID, w, store.Conditions{})
			if err != nil {
				t.Fatal(err)
			}
			names[res.ObjectID] = name
		}
		put(a, "a-day", "day", store.Instance{Start: 12 * h, End: 13 * h, Transparent: true, Status: "TENTATIVE"})
		put(a, "a-multi", "multi", store.Instance{Start: 0, End: 3 * 24 * h, AllDay: true, Floating: true})
		put(b, "b-series", "m\x1eo", store.Instance{Start: 11 * h, End: 12 * h, RecurrenceID: 11 * h},
			store.Instance{Start: 30 * h, End: 31 * h, RecurrenceID: 35 * h, Override: true, Component: 1})
		put(b, "b-long", "long", store.Instance{Start: -1000 * h, End: 1000 * h, Status: "X-ODD"})
		put(b, "b-before", "", store.Instance{Start: 0, End: 1 * h})
		put(other, "o-day", "no", store.Instance{Start: 12 * h, End: 13 * h})
		// Scanned (within the floating slack after the window) but not in
		// it, with a status that has no code: left out, and no lookup of it.
		put(a, "a-late", "", store.Instance{Start: 45 * h, End: 46 * h, Status: "X-LATE"})
		got, beyond, err := s.ViewWindow(ctx, []int64{a.ID, b.ID}, 10*h, 40*h)
		if err != nil || beyond {
			t.Fatalf("ViewWindow: beyond %v, %v", beyond, err)
		}
		var seen []string
		var ids []int64
		for _, v := range got {
			seen = append(seen, fmt.Sprintf("%s:%d:%d-%d:%t%t%t%t:%s", names[v.ObjectID], v.Component, v.Start/h, v.End/h,
				v.Floating, v.AllDay, v.Override, v.Transparent, v.Status))
			ids = append(ids, v.ObjectID)
		}
		slices.Sort(seen)
		want := []string{
			"a-day:0:12-13:falsefalsefalsetrue:TENTATIVE",
			"a-multi:0:0-72:truetruefalsefalse:",
			"b-long:0:-1000-1000:falsefalsefalsefalse:X-ODD",
			"b-series:0:11-12:falsefalsefalsefalse:",
			"b-series:1:30-31:falsefalsetruefalse:",
		}
		if fmt.Sprint(seen) != fmt.Sprint(want) {
			t.Fatalf("got\n%v\nwant\n%v", seen, want)
		}
		if got, _, err := s.ViewWindow(ctx, nil, 0, h); err != nil || len(got) != 0 {
			t.Fatalf("no calendars: %v, %v", got, err)
		}
		// A series materialised only up to 20h: the window past it says so,
		// and the marker row is not an instance.
		w := write("b-open.ics", "b-open", store.Instance{Start: 14 * h, End: 15 * h})
		w.IndexedUntil = 20 * h
		if _, err := s.PutObject(ctx, b.ID, w, store.Conditions{}); err != nil {
			t.Fatal(err)
		}
		again, beyond, err := s.ViewWindow(ctx, []int64{a.ID, b.ID}, 10*h, 40*h)
		if err != nil || !beyond || len(again) != len(got)+1 {
			t.Fatalf("with a series indexed to 20h: %d rows (want %d), beyond %v, %v", len(again), len(got)+1, beyond, err)
		}
		if only, beyond, err := s.ViewWindow(ctx, []int64{a.ID}, 10*h, 40*h); err != nil || beyond || len(only) != 2 {
			t.Fatalf("calendar a alone: %d rows (want 2), beyond %v, %v", len(only), beyond, err)
		}
		sums, err := s.ObjectSummaries(ctx, append(ids, 999999))
		if err != nil {
			t.Fatal(err)
		}
		var summaries []string
		for _, o := range sums {
			if len(o.UUID) != 36 {
				t.Fatalf("uuid %q", o.UUID)
			}
			summaries = append(summaries, o.Summary)
		}
		slices.Sort(summaries)
		if fmt.Sprint(summaries) != "[day long m\x1eo multi]" {
			t.Fatalf("summaries %q", summaries)
		}
	})
}

func TestListObjectsAfter(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		c := mustCalendar(t, s, mustUser(t, s, "lou"), "cal")
		for i := range 5 {
			name := fmt.Sprintf("e%d", i)
			if _, err := s.PutObject(ctx, c.ID, write(name+".ics", name), store.Conditions{}); err != nil {
				t.Fatal(err)
			}
		}
		var pages []string
		after := ""
		for {
			page, err := s.ListObjectsAfter(ctx, c.ID, after, 2)
			if err != nil {
				t.Fatal(err)
			}
			if len(page) == 0 {
				break
			}
			var names []string
			for _, o := range page {
				if len(o.Data) == 0 {
					t.Fatalf("%s listed without data", o.Name)
				}
				names = append(names, o.Name)
			}
			pages = append(pages, fmt.Sprint(names))
			after = page[len(page)-1].Name
		}
		if want := "[[e0.ics e1.ics] [e2.ics e3.ics] [e4.ics]]"; fmt.Sprint(pages) != want {
			t.Fatalf("pages %v, want %s", pages, want)
		}
		objs, err := s.GetObjectsByUUID(ctx, nil)
		if err != nil || objs != nil {
			t.Fatalf("no ids: %v %v", objs, err)
		}
	})
}

func TestObjectsIndexedBeforeAny(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		u := mustUser(t, s, "hal")
		a, b := mustCalendar(t, s, u, "a"), mustCalendar(t, s, u, "b")
		for i, c := range []*store.Calendar{a, b, a} {
			w := write(fmt.Sprintf("s%d.ics", i), fmt.Sprintf("s%d", i))
			w.IndexedUntil = int64(100 * (i + 1))
			if _, err := s.PutObject(ctx, c.ID, w, store.Conditions{}); err != nil {
				t.Fatal(err)
			}
		}
		if _, err := s.PutObject(ctx, a.ID, write("all.ics", "all"), store.Conditions{}); err != nil {
			t.Fatal(err)
		}
		objs, err := s.ObjectsIndexedBeforeAny(ctx, []int64{a.ID, b.ID}, 250)
		if err != nil {
			t.Fatal(err)
		}
		var names []string
		for _, o := range objs {
			names = append(names, o.Name)
		}
		slices.Sort(names)
		if fmt.Sprint(names) != "[s0.ics s1.ics]" {
			t.Fatalf("got %v", names)
		}
	})
}
