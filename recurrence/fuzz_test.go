package recurrence

import (
	"slices"
	"testing"
	"time"

	"github.com/emersion/go-ical"

	"github.com/almanac/almanac/icalendar"
)

var fuzzZones = []string{"", "America/New_York", "Europe/Berlin", "Australia/Sydney", "Pacific/Chatham", "Asia/Kolkata", "UTC"}

// FuzzExpand expands arbitrary rules from arbitrary starts: it must not
// panic, must stay within the limits and its time, and must return the
// same instances whether it seeks to the window or starts further back.
func FuzzExpand(f *testing.F) {
	for _, s := range []struct {
		rule, start string
		zone        uint8
		days        uint16
	}{
		{"FREQ=DAILY", "20050301T090000", 2, 7300},
		{"FREQ=WEEKLY;BYDAY=MO,WE,FR;UNTIL=20300101T000000Z", "20240101T100000", 1, 100},
		{"FREQ=MONTHLY;BYDAY=-1SU;BYHOUR=2;BYMINUTE=30", "20240101T023000", 1, 60},
		{"FREQ=HOURLY;INTERVAL=3;BYDAY=SA,SU", "20241101T000000", 1, 2},
		{"FREQ=YEARLY;BYWEEKNO=53;BYDAY=TH;INTERVAL=6", "20270103T000000Z", 0, 3000},
		{"freq=minutely;interval=20;byhour=9,10;", "20240310T013000", 1, 0},
		{"FREQ=YEARLY;BYMONTH=2;BYMONTHDAY=30", "20240101", 0, 0},
		{"FREQ=MONTHLY;BYSETPOS=-1;BYDAY=MO,TU,WE,TH,FR;COUNT=50", "20240131T090000", 4, 400},
	} {
		f.Add(s.rule, s.start, s.zone, s.days)
	}
	f.Fuzz(func(t *testing.T, rule, dtstart string, zone uint8, days uint16) {
		rec, err := icalendar.ParseRecur(rule)
		if err != nil {
			return
		}
		params := ical.Params{}
		if tz := fuzzZones[int(zone)%len(fuzzZones)]; tz != "" {
			params.Set("TZID", tz)
		}
		start, err := icalendar.ParseDateTime(dtstart, params, nil)
		if err != nil {
			return
		}
		t0 := time.Now()
		r, err := NewRule(rec, start, DefaultLimits)
		if err != nil {
			return
		}
		from := r.Start().AddDate(0, 0, int(days))
		to := from.AddDate(0, 1, 0)
		got, err := r.Between(from, to, 1000)
		if err != nil {
			t.Fatalf("%s from %s: %v", rule, dtstart, err)
		}
		checkSorted(t, got, from, to)
		wider, err := r.Between(from.AddDate(0, 0, -40), to, 1<<20)
		if err != nil {
			t.Fatal(err)
		}
		if w := within(wider, from, to); len(got) < 1000 && !slices.EqualFunc(got, w, time.Time.Equal) {
			t.Fatalf("%s from %s: seeking to %s gives\n%v\nstarting 40 days earlier gives\n%v", rule, dtstart, from, got, w)
		}
		if d := time.Since(t0); d > 3*time.Second {
			t.Fatalf("%s from %s took %v", rule, dtstart, d)
		}
	})
}

func checkSorted(t *testing.T, got []time.Time, from, to time.Time) {
	t.Helper()
	for i, at := range got {
		if at.Before(from) || !at.Before(to) {
			t.Fatalf("%s is outside [%s, %s)", at, from, to)
		}
		if i > 0 && !got[i-1].Before(at) {
			t.Fatalf("not strictly increasing: %s then %s", got[i-1], at)
		}
	}
}

// FuzzRule parses arbitrary rule text: what parses must print and parse
// back to the same rule, and compile or fail cleanly.
func FuzzRule(f *testing.F) {
	for _, s := range []string{"FREQ=DAILY;COUNT=10", "rrule:freq=weekly;byday=mo,-1fr;wkst=su;", "FREQ=YEARLY;BYWEEKNO=-53;BYYEARDAY=366",
		"RSCALE=GREGORIAN;FREQ=MONTHLY;SKIP=OMIT;BYMONTHDAY=31", "FREQ=SECONDLY;BYSECOND=60;UNTIL=20240101", "FREQ=DAILY;X-FOO=BAR;INTERVAL=999999999"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		rec, err := icalendar.ParseRecur(s)
		if err != nil {
			return
		}
		again, err := icalendar.ParseRecur(rec.String())
		if err != nil || again.String() != rec.String() {
			t.Fatalf("%q printed as %q, which parses as %q (%v)", s, rec.String(), again.String(), err)
		}
		start, _ := icalendar.ParseDateTime("20240131T093000", nil, nil)
		if r, err := NewRule(rec, start, DefaultLimits); err == nil {
			got, err := r.Between(start.Time, start.Time.AddDate(1, 0, 0), 100)
			if err == nil {
				checkSorted(t, got, start.Time, start.Time.AddDate(1, 0, 0))
			}
		}
	})
}
