package store_test

import (
	"context"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/almanac/almanac/store"
	"github.com/almanac/almanac/store/storetest"
)

// textWrite is an event whose search text is text, with one instance at
// day (days after 2026-01-01, 10:00 UTC, an hour long).
func textWrite(uid, text string, day int) *store.ObjectWrite {
	w := write(uid+".ics", uid)
	w.Text = text
	start := time.Date(2026, 1, 1+day, 10, 0, 0, 0, time.UTC)
	w.Instances = []store.Instance{{Start: store.Micro(start), End: store.Micro(start.Add(time.Hour))}}
	return w
}

func searchUIDs(t *testing.T, s *store.Store, cals []int64, now int, words ...string) []string {
	t.Helper()
	at := store.Micro(time.Date(2026, 1, 1+now, 0, 0, 0, 0, time.UTC))
	hits, err := s.SearchObjects(context.Background(), cals, words, at, 50)
	if err != nil {
		t.Fatal(err)
	}
	ids := make([]int64, len(hits))
	for i, h := range hits {
		ids[i] = h.ID
	}
	objs, err := s.GetObjectsByID(context.Background(), ids)
	if err != nil {
		t.Fatal(err)
	}
	uid := map[int64]string{}
	for _, o := range objs {
		uid[o.ID] = o.UID
	}
	out := make([]string, len(hits))
	for i, h := range hits {
		out[i] = uid[h.ID]
	}
	return out
}

func TestSearchObjects(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		u := mustUser(t, s, "alice")
		work, home := mustCalendar(t, s, u, "work"), mustCalendar(t, s, u, "home")
		for _, w := range []*store.ObjectWrite{
			textWrite("past", "team planning room 4", 1),
			textWrite("soon", "planning with bob bob example com", 20),
			textWrite("later", "team offsite", 40),
			textWrite("other", "planning lunch", 25),
		} {
			cal := work.ID
			if w.UID == "other" {
				cal = home.ID
			}
			if _, err := s.PutObject(ctx, cal, w, store.Conditions{}); err != nil {
				t.Fatal(err)
			}
		}
		series := textWrite("series", "weekly planning", 0)
		series.IndexedUntil = store.Micro(time.Date(2026, 6, 1, 0, 0, 0, 0, time.UTC)) // endless
		if _, err := s.PutObject(ctx, work.ID, series, store.Conditions{}); err != nil {
			t.Fatal(err)
		}
		both := []int64{work.ID, home.ID}
		// On 10 January: the endless series is under way, then the events
		// to come by start, then the past one.
		if got := searchUIDs(t, s, both, 9, "plan"); !slices.Equal(got, []string{"series", "soon", "other", "past"}) {
			t.Errorf("plan: %v", got)
		}
		if got := searchUIDs(t, s, []int64{work.ID}, 9, "plan"); !slices.Equal(got, []string{"series", "soon", "past"}) {
			t.Errorf("plan in work only: %v", got)
		}
		if got := searchUIDs(t, s, both, 9, "team", "pl"); !slices.Equal(got, []string{"past"}) {
			t.Errorf("team pl: %v", got)
		}
		if got := searchUIDs(t, s, both, 9, "bob"); !slices.Equal(got, []string{"soon"}) {
			t.Errorf("bob: %v", got)
		}
		if got := searchUIDs(t, s, both, 9, "nothing"); len(got) != 0 {
			t.Errorf("nothing: %v", got)
		}

		// A rewrite replaces the text; a deletion and a deleted calendar
		// take it away.
		if _, err := s.PutObject(ctx, work.ID, textWrite("soon", "dentist", 20), store.Conditions{}); err != nil {
			t.Fatal(err)
		}
		if got := searchUIDs(t, s, both, 9, "dentist"); !slices.Equal(got, []string{"soon"}) {
			t.Errorf("dentist after the rewrite: %v", got)
		}
		if got := searchUIDs(t, s, both, 9, "bob"); len(got) != 0 {
			t.Errorf("bob after the rewrite: %v", got)
		}
		if _, err := s.DeleteObject(ctx, work.ID, "soon.ics", store.Conditions{}); err != nil {
			t.Fatal(err)
		}
		if got := searchUIDs(t, s, both, 9, "dentist"); len(got) != 0 {
			t.Errorf("dentist after the deletion: %v", got)
		}
		if err := s.DeleteCalendar(ctx, home.ID); err != nil {
			t.Fatal(err)
		}
		if got := searchUIDs(t, s, both, 9, "lunch"); len(got) != 0 {
			t.Errorf("lunch after its calendar went: %v", got)
		}
		// The index follows: new text finds the words it has.
		if _, err := s.PutObject(ctx, work.ID, textWrite("new", "lunch again", 3), store.Conditions{}); err != nil {
			t.Fatal(err)
		}
		if got := searchUIDs(t, s, both, 9, "lunch"); !slices.Equal(got, []string{"new"}) {
			t.Errorf("lunch again: %v", got)
		}
	})
}

func TestSearchBatchAndBackfill(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		u := mustUser(t, s, "alice")
		cal := mustCalendar(t, s, u, "work")
		b := &store.Batch{}
		for i := range 5 {
			b.Writes = append(b.Writes, store.BatchWrite{ObjectWrite: textWrite(fmt.Sprintf("e%d", i), fmt.Sprintf("import number%d", i), i)})
		}
		if _, err := s.PutObjects(ctx, cal.ID, b); err != nil {
			t.Fatal(err)
		}
		if got := searchUIDs(t, s, []int64{cal.ID}, 0, "import"); len(got) != 5 {
			t.Errorf("import: %v", got)
		}
		if got := searchUIDs(t, s, []int64{cal.ID}, 0, "number3"); !slices.Equal(got, []string{"e3"}) {
			t.Errorf("number3: %v", got)
		}
		// Every object has its row, so none waits for the backfill.
		if objs, err := s.ObjectsWithoutText(ctx, 0, 10); err != nil || len(objs) != 0 {
			t.Fatalf("ObjectsWithoutText: %d, %v", len(objs), err)
		}
		if err := s.PutObjectTexts(ctx, map[int64]string{}); err != nil {
			t.Fatal(err)
		}
		objs, err := s.ListObjects(ctx, cal.ID, false)
		if err != nil {
			t.Fatal(err)
		}
		texts := map[int64]string{}
		for _, o := range objs {
			texts[o.ID] = "backfilled " + o.UID
		}
		if err := s.PutObjectTexts(ctx, texts); err != nil {
			t.Fatal(err)
		}
		if got := searchUIDs(t, s, []int64{cal.ID}, 0, "backfilled"); len(got) != 5 || got[0] != "e0" {
			t.Errorf("backfilled, by start: %v", got)
		}
		if got := searchUIDs(t, s, []int64{cal.ID}, 0, "import"); len(got) != 0 {
			t.Errorf("import after the backfill replaced it: %v", got)
		}
	})
}

// TestSearchManyMatches searches words most events have, which reads the
// calendars in time order rather than every match: the same order.
func TestSearchManyMatches(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		u := mustUser(t, s, "alice")
		cal := mustCalendar(t, s, u, "work")
		b := &store.Batch{}
		for i := range 1200 {
			// Days 0 to 599, twice, with a rarer word on every hundredth.
			text := "common"
			if i%100 == 0 {
				text += " rare"
			}
			b.Writes = append(b.Writes, store.BatchWrite{ObjectWrite: textWrite(fmt.Sprintf("e%04d", i), text, i%600)})
		}
		if _, err := s.PutObjects(ctx, cal.ID, b); err != nil {
			t.Fatal(err)
		}
		// On day 500: days 500 to 599 to come, by start, then 499 back.
		got := searchUIDs(t, s, []int64{cal.ID}, 500, "comm")
		if len(got) != 50 || got[0] != "e0500" || got[1] != "e1100" || got[2] != "e0501" {
			t.Errorf("comm, to come: %v", got)
		}
		got = searchUIDs(t, s, []int64{cal.ID}, 600, "common")
		if len(got) != 50 || got[0] != "e0599" || got[1] != "e1199" || got[2] != "e0598" {
			t.Errorf("common, all past: %v", got)
		}
		// Past the last year, too.
		got = searchUIDs(t, s, []int64{cal.ID}, 1200, "common")
		if len(got) != 50 || got[0] != "e0599" {
			t.Errorf("common, over a year later: %v", got)
		}
		if got := searchUIDs(t, s, []int64{cal.ID}, 600, "rare"); len(got) != 12 || got[0] != "e0500" {
			t.Errorf("rare: %v", got)
		}
	})
}
