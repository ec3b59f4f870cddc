package timezone

import (
	"bytes"
	"fmt"
	"math/rand"
	"os"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/emersion/go-ical"
)

// parseICS decodes an iCalendar text. go-ical panics on some malformed input,
// so the panic is turned into an error here.
func parseICS(data []byte) (cal *ical.Calendar, err error) {
	defer func() {
		if r := recover(); r != nil {
			cal, err = nil, fmt.Errorf("go-ical panicked: %v", r)
		}
	}()
	data = bytes.TrimPrefix(data, []byte("\xef\xbb\xbf"))
	return ical.NewDecoder(bytes.NewReader(data)).Decode()
}

func readICS(t testing.TB, path string) *ical.Calendar {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	cal, err := parseICS(data)
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return cal
}

// vtimezones returns the calendar's VTIMEZONE components by TZID, in the
// form Resolve takes.
func vtimezones(cal *ical.Calendar) map[string]*ical.Component {
	defs := map[string]*ical.Component{}
	for _, c := range cal.Children {
		if c.Name == ical.CompTimezone {
			if p := c.Props.Get("TZID"); p != nil {
				defs[p.Value] = c
			}
		}
	}
	return defs
}

// printComponent writes c inside a VCALENDAR with go-ical's encoder, which
// is enough to show that a generated VTIMEZONE is valid iCalendar text.
func printComponent(c *ical.Component) (string, error) {
	cal := ical.NewCalendar()
	cal.Props.SetText("VERSION", "2.0")
	cal.Props.SetText("PRODID", "-//Almanac//timezone tests//EN")
	cal.Children = append(cal.Children, c)
	var b bytes.Buffer
	if err := ical.NewEncoder(&b).Encode(cal); err != nil {
		return "", err
	}
	return b.String(), nil
}

// probes returns the instants at which two locations are compared in [from,
// to): around every change of either (one second before, at, and the whole
// hours from three hours before to three after), and n pseudo-random ones.
func probes(from, to time.Time, n int, seed int64, locs ...*time.Location) []time.Time {
	var out []time.Time
	add := func(t time.Time) {
		if !t.Before(from) && t.Before(to) {
			out = append(out, t)
		}
	}
	for _, loc := range locs {
		_, changes := zoneChanges(loc, from, to)
		for _, c := range changes {
			add(c.at.Add(-time.Second))
			add(c.at)
			h := c.at.Truncate(time.Hour)
			for k := -3; k <= 3; k++ {
				add(h.Add(time.Duration(k) * time.Hour))
			}
		}
	}
	rng := rand.New(rand.NewSource(seed))
	span := to.Unix() - from.Unix()
	for i := 0; i < n && span > 0; i++ {
		add(time.Unix(from.Unix()+rng.Int63n(span), 0))
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Before(out[j]) })
	return out
}

// diffOffsets lists the instants at which got and want disagree on the UTC
// offset, at most max of them.
func diffOffsets(got, want *time.Location, at []time.Time, max int) []string {
	var out []string
	for _, t := range at {
		_, g := t.In(got).Zone()
		_, w := t.In(want).Zone()
		if g != w {
			out = append(out, fmt.Sprintf("%s: got %s, want %s", t.UTC().Format(time.RFC3339),
				formatOffset(g), formatOffset(w)))
			if len(out) == max {
				break
			}
		}
	}
	return out
}

// firstOnset is the earliest onset of a VTIMEZONE's observances: DTSTART
// read in TZOFFSETFROM. The definition says nothing about earlier instants.
func firstOnset(c *ical.Component) (time.Time, bool) {
	var first time.Time
	for _, o := range c.Children {
		p := o.Props.Get("DTSTART")
		q := o.Props.Get("TZOFFSETFROM")
		if p == nil || q == nil {
			continue
		}
		t, _, err := parseWall(p.Value)
		off, err2 := parseOffset(q.Value)
		if err != nil || err2 != nil {
			continue
		}
		t = t.Add(-time.Duration(off) * time.Second)
		if first.IsZero() || t.Before(first) {
			first = t
		}
	}
	return first, !first.IsZero()
}

func observances(c *ical.Component) []string {
	var out []string
	for _, o := range c.Children {
		var parts []string
		for _, name := range []string{"DTSTART", "TZOFFSETFROM", "TZOFFSETTO", "RRULE"} {
			if p := o.Props.Get(name); p != nil {
				parts = append(parts, name+"="+p.Value)
			}
		}
		out = append(out, o.Name+" "+strings.Join(parts, " "))
	}
	return out
}
