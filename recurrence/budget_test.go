package recurrence

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/almanac/almanac/icalendar"
)

// TestShapeLimits: an object with more rules, dates or overrides than the
// limits allow is refused before anything is expanded, and one at the
// limits is taken.
func TestShapeLimits(t *testing.T) {
	lim := DefaultLimits
	lim.MaxRules, lim.MaxDates, lim.MaxOverrides = 2, 3, 2
	override := func(day int) string {
		return fmt.Sprintf("BEGIN:VEVENT\nUID:test@example.com\nDTSTAMP:20240101T000000Z\nRECURRENCE-ID:202401%02dT090000Z\nDTSTART:202401%02dT100000Z\nEND:VEVENT", day, day)
	}
	master := "BEGIN:VEVENT\nUID:test@example.com\nDTSTAMP:20240101T000000Z\nDTSTART:20240101T090000Z\nRRULE:FREQ=DAILY\nEND:VEVENT"
	tests := []struct {
		name  string
		obj   *icalendar.Object
		limit string
	}{
		{"two rules", event(t, "DTSTART:20240101T090000Z", "RRULE:FREQ=DAILY", "RRULE:FREQ=WEEKLY"), ""},
		{"three rules", event(t, "DTSTART:20240101T090000Z", "RRULE:FREQ=DAILY", "RRULE:FREQ=WEEKLY", "RRULE:FREQ=MONTHLY"), "MaxRules"},
		{"three dates", event(t, "DTSTART:20240101T090000Z", "RRULE:FREQ=DAILY", "EXDATE:20240102T090000Z,20240103T090000Z",
			"RDATE:20240101T120000Z"), ""},
		{"four dates", event(t, "DTSTART:20240101T090000Z", "RRULE:FREQ=DAILY", "EXDATE:20240102T090000Z,20240103T090000Z",
			"EXDATE:20240104T090000Z", "RDATE:20240101T120000Z"), "MaxDates"},
		{"two overrides", object(t, master+"\n"+override(2)+"\n"+override(3)), ""},
		{"three overrides", object(t, master+"\n"+override(2)+"\n"+override(3)+"\n"+override(4)), "MaxOverrides"},
	}
	for _, tt := range tests {
		_, err := NewSeries(tt.obj, Options{Limits: lim})
		var le *LimitError
		switch {
		case tt.limit == "" && err != nil:
			t.Errorf("%s: %v", tt.name, err)
		case tt.limit != "" && (!errors.As(err, &le) || le.Limit != tt.limit || !le.Structural()):
			t.Errorf("%s: err = %v, want the %s limit", tt.name, err, tt.limit)
		}
	}
}

// TestManyRules: the 9.3 KB object of 200 RRULEs (each of 50,000
// instances, one every k minutes) is refused by MaxRules under the
// default limits, before any of its rules is compiled or expanded.
func TestManyRules(t *testing.T) {
	data, err := os.ReadFile(filepath.Join("testdata", "many-rules.ics"))
	if err != nil {
		t.Fatal(err)
	}
	obj, err := icalendar.ParseObject(data, icalendar.Options{})
	if err != nil {
		t.Fatal(err)
	}
	_, err = NewSeries(obj, Options{})
	var le *LimitError
	if !errors.As(err, &le) || le.Limit != "MaxRules" || !strings.Contains(err.Error(), "200 RRULE") {
		t.Fatalf("err = %v, want MaxRules", err)
	}
}

// TestBudget: every expansion of a series given a Budget is charged to
// it, and once the instances or the time are spent the expansion fails
// with a budget error; a series of one ordinary rule fits many times over.
func TestBudget(t *testing.T) {
	var rules []string
	for k := 1; k <= 10; k++ {
		rules = append(rules, fmt.Sprintf("RRULE:FREQ=MINUTELY;INTERVAL=%d;COUNT=50000", k))
	}
	dense := event(t, append([]string{"DTSTART:20240101T000000Z"}, rules...)...)
	horizon := utc("20260101")

	// Ten rules of 50,000: each is asked for MaxInstances+1, and the
	// budget runs out at the fifth.
	b := NewBudget(DefaultLimits, nil)
	_, err := mustSeries(t, dense, Options{}).WithBudget(b).Materialize(horizon)
	var le *LimitError
	if !errors.As(err, &le) || le.Limit != "WriteInstances" || !le.Budget() {
		t.Fatalf("err = %v, want WriteInstances", err)
	}
	if used := b.Used(); used > DefaultLimits.WriteInstances+DefaultLimits.MaxInstances+1 {
		t.Errorf("charged %d instances before stopping", used)
	}

	// Without a budget (readers), the same series is only cut per window.
	if _, err := mustSeries(t, dense, Options{}).Materialize(horizon); !errors.As(err, &le) || le.Budget() {
		t.Fatalf("without a budget: %v", err)
	}

	// An ordinary weekly meeting, with exceptions, indexed for two years.
	weekly := event(t, "DTSTART;TZID=Europe/Berlin:20240101T100000", "RRULE:FREQ=WEEKLY;BYDAY=MO,WE", "EXDATE;TZID=Europe/Berlin:20240103T100000")
	b = NewBudget(DefaultLimits, nil)
	if _, err := mustSeries(t, weekly, Options{}).WithBudget(b).Materialize(horizon); err != nil || b.Used() > 1000 {
		t.Fatalf("weekly: %v, %d charged", err, b.Used())
	}

	// Time: a clock that moves a second on every reading runs out of
	// WriteTime (5 s) after a few rules, however few their instances.
	var now time.Time
	tick := func() time.Time { now = now.Add(time.Second); return now }
	lim := DefaultLimits
	lim.WriteTime = 5 * time.Second
	_, err = mustSeries(t, dense, Options{}).WithBudget(NewBudget(lim, tick)).Expand(utc("20240101"), utc("20240101T000100Z"))
	if !errors.As(err, &le) || le.Limit != "WriteTime" {
		t.Fatalf("err = %v, want WriteTime", err)
	}
}
