package recurrence

import (
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/emersion/go-ical"

	"github.com/almanac/almanac/icalendar"
)

var update = flag.Bool("update", false, "rewrite golden files")

// event wraps VEVENT properties (one per line) into a calendar object.
func event(t testing.TB, props ...string) *icalendar.Object {
	t.Helper()
	return object(t, "BEGIN:VEVENT\nUID:test@example.com\nDTSTAMP:20240101T000000Z\n"+strings.Join(props, "\n")+"\nEND:VEVENT")
}

// object parses components (text between BEGIN:VCALENDAR and END:VCALENDAR,
// LF line ends allowed) into a validated calendar object resource.
func object(t testing.TB, body string) *icalendar.Object {
	t.Helper()
	data := "BEGIN:VCALENDAR\nVERSION:2.0\nPRODID:-//Almanac//test//EN\n" + body + "\nEND:VCALENDAR\n"
	obj, err := icalendar.ParseObject([]byte(data), icalendar.Options{})
	if err != nil {
		t.Fatalf("%v\n%s", err, data)
	}
	return obj
}

func mustSeries(t testing.TB, obj *icalendar.Object, opt Options) *Series {
	t.Helper()
	s, err := NewSeries(obj, opt)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func utc(s string) time.Time {
	for _, layout := range []string{"20060102T150405Z", "20060102"} {
		if t, err := time.Parse(layout, s); err == nil {
			return t
		}
	}
	panic("bad time " + s)
}

// starts formats the instances' starts as almanac recur prints them.
func starts(list []Instance) []string {
	out := make([]string, len(list))
	for i, in := range list {
		switch {
		case in.AllDay:
			out[i] = in.Start.Format("20060102")
		case in.Floating:
			out[i] = in.Start.Format("20060102T150405")
		default:
			out[i] = in.Start.UTC().Format("20060102T150405Z")
		}
	}
	return out
}

func mustMarshal(t testing.TB, c *ical.Component) []byte {
	t.Helper()
	data, err := icalendar.Marshal(c)
	if err != nil {
		t.Fatal(err)
	}
	return data
}

// golden compares got with testdata/name, rewriting it under -update.
func golden(t *testing.T, name, got string) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run with -update to create it)", err)
	}
	if got != string(want) {
		t.Errorf("%s differs from the golden file:\n--- got\n%s\n--- want\n%s", name, got, want)
	}
}
