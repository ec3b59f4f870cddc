package icalendar

import (
	"bytes"
	"errors"
	"os"
	"slices"
	"strings"
	"testing"
)

// cal wraps lines in a minimal VCALENDAR with CRLF line ends.
func cal(lines ...string) string {
	all := append([]string{"BEGIN:VCALENDAR", "VERSION:2.0", "PRODID:-//Almanac//test//EN"}, lines...)
	return strings.Join(append(all, "END:VCALENDAR"), "\r\n") + "\r\n"
}

func TestParseLenient(t *testing.T) {
	event := []string{"BEGIN:VEVENT", "UID:1", "DTSTAMP:20240101T000000Z", "DTSTART:20240101T100000Z", "SUMMARY:Hello", "END:VEVENT"}
	cases := []struct {
		name  string
		data  string
		fixes []Fix
	}{
		{"CRLF", cal(event...), nil},
		{"LF only", strings.ReplaceAll(cal(event...), "\r\n", "\n"), []Fix{FixBareLF}},
		{"BOM", "\xef\xbb\xbf" + cal(event...), []Fix{FixBOM}},
		{"blank lines and trailing space after END", strings.Replace(cal(event...), "END:VEVENT\r\n", "END:VEVENT  \r\n\r\n\r\n", 1), nil},
		{"lower-case names", strings.ToLower(cal(event...)[:16]) + cal(event...)[16:], nil},
		{"folded with tab", strings.Replace(cal(event...), "SUMMARY:Hello", "SUMMARY:Hel\r\n\tlo", 1), nil},
		{"Latin-1", strings.Replace(cal(event...), "Hello", "Hell\xf6", 1), []Fix{FixInvalidUTF8}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, err := Parse([]byte(c.data))
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(got.Fixes, c.fixes) {
				t.Errorf("fixes %v, want %v", got.Fixes, c.fixes)
			}
			if !bytes.Equal(got.Raw, []byte(c.data)) {
				t.Error("Raw is not the data as given")
			}
			comps := got.Components()
			if len(comps) != 1 || comps[0].UID() != "1" || !strings.HasPrefix(comps[0].Summary(), "Hell") {
				t.Errorf("components %v", comps)
			}
		})
	}
}

func TestParseFoldingUTF8(t *testing.T) {
	// "ö" (c3 b6) split across a fold, as a careless folder writes it.
	data := cal("BEGIN:VEVENT", "UID:1", "SUMMARY:Gr\xc3", " \xb6\xc3\x9fe", "END:VEVENT")
	c, err := Parse([]byte(data))
	if err != nil {
		t.Fatal(err)
	}
	if got := c.Components()[0].Summary(); got != "Größe" {
		t.Errorf("summary %q", got)
	}
}

func TestParseErrors(t *testing.T) {
	cases := []struct {
		name, data string
		line       int
		msg        string
	}{
		{"missing colon", cal("BEGIN:VEVENT", "UID:1", "SUMMARY", "END:VEVENT"), 6, `content line "SUMMARY" has no ':'`},
		{"go-ical panic input", cal("X;A=b"), 4, "the line ends inside the parameters"},
		{"unterminated quote", cal(`ATTENDEE;CN="Ann:mailto:a@example.com`), 4, "unterminated quoted parameter value"},
		{"text after quote", cal(`ATTENDEE;CN="Ann"x:mailto:a@example.com`), 4, "expected ';' or ':' after a parameter value"},
		{"quote inside value", cal(`ATTENDEE;CN=A"nn:mailto:a@example.com`), 4, `'"' inside an unquoted parameter value`},
		{"empty parameter", cal("DTSTART;;VALUE=DATE:20240101"), 4, `";VALUE" is not a valid parameter name`},
		{"bad name", cal("REFRESH - INTERVAL:PT1H"), 4, "not a valid property name"},
		{"END mismatch", cal("BEGIN:VEVENT", "END:VTODO"), 5, "END:VTODO does not match BEGIN:VEVENT on line 4"},
		{"missing END", "BEGIN:VCALENDAR\r\nBEGIN:VEVENT\r\nUID:1\r\n", 2, "BEGIN:VEVENT has no matching END:VEVENT"},
		{"no VCALENDAR", "BEGIN:VEVENT\r\nEND:VEVENT\r\n", 1, "expected BEGIN:VCALENDAR, found BEGIN:VEVENT"},
		{"outside", cal() + "X-JUNK:1\r\n", 5, "outside of BEGIN:VCALENDAR"},
		{"nested VCALENDAR", cal("BEGIN:VCALENDAR"), 4, "BEGIN:VCALENDAR inside VCALENDAR"},
		{"NUL", cal("SUMMARY:a\x00b"), 4, "NUL character"},
		{"lone CR", cal("SUMMARY:a\rb"), 4, "carriage return not followed by a line feed"},
		{"too deep", cal(strings.Repeat("BEGIN:X\r\n", 12)), 13, "nested more than 10 deep"},
		{"huge parameter", cal("X-A;P=" + strings.Repeat("a", 9000) + ":v"), 4, "longer than 8192 octets"},
		{"bad component name", cal("BEGIN:V EVENT"), 4, `is not a valid component name`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := Parse([]byte(c.data))
			var e *Error
			if !errors.As(err, &e) {
				t.Fatalf("err = %v, want an *Error", err)
			}
			if e.Line != c.line || !strings.Contains(e.Msg, c.msg) || e.Precondition != ValidCalendarData {
				t.Errorf("got %q (line %d), want line %d and %q", e.Error(), e.Line, c.line, c.msg)
			}
		})
	}
}

func TestParseCount(t *testing.T) {
	one := cal("BEGIN:VEVENT", "UID:1", "END:VEVENT")
	if _, err := Parse([]byte(one + one)); err == nil || !strings.Contains(err.Error(), "expected one VCALENDAR, found 2") {
		t.Errorf("two calendars: %v", err)
	}
	cals, err := ParseAll([]byte(one + "\r\n" + one))
	if err != nil || len(cals) != 2 {
		t.Errorf("ParseAll: %d, %v", len(cals), err)
	}
	if _, err := Parse([]byte("\r\n \r\n")); err == nil {
		t.Error("empty data parsed")
	}
}

// TestRFC6868 decodes ^-escapes in parameter values and writes them back.
func TestRFC6868(t *testing.T) {
	data := cal("BEGIN:VEVENT", "UID:1", `ATTENDEE;CN=George Herman ^'Babe^' Ruth;X-ADDR=Line 1^nLine 2 ^^:mailto:babe@example.com`, "END:VEVENT")
	c, err := Parse([]byte(data))
	if err != nil {
		t.Fatal(err)
	}
	p := c.Components()[0].Props.Get("ATTENDEE")
	if cn, addr := p.Params.Get("CN"), p.Params.Get("X-ADDR"); cn != `George Herman "Babe" Ruth` || addr != "Line 1\nLine 2 ^" {
		t.Errorf("CN %q, X-ADDR %q", cn, addr)
	}
	out, err := Marshal(c.Component)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(out), `CN=George Herman ^'Babe^' Ruth;X-ADDR=Line 1^nLine 2 ^^:`) {
		t.Errorf("encoded as\n%s", out)
	}
}

func BenchmarkParseEvent(b *testing.B) {
	data, err := os.ReadFile("testdata/event.ics")
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		c, err := Parse(data)
		if err != nil || len(c.Components()) != 1 {
			b.Fatal(err)
		}
	}
}

// BenchmarkParseObjectEvent adds validation and the RFC 4791 checks: what a
// PUT costs.
func BenchmarkParseObjectEvent(b *testing.B) {
	data, err := os.ReadFile("testdata/event.ics")
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := ParseObject(data, Options{}); err != nil {
			b.Fatal(err)
		}
	}
}
