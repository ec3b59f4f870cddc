package scheduling

import (
	"strings"
	"testing"
	"time"

	"github.com/almanac/almanac/icalendar"
)

// The window of a free-busy request: UTC as RFC 5546 §3.3.2 has it, and
// what clients send instead read as they mean it.
func TestFreeBusyRange(t *testing.T) {
	ny, err := time.LoadLocation("America/New_York")
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name, props string
		from, to    string // RFC 3339, UTC; empty: refused
	}{
		{"UTC", "DTSTART:20270101T000000Z\r\nDTEND:20270102T000000Z", "2027-01-01T00:00:00Z", "2027-01-02T00:00:00Z"},
		{"DURATION", "DTSTART:20270101T000000Z\r\nDURATION:P1D", "2027-01-01T00:00:00Z", "2027-01-02T00:00:00Z"},
		{"floating, in the asker's zone", "DTSTART:20270101T000000\r\nDTEND:20270102T000000", "2027-01-01T05:00:00Z", "2027-01-02T05:00:00Z"},
		{"floating with DURATION", "DTSTART:20270101T000000\r\nDURATION:P1D", "2027-01-01T05:00:00Z", "2027-01-02T05:00:00Z"},
		{"all day", "DTSTART;VALUE=DATE:20270101\r\nDTEND;VALUE=DATE:20270102", "2027-01-01T05:00:00Z", "2027-01-02T05:00:00Z"},
		{"no end", "DTSTART:20270101T000000Z", "", ""},
		{"backwards", "DTSTART:20270102T000000Z\r\nDTEND:20270101T000000Z", "", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			data := "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:x\r\nMETHOD:REQUEST\r\nBEGIN:VFREEBUSY\r\nUID:fb\r\nDTSTAMP:20260101T000000Z\r\n" +
				tc.props + "\r\nEND:VFREEBUSY\r\nEND:VCALENDAR\r\n"
			cal, err := icalendar.Parse([]byte(data))
			if err != nil {
				t.Fatal(err)
			}
			from, to, err := freeBusyRange(cal.Components()[0], ny)
			if tc.from == "" {
				if err == nil {
					t.Errorf("accepted: %s – %s", from, to)
				}
				return
			}
			got := from.Format(time.RFC3339) + " " + to.Format(time.RFC3339)
			if err != nil || got != strings.Join([]string{tc.from, tc.to}, " ") {
				t.Errorf("%s (%v), want %s – %s", got, err, tc.from, tc.to)
			}
		})
	}
}
