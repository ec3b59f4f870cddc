package alarm

import (
	"strings"
	"testing"
	"time"

	"github.com/almanac/almanac/icalendar"
	"github.com/almanac/almanac/recurrence"
)

// FuzzAlarms feeds arbitrary VALARM bodies through Parse, Next and Edit:
// bad alarms must come back as errors, never panics.
func FuzzAlarms(f *testing.F) {
	for _, seed := range []string{
		"ACTION:DISPLAY\nTRIGGER:-PT15M",
		"ACTION:EMAIL\nTRIGGER;RELATED=END:PT5M\nREPEAT:3\nDURATION:PT1M",
		"ACTION:AUDIO\nTRIGGER;VALUE=DATE-TIME:20260601T110000Z\nACKNOWLEDGED:20260601T110500Z",
		"ACTION:DISPLAY\nTRIGGER:P\nREPEAT:x\nDURATION:-PT1M",
		"UID:a\nACTION:DISPLAY\nTRIGGER:-P99999W\nRELATED-TO;RELTYPE=SNOOZE:b",
	} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, valarm string) {
		data := "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:x\r\nBEGIN:VEVENT\r\nUID:f\r\nDTSTAMP:20260101T000000Z\r\n" +
			"DTSTART:20260601T120000Z\r\nRRULE:FREQ=DAILY\r\nBEGIN:VALARM\r\n" + strings.ReplaceAll(valarm, "\n", "\r\n") +
			"\r\nEND:VALARM\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n"
		obj, err := icalendar.ParseObject([]byte(data), icalendar.Options{})
		if err != nil {
			return
		}
		series, err := recurrence.NewSeries(obj, recurrence.Options{})
		if err != nil {
			return
		}
		list, err := Parse(obj)
		if err != nil {
			return
		}
		for i := range list {
			_, _, _ = Next(&list[i], obj, series, ZonesOf(obj, time.UTC), time.Date(2026, 5, 1, 0, 0, 0, 0, time.UTC))
		}
		if e, err := NewEdit([]byte(data)); err == nil && len(list) > 0 {
			_ = e.Acknowledge(list[0].UID, time.Now())
			_, _ = e.Bytes()
		}
	})
}
