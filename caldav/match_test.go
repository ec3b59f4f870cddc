package caldav

import (
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/almanac/almanac/recurrence"
)

// TestMatchTimeRange applies comp-filters with a time-range to the objects
// of testdata/match: the rules of RFC 4791 §9.9 for VFREEBUSY, VJOURNAL and
// VTODO, RFC 7953 §7.2's for VAVAILABILITY, and RFC 4791 §9.7.1's "the
// tests hold for one instance" for recurring objects.
func TestMatchTimeRange(t *testing.T) {
	cases := []struct {
		file, comp, start, end string
		inner                  string // more tests inside the comp-filter
		want                   bool
	}{
		// DTSTART and DTEND: the end is included.
		{"freebusy-range.ics", "VFREEBUSY", "20240115T000000Z", "20240116T000000Z", "", true},
		{"freebusy-range.ics", "VFREEBUSY", "20240116T000000Z", "20240117T000000Z", "", false},
		{"freebusy-range.ics", "VFREEBUSY", "20240101T000000Z", "20240108T000000Z", "", false},
		// Without them, any period, whatever its FBTYPE.
		{"freebusy-periods.ics", "VFREEBUSY", "20240110T093000Z", "20240110T094500Z", "", true},
		{"freebusy-periods.ics", "VFREEBUSY", "20240111T120000Z", "20240111T130000Z", "", true},
		{"freebusy-periods.ics", "VFREEBUSY", "20240109T100000Z", "20240110T090000Z", "", false},
		{"freebusy-empty.ics", "VFREEBUSY", "20000101T000000Z", "20300101T000000Z", "", false},
		// VAVAILABILITY: unbounded where DTSTART or DTEND is absent.
		{"availability-open.ics", "VAVAILABILITY", "20240201T000000Z", "20240301T000000Z", "", false},
		{"availability-open.ics", "VAVAILABILITY", "20990101T000000Z", "20990102T000000Z", "", true},
		{"availability-duration.ics", "VAVAILABILITY", "20240331T000000Z", "20240401T000000Z", "", false},
		{"availability-duration.ics", "VAVAILABILITY", "20240330T000000Z", "20240331T000000Z", "", true},
		{"availability-unbounded.ics", "VAVAILABILITY", "19990101T000000Z", "19990102T000000Z", "", true},
		{"availability-open.ics", "VAVAILABILITY", "20240304T120000Z", "20240304T130000Z",
			`<C:comp-filter name="AVAILABLE"><C:time-range start="20240304T120000Z" end="20240304T130000Z"/></C:comp-filter>`, true},
		// A timed journal entry lasts no time; its third is on 7 March.
		{"journal-timed.ics", "VJOURNAL", "20240307T100000Z", "20240307T100001Z", "", true},
		{"journal-timed.ics", "VJOURNAL", "20240307T100001Z", "20240308T000000Z", "", false},
		{"journal-timed.ics", "VJOURNAL", "20240308T000000Z", "20240309T000000Z", "", false},
		// A task without DTSTART recurs from its DUE: DUE in (start, end].
		{"todo-from-due.ics", "VTODO", "20240315T000000Z", "20240315T170000Z", "", true},
		{"todo-from-due.ics", "VTODO", "20240315T170000Z", "20240316T000000Z", "", false},
		{"todo-from-due.ics", "VTODO", "20240323T000000Z", "20240324T000000Z", "", false},
		// An alarm 15 minutes before the end of the third instance.
		{"alarm-series.ics", "VEVENT", "", "",
			`<C:comp-filter name="VALARM"><C:time-range start="20240306T094000Z" end="20240306T095000Z"/></C:comp-filter>`, true},
		{"alarm-series.ics", "VEVENT", "", "",
			`<C:comp-filter name="VALARM"><C:time-range start="20240309T094000Z" end="20240309T095000Z"/></C:comp-filter>`, false},
		// The time-range and the text-match must hold for one instance.
		{"override-summary.ics", "VEVENT", "20240305T000000Z", "20240306T000000Z",
			`<C:prop-filter name="SUMMARY"><C:text-match>moved</C:text-match></C:prop-filter>`, false},
		{"override-summary.ics", "VEVENT", "20240306T000000Z", "20240307T000000Z",
			`<C:prop-filter name="SUMMARY"><C:text-match>moved</C:text-match></C:prop-filter>`, true},
		{"override-summary.ics", "VEVENT", "20240306T000000Z", "20240307T000000Z",
			`<C:prop-filter name="SUMMARY"><C:text-match negate-condition="yes">moved</C:text-match></C:prop-filter>`, false},
	}
	for _, c := range cases {
		name := c.file + " " + c.start + " " + c.inner
		data, err := os.ReadFile(filepath.Join("testdata", "match", c.file))
		if err != nil {
			t.Fatal(err)
		}
		tr := ""
		if c.start != "" {
			tr = `<C:time-range start="` + c.start + `" end="` + c.end + `"/>`
		}
		f := mustFilter(t, `<C:filter xmlns:C="urn:ietf:params:xml:ns:caldav"><C:comp-filter name="VCALENDAR">`+
			`<C:comp-filter name="`+c.comp+`">`+tr+c.inner+`</C:comp-filter></C:comp-filter></C:filter>`)
		if got := matchObject(f, data, time.UTC, recurrence.DefaultLimits); got != c.want {
			t.Errorf("%s: got %v, want %v", name, got, c.want)
		}
	}
}

func mustFilter(t *testing.T, x string) *compFilter {
	t.Helper()
	n, err := parseXMLBytes([]byte(x))
	if err != nil {
		t.Fatal(err)
	}
	f, err := parseFilter(n)
	if err != nil {
		t.Fatal(err)
	}
	return f
}
