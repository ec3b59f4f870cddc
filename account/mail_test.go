package account

import (
	"bytes"
	"net/mail"
	"strings"
	"testing"
	"time"

	"github.com/almanac/almanac/store"
)

// The verification mail says it was sent by a program (RFC 3834 §5) and
// names the server's domain in its Message-ID (RFC 5322 §3.6.4).
func TestVerificationMailHeaders(t *testing.T) {
	s := &Service{opt: Options{Mail: MailOptions{From: "calendar@cal.example.com", PublicURL: "https://cal.example.com"}},
		now: func() time.Time { return time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC) }}
	m, err := s.verificationMail(&store.User{Name: "ann"}, "ann@example.org", "token")
	if err != nil {
		t.Fatal(err)
	}
	msg, err := mail.ReadMessage(bytes.NewReader(m.Data))
	if err != nil {
		t.Fatal(err)
	}
	if got := msg.Header.Get("Auto-Submitted"); got != "auto-generated" {
		t.Errorf("Auto-Submitted %q", got)
	}
	if id := msg.Header.Get("Message-ID"); !strings.HasPrefix(id, "<verify-") || !strings.HasSuffix(id, "@cal.example.com>") {
		t.Errorf("Message-ID %q, want <verify-…@cal.example.com>", id)
	}
}
