package recurrence

import (
	"errors"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/almanac/almanac/icalendar"
)

func TestLimits(t *testing.T) {
	cases := []struct {
		rule, limit string
	}{
		// Dense and with more than MaxCount instances: every second for a
		// year, twice a minute for a year, twice a minute for ever.
		{"FREQ=SECONDLY;UNTIL=20250101T000000Z", "MinInterval"},
		{"FREQ=MINUTELY;BYSECOND=0,30;UNTIL=20250101T000000Z", "MinInterval"},
		{"FREQ=DAILY;BYHOUR=" + seq(0, 23) + ";BYMINUTE=" + seq(0, 59) + ";BYSECOND=0,30", "MinInterval"},
		{"FREQ=MINUTELY;INTERVAL=15", "MinUnbounded"},
		{"FREQ=SECONDLY;INTERVAL=60", "MinUnbounded"},
		{"FREQ=DAILY;COUNT=1000000", "MaxCount"},
	}
	start, _ := icalendar.ParseDateTime("20240101T090000Z", nil, nil)
	for _, c := range cases {
		rec, err := icalendar.ParseRecur(c.rule)
		if err != nil {
			t.Fatal(err)
		}
		_, err = NewRule(rec, start, DefaultLimits)
		var le *LimitError
		if !errors.As(err, &le) || le.Limit != c.limit {
			t.Errorf("%s: err = %v, want the %s limit", c.rule, err, c.limit)
			continue
		}
		if !strings.Contains(err.Error(), c.limit+"=") {
			t.Errorf("%s: %q does not name the limit and its value", c.rule, err)
		}
	}
	// Within the limits: an hourly rule forever, every 20 minutes during
	// office hours forever, every 15 minutes for a day, and rules of any
	// frequency that COUNT or UNTIL keep to a few instances: the limits
	// bound instances, not rates.
	for _, rule := range []string{"FREQ=HOURLY", "FREQ=MINUTELY;INTERVAL=20;BYHOUR=9,10,11,12,13,14,15,16",
		"FREQ=MINUTELY;INTERVAL=15;COUNT=96", "FREQ=SECONDLY;COUNT=5", "FREQ=SECONDLY;UNTIL=20240101T091000Z",
		"FREQ=MINUTELY;BYSECOND=0,30;COUNT=10", "FREQ=DAILY;BYHOUR=" + seq(0, 23) + ";BYMINUTE=" + seq(0, 59) + ";BYSECOND=0,30;COUNT=100"} {
		rec, _ := icalendar.ParseRecur(rule)
		if _, err := NewRule(rec, start, DefaultLimits); err != nil {
			t.Errorf("%s: %v", rule, err)
		}
	}
}

// seq returns "a,a+1,...,b".
func seq(a, b int) string {
	var out []string
	for i := a; i <= b; i++ {
		out = append(out, strconv.Itoa(i))
	}
	return strings.Join(out, ",")
}

func TestMaxPerWindow(t *testing.T) {
	lim := DefaultLimits
	lim.MaxPerWindow = 5
	s := mustSeries(t, event(t, "DTSTART:20240101T090000Z", "RRULE:FREQ=DAILY"), Options{Limits: lim})
	got, err := s.Expand(utc("20240101"), utc("20250101"))
	var le *LimitError
	if !errors.As(err, &le) || le.Limit != "MaxPerWindow" || le.Value != "5" || len(got) != 5 {
		t.Fatalf("got %d instances, err %v", len(got), err)
	}
	if !got[4].Start.Equal(utc("20240105T090000Z")) {
		t.Errorf("the first five instances were not returned: %v", got)
	}
}

// TestMaxSteps stops a sub-daily rule that never matches: every 24 hours
// from 03:00, it can never reach BYHOUR=5.
func TestMaxSteps(t *testing.T) {
	rec, _ := icalendar.ParseRecur("FREQ=HOURLY;INTERVAL=24;BYHOUR=5")
	start, _ := icalendar.ParseDateTime("20240101T030000Z", nil, nil)
	lim := DefaultLimits
	lim.MaxSteps = 1000
	_, err := NewRule(rec, start, lim)
	var le *LimitError
	if !errors.As(err, &le) || le.Limit != "MaxSteps" {
		t.Fatalf("err = %v, want MaxSteps", err)
	}
}

// TestUnsatisfiable: rules that can never match end, and quickly after the
// first expansion.
func TestUnsatisfiable(t *testing.T) {
	for _, rule := range []string{"FREQ=YEARLY;BYMONTH=2;BYMONTHDAY=30", "FREQ=MONTHLY;BYMONTH=4;BYMONTHDAY=31",
		"FREQ=DAILY;BYMONTH=2;BYMONTHDAY=-30", "FREQ=WEEKLY;BYSECOND=60"} {
		s := mustSeries(t, event(t, "DTSTART:20240101T090000Z", "RRULE:"+rule), Options{})
		t0 := time.Now()
		got, err := s.Expand(utc("20300101"), utc("20310101"))
		if err != nil || len(got) != 0 {
			t.Errorf("%s: %v %v", rule, got, err)
		}
		if d := time.Since(t0); d > 50*time.Millisecond {
			t.Errorf("%s: a window took %v", rule, d)
		}
	}
}

func TestUnsupported(t *testing.T) {
	for _, c := range []struct{ rule, start string }{
		{"FREQ=MONTHLY;RSCALE=GREGORIAN;SKIP=BACKWARD", "20240131T090000Z"},
		{"FREQ=HOURLY;COUNT=3", "20240131"},
	} {
		rec, err := icalendar.ParseRecur(c.rule)
		if err != nil {
			t.Fatal(err)
		}
		start, _ := icalendar.ParseDateTime(c.start, nil, nil)
		_, err = NewRule(rec, start, DefaultLimits)
		var ie *icalendar.Error
		if !errors.As(err, &ie) || ie.Precondition != icalendar.ValidCalendarData {
			t.Errorf("%s: err = %v, want valid-calendar-data", c.rule, err)
		}
	}
}
