package main

import (
	"bytes"
	"context"
	"path/filepath"
	"strings"
	"testing"

	"github.com/almanac/almanac/store"
)

func TestSimEventIsReproducible(t *testing.T) {
	a, b := simEvent(1, 42, 7), simEvent(1, 42, 7)
	if !bytes.Equal(a, b) {
		t.Fatal("the same seed, user and number gave different events")
	}
	if bytes.Equal(a, simEvent(2, 42, 7)) || bytes.Equal(a, simEvent(1, 42, 8)) {
		t.Fatal("another seed or number gave the same event")
	}
}

// The mix the data set promises (see simEvent), within a few points.
func TestSimEventMix(t *testing.T) {
	const n = 20000
	counts := map[string]int{}
	for i := range n {
		ev := string(simEvent(1, i%100, i))
		if !strings.Contains(ev, "BEGIN:VTIMEZONE") {
			counts["timezone-less"]++
		}
		ev = ev[strings.Index(ev, "BEGIN:VEVENT"):] // time zones have rules too
		for label, marker := range map[string]string{
			"recurring": "RRULE:", "all-day": "DTSTART;VALUE=DATE:", "meeting": "ORGANIZER",
			"alarm": "BEGIN:VALARM", "override": "RECURRENCE-ID",
		} {
			if strings.Contains(ev, marker) {
				counts[label]++
			}
		}
	}
	for _, c := range []struct {
		label    string
		min, max float64
	}{
		{"recurring", 0.18, 0.22},
		{"all-day", 0.10, 0.14}, // one in ten, and the yearly series
		{"meeting", 0.10, 0.14},
		{"alarm", 0.28, 0.34},
		{"override", 0.004, 0.02},
		{"timezone-less", 0.15, 0.30},
	} {
		if f := float64(counts[c.label]) / n; f < c.min || f > c.max {
			t.Errorf("%s: %.3f of the events, want %.2f…%.2f", c.label, f, c.min, c.max)
		}
	}
}

// The generator writes through the real store: users, calendars, shares
// and every event valid and indexed.
func TestGenerate(t *testing.T) {
	db := filepath.Join(t.TempDir(), "sim.db")
	if err := generate([]string{"-db", db, "-users", "20", "-events", "60", "-workers", "2"}); err != nil {
		t.Fatal(err)
	}
	// A second run finds every block written and adds nothing.
	if err := generate([]string{"-db", db, "-users", "20", "-events", "60"}); err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	st, err := store.Open(ctx, db, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	u, err := st.GetUserByName(ctx, "sim00013")
	if err != nil {
		t.Fatal(err)
	}
	if u.Email != "sim00013@sim.almanac.test" || u.TimeZone != userZone(13) {
		t.Errorf("user: %+v", u)
	}
	total := 0
	for _, name := range []string{"personal", "work"} {
		cal, err := st.GetCalendarByName(ctx, u.ID, name)
		if err != nil {
			t.Fatal(err)
		}
		objs, err := st.ListObjects(ctx, cal.ID, false)
		if err != nil {
			t.Fatal(err)
		}
		total += len(objs)
	}
	if total != 60 {
		t.Errorf("sim00013 has %d events, want 60", total)
	}
	work, _ := st.GetCalendarByName(ctx, u.ID, "work")
	shares, err := st.ListShares(ctx, work.ID)
	if err != nil {
		t.Fatal(err)
	}
	if len(shares) != 3 {
		t.Errorf("work calendar shared with %d users, want 3", len(shares))
	}
}
