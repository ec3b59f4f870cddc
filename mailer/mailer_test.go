package mailer

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"errors"
	"io"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/almanac/almanac/outbox"
	"github.com/almanac/almanac/store"
	"github.com/emersion/go-smtp"
)

// sink is an SMTP server that keeps what it receives and rejects
// recipients by their local part: "bounce" (550) and "busy" (421).
type sink struct {
	mu    sync.Mutex
	msgs  []string
	rcpt  []string
	helos []string
}

func (s *sink) NewSession(c *smtp.Conn) (smtp.Session, error) {
	s.mu.Lock()
	s.helos = append(s.helos, c.Hostname())
	s.mu.Unlock()
	return &session{s: s}, nil
}

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
	return startSinkTLS(t, nil)
}

// startSinkTLS starts a sink that offers STARTTLS with cfg when it is
// not nil.
func startSinkTLS(t *testing.T, cfg *tls.Config) (*sink, int) {
	t.Helper()
	s := &sink{}
	srv := smtp.NewServer(s)
	srv.Domain = "localhost"
	srv.TLSConfig = cfg
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

// selfSigned is a certificate for 127.0.0.1 that the test trusts by
// skipping verification.
func selfSigned(t *testing.T) *tls.Config {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "relay"},
		IPAddresses: []net.IP{net.IPv4(127, 0, 0, 1)},
		NotBefore:   time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour)}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	return &tls.Config{Certificates: []tls.Certificate{{Certificate: [][]byte{der}, PrivateKey: key}}}
}

// The relay is greeted with the server's name, not "localhost", before
// and after STARTTLS (RFC 5321 §4.1.1.1, RFC 3207 §4.2), in deliveries
// and in the configuration check.
func TestHeloName(t *testing.T) {
	for _, tc := range []struct {
		security string
		tls      *tls.Config
		want     []string
	}{
		{"none", nil, []string{"cal.example.com"}},
		{"starttls", selfSigned(t), []string{"cal.example.com"}},
	} {
		t.Run(tc.security, func(t *testing.T) {
			sk, port := startSinkTLS(t, tc.tls)
			s, err := New(Config{Host: "127.0.0.1", Port: port, Security: tc.security, HeloName: "cal.example.com", InsecureSkipVerify: true})
			if err != nil {
				t.Fatal(err)
			}
			msg := Message{From: "almanac@example.com", To: []string{"ann@example.org"}, Data: []byte("Subject: hi\r\n\r\nhello\r\n")}
			if err := s.Deliver(context.Background(), outboxMsg("k1", msg)); err != nil {
				t.Fatal(err)
			}
			if _, err := s.Check(context.Background()); err != nil {
				t.Fatal(err)
			}
			sk.mu.Lock()
			defer sk.mu.Unlock()
			if len(sk.msgs) != 1 {
				t.Fatalf("sink got %d messages", len(sk.msgs))
			}
			for _, h := range sk.helos {
				if h != "cal.example.com" {
					t.Errorf("EHLO %q, want cal.example.com (all: %q)", h, sk.helos)
				}
			}
		})
	}
	// A relay without STARTTLS is refused rather than sent to in clear text.
	_, port := startSink(t)
	s, _ := New(Config{Host: "127.0.0.1", Port: port, Security: "starttls", HeloName: "cal.example.com"})
	msg := Message{From: "almanac@example.com", To: []string{"ann@example.org"}, Data: []byte("x\r\n")}
	if err := s.Deliver(context.Background(), outboxMsg("k1", msg)); err == nil || !strings.Contains(err.Error(), "STARTTLS") {
		t.Fatalf("relay without STARTTLS: %v", err)
	}
}
