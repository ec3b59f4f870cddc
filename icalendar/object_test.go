package icalendar

import (
	"errors"
	"strings"
	"testing"
)

func TestParseObject(t *testing.T) {
	tz := []string{"BEGIN:VTIMEZONE", "TZID:Europe/Berlin", "BEGIN:STANDARD", "DTSTART:19701025T030000",
		"TZOFFSETFROM:+0200", "TZOFFSETTO:+0100", "END:STANDARD", "END:VTIMEZONE",
		"BEGIN:VTIMEZONE", "TZID:Unused/Zone", "BEGIN:STANDARD", "DTSTART:19700101T000000",
		"TZOFFSETFROM:+0000", "TZOFFSETTO:+0000", "END:STANDARD", "END:VTIMEZONE"}
	master := ev("DTSTART;TZID=Europe/Berlin:20240101T100000", "RRULE:FREQ=DAILY")
	override := ev("RECURRENCE-ID;TZID=Europe/Berlin:20240102T100000", "DTSTART;TZID=Europe/Berlin:20240102T110000")
	data := cal(append(append(tz, master...), override...)...)
	obj, err := ParseObject([]byte(data), Options{})
	if err != nil {
		t.Fatal(err)
	}
	if obj.UID != "1" || obj.Type != "VEVENT" || len(obj.Components) != 2 || len(obj.Overrides()) != 1 {
		t.Errorf("object %+v", obj)
	}
	if obj.Master() != obj.Components[0] {
		t.Error("master")
	}
	if _, ok := obj.Timezones["Europe/Berlin"]; !ok || len(obj.Timezones) != 1 {
		t.Errorf("timezones %v: want only the referenced one", obj.Timezones)
	}
}

func TestObjectErrors(t *testing.T) {
	todo := []string{"BEGIN:VTODO", "UID:1", "DTSTAMP:20240101T000000Z", "END:VTODO"}
	cases := []struct {
		name string
		data string
		opt  Options
		pre  Precondition
		msg  string
	}{
		{"METHOD", strings.Replace(cal(ev("DTSTART:20240101T100000Z")...), "VERSION:2.0", "VERSION:2.0\r\nMETHOD:REQUEST", 1),
			Options{}, ValidCalendarObjectResource, "METHOD:REQUEST must not appear"},
		{"two UIDs", cal(append(ev("DTSTART:20240101T100000Z"), "BEGIN:VEVENT", "UID:2", "DTSTAMP:20240101T000000Z", "DTSTART:20240101T100000Z", "END:VEVENT")...),
			Options{}, ValidCalendarObjectResource, `the same UID, found "1" and "2"`},
		{"two types", cal(append(ev("DTSTART:20240101T100000Z"), todo...)...), Options{}, ValidCalendarObjectResource, "found VEVENT and VTODO"},
		{"two masters", cal(append(ev("DTSTART:20240101T100000Z"), ev("DTSTART:20240102T100000Z")...)...),
			Options{}, ValidCalendarObjectResource, "more than one component without RECURRENCE-ID"},
		{"same RECURRENCE-ID twice", cal(append(append(ev("DTSTART:20240101T100000Z", "RRULE:FREQ=DAILY"),
			ev("RECURRENCE-ID:20240102T100000Z", "DTSTART:20240102T110000Z")...),
			ev("RECURRENCE-ID;TZID=Europe/Berlin:20240102T110000", "DTSTART:20240102T120000Z")...)...),
			Options{}, ValidCalendarObjectResource, "20240102T110000 is used by two overrides (also 20240102T100000Z)"},
		{"unsupported", cal(todo...), Options{Components: []string{"VEVENT"}}, SupportedCalendarComponent, "accepts VEVENT only"},
		{"empty", cal(), Options{}, ValidCalendarObjectResource, "has no component besides VTIMEZONE"},
		{"invalid", cal("BEGIN:VEVENT", "END:VEVENT"), Options{}, ValidCalendarData, "UID: is required"},
		{"syntax", cal("BEGIN:VEVENT"), Options{}, ValidCalendarData, "END:VCALENDAR does not match BEGIN:VEVENT on line 4"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := ParseObject([]byte(c.data), c.opt)
			var e *Error
			if !errors.As(err, &e) || e.Precondition != c.pre || !strings.Contains(e.Error(), c.msg) {
				t.Errorf("err %v (%v), want %s and %q", err, e, c.pre, c.msg)
			}
		})
	}
}

// TestOverridesOnly accepts what an attendee invited to one instance
// stores: an override without its master.
func TestOverridesOnly(t *testing.T) {
	obj, err := ParseObject([]byte(cal(ev("RECURRENCE-ID:20240102T100000Z", "DTSTART:20240102T110000Z")...)), Options{})
	if err != nil || obj.Master() != nil || len(obj.Overrides()) != 1 {
		t.Errorf("%v %v", obj, err)
	}
}

func TestObjects(t *testing.T) {
	data := cal(append(append(ev("DTSTART:20240101T100000Z"),
		"BEGIN:VEVENT", "UID:2", "DTSTAMP:20240101T000000Z", "DTSTART:20240101T100000Z", "END:VEVENT"),
		ev("RECURRENCE-ID:20240101T100000Z", "DTSTART:20240101T110000Z")...)...)
	objs, err := mustParse(t, []byte(data)).Objects()
	if err != nil || len(objs) != 2 || objs[0].UID != "1" || len(objs[0].Components) != 2 || objs[1].UID != "2" {
		t.Errorf("%v %v", objs, err)
	}
}
