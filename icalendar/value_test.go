package icalendar

import (
	"strings"
	"testing"
	"time"

	"github.com/emersion/go-ical"
)

func TestParseDateTime(t *testing.T) {
	cases := []struct {
		value  string
		params ical.Params
		kind   Kind
		want   string // RFC 3339 of Time, or the error's text
	}{
		{"20240229", nil, Date, "2024-02-29T00:00:00Z"},
		{"20240229", ical.Params{"VALUE": {"DATE"}}, Date, "2024-02-29T00:00:00Z"},
		{"20240301T101500Z", nil, UTC, "2024-03-01T10:15:00Z"},
		{"20240301t101500z", nil, UTC, "2024-03-01T10:15:00Z"},
		{"20240301T101500Z", ical.Params{"TZID": {"Europe/Berlin"}}, UTC, "2024-03-01T10:15:00Z"}, // TZID ignored on UTC
		{"20240301T101500", nil, Floating, "2024-03-01T10:15:00Z"},
		{"20240301T101500", ical.Params{"TZID": {"Europe/Berlin"}}, Zoned, "2024-03-01T10:15:00+01:00"},
		{"20240301T101500", ical.Params{"TZID": {"Europe/Berlin  "}}, Zoned, "2024-03-01T10:15:00+01:00"},  // Outlook's trailing spaces
		{"20240310T023000", ical.Params{"TZID": {"America/New_York"}}, Zoned, "2024-03-10T03:30:00-04:00"}, // in the gap
		{"20241103T013000", ical.Params{"TZID": {"America/New_York"}}, Zoned, "2024-11-03T01:30:00-04:00"}, // first of two
		{"20161231T235960Z", nil, UTC, "2016-12-31T23:59:59Z"},                                             // leap second
		{"20240230", nil, 0, `"20240230" is not a valid date`},
		{"20240301T246000Z", nil, 0, "invalid time of day"},
		{"20240301", ical.Params{"VALUE": {"DATE-TIME"}}, 0, "is a DATE, but the property says VALUE=DATE-TIME"},
		{"20240301T101500", ical.Params{"VALUE": {"DATE"}}, 0, "is not a DATE (YYYYMMDD), as VALUE=DATE says"},
		{"20240301T1015", nil, 0, "is not a DATE-TIME"},
		{"20240301T101500", ical.Params{"VALUE": {"PERIOD"}}, 0, "VALUE=PERIOD where a DATE or DATE-TIME was expected"},
		{"20240301T101500", ical.Params{"TZID": {"Mars/Olympus_Mons"}}, 0, `unknown time zone "Mars/Olympus_Mons"`},
	}
	for _, c := range cases {
		d, err := ParseDateTime(c.value, c.params, nil)
		if c.kind == 0 {
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Errorf("%s %v: err %v, want %q", c.value, c.params, err, c.want)
			}
			continue
		}
		if err != nil || d.Kind != c.kind || d.Time.Format(time.RFC3339) != c.want {
			t.Errorf("%s %v: got %s %s %v, want %s %s", c.value, c.params, d.Kind, d.Time.Format(time.RFC3339), err, c.kind, c.want)
		}
	}
}

// TestWall keeps the written wall clock of a time in a DST gap, which a
// rule repeats, and prints it as written.
func TestWall(t *testing.T) {
	d, err := ParseDateTime("20240310T023000", ical.Params{"TZID": {"America/New_York"}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if w := d.Wall().Format("15:04"); w != "02:30" || d.String() != "20240310T023000" {
		t.Errorf("wall %s, string %s", w, d.String())
	}
	if p := d.Prop("DTSTART"); p.Params.Get("TZID") != "America/New_York" || p.Value != "20240310T023000" {
		t.Errorf("prop %+v", p)
	}
}

// TestInZone covers RFC 5545 §3.3.5 in zones east and west of UTC, with
// whole-hour, half-hour and 45-minute offsets.
func TestInZone(t *testing.T) {
	cases := []struct {
		zone, wall, want string
	}{
		{"America/New_York", "2024-03-10 02:30", "2024-03-10T07:30:00Z"}, // gap: 03:30 EDT
		{"America/New_York", "2024-03-10 03:00", "2024-03-10T07:00:00Z"},
		{"America/New_York", "2024-03-10 01:59", "2024-03-10T06:59:00Z"},
		{"America/New_York", "2024-11-03 01:30", "2024-11-03T05:30:00Z"}, // overlap: EDT
		{"America/New_York", "2024-11-03 02:00", "2024-11-03T07:00:00Z"},
		{"Europe/Berlin", "2024-03-31 02:30", "2024-03-31T01:30:00Z"}, // gap: 03:30 CEST
		{"Europe/Berlin", "2024-10-27 02:30", "2024-10-27T00:30:00Z"}, // overlap: CEST
		{"Europe/Berlin", "2024-10-27 03:00", "2024-10-27T02:00:00Z"},
		{"Australia/Sydney", "2024-10-06 02:30", "2024-10-05T16:30:00Z"}, // gap: 03:30 AEDT
		{"Australia/Sydney", "2024-04-07 02:30", "2024-04-06T15:30:00Z"}, // overlap: AEDT
		{"Asia/Kolkata", "2024-03-10 02:30", "2024-03-09T21:00:00Z"},
		{"Pacific/Chatham", "2024-09-29 03:00", "2024-09-28T14:15:00Z"},     // gap: 04:00 +1345
		{"Pacific/Chatham", "2024-04-07 03:00", "2024-04-06T13:15:00Z"},     // overlap: +1345
		{"Australia/Lord_Howe", "2024-10-06 02:15", "2024-10-05T15:45:00Z"}, // half-hour gap: 02:45 +11
		{"Pacific/Apia", "2011-12-30 12:00", "2011-12-30T22:00:00Z"},        // a lost day: read with the offset before (-10)
	}
	for _, c := range cases {
		loc, err := time.LoadLocation(c.zone)
		if err != nil {
			t.Fatal(err)
		}
		wall, _ := time.Parse("2006-01-02 15:04", c.wall)
		if got := InZone(wall, loc).UTC().Format(time.RFC3339); got != c.want {
			t.Errorf("%s %s: got %s, want %s", c.zone, c.wall, got, c.want)
		}
	}
}

func TestDuration(t *testing.T) {
	cases := []struct{ in, out string }{
		{"PT1H30M", "PT1H30M"}, {"P1D", "P1D"}, {"P2W", "P2W"}, {"-PT15M", "-PT15M"}, {"+P1DT2H", "P1DT2H"},
		{"P1W2D", "P9D"}, {"pt90m", "PT1H30M"}, {"PT0S", "PT0S"}, {" PT1H ", "PT1H"}, {"PT1H30S", "PT1H30S"},
	}
	for _, c := range cases {
		d, err := ParseDuration(c.in)
		if err != nil || d.String() != c.out {
			t.Errorf("%q: got %q %v, want %q", c.in, d.String(), err, c.out)
		}
	}
	for _, bad := range []string{"P", "PT", "1H", "PT1D", "P1H", "PTT1H", "P999999999999999999W", "PT99999999H", "P1X"} {
		if _, err := ParseDuration(bad); err == nil {
			t.Errorf("%q parsed", bad)
		}
	}
}

// TestDurationAddTo: days are nominal (wall clock), hours exact (RFC 5545
// §3.3.6).
func TestDurationAddTo(t *testing.T) {
	ny, _ := time.LoadLocation("America/New_York")
	start := time.Date(2024, 3, 9, 12, 0, 0, 0, ny)
	for _, c := range []struct{ dur, want string }{
		{"P1D", "2024-03-10T12:00:00-04:00"},   // 23 hours later
		{"PT24H", "2024-03-10T13:00:00-04:00"}, // 24 hours later
		{"P1DT1H", "2024-03-10T13:00:00-04:00"},
		{"-P1D", "2024-03-08T12:00:00-05:00"},
	} {
		d, _ := ParseDuration(c.dur)
		if got := d.AddTo(start).Format(time.RFC3339); got != c.want {
			t.Errorf("%s: got %s, want %s", c.dur, got, c.want)
		}
	}
}

func TestPeriod(t *testing.T) {
	p, err := parsePeriod("19960403T020000Z/19960403T040000Z", nil, nil)
	if err != nil || p.EndIn(time.UTC).Sub(p.Start.Time) != 2*time.Hour {
		t.Errorf("start/end: %+v %v", p, err)
	}
	p, err = parsePeriod("19960404T010000Z/PT3H", nil, nil)
	if err != nil || p.EndIn(time.UTC).Sub(p.Start.Time) != 3*time.Hour {
		t.Errorf("start/duration: %+v %v", p, err)
	}
	for _, bad := range []string{"19960404T010000Z", "19960404T010000Z/19960404T000000Z", "19960404T010000Z/-PT1H", "x/PT1H"} {
		if _, err := parsePeriod(bad, nil, nil); err == nil {
			t.Errorf("%q parsed", bad)
		}
	}
}

func TestParseRecur(t *testing.T) {
	cases := []struct{ in, out string }{
		{"FREQ=DAILY;COUNT=10", "FREQ=DAILY;COUNT=10"},
		{"freq=weekly;byday=mo,we,-1fr;wkst=su;", "FREQ=WEEKLY;BYDAY=MO,WE,-1FR;WKST=SU"},
		{" FREQ = MONTHLY ; BYMONTHDAY = 1 , -1 ;;", "FREQ=MONTHLY;BYMONTHDAY=1,-1"},
		{"RRULE:FREQ=YEARLY;INTERVAL=1", "FREQ=YEARLY"},
		{"FREQ=DAILY;BYHOUR=9,10,9;BYMINUTE=0,0", "FREQ=DAILY;BYMINUTE=0;BYHOUR=9,10"},
		{"FREQ=DAILY;UNTIL=20241231", "FREQ=DAILY;UNTIL=20241231"},
		{"FREQ=DAILY;UNTIL=20241231T235959Z;WKST=MO", "FREQ=DAILY;UNTIL=20241231T235959Z"},
		{"RSCALE=gregorian;FREQ=MONTHLY;SKIP=omit", "RSCALE=GREGORIAN;FREQ=MONTHLY;SKIP=OMIT"},
		{"FREQ=HOURLY;X-NAME=Value", "FREQ=HOURLY;X-NAME=VALUE"},
		{"FREQ=YEARLY;BYWEEKNO=-53,53;BYYEARDAY=-366;BYSETPOS=1", "FREQ=YEARLY;BYYEARDAY=-366;BYWEEKNO=-53,53;BYSETPOS=1"},
	}
	for _, c := range cases {
		r, err := ParseRecur(c.in)
		if err != nil || r.String() != c.out {
			t.Errorf("%q: got %q %v, want %q", c.in, r.String(), err, c.out)
		}
	}
	bad := []struct{ in, msg string }{
		{"COUNT=3", "FREQ is required"},
		{"FREQ=FORTNIGHTLY", "FREQ=FORTNIGHTLY: expected SECONDLY"},
		{"FREQ=DAILY;FREQ=WEEKLY", "FREQ appears more than once"},
		{"FREQ=DAILY;COUNT=0", "COUNT=0: expected a positive integer"},
		{"FREQ=DAILY;INTERVAL=-1", "INTERVAL=-1"},
		{"FREQ=DAILY;BYHOUR=24", `"24" is not in 0..23`},
		{"FREQ=MONTHLY;BYMONTHDAY=0", `"0" is not in 1..31 or -31..-1`},
		{"FREQ=WEEKLY;BYDAY=XX", `"XX" is not a weekday`},
		{"FREQ=YEARLY;BYDAY=54MO", `"54MO" is not a weekday`},
		{"FREQ=DAILY;UNTIL=2024", "UNTIL"},
		{"FREQ=DAILY;FOO=1", "unknown rule part FOO"},
		{"FREQ=DAILY;COUNT", "must have the form NAME=value"},
		{"RSCALE=HEBREW;FREQ=YEARLY", "RSCALE=HEBREW is not supported"},
		{"FREQ=YEARLY;BYMONTH=5L", "leap months"},
		{"FREQ=YEARLY;SKIP=SIDEWAYS", "SKIP=SIDEWAYS"},
	}
	for _, c := range bad {
		_, err := ParseRecur(c.in)
		e, ok := err.(*Error)
		if !ok || !strings.Contains(e.Msg, c.msg) || e.Property != "RRULE" {
			t.Errorf("%q: err %v, want %q", c.in, err, c.msg)
		}
	}
	if _, err := ParseRecur("RSCALE=CHINESE;FREQ=YEARLY"); err.(*Error).Precondition != SupportedRScale {
		t.Errorf("RSCALE=CHINESE: precondition %s", err.(*Error).Precondition)
	}
}
