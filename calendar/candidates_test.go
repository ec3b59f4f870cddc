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

// TestObjectsOverlappingWideWindow asks for "everything", as clients that
// sync a whole calendar do (1970 to 2038): series past the horizon are
// probed, not listed, so an endless hourly series is found at once and one
// that ended before the window is not, and nothing is refused as too wide.
func TestObjectsOverlappingWideWindow(t *testing.T) {
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
		hourly := put("hourly.ics", "BEGIN:VEVENT\nUID:hourly\nDTSTAMP:20260101T000000Z\nDTSTART:20260105T090000Z\nDURATION:PT10M\nRRULE:FREQ=HOURLY\nEND:VEVENT\n")
		yearly := put("yearly.ics", "BEGIN:VEVENT\nUID:yearly\nDTSTAMP:20260101T000000Z\nDTSTART;VALUE=DATE:19971102\nRRULE:FREQ=YEARLY\nEND:VEVENT\n")
		put("ended.ics", "BEGIN:VEVENT\nUID:ended\nDTSTAMP:20260101T000000Z\nDTSTART:19900105T090000Z\nRRULE:FREQ=DAILY;UNTIL=19920105T090000Z\nEND:VEVENT\n")
		from, to := time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC), time.Date(2038, 1, 1, 0, 0, 0, 0, time.UTC)
		ids, err := f.s.ObjectsOverlapping(ctx, f.owner, f.cal, from, to, nil)
		if err != nil {
			t.Fatal(err)
		}
		slices.Sort(ids)
		if want := []int64{hourly, yearly}; !slices.Equal(ids, want) {
			t.Errorf("2020–2038: %v, want %v", ids, want)
		}
		// Past every horizon: only probing can answer.
		from = time.Date(2090, 1, 1, 0, 0, 0, 0, time.UTC)
		if ids, err = f.s.ObjectsOverlapping(ctx, f.owner, f.cal, from, from.Add(time.Hour), nil); err != nil || len(ids) != 1 || ids[0] != hourly {
			t.Errorf("an hour in 2090: %v %v, want [%d]", ids, err, hourly)
		}
	})
}
