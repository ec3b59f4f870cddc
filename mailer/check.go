package mailer

import (
	"context"
	"fmt"
	"net"
	"strconv"

	"github.com/emersion/go-sasl"
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
	c, err := s.dial(ctx)
	if err != nil {
		return "", fmt.Errorf("%s (%s): %w", addr, s.cfg.Security, err)
	}
	defer c.Close()
	what := fmt.Sprintf("%s (%s)", addr, s.cfg.Security)
	if s.cfg.Username != "" {
		if err := c.Auth(sasl.NewPlainClient("", s.cfg.Username, s.cfg.Password)); err != nil {
			return "", fmt.Errorf("%s: authentication as %s: %w", what, s.cfg.Username, err)
		}
		what += ", authenticated as " + s.cfg.Username
	} else if err := c.Noop(); err != nil {
		return "", fmt.Errorf("%s: %w", what, err)
	}
	if err := c.Quit(); err != nil {
		return "", fmt.Errorf("%s: %w", what, err)
	}
	return what, nil
}
