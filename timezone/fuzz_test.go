package timezone

import (
	"hash/fnv"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/emersion/go-ical"
)

// FuzzFromVTIMEZONE feeds iCalendar text to FromVTIMEZONE. It must never
// panic, and whatever location it accepts must survive a round trip through
// VTIMEZONE with the same offsets.
func FuzzFromVTIMEZONE(f *testing.F) {
	files, _ := filepath.Glob("testdata/*.ics")
	for _, name := range files {
		if data, err := os.ReadFile(name); err == nil {
			f.Add(data)
		}
	}
	for _, body := range []string{
		"TZID:A\nBEGIN:STANDARD\nDTSTART:19700101T000000\nTZOFFSETFROM:+0100\nTZOFFSETTO:+0100\nEND:STANDARD",
		"TZID:B\nBEGIN:DAYLIGHT\nDTSTART:00010101T000000\nTZOFFSETFROM:-2359\nTZOFFSETTO:+2359\nRRULE:FREQ=MONTHLY;BYDAY=SU,MO,TU\nEND:DAYLIGHT",
		"TZID:C\nBEGIN:STANDARD\nDTSTART:99991231T235959\nTZOFFSETFROM:+0000\nTZOFFSETTO:+0001\nRRULE:FREQ=YEARLY;COUNT=1000000000\nEND:STANDARD",
		"TZID:D\nBEGIN:STANDARD\nDTSTART:20000229\nTZOFFSETFROM:+0000\nTZOFFSETTO:+000001\nRDATE;VALUE=PERIOD:20040229T000000/20040301T000000\nRRULE:FREQ=YEARLY;BYYEARDAY=-366;BYSETPOS=1,-1\nEND:STANDARD",
	} {
		f.Add([]byte("BEGIN:VCALENDAR\r\nBEGIN:VTIMEZONE\r\n" + strings.ReplaceAll(body, "\n", "\r\n") + "\r\nEND:VTIMEZONE\r\nEND:VCALENDAR\r\n"))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		cal, err := parseICS(data)
		if err != nil {
			return
		}
		h := fnv.New64a()
		h.Write(data)
		seed := int64(h.Sum64())
		for _, c := range cal.Children {
			loc, err := FromVTIMEZONE(c)
			if err != nil {
				continue
			}
			for _, y := range []int{1, 1600, 1899, 1900, 1970, 2038, 2200, 9999} {
				if _, off := time.Date(y, 6, 30, 12, 0, 0, 0, loc).Zone(); off <= -24*3600 || off >= 24*3600 {
					t.Fatalf("offset %d in %d", off, y)
				}
			}
			from, to := date(1990, 1, 1), date(2030, 1, 1)
			gen := VTIMEZONE(loc, from, to)
			back, err := FromVTIMEZONE(gen)
			if err != nil {
				t.Fatalf("generated definition rejected: %v\n%s", err, strings.Join(observances(gen), "\n"))
			}
			if d := diffOffsets(back, loc, probes(from, to, 200, seed, loc), 3); len(d) > 0 {
				t.Fatalf("round trip differs:\n%s\n%s", strings.Join(d, "\n"), strings.Join(observances(gen), "\n"))
			}
		}
	})
}

// FuzzObservances builds two-observance VTIMEZONEs from fuzzed property
// values, which reaches rule expansion far more often than mutating whole
// calendars does. The same properties as FuzzFromVTIMEZONE must hold.
func FuzzObservances(f *testing.F) {
	f.Add("16010101T030000", "+0200", "+0100", "FREQ=YEARLY;INTERVAL=1;BYDAY=-1SU;BYMONTH=10", "",
		"16010101T020000", "+0100", "+0200", "FREQ=YEARLY;INTERVAL=1;BYDAY=-1SU;BYMONTH=3", "")
	f.Add("20071104T020000", "-0400", "-0500", "freq=yearly;bymonth=11;byday=1su;", "",
		"20070311T020000", "-0500", "-0400", "FREQ=YEARLY;BYMONTH=3;BYDAY=2SU;UNTIL=20300310T070000Z", "20310309T020000")
	f.Add("20240407T000000", "-0300", "-0400", "FREQ=YEARLY;BYMONTH=4;BYMONTHDAY=2,3,4,5,6,7,8;BYDAY=SU", "",
		"20230903T000000", "-0400", "-0300", "FREQ=MONTHLY;BYMONTH=9;BYDAY=SU;BYSETPOS=1", "")
	f.Add("19451015", "+063000", "+0530", "", "19460101T000000,19470101T000000/PT1H",
		"20000101T000000Z", "-0000", "+1245", "FREQ=YEARLY;COUNT=5;BYYEARDAY=-1,1", "")
	f.Fuzz(func(t *testing.T, start1, from1, to1, rule1, rdate1, start2, from2, to2, rule2, rdate2 string) {
		c := ical.NewComponent(ical.CompTimezone)
		setProp(c, "TZID", "Fuzz/Zone")
		for i, o := range [][5]string{{start1, from1, to1, rule1, rdate1}, {start2, from2, to2, rule2, rdate2}} {
			name := ical.CompTimezoneStandard
			if i == 1 {
				name = ical.CompTimezoneDaylight
			}
			obs := ical.NewComponent(name)
			setProp(obs, "DTSTART", o[0])
			setProp(obs, "TZOFFSETFROM", o[1])
			setProp(obs, "TZOFFSETTO", o[2])
			if o[3] != "" {
				setProp(obs, "RRULE", o[3])
			}
			if o[4] != "" {
				setProp(obs, "RDATE", o[4])
			}
			c.Children = append(c.Children, obs)
		}
		loc, err := FromVTIMEZONE(c)
		if err != nil {
			return
		}
		from, to := date(1990, 1, 1), date(2030, 1, 1)
		gen := VTIMEZONE(loc, from, to)
		back, err := FromVTIMEZONE(gen)
		if err != nil {
			t.Fatalf("generated definition rejected: %v\n%s", err, strings.Join(observances(gen), "\n"))
		}
		if d := diffOffsets(back, loc, probes(from, to, 200, 1, loc), 3); len(d) > 0 {
			t.Fatalf("round trip differs:\n%s\n%s", strings.Join(d, "\n"), strings.Join(observances(gen), "\n"))
		}
	})
}
