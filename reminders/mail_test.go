package reminders

import (
	"bytes"
	"encoding/json"
	"net/mail"
	"strings"
	"testing"
	"time"

	"github.com/almanac/almanac/mailer"
	"github.com/almanac/almanac/store"
)

// A reminder's e-mail says it was sent by a program (RFC 3834 §5) and
// names the server's domain in its Message-ID (RFC 5322 §3.6.4), the same
// one for a repeated delivery.
func TestReminderMailHeaders(t *testing.T) {
	s := &Service{opt: Options{MailFrom: "calendar@Cal.Example.com"}}
	d := &store.DueAlarm{UserEmail: "ann@example.org", UserTimeZone: "Europe/Paris"}
	r := &Reminder{Summary: "Standup", TriggerAt: time.Date(2026, 3, 2, 8, 50, 0, 0, time.UTC)}
	read := func() *mail.Message {
		var m mailer.Message
		if err := json.Unmarshal(s.mail(d, r, "rem-1"), &m); err != nil {
			t.Fatal(err)
		}
		msg, err := mail.ReadMessage(bytes.NewReader(m.Data))
		if err != nil {
			t.Fatal(err)
		}
		return msg
	}
	h := read().Header
	if got := h.Get("Auto-Submitted"); got != "auto-generated" {
		t.Errorf("Auto-Submitted %q", got)
	}
	id := h.Get("Message-ID")
	if !strings.HasPrefix(id, "<") || !strings.HasSuffix(id, "@cal.example.com>") {
		t.Errorf("Message-ID %q, want <…@cal.example.com>", id)
	}
	if again := read().Header.Get("Message-ID"); again != id {
		t.Errorf("a repeated delivery has Message-ID %q, the first %q", again, id)
	}
}
