package store_test

import (
	"context"
	"errors"
	"strconv"
	"strings"
	"testing"

	"github.com/almanac/almanac/store"
	"github.com/almanac/almanac/store/storetest"
)

func TestCalendarWithProperties(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		u := mustUser(t, s, "alice")
		c := &store.Calendar{OwnerID: u.ID, Name: "work", DisplayName: "Work"}
		dead := []store.DeadProperty{{Namespace: "urn:x", Name: "a", XML: `<a xmlns="urn:x">1</a>`}}
		if err := s.CreateCalendarWithProperties(ctx, c, dead); err != nil {
			t.Fatal(err)
		}
		if err := s.CreateCalendarWithProperties(ctx, &store.Calendar{OwnerID: u.ID, Name: "work"}, dead); !errors.Is(err, store.ErrExists) {
			t.Fatalf("duplicate: %v", err)
		}
		rev := c.Revision
		c.DisplayName, c.Color = "Job", "#112233"
		err := s.UpdateCalendarWithProperties(ctx, c, []store.DeadProperty{
			{Namespace: "urn:x", Name: "a"},
			{Namespace: "urn:x", Name: "b", XML: `<b xmlns="urn:x"/>`},
		})
		if err != nil || c.Revision != rev+1 {
			t.Fatalf("update: %v, revision %d", err, c.Revision)
		}
		got, _ := s.GetCalendar(ctx, c.ID)
		props, _ := s.CalendarProperties(ctx, c.ID)
		if got.DisplayName != "Job" || got.Color != "#112233" || len(props) != 1 || props[0].Name != "b" {
			t.Fatalf("after update: %+v %+v", got, props)
		}
		if err := s.UpdateCalendarWithProperties(ctx, &store.Calendar{ID: 9999}, nil); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("missing calendar: %v", err)
		}
		if _, err := s.PutObject(ctx, c.ID, write("a.ics", "a"), store.Conditions{}); err != nil {
			t.Fatal(err)
		}
		all, err1 := s.Usage(ctx, u.ID, 0)
		one, err2 := s.Usage(ctx, u.ID, c.ID)
		if err1 != nil || err2 != nil || all != int64(len(event("a"))) || one != all {
			t.Fatalf("usage: %d %d %v %v", all, one, err1, err2)
		}
	})
}

// TestUsageReplacing: a user's usage across calendars, and the share of
// the resource a write would replace; other users' data is not counted.
func TestUsageReplacing(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		alice, bob := mustUser(t, s, "alice"), mustUser(t, s, "bob")
		var cals []*store.Calendar
		for _, c := range []*store.Calendar{{OwnerID: alice.ID, Name: "a"}, {OwnerID: alice.ID, Name: "b"}, {OwnerID: bob.ID, Name: "a"}} {
			if err := s.CreateCalendar(ctx, c); err != nil {
				t.Fatal(err)
			}
			cals = append(cals, c)
		}
		for i, c := range cals {
			if _, err := s.PutObject(ctx, c.ID, write("x.ics", "x"+strconv.Itoa(i)), store.Conditions{}); err != nil {
				t.Fatal(err)
			}
		}
		size := int64(len(event("x0")))
		for _, tc := range []struct {
			name           string
			owner, cal     int64
			res            string
			used, replaced int64
		}{
			{"existing resource", alice.ID, cals[0].ID, "x.ics", 2 * size, size},
			{"new name", alice.ID, cals[0].ID, "y.ics", 2 * size, 0},
			{"other calendar", alice.ID, cals[1].ID, "x.ics", 2 * size, size},
			{"another user's calendar", alice.ID, cals[2].ID, "x.ics", 2 * size, 0},
			{"user without data", mustUser(t, s, "carol").ID, cals[0].ID, "x.ics", 0, 0},
		} {
			used, replaced, err := s.UsageReplacing(ctx, tc.owner, tc.cal, tc.res)
			if err != nil || used != tc.used || replaced != tc.replaced {
				t.Errorf("%s: %d %d %v, want %d %d", tc.name, used, replaced, err, tc.used, tc.replaced)
			}
		}
	})
}

// TestUsageFollowsWrites: the per-calendar totals the triggers keep agree
// with the objects after each kind of write.
func TestUsageFollowsWrites(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		alice := mustUser(t, s, "alice")
		a, b := &store.Calendar{OwnerID: alice.ID, Name: "a"}, &store.Calendar{OwnerID: alice.ID, Name: "b"}
		for _, c := range []*store.Calendar{a, b} {
			if err := s.CreateCalendar(ctx, c); err != nil {
				t.Fatal(err)
			}
		}
		check := func(step string, wantA, wantB int64) {
			t.Helper()
			gotA, errA := s.Usage(ctx, alice.ID, a.ID)
			gotB, errB := s.Usage(ctx, alice.ID, b.ID)
			all, errAll := s.Usage(ctx, alice.ID, 0)
			if errA != nil || errB != nil || errAll != nil || gotA != wantA || gotB != wantB || all != wantA+wantB {
				t.Fatalf("%s: a %d b %d all %d (%v %v %v), want %d %d", step, gotA, gotB, all, errA, errB, errAll, wantA, wantB)
			}
		}
		small := int64(len(event("x")))
		mustPut := func(cal *store.Calendar, name, uid string, pad int) {
			t.Helper()
			w := write(name, uid)
			w.Data = append(w.Data, strings.Repeat("\r\n", pad)...)
			if _, err := s.PutObject(ctx, cal.ID, w, store.Conditions{}); err != nil {
				t.Fatal(err)
			}
		}
		mustPut(a, "x.ics", "x", 0)
		mustPut(a, "y.ics", "y", 0)
		check("two created", 2*small, 0)
		large := small + 2*7
		mustPut(a, "x.ics", "x", 7)
		check("one replaced", small+large, 0)
		if _, err := s.MoveObject(ctx, a.ID, "x.ics", b.ID, "x.ics", store.Conditions{}, false); err != nil {
			t.Fatal(err)
		}
		check("one moved", small, large)
		if _, err := s.DeleteObject(ctx, a.ID, "y.ics", store.Conditions{}); err != nil {
			t.Fatal(err)
		}
		check("one deleted", 0, large)
		if err := s.DeleteCalendar(ctx, b.ID); err != nil {
			t.Fatal(err)
		}
		if all, err := s.Usage(ctx, alice.ID, 0); err != nil || all != 0 {
			t.Fatalf("after the calendar's deletion: %d %v", all, err)
		}
	})
}
