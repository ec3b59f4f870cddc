package main

import (
	"io"
	"net"
	"net/textproto"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-smtp"
)

// headerSink is an SMTP server that keeps the EHLO name of each session
// and the header of each message.
type headerSink struct {
	linkBox
	mu      sync.Mutex
	helos   []string
	headers []textproto.MIMEHeader
	port    int
}

func (s *headerSink) NewSession(c *smtp.Conn) (smtp.Session, error) {
	s.mu.Lock()
	s.helos = append(s.helos, c.Hostname())
	s.mu.Unlock()
	return &headerSession{s: s}, nil
}

type headerSession struct{ s *headerSink }

func (x *headerSession) Mail(string, *smtp.MailOptions) error { return nil }
func (x *headerSession) Rcpt(string, *smtp.RcptOptions) error { return nil }
func (x *headerSession) Reset()                               {}
func (x *headerSession) Logout() error                        { return nil }
func (x *headerSession) Data(r io.Reader) error {
	h, err := x.s.read(r)
	if err != nil {
		return err
	}
	x.s.mu.Lock()
	x.s.headers = append(x.s.headers, h)
	x.s.mu.Unlock()
	return nil
}

func startHeaderSink(t *testing.T) *headerSink {
	t.Helper()
	s := &headerSink{}
	srv := smtp.NewServer(s)
	srv.Domain = "relay.test"
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go func() { _ = srv.Serve(ln) }()
	t.Cleanup(func() { _ = srv.Close() })
	s.port = ln.Addr().(*net.TCPAddr).Port
	return s
}

// TestServeMailHygiene runs the binary against a relay: it greets the
// relay with the host of --public-url (RFC 5321 §4.1.1.1), and its
// verification and reminder mail carry Auto-Submitted (RFC 3834 §5) and a
// Message-ID in the domain of --mail-from (RFC 5322 §3.6.4).
func TestServeMailHygiene(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the binary")
	}
	sink := startHeaderSink(t)
	bin := buildBinary(t)
	n := startNode(t, bin, []string{"ALMANAC_DATA_DIR=" + t.TempDir(), "ALMANAC_SMTP_HOST=127.0.0.1",
		"ALMANAC_SMTP_PORT=" + strconv.Itoa(sink.port), "ALMANAC_SMTP_SECURITY=none",
		"ALMANAC_MAIL_FROM=calendar@almanac.test", "ALMANAC_PUBLIC_URL=http://cal.almanac.test"})
	defer n.stop(t)

	cal := remindedCalendar(t, n, "hygiene", &sink.linkBox) // sends the verification mail
	// Triggers are whole seconds, and one already past when the event is
	// written never fires: leave the write time to spare.
	putReminded(t, n.url, cal, "hygiene", 1, time.Now().Truncate(time.Second).Add(3*time.Second), 0)
	byKind := func() (verify, reminder textproto.MIMEHeader) {
		sink.mu.Lock()
		defer sink.mu.Unlock()
		for _, h := range sink.headers {
			if h.Get("X-Almanac-Reminder") != "" {
				reminder = h
			} else {
				verify = h
			}
		}
		return verify, reminder
	}
	waitFor(t, 30*time.Second, "the verification and the reminder mail", func() bool {
		v, r := byKind()
		return v != nil && r != nil
	})
	v, r := byKind()
	for what, h := range map[string]textproto.MIMEHeader{"verification": v, "reminder": r} {
		if got := h.Get("Auto-Submitted"); got != "auto-generated" {
			t.Errorf("%s mail: Auto-Submitted %q", what, got)
		}
		if id := h.Get("Message-Id"); !strings.HasSuffix(id, "@almanac.test>") {
			t.Errorf("%s mail: Message-ID %q, want <…@almanac.test>", what, id)
		}
	}
	sink.mu.Lock()
	defer sink.mu.Unlock()
	if len(sink.helos) == 0 {
		t.Fatal("no EHLO seen")
	}
	for _, h := range sink.helos {
		if h != "cal.almanac.test" {
			t.Errorf("EHLO %q, want cal.almanac.test (all: %q)", h, sink.helos)
		}
	}
}
