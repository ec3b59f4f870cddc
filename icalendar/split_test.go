package icalendar

import (
	"bytes"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
)

func crlfText(s string) []byte {
	return []byte(strings.ReplaceAll(strings.TrimLeft(s, "\n"), "\n", "\r\n"))
}

// A Google export: METHOD:PUBLISH, calendar properties, and an override
// that comes long after its master.
var googleExport = crlfText(`
BEGIN:VCALENDAR
PRODID:-//Google Inc//Google Calendar 70.9054//EN
VERSION:2.0
CALSCALE:GREGORIAN
METHOD:PUBLISH
X-WR-CALNAME:Team
X-WR-TIMEZONE:Europe/Berlin
BEGIN:VTIMEZONE
TZID:Europe/Berlin
BEGIN:STANDARD
TZOFFSETFROM:+0200
TZOFFSETTO:+0100
DTSTART:19701025T030000
RRULE:FREQ=YEARLY;BYMONTH=10;BYDAY=-1SU
END:STANDARD
BEGIN:DAYLIGHT
TZOFFSETFROM:+0100
TZOFFSETTO:+0200
DTSTART:19700329T020000
RRULE:FREQ=YEARLY;BYMONTH=3;BYDAY=-1SU
END:DAYLIGHT
END:VTIMEZONE
BEGIN:VEVENT
DTSTART;TZID=Europe/Berlin:20260105T100000
DTEND;TZID=Europe/Berlin:20260105T103000
RRULE:FREQ=WEEKLY;BYDAY=MO
DTSTAMP:20260301T120000Z
UID:standup@google.com
SUMMARY:Standup
BEGIN:VALARM
ACTION:DISPLAY
DESCRIPTION:x
TRIGGER:-PT10M
END:VALARM
END:VEVENT
BEGIN:VEVENT
DTSTART:20260110T090000Z
DTEND:20260110T100000Z
DTSTAMP:20260301T120000Z
UID:lunch@google.com
SUMMARY:Lunch with a very long title that has to be folded somewhere because
  it goes on
END:VEVENT
BEGIN:VEVENT
DTSTART;TZID=Europe/Berlin:20260112T110000
DTEND;TZID=Europe/Berlin:20260112T113000
DTSTAMP:20260301T120000Z
UID:standup@google.com
RECURRENCE-ID;TZID=Europe/Berlin:20260112T100000
SUMMARY:Standup (moved)
END:VEVENT
END:VCALENDAR
`)

func TestSplitGroupsByUIDWithTimezones(t *testing.T) {
	sp, err := SplitBytes(googleExport, SplitLimits{})
	if err != nil {
		t.Fatal(err)
	}
	p := sp.Props
	if p.Name != "Team" || p.TimeZone != "Europe/Berlin" || p.Method != "PUBLISH" || !strings.HasPrefix(p.ProdID, "-//Google") {
		t.Errorf("calendar properties: %+v", p)
	}
	if len(sp.Resources) != 2 {
		t.Fatalf("%d resources, want 2", len(sp.Resources))
	}
	standup := sp.Resources[0]
	if standup.UID != "standup@google.com" || standup.Line != 23 || len(standup.parts) != 2 {
		t.Fatalf("standup: %+v", standup)
	}
	data, err := sp.Data(standup)
	if err != nil {
		t.Fatal(err)
	}
	obj, err := ParseObject(data, Options{})
	if err != nil {
		t.Fatalf("%v\n%s", err, data)
	}
	if len(obj.Components) != 2 || len(obj.Timezones) != 1 || len(obj.Overrides()) != 1 {
		t.Errorf("object: %d components, %d zones", len(obj.Components), len(obj.Timezones))
	}
	if bytes.Contains(data, []byte("METHOD")) {
		t.Error("METHOD was copied into a resource (RFC 4791 §4.1 forbids it)")
	}
	lunch, _ := sp.Data(sp.Resources[1])
	if bytes.Contains(lunch, []byte("VTIMEZONE")) {
		t.Error("a UTC event got a VTIMEZONE it does not use")
	}
	if !bytes.Contains(lunch, []byte("because\r\n  it goes on")) {
		t.Errorf("folding not kept:\n%s", lunch)
	}
	again, _ := SplitBytes(googleExport, SplitLimits{})
	if d2, _ := again.Data(again.Resources[0]); !bytes.Equal(d2, data) {
		t.Error("splitting the same data twice gave different bytes")
	}
}

func TestSplitLenient(t *testing.T) {
	in := "\xef\xbb\xbfBEGIN:VCALENDAR\nVERSION:2.0\nPRODID:x\n" +
		// No UID; an IANA TZID without VTIMEZONE.
		"BEGIN:VEVENT\nDTSTAMP:20260101T000000Z\nDTSTART;TZID=\"America/New_York\":20260105T100000\nSUMMARY:a\nEND:VEVENT\n" +
		// Missing END:VEVENT: broken, but the next one is read.
		"BEGIN:VEVENT\nUID:broken\nDTSTART:20260105T100000Z\n" +
		"BEGIN:VEVENT\nUID:fine\nDTSTAMP:20260101T000000Z\nDTSTART:20260105T100000Z\nEND:VEVENT\n" +
		"BEGIN:X-ODD\nFOO:bar\nEND:X-ODD\n"
	sp, err := SplitBytes([]byte(in), SplitLimits{})
	if err != nil {
		t.Fatal(err)
	}
	if len(sp.Resources) != 3 {
		t.Fatalf("%d resources", len(sp.Resources))
	}
	noUID, broken, fine := sp.Resources[0], sp.Resources[1], sp.Resources[2]
	data, err := sp.Data(noUID)
	if err != nil || !strings.HasPrefix(noUID.UID, "import-") {
		t.Fatalf("no UID: %q, %v", noUID.UID, err)
	}
	if _, err := ParseObject(data, Options{Strict: true}); err != nil {
		t.Errorf("resource with a generated UID and VTIMEZONE: %v\n%s", err, data)
	}
	if !bytes.Contains(data, []byte("TZID:America/New_York\r\n")) || bytes.Contains(data, []byte("\r\r")) {
		t.Errorf("generated VTIMEZONE or line ends wrong:\n%s", data)
	}
	sp2, _ := SplitBytes([]byte(in), SplitLimits{})
	sp2.Data(sp2.Resources[0])
	if sp2.Resources[0].UID != noUID.UID {
		t.Error("the generated UID is not stable")
	}
	if _, err := sp.Data(broken); err == nil || !strings.Contains(err.Error(), "no END:VEVENT") {
		t.Errorf("broken component: %v", err)
	}
	if _, err := sp.Data(fine); err != nil {
		t.Errorf("component after a broken one: %v", err)
	}
	if len(sp.Warnings) != 2 {
		t.Errorf("warnings %q: want the X- component and the missing END:VCALENDAR", sp.Warnings)
	}
}

func TestSplitRejects(t *testing.T) {
	for name, in := range map[string]string{
		"not iCalendar": "hello world\n",
		"empty":         "",
		"vCard":         "BEGIN:VCARD\nEND:VCARD\n",
	} {
		if _, err := SplitBytes([]byte(in), SplitLimits{}); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
	many := "BEGIN:VCALENDAR\n" + strings.Repeat("BEGIN:VEVENT\nUID:a\nEND:VEVENT\n", 11) + "END:VCALENDAR\n"
	if _, err := SplitBytes([]byte(many), SplitLimits{MaxComponents: 10}); err == nil {
		t.Error("more components than the limit were accepted")
	}
	big := "BEGIN:VCALENDAR\nBEGIN:VEVENT\nUID:a\nDESCRIPTION:" + strings.Repeat("x", 5000) + "\nEND:VEVENT\nEND:VCALENDAR\n"
	sp, err := SplitBytes([]byte(big), SplitLimits{MaxComponentSize: 1000})
	if err != nil || len(sp.Resources) != 1 || sp.Resources[0].Err == nil {
		t.Errorf("oversized component: %v", err)
	}
}

// TestSplitAgreesWithParseAll splits every real-world file of the shared
// corpus and checks that it finds the same resources as parsing the whole
// file and grouping its components (Calendar.Objects), and that every
// resource it produces parses.
func TestSplitAgreesWithParseAll(t *testing.T) {
	files, _ := filepath.Glob(filepath.Join(sharedTestdata(t, "ics"), "*", "*.ics"))
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		sp, serr := SplitBytes(data, SplitLimits{})
		cals, perr := ParseAll(data)
		if perr != nil {
			continue // the splitter may be more lenient; it must not panic
		}
		if serr != nil {
			t.Errorf("%s: ParseAll accepts it, Split says %v", filepath.Base(f), serr)
			continue
		}
		want := map[string]int{}
		for _, c := range cals {
			objs, err := c.Objects()
			if err != nil {
				want = nil
				break
			}
			for _, o := range objs {
				if contains(storable, o.Type) {
					want[o.UID] += len(o.Components)
				}
			}
		}
		for _, r := range sp.Resources {
			if r.Err != nil {
				t.Errorf("%s: %s: %v", filepath.Base(f), r.UID, r.Err)
				continue
			}
			data, err := sp.Data(r)
			if err != nil {
				t.Errorf("%s: %v", filepath.Base(f), err)
				continue
			}
			if _, err := Parse(data); err != nil {
				t.Errorf("%s: resource %s does not parse: %v", filepath.Base(f), r.UID, err)
			}
			if want != nil && !r.noUID && want[r.UID] != len(r.parts) {
				t.Errorf("%s: UID %s has %d components, ParseAll found %d", filepath.Base(f), r.UID, len(r.parts), want[r.UID])
			}
		}
	}
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

func FuzzSplit(f *testing.F) {
	f.Add(googleExport)
	f.Add([]byte("BEGIN:VCALENDAR\nBEGIN:VEVENT\nUID:a\nBEGIN:VALARM\nEND:VEVENT\nEND:VCALENDAR\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		sp, err := SplitBytes(data, SplitLimits{MaxComponents: 1000})
		if err != nil {
			return
		}
		for _, r := range sp.Resources {
			if out, err := sp.Data(r); err == nil {
				_, _ = ParseObject(out, Options{})
			}
		}
	})
}

func TestSameContent(t *testing.T) {
	a := "BEGIN:VEVENT\r\nUID:x\r\nDTSTAMP:20260101T000000Z\r\nSUMMARY:Long\r\n  title\r\nEND:VEVENT\r\n"
	for b, want := range map[string]bool{
		"BEGIN:VEVENT\nUID:x\nDTSTAMP:20270101T000000Z\nSUMMARY:Long title\nEND:VEVENT\n":  true,
		"BEGIN:VEVENT\nUID:x\nSUMMARY:Long title\nEND:VEVENT\n":                            true,
		"BEGIN:VEVENT\nUID:x\nDTSTAMP:20260101T000000Z\nSUMMARY:Long title!\nEND:VEVENT\n": false,
		"BEGIN:VEVENT\nUID:x\nDTSTAMP:20260101T000000Z\nSUMMARY:Long title\n":              false,
	} {
		if got := SameContent([]byte(a), []byte(b)); got != want {
			t.Errorf("SameContent(%q) = %v", b, got)
		}
	}
}

// TestSplitGiganticLine splits a file whose one line is 20 MB: the
// splitter keeps a few kilobytes of it, and the object is refused for
// its size, not read into memory.
func TestSplitGiganticLine(t *testing.T) {
	var b bytes.Buffer
	b.WriteString("BEGIN:VCALENDAR\r\nVERSION:2.0\r\nBEGIN:VEVENT\r\nUID:huge\r\nDESCRIPTION:")
	b.Write(bytes.Repeat([]byte("x"), 20<<20))
	b.WriteString("\r\nEND:VEVENT\r\nBEGIN:VEVENT\r\nUID:small\r\nDTSTAMP:20260101T000000Z\r\nDTSTART:20260101T100000Z\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n")
	data := b.Bytes()
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	sp, err := SplitBytes(data, SplitLimits{})
	runtime.ReadMemStats(&after)
	if err != nil || len(sp.Resources) != 2 {
		t.Fatalf("split: %v", err)
	}
	if grew := after.TotalAlloc - before.TotalAlloc; grew > 2<<20 {
		t.Errorf("splitting allocated %d bytes for a 20 MB line", grew)
	}
	if _, err := sp.Data(sp.Resources[0]); err == nil || !strings.Contains(err.Error(), "at most") {
		t.Errorf("huge object: %v", err)
	}
	if _, err := sp.Data(sp.Resources[1]); err != nil {
		t.Errorf("the object after it: %v", err)
	}
}
