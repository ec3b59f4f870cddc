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

// TestSeriesGolden expands each testdata/series/*.ics and compares every
// field of every instance with the golden .txt beside it.
func TestSeriesGolden(t *testing.T) {
	files, err := filepath.Glob("testdata/series/*.ics")
	if err != nil || len(files) == 0 {
		t.Fatal("no fixtures", err)
	}
	for _, f := range files {
		t.Run(filepath.Base(f), func(t *testing.T) {
			data, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			obj, err := icalendar.ParseObject(data, icalendar.Options{})
			if err != nil {
				t.Fatal(err)
			}
			s := mustSeries(t, obj, Options{})
			got, err := s.Expand(utc("20230101"), utc("20260101"))
			if err != nil {
				t.Fatal(err)
			}
			golden(t, strings.TrimPrefix(strings.TrimSuffix(f, ".ics")+".txt", "testdata/"), describe(got))
		})
	}
}

func describe(list []Instance) string {
	var b strings.Builder
	for _, in := range list {
		fmt.Fprintf(&b, "%s status=%s transp=%s\n", in, in.Status, in.Transp)
	}
	return b.String()
}

func TestOverrideWindow(t *testing.T) {
	s := seriesFromFile(t, "testdata/series/override-midnight-dst.ics", Options{})
	ny, _ := time.LoadLocation("America/New_York")
	// March 10 in New York: the instance moved there from March 9, and
	// March 10's own; not March 9's original slot.
	got, err := s.Expand(time.Date(2024, 3, 10, 0, 0, 0, 0, ny), time.Date(2024, 3, 11, 0, 0, 0, 0, ny))
	if err != nil {
		t.Fatal(err)
	}
	want := "20240310T073000Z/20240310T083000Z rid=20240310T033000Z override #1|20240311T023000Z/20240311T033000Z rid=20240311T023000Z #0"
	if g := strings.Join(strs(got), "|"); g != want {
		t.Errorf("\n got %s\nwant %s", g, want)
	}
}

func strs(list []Instance) []string {
	out := make([]string, len(list))
	for i, in := range list {
		out[i] = in.String()
	}
	return out
}

func seriesFromFile(t *testing.T, path string, opt Options) *Series {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	obj, err := icalendar.ParseObject(data, icalendar.Options{})
	if err != nil {
		t.Fatal(err)
	}
	return mustSeries(t, obj, opt)
}

// TestOverlap checks the RFC 4791 §9.9 rules at the window's edges.
func TestOverlap(t *testing.T) {
	at := utc("20240101T100000Z")
	hour := Instance{Start: at, End: at.Add(time.Hour)}
	zero := Instance{Start: at, End: at}
	cases := []struct {
		in       Instance
		from, to time.Time
		want     bool
	}{
		{hour, at.Add(-time.Hour), at, false},                   // starts where the window ends
		{hour, at.Add(time.Hour), at.Add(2 * time.Hour), false}, // ends where the window starts
		{hour, at.Add(59 * time.Minute), at.Add(2 * time.Hour), true},
		{hour, at.Add(-time.Hour), at.Add(time.Minute), true},
		{zero, at, at.Add(time.Hour), true},         // starts at the window's start
		{zero, at.Add(-time.Hour), at, false},       // starts at its end
		{zero, at.Add(-time.Hour), at.Add(1), true}, // inside
	}
	for i, c := range cases {
		if got := c.in.Overlaps(c.from, c.to, nil); got != c.want {
			t.Errorf("%d: %s overlaps [%s, %s) = %v, want %v", i, c.in, c.from, c.to, got, c.want)
		}
	}
}

// TestFloatingZone reads floating instances in the zone of the window.
func TestFloatingZone(t *testing.T) {
	obj := event(t, "DTSTART:20240301T230000", "DURATION:PT30M")
	tokyo, _ := time.LoadLocation("Asia/Tokyo")
	// 23:00 in Tokyo is 14:00Z: inside [13:00Z, 15:00Z) only when read there.
	from, to := utc("20240301T130000Z"), utc("20240301T150000Z")
	if got, _ := mustSeries(t, obj, Options{}).Expand(from, to); len(got) != 0 {
		t.Errorf("read in UTC: got %v", got)
	}
	got, _ := mustSeries(t, obj, Options{FloatingZone: tokyo}).Expand(from, to)
	if len(got) != 1 || !got[0].Start.Equal(utc("20240301T230000Z")) || !got[0].Floating {
		t.Errorf("read in Tokyo: got %v (Start stays wall clock)", got)
	}
	if start, end := got[0].In(tokyo); !start.Equal(utc("20240301T140000Z")) || end.Sub(start) != 30*time.Minute {
		t.Errorf("In(Tokyo) = %s, %s", start, end)
	}
}

func TestMaterialize(t *testing.T) {
	horizon := utc("20240401T000000Z")
	t.Run("endless", func(t *testing.T) {
		s := mustSeries(t, event(t, "DTSTART:20240301T090000Z", "RRULE:FREQ=WEEKLY"), Options{})
		m, err := s.Materialize(horizon)
		if err != nil || len(m.Instances) != 5 || !m.More || !m.Until.Equal(horizon) {
			t.Fatalf("got %d instances, more=%v until=%v, %v", len(m.Instances), m.More, m.Until, err)
		}
	})
	t.Run("ends before the horizon", func(t *testing.T) {
		s := mustSeries(t, event(t, "DTSTART:20240301T090000Z", "RRULE:FREQ=WEEKLY;COUNT=3"), Options{})
		m, err := s.Materialize(horizon)
		if err != nil || len(m.Instances) != 3 || m.More {
			t.Fatalf("got %d instances, more=%v, %v", len(m.Instances), m.More, err)
		}
	})
	t.Run("override after the horizon", func(t *testing.T) {
		s := seriesFromFile(t, "testdata/series/override-midnight-dst.ics", Options{})
		m, err := s.Materialize(utc("20240311T000000Z"))
		if err != nil || len(m.Instances) != 2 || !m.More {
			t.Fatalf("got %v, more=%v, %v", m.Instances, m.More, err)
		}
	})
	t.Run("capped", func(t *testing.T) {
		lim := DefaultLimits
		lim.MaxInstances = 10
		s := mustSeries(t, event(t, "DTSTART:20240301T090000Z", "RRULE:FREQ=DAILY"), Options{Limits: lim})
		m, err := s.Materialize(horizon)
		var le *LimitError
		if !errors.As(err, &le) || le.Limit != "MaxInstances" {
			t.Fatalf("err = %v, want a MaxInstances LimitError", err)
		}
		if len(m.Instances) != 10 || !m.More || !m.Until.Equal(utc("20240311T090000Z")) {
			t.Fatalf("got %d instances, more=%v until=%v", len(m.Instances), m.More, m.Until)
		}
	})
	t.Run("not recurring", func(t *testing.T) {
		s := mustSeries(t, event(t, "DTSTART:20240301T090000Z"), Options{})
		m, err := s.Materialize(horizon)
		if err != nil || len(m.Instances) != 1 || m.More || !m.Instances[0].RecurrenceID.IsZero() {
			t.Fatalf("got %v more=%v, %v", m.Instances, m.More, err)
		}
	})
}

// TestSeek compares expansions of windows far from DTSTART, which seek,
// with the same instances found by iterating from DTSTART.
func TestSeek(t *testing.T) {
	rules := []string{
		"FREQ=DAILY", "FREQ=DAILY;INTERVAL=3", "FREQ=WEEKLY;BYDAY=MO,WE,FR", "FREQ=WEEKLY;INTERVAL=2;BYDAY=TU,SU;WKST=SU",
		"FREQ=MONTHLY;BYDAY=-1FR", "FREQ=MONTHLY;INTERVAL=5;BYMONTHDAY=31", "FREQ=MONTHLY;BYDAY=MO,TU,WE,TH,FR;BYSETPOS=-2",
		"FREQ=YEARLY;BYMONTH=2;BYMONTHDAY=29", "FREQ=YEARLY;INTERVAL=3;BYWEEKNO=1,53;BYDAY=TH", "FREQ=YEARLY;BYYEARDAY=-1,100",
		"FREQ=HOURLY;INTERVAL=7;BYDAY=SA", "FREQ=MINUTELY;INTERVAL=90;BYHOUR=9,10,11", "FREQ=DAILY;COUNT=4000",
		"FREQ=WEEKLY;UNTIL=20300101T000000Z", "FREQ=WEEKLY;BYDAY=MO,WE,FR;BYSETPOS=2", "FREQ=DAILY;BYHOUR=1,2,3;BYMINUTE=30",
	}
	windows := [][2]string{{"20100301", "20100401"}, {"20240310", "20240312"}, {"20241027", "20241104"}, {"20201225", "20210110"}}
	for _, rule := range rules {
		rec, err := icalendar.ParseRecur(rule)
		if err != nil {
			t.Fatal(err)
		}
		start, _ := icalendar.ParseDateTime("19991231T023000", map[string][]string{"TZID": {"Europe/Berlin"}}, nil)
		r, err := NewRule(rec, start, DefaultLimits)
		if err != nil {
			t.Fatal(rule, err)
		}
		all, err := r.Between(MinTime, utc("20320101"), 1<<20)
		if err != nil {
			t.Fatal(err)
		}
		for _, w := range windows {
			from, to := utc(w[0]), utc(w[1])
			got, err := r.Between(from, to, 1<<20)
			if err != nil {
				t.Fatal(err)
			}
			if g, w := fmtInstants(got), fmtInstants(within(all, from, to)); g != w {
				t.Errorf("%s in [%s, %s):\n got %s\nwant %s", rule, from, to, g, w)
			}
		}
	}
}

func within(ts []time.Time, from, to time.Time) []time.Time {
	var out []time.Time
	for _, t := range ts {
		if !t.Before(from) && t.Before(to) {
			out = append(out, t)
		}
	}
	return out
}

// TestDateValuesOnDateTimeSeries reads DATE values of a DATE-TIME series
// leniently.
func TestDateValuesOnDateTimeSeries(t *testing.T) {
	obj := object(t, strings.Join([]string{
		"BEGIN:VEVENT", "UID:d", "DTSTAMP:20240101T000000Z", "DTSTART;TZID=Europe/Berlin:20240101T090000",
		"RRULE:FREQ=DAILY;COUNT=4", "RDATE;VALUE=DATE:20240110", "EXDATE;VALUE=DATE:20240102", "END:VEVENT",
		"BEGIN:VEVENT", "UID:d", "DTSTAMP:20240101T000000Z", "RECURRENCE-ID;VALUE=DATE:20240103",
		"DTSTART;TZID=Europe/Berlin:20240103T150000", "END:VEVENT"}, "\n"))
	got, err := mustSeries(t, obj, Options{}).Expand(utc("20240101"), utc("20240201"))
	if err != nil {
		t.Fatal(err)
	}
	want := "20240101T080000Z 20240103T140000Z 20240104T080000Z 20240110T080000Z"
	if g := strings.Join(starts(got), " "); g != want {
		t.Errorf("\n got %s\nwant %s", g, want)
	}
}

// TestConcurrentExpand shares one Series between goroutines (run with
// -race).
func TestConcurrentExpand(t *testing.T) {
	s := seriesFromFile(t, "testdata/series/thisandfuture.ics", Options{})
	done := make(chan string)
	for i := 0; i < 4; i++ {
		go func() {
			got, _ := s.Expand(utc("20240301"), utc("20240401"))
			done <- strings.Join(strs(got), "|")
		}()
	}
	first := <-done
	for i := 1; i < 4; i++ {
		if got := <-done; got != first {
			t.Errorf("expansions differ:\n%s\n%s", got, first)
		}
	}
}
