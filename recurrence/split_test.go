package recurrence

import (
	"os"
	"strings"
	"testing"

	"github.com/emersion/go-ical"

	"github.com/almanac/almanac/icalendar"
)

func TestSplit(t *testing.T) {
	cases := []struct {
		name  string
		props []string
		rid   string
	}{
		{"count", []string{"DTSTART;TZID=America/New_York:20240306T090000", "DURATION:PT1H", "RRULE:FREQ=DAILY;COUNT=10",
			"EXDATE;TZID=America/New_York:20240307T090000,20240312T090000"}, "20240310T130000Z"},
		{"endless with DTEND", []string{"DTSTART;TZID=Europe/Berlin:20240325T093000", "DTEND;TZID=Europe/Berlin:20240325T100000",
			"RRULE:FREQ=WEEKLY;BYDAY=MO,TH", "RDATE;TZID=Europe/Berlin:20240326T093000,20240410T093000"}, "20240404T073000Z"},
		{"all day until", []string{"DTSTART;VALUE=DATE:20240101", "RRULE:FREQ=MONTHLY;UNTIL=20241231"}, "20240601"},
		{"gap time kept as written", []string{"DTSTART;TZID=America/New_York:20240308T023000", "RRULE:FREQ=DAILY;COUNT=5"},
			"20240310T073000Z"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			obj := event(t, c.props...)
			whole := expandAll(t, obj)
			before, after, err := Split(obj, utc(c.rid), "new@example.com", Options{})
			if err != nil {
				t.Fatal(err)
			}
			b, a := reparse(t, before), reparse(t, after)
			if a.UID != "new@example.com" || a.Components[0].Text("RELATED-TO") != "test@example.com" {
				t.Errorf("after: UID %q, RELATED-TO %q", a.UID, a.Components[0].Text("RELATED-TO"))
			}
			// The two halves hold exactly the instances of the whole.
			bs, as := expandAll(t, b), expandAll(t, a)
			if got := bs + " | " + as; strings.ReplaceAll(got, " | ", " ") != whole || (as != "" && !strings.HasPrefix(strings.TrimSpace(as), c.rid)) {
				t.Errorf("\n whole %s\nsplit %s", whole, got)
			}
			golden(t, "split/"+strings.ReplaceAll(c.name, " ", "-")+".txt", string(mustMarshal(t, before))+"\n"+string(mustMarshal(t, after)))
		})
	}
}

func TestSplitMovesOverrides(t *testing.T) {
	data, err := os.ReadFile("testdata/series/override-midnight-dst.ics")
	if err != nil {
		t.Fatal(err)
	}
	obj, err := icalendar.ParseObject(data, icalendar.Options{})
	if err != nil {
		t.Fatal(err)
	}
	whole := expandAll(t, obj)
	before, after, err := Split(obj, utc("20240311T023000Z"), "new@example.com", Options{})
	if err != nil {
		t.Fatal(err)
	}
	b, a := reparse(t, before), reparse(t, after)
	if len(b.Components) != 2 || len(a.Components) != 2 {
		t.Fatalf("before has %d components, after %d; want the March 9 override before and the March 11 one after",
			len(b.Components), len(a.Components))
	}
	if got := expandAll(t, b) + " " + expandAll(t, a); got != whole {
		t.Errorf("\n whole %s\nsplit %s", whole, got)
	}
}

func TestSplitRefuses(t *testing.T) {
	obj := event(t, "DTSTART:20240301T090000Z", "RRULE:FREQ=DAILY;COUNT=5")
	for _, rid := range []string{"20240301T090000Z", "20240302T100000Z", "20240310T090000Z"} {
		if _, _, err := Split(obj, utc(rid), "x", Options{}); err == nil {
			t.Errorf("split at %s: no error", rid)
		}
	}
}

func expandAll(t *testing.T, obj *icalendar.Object) string {
	t.Helper()
	got, err := mustSeries(t, obj, Options{}).Expand(MinTime, utc("20300101"))
	if err != nil {
		t.Fatal(err)
	}
	return strings.Join(starts(got), " ")
}

func reparse(t *testing.T, cal *ical.Component) *icalendar.Object {
	t.Helper()
	data := mustMarshal(t, cal)
	obj, err := icalendar.ParseObject(data, icalendar.Options{})
	if err != nil {
		t.Fatalf("%v\n%s", err, data)
	}
	return obj
}
