package icalendar

import (
	"errors"
	"slices"
	"strings"
	"testing"
)

// ev builds a VEVENT with the given properties after UID and DTSTAMP.
func ev(props ...string) []string {
	return append(append([]string{"BEGIN:VEVENT", "UID:1", "DTSTAMP:20240101T000000Z"}, props...), "END:VEVENT")
}

func TestValidate(t *testing.T) {
	cases := []struct {
		name      string
		data      string
		component string
		property  string
		msg       string
	}{
		{"no UID", cal("BEGIN:VEVENT", "DTSTAMP:20240101T000000Z", "DTSTART:20240101T100000Z", "END:VEVENT"), "VEVENT", "UID", "is required"},
		{"no DTSTART", cal(ev()...), "VEVENT", "DTSTART", "is required in a VEVENT when the calendar has no METHOD"},
		{"two DTSTARTs", cal(ev("DTSTART:20240101T100000Z", "DTSTART:20240102T100000Z")...), "VEVENT", "DTSTART", "occurs 2 times"},
		{"bad DTSTART", cal(ev("DTSTART:2024-01-01")...), "VEVENT", "DTSTART", "is not a DATE-TIME"},
		{"bad DTEND", cal(ev("DTSTART:20240101T100000Z", "DTEND:2024-01-01T10")...), "VEVENT", "DTEND", "is not a DATE-TIME"},
		{"months", cal(ev("DTSTART:20240101T100000Z", "DURATION:P15M")...), "VEVENT", "DURATION", "is not a DURATION"},
		{"bad FREEBUSY", cal("BEGIN:VFREEBUSY", "UID:1", "DTSTAMP:20240101T000000Z", "FREEBUSY:20240101T100000Z", "END:VFREEBUSY"), "VFREEBUSY", "FREEBUSY", "is not a PERIOD"},
		{"VAVAILABILITY without UID", cal("BEGIN:VAVAILABILITY", "DTSTAMP:20240101T000000Z", "END:VAVAILABILITY"), "VAVAILABILITY", "UID", "is required"},
		{"bad RRULE", cal(ev("DTSTART:20240101T100000Z", "RRULE:FREQ=DAILY;BYHOUR=25")...), "VEVENT", "RRULE", `"25" is not in 0..23`},
		{"hourly all-day", cal(ev("DTSTART;VALUE=DATE:20240101", "RRULE:FREQ=HOURLY")...), "VEVENT", "RRULE", "cannot repeat an all-day"},
		{"unknown TZID", cal(ev("DTSTART;TZID=Nowhere/Special:20240101T100000")...), "VEVENT", "DTSTART", `TZID "Nowhere/Special" is neither a known time zone`},
		{"alarm", cal(ev("DTSTART:20240101T100000Z", "BEGIN:VALARM", "TRIGGER:-PT5M", "END:VALARM")...), "VEVENT", "", "a VALARM lacks ACTION"},
		{"VERSION", strings.Replace(cal(ev("DTSTART:20240101T100000Z")...), "VERSION:2.0", "VERSION:1.0", 1), "VCALENDAR", "VERSION", "only iCalendar 2.0"},
		{"CALSCALE", strings.Replace(cal(ev("DTSTART:20240101T100000Z")...), "VERSION:2.0", "VERSION:2.0\r\nCALSCALE:HEBREW", 1), "VCALENDAR", "CALSCALE", "only GREGORIAN"},
		{"VTIMEZONE", cal("BEGIN:VTIMEZONE", "TZID:X", "BEGIN:STANDARD", "DTSTART:19700101T000000", "TZOFFSETTO:+0100", "END:STANDARD", "END:VTIMEZONE"), "STANDARD in VTIMEZONE", "TZOFFSETFROM", "is required"},
		{"RSCALE", cal(ev("DTSTART:20240101T100000Z", "RRULE:RSCALE=ETHIOPIC;FREQ=YEARLY")...), "VEVENT", "RRULE", "RSCALE=ETHIOPIC is not supported"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			cl := mustParse(t, []byte(c.data))
			err := cl.Validate(Options{})
			var e *Error
			if !errors.As(err, &e) {
				t.Fatalf("err = %v, want an *Error", err)
			}
			if e.Component != c.component || e.Property != c.property || !strings.Contains(e.Msg, c.msg) {
				t.Errorf("got %q (component %q, property %q), want %s %s %q", e, e.Component, e.Property, c.component, c.property, c.msg)
			}
			if want := ValidCalendarData; c.name == "RSCALE" {
				if e.Precondition != SupportedRScale {
					t.Errorf("precondition %s", e.Precondition)
				}
			} else if e.Precondition != want {
				t.Errorf("precondition %s", e.Precondition)
			}
		})
	}
}

func TestValidateOverrideIsNamed(t *testing.T) {
	data := cal(append(ev("DTSTART:20240101T100000Z", "RRULE:FREQ=DAILY"),
		"BEGIN:VEVENT", "UID:1", "DTSTAMP:20240101T000000Z", "RECURRENCE-ID:20240102T100000Z",
		"DTSTART:20240102T120000Z", "DTEND:2024-01-02", "END:VEVENT")...)
	err := mustParse(t, []byte(data)).Validate(Options{})
	want := `icalendar: VEVENT (RECURRENCE-ID 20240102T100000Z) DTEND: "2024-01-02" is not a DATE-TIME (YYYYMMDDTHHMMSS, optionally followed by Z)`
	if err == nil || err.Error() != want {
		t.Errorf("got %v\nwant %s", err, want)
	}
}

// TestValidateLenient lists what is accepted with a fix-up, and what
// Strict then refuses.
func TestValidateLenient(t *testing.T) {
	cases := []struct {
		name string
		data string
		fix  Fix
	}{
		{"no DTSTAMP", cal("BEGIN:VEVENT", "UID:1", "DTSTART:20240101T100000Z", "END:VEVENT"), FixMissingDTStamp},
		{"no PRODID", strings.Replace(cal(ev("DTSTART:20240101T100000Z")...), "PRODID:-//Almanac//test//EN\r\n", "", 1), FixMissingProdID},
		{"no VERSION", strings.Replace(cal(ev("DTSTART:20240101T100000Z")...), "VERSION:2.0\r\n", "", 1), FixMissingVersion},
		{"no VTIMEZONE", cal(ev("DTSTART;TZID=Europe/Berlin:20240101T100000")...), FixMissingVTimezone},
		{"DATE without VALUE", cal(ev("DTSTART:20240101", "DTEND:20240102")...), FixImplicitDate},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			cl := mustParse(t, []byte(c.data))
			if err := cl.Validate(Options{}); err != nil || !slices.Contains(cl.Fixes, c.fix) {
				t.Errorf("lenient: %v, fixes %v", err, cl.Fixes)
			}
			if err := mustParse(t, []byte(c.data)).Validate(Options{Strict: true}); err == nil {
				t.Error("strict: accepted")
			}
		})
	}
	// Accepted without a fix-up: sloppy but unambiguous.
	for _, data := range []string{
		cal(ev("DTSTART:20240101T100000Z", "RRULE:freq=daily;count=3;")...),                                         // lower case, trailing ;
		cal(ev("DTSTART;TZID=Europe/Berlin :20240101T100000", "X-FOO;X-P=1:bar")...),                                // TZID with a space, X- anywhere
		cal(ev("DTSTART:20240101T100000Z", "DTEND:20240101T100000Z")...),                                            // zero length
		cal(ev("DTSTART;VALUE=DATE:20240101", "DURATION:PT24H")...),                                                 // whole days in hours (Google)
		cal("BEGIN:VEVENT", "UID:1", "UID:1", "DTSTAMP:20240101T000000Z", "DTSTART:20240101T100000Z", "END:VEVENT"), // repeated identically
		cal("BEGIN:X-CUSTOM", "FOO:bar", "END:X-CUSTOM"),                                                            // not interpreted
	} {
		if err := mustParse(t, []byte(data)).Validate(Options{}); err != nil {
			t.Errorf("%v\n%s", err, data)
		}
	}
}
