// Package account manages users and how they prove who they are: passwords
// hashed with argon2id, sessions for the web client and the JSON API (bearer
// token or HttpOnly cookie with a CSRF token), app passwords for CalDAV
// clients over HTTP Basic, and throttling of failed logins.
package account

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base32"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/almanac/almanac/store"
)

// Errors returned by the service.
var (
	// ErrInvalidCredentials is the one answer for an unknown user and a
	// wrong password alike, so that logins do not reveal who has an account.
	ErrInvalidCredentials = errors.New("account: invalid credentials")
	ErrRegistrationClosed = errors.New("account: registration is disabled")
	ErrUnauthenticated    = errors.New("account: not signed in")
)

// RateLimitedError says that too many logins failed for the account or
// the client address.
type RateLimitedError struct{ RetryAfter time.Duration }

func (e *RateLimitedError) Error() string {
	return fmt.Sprintf("account: too many failed logins; retry in %s", e.RetryAfter.Round(time.Second))
}

// Options configure the service.
type Options struct {
	AllowRegistration bool
	SessionTTL        time.Duration // default 30 days
	Now               func() time.Time
	// AccountThrottle and AddressThrottle answer failed password checks
	// (defaults DefaultAccountThrottle and DefaultAddressThrottle).
	AccountThrottle Throttle
	AddressThrottle Throttle
	// Mail sends verification links; see MailOptions.
	Mail MailOptions
	// Sleep waits out a throttle's delay (default: a timer that ends with
	// ctx); tests record the delays instead.
	Sleep func(ctx context.Context, d time.Duration) error
}

// maxHold is the longest a login is held back before it is answered; an
// attempt that would have to wait longer is refused with a time to retry,
// so that waiting requests do not pile up.
const maxHold = 10 * time.Second

// Service is the account logic shared by every front end.
type Service struct {
	st        *store.Store
	opt       Options
	now       func() time.Time
	byAccount *limiter
	byAddress *limiter
	dummyHash string
	known     *knownAddresses

	mu       sync.Mutex
	verified map[[32]byte]verifiedLogin // Basic-auth password checks, see BasicAuth
	checking map[[32]byte]*check        // checks in progress, see checkOnce
	touched  map[int64]time.Time        // app password → last recorded use, see touch
	sent     map[int64]time.Time        // user → last verification link, see RequestVerification
}

type verifiedLogin struct {
	userID  int64
	expires time.Time
}

// New returns a service over st.
func New(st *store.Store, opt Options) *Service {
	if opt.SessionTTL == 0 {
		opt.SessionTTL = 30 * 24 * time.Hour
	}
	if opt.Now == nil {
		opt.Now = time.Now
	}
	if opt.Sleep == nil {
		opt.Sleep = sleep
	}
	return &Service{
		st:        st,
		opt:       opt,
		now:       opt.Now,
		byAccount: newLimiter(opt.AccountThrottle.withDefaults(DefaultAccountThrottle), opt.Now),
		byAddress: newLimiter(opt.AddressThrottle.withDefaults(DefaultAddressThrottle), opt.Now),
		dummyHash: HashPassword("almanac: no such user"),
		known:     newKnownAddresses(opt.Now),
		verified:  make(map[[32]byte]verifiedLogin),
		checking:  make(map[[32]byte]*check),
	}
}

// RegistrationOpen reports whether anyone may register.
func (s *Service) RegistrationOpen() bool { return s.opt.AllowRegistration }

// NewUser describes an account to create.
type NewUser struct {
	Name        string
	Email       string
	Password    string // may be empty for an account without password login
	DisplayName string
	TimeZone    string
	// Guest makes an administrator's account count as a sign-up: not one
	// of the server's own people, whom the others know (Register's are).
	Guest bool
}

// Register creates an account from a public sign-up. Its address is not
// verified: a link is sent to it, and until it is followed the address is
// not matched to the account. It returns ErrRegistrationClosed when
// sign-up is off, and otherwise what Create does.
func (s *Service) Register(ctx context.Context, in NewUser) (*store.User, error) {
	if !s.opt.AllowRegistration {
		return nil, ErrRegistrationClosed
	}
	if in.Password == "" {
		return nil, &FieldError{Field: "password", Message: "is required"}
	}
	u, err := s.create(ctx, in, true)
	if err != nil {
		return nil, err
	}
	return u, s.startVerification(ctx, u)
}

// Create validates in and stores the new user, as an administrator does:
// the address counts as verified. Invalid input gives a *FieldError; a
// taken name or address a *FieldError naming it.
func (s *Service) Create(ctx context.Context, in NewUser) (*store.User, error) {
	return s.create(ctx, in, false)
}

func (s *Service) create(ctx context.Context, in NewUser, unverified bool) (*store.User, error) {
	// Weeks start on Monday (ISO 8601) until the user says otherwise.
	u := &store.User{WeekStart: 1, EmailUnverified: unverified, SignedUp: unverified || in.Guest}
	var err error
	if u.DisplayName, err = checkDisplayName(in.DisplayName); err != nil {
		return nil, err
	}
	if u.Name, err = NormalizeName(in.Name); err != nil {
		return nil, err
	}
	if u.Email, err = NormalizeEmail(in.Email); err != nil {
		return nil, err
	}
	if u.TimeZone, err = checkTimeZone(in.TimeZone); err != nil {
		return nil, err
	}
	if in.Password != "" {
		if err := checkPasswordRules(in.Password); err != nil {
			return nil, err
		}
		u.PasswordHash = HashPassword(in.Password)
	}
	if err := s.st.ReleaseUnverifiedEmail(ctx, u.Email); err != nil {
		return nil, err
	}
	if err := s.st.CreateUser(ctx, u, DefaultCalendars(u)...); err != nil {
		return nil, conflictField(err)
	}
	return u, nil
}

// DefaultCalendars are what every new account starts with, as with
// CalendarServer and Google: a calendar in the user's time zone that takes
// every component type (as RFC 4791 §5.2.3 has a collection made without a
// list do), and a task list. Clients that write to "the" calendar without
// making one (Apple Calendar on first sync, python-caldav, invitations
// arriving for the user) find it at /dav/calendars/NAME/calendar/.
func DefaultCalendars(u *store.User) []*store.Calendar {
	name := u.DisplayName
	if name == "" {
		name = u.Name
	}
	// A calendar without a zone reads floating times in UTC already: one
	// is set only where it says more (and then CalDAV clients see it as
	// CALDAV:calendar-timezone, RFC 4791 §5.2.2).
	zone := u.TimeZone
	if zone == "UTC" {
		zone = ""
	}
	return []*store.Calendar{
		{Name: "calendar", DisplayName: name, Color: "#1A73E8", TimeZone: zone},
		{Name: "tasks", DisplayName: "Tasks", Color: "#0B8043", TimeZone: zone, Order: 1, Components: []string{"VTODO"}},
	}
}

func conflictField(err error) error {
	var fc *store.FieldConflictError
	if errors.As(err, &fc) {
		return &FieldError{Field: fc.Field, Message: "is already taken", Conflict: true}
	}
	return err
}

// Session is a signed-in client. Token is shown once, to the client; the
// store keeps only its digest.
type Session struct {
	Token   string
	CSRF    string
	User    *store.User
	Expires time.Time
}

// Login checks a name (or e-mail address) and password and opens a session.
// Unknown users and wrong passwords both give ErrInvalidCredentials after
// the same amount of work; repeated failures give a *RateLimitedError.
func (s *Service) Login(ctx context.Context, login, password, clientAddr string) (*Session, error) {
	u, err := s.checkPassword(ctx, login, password, clientAddr)
	if err != nil {
		return nil, err
	}
	token, csrf := randomToken(), randomToken()
	now := s.now()
	sess := &store.Session{UserID: u.ID, Digest: digest(token), CSRF: csrf, CreatedAt: now, ExpiresAt: now.Add(s.opt.SessionTTL)}
	if err := s.st.CreateSession(ctx, sess); err != nil {
		return nil, fmt.Errorf("account: session: %w", err)
	}
	return &Session{Token: token, CSRF: csrf, User: u, Expires: sess.ExpiresAt}, nil
}

// checkPassword is the throttled password check behind Login and BasicAuth.
func (s *Service) checkPassword(ctx context.Context, login, password, clientAddr string) (*store.User, error) {
	u, err := s.lookup(ctx, login)
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		return nil, err
	}
	_, name := loginOf(login)
	ok, err := s.throttled(ctx, u, "u:"+name, clientAddr, func() (bool, error) {
		hash := s.dummyHash
		if u != nil && u.PasswordHash != "" {
			hash = u.PasswordHash
		}
		ok, err := checkPassword(hash, password)
		return ok && u != nil && u.PasswordHash != "", err
	})
	if err != nil {
		return nil, err
	}
	if !ok {
		return nil, ErrInvalidCredentials
	}
	return u, nil
}

// throttled runs one password check under the account's and the client
// address's throttles. Failures count against the account whatever name
// or address it was named by (an unknown login against the text given),
// and against the address; a success clears the account and makes the
// address known to it. From a known address the account has a budget of
// its own, so that someone guessing elsewhere cannot lock its owner out.
func (s *Service) throttled(ctx context.Context, u *store.User, unknown, clientAddr string, check func() (bool, error)) (bool, error) {
	owner := unknown
	if u != nil {
		owner = fmt.Sprintf("id:%d", u.ID)
	}
	acct := owner
	if s.known.has(owner, clientAddr) {
		acct += "@" + clientAddr
	}
	addr := "a:" + clientAddr
	wait, err := s.admit(acct, addr)
	if err != nil {
		return false, err
	}
	if wait > 0 {
		if err := s.opt.Sleep(ctx, wait); err != nil {
			s.byAccount.release(acct)
			s.byAddress.release(addr)
			return false, err
		}
	}
	ok, err := check()
	if err != nil {
		s.byAccount.release(acct)
		s.byAddress.release(addr)
		return false, fmt.Errorf("account: password check: %w", err)
	}
	s.byAccount.finish(acct, ok, true)
	s.byAddress.finish(addr, ok, false)
	if ok {
		s.known.add(owner, clientAddr)
	}
	return ok, nil
}

// admit claims an attempt from both throttles, and returns the longer of
// their waits; a wait longer than maxHold is refused instead.
func (s *Service) admit(acct, addr string) (time.Duration, error) {
	w1, err := s.byAccount.admit(acct)
	if err != nil {
		return 0, err
	}
	w2, err := s.byAddress.admit(addr)
	if err != nil {
		s.byAccount.release(acct)
		return 0, err
	}
	w := max(w1, w2)
	if w > maxHold {
		s.byAccount.release(acct)
		s.byAddress.release(addr)
		return 0, &RateLimitedError{RetryAfter: w}
	}
	return w, nil
}

func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// lookup finds the user a login names (see loginOf).
func (s *Service) lookup(ctx context.Context, login string) (*store.User, error) {
	by, login := loginOf(login)
	if by == store.ByEmail {
		return s.st.GetUserByLoginEmail(ctx, login)
	}
	return s.st.GetUserByName(ctx, login)
}

// loginOf normalises what a person typed to sign in and says what it
// names: an e-mail address when it contains '@', a login name otherwise.
func loginOf(login string) (store.LoginBy, string) {
	login = strings.ToLower(strings.TrimSpace(login))
	if strings.Contains(login, "@") {
		return store.ByEmail, login
	}
	return store.ByName, login
}

// Authenticate returns the user and session behind a session token, or
// ErrUnauthenticated.
func (s *Service) Authenticate(ctx context.Context, token string) (*store.User, *store.Session, error) {
	if token == "" {
		return nil, nil, ErrUnauthenticated
	}
	u, sess, err := s.st.SessionUser(ctx, digest(token))
	if errors.Is(err, store.ErrNotFound) {
		return nil, nil, ErrUnauthenticated
	}
	return u, sess, err
}

// Logout ends the session behind token.
func (s *Service) Logout(ctx context.Context, token string) error {
	return s.st.DeleteSession(ctx, digest(token))
}

// verifyTTL bounds how long a verified Basic-auth password is remembered.
// CalDAV clients send the password with every request; checking argon2id
// each time would cost 20 ms per request.
const verifyTTL = 5 * time.Minute

// BasicAuth checks HTTP Basic credentials: an app password of the user, or
// the account password. It returns ErrInvalidCredentials or a
// *RateLimitedError like Login.
func (s *Service) BasicAuth(ctx context.Context, login, password, clientAddr string) (*store.User, error) {
	by, name := loginOf(login)
	u, pid, err := s.st.UserWithAppPassword(ctx, by, name, digest(password))
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		return nil, err
	}
	if u != nil {
		if pid != 0 {
			s.touch(pid)
			return u, nil
		}
		key := sha256.Sum256([]byte(fmt.Sprintf("%d\x00%s\x00%s", u.ID, u.PasswordHash, password)))
		if s.recall(key) {
			return u, nil
		}
		return s.checkOnce(ctx, key, login, password, clientAddr)
	}
	return s.checkPassword(ctx, login, password, clientAddr)
}

// checkOnce runs one argon2id check for concurrent requests bearing the
// same credentials (a client opening several connections at once), so
// that they wait for its answer instead of each spending the CPU.
func (s *Service) checkOnce(ctx context.Context, key [32]byte, login, password, clientAddr string) (*store.User, error) {
	s.mu.Lock()
	if c, ok := s.checking[key]; ok {
		s.mu.Unlock()
		<-c.done
		return c.user, c.err
	}
	c := &check{done: make(chan struct{})}
	s.checking[key] = c
	s.mu.Unlock()
	c.user, c.err = s.checkPassword(ctx, login, password, clientAddr)
	if c.err == nil {
		s.remember(key, c.user.ID)
	}
	s.mu.Lock()
	delete(s.checking, key)
	s.mu.Unlock()
	close(c.done)
	return c.user, c.err
}

// check is a password check in progress.
type check struct {
	done chan struct{}
	user *store.User
	err  error
}

func (s *Service) recall(key [32]byte) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	v, ok := s.verified[key]
	return ok && s.now().Before(v.expires)
}

func (s *Service) remember(key [32]byte, userID int64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.now()
	if len(s.verified) >= 10_000 {
		for k, v := range s.verified {
			if now.After(v.expires) {
				delete(s.verified, k)
			}
		}
	}
	if len(s.verified) < 10_000 {
		s.verified[key] = verifiedLogin{userID: userID, expires: now.Add(verifyTTL)}
	}
}

// touchEvery is how precisely an app password's last use is recorded: a
// client polling every few seconds would otherwise cost a write per request.
const touchEvery = time.Minute

// touch records app-password use without making the request wait for it,
// at most once per touchEvery for each password.
func (s *Service) touch(id int64) {
	now := s.now()
	s.mu.Lock()
	if s.touched == nil || len(s.touched) > 100_000 {
		s.touched = map[int64]time.Time{}
	}
	last, ok := s.touched[id]
	if ok && now.Sub(last) < touchEvery {
		s.mu.Unlock()
		return
	}
	s.touched[id] = now
	s.mu.Unlock()
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = s.st.TouchAppPassword(ctx, id)
	}()
}

// SetPassword replaces a user's password and ends their sessions.
func (s *Service) SetPassword(ctx context.Context, userID int64, password string) error {
	if err := checkPasswordRules(password); err != nil {
		return err
	}
	u, err := s.st.GetUser(ctx, userID)
	if err != nil {
		return err
	}
	u.PasswordHash = HashPassword(password)
	if err := s.st.UpdateUser(ctx, u); err != nil {
		return err
	}
	return s.st.DeleteUserSessions(ctx, userID)
}

// CreateAppPassword makes a new named app password for a user and returns
// the secret, which is shown once and never stored in clear.
func (s *Service) CreateAppPassword(ctx context.Context, userID int64, name string) (string, error) {
	name = strings.TrimSpace(name)
	if name == "" || len(name) > 100 {
		return "", &FieldError{Field: "name", Message: "must be 1 to 100 characters"}
	}
	var b [20]byte
	_, _ = rand.Read(b[:])
	secret := strings.ToLower(base32.StdEncoding.EncodeToString(b[:]))
	secret = secret[0:8] + "-" + secret[8:16] + "-" + secret[16:24] + "-" + secret[24:32]
	err := s.st.CreateAppPassword(ctx, &store.AppPassword{UserID: userID, Name: name, Digest: digest(secret)})
	if err != nil {
		return "", conflictField(err)
	}
	return secret, nil
}

func randomToken() string {
	var b [32]byte
	_, _ = rand.Read(b[:])
	return base64.RawURLEncoding.EncodeToString(b[:])
}

// digest is what the store keeps of a high-entropy secret.
func digest(secret string) string {
	sum := sha256.Sum256([]byte(secret))
	return hex.EncodeToString(sum[:])
}

// ProfileUpdate lists the profile fields to change; nil fields stay.
type ProfileUpdate struct {
	Name        *string
	Email       *string
	DisplayName *string
	TimeZone    *string
	WeekStart   *int
	Password    *string
	// FreeBusyVisible lets other users of the server see the user's busy
	// time (the default); false limits it to calendars shared with them.
	FreeBusyVisible *bool
	// Invitations is whose invitations go straight into the user's
	// calendar: store.InvitationsKnown or store.InvitationsEveryone.
	Invitations *string
	// CurrentPassword must accompany a new Password when the account has
	// one: a session left open, or stolen, is not enough to take the
	// account over. Its check is throttled like a login from ClientAddr.
	CurrentPassword *string
	ClientAddr      string
	// Session is the token of the session making the change: a new
	// password ends the user's other sessions, not this one.
	Session string
}

// ErrWrongPassword is a current password that does not match.
var ErrWrongPassword = &FieldError{Field: "current_password", Message: "is not the account's password"}

// UpdateProfile validates and applies upd to the user. Invalid or taken
// values give a *FieldError. A new password ends every other session of
// the user, so a stolen session does not outlive the password change; the
// one that changed it, having just given the password, stays. A new address
// waits for verification (see changeEmail).
func (s *Service) UpdateProfile(ctx context.Context, userID int64, upd ProfileUpdate) (*store.User, error) {
	u, err := s.st.GetUser(ctx, userID)
	if err != nil {
		return nil, err
	}
	before := waiting(u)
	if upd.Password != nil {
		if err := s.checkCurrent(ctx, u, upd); err != nil {
			return nil, err
		}
	}
	if err := applyProfile(u, upd); err != nil {
		return nil, err
	}
	if upd.Email != nil {
		if err := s.changeEmail(ctx, u, *upd.Email); err != nil {
			return nil, err
		}
	}
	if err := s.st.UpdateUser(ctx, u); err != nil {
		return nil, conflictField(err)
	}
	if upd.Password != nil {
		keep := ""
		if upd.Session != "" {
			keep = digest(upd.Session)
		}
		if err := s.st.DeleteOtherSessions(ctx, userID, keep); err != nil {
			return nil, err
		}
	}
	if w := waiting(u); w != "" && w != before {
		if err := s.startVerification(ctx, u); err != nil {
			return nil, err
		}
	}
	return u, nil
}

// checkCurrent requires the current password before a new one is set,
// through the same throttle as logins (a stolen session must not become a
// way to guess it). An account without a password may set one.
func (s *Service) checkCurrent(ctx context.Context, u *store.User, upd ProfileUpdate) error {
	if u.PasswordHash == "" {
		return nil
	}
	if upd.CurrentPassword == nil || *upd.CurrentPassword == "" {
		return &FieldError{Field: "current_password", Message: "is required to set a new password"}
	}
	ok, err := s.throttled(ctx, u, "", upd.ClientAddr, func() (bool, error) {
		return checkPassword(u.PasswordHash, *upd.CurrentPassword)
	})
	if err != nil {
		return err
	}
	if !ok {
		return ErrWrongPassword
	}
	return nil
}

// changeEmail sets the user's new address. A verified address stays in
// use, and the new one waits in PendingEmail until its link is followed;
// an unverified one is simply replaced. Giving the current address again
// drops a waiting one.
func (s *Service) changeEmail(ctx context.Context, u *store.User, addr string) error {
	addr, err := NormalizeEmail(addr)
	if err != nil {
		return err
	}
	switch {
	case addr == u.Email:
		u.PendingEmail = ""
		return nil
	case addr == u.PendingEmail:
		return nil
	}
	other, err := s.st.GetUserByEmail(ctx, addr)
	if err == nil && other.ID != u.ID {
		return &FieldError{Field: "email", Message: "is already taken", Conflict: true}
	} else if err != nil && !errors.Is(err, store.ErrNotFound) {
		return err
	}
	if u.EmailUnverified {
		if err := s.st.ReleaseUnverifiedEmail(ctx, addr); err != nil {
			return err
		}
		u.Email, u.PendingEmail = addr, ""
		return nil
	}
	u.PendingEmail = addr
	return nil
}

func applyProfile(u *store.User, upd ProfileUpdate) error {
	var err error
	if upd.Name != nil {
		if u.Name, err = NormalizeName(*upd.Name); err != nil {
			return err
		}
	}
	if upd.DisplayName != nil {
		if u.DisplayName, err = checkDisplayName(*upd.DisplayName); err != nil {
			return err
		}
	}
	if upd.TimeZone != nil {
		if u.TimeZone, err = checkTimeZone(*upd.TimeZone); err != nil {
			return err
		}
	}
	if upd.WeekStart != nil {
		if *upd.WeekStart < 0 || *upd.WeekStart > 6 {
			return &FieldError{Field: "week_start", Message: "must be 0 (Sunday) to 6 (Saturday)"}
		}
		u.WeekStart = *upd.WeekStart
	}
	if upd.FreeBusyVisible != nil {
		u.FreeBusyHidden = !*upd.FreeBusyVisible
	}
	if upd.Invitations != nil {
		switch v := strings.ToLower(strings.TrimSpace(*upd.Invitations)); v {
		case store.InvitationsKnown, store.InvitationsEveryone:
			u.Invitations = v
		default:
			return &FieldError{Field: "invitations", Message: "must be known or everyone"}
		}
	}
	u.PasswordHash = "" // UpdateUser keeps the stored hash when this is empty
	if upd.Password != nil {
		if err := checkPasswordRules(*upd.Password); err != nil {
			return err
		}
		u.PasswordHash = HashPassword(*upd.Password)
	}
	return nil
}

// Delete removes a user and everything they own.
func (s *Service) Delete(ctx context.Context, userID int64) error {
	return s.st.DeleteUser(ctx, userID)
}
