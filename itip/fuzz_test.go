package itip

import (
	"bytes"
	"os"
	"testing"

	"github.com/almanac/almanac/icalendar"
)

// FuzzParse: no input makes the iTIP parser panic, and what it accepts
// has a method, a UID and components.
func FuzzParse(f *testing.F) {
	for _, name := range []string{"request-bob.ics", "cancel-bob.ics", "reply-carol.ics", "request-dave.ics"} {
		if data, err := os.ReadFile("testdata/golden/" + name); err == nil {
			f.Add(data)
		}
	}
	f.Add([]byte("BEGIN:VCALENDAR\r\nMETHOD:REPLY\r\nBEGIN:VEVENT\r\nUID:x\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		m, err := Parse(data)
		if err != nil {
			return
		}
		if m.Method == "" || m.UID == "" || len(m.Components) == 0 {
			t.Fatalf("accepted an incomplete message: %+v", m)
		}
		_ = m.Attendee()
		_ = DetailsOf(m)
	})
}

// FuzzParseMail: no e-mail makes the iMIP reader panic.
func FuzzParseMail(f *testing.F) {
	if data, err := os.ReadFile("testdata/golden/request-bob.eml"); err == nil {
		f.Add(data)
	}
	f.Add([]byte("From: a@example.org\r\nContent-Type: text/calendar; method=REPLY\r\n\r\nBEGIN:VCALENDAR\r\nEND:VCALENDAR\r\n"))
	f.Add([]byte("From: a@example.org\r\nContent-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\nContent-Type: application/ics\r\n\r\nx\r\n--b--\r\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		in, err := ParseMail(bytes.NewReader(data))
		if err == nil && in.Message == nil {
			t.Fatal("no error and no message")
		}
	})
}

// FuzzApplyReply: whatever a reply says, applying it to an organizer's
// copy never panics and leaves a copy that is still a valid object.
func FuzzApplyReply(f *testing.F) {
	if data, err := os.ReadFile("testdata/golden/reply-carol.ics"); err == nil {
		f.Add(data)
	}
	f.Add([]byte("BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:x\r\nMETHOD:REPLY\r\nBEGIN:VEVENT\r\nUID:weekly-1@example.org\r\n" +
		"DTSTAMP:20260103T000000Z\r\nRECURRENCE-ID;VALUE=DATE:20260119\r\nORGANIZER:mailto:alice@example.org\r\n" +
		"ATTENDEE;PARTSTAT=DECLINED:mailto:bob@example.net\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n"))
	base, err := os.ReadFile("testdata/meeting.ics")
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		m, err := Parse(data)
		if err != nil || m.Method != Reply {
			return
		}
		obj, err := icalendar.ParseObject(base, icalendar.Options{})
		if err != nil {
			t.Fatal(err)
		}
		res, err := ApplyReply(obj, m, m.Attendee())
		if err != nil || !res.Changed {
			return
		}
		out, err := icalendar.Marshal(obj.Calendar.Component)
		if err != nil {
			t.Fatalf("marshal: %v", err)
		}
		if _, err := icalendar.ParseObject(out, icalendar.Options{}); err != nil {
			t.Fatalf("the organizer's copy became invalid: %v\n%s", err, out)
		}
	})
}
