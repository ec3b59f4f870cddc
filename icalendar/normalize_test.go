package icalendar

import (
	"bytes"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/emersion/go-ical"
)

// TestNormalize reads each case of testdata/lenient, which RFC 5545 does
// not allow but clients write, and checks that it is accepted with its fix
// recorded, that the parsed component has the canonical shape every
// consumer reads, that Raw keeps the client's bytes, and that Strict
// refuses it.
func TestNormalize(t *testing.T) {
	cases := []struct {
		file string
		fix  Fix
		// Property lines of the first component once normalised; a
		// path names a subcomponent, "-NAME" an absent property.
		want []string
	}{
		{"sloppy-duration.ics", FixSloppyDuration, []string{"DURATION:P1D", "VALARM/TRIGGER:-PT1H"}},
		{"date-dtstamp.ics", FixDateStamp, []string{"DTSTAMP:20240101T000000Z"}},
		{"bad-sequence.ics", FixBadSequence, []string{"SEQUENCE:0"}},
		{"unknown-status.ics", FixUnknownStatus, []string{"STATUS:FAILED"}},
		{"unknown-transp.ics", FixUnknownTransp, []string{"TRANSP:OPAQUE"}},
		{"end-and-duration.ics", FixEndAndDuration, []string{"DTEND:20240110T110000Z", "-DURATION"}},
		{"duration-without-start.ics", FixDurationWithoutStart, []string{"-DURATION"}},
		// The end takes DTSTART's type, in DTSTART's zone.
		{"end-type-date-start.ics", FixEndValueType, []string{"DTEND;VALUE=DATE:20240112"}}, // past midnight: the day is covered
		{"end-type-utc-start.ics", FixEndValueType, []string{"DTEND:20240111T000000Z"}},
		{"end-type-zoned-start.ics", FixEndValueType, []string{"DUE;TZID=Europe/Berlin:20240111T090000"}},
		{"end-type-floating-start.ics", FixEndValueType, []string{"DTEND:20240110T130000"}},
		// An end before the start: zero length, a day for an all-day
		// event, due at the start for a task.
		{"end-before-start.ics", FixEndBeforeStart, []string{"DTEND:20270709T120000Z"}},
		{"end-before-start-date.ics", FixEndBeforeStart, []string{"DTEND;VALUE=DATE:20240111"}},
		{"end-before-start-todo.ics", FixEndBeforeStart, []string{"DUE;VALUE=DATE:20240110"}},
		{"negative-duration.ics", FixEndBeforeStart, []string{"DURATION:PT0S"}},
		{"date-duration.ics", FixDateDuration, []string{"DURATION:P2D"}},
		// Carried as written; package recurrence anchors the first on DUE.
		{"recur-from-due.ics", FixRecurWithoutStart, []string{"RRULE:FREQ=WEEKLY;COUNT=3", "-DTSTART"}},
		{"recur-without-anchor.ics", FixRecurWithoutStart, []string{"RRULE:FREQ=DAILY"}},
	}
	for _, c := range cases {
		t.Run(c.file, func(t *testing.T) {
			data, err := os.ReadFile(filepath.Join("testdata", "lenient", c.file))
			if err != nil {
				t.Fatal(err)
			}
			raw := bytes.Clone(data)
			obj, err := ParseObject(data, Options{})
			if err != nil {
				t.Fatalf("refused: %v", err)
			}
			if !slices.Contains(obj.Calendar.Fixes, c.fix) {
				t.Errorf("fixes %v, want %s", obj.Calendar.Fixes, c.fix)
			}
			for _, w := range c.want {
				checkProp(t, obj.Components[0].Component, w)
			}
			if !bytes.Equal(obj.Calendar.Raw, raw) {
				t.Error("Raw changed")
			}
			if _, err := ParseObject(data, Options{Strict: true}); err == nil {
				t.Error("strict: accepted")
			}
		})
	}
}

// checkProp finds the property a want line names and compares it.
func checkProp(t *testing.T, c *ical.Component, want string) {
	t.Helper()
	path, line := "", want
	if i := strings.LastIndexByte(want, '/'); i >= 0 && !strings.ContainsAny(want[:i], ";:") {
		path, line = want[:i], want[i+1:]
	}
	for _, name := range strings.Split(path, "/") {
		if name == "" {
			continue
		}
		i := slices.IndexFunc(c.Children, func(ch *ical.Component) bool { return ch.Name == name })
		if i < 0 {
			t.Fatalf("no %s in %s", name, c.Name)
		}
		c = c.Children[i]
	}
	if absent, ok := strings.CutPrefix(line, "-"); ok {
		if p := c.Props.Get(absent); p != nil {
			t.Errorf("%s: still has %s", want, propLine(*p))
		}
		return
	}
	name, _, _ := strings.Cut(line, ":")
	name, _, _ = strings.Cut(name, ";")
	p := c.Props.Get(name)
	if p == nil {
		t.Errorf("%s: absent", want)
	} else if got := propLine(*p); got != line {
		t.Errorf("got %s, want %s", got, line)
	}
}

// propLine writes a property as a content line, parameters sorted.
func propLine(p ical.Prop) string {
	var params []string
	for k, vs := range p.Params {
		params = append(params, k+"="+strings.Join(vs, ","))
	}
	sort.Strings(params)
	var b strings.Builder
	b.WriteString(p.Name)
	for _, s := range params {
		b.WriteString(";" + s)
	}
	return b.String() + ":" + p.Value
}

// TestSloppyDuration lists what the DURATION leniency reads, and what it
// still refuses.
func TestSloppyDuration(t *testing.T) {
	for in, want := range map[string]string{
		"P1DT": "P1D", "PT": "PT0S", "-PT": "-PT0S", "p2wt": "P2W", "P1H": "PT1H", "P1D2H": "P1DT2H", "P1H30M": "PT1H30M", "P30S": "PT30S",
	} {
		d, ok := parseSloppyDuration(in)
		if !ok || d.String() != want {
			t.Errorf("%q: got %s %v, want %s", in, d, ok, want)
		}
	}
	for _, bad := range []string{"P15M", "1H", "PTT", "P1X", "T1H", ""} {
		if d, ok := parseSloppyDuration(bad); ok {
			t.Errorf("%q read as %s", bad, d)
		}
	}
}
