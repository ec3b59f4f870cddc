package mailer

import (
	"context"
	"crypto/tls"
	"fmt"
	"net"
	"strconv"

	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"
)

// Check connects to the relay as a delivery would (TLS, STARTTLS,
// authentication) and says goodbye without sending anything, so that a
// wrong host, port, certificate or password shows before the first
// invitation is due. With a drop directory it only describes it.
func (s *Sender) Check(ctx context.Context) (string, error) {
	if s.cfg.Host == "" {
		return "no relay: mail is written to " + s.cfg.DropDir, nil
	}
	addr := net.JoinHostPort(s.cfg.Host, strconv.Itoa(s.cfg.Port))
	d := net.Dialer{Timeout: s.cfg.Timeout}
	conn, err := d.DialContext(ctx, "tcp", addr)
	if err != nil {
		return "", err
	}
	if dl, ok := ctx.Deadline(); ok {
		_ = conn.SetDeadline(dl)
	}
	tlsCfg := &tls.Config{ServerName: s.cfg.Host, InsecureSkipVerify: s.cfg.InsecureSkipVerify}
	var c *smtp.Client
	switch s.cfg.Security {
	case "tls":
		c = smtp.NewClient(tls.Client(conn, tlsCfg))
	case "starttls":
		c, err = smtp.NewClientStartTLS(conn, tlsCfg)
	default:
		c = smtp.NewClient(conn)
	}
	if err != nil {
		conn.Close()
		return "", fmt.Errorf("%s (%s): %w", addr, s.cfg.Security, err)
	}
	defer c.Close()
	what := fmt.Sprintf("%s (%s)", addr, s.cfg.Security)
	if s.cfg.Username != "" {
		if err := c.Auth(sasl.NewPlainClient("", s.cfg.Username, s.cfg.Password)); err != nil {
			return "", fmt.Errorf("%s: authentication as %s: %w", what, s.cfg.Username, err)
		}
		what += ", authenticated as " + s.cfg.Username
	} else if err := c.Noop(); err != nil { // after EHLO, which it sends first when needed
		return "", fmt.Errorf("%s: %w", what, err)
	}
	if err := c.Quit(); err != nil {
		return "", fmt.Errorf("%s: %w", what, err)
	}
	return what, nil
}
