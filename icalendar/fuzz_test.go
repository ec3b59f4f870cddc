package icalendar

import (
	"os"
	"path/filepath"
	"reflect"
	"testing"
)

// FuzzParse feeds arbitrary bytes to the parser, the validator and the
// printer: none may panic, and whatever parses must print and parse back
// to the same components.
func FuzzParse(f *testing.F) {
	seeds, _ := filepath.Glob("testdata/*.ics")
	more, _ := filepath.Glob("testdata/*/*.ics")
	seeds = append(seeds, more...)
	for _, s := range seeds {
		if data, err := os.ReadFile(s); err == nil {
			f.Add(data)
		}
	}
	f.Add([]byte(cal("X;A=b")))
	f.Add([]byte(cal("BEGIN:VEVENT", "UID:1", "DTSTART;TZID=\"A;B\":20240101T000000", "RRULE:FREQ=DAILY;COUNT=2", "END:VEVENT")))
	f.Add([]byte(cal("BEGIN:VEVENT", "UID:1", "DTSTAMP:20240101T000000Z", "DTSTART;VALUE=DATE:20240101", "DURATION:P1W2D",
		"RDATE;VALUE=PERIOD:20240103T100000Z/20240103T110000Z,20240104T100000Z/PT1H", "EXDATE;VALUE=DATE:20240102,20240105",
		"END:VEVENT", "BEGIN:VEVENT", "UID:1", "RECURRENCE-ID;RANGE=THISANDFUTURE;VALUE=DATE:20240108", "DTSTART;VALUE=DATE:20240109",
		"STATUS:CANCELLED", "TRANSP:TRANSPARENT", "SEQUENCE:4", `ATTENDEE;CN="A, B";X-Q=^'q^'^n:mailto:a@b`, "END:VEVENT")))
	f.Add([]byte(cal("BEGIN:VTIMEZONE", `TZID:Custom\, Zone`, "BEGIN:STANDARD", "DTSTART:19700101T000000", "TZOFFSETFROM:+0100",
		"TZOFFSETTO:+0100", "END:STANDARD", "END:VTIMEZONE", "BEGIN:VTODO", "UID:t", "DTSTAMP:20240101T000000Z",
		"DTSTART;TZID=\"Custom, Zone\":20240101T090000", "DUE;TZID=Europe/Berlin:20240102T090000", "RRULE:FREQ=MONTHLY;BYDAY=-1FR;UNTIL=20250101",
		"BEGIN:VALARM", "ACTION:DISPLAY", "TRIGGER;RELATED=END:-PT1H", "END:VALARM", "END:VTODO")))
	f.Add([]byte("BEGIN:VCALENDAR\nMETHOD:REQUEST\nBEGIN:VJOURNAL\nUID:j\nDTSTART:20240101T000000\nSUMMARY:fol\n\tded\nEND:VJOURNAL\nBEGIN:X-THING\nX:1\nEND:X-THING\nEND:VCALENDAR\n"))
	f.Add([]byte("\xef\xbb\xbfBEGIN:VCALENDAR\nBEGIN:VTODO\nDUE;VALUE=DATE:20240229\n RDATE;VALUE=PERIOD:20240101T000000Z/PT1H\nEND:VTODO\nEND:VCALENDAR\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		cals, err := ParseAll(data)
		if err != nil {
			return
		}
		for _, c := range cals {
			_ = c.Validate(Options{})
			if objs, err := c.Objects(); err == nil {
				for _, o := range objs {
					for _, comp := range o.Components {
						comp.RRules()
						comp.RDates()
						comp.ExDates()
						comp.RecurrenceID()
						comp.Duration()
					}
				}
			}
			c.Object(Options{})
			out, err := Marshal(c.Component)
			if err != nil {
				continue // a raw line break cannot come from parsing, but a printer may refuse what it cannot write
			}
			again, err := Parse(out)
			if err != nil {
				t.Fatalf("printed data does not parse: %v\n%q", err, out)
			}
			if !reflect.DeepEqual(again.Component, c.Component) {
				t.Fatalf("components differ after printing:\n%q", out)
			}
		}
	})
}
