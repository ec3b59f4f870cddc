package calendar

import (
	"context"
	"os"
	"testing"
	"time"

	"github.com/almanac/almanac/store"
	"github.com/almanac/almanac/store/storetest"
)

// TestLargeSeriesIsCut: a series of 50,000 instances, one a minute, puts
// more instances in January than one request expands. Views, lists and
// free/busy still answer: they get the first SeriesBudget instances of
// it, marked Truncated, and the other events of the month unmarked.
func TestLargeSeriesIsCut(t *testing.T) {
	flood, err := os.ReadFile("testdata/every-minute.ics")
	if err != nil {
		t.Fatal(err)
	}
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		f := newFixture(t, st)
		for name, body := range map[string][]byte{"flood.ics": flood, "weekly.ics": ics(weeklyBerlin)} {
			if _, err := f.s.PutObject(ctx, f.owner, f.cal, name, body, store.Conditions{}); err != nil {
				t.Fatal(err)
			}
		}
		budget := f.s.SeriesBudget()
		from := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
		to := from.AddDate(0, 1, 0)

		items, err := f.s.Items(ctx, f.owner, []*store.Calendar{f.cal}, from, to, nil)
		if err != nil {
			t.Fatalf("Items: %v", err)
		}
		var cut, weekly int
		for _, it := range items {
			switch it.Summary.Title {
			case "Every minute":
				cut++
				if !it.Truncated {
					t.Fatalf("instance %s of the cut series not marked", it.Start)
				}
			case "Standup":
				weekly++
				if it.Truncated {
					t.Fatalf("weekly instance %s marked", it.Start)
				}
			}
		}
		if cut != budget || weekly != 4 {
			t.Fatalf("Items: %d of the large series (want %d), %d weekly (want 4)", cut, budget, weekly)
		}
		if first := items[0]; !first.Start.Equal(time.Date(2026, 1, 5, 9, 0, 0, 0, time.UTC)) {
			t.Errorf("first item %s", first.Start)
		}

		occs, err := f.s.Instances(ctx, f.owner, f.cal, from, to, nil)
		if err != nil {
			t.Fatalf("Instances: %v", err)
		}
		n := 0
		for _, oc := range occs {
			if oc.Truncated {
				n++
			}
		}
		if n != budget || len(occs) != budget+4 {
			t.Fatalf("Instances: %d marked of %d, want %d of %d", n, len(occs), budget, budget+4)
		}
		last := occs[len(occs)-1]
		if want := time.Date(2026, 1, 10, 0, 0, 0, 0, time.UTC).Add(time.Duration(budget-1) * time.Minute); last.Truncated && !last.Start.Equal(want) {
			t.Errorf("last instance kept %s, want %s", last.Start, want)
		}

		// A window past the indexed instances (20,000 of them) is expanded on
		// the fly, and cut the same way.
		late := time.Date(2026, 1, 25, 0, 0, 0, 0, time.UTC)
		items, err = f.s.Items(ctx, f.owner, []*store.Calendar{f.cal}, late, late.AddDate(0, 0, 14), nil)
		if err != nil {
			t.Fatalf("Items past the horizon: %v", err)
		}
		cut, weekly = 0, 0
		for _, it := range items {
			if it.Summary.Title == "Standup" {
				weekly++
			} else if it.Truncated {
				cut++
			}
		}
		if cut == 0 || cut > budget || cut+weekly != len(items) || weekly != 2 {
			t.Fatalf("past the horizon: %d items, %d of them marked, %d weekly", len(items), cut, weekly)
		}

		// A week that holds fewer instances than the budget is not cut.
		week := time.Date(2026, 1, 12, 0, 0, 0, 0, time.UTC)
		items, err = f.s.Items(ctx, f.owner, []*store.Calendar{f.cal}, week, week.Add(24*time.Hour), nil)
		if err != nil || len(items) != 24*60+1 || items[0].Truncated {
			t.Fatalf("one day: %d items, %v", len(items), err)
		}
	})
}
