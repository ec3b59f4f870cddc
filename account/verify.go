package account

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"mime/quotedprintable"
	"net/mail"
	"strings"
	"time"

	"github.com/almanac/almanac/mailer"
	"github.com/almanac/almanac/store"
)

// Address verification. An address is matched to an account (invitations
// delivered to it, answers taken from it, calendars shared by address)
// only once its owner has followed a link sent to it: otherwise anyone
// could register someone else's address and receive their invitations.

// MailKind is the outbox kind of the service's own mail, delivered by the
// mailer as it is.
const MailKind = "account-email"

// VerifyPath is where the links in verification mail point, under the
// public URL; the token follows.
const VerifyPath = "/verify-email/"

// Verification lifetimes: a link works for linkTTL; another is sent at
// most every resendAfter.
const (
	linkTTL     = 48 * time.Hour
	resendAfter = time.Minute
)

// ErrInvalidToken is a verification link that is unknown, used or expired.
var ErrInvalidToken = errors.New("account: the link is invalid or has expired")

// MailOptions say how the service's mail is sent.
type MailOptions struct {
	From      string // sender address; empty: no mail (links are still made)
	PublicURL string // base of the links, e.g. https://cal.example.com
	Kick      func() // wakes the outbox workers
}

// waiting is the address of u that waits for verification, or "".
func waiting(u *store.User) string {
	if u.PendingEmail != "" {
		return u.PendingEmail
	}
	if u.EmailUnverified {
		return u.Email
	}
	return ""
}

// RequestVerification sends a new link to the user's waiting address. It
// returns a *FieldError when nothing waits, and a *RateLimitedError when a
// link went out less than a minute ago.
func (s *Service) RequestVerification(ctx context.Context, userID int64) error {
	u, err := s.st.GetUser(ctx, userID)
	if err != nil {
		return err
	}
	if waiting(u) == "" {
		return &FieldError{Field: "email", Message: "is already verified"}
	}
	s.mu.Lock()
	last, ok := s.sent[userID]
	s.mu.Unlock()
	if ok && s.now().Sub(last) < resendAfter {
		return &RateLimitedError{RetryAfter: resendAfter - s.now().Sub(last)}
	}
	return s.startVerification(ctx, u)
}

// startVerification makes a link for the user's waiting address, keeps its
// digest and queues the mail that carries it.
func (s *Service) startVerification(ctx context.Context, u *store.User) error {
	addr := waiting(u)
	if addr == "" {
		return nil
	}
	token := randomToken()
	if err := s.st.SetEmailToken(ctx, u.ID, digest(token), s.now().Add(linkTTL)); err != nil {
		return err
	}
	s.mu.Lock()
	if s.sent == nil || len(s.sent) > 100_000 {
		s.sent = map[int64]time.Time{}
	}
	s.sent[u.ID] = s.now()
	s.mu.Unlock()
	if s.opt.Mail.From == "" {
		return nil
	}
	msg, err := s.verificationMail(u, addr, token)
	if err != nil {
		return err
	}
	err = s.st.Enqueue(ctx, store.OutboxMessage{Kind: MailKind, IdempotencyKey: "verify-" + digest(token)[:32],
		Payload: msg.Payload(), Ref: "user:" + u.UUID})
	if err == nil && s.opt.Mail.Kick != nil {
		s.opt.Mail.Kick()
	}
	return err
}

// verificationMail is the message with the link. Its header fields hold
// only the server's sender, the address and fixed text; the account's
// name (checked characters only) is in the body.
func (s *Service) verificationMail(u *store.User, addr, token string) (*mailer.Message, error) {
	link := strings.TrimRight(s.opt.Mail.PublicURL, "/") + VerifyPath + token
	var b bytes.Buffer
	from := mail.Address{Name: "Almanac", Address: s.opt.Mail.From}
	fmt.Fprintf(&b, "From: %s\r\nTo: <%s>\r\nSubject: Confirm your address for your calendar account\r\n", from.String(), addr)
	// RFC 5322 §3.6.4: the Message-ID's right side is the server's domain.
	fmt.Fprintf(&b, "Date: %s\r\nMessage-ID: <verify-%s@%s>\r\n", s.now().Format(time.RFC1123Z), digest(token)[:24], mailDomain(s.opt.Mail.From))
	b.WriteString("MIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: quoted-printable\r\nAuto-Submitted: auto-generated\r\n\r\n")
	qp := quotedprintable.NewWriter(&b)
	fmt.Fprintf(qp, "Someone asked to use %s as the address of the calendar account %q at %s.\r\n\r\n", addr, u.Name, s.opt.Mail.PublicURL)
	fmt.Fprintf(qp, "If that was you, open this link and press Confirm (it works for 48 hours):\r\n\r\n%s\r\n\r\n", link)
	qp.Write([]byte("If it was not you, ignore this message: the address will not be given to that account, and it will not receive invitations sent to you.\r\n"))
	if err := qp.Close(); err != nil {
		return nil, err
	}
	return &mailer.Message{From: s.opt.Mail.From, To: []string{addr}, Data: b.Bytes()}, nil
}

// mailDomain is the domain of the address from.
func mailDomain(from string) string {
	if i := strings.LastIndexByte(from, '@'); i >= 0 && i < len(from)-1 {
		return strings.ToLower(from[i+1:])
	}
	return "localhost"
}

// VerificationTarget returns the account and the address a link is for,
// for the page that asks to confirm; ErrInvalidToken for a bad link.
func (s *Service) VerificationTarget(ctx context.Context, token string) (*store.User, string, error) {
	u, expires, err := s.st.EmailTokenUser(ctx, digest(token))
	if errors.Is(err, store.ErrNotFound) || err == nil && !s.now().Before(expires) {
		return nil, "", ErrInvalidToken
	}
	if err != nil {
		return nil, "", err
	}
	return u, waiting(u), nil
}

// ConfirmEmail verifies the address the link with token was sent to; a
// waiting new address replaces the old one. It returns ErrInvalidToken,
// or a *FieldError when another account verified the address first.
func (s *Service) ConfirmEmail(ctx context.Context, token string) (*store.User, error) {
	if token == "" {
		return nil, ErrInvalidToken
	}
	u, err := s.st.ConfirmEmail(ctx, digest(token))
	if errors.Is(err, store.ErrNotFound) {
		return nil, ErrInvalidToken
	}
	if err != nil {
		return nil, conflictField(err)
	}
	return u, nil
}
