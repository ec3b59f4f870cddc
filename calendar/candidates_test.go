package calendar

import (
	"context"
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/almanac/almanac/store"
	"github.com/almanac/almanac/store/storetest"
)

// TestObjectsOverlapping checks that the object-level answers agree with
// Instances: inside the indexed horizon, past it, and for an all-day event
// read in the calendar's zone.
func TestObjectsOverlapping(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		f := newFixture(t, st)
		ctx := context.Background()
		put := func(name, body string) int64 {
			res, err := f.s.PutObject(ctx, f.owner, f.cal, name, ics(body), store.Conditions{})
			if err != nil {
				t.Fatal(err)
			}
			return res.ObjectID
		}
		weekly := put("weekly.ics", weeklyBerlin)
		holiday := put("holiday.ics", "BEGIN:VEVENT\nUID:holiday\nDTSTAMP:20260101T000000Z\nDTSTART;VALUE=DATE:20260120\nSUMMARY:Day off\nEND:VEVENT\n")
		day := func(s string) time.Time { t, _ := time.Parse("2006-01-02T15", s); return t }
		for _, tc := range []struct {
			from, to string
			want     []int64
		}{
			{"2026-01-19T00", "2026-01-20T00", []int64{weekly}},  // Monday: the standup
			{"2026-01-20T04", "2026-01-20T06", []int64{holiday}}, // New York's day off starts at 05:00 UTC
			{"2026-01-20T00", "2026-01-20T05", nil},              // before it
			{"2026-06-01T00", "2026-06-02T00", []int64{weekly}},  // past the 60-day horizon
			{"2026-01-17T00", "2026-01-19T00", nil},              // a weekend
		} {
			from, to := day(tc.from), day(tc.to)
			ids, err := f.s.ObjectsOverlapping(ctx, f.owner, f.cal, from, to, nil)
			if err != nil {
				t.Fatal(err)
			}
			var streamed []int64
			err = f.s.EachOverlapping(ctx, f.owner, f.cal, from, to, nil, func(o *store.Object) error {
				if len(o.Data) == 0 {
					t.Errorf("object %d without data", o.ID)
				}
				streamed = append(streamed, o.ID)
				return nil
			})
			if err != nil {
				t.Fatal(err)
			}
			slices.Sort(ids)
			slices.Sort(streamed)
			if !slices.Equal(ids, tc.want) || !slices.Equal(streamed, tc.want) {
				t.Errorf("%s–%s: ObjectsOverlapping %v, EachOverlapping %v; want %v", tc.from, tc.to, ids, streamed, tc.want)
			}
		}
		stranger := &store.User{Name: "stranger", Email: "s@example.com"}
		if err := st.CreateUser(ctx, stranger); err != nil {
			t.Fatal(err)
		}
		if _, err := f.s.ObjectsOverlapping(ctx, stranger, f.cal, day("2026-01-19T00"), day("2026-01-20T00"), nil); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("stranger: %v, want ErrNotFound", err)
		}
	})
}
