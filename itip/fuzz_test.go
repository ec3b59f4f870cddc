package itip

import (
	"bytes"
	"os"
	"testing"
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
