package icalendar

import (
	"flag"
	"math/rand/v2"
	"os"
	"reflect"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/emersion/go-ical"
)

var update = flag.Bool("update", false, "rewrite golden files")

func golden(t *testing.T, path string, got []byte) {
	t.Helper()
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run with -update to create it)", err)
	}
	if string(got) != string(want) {
		t.Errorf("output differs from %s:\n--- got\n%s--- want\n%s", path, got, want)
	}
}

// TestEncodeGolden prints a typical event: properties in a stable order,
// folded lines, CRLF.
func TestEncodeGolden(t *testing.T) {
	data, err := os.ReadFile("testdata/event.ics")
	if err != nil {
		t.Fatal(err)
	}
	c, err := Parse(data)
	if err != nil {
		t.Fatal(err)
	}
	out, err := Marshal(c.Component)
	if err != nil {
		t.Fatal(err)
	}
	golden(t, "testdata/event.golden.ics", out)
	checkLines(t, out)
	again, err := Marshal(mustParse(t, out).Component)
	if err != nil || string(again) != string(out) {
		t.Errorf("printing is not stable: %v", err)
	}
}

// checkLines verifies RFC 5545 §3.1: CRLF, at most 75 octets a line, and
// no fold inside a UTF-8 sequence.
func checkLines(t *testing.T, out []byte) {
	t.Helper()
	if !strings.HasSuffix(string(out), "\r\n") {
		t.Error("no final CRLF")
	}
	for _, l := range strings.Split(strings.TrimSuffix(string(out), "\r\n"), "\r\n") {
		if len(l) > 75 {
			t.Errorf("line of %d octets: %q", len(l), l)
		}
		if strings.ContainsAny(l, "\r\n") {
			t.Errorf("bare CR or LF in %q", l)
		}
		if !utf8.ValidString(l) {
			t.Errorf("a fold split a UTF-8 sequence: %q", l)
		}
	}
}

func mustParse(t *testing.T, data []byte) *Calendar {
	t.Helper()
	c, err := Parse(data)
	if err != nil {
		t.Fatalf("%v\n%s", err, data)
	}
	return c
}

// TestFold writes values of every length made of 1- to 4-octet runes and
// checks the folding and that parsing restores them.
func TestFold(t *testing.T) {
	runes := []rune{'a', 'é', '€', '𝄞', ' ', ','}
	rng := rand.New(rand.NewPCG(1, 2))
	for n := 0; n < 400; n++ {
		var b strings.Builder
		for i := 0; i < n; i++ {
			b.WriteRune(runes[rng.IntN(len(runes))])
		}
		value := b.String()
		c := ical.NewComponent(ical.CompCalendar)
		ev := ical.NewComponent(ical.CompEvent)
		ev.Props.Set(&ical.Prop{Name: "SUMMARY", Params: ical.Params{}, Value: value})
		c.Children = append(c.Children, ev)
		out, err := Marshal(c)
		if err != nil {
			t.Fatal(err)
		}
		checkLines(t, out)
		if got := mustParse(t, out).Components()[0].Props.Get("SUMMARY").Value; got != value {
			t.Fatalf("length %d: got %q, want %q", n, got, value)
		}
	}
}

func TestEncodeOrder(t *testing.T) {
	c := ical.NewComponent(ical.CompCalendar)
	c.Props.SetText("PRODID", "x")
	c.Props.SetText("VERSION", "2.0")
	ev := ical.NewComponent(ical.CompEvent)
	for _, name := range []string{"X-B", "X-A", "SUMMARY", "COMMENT", "DTSTART", "DTSTAMP", "UID", "ATTENDEE"} {
		ev.Props.Add(&ical.Prop{Name: name, Params: ical.Params{}, Value: "v"})
	}
	ev.Props.Add(&ical.Prop{Name: "ATTENDEE", Params: ical.Params{"TZID": {"z"}, "CN": {"a;b"}, "VALUE": {"x"}}, Value: "w"})
	c.Children = append(c.Children, ev)
	out, err := Marshal(c)
	if err != nil {
		t.Fatal(err)
	}
	want := "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:x\r\nBEGIN:VEVENT\r\nUID:v\r\nDTSTAMP:v\r\nDTSTART:v\r\nSUMMARY:v\r\n" +
		"ATTENDEE:v\r\nATTENDEE;VALUE=x;TZID=z;CN=\"a;b\":w\r\nCOMMENT:v\r\nX-A:v\r\nX-B:v\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n"
	if string(out) != want {
		t.Errorf("got\n%s\nwant\n%s", out, want)
	}
}

func TestEncodeRejectsLineBreak(t *testing.T) {
	c := ical.NewComponent(ical.CompCalendar)
	c.Props.Set(&ical.Prop{Name: "X-A", Params: ical.Params{}, Value: "a\nb"})
	if _, err := Marshal(c); err == nil {
		t.Error("a raw line break was printed")
	}
}

// roundTrip reports whether printing c and parsing it again gives the same
// components.
func roundTrip(t *testing.T, c *Calendar) {
	t.Helper()
	out, err := Marshal(c.Component)
	if err != nil {
		t.Fatal(err)
	}
	again, err := Parse(out)
	if err != nil {
		t.Fatalf("printed data does not parse: %v\n%s", err, out)
	}
	if !reflect.DeepEqual(again.Component, c.Component) {
		t.Fatalf("components differ after printing:\n%s", out)
	}
}
