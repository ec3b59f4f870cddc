package account

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/almanac/almanac/store"
)

type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) now() time.Time      { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) add(d time.Duration) { c.mu.Lock(); c.t = c.t.Add(d); c.mu.Unlock() }

func newService(t *testing.T, opts ...func(*Options)) (*Service, *clock) {
	t.Helper()
	st, err := store.Open(context.Background(), filepath.Join(t.TempDir(), "a.db"), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(st.Close)
	c := &clock{t: time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)}
	st.SetClock(c.now)
	// A throttle's delay moves the clock rather than making the test wait.
	sleep := func(_ context.Context, d time.Duration) error { c.add(d); return nil }
	opt := Options{AllowRegistration: true, Now: c.now, Sleep: sleep}
	for _, f := range opts {
		f(&opt)
	}
	return New(st, opt), c
}

func TestRegisterValidation(t *testing.T) {
	s, _ := newService(t)
	ctx := context.Background()
	if _, err := s.Create(ctx, NewUser{Name: "Alice", Email: "Alice@Example.com", Password: "correct horse"}); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		in       NewUser
		field    string
		conflict bool
	}{
		{NewUser{Name: "", Email: "b@example.com", Password: "12345678"}, "name", false},
		{NewUser{Name: "-bob", Email: "b@example.com", Password: "12345678"}, "name", false},
		{NewUser{Name: "bob/x", Email: "b@example.com", Password: "12345678"}, "name", false},
		{NewUser{Name: "bob", Email: "Bob <b@example.com>", Password: "12345678"}, "email", false},
		{NewUser{Name: "bob", Email: "nope", Password: "12345678"}, "email", false},
		{NewUser{Name: "bob", Email: "b@example.com", Password: "short"}, "password", false},
		{NewUser{Name: "bob", Email: "b@example.com", Password: ""}, "password", false},
		{NewUser{Name: "bob", Email: "b@example.com", Password: "12345678", TimeZone: "Mars/Olympus"}, "time_zone", false},
		{NewUser{Name: "ALICE", Email: "b@example.com", Password: "12345678"}, "name", true},
		{NewUser{Name: "bob", Email: "alice@EXAMPLE.com", Password: "12345678"}, "email", true},
	}
	for _, tt := range tests {
		_, err := s.Register(ctx, tt.in)
		var fe *FieldError
		if !errors.As(err, &fe) || fe.Field != tt.field || fe.Conflict != tt.conflict {
			t.Errorf("Register(%+v) = %v; want a FieldError on %s (conflict %v)", tt.in, err, tt.field, tt.conflict)
		}
	}
	s.opt.AllowRegistration = false
	if _, err := s.Register(ctx, NewUser{Name: "carol", Email: "c@example.com", Password: "12345678"}); !errors.Is(err, ErrRegistrationClosed) {
		t.Fatalf("closed registration: %v", err)
	}
}

func TestLoginSameAnswerForUnknownUser(t *testing.T) {
	s, _ := newService(t)
	ctx := context.Background()
	if _, err := s.Create(ctx, NewUser{Name: "dora", Email: "dora@example.com", Password: "correct horse"}); err != nil {
		t.Fatal(err)
	}
	sess, err := s.Login(ctx, "DORA@example.com", "correct horse", "10.0.0.1")
	if err != nil || sess.User.Name != "dora" || sess.Token == "" || sess.CSRF == "" {
		t.Fatalf("login by e-mail: %+v %v", sess, err)
	}
	_, errWrong := s.Login(ctx, "dora", "wrong password", "10.0.0.2")
	_, errUnknown := s.Login(ctx, "nobody", "wrong password", "10.0.0.3")
	if !errors.Is(errWrong, ErrInvalidCredentials) || errWrong != errUnknown {
		t.Fatalf("wrong password %v, unknown user %v: want the same ErrInvalidCredentials", errWrong, errUnknown)
	}
	u, _, err := s.Authenticate(ctx, sess.Token)
	if err != nil || u.Name != "dora" {
		t.Fatalf("Authenticate: %v", err)
	}
	if err := s.Logout(ctx, sess.Token); err != nil {
		t.Fatal(err)
	}
	if _, _, err := s.Authenticate(ctx, sess.Token); !errors.Is(err, ErrUnauthenticated) {
		t.Fatalf("after logout: %v", err)
	}
}

// guess signs in with a wrong password as a patient attacker would: waiting
// out every Retry-After. It returns whether the password was checked.
func guess(t *testing.T, s *Service, clk *clock, login, addr string) bool {
	t.Helper()
	_, err := s.Login(context.Background(), login, "guess", addr)
	var rl *RateLimitedError
	switch {
	case errors.As(err, &rl):
		clk.add(rl.RetryAfter)
		return false
	case errors.Is(err, ErrInvalidCredentials):
		return true
	}
	t.Fatalf("guess: %v", err)
	return false
}

// One account gets few guesses, from however many addresses and under
// whichever of its names: seven in the first minute, ten in a quarter of
// an hour, then one per quarter hour.
func TestLoginThrottlePerAccount(t *testing.T) {
	s, clk := newService(t)
	ctx := context.Background()
	if _, err := s.Create(ctx, NewUser{Name: "eve", Email: "eve@example.com", Password: "correct horse"}); err != nil {
		t.Fatal(err)
	}
	start := clk.now()
	var times []time.Duration
	for i := 0; clk.now().Sub(start) < time.Hour; i++ {
		login := []string{"eve", "EVE@example.com"}[i%2]
		if guess(t, s, clk, login, fmt.Sprintf("10.0.%d.%d", i/200, i%200)) {
			times = append(times, clk.now().Sub(start))
		}
	}
	inFirst := func(d time.Duration) (n int) {
		for _, at := range times {
			if at < d {
				n++
			}
		}
		return n
	}
	if n := inFirst(time.Minute); n > 7 {
		t.Errorf("%d guesses in the first minute (at %v); want at most 7", n, times)
	}
	if n := inFirst(15 * time.Minute); n > 10 {
		t.Errorf("%d guesses in the first quarter hour; want at most 10", n)
	}
	if n := len(times); n > 14 {
		t.Errorf("%d guesses in an hour; want at most 14", n)
	}
	var rl *RateLimitedError
	if _, err := s.Login(ctx, "eve", "correct horse", "10.9.9.9"); !errors.As(err, &rl) {
		t.Fatalf("locked account signed in from a new address: %v", err)
	}
}

// Guesses sent all at once get no more checks than guesses sent one after
// another.
func TestLoginThrottleParallel(t *testing.T) {
	s, _ := newService(t)
	ctx := context.Background()
	if _, err := s.Create(ctx, NewUser{Name: "eve", Email: "eve@example.com", Password: "correct horse"}); err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	var mu sync.Mutex
	checked := 0
	for i := range 40 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, err := s.Login(ctx, "eve", "guess", fmt.Sprintf("10.1.0.%d", i))
			if errors.Is(err, ErrInvalidCredentials) {
				mu.Lock()
				checked++
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	if checked > DefaultAccountThrottle.LockAfter {
		t.Fatalf("%d parallel guesses checked; want at most %d", checked, DefaultAccountThrottle.LockAfter)
	}
}

// Someone guessing the account's password elsewhere does not lock its
// owner out of the address they signed in from before.
func TestLoginThrottleKnownAddress(t *testing.T) {
	s, clk := newService(t)
	ctx := context.Background()
	if _, err := s.Create(ctx, NewUser{Name: "eve", Email: "eve@example.com", Password: "correct horse"}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Login(ctx, "eve", "correct horse", "192.0.2.10"); err != nil {
		t.Fatal(err)
	}
	for i := range 30 {
		guess(t, s, clk, "eve", fmt.Sprintf("203.0.113.%d", i))
	}
	if _, err := s.Login(ctx, "eve", "correct horse", "192.0.2.10"); err != nil {
		t.Fatalf("owner locked out of a known address: %v", err)
	}
}

// One address failing for many accounts (a shared proxy, an office) is
// slowed down, and only locked after many more failures than one person
// makes; the people behind it still sign in.
func TestLoginThrottlePerAddress(t *testing.T) {
	s, clk := newService(t)
	ctx := context.Background()
	if _, err := s.Create(ctx, NewUser{Name: "eve", Email: "eve@example.com", Password: "correct horse"}); err != nil {
		t.Fatal(err)
	}
	for i := range 30 {
		guess(t, s, clk, fmt.Sprintf("user%d", i), "10.6.6.6")
	}
	before := clk.now()
	if _, err := s.Login(ctx, "eve", "correct horse", "10.6.6.6"); err != nil {
		t.Fatalf("a user behind a busy address: %v", err)
	}
	if clk.now() == before {
		t.Error("no delay after 30 failures from one address")
	}
	// A spray over many accounts is stopped.
	locked := false
	for i := range 200 {
		if _, err := s.Login(ctx, fmt.Sprintf("other%d", i), "guess", "10.6.6.6"); err != nil && !errors.Is(err, ErrInvalidCredentials) {
			locked = true
			break
		}
	}
	if !locked {
		t.Fatal("200 more failures from one address were all checked")
	}
}

func TestBasicAuth(t *testing.T) {
	s, _ := newService(t)
	ctx := context.Background()
	u, err := s.Create(ctx, NewUser{Name: "finn", Email: "finn@example.com", Password: "correct horse"})
	if err != nil {
		t.Fatal(err)
	}
	secret, err := s.CreateAppPassword(ctx, u.ID, "Thunderbird")
	if err != nil {
		t.Fatal(err)
	}
	for _, pw := range []string{secret, "correct horse", "correct horse"} {
		if got, err := s.BasicAuth(ctx, "finn", pw, "127.0.0.1"); err != nil || got.ID != u.ID {
			t.Fatalf("BasicAuth(%q): %v", pw, err)
		}
	}
	if _, err := s.BasicAuth(ctx, "finn", "wrong", "127.0.0.1"); !errors.Is(err, ErrInvalidCredentials) {
		t.Fatalf("wrong password: %v", err)
	}
	other, _ := s.Create(ctx, NewUser{Name: "gail", Email: "gail@example.com", Password: "correct horse"})
	if _, err := s.BasicAuth(ctx, other.Name, secret, "127.0.0.1"); !errors.Is(err, ErrInvalidCredentials) {
		t.Fatalf("another user's app password accepted: %v", err)
	}
	if err := s.st.DeleteAppPassword(ctx, u.ID, "Thunderbird"); err != nil {
		t.Fatal(err)
	}
	if _, err := s.BasicAuth(ctx, "finn", secret, "127.0.0.1"); !errors.Is(err, ErrInvalidCredentials) {
		t.Fatalf("revoked app password accepted: %v", err)
	}
	// A new password invalidates the remembered old one.
	if err := s.SetPassword(ctx, u.ID, "battery staple"); err != nil {
		t.Fatal(err)
	}
	if _, err := s.BasicAuth(ctx, "finn", "correct horse", "127.0.0.1"); !errors.Is(err, ErrInvalidCredentials) {
		t.Fatalf("old password still accepted: %v", err)
	}
}

func TestUpdateProfile(t *testing.T) {
	s, _ := newService(t)
	ctx := context.Background()
	u, _ := s.Create(ctx, NewUser{Name: "hana", Email: "hana@example.com", Password: "correct horse"})
	sess, _ := s.Login(ctx, "hana", "correct horse", "1.2.3.4")
	tz, ws, pw, cur, wrong := "America/New_York", 0, "new password!", "correct horse", "guess"
	var fe *FieldError
	// A session alone does not change the password: the current one must
	// come with it, and a wrong one counts as a failed login.
	for _, c := range []*string{nil, &wrong} {
		if _, err := s.UpdateProfile(ctx, u.ID, ProfileUpdate{Password: &pw, CurrentPassword: c, ClientAddr: "1.2.3.4"}); !errors.As(err, &fe) || fe.Field != "current_password" {
			t.Fatalf("new password with current %v: %v", c, err)
		}
	}
	if _, _, err := s.Authenticate(ctx, sess.Token); err != nil {
		t.Fatalf("a refused change ended the session: %v", err)
	}
	got, err := s.UpdateProfile(ctx, u.ID, ProfileUpdate{TimeZone: &tz, WeekStart: &ws, Password: &pw, CurrentPassword: &cur, ClientAddr: "1.2.3.4"})
	if err != nil || got.TimeZone != tz || got.WeekStart != 0 {
		t.Fatalf("UpdateProfile: %+v %v", got, err)
	}
	if _, _, err := s.Authenticate(ctx, sess.Token); !errors.Is(err, ErrUnauthenticated) {
		t.Fatalf("session survived a password change: %v", err)
	}
	if _, err := s.Login(ctx, "hana", pw, "1.2.3.4"); err != nil {
		t.Fatalf("new password: %v", err)
	}
	bad := 9
	if _, err := s.UpdateProfile(ctx, u.ID, ProfileUpdate{WeekStart: &bad}); !errors.As(err, &fe) || fe.Field != "week_start" {
		t.Fatalf("week_start 9: %v", err)
	}
	// A line break in a display name would end a mail header field or a
	// CN parameter, and with it the user's invitations.
	for _, name := range []string{"Eve\r\nBcc: x@example.com", "Eve\nX", "Eve\x00"} {
		if _, err := s.UpdateProfile(ctx, u.ID, ProfileUpdate{DisplayName: &name}); !errors.As(err, &fe) || fe.Field != "display_name" {
			t.Fatalf("display name %q: %v", name, err)
		}
		if _, err := s.Create(ctx, NewUser{Name: "newbie", Email: "n@example.com", DisplayName: name}); !errors.As(err, &fe) || fe.Field != "display_name" {
			t.Fatalf("new user's display name %q: %v", name, err)
		}
	}
}

// TestBasicAuthChecksOnce lets many requests with the same new credentials
// arrive at once: they all get in, on one argon2id check.
func TestBasicAuthChecksOnce(t *testing.T) {
	s, _ := newService(t)
	ctx := context.Background()
	if _, err := s.Create(ctx, NewUser{Name: "ivan", Email: "ivan@example.com", Password: "correct horse"}); err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	errs := make(chan error, 16)
	for range 16 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, err := s.BasicAuth(ctx, "ivan", "correct horse", "127.0.0.1")
			errs <- err
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	if len(s.checking) != 0 {
		t.Fatalf("%d checks left behind", len(s.checking))
	}
}

// A client polling with an app password records its use at most once a
// minute, not one write per request.
func TestAppPasswordUseRecordedOncePerMinute(t *testing.T) {
	s, c := newService(t)
	ctx := context.Background()
	u, err := s.Create(ctx, NewUser{Name: "finn", Email: "finn@example.com", Password: "correct horse"})
	if err != nil {
		t.Fatal(err)
	}
	secret, err := s.CreateAppPassword(ctx, u.ID, "DAVx5")
	if err != nil {
		t.Fatal(err)
	}
	lastUsed := func(want time.Time) {
		t.Helper()
		deadline := time.Now().Add(5 * time.Second)
		for {
			list, err := s.st.ListAppPasswords(ctx, u.ID)
			if err != nil {
				t.Fatal(err)
			}
			if list[0].LastUsedAt.Equal(want) {
				return
			}
			if time.Now().After(deadline) {
				t.Fatalf("last used %v, want %v", list[0].LastUsedAt, want)
			}
			time.Sleep(10 * time.Millisecond)
		}
	}
	use := func() {
		t.Helper()
		if _, err := s.BasicAuth(ctx, "finn", secret, "127.0.0.1"); err != nil {
			t.Fatal(err)
		}
	}
	t0 := c.now()
	use()
	lastUsed(t0)
	c.add(30 * time.Second)
	use()
	time.Sleep(50 * time.Millisecond)
	lastUsed(t0)
	c.add(31 * time.Second)
	use()
	lastUsed(t0.Add(61 * time.Second))
}
