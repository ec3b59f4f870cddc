package main

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/almanac/almanac/scheduling"
	"github.com/almanac/almanac/store"
	"github.com/emersion/go-smtp"
	"github.com/prometheus/client_golang/prometheus"
)

// maxMailAttempts is how often e-mail is tried before it is a dead letter
// and the organizer sees SCHEDULE-STATUS 5.1.
const maxMailAttempts = 8

// mailInConfig configures scheduling: the public URL and secret of RSVP
// links, and the SMTP and LMTP listeners that receive iMIP replies.
type mailInConfig struct {
	PublicURL  string
	RSVPSecret string
	Domains    string
	SMTPListen string
	LMTPListen string
	// Invitations is whose invitations go straight into the calendar of
	// a user who has not chosen: "known" or "everyone".
	Invitations string
	// DeliveryWait bounds how long a write waits for its deliveries to
	// users of this server (scheduling.Options.SettleWait).
	DeliveryWait time.Duration
}

func (c *mailInConfig) register(s *settings) {
	s.String(&c.PublicURL, "public-url", "", "base URL people reach the server at, for RSVP links in invitations and published calendars' links (default: http:// + --listen; published links: the request's host); its host is also the server's name in EHLO to the relay")
	s.String(&c.RSVPSecret, "rsvp-secret", "", "secret (hex, at least 32 bytes) that signs RSVP links; the same on every node (default: DATA_DIR/rsvp.key, made on first start)")
	s.String(&c.Domains, "mail-domains", "", "comma-separated mail domains of the server: the SMTP/LMTP listeners accept their calendar mail, and users' mail is sent from their own address in them (default: the domain of --mail-from)")
	s.String(&c.SMTPListen, "smtp-listen", "", "address to receive iMIP mail on by SMTP, e.g. 127.0.0.1:2525; empty: off")
	s.Duration(&c.DeliveryWait, "delivery-wait", time.Second, "how long a write that invites or answers users of this server waits for those deliveries before it answers, so that the client finds their copies at once (at most 32 recipients; 0: it does not wait)")
	s.String(&c.Invitations, "invitations-default", store.InvitationsKnown, "whose invitations go straight into the calendar of a user who has not chosen: known (people they have dealt with; others wait in their invitations inbox) or everyone")
	s.String(&c.LMTPListen, "lmtp-listen", "", "address to receive iMIP mail on by LMTP (host:port or unix:/path), e.g. from Postfix; empty: off")
}

// newScheduler configures implicit scheduling for a node.
func newScheduler(cfg serveConfig, st *store.Store, kick func(), reg prometheus.Registerer, log *slog.Logger) (*scheduling.Scheduler, error) {
	from := cfg.MailFrom
	if from == "" {
		host, _, err := net.SplitHostPort(cfg.Listen)
		if err != nil || host == "" {
			host = "localhost"
		}
		from = "calendar@" + host
	}
	public := cfg.Mail.PublicURL
	if public == "" {
		public = cfg.defaultPublicURL()
	}
	secret, err := rsvpSecret(cfg.Mail.RSVPSecret, cfg.storage.DataDir)
	if err != nil {
		return nil, err
	}
	return scheduling.New(st, scheduling.Options{MailFrom: from, SendAs: cfg.Mail.domains(from), PublicURL: public, Secret: secret,
		Kick: kick, Registerer: reg, Logger: log, InvitationsDefault: cfg.Mail.Invitations, SettleWait: cfg.Mail.DeliveryWait}), nil
}

// checkInvitations refuses an --invitations-default other than the two
// settings.
func (c *mailInConfig) checkInvitations() error {
	switch c.Invitations {
	case store.InvitationsKnown, store.InvitationsEveryone:
		return nil
	}
	return fmt.Errorf("--invitations-default %q: want known or everyone", c.Invitations)
}

// heloName is the name the server gives itself in EHLO to the relay
// (RFC 5321 §4.1.1.1: its fully-qualified domain name, else an address
// literal, §4.1.3): the host of --public-url, else the domain of
// --mail-from, else the host of --listen. Relays that check the name
// score "localhost" as spam.
func (c *serveConfig) heloName() string {
	if u, err := url.Parse(c.Mail.PublicURL); err == nil && u.Hostname() != "" && net.ParseIP(u.Hostname()) == nil {
		return u.Hostname()
	}
	if i := strings.LastIndexByte(c.MailFrom, '@'); i >= 0 && i < len(c.MailFrom)-1 {
		return strings.ToLower(c.MailFrom[i+1:])
	}
	host, _, err := net.SplitHostPort(c.Listen)
	switch ip := net.ParseIP(host); {
	case err != nil || host == "" || ip != nil && ip.IsUnspecified():
		return "localhost"
	case ip == nil:
		return host
	case ip.To4() != nil:
		return "[" + ip.String() + "]"
	default:
		return "[IPv6:" + ip.String() + "]"
	}
}

// domains are the configured mail domains, or the domain of mailFrom.
func (c *mailInConfig) domains(mailFrom string) []string {
	var out []string
	for _, d := range strings.Split(c.Domains, ",") {
		if d = strings.ToLower(strings.TrimSpace(d)); d != "" {
			out = append(out, d)
		}
	}
	if len(out) == 0 {
		if i := strings.LastIndexByte(mailFrom, '@'); i >= 0 {
			out = []string{strings.ToLower(mailFrom[i+1:])}
		}
	}
	return out
}

// rsvpSecret returns the configured secret, or the one kept in the data
// directory, made on first use.
func rsvpSecret(hexSecret, dataDir string) ([]byte, error) {
	if hexSecret != "" {
		b, err := hex.DecodeString(hexSecret)
		if err != nil || len(b) < 32 {
			return nil, errors.New("--rsvp-secret: want at least 64 hex digits")
		}
		return b, nil
	}
	path := filepath.Join(dataDir, "rsvp.key")
	if b, err := os.ReadFile(path); err == nil {
		return hex.DecodeString(strings.TrimSpace(string(b)))
	} else if !errors.Is(err, os.ErrNotExist) {
		return nil, err
	}
	b := make([]byte, 32)
	_, _ = rand.Read(b)
	if err := os.MkdirAll(dataDir, 0o700); err != nil {
		return nil, err
	}
	if err := os.WriteFile(path, []byte(hex.EncodeToString(b)+"\n"), 0o600); err != nil {
		return nil, fmt.Errorf("storing the RSVP secret: %w", err)
	}
	return b, nil
}

// mailListeners are the running SMTP and LMTP servers.
type mailListeners struct{ servers []*smtp.Server }

// start opens the configured listeners; none by default.
func (c *mailInConfig) start(sched *scheduling.Scheduler, mailFrom string, log *slog.Logger) (*mailListeners, error) {
	ml := &mailListeners{}
	domains := c.domains(mailFrom)
	backend := sched.MailBackend(domains)
	for _, l := range []struct {
		addr string
		lmtp bool
	}{{c.SMTPListen, false}, {c.LMTPListen, true}} {
		if l.addr == "" {
			continue
		}
		network, addr := "tcp", l.addr
		if strings.HasPrefix(addr, "unix:") {
			network, addr = "unix", strings.TrimPrefix(addr, "unix:")
			_ = os.Remove(addr)
		}
		ln, err := net.Listen(network, addr)
		if err != nil {
			ml.stop()
			return nil, fmt.Errorf("mail listener: %w", err)
		}
		srv := backend.NewServer(l.lmtp)
		ml.servers = append(ml.servers, srv)
		log.Info("receiving calendar mail", "lmtp", l.lmtp, "addr", ln.Addr().String(), "domains", domains)
		go func() {
			if err := srv.Serve(ln); err != nil && !errors.Is(err, smtp.ErrServerClosed) {
				log.Warn("mail listener stopped", "err", err)
			}
		}()
	}
	return ml, nil
}

func (ml *mailListeners) stop() {
	for _, s := range ml.servers {
		_ = s.Close()
	}
}
