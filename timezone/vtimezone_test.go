package timezone

import (
	"errors"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/emersion/go-ical"
)

// The fixtures are calendars as Outlook, Exchange, Apple Calendar and
// hand-written generators send them; each definition is compared with the
// IANA zone it describes over the span where it describes it.
var fixtureTests = []struct {
	file, tzid string
	ref        string // IANA zone the definition describes
	from, to   time.Time
}{
	// Outlook and Exchange: one STANDARD and one DAYLIGHT from 1601 with
	// the current rule only; Windows IDs as TZID.
	{"outlook-w-europe.ics", "W. Europe Standard Time", "Europe/Berlin", date(1996, 1, 1), date(2200, 1, 1)},
	{"exchange-eastern.ics", "Eastern Standard Time", "America/New_York", date(2007, 1, 1), date(2200, 1, 1)},
	{"outlook-custom.ics", "Customized Time Zone", "Australia/Sydney", date(2008, 1, 1), date(2200, 1, 1)},
	// Apple: truncated to the rules in force since 2007.
	{"apple-truncated.ics", "America/Los_Angeles", "America/Los_Angeles", date(2007, 1, 1), date(2200, 1, 1)},
	// RDATE lists (values, lists, VALUE=PERIOD) for irregular changes.
	{"rdate-ramadan.ics", "Morocco (Ramadan)", "Africa/Casablanca", date(2019, 11, 1), date(2027, 1, 1)},
	// Lower-case rules, trailing ';', spaces, "+01:00", "+020000", local UNTIL.
	{"sloppy.ics", "Central Europe (hand written)", "Europe/Berlin", date(1981, 1, 1), date(2200, 1, 1)},
	// UNTIL written as local time with a Z.
	{"sloppy.ics", "Central Europe (Z on local UNTIL)", "Europe/Berlin", date(1981, 1, 1), date(2200, 1, 1)},
	// COUNT, BYSETPOS, BYMONTHDAY with BYDAY.
	{"sloppy.ics", "Central Europe (COUNT)", "Europe/Berlin", date(1981, 1, 1), date(2200, 1, 1)},
	{"sloppy.ics", "India (sloppy)", "Asia/Kolkata", date(1946, 1, 1), date(2200, 1, 1)},
	{"sloppy.ics", "Nowhere (minus zero)", "UTC", date(1900, 1, 1), date(2200, 1, 1)},
	// "Sunday on or after the 2nd", as Chile changes.
	{"sloppy.ics", "Chile (weekday on or after)", "America/Santiago", date(2023, 5, 1), date(2200, 1, 1)},
	// BYYEARDAY and a fixed day of the month.
	{"sloppy.ics", "Iran (day of year)", "Asia/Tehran", date(2009, 1, 1), date(2011, 1, 1)},
}

func TestFromVTIMEZONEFixtures(t *testing.T) {
	for _, tt := range fixtureTests {
		t.Run(tt.file+"/"+tt.tzid, func(t *testing.T) {
			cal := readICS(t, filepath.Join("testdata", tt.file))
			def := vtimezones(cal)[tt.tzid]
			if def == nil {
				t.Fatalf("no VTIMEZONE %q", tt.tzid)
			}
			loc, err := FromVTIMEZONE(def)
			if err != nil {
				t.Fatal(err)
			}
			if loc.String() != tt.tzid {
				t.Errorf("location named %q; want %q", loc, tt.tzid)
			}
			ref, err := time.LoadLocation(tt.ref)
			if err != nil {
				t.Fatal(err)
			}
			if d := diffOffsets(loc, ref, probes(tt.from, tt.to, 2000, 1, loc, ref), 5); len(d) > 0 {
				t.Errorf("offsets differ from %s:\n%s", tt.ref, strings.Join(d, "\n"))
			}
		})
	}
}

// TestFixtureEvents resolves the TZID of every DTSTART and DTEND in the
// fixtures the way the server will.
func TestFixtureEvents(t *testing.T) {
	files, _ := filepath.Glob("testdata/*.ics")
	want := map[string]string{ // event TZID → location name
		"W. Europe Standard Time":       "Europe/Berlin",
		"Eastern Standard Time ":        "America/New_York",
		"Customized Time Zone":          "Customized Time Zone",
		"America/Los_Angeles":           "America/Los_Angeles",
		"Morocco (Ramadan)":             "Morocco (Ramadan)",
		"Central Europe (hand written)": "Central Europe (hand written)",
	}
	seen := 0
	for _, f := range files {
		cal := readICS(t, f)
		defs := vtimezones(cal)
		for _, c := range cal.Children {
			for _, name := range []string{"DTSTART", "DTEND"} {
				p := c.Props.Get(name)
				if p == nil || p.Params.Get("TZID") == "" {
					continue
				}
				tzid := p.Params.Get("TZID")
				loc, err := Resolve(tzid, defs)
				if err != nil {
					t.Errorf("%s: %s: %v", f, name, err)
					continue
				}
				seen++
				if loc.String() != want[tzid] {
					t.Errorf("%s: %s TZID %q resolved to %s; want %s", f, name, tzid, loc, want[tzid])
				}
			}
		}
	}
	if seen < 8 {
		t.Errorf("only %d TZIDs resolved; fixtures missing?", seen)
	}
}

func TestResolve(t *testing.T) {
	cal := readICS(t, "testdata/apple-truncated.ics")
	defs := vtimezones(cal)

	// A known name wins over the truncated definition: in July 1999 Los
	// Angeles was on daylight time, which the definition (starting in
	// 2007) cannot know.
	loc, err := Resolve("America/Los_Angeles", defs)
	if err != nil {
		t.Fatal(err)
	}
	if _, off := time.Date(1999, 7, 14, 10, 0, 0, 0, loc).Zone(); off != -7*3600 {
		t.Errorf("Resolve: offset %d in July 1999; want PDT", off)
	}
	own, err := FromVTIMEZONE(defs["America/Los_Angeles"])
	if err != nil {
		t.Fatal(err)
	}
	if _, off := time.Date(1999, 7, 14, 10, 0, 0, 0, own).Zone(); off != -8*3600 {
		t.Errorf("truncated definition: offset %d in July 1999; want -8h before its first onset", off)
	}

	// An unknown name is defined by the object, matched despite quoting.
	defs = vtimezones(readICS(t, "testdata/outlook-custom.ics"))
	for _, tzid := range []string{"Customized Time Zone", `"Customized Time Zone"`, " Customized Time Zone "} {
		loc, err := Resolve(tzid, defs)
		if err != nil || loc.String() != "Customized Time Zone" {
			t.Errorf("Resolve(%q) = %v, %v", tzid, loc, err)
		}
	}

	// Neither known nor defined.
	_, err = Resolve("Atlantis/Capital", defs)
	if !errors.Is(err, ErrUnknownTZID) || !strings.Contains(err.Error(), `"Atlantis/Capital"`) {
		t.Errorf("Resolve of an unknown TZID: %v", err)
	}
	_, err = Resolve("Atlantis/Capital", nil)
	if !errors.Is(err, ErrUnknownTZID) {
		t.Errorf("Resolve with no definitions: %v", err)
	}

	// Defined, but badly.
	bad := mustVTIMEZONE(t, "TZID:Atlantis/Capital\nBEGIN:STANDARD\nDTSTART:19700101T000000\nTZOFFSETFROM:+0100\nEND:STANDARD")
	_, err = Resolve("Atlantis/Capital", map[string]*ical.Component{"Atlantis/Capital": bad})
	var de *DefinitionError
	if !errors.As(err, &de) || de.TZID != "Atlantis/Capital" || !strings.Contains(err.Error(), "TZOFFSETTO") {
		t.Errorf("Resolve of a bad definition: %v", err)
	}
}

// mustVTIMEZONE parses a VTIMEZONE body (the lines between BEGIN and END,
// separated by \n) into a component.
func mustVTIMEZONE(t testing.TB, body string) *ical.Component {
	t.Helper()
	text := "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:x\r\nBEGIN:VTIMEZONE\r\n" +
		strings.ReplaceAll(body, "\n", "\r\n") + "\r\nEND:VTIMEZONE\r\nEND:VCALENDAR\r\n"
	cal, err := parseICS([]byte(text))
	if err != nil {
		t.Fatalf("%v in\n%s", err, text)
	}
	return cal.Children[0]
}

func TestFromVTIMEZONEErrors(t *testing.T) {
	const std = "BEGIN:STANDARD\nDTSTART:19701025T030000\nTZOFFSETFROM:+0200\nTZOFFSETTO:+0100\nEND:STANDARD"
	obs := func(props string) string {
		return "TZID:Test/Zone\nBEGIN:DAYLIGHT\n" + props + "\nEND:DAYLIGHT\n" + std
	}
	const ok = "DTSTART:19700329T020000\nTZOFFSETFROM:+0100\nTZOFFSETTO:+0200"
	tests := []struct {
		name, body string
		want       []string // substrings of the error
	}{
		{"missing TZOFFSETTO", obs("DTSTART:19700329T020000\nTZOFFSETFROM:+0100"), []string{`"Test/Zone"`, "DAYLIGHT 1", "missing TZOFFSETTO"}},
		{"missing TZOFFSETFROM", obs("DTSTART:19700329T020000\nTZOFFSETTO:+0200"), []string{"DAYLIGHT 1", "missing TZOFFSETFROM"}},
		{"missing DTSTART", obs("TZOFFSETFROM:+0100\nTZOFFSETTO:+0200"), []string{"DAYLIGHT 1", "missing DTSTART"}},
		{"bad DTSTART", obs("DTSTART:1970-03-29\nTZOFFSETFROM:+0100\nTZOFFSETTO:+0200"), []string{"DTSTART", `"1970-03-29"`}},
		{"offset out of range", obs("DTSTART:19700329T020000\nTZOFFSETFROM:+0100\nTZOFFSETTO:+2500"), []string{"TZOFFSETTO", "+2500"}},
		{"offset not a number", obs("DTSTART:19700329T020000\nTZOFFSETFROM:+01x0\nTZOFFSETTO:+0200"), []string{"TZOFFSETFROM", "+01x0"}},
		{"offset minutes", obs("DTSTART:19700329T020000\nTZOFFSETFROM:+0175\nTZOFFSETTO:+0200"), []string{"TZOFFSETFROM"}},
		{"daily rule", obs(ok + "\nRRULE:FREQ=DAILY"), []string{"RRULE", "FREQ=DAILY"}},
		{"no FREQ", obs(ok + "\nRRULE:BYMONTH=3;BYDAY=-1SU"), []string{"no FREQ"}},
		{"week numbers", obs(ok + "\nRRULE:FREQ=YEARLY;BYWEEKNO=13;BYDAY=SU"), []string{"BYWEEKNO"}},
		{"bad weekday", obs(ok + "\nRRULE:FREQ=YEARLY;BYMONTH=3;BYDAY=-1XX"), []string{"BYDAY", "-1XX"}},
		{"bad month", obs(ok + "\nRRULE:FREQ=YEARLY;BYMONTH=13;BYDAY=-1SU"), []string{"BYMONTH", "13"}},
		{"other calendar", obs(ok + "\nRRULE:RSCALE=HEBREW;FREQ=YEARLY"), []string{"RSCALE"}},
		{"unknown part", obs(ok + "\nRRULE:FREQ=YEARLY;BYEASTER=0"), []string{"BYEASTER"}},
		{"bad UNTIL", obs(ok + "\nRRULE:FREQ=YEARLY;UNTIL=soon"), []string{"UNTIL"}},
		{"bad RDATE", obs(ok + "\nRDATE:19710328T020000,tomorrow"), []string{"RDATE", "tomorrow"}},
		{"two onset times", obs(ok + "\nRRULE:FREQ=YEARLY;BYHOUR=1,2"), []string{"BYHOUR"}},
		{"no observances", "TZID:Test/Zone", []string{"no STANDARD or DAYLIGHT"}},
		{"costly rules", "TZID:Test/Zone" + strings.Repeat("\nBEGIN:STANDARD\nDTSTART:00010101T000000\n"+
			"TZOFFSETFROM:+0100\nTZOFFSETTO:+0100\nRRULE:FREQ=MONTHLY;COUNT=1000000;BYMONTH=2;BYMONTHDAY=30\n"+
			"END:STANDARD", 10), []string{"too costly"}},
		{"missing TZID", std, []string{"missing TZID"}},
		{"second standard", "TZID:Test/Zone\n" + std + "\nBEGIN:STANDARD\nDTSTART:19800101T000000\nTZOFFSETFROM:+0100\nEND:STANDARD", []string{"STANDARD 2", "TZOFFSETTO"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := FromVTIMEZONE(mustVTIMEZONE(t, tt.body))
			var de *DefinitionError
			if !errors.As(err, &de) {
				t.Fatalf("error %v; want a *DefinitionError", err)
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not mention %q", err, w)
				}
			}
		})
	}

	if _, err := FromVTIMEZONE(nil); err == nil {
		t.Error("FromVTIMEZONE(nil) succeeded")
	}
	ev := ical.NewComponent(ical.CompEvent)
	ev.Props.SetText("TZID", "x")
	if _, err := FromVTIMEZONE(ev); err == nil || !strings.Contains(err.Error(), "VEVENT") {
		t.Errorf("FromVTIMEZONE(VEVENT): %v", err)
	}
}

func TestParseOffset(t *testing.T) {
	tests := []struct {
		in   string
		want int // seconds; -1 for an error
	}{
		{"+0530", 5*3600 + 30*60},
		{"+053000", 5*3600 + 30*60},
		{"-0330", -(3*3600 + 30*60)},
		{"+1245", 12*3600 + 45*60},
		{"-0000", 0},
		{"+0000", 0},
		{"0100", 3600},
		{"+01:00", 3600},
		{"-04:56:02", -(4*3600 + 56*60 + 2)},
		{" +0200 ", 7200},
		{"+01", 3600},
		{"+2359", 23*3600 + 59*60},
		{"+2400", -1},
		{"+0060", -1},
		{"+1", -1},
		{"", -1},
		{"+01000", -1},
		{"++0100", -1},
		{"+0a00", -1},
	}
	for _, tt := range tests {
		got, err := parseOffset(tt.in)
		if tt.want == -1 {
			if err == nil {
				t.Errorf("parseOffset(%q) = %d; want an error", tt.in, got)
			}
			continue
		}
		if err != nil || got != tt.want {
			t.Errorf("parseOffset(%q) = %d, %v; want %d", tt.in, got, err, tt.want)
		}
	}
}

func TestRecurExpand(t *testing.T) {
	tests := []struct {
		rule, dtstart string
		want          []string // the occurrences after DTSTART
	}{
		{"FREQ=YEARLY;BYMONTH=3;BYDAY=-1SU", "19960331T010000", []string{"19970330T010000", "19980329T010000", "19990328T010000"}},
		{"freq=yearly;bymonth=10;byday=2su;", "20221009T020000", []string{"20231008T020000", "20241013T020000", "20251012T020000"}},
		{"FREQ=YEARLY;BYMONTH=4;BYMONTHDAY=1,2,3,4,5,6,7;BYDAY=SU", "20220403T020000", []string{"20230402T020000", "20240407T020000", "20250406T020000"}},
		{"FREQ=YEARLY;BYYEARDAY=81", "20220322T000000", []string{"20230322T000000", "20240321T000000", "20250322T000000"}},
		{"FREQ=YEARLY;BYYEARDAY=-1", "20221231T230000", []string{"20231231T230000", "20241231T230000"}},
		{"FREQ=YEARLY;BYMONTH=3;BYMONTHDAY=22", "20220322T000000", []string{"20230322T000000", "20240322T000000"}},
		{"FREQ=YEARLY;BYMONTH=10;BYMONTHDAY=-1", "20221031T000000", []string{"20231031T000000"}},
		{"FREQ=YEARLY;COUNT=3;BYMONTH=9;BYDAY=-1SU", "19810927T030000", []string{"19820926T030000", "19830925T030000"}},
		{"FREQ=YEARLY;BYDAY=SU;BYMONTH=10;BYSETPOS=-1", "20221030T030000", []string{"20231029T030000", "20241027T030000"}},
		{"FREQ=YEARLY;BYDAY=SU;BYMONTH=3;BYSETPOS=2", "20220313T020000", []string{"20230312T020000", "20240310T020000"}},
		{"FREQ=MONTHLY;BYMONTH=3;BYDAY=-1SU", "20220327T020000", []string{"20230326T020000", "20240331T020000"}},
		{"FREQ=YEARLY;INTERVAL=2;BYMONTH=3;BYDAY=-1SU", "20200329T020000", []string{"20220327T020000", "20240331T020000"}},
		{"FREQ=YEARLY", "20200229T020000", []string{"20240229T020000", "20280229T020000"}},
		{"FREQ=YEARLY;BYMONTH=4", "20200405T020000", []string{"20210405T020000"}},
		{"FREQ=YEARLY;BYDAY=20MO", "20200511T000000", []string{"20200518T000000", "20210517T000000"}},
		{"FREQ=YEARLY;BYMONTH=3;BYDAY=-1SU;UNTIL=19990328T010000Z", "19960331T010000", []string{"19970330T010000", "19980329T010000", "19990328T010000"}},
		{"FREQ=YEARLY;BYMONTH=3;BYDAY=-1SU;UNTIL=19990328", "19960331T010000", []string{"19970330T010000", "19980329T010000", "19990328T010000"}},
		{"FREQ=YEARLY;BYMONTH=3;BYDAY=-1SU;UNTIL=19990327T235959Z", "19960331T010000", []string{"19970330T010000", "19980329T010000"}},
		{"FREQ=YEARLY;BYMONTH=3;BYDAY=-1SU;BYHOUR=3", "19960331T030000", []string{"19970330T030000"}},
	}
	for _, tt := range tests {
		r, err := parseRecur(tt.rule)
		if err != nil {
			t.Errorf("parseRecur(%q): %v", tt.rule, err)
			continue
		}
		start, _, _ := parseWall(tt.dtstart)
		var got []string
		r.expand(start, 0, 0, start.Year()+8, func(w time.Time) bool {
			got = append(got, w.Format(wallFormat))
			return len(got) < len(tt.want)
		})
		if strings.Join(got, " ") != strings.Join(tt.want, " ") {
			t.Errorf("%s from %s:\n got %v\nwant %v", tt.rule, tt.dtstart, got, tt.want)
		}
	}
}

// TestFromVTIMEZONEFarFuture checks the POSIX footer: a two-rule definition
// stays right long after its last explicit transition.
func TestFromVTIMEZONEFarFuture(t *testing.T) {
	def := vtimezones(readICS(t, "testdata/outlook-w-europe.ics"))["W. Europe Standard Time"]
	loc, err := FromVTIMEZONE(def)
	if err != nil {
		t.Fatal(err)
	}
	berlin, _ := time.LoadLocation("Europe/Berlin")
	from, to := date(2190, 1, 1), date(2400, 1, 1)
	if d := diffOffsets(loc, berlin, probes(from, to, 1000, 2, loc, berlin), 5); len(d) > 0 {
		t.Errorf("offsets differ:\n%s", strings.Join(d, "\n"))
	}
	// The same definition with an interval the footer cannot express is
	// expanded explicitly, through 2200 at least.
	odd := mustVTIMEZONE(t, `TZID:Every other year
BEGIN:STANDARD
DTSTART:20001029T030000
TZOFFSETFROM:+0200
TZOFFSETTO:+0100
RRULE:FREQ=YEARLY;INTERVAL=2;BYMONTH=10;BYDAY=-1SU
END:STANDARD
BEGIN:DAYLIGHT
DTSTART:20000326T020000
TZOFFSETFROM:+0100
TZOFFSETTO:+0200
RRULE:FREQ=YEARLY;INTERVAL=2;BYMONTH=3;BYDAY=-1SU
END:DAYLIGHT`)
	loc, err = FromVTIMEZONE(odd)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		at   time.Time
		want int
	}{
		{date(2198, 7, 1), 7200}, // even year: summer time
		{date(2199, 7, 1), 3600}, // odd year: no change in March
		{date(2200, 7, 1), 7200},
		{date(2200, 12, 1), 3600},
	} {
		if _, off := tc.at.In(loc).Zone(); off != tc.want {
			t.Errorf("%v: offset %d; want %d", tc.at, off, tc.want)
		}
	}
}

func BenchmarkFromVTIMEZONE(b *testing.B) {
	def := vtimezones(readICS(b, "testdata/outlook-custom.ics"))["Customized Time Zone"]
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		if _, err := FromVTIMEZONE(def); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkResolve(b *testing.B) {
	apple := vtimezones(readICS(b, "testdata/apple-truncated.ics"))
	custom := vtimezones(readICS(b, "testdata/outlook-custom.ics"))
	b.Run("known", func(b *testing.B) {
		b.ReportAllocs()
		for i := 0; i < b.N; i++ {
			if _, err := Resolve("America/Los_Angeles", apple); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("definition", func(b *testing.B) {
		b.ReportAllocs()
		for i := 0; i < b.N; i++ {
			if _, err := Resolve("Customized Time Zone", custom); err != nil {
				b.Fatal(err)
			}
		}
	})
}
