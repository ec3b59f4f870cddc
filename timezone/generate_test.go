package timezone

import (
	"strings"
	"testing"
	"time"
)

// TestVTIMEZONERoundTrip generates definitions for zones with every kind of
// difficulty and reads them back: the result must agree with the IANA zone
// at the hours around each transition and at 5,000 random instants.
func TestVTIMEZONERoundTrip(t *testing.T) {
	from, to := date(1970, 1, 1), date(2040, 1, 1)
	zones := []struct {
		name   string
		beyond bool // the zone's rules are regular after to as well
	}{
		{"America/New_York", true},
		{"Europe/Berlin", true},
		{"Australia/Sydney", true},
		{"Asia/Kolkata", true},        // no transition since 1945
		{"Pacific/Chatham", true},     // +12:45 and +13:45
		{"America/St_Johns", true},    // -03:30 and -02:30
		{"Europe/Dublin", true},       // negative DST in the IANA data
		{"Africa/Casablanca", false},  // Ramadan changes, listed to 2087
		{"America/Sao_Paulo", true},   // irregular, no DST since 2019
		{"America/Santiago", true},    // Sunday on or after the 2nd
		{"Australia/Lord_Howe", true}, // 30-minute DST
		{"Asia/Tehran", true},
		{"Pacific/Apia", true}, // skipped 30 December 2011
		{"UTC", true},
	}
	for i, z := range zones {
		t.Run(z.name, func(t *testing.T) {
			loc, err := time.LoadLocation(z.name)
			if err != nil {
				t.Fatal(err)
			}
			c := VTIMEZONE(loc, from, to)
			text, err := printComponent(c)
			if err != nil {
				t.Fatalf("generated VTIMEZONE does not encode: %v", err)
			}
			cal, err := parseICS([]byte(text))
			if err != nil {
				t.Fatalf("generated VTIMEZONE does not parse: %v\n%s", err, text)
			}
			back, err := FromVTIMEZONE(cal.Children[0])
			if err != nil {
				t.Fatalf("%v\n%s", err, text)
			}
			if back.String() != z.name {
				t.Errorf("TZID %q; want %q", back, z.name)
			}
			if d := diffOffsets(back, loc, probes(from, to, 5000, int64(i), loc), 10); len(d) > 0 {
				t.Errorf("offsets differ:\n%s\n%s", strings.Join(d, "\n"), text)
			}
			if z.beyond {
				far := date(2100, 1, 1)
				if d := diffOffsets(back, loc, probes(to, far, 1000, int64(i), loc), 10); len(d) > 0 {
					t.Errorf("offsets differ after the requested span:\n%s", strings.Join(d, "\n"))
				}
			}
		})
	}
}

// TestVTIMEZONEShape checks what clients will see: RRULEs where the zone
// follows a rule, open-ended when the rule is current, one fixed observance
// for zones without changes, and offsets written the RFC 5545 way.
func TestVTIMEZONEShape(t *testing.T) {
	from, to := date(1970, 1, 1), date(2040, 1, 1)
	tests := []struct {
		zone  string
		count int      // observances; 0 to skip the check
		open  []string // "KIND TZOFFSETFROM>TZOFFSETTO RRULE" of the open-ended observances
		fixed string   // the only observance, when the zone has no changes
	}{
		{zone: "America/New_York", open: []string{
			"DAYLIGHT -0500>-0400 FREQ=YEARLY;BYMONTH=3;BYDAY=2SU",
			"STANDARD -0400>-0500 FREQ=YEARLY;BYMONTH=11;BYDAY=1SU",
		}},
		{zone: "Europe/Berlin", open: []string{
			"DAYLIGHT +0100>+0200 FREQ=YEARLY;BYMONTH=3;BYDAY=-1SU",
			"STANDARD +0200>+0100 FREQ=YEARLY;BYMONTH=10;BYDAY=-1SU",
		}},
		{zone: "Australia/Sydney", open: []string{
			"STANDARD +1100>+1000 FREQ=YEARLY;BYMONTH=4;BYDAY=1SU",
			"DAYLIGHT +1000>+1100 FREQ=YEARLY;BYMONTH=10;BYDAY=1SU",
		}},
		{zone: "Pacific/Chatham", open: []string{
			"DAYLIGHT +1245>+1345 FREQ=YEARLY;BYMONTH=9;BYDAY=-1SU",
			"STANDARD +1345>+1245 FREQ=YEARLY;BYMONTH=4;BYDAY=1SU",
		}},
		{zone: "America/St_Johns", open: []string{
			"STANDARD -0230>-0330 FREQ=YEARLY;BYMONTH=11;BYDAY=1SU",
			"DAYLIGHT -0330>-0230 FREQ=YEARLY;BYMONTH=3;BYDAY=2SU",
		}},
		// Irish summer time is DAYLIGHT for clients, although the IANA
		// data marks winter as the daylight saving period.
		{zone: "Europe/Dublin", open: []string{
			"DAYLIGHT +0000>+0100 FREQ=YEARLY;BYMONTH=3;BYDAY=-1SU",
			"STANDARD +0100>+0000 FREQ=YEARLY;BYMONTH=10;BYDAY=-1SU",
		}},
		{zone: "America/Santiago", open: []string{
			"STANDARD -0300>-0400 FREQ=YEARLY;BYMONTH=4;BYMONTHDAY=2,3,4,5,6,7,8;BYDAY=SU",
			"DAYLIGHT -0400>-0300 FREQ=YEARLY;BYMONTH=9;BYMONTHDAY=2,3,4,5,6,7,8;BYDAY=SU",
		}},
		{zone: "America/Sao_Paulo", open: []string{}},
		{zone: "Asia/Kolkata", count: 1, fixed: "STANDARD 19451015T000000 +0630>+0530 IST", open: []string{}},
		{zone: "UTC", count: 1, fixed: "STANDARD 19700101T000000 +0000>+0000 UTC", open: []string{}},
		{zone: "Etc/GMT+5", count: 1, fixed: "STANDARD 19691231T190000 -0500>-0500 -05", open: []string{}},
	}
	for _, tt := range tests {
		t.Run(tt.zone, func(t *testing.T) {
			loc, err := time.LoadLocation(tt.zone)
			if err != nil {
				t.Fatal(err)
			}
			c := VTIMEZONE(loc, from, to)
			if got := c.Props.Get("TZID").Value; got != tt.zone {
				t.Errorf("TZID %q", got)
			}
			if tt.count > 0 && len(c.Children) != tt.count {
				t.Errorf("%d observances; want %d:\n%s", len(c.Children), tt.count, strings.Join(observances(c), "\n"))
			}
			if tt.fixed != "" {
				o := c.Children[0]
				got := o.Name + " " + o.Props.Get("DTSTART").Value + " " + o.Props.Get("TZOFFSETFROM").Value +
					">" + o.Props.Get("TZOFFSETTO").Value + " " + o.Props.Get("TZNAME").Value
				if got != tt.fixed || o.Props.Get("RRULE") != nil || o.Props.Get("RDATE") != nil {
					t.Errorf("observance %s; want %s", got, tt.fixed)
				}
			}
			var open []string
			for _, o := range c.Children {
				if r := o.Props.Get("RRULE"); r != nil && !strings.Contains(r.Value, "UNTIL") {
					open = append(open, o.Name+" "+o.Props.Get("TZOFFSETFROM").Value+">"+
						o.Props.Get("TZOFFSETTO").Value+" "+r.Value)
				}
			}
			if strings.Join(open, "\n") != strings.Join(tt.open, "\n") {
				t.Errorf("open-ended observances:\n%s\nwant:\n%s", strings.Join(open, "\n"), strings.Join(tt.open, "\n"))
			}
			// DTSTART of observances is local time (RFC 5545 §3.6.5) and
			// UNTIL is UTC (§3.3.10).
			for _, o := range c.Children {
				if v := o.Props.Get("DTSTART").Value; strings.HasSuffix(v, "Z") {
					t.Errorf("DTSTART %s is not local time", v)
				}
				if r := o.Props.Get("RRULE"); r != nil && strings.Contains(r.Value, "UNTIL") && !strings.HasSuffix(r.Value, "Z") {
					t.Errorf("UNTIL in %s is not UTC", r.Value)
				}
			}
		})
	}
}

// TestVTIMEZONESpans checks spans that start inside a rule and
// definitions for fixed zones and odd inputs.
func TestVTIMEZONESpans(t *testing.T) {
	tests := []struct {
		zone     string
		from, to time.Time
	}{
		{"America/New_York", date(2026, 7, 1), date(2026, 7, 2)}, // no change inside the span
		{"America/New_York", date(2026, 1, 1), date(2027, 1, 1)},
		{"Europe/London", date(1900, 1, 1), date(2000, 1, 1)},
		{"Europe/Moscow", date(1980, 1, 1), date(2030, 1, 1)},
		{"Asia/Gaza", date(1990, 1, 1), date(2030, 1, 1)},
		{"America/Havana", date(1990, 1, 1), date(2030, 1, 1)},
		{"Antarctica/Troll", date(2000, 1, 1), date(2040, 1, 1)}, // DST of two hours
		{"Europe/Berlin", date(2040, 1, 1), date(2030, 1, 1)},    // reversed
	}
	for i, tt := range tests {
		loc, err := time.LoadLocation(tt.zone)
		if err != nil {
			t.Fatal(err)
		}
		c := VTIMEZONE(loc, tt.from, tt.to)
		back, err := FromVTIMEZONE(c)
		if err != nil {
			t.Errorf("%s: %v", tt.zone, err)
			continue
		}
		from, to := tt.from, tt.to
		if to.Before(from) {
			from, to = to, from
		}
		if d := diffOffsets(back, loc, probes(from, to, 500, int64(i), loc), 5); len(d) > 0 {
			t.Errorf("%s %v–%v: offsets differ:\n%s\n%s", tt.zone, from, to, strings.Join(d, "\n"), strings.Join(observances(c), "\n"))
		}
	}

	// A fixed zone the IANA database does not know.
	fixed := time.FixedZone("Custom+0545", 5*3600+45*60)
	c := VTIMEZONE(fixed, date(2020, 1, 1), date(2030, 1, 1))
	if c.Props.Get("X-LIC-LOCATION") != nil {
		t.Error("X-LIC-LOCATION for a zone outside the IANA database")
	}
	if len(c.Children) != 1 || c.Children[0].Props.Get("TZOFFSETTO").Value != "+0545" {
		t.Errorf("fixed zone: %v", observances(c))
	}
	if c := VTIMEZONE(nil, date(2020, 1, 1), date(2030, 1, 1)); c.Props.Get("TZID").Value != "UTC" {
		t.Errorf("nil location: TZID %s", c.Props.Get("TZID").Value)
	}
}

func BenchmarkVTIMEZONE(b *testing.B) {
	loc, _ := time.LoadLocation("America/New_York")
	from, to := date(1970, 1, 1), date(2040, 1, 1)
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		VTIMEZONE(loc, from, to)
	}
}

func TestBisect(t *testing.T) {
	loc, _ := time.LoadLocation("America/New_York")
	a, b := time.Date(2026, 3, 8, 5, 0, 0, 0, time.UTC), time.Date(2026, 3, 9, 5, 0, 0, 0, time.UTC)
	got := bisect(loc, a, b, stateAt(loc, a))
	if want := time.Date(2026, 3, 8, 7, 0, 0, 0, time.UTC); !got.Equal(want) {
		t.Errorf("bisect found %v; want %v", got, want)
	}
}
