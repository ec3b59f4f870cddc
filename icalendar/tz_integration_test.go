package icalendar

// These tests need the full timezone package: Windows names (CLDR
// windowsZones.xml), Mozilla and libical TZID prefixes, and the evaluation
// of VTIMEZONE definitions. The stand-in of package timezone resolves IANA
// names only; run with -tags tzreal once the real package is in place.

import (
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestTZIDNames(t *testing.T) {
	winter, summer := "20240115T120000", "20240715T120000"
	cases := []struct {
		tzid           string
		winter, summer int // UTC offsets in minutes
	}{
		{"Eastern Standard Time", -300, -240},
		{"W. Europe Standard Time", 60, 120},
		{"AUS Eastern Standard Time", 660, 600},
		{"India Standard Time", 330, 330},
		{"/mozilla.org/20050126_1/America/New_York", -300, -240},
		{"/softwarestudio.org/Olson_20011030_5/America/New_York", -300, -240},
		{"/freeassociation.sourceforge.net/Europe/Berlin", 60, 120},
		{" Europe/Berlin ", 60, 120},
	}
	for _, c := range cases {
		data := cal("BEGIN:VEVENT", "UID:1", "DTSTAMP:20240101T000000Z",
			"DTSTART;TZID=\""+c.tzid+"\":"+winter, "DTEND;TZID=\""+c.tzid+"\":"+summer, "END:VEVENT")
		cl := mustParse(t, []byte(data))
		if err := cl.Validate(Options{}); err != nil {
			t.Errorf("%q: %v", c.tzid, err)
			continue
		}
		comp := cl.Components()[0]
		start, _ := comp.Start()
		end, _ := comp.End()
		if _, off := start.Time.Zone(); off != c.winter*60 {
			t.Errorf("%q in January: offset %ds, want %d min", c.tzid, off, c.winter)
		}
		if _, off := end.Time.Zone(); off != c.summer*60 {
			t.Errorf("%q in July: offset %ds, want %d min", c.tzid, off, c.summer)
		}
	}
}

// TestCustomVTIMEZONE resolves a zone known only by its definition, and
// applies RFC 5545 §3.3.5 to its gap.
func TestCustomVTIMEZONE(t *testing.T) {
	data := cal("BEGIN:VTIMEZONE", "TZID:Almanac Test Time",
		"BEGIN:STANDARD", "DTSTART:19701025T030000", "RRULE:FREQ=YEARLY;BYMONTH=10;BYDAY=-1SU",
		"TZOFFSETFROM:+0330", "TZOFFSETTO:+0230", "END:STANDARD",
		"BEGIN:DAYLIGHT", "DTSTART:19700329T020000", "RRULE:FREQ=YEARLY;BYMONTH=3;BYDAY=-1SU",
		"TZOFFSETFROM:+0230", "TZOFFSETTO:+0330", "END:DAYLIGHT", "END:VTIMEZONE",
		"BEGIN:VEVENT", "UID:1", "DTSTAMP:20240101T000000Z",
		"DTSTART;TZID=Almanac Test Time:20240331T023000", "DTEND;TZID=Almanac Test Time:20240115T120000", "END:VEVENT")
	cl := mustParse(t, []byte(data))
	comp := cl.Components()[0]
	start, err := comp.Start()
	if err != nil {
		t.Fatal(err)
	}
	// 02:30 on March 31 falls in the gap: 03:30 at +0330, 00:00Z.
	if got := start.Time.UTC().Format(time.RFC3339); got != "2024-03-31T00:00:00Z" {
		t.Errorf("start %s", got)
	}
	end, _ := comp.End()
	if got := end.Time.UTC().Format(time.RFC3339); got != "2024-01-15T09:30:00Z" {
		t.Errorf("end %s", got)
	}
}

// TestCorpusRealTimezones validates the corpus files that need the real
// package: ical4j's valid ones must pass; the invalid ones must not crash.
func TestCorpusRealTimezones(t *testing.T) {
	for _, dir := range []string{"ical4j-valid", "ical4j-invalid"} {
		for _, f := range corpus(t, dir) {
			name := filepath.Base(f)
			if !needRealTimezones[name] {
				continue
			}
			_, err := parseGuarded(f)
			switch {
			case err != nil && strings.HasPrefix(err.Error(), "PANIC"):
				t.Errorf("%s/%s: %v", dir, name, err)
			case err != nil && dir == "ical4j-valid":
				t.Errorf("%s/%s: %v", dir, name, err)
			default:
				t.Logf("%s/%s: %v", dir, name, err)
			}
		}
	}
}
