package store_test

import (
	"context"
	"slices"
	"testing"

	"github.com/almanac/almanac/store"
	"github.com/almanac/almanac/store/storetest"
)

func TestObjectsBetween(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		u := mustUser(t, s, "alice")
		c := mustCalendar(t, s, u, "work")
		const h = int64(3600e6)
		day := 24 * h
		put := func(name string, in ...store.Instance) int64 {
			res, err := s.PutObject(ctx, c.ID, write(name, name, in...), store.Conditions{})
			if err != nil {
				t.Fatal(err)
			}
			return res.ObjectID
		}
		inside := put("inside", store.Instance{Start: 10 * h, End: 11 * h}, store.Instance{Start: 12 * h, End: 13 * h})
		put("before", store.Instance{Start: 1 * h, End: 2 * h})
		edge := put("edge", store.Instance{Start: 8 * h, End: 9 * h}) // ends where the window starts
		long := put("long", store.Instance{Start: -30 * day, End: 30 * day})
		zero := put("zero", store.Instance{Start: 9 * h, End: 9 * h})
		float := put("float", store.Instance{Start: 20 * h, End: 21 * h, Floating: true})
		got, err := s.ObjectsBetween(ctx, c.ID, 9*h, 18*h)
		if err != nil {
			t.Fatal(err)
		}
		ids, floating := got.IDs, got.Floating
		if got.Beyond {
			t.Error("Beyond with every object indexed for ever")
		}
		slices.Sort(ids)
		want := []int64{inside, long, zero}
		slices.Sort(want)
		if !slices.Equal(ids, want) || slices.Contains(ids, edge) {
			t.Fatalf("ids %v, want %v", ids, want)
		}
		if len(floating) != 1 || floating[0].ObjectID != float || !floating[0].Floating {
			t.Fatalf("floating %+v", floating)
		}
		// Floating instances are looked up only when one is near the
		// window: one more than 14 hours away is not.
		if got, err := s.ObjectsBetween(ctx, c.ID, 40*h, 50*h); err != nil || len(got.Floating) != 0 || !slices.Equal(got.IDs, []int64{long}) {
			t.Fatalf("window far from the floating instance: %+v, %v", got, err)
		}
		longFloat := put("long-float", store.Instance{Start: -10 * day, End: 10 * day, Floating: true, AllDay: true})
		if got, err := s.ObjectsBetween(ctx, c.ID, 40*h, 50*h); err != nil || len(got.Floating) != 1 || got.Floating[0].ObjectID != longFloat {
			t.Fatalf("long floating instance: %+v, %v", got, err)
		}
		if _, err := s.DeleteObject(ctx, c.ID, "long-float", store.Conditions{}); err != nil {
			t.Fatal(err)
		}
		var streamed []int64
		beyond, floats, err := s.EachObjectBetween(ctx, c.ID, 9*h, 18*h, func(o *store.Object) error {
			if len(o.Data) == 0 || o.ETag == "" {
				t.Errorf("object %d without data or ETag", o.ID)
			}
			streamed = append(streamed, o.ID)
			return nil
		})
		if err != nil || !slices.Equal(streamed, want) || beyond || !floats {
			t.Fatalf("streamed %v (beyond %v, floating %v), %v; want %v, floating", streamed, beyond, floats, err, want)
		}
		// A series indexed only up to a point inside the window: the index
		// alone cannot answer past it.
		w := write("series", "series", store.Instance{Start: 10 * h, End: 11 * h})
		w.IndexedUntil = 12 * h
		if _, err := s.PutObject(ctx, c.ID, w, store.Conditions{}); err != nil {
			t.Fatal(err)
		}
		if got, err := s.ObjectsBetween(ctx, c.ID, 9*h, 18*h); err != nil || !got.Beyond {
			t.Fatalf("with a series indexed to 12h: Beyond %v, %v", got.Beyond, err)
		}
		if got, err := s.ObjectsBetween(ctx, c.ID, 9*h, 12*h); err != nil || got.Beyond {
			t.Fatalf("window ending at the horizon: Beyond %v, %v", got.Beyond, err)
		}
		called := false
		beyond, _, err = s.EachObjectBetween(ctx, c.ID, 9*h, 18*h, func(*store.Object) error { called = true; return nil })
		if err != nil || !beyond || called {
			t.Fatalf("streaming with a series indexed to 12h: beyond %v, objects handed over %v, %v", beyond, called, err)
		}
	})
}

func TestGetObjectBodies(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		u := mustUser(t, s, "alice")
		c := mustCalendar(t, s, u, "work")
		other := mustCalendar(t, s, u, "other")
		a, _ := s.PutObject(ctx, c.ID, write("a.ics", "a"), store.Conditions{})
		b, _ := s.PutObject(ctx, other.ID, write("b.ics", "b"), store.Conditions{})
		got, err := s.GetObjectBodies(ctx, c.ID, []int64{a.ObjectID, b.ObjectID, 999})
		if err != nil || len(got) != 1 || got[0].Name != "a.ics" || got[0].ETag != a.ETag || string(got[0].Data) != string(event("a")) {
			t.Fatalf("got %+v, %v", got, err)
		}
		heads, err := s.GetObjectHeads(ctx, c.ID, []string{"a.ics", "b.ics"}, false)
		if err != nil || len(heads) != 1 || heads[0].ETag != a.ETag || heads[0].Data != nil || heads[0].Size == 0 {
			t.Fatalf("heads %+v, %v", heads, err)
		}
		heads, err = s.GetObjectHeads(ctx, c.ID, []string{"a.ics"}, true)
		if err != nil || len(heads) != 1 || string(heads[0].Data) != string(event("a")) {
			t.Fatalf("heads with data %+v, %v", heads, err)
		}
		comps, err := s.ComponentsOf(ctx, c.ID, []int64{a.ObjectID, b.ObjectID})
		if err != nil || len(comps) != 1 || comps[a.ObjectID] != "VEVENT" {
			t.Fatalf("components %v, %v", comps, err)
		}
	})
}
