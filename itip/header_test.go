package itip

import (
	"bytes"
	"mime"
	"net/mail"
	"strings"
	"testing"
	"time"

	gomail "github.com/emersion/go-message/mail"
)

// A display name or subject with a line break (a user's name, or an
// external organizer's CN with RFC 6868 ^n) comes out as one line of text.
func TestHeaderFieldsAreOneLine(t *testing.T) {
	evil := "Eve\r\nBcc: victim@example.com"
	m := &Mail{
		From:      &gomail.Address{Name: evil, Address: "calendar@example.com"},
		ReplyTo:   &gomail.Address{Name: evil, Address: "eve@example.com"},
		To:        []*gomail.Address{{Name: "Bob\n", Address: "bob@example.com"}},
		Subject:   "Invitation: " + evil,
		Date:      time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC),
		MessageID: "x@example.com",
		Method:    Request,
		Calendar:  []byte("BEGIN:VCALENDAR\r\nMETHOD:REQUEST\r\nEND:VCALENDAR\r\n"),
	}
	b, err := m.Bytes()
	if err != nil {
		t.Fatal(err)
	}
	msg, err := mail.ReadMessage(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	if len(msg.Header["Bcc"]) > 0 {
		t.Fatal("a Bcc header got in")
	}
	for _, f := range []string{"From", "Reply-To", "To", "Subject"} {
		v, err := new(mime.WordDecoder).DecodeHeader(msg.Header.Get(f))
		if err != nil {
			t.Fatal(err)
		}
		if strings.ContainsAny(v, "\r\n") {
			t.Errorf("%s: %q", f, v)
		}
	}
	if m.From.Name != evil {
		t.Error("Bytes changed the caller's address")
	}
}
