package account

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"mime/quotedprintable"
	"net/mail"
	"regexp"
	"testing"
	"time"

	"github.com/almanac/almanac/mailer"
	"github.com/almanac/almanac/store"
)

func withMail(o *Options) {
	o.Mail = MailOptions{From: "calendar@example.com", PublicURL: "https://cal.example.com"}
}

var linkRE = regexp.MustCompile(`https://cal\.example\.com/verify-email/([A-Za-z0-9_-]+)`)

// lastLink reads the newest verification mail queued for addr and returns
// the token of its link.
func lastLink(t *testing.T, s *Service, addr string) string {
	t.Helper()
	list, err := s.st.ListOutbox(context.Background(), store.OutboxPending, 100)
	if err != nil {
		t.Fatal(err)
	}
	token, newest := "", int64(0)
	for _, om := range list {
		var m mailer.Message
		if om.Kind != MailKind || json.Unmarshal(om.Payload, &m) != nil || m.To[0] != addr || om.ID < newest {
			continue
		}
		newest = om.ID
		msg, err := mail.ReadMessage(bytes.NewReader(m.Data))
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(quotedprintable.NewReader(msg.Body))
		if got := linkRE.FindSubmatch(body); got != nil {
			token = string(got[1])
		}
	}
	if token == "" {
		t.Fatalf("no verification mail to %s", addr)
	}
	return token
}

// matched says whether scheduling would take addr to be the user's.
func matched(t *testing.T, s *Service, addr string, u *store.User) bool {
	t.Helper()
	got, err := s.st.UsersByEmail(context.Background(), []string{addr})
	if err != nil {
		t.Fatal(err)
	}
	byAddr, err := s.st.GetUserByEmail(context.Background(), addr)
	if (got[addr] != nil) != (err == nil) {
		t.Fatalf("UsersByEmail and GetUserByEmail disagree on %s", addr)
	}
	return got[addr] != nil && got[addr].ID == u.ID && byAddr.ID == u.ID
}

// Someone who registers with another person's address does not get their
// invitations until a link sent to that address is followed.
func TestRegisteredAddressUnverifiedUntilConfirmed(t *testing.T) {
	s, clk := newService(t, withMail)
	ctx := context.Background()
	u, err := s.Register(ctx, NewUser{Name: "mallory", Email: "victim@example.com", Password: "correct horse"})
	if err != nil {
		t.Fatal(err)
	}
	if !u.EmailUnverified || matched(t, s, "victim@example.com", u) {
		t.Fatal("a registered address is matched before it is verified")
	}
	if _, err := s.Login(ctx, "victim@example.com", "correct horse", "1.2.3.4"); err != nil {
		t.Fatalf("sign-in with one's own unverified address: %v", err)
	}
	token := lastLink(t, s, "victim@example.com")
	if got, addr, err := s.VerificationTarget(ctx, token); err != nil || got.ID != u.ID || addr != "victim@example.com" {
		t.Fatalf("VerificationTarget: %v %q %v", got, addr, err)
	}
	if _, err := s.ConfirmEmail(ctx, token+"x"); !errors.Is(err, ErrInvalidToken) {
		t.Fatalf("wrong token: %v", err)
	}
	if _, err := s.ConfirmEmail(ctx, token); err != nil {
		t.Fatal(err)
	}
	if !matched(t, s, "victim@example.com", u) {
		t.Fatal("a confirmed address is not matched")
	}
	if _, err := s.ConfirmEmail(ctx, token); !errors.Is(err, ErrInvalidToken) {
		t.Fatalf("link used twice: %v", err)
	}
	// An expired link does nothing.
	v, _ := s.Register(ctx, NewUser{Name: "late", Email: "late@example.com", Password: "correct horse"})
	token = lastLink(t, s, "late@example.com")
	clk.add(linkTTL + time.Minute)
	if _, err := s.ConfirmEmail(ctx, token); !errors.Is(err, ErrInvalidToken) || matched(t, s, "late@example.com", v) {
		t.Fatalf("expired link: %v", err)
	}
	if err := s.RequestVerification(ctx, v.ID); err != nil {
		t.Fatal(err)
	}
	var rl *RateLimitedError
	if err := s.RequestVerification(ctx, v.ID); !errors.As(err, &rl) {
		t.Fatalf("second link within a minute: %v", err)
	}
	if _, err := s.ConfirmEmail(ctx, lastLink(t, s, "late@example.com")); err != nil || !matched(t, s, "late@example.com", v) {
		t.Fatalf("new link: %v", err)
	}
}

// A changed address waits for its link; the verified one stays in use
// until then.
func TestChangedAddressWaitsForVerification(t *testing.T) {
	s, _ := newService(t, withMail)
	ctx := context.Background()
	u, err := s.Create(ctx, NewUser{Name: "alice", Email: "alice@example.com", Password: "correct horse"})
	if err != nil {
		t.Fatal(err)
	}
	if u.EmailUnverified || !matched(t, s, "alice@example.com", u) {
		t.Fatal("an administrator's account is not verified")
	}
	addr := "bob@example.com" // someone else's
	got, err := s.UpdateProfile(ctx, u.ID, ProfileUpdate{Email: &addr})
	if err != nil || got.Email != "alice@example.com" || got.PendingEmail != addr {
		t.Fatalf("UpdateProfile: %+v %v", got, err)
	}
	if matched(t, s, addr, u) || !matched(t, s, "alice@example.com", u) {
		t.Fatal("a changed address is matched before it is verified, or the old one no longer is")
	}
	token := lastLink(t, s, addr)
	if _, err := s.ConfirmEmail(ctx, token); err != nil {
		t.Fatal(err)
	}
	if !matched(t, s, addr, u) || matched(t, s, "alice@example.com", u) {
		t.Fatal("the confirmed address did not replace the old one")
	}
}

// An unverified address reserves nothing: its owner can still register
// with it, and the squatter's link stops working.
func TestUnverifiedAddressIsNotReserved(t *testing.T) {
	s, _ := newService(t, withMail)
	ctx := context.Background()
	m, err := s.Register(ctx, NewUser{Name: "mallory", Email: "bob@example.com", Password: "correct horse"})
	if err != nil {
		t.Fatal(err)
	}
	squat := lastLink(t, s, "bob@example.com")
	b, err := s.Register(ctx, NewUser{Name: "bob", Email: "bob@example.com", Password: "correct horse"})
	if err != nil {
		t.Fatalf("owner cannot register their address: %v", err)
	}
	if _, err := s.ConfirmEmail(ctx, squat); !errors.Is(err, ErrInvalidToken) {
		t.Fatalf("squatter's link still works: %v", err)
	}
	if got, _ := s.st.GetUser(ctx, m.ID); got.Email == "bob@example.com" {
		t.Fatal("squatter kept the address")
	}
	if _, err := s.ConfirmEmail(ctx, lastLink(t, s, "bob@example.com")); err != nil || !matched(t, s, "bob@example.com", b) {
		t.Fatalf("owner's link: %v", err)
	}
	// A verified address is taken.
	if _, err := s.Register(ctx, NewUser{Name: "mallory2", Email: "bob@example.com", Password: "correct horse"}); err == nil {
		t.Fatal("a verified address registered again")
	}
}
