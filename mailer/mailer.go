// Package mailer sends e-mail for the outbox: through an SMTP relay when
// one is configured, otherwise into a drop directory of .eml files (for
// development and tests, so nothing is silently lost).
package mailer

import (
	"bytes"
	"context"
	"crypto/tls"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/textproto"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/almanac/almanac/outbox"
	"github.com/almanac/almanac/store"
	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"
)

// Kind is the outbox kind of e-mail messages.
const Kind = "email"

// Message is the payload of an e-mail outbox message: the envelope and the
// complete RFC 5322 message.
type Message struct {
	From string   `json:"from"`
	To   []string `json:"to"`
	Data []byte   `json:"data"`
}

// Payload encodes m for the outbox.
func (m *Message) Payload() []byte {
	b, _ := json.Marshal(m)
	return b
}

// Config says how to reach the SMTP relay.
type Config struct {
	Host     string // empty: write messages to DropDir instead
	Port     int
	Security string // "starttls" (default), "tls" or "none"
	Username string
	Password string
	DropDir  string
	Timeout  time.Duration
	// InsecureSkipVerify accepts any certificate (test relays only).
	InsecureSkipVerify bool
	// HeloName is the server's name in EHLO (RFC 5321 §4.1.1.1: the
	// client's fully-qualified domain name, or an address literal);
	// empty: "localhost".
	HeloName string
}

// Sender delivers e-mail outbox messages; it implements outbox.Handler.
type Sender struct{ cfg Config }

// New returns a sender; it checks the configuration.
func New(cfg Config) (*Sender, error) {
	if cfg.Host == "" && cfg.DropDir == "" {
		return nil, errors.New("mailer: set an SMTP host or a drop directory")
	}
	switch cfg.Security {
	case "":
		cfg.Security = "starttls"
	case "starttls", "tls", "none":
	default:
		return nil, fmt.Errorf("mailer: security %q: want starttls, tls or none", cfg.Security)
	}
	if cfg.Port == 0 {
		cfg.Port = 587
		if cfg.Security == "tls" {
			cfg.Port = 465
		}
	}
	if cfg.Timeout == 0 {
		cfg.Timeout = 30 * time.Second
	}
	return &Sender{cfg: cfg}, nil
}

// Deliver sends one message. SMTP 5xx replies are permanent failures; 4xx
// replies and network errors are retried by the outbox.
func (s *Sender) Deliver(ctx context.Context, om *store.OutboxMessage) error {
	var m Message
	if err := json.Unmarshal(om.Payload, &m); err != nil || m.From == "" || len(m.To) == 0 {
		return &outbox.PermanentError{Err: fmt.Errorf("malformed e-mail payload: %v", err)}
	}
	if s.cfg.Host == "" {
		return s.drop(om.IdempotencyKey, &m)
	}
	err := s.send(ctx, &m)
	var se *smtp.SMTPError
	if errors.As(err, &se) && se.Code >= 500 {
		return &outbox.PermanentError{Err: err}
	}
	return err
}

func (s *Sender) send(ctx context.Context, m *Message) error {
	c, err := s.dial(ctx)
	if err != nil {
		return err
	}
	defer c.Close()
	if s.cfg.Username != "" {
		if err := c.Auth(sasl.NewPlainClient("", s.cfg.Username, s.cfg.Password)); err != nil {
			return err
		}
	}
	if err := c.SendMail(m.From, m.To, bytes.NewReader(m.Data)); err != nil {
		return err
	}
	return c.Quit()
}

// dial connects to the relay and greets it as HeloName, in TLS from the
// start, after STARTTLS or in plain text as configured.
func (s *Sender) dial(ctx context.Context) (*smtp.Client, error) {
	addr := net.JoinHostPort(s.cfg.Host, strconv.Itoa(s.cfg.Port))
	tlsCfg := &tls.Config{ServerName: s.cfg.Host, InsecureSkipVerify: s.cfg.InsecureSkipVerify}
	d := net.Dialer{Timeout: s.cfg.Timeout}
	conn, err := d.DialContext(ctx, "tcp", addr)
	if err != nil {
		return nil, err
	}
	if dl, ok := ctx.Deadline(); ok {
		_ = conn.SetDeadline(dl)
	}
	name := s.cfg.HeloName
	if name == "" {
		name = "localhost"
	}
	var c *smtp.Client
	switch s.cfg.Security {
	case "tls":
		c = smtp.NewClient(tls.Client(conn, tlsCfg))
	case "starttls":
		var greeting string
		if greeting, err = startTLS(conn, name); err != nil {
			conn.Close()
			return nil, fmt.Errorf("STARTTLS: %w", err)
		}
		c = smtp.NewClient(&greeted{Conn: tls.Client(conn, tlsCfg), r: strings.NewReader(greeting)})
	default:
		c = smtp.NewClient(conn)
	}
	if err := c.Hello(name); err != nil {
		c.Close()
		return nil, err
	}
	return c, nil
}

// startTLS reads the relay's greeting, says EHLO as name and asks for
// STARTTLS (RFC 3207 §4); it returns the greeting. The SMTP client
// greets with its own name only when it opens the dialogue, so the
// plain-text part is spoken here.
func startTLS(conn net.Conn, name string) (string, error) {
	tp := textproto.NewConn(conn)
	_, greeting, err := tp.ReadResponse(220)
	if err != nil {
		return "", smtpError(err)
	}
	if err := tp.PrintfLine("EHLO %s", name); err != nil {
		return "", err
	}
	_, ext, err := tp.ReadResponse(250)
	if err != nil {
		return "", smtpError(err)
	}
	if !slices.ContainsFunc(strings.Split(ext, "\n")[1:], func(l string) bool {
		return strings.EqualFold(strings.TrimSpace(l), "STARTTLS")
	}) {
		return "", errors.New("the relay does not offer it")
	}
	if err := tp.PrintfLine("STARTTLS"); err != nil {
		return "", err
	}
	if _, _, err := tp.ReadResponse(220); err != nil {
		return "", smtpError(err)
	}
	return "220 " + strings.SplitN(greeting, "\n", 2)[0] + "\r\n", nil
}

// greeted is the TLS connection after STARTTLS, which starts with the
// relay's greeting again: RFC 3207 §4.2 has the dialogue start afresh
// with EHLO and no new greeting, but the SMTP client reads one first.
type greeted struct {
	net.Conn
	r io.Reader
}

func (g *greeted) Read(p []byte) (int, error) {
	if g.r != nil {
		n, err := g.r.Read(p)
		if err == io.EOF {
			g.r, err = nil, nil
		}
		if n > 0 || err != nil {
			return n, err
		}
	}
	return g.Conn.Read(p)
}

// smtpError gives a reply in the form Deliver tells permanent failures by.
func smtpError(err error) error {
	var te *textproto.Error
	if errors.As(err, &te) {
		return &smtp.SMTPError{Code: te.Code, Message: te.Msg}
	}
	return err
}

// drop writes the message to the drop directory under its idempotency key,
// so a repeated delivery overwrites instead of duplicating.
func (s *Sender) drop(key string, m *Message) error {
	if err := os.MkdirAll(s.cfg.DropDir, 0o700); err != nil {
		return err
	}
	name := strings.Map(func(r rune) rune {
		if r == '/' || r == '\\' || r == 0 {
			return '_'
		}
		return r
	}, key) + ".eml"
	var b bytes.Buffer
	fmt.Fprintf(&b, "X-Envelope-From: %s\r\nX-Envelope-To: %s\r\n", m.From, strings.Join(m.To, ", "))
	b.Write(m.Data)
	tmp := filepath.Join(s.cfg.DropDir, "."+name+".tmp")
	if err := os.WriteFile(tmp, b.Bytes(), 0o600); err != nil {
		return err
	}
	return os.Rename(tmp, filepath.Join(s.cfg.DropDir, name))
}
