package alarm

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/almanac/almanac/icalendar"
	"github.com/almanac/almanac/recurrence"
)

func parse(t *testing.T, body string) (*icalendar.Object, *recurrence.Series, []Alarm) {
	t.Helper()
	data := "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//test//EN\r\n" + strings.ReplaceAll(strings.TrimSpace(body), "\n", "\r\n") + "\r\nEND:VCALENDAR\r\n"
	obj, err := icalendar.ParseObject([]byte(data), icalendar.Options{})
	if err != nil {
		t.Fatal(err)
	}
	series, err := recurrence.NewSeries(obj, recurrence.Options{})
	if err != nil {
		t.Fatal(err)
	}
	list, err := Parse(obj)
	if err != nil {
		t.Fatal(err)
	}
	return obj, series, list
}

// fires lists the triggers of a from after, n of them.
func fires(t *testing.T, obj *icalendar.Object, s *recurrence.Series, a *Alarm, after time.Time, n int) []Fire {
	t.Helper()
	var out []Fire
	z := ZonesOf(obj, time.UTC)
	for range n {
		f, _, err := Next(a, obj, s, z, after)
		if errors.Is(err, ErrNoMore) {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, f)
		after = f.At
	}
	return out
}

// A daily 09:00 meeting in Berlin with a reminder 15 minutes before and one
// a day before fires at 08:45 and 09:00 local time on both sides of the
// change to summer time (2026-03-29).
func TestDailyAcrossDST(t *testing.T) {
	obj, s, list := parse(t, `
BEGIN:VEVENT
UID:dst@test
DTSTAMP:20260101T000000Z
DTSTART;TZID=Europe/Berlin:20260327T090000
DURATION:PT1H
RRULE:FREQ=DAILY
SUMMARY:Stand-up
BEGIN:VALARM
ACTION:DISPLAY
DESCRIPTION:soon
TRIGGER:-PT15M
END:VALARM
BEGIN:VALARM
ACTION:EMAIL
SUMMARY:tomorrow
DESCRIPTION:tomorrow
ATTENDEE:mailto:a@example.com
TRIGGER:-P1D
END:VALARM
END:VEVENT`)
	if len(list) != 2 || !list[0].Recurring {
		t.Fatalf("alarms: %+v", list)
	}
	berlin, _ := time.LoadLocation("Europe/Berlin")
	got := fires(t, obj, s, &list[0], time.Date(2026, 3, 27, 0, 0, 0, 0, time.UTC), 4)
	for i, f := range got {
		l := f.At.In(berlin)
		if l.Hour() != 8 || l.Minute() != 45 || l.Day() != 27+i {
			t.Errorf("fire %d at %s, want 08:45 local on the %d", i, l, 27+i)
		}
	}
	if len(got) != 4 {
		t.Fatalf("got %d fires", len(got))
	}
	got = fires(t, obj, s, &list[1], time.Date(2026, 3, 26, 0, 0, 0, 0, time.UTC), 3)
	for i, f := range got {
		l := f.At.In(berlin)
		if l.Hour() != 9 || l.Day() != 26+i {
			t.Errorf("day-before fire %d at %s, want 09:00 local", i, l)
		}
	}
}

func TestRepeatAbsoluteAndAck(t *testing.T) {
	obj, s, list := parse(t, `
BEGIN:VEVENT
UID:r@test
DTSTAMP:20260101T000000Z
DTSTART:20260601T120000Z
DTEND:20260601T130000Z
BEGIN:VALARM
UID:end
ACTION:DISPLAY
DESCRIPTION:x
TRIGGER;RELATED=END:PT5M
REPEAT:2
DURATION:PT10M
END:VALARM
BEGIN:VALARM
UID:abs
ACTION:DISPLAY
DESCRIPTION:x
TRIGGER;VALUE=DATE-TIME:20260531T080000Z
ACKNOWLEDGED:20260531T080100Z
END:VALARM
END:VEVENT`)
	got := fires(t, obj, s, &list[0], time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC), 5)
	want := []string{"13:05", "13:15", "13:25"}
	if len(got) != len(want) {
		t.Fatalf("fires %v", got)
	}
	for i, f := range got {
		if f.At.Format("15:04") != want[i] || f.Repeat != i {
			t.Errorf("fire %d: %s repeat %d", i, f.At, f.Repeat)
		}
	}
	if got := fires(t, obj, s, &list[1], time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC), 2); len(got) != 0 {
		t.Errorf("acknowledged alarm fires: %v", got)
	}
}

// Overridden instances use their own alarms, and the master's alarms skip
// them; cancelled instances have none.
func TestOverrideAlarms(t *testing.T) {
	obj, s, list := parse(t, `
BEGIN:VEVENT
UID:o@test
DTSTAMP:20260101T000000Z
DTSTART:20260601T120000Z
DURATION:PT1H
RRULE:FREQ=DAILY;COUNT=3
BEGIN:VALARM
ACTION:DISPLAY
DESCRIPTION:x
TRIGGER:-PT10M
END:VALARM
END:VEVENT
BEGIN:VEVENT
UID:o@test
DTSTAMP:20260101T000000Z
RECURRENCE-ID:20260602T120000Z
DTSTART:20260602T150000Z
DURATION:PT1H
BEGIN:VALARM
ACTION:DISPLAY
DESCRIPTION:x
TRIGGER:-PT30M
END:VALARM
END:VEVENT
BEGIN:VEVENT
UID:o@test
DTSTAMP:20260101T000000Z
RECURRENCE-ID:20260603T120000Z
DTSTART:20260603T120000Z
DURATION:PT1H
STATUS:CANCELLED
BEGIN:VALARM
ACTION:DISPLAY
DESCRIPTION:x
TRIGGER:-PT5M
END:VALARM
END:VEVENT`)
	from := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	got := fires(t, obj, s, &list[0], from, 5)
	if len(got) != 1 || got[0].At.Format("0102 1504") != "0601 1150" {
		t.Errorf("master fires %v (the 2nd is overridden, the 3rd cancelled)", got)
	}
	got = fires(t, obj, s, &list[1], from, 5)
	if len(got) != 1 || got[0].At.Format("0102 1504") != "0602 1430" {
		t.Errorf("override fires %v", got)
	}
	if got := fires(t, obj, s, &list[2], from, 5); len(got) != 0 {
		t.Errorf("cancelled instance fires %v", got)
	}
}

func TestBadAlarms(t *testing.T) {
	for name, valarm := range map[string]string{
		"trigger":  "TRIGGER:soon",
		"abs":      "TRIGGER;VALUE=DATE-TIME:20260101T000000",
		"repeat":   "TRIGGER:-PT5M\nREPEAT:100000\nDURATION:PT1M",
		"half":     "TRIGGER:-PT5M\nREPEAT:2",
		"zero":     "TRIGGER:-PT5M\nREPEAT:2\nDURATION:PT0S",
		"related":  "TRIGGER;RELATED=MIDDLE:-PT5M",
		"ack":      "TRIGGER:-PT5M\nACKNOWLEDGED:yesterday",
		"negative": "TRIGGER:-PT5M\nREPEAT:-1\nDURATION:PT1M",
	} {
		data := "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:x\r\nBEGIN:VEVENT\r\nUID:b\r\nDTSTAMP:20260101T000000Z\r\nDTSTART:20260601T120000Z\r\nBEGIN:VALARM\r\nACTION:DISPLAY\r\nDESCRIPTION:x\r\n" +
			strings.ReplaceAll(valarm, "\n", "\r\n") + "\r\nEND:VALARM\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n"
		obj, err := icalendar.ParseObject([]byte(data), icalendar.Options{})
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		var ae *Error
		if _, err := Parse(obj); !errors.As(err, &ae) {
			t.Errorf("%s: err = %v, want *Error", name, err)
		}
	}
}

func TestEdit(t *testing.T) {
	data := "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:x\r\nBEGIN:VEVENT\r\nUID:e\r\nDTSTAMP:20260101T000000Z\r\nDTSTART:20260601T120000Z\r\nSUMMARY:Lunch\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n"
	e, err := NewEdit([]byte(data))
	if err != nil {
		t.Fatal(err)
	}
	if err := e.Add(Spec{UID: "a1", Action: Email, MinutesBefore: 30}); err != nil {
		t.Fatal(err)
	}
	now := time.Date(2026, 6, 1, 11, 31, 0, 0, time.UTC)
	if err := e.Snooze("a1", "s1", now, now.Add(5*time.Minute)); err != nil {
		t.Fatal(err)
	}
	out, _ := e.Bytes()
	obj, err := icalendar.ParseObject(out, icalendar.Options{})
	if err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	list, err := Parse(obj)
	if err != nil || len(list) != 2 {
		t.Fatalf("%v %+v", err, list)
	}
	if m, ok := list[0].MinutesBefore(); !ok || m != 30 || list[0].Action != Email || !list[0].Acknowledged.Equal(now) {
		t.Errorf("alarm %+v", list[0])
	}
	if list[1].SnoozeOf != "a1" || !list[1].At.Equal(now.Add(5*time.Minute)) {
		t.Errorf("snooze %+v", list[1])
	}
	e, _ = NewEdit(out)
	if err := e.Remove("a1"); err != nil {
		t.Fatal(err)
	}
	out, _ = e.Bytes()
	if strings.Contains(string(out), "VALARM") {
		t.Errorf("alarm and snooze not removed:\n%s", out)
	}
	if err := e.Remove("a1"); !errors.Is(err, ErrNotFound) {
		t.Errorf("second remove: %v", err)
	}
}

// All-day and floating events are read in the reminder owner's zone: an
// all-day event on 1 June with a trigger 15 hours before reminds at 09:00
// on 31 May there.
func TestAllDayInOwnersZone(t *testing.T) {
	obj, s, list := parse(t, `
BEGIN:VEVENT
UID:ad@test
DTSTAMP:20260101T000000Z
DTSTART;VALUE=DATE:20260601
SUMMARY:Birthday
BEGIN:VALARM
ACTION:DISPLAY
DESCRIPTION:x
TRIGGER:-PT15H
END:VALARM
END:VEVENT`)
	tokyo, _ := time.LoadLocation("Asia/Tokyo")
	f, _, err := Next(&list[0], obj, s, ZonesOf(obj, tokyo), time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))
	if err != nil {
		t.Fatal(err)
	}
	if l := f.At.In(tokyo); l.Format("01-02 15:04") != "05-31 09:00" {
		t.Errorf("fires at %s in Tokyo", l)
	}
}

// A task's END-related trigger counts from its DUE.
func TestTaskDue(t *testing.T) {
	obj, s, list := parse(t, `
BEGIN:VTODO
UID:td@test
DTSTAMP:20260101T000000Z
DTSTART:20260601T080000Z
DUE:20260601T170000Z
SUMMARY:Report
BEGIN:VALARM
ACTION:DISPLAY
DESCRIPTION:x
TRIGGER;RELATED=END:-PT1H
END:VALARM
END:VTODO`)
	f, _, err := Next(&list[0], obj, s, ZonesOf(obj, time.UTC), time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))
	if err != nil || f.At.Format("15:04") != "16:00" {
		t.Errorf("fires at %s (%v), want 16:00", f.At, err)
	}
}

// Thunderbird's X-MOZ-LASTACK acknowledges, and X-MOZ-SNOOZE-TIME snoozes.
func TestMozillaDismissAndSnooze(t *testing.T) {
	obj, s, list := parse(t, `
BEGIN:VEVENT
UID:moz@test
DTSTAMP:20260101T000000Z
DTSTART:20260601T120000Z
DURATION:PT1H
X-MOZ-LASTACK:20260601T114600Z
X-MOZ-SNOOZE-TIME:20260601T115500Z
BEGIN:VALARM
ACTION:DISPLAY
DESCRIPTION:x
TRIGGER:-PT15M
END:VALARM
END:VEVENT`)
	if len(list) != 2 {
		t.Fatalf("alarms %+v", list)
	}
	from := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	if got := fires(t, obj, s, &list[0], from, 3); len(got) != 0 {
		t.Errorf("acknowledged alarm fires %v", got)
	}
	if got := fires(t, obj, s, &list[1], from, 3); len(got) != 1 || got[0].At.Format("15:04") != "11:55" {
		t.Errorf("snooze fires %v", got)
	}
}

// Dismissing an alert (ACKNOWLEDGED, RFC 9074 §6) once it has begun ends
// its repetitions (REPEAT, RFC 5545 §3.8.6.2); the next instance's alert,
// and a snooze set when dismissing, go out in full.
func TestDismissEndsRepeats(t *testing.T) {
	const event = `
BEGIN:VEVENT
UID:dismiss@test
DTSTAMP:20260101T000000Z
DTSTART:20260601T120000Z
DURATION:PT1H
%s
BEGIN:VALARM
UID:a
ACTION:DISPLAY
DESCRIPTION:x
TRIGGER:-PT15M
REPEAT:3
DURATION:PT5M
%s
END:VALARM
END:VEVENT`
	from := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		name, rrule, ack string
		want             []string
	}{
		{"not dismissed", "", "", []string{"06-01 11:45", "06-01 11:50", "06-01 11:55", "06-01 12:00"}},
		{"dismissed before the alert", "", "ACKNOWLEDGED:20260601T114400Z", []string{"06-01 11:45", "06-01 11:50", "06-01 11:55", "06-01 12:00"}},
		{"dismissed as it sounds", "", "ACKNOWLEDGED:20260601T114500Z", nil},
		{"dismissed between repeats", "", "ACKNOWLEDGED:20260601T114630Z", nil},
		{"dismissed after the last repeat", "", "ACKNOWLEDGED:20260601T120100Z", nil},
		{"the next instance's alert", "RRULE:FREQ=DAILY;COUNT=2", "ACKNOWLEDGED:20260601T114630Z",
			[]string{"06-02 11:45", "06-02 11:50", "06-02 11:55", "06-02 12:00"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			obj, s, list := parse(t, fmt.Sprintf(event, tc.rrule, tc.ack))
			var got []string
			for _, f := range fires(t, obj, s, &list[0], from, 10) {
				got = append(got, f.At.Format("01-02 15:04"))
			}
			if !slices.Equal(got, tc.want) {
				t.Errorf("fires %v, want %v", got, tc.want)
			}
		})
	}
}

// A snooze (RFC 9074 §5) dismisses the alert, repeats and all, and sounds
// once at its own time; dismissing the original later ends the snooze too.
func TestSnoozeAfterRepeatingAlert(t *testing.T) {
	data := "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//test//EN\r\nBEGIN:VEVENT\r\nUID:snooze@test\r\nDTSTAMP:20260101T000000Z\r\n" +
		"DTSTART:20260601T120000Z\r\nDURATION:PT1H\r\nBEGIN:VALARM\r\nUID:a\r\nACTION:DISPLAY\r\nDESCRIPTION:x\r\nTRIGGER:-PT15M\r\n" +
		"REPEAT:3\r\nDURATION:PT5M\r\nEND:VALARM\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n"
	edit := func(data string, fn func(*Edit) error) string {
		e, err := NewEdit([]byte(data))
		if err != nil {
			t.Fatal(err)
		}
		if err := fn(e); err != nil {
			t.Fatal(err)
		}
		b, err := e.Bytes()
		if err != nil {
			t.Fatal(err)
		}
		return string(b)
	}
	at := func(h, m int) time.Time { return time.Date(2026, 6, 1, h, m, 0, 0, time.UTC) }
	snoozed := edit(data, func(e *Edit) error { return e.Snooze("a", "s", at(11, 46), at(11, 56)) })
	body := strings.TrimSuffix(strings.TrimPrefix(snoozed, "BEGIN:VCALENDAR\r\n"), "END:VCALENDAR\r\n")
	obj, s, list := parse(t, strings.ReplaceAll(body[strings.Index(body, "BEGIN:VEVENT"):], "\r\n", "\n"))
	from := at(11, 46)
	if got := fires(t, obj, s, &list[0], from, 5); len(got) != 0 {
		t.Errorf("the snoozed alert repeats: %v", got)
	}
	if got := fires(t, obj, s, &list[1], from, 5); len(got) != 1 || !got[0].At.Equal(at(11, 56)) {
		t.Errorf("the snooze fires %v, want once at 11:56", got)
	}
	dismissed := edit(snoozed, func(e *Edit) error { return e.Acknowledge("a", at(11, 57)) })
	body = strings.TrimSuffix(dismissed, "END:VCALENDAR\r\n")
	obj, s, list = parse(t, strings.ReplaceAll(body[strings.Index(body, "BEGIN:VEVENT"):], "\r\n", "\n"))
	if got := fires(t, obj, s, &list[1], from, 5); len(got) != 0 {
		t.Errorf("the dismissed snooze fires %v", got)
	}
}
