package recurrence

import (
	"bufio"
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"
)

type rfcExample struct {
	title string
	props []string
	want  []time.Time
	open  bool   // the RFC lists the beginning of an endless series
	note  string // why the list differs from the RFC's
}

// TestRFC5545Examples expands every example of RFC 5545 §3.8.5.3 in
// America/New_York and compares the instants with the local times the RFC
// lists, across the daylight saving changes of 1997–2007.
func TestRFC5545Examples(t *testing.T) {
	examples := readRFCExamples(t, "testdata/rfc5545-examples.txt")
	if len(examples) != 42 {
		t.Fatalf("read %d examples, want 42", len(examples))
	}
	for _, ex := range examples {
		t.Run(ex.title, func(t *testing.T) {
			if ex.note != "" {
				t.Log(ex.note)
			}
			lim := DefaultLimits
			if ex.open {
				lim.MaxPerWindow = len(ex.want)
			}
			s := mustSeries(t, event(t, append(ex.props, "DURATION:PT1H")...), Options{Limits: lim})
			got, err := s.Expand(utc("19900101"), utc("20300101"))
			var le *LimitError
			if err != nil && !(ex.open && errors.As(err, &le)) {
				t.Fatal(err)
			}
			if ex.open && err == nil {
				t.Fatalf("an endless series ended after %d instances", len(got))
			}
			if g, w := instants(got), fmtInstants(ex.want); g != w {
				t.Errorf("\n got %s\nwant %s", g, w)
			}
		})
	}
}

func instants(list []Instance) string {
	return strings.Join(starts(list), " ")
}

func fmtInstants(ts []time.Time) string {
	out := make([]string, len(ts))
	for i, t := range ts {
		out[i] = t.UTC().Format("20060102T150405Z")
	}
	return strings.Join(out, " ")
}

func readRFCExamples(t *testing.T, path string) []rfcExample {
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out []rfcExample
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		l := sc.Text()
		switch {
		case l == "" || strings.HasPrefix(l, "#"):
		case strings.HasPrefix(l, "= "):
			out = append(out, rfcExample{title: l[2:]})
		case strings.HasPrefix(l, "! "):
			out[len(out)-1].note = l[2:]
		case l == "...":
			out[len(out)-1].open = true
		case strings.HasPrefix(l, "> "), strings.HasPrefix(l, "@ "):
			ts, err := parseRFCLine(l)
			if err != nil {
				t.Fatalf("%q: %v", l, err)
			}
			out[len(out)-1].want = append(out[len(out)-1].want, ts...)
		default:
			out[len(out)-1].props = append(out[len(out)-1].props, l)
		}
	}
	return out
}

var rfcZones = map[string]int{"EDT": -4, "EST": -5}

// parseRFCLine reads "> 1997 09:00 EDT Sep 2-30; Oct 1-25" (one time,
// several days) or "@ 1997 Sep 2 EDT 09:00,12:00" (one day, several
// times) into instants.
func parseRFCLine(l string) ([]time.Time, error) {
	f := strings.Fields(l[2:])
	if len(f) < 4 {
		return nil, fmt.Errorf("too short")
	}
	year, _ := strconv.Atoi(f[0])
	if l[0] == '@' {
		day, _ := strconv.Atoi(f[2])
		return rfcTimes(year, f[1], day, f[3], strings.Join(f[4:], ""))
	}
	var out []time.Time
	for _, group := range strings.Split(strings.Join(f[3:], " "), ";") {
		mon, days, _ := strings.Cut(strings.TrimSpace(group), " ")
		for _, d := range expandDays(days) {
			ts, err := rfcTimes(year, mon, d, f[2], f[1])
			if err != nil {
				return nil, err
			}
			out = append(out, ts...)
		}
	}
	return out, nil
}

func rfcTimes(year int, mon string, day int, zone, clocks string) ([]time.Time, error) {
	m, err := time.Parse("Jan", mon)
	if err != nil {
		return nil, err
	}
	off, ok := rfcZones[zone]
	if !ok {
		return nil, fmt.Errorf("zone %q", zone)
	}
	var out []time.Time
	for _, c := range strings.Split(clocks, ",") {
		hm, err := time.Parse("15:04", c)
		if err != nil {
			return nil, err
		}
		loc := time.FixedZone(zone, off*3600)
		out = append(out, time.Date(year, m.Month(), day, hm.Hour(), hm.Minute(), 0, 0, loc))
	}
	return out, nil
}

// expandDays reads "2,4,9-11" as 2 4 9 10 11.
func expandDays(s string) []int {
	var out []int
	for _, item := range strings.Split(s, ",") {
		lo, hi, isRange := strings.Cut(strings.TrimSpace(item), "-")
		a, _ := strconv.Atoi(lo)
		b := a
		if isRange {
			b, _ = strconv.Atoi(hi)
		}
		for d := a; d <= b; d++ {
			out = append(out, d)
		}
	}
	return out
}
