package icalendar

import (
	"strings"
	"testing"
	"time"
)

func TestAccessors(t *testing.T) {
	data := cal(
		"BEGIN:VEVENT", "UID: spaced-uid ", "DTSTAMP:20240101T000000Z",
		"DTSTART;TZID=Europe/Berlin:20240101T090000",
		"DURATION:PT1H30M",
		"RRULE:FREQ=WEEKLY;BYDAY=MO",
		"RDATE;VALUE=DATE:20240110,20240111",
		"RDATE;TZID=Europe/Berlin:20240112T090000,20240113T090000",
		"RDATE;VALUE=PERIOD:20240114T080000Z/PT2H,20240115T080000Z/20240115T083000Z",
		"RDATE:20240116T080000Z/PT15M",
		"EXDATE:20240108T080000Z,20240115T080000Z",
		"EXDATE;TZID=Europe/Berlin:20240122T090000",
		"EXDATE;VALUE=DATE:",
		"SEQUENCE:3", "STATUS: confirmed", "SUMMARY:A\\, B\\; C\\nD\\\\E\\x",
		"END:VEVENT",
		"BEGIN:VEVENT", "UID:spaced-uid", "DTSTAMP:20240101T000000Z",
		"RECURRENCE-ID;RANGE=THISANDFUTURE;TZID=Europe/Berlin:20240129T090000",
		"DTSTART;TZID=Europe/Berlin:20240129T100000", "TRANSP:TRANSPARENT",
		"END:VEVENT",
	)
	c := mustParse(t, []byte(data))
	comps := c.Components()
	m, o := comps[0], comps[1]
	if m.UID() != "spaced-uid" {
		t.Errorf("UID %q", m.UID())
	}
	start, err := m.Start()
	if err != nil || start.Kind != Zoned || start.TZID != "Europe/Berlin" || start.Time.UTC().Hour() != 8 {
		t.Errorf("DTSTART %+v %v", start, err)
	}
	if d, ok, err := m.Duration(); !ok || err != nil || d.String() != "PT1H30M" {
		t.Errorf("DURATION %v %v %v", d, ok, err)
	}
	if rules, err := m.RRules(); err != nil || len(rules) != 1 || rules[0].Freq != Weekly {
		t.Errorf("RRULE %v %v", rules, err)
	}
	rdates, err := m.RDates()
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, p := range rdates {
		s := p.Start.String()
		if p.IsPeriod {
			s += "/" + p.EndIn(time.UTC).Format("150405")
		}
		got = append(got, s)
	}
	want := "20240110 20240111 20240112T090000 20240113T090000 20240114T080000Z/100000 20240115T080000Z/083000 20240116T080000Z/081500"
	if strings.Join(got, " ") != want {
		t.Errorf("RDATE\n got %s\nwant %s", strings.Join(got, " "), want)
	}
	exdates, err := m.ExDates()
	if err != nil || len(exdates) != 3 || exdates[2].Kind != Zoned {
		t.Errorf("EXDATE %v %v", exdates, err)
	}
	if n, err := m.Sequence(); n != 3 || err != nil {
		t.Errorf("SEQUENCE %d %v", n, err)
	}
	if m.Status() != "CONFIRMED" || m.Transp() != "OPAQUE" || o.Transp() != "TRANSPARENT" {
		t.Errorf("STATUS %q TRANSP %q %q", m.Status(), m.Transp(), o.Transp())
	}
	if s := m.Summary(); s != "A, B; C\nD\\Ex" {
		t.Errorf("SUMMARY %q", s)
	}
	rid, err := o.RecurrenceID()
	if err != nil || !rid.ThisAndFuture || rid.Wall().Hour() != 9 {
		t.Errorf("RECURRENCE-ID %+v %v", rid, err)
	}
	if r, _ := m.RecurrenceID(); !r.IsZero() {
		t.Error("the master has a RECURRENCE-ID")
	}
	if tz := m.TZIDs(); len(tz) != 1 || tz[0] != "Europe/Berlin" {
		t.Errorf("TZIDs %v", tz)
	}
}

func TestTextEscaping(t *testing.T) {
	for _, s := range []string{"plain", "a, b; c", "line 1\nline 2", `back\slash`, ""} {
		if got := UnescapeText(EscapeText(s)); got != s {
			t.Errorf("%q came back as %q", s, got)
		}
	}
}

func TestRecurrenceIDRange(t *testing.T) {
	c := mustParse(t, []byte(cal("BEGIN:VEVENT", "UID:1", "RECURRENCE-ID;RANGE=THISANDPRIOR:20240101T000000Z", "END:VEVENT")))
	if _, err := c.Components()[0].RecurrenceID(); err == nil || !strings.Contains(err.Error(), "THISANDPRIOR") {
		t.Errorf("THISANDPRIOR: %v", err)
	}
}
