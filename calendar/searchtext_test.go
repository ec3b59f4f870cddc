package calendar

import (
	"slices"
	"testing"

	"github.com/almanac/almanac/icalendar"
)

func TestSearchText(t *testing.T) {
	data := "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//test//EN\r\nBEGIN:VEVENT\r\nUID:1\r\nDTSTAMP:20260101T000000Z\r\n" +
		"DTSTART:20260105T100000Z\r\nRRULE:FREQ=DAILY\r\nSUMMARY:Café Planning\\, Q3\r\nLOCATION:Room 4b\r\nDESCRIPTION:Bring the Ünïcode notes\r\n" +
		"ORGANIZER;CN=Alice Liddell:mailto:alice@example.com\r\nATTENDEE;CN=\"Bob O'Neil\":MAILTO:Bob@Example.com\r\nEND:VEVENT\r\n" +
		"BEGIN:VEVENT\r\nUID:1\r\nDTSTAMP:20260101T000000Z\r\nRECURRENCE-ID:20260106T100000Z\r\nDTSTART:20260106T120000Z\r\n" +
		"SUMMARY:Café Planning\\, Q3\r\nLOCATION:Garden\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n"
	obj, err := icalendar.ParseObject([]byte(data), icalendar.Options{})
	if err != nil {
		t.Fatal(err)
	}
	want := "cafe planning q3 room 4b bring the unicode notes alice liddell alice example com bob o neil bob example com garden"
	if got := SearchText(obj); got != want {
		t.Errorf("SearchText:\n%q\nwant\n%q", got, want)
	}
}

func TestSearchWords(t *testing.T) {
	for q, want := range map[string][]string{
		"  Café, planning!! ":  {"cafe", "planning"},
		"bob@example.com":      {"bob", "example", "com"},
		"a a b":                {"a", "b"},
		"— ... ":               nil,
		"1 2 3 4 5 6 7 8 9 10": {"1", "2", "3", "4", "5", "6", "7", "8"},
		"ÉCOLE Straße":         {"ecole", "straße"},
		"東京 meeting":           {"東京", "meeting"},
	} {
		if got := SearchWords(q); !slices.Equal(got, want) {
			t.Errorf("SearchWords(%q) = %q, want %q", q, got, want)
		}
	}
}
