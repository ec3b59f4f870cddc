package mailer

import (
	"context"
	"errors"
	"io"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/almanac/almanac/outbox"
	"github.com/almanac/almanac/store"
	"github.com/emersion/go-smtp"
)

// sink is an SMTP server that keeps what it receives and rejects
// recipients by their local part: "bounce" (550) and "busy" (421).
type sink struct {
	mu   sync.Mutex
	msgs []string
	rcpt []string
}

func (s *sink) NewSession(*smtp.Conn) (smtp.Session, error) { return &session{s: s}, nil }

type session struct{ s *sink }

func (x *session) Mail(string, *smtp.MailOptions) error { return nil }
func (x *session) Rcpt(to string, _ *smtp.RcptOptions) error {
	switch {
	case strings.HasPrefix(to, "bounce@"):
		return &smtp.SMTPError{Code: 550, EnhancedCode: smtp.EnhancedCode{5, 1, 1}, Message: "no such user"}
	case strings.HasPrefix(to, "busy@"):
		return &smtp.SMTPError{Code: 421, EnhancedCode: smtp.EnhancedCode{4, 4, 5}, Message: "try later"}
	}
	x.s.mu.Lock()
	x.s.rcpt = append(x.s.rcpt, to)
	x.s.mu.Unlock()
	return nil
}
func (x *session) Data(r io.Reader) error {
	b, _ := io.ReadAll(r)
	x.s.mu.Lock()
	x.s.msgs = append(x.s.msgs, string(b))
	x.s.mu.Unlock()
	return nil
}
func (x *session) Reset()        {}
func (x *session) Logout() error { return nil }

func startSink(t *testing.T) (*sink, int) {
	t.Helper()
	s := &sink{}
	srv := smtp.NewServer(s)
	srv.Domain = "localhost"
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go func() { _ = srv.Serve(ln) }()
	t.Cleanup(func() { _ = srv.Close() })
	return s, ln.Addr().(*net.TCPAddr).Port
}

func outboxMsg(key string, m Message) *store.OutboxMessage {
	return &store.OutboxMessage{Kind: Kind, IdempotencyKey: key, Payload: m.Payload()}
}

func TestSendThroughRelay(t *testing.T) {
	sk, port := startSink(t)
	s, err := New(Config{Host: "127.0.0.1", Port: port, Security: "none"})
	if err != nil {
		t.Fatal(err)
	}
	msg := Message{From: "almanac@example.com", To: []string{"ann@example.org"}, Data: []byte("Subject: hi\r\n\r\nhello\r\n")}
	if err := s.Deliver(context.Background(), outboxMsg("k1", msg)); err != nil {
		t.Fatal(err)
	}
	if len(sk.msgs) != 1 || !strings.Contains(sk.msgs[0], "hello") || sk.rcpt[0] != "ann@example.org" {
		t.Fatalf("sink got %v %v", sk.rcpt, sk.msgs)
	}
	var perm *outbox.PermanentError
	msg.To = []string{"bounce@example.org"}
	if err := s.Deliver(context.Background(), outboxMsg("k2", msg)); !errors.As(err, &perm) {
		t.Fatalf("550: %v, want a permanent error", err)
	}
	msg.To = []string{"busy@example.org"}
	if err := s.Deliver(context.Background(), outboxMsg("k3", msg)); err == nil || errors.As(err, &perm) {
		t.Fatalf("421: %v, want a temporary error", err)
	}
	if err := s.Deliver(context.Background(), &store.OutboxMessage{Kind: Kind, Payload: []byte("{")}); !errors.As(err, &perm) {
		t.Fatalf("malformed payload: %v", err)
	}
}

func TestDropDirectory(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "mail")
	s, err := New(Config{DropDir: dir})
	if err != nil {
		t.Fatal(err)
	}
	msg := Message{From: "a@example.com", To: []string{"b@example.com"}, Data: []byte("Subject: x\r\n\r\nbody\r\n")}
	for range 2 {
		if err := s.Deliver(context.Background(), outboxMsg("invite/1", msg)); err != nil {
			t.Fatal(err)
		}
	}
	files, _ := os.ReadDir(dir)
	if len(files) != 1 || files[0].Name() != "invite_1.eml" {
		t.Fatalf("drop directory: %v", files)
	}
}

func TestConfig(t *testing.T) {
	if _, err := New(Config{}); err == nil {
		t.Error("no host and no drop directory accepted")
	}
	if _, err := New(Config{Host: "x", Security: "ssl3"}); err == nil {
		t.Error("unknown security accepted")
	}
}
