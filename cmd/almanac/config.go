package main

import (
	"context"
	"flag"
	"fmt"
	"net/http"
	"net/netip"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/almanac/almanac/account"
	"github.com/almanac/almanac/calendar"
	"github.com/almanac/almanac/httpserver"
	"github.com/almanac/almanac/recurrence"
	"github.com/almanac/almanac/store"
)

// settings binds flags to ALMANAC_* environment variables: the variable
// gives the default, the flag overrides it, and --help shows both.
type settings struct {
	fs  *flag.FlagSet
	err error
}

func newSettings(name, usage string) *settings {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.Usage = func() {
		fmt.Fprintf(fs.Output(), "%s\n\nSettings (flag, environment variable, default):\n", usage)
		fs.VisitAll(func(f *flag.Flag) {
			fmt.Fprintf(fs.Output(), "  --%s  (%s)", f.Name, envName(f.Name))
			if f.DefValue != "" {
				fmt.Fprintf(fs.Output(), "  default %q", f.DefValue)
			}
			fmt.Fprintf(fs.Output(), "\n      %s\n", f.Usage)
		})
	}
	return &settings{fs: fs}
}

func envName(flagName string) string {
	return "ALMANAC_" + strings.ToUpper(strings.ReplaceAll(flagName, "-", "_"))
}

func (s *settings) env(name, def string) string {
	if v, ok := os.LookupEnv(envName(name)); ok {
		return v
	}
	return def
}

func (s *settings) String(p *string, name, def, usage string) {
	s.fs.StringVar(p, name, s.env(name, def), usage)
}

func (s *settings) Bool(p *bool, name string, def bool, usage string) {
	v := def
	if e := s.env(name, ""); e != "" {
		b, err := strconv.ParseBool(e)
		if err != nil {
			s.err = fmt.Errorf("%s=%q: want true or false", envName(name), e)
		}
		v = b
	}
	s.fs.BoolVar(p, name, v, usage)
}

func (s *settings) Int(p *int, name string, def int, usage string) {
	v := def
	if e := s.env(name, ""); e != "" {
		n, err := strconv.Atoi(e)
		if err != nil {
			s.err = fmt.Errorf("%s=%q: want an integer", envName(name), e)
		}
		v = n
	}
	s.fs.IntVar(p, name, v, usage)
}

func (s *settings) Duration(p *time.Duration, name string, def time.Duration, usage string) {
	v := def
	if e := s.env(name, ""); e != "" {
		d, err := time.ParseDuration(e)
		if err != nil {
			s.err = fmt.Errorf("%s=%q: want a duration such as 30s", envName(name), e)
		}
		v = d
	}
	s.fs.DurationVar(p, name, v, usage)
}

// Parse parses args, reporting a bad environment variable first.
func (s *settings) Parse(args []string) error {
	if s.err != nil {
		return s.err
	}
	return s.fs.Parse(args)
}

// DefaultQuotaBytes is each user's quota unless set: 256 MiB, some
// 200,000 events, more than years of a busy calendar, and a bound on
// what one account (an open sign-up) can make the server store.
const DefaultQuotaBytes = 256 << 20

// isSet reports whether a setting was given, by flag or by environment
// variable, rather than left at its default; call it after Parse.
func (s *settings) isSet(name string) bool {
	if _, ok := os.LookupEnv(envName(name)); ok {
		return true
	}
	set := false
	s.fs.Visit(func(f *flag.Flag) { set = set || f.Name == name })
	return set
}

// limitsConfig bounds what users may store (see calendar.Limits).
type limitsConfig struct {
	MinDateTime  string
	MaxDateTime  string
	QuotaBytes   int
	MaxAttendees int
	attendees    bool // MaxAttendees was registered (almanac serve)

	// The bounds on one object's recurrence and on the work of expanding
	// it for one write (see recurrence.Limits).
	MaxRules, MaxRecurrenceDates, MaxOverrides int
	WriteExpansionInstances                    int
	WriteExpansionTime                         time.Duration
}

func (c *limitsConfig) register(s *settings) {
	c.registerDates(s)
	s.Int(&c.QuotaBytes, "quota-bytes", DefaultQuotaBytes, "most bytes of calendar data each user may store (0: no quota)")
	c.attendees = true
	s.Int(&c.MaxAttendees, "max-attendees", calendar.DefaultMaxAttendees, "most attendees an event may invite when the server sends its invitations; CalDAV advertises it as max-attendees-per-instance")
	d := recurrence.DefaultLimits
	s.Int(&c.MaxRules, "max-rules", d.MaxRules, "most RRULE properties one component of an event may hold (clients write one)")
	s.Int(&c.MaxRecurrenceDates, "max-recurrence-dates", d.MaxDates, "most RDATE and EXDATE values one component may hold")
	s.Int(&c.MaxOverrides, "max-overrides", d.MaxOverrides, "most overridden instances (RECURRENCE-ID components) one object may hold")
	s.Int(&c.WriteExpansionInstances, "write-expansion-instances", d.WriteInstances, "most instances the rules of one object may produce while a write expands it")
	s.Duration(&c.WriteExpansionTime, "write-expansion-time", d.WriteTime, "longest one write may spend expanding an object's recurrence")
}

// recurrence returns the recurrence limits: the defaults, with the bounds
// on one object and on one write's expansion as configured. Without
// almanac serve's settings registered (almanac import), the defaults.
func (c *limitsConfig) recurrence() (recurrence.Limits, error) {
	lim := recurrence.DefaultLimits
	if !c.attendees {
		return lim, nil
	}
	for _, v := range []struct {
		name string
		n    int
	}{{"max-rules", c.MaxRules}, {"max-recurrence-dates", c.MaxRecurrenceDates}, {"max-overrides", c.MaxOverrides},
		{"write-expansion-instances", c.WriteExpansionInstances}} {
		if v.n < 1 {
			return lim, fmt.Errorf("--%s %d: want 1 or more", v.name, v.n)
		}
	}
	if c.WriteExpansionTime <= 0 {
		return lim, fmt.Errorf("--write-expansion-time %s: want a positive duration such as 5s", c.WriteExpansionTime)
	}
	lim.MaxRules, lim.MaxDates, lim.MaxOverrides = c.MaxRules, c.MaxRecurrenceDates, c.MaxOverrides
	lim.WriteInstances, lim.WriteTime = c.WriteExpansionInstances, c.WriteExpansionTime
	return lim, nil
}

// registerDates registers the date range alone, for almanac import: the
// administrator's import stores what the server accepts, but is not held
// to a user's quota.
func (c *limitsConfig) registerDates(s *settings) {
	s.String(&c.MinDateTime, "min-date-time", calendar.DefaultMinDateTime.Format(time.RFC3339), "earliest date and time (RFC 3339) an event may hold; CalDAV advertises it as min-date-time")
	s.String(&c.MaxDateTime, "max-date-time", calendar.DefaultMaxDateTime.Format(time.RFC3339), "latest date and time (RFC 3339) an event may hold; CalDAV advertises it as max-date-time")
}

func (c *limitsConfig) limits() (calendar.Limits, error) {
	var lim calendar.Limits
	var err error
	if lim.MinDateTime, err = time.Parse(time.RFC3339, c.MinDateTime); err != nil {
		return lim, fmt.Errorf("--min-date-time %q: want a date and time such as 1900-01-01T00:00:00Z", c.MinDateTime)
	}
	if lim.MaxDateTime, err = time.Parse(time.RFC3339, c.MaxDateTime); err != nil {
		return lim, fmt.Errorf("--max-date-time %q: want a date and time such as 2100-01-01T00:00:00Z", c.MaxDateTime)
	}
	if !lim.MinDateTime.Before(lim.MaxDateTime) {
		return lim, fmt.Errorf("--min-date-time %s is not before --max-date-time %s", c.MinDateTime, c.MaxDateTime)
	}
	if c.QuotaBytes < 0 {
		return lim, fmt.Errorf("--quota-bytes %d: want 0 (no quota) or more", c.QuotaBytes)
	}
	lim.QuotaBytes = int64(c.QuotaBytes)
	// Not registered for almanac import, which sends no invitations.
	if c.attendees && c.MaxAttendees < 1 {
		return lim, fmt.Errorf("--max-attendees %d: want 1 or more", c.MaxAttendees)
	}
	lim.MaxAttendees = c.MaxAttendees
	return lim, nil
}

// storageConfig says where state lives; every subcommand that touches the
// database shares it.
type storageConfig struct {
	DataDir     string
	DatabaseURL string
	MaxConns    int
}

func (c *storageConfig) register(s *settings) {
	s.String(&c.DataDir, "data-dir", "data", "directory for the embedded database and message bus")
	s.String(&c.DatabaseURL, "database-url", "", "postgres://… URL of a PostgreSQL database; empty: embedded SQLite file in the data directory")
	s.Int(&c.MaxConns, "db-max-conns", 0, "database connection pool size (0: backend default)")
}

// open opens the configured store, applying pending migrations.
func (c *storageConfig) open(ctx context.Context, maxConns int) (*store.Store, error) {
	if c.MaxConns > 0 {
		maxConns = c.MaxConns
	}
	return store.Open(ctx, c.url(), store.Options{MaxConns: maxConns})
}

// url is the database to open: PostgreSQL when configured, otherwise the
// SQLite file in the data directory.
func (c *storageConfig) url() string {
	if c.DatabaseURL != "" {
		return c.DatabaseURL
	}
	return filepath.Join(c.DataDir, "almanac.db")
}

// loginConfig is how failed logins are throttled and where clients are.
type loginConfig struct {
	TrustedProxies  string
	AccountFailures int
	AddressFailures int
	Lockout         time.Duration
	trusted         []netip.Prefix
	accountThrottle account.Throttle
	addressThrottle account.Throttle
}

func (c *loginConfig) register(s *settings) {
	s.String(&c.TrustedProxies, "trusted-proxies", "", "comma-separated addresses or CIDR prefixes of reverse proxies whose X-Forwarded-For or Forwarded header names the client; empty: the peer is the client")
	s.Int(&c.AccountFailures, "login-lockout-failures", account.DefaultAccountThrottle.LockAfter, "failed logins of one account after which it is locked for --login-lockout (from addresses it has not signed in from); earlier failures are answered ever more slowly")
	s.Int(&c.AddressFailures, "login-address-lockout-failures", account.DefaultAddressThrottle.LockAfter, "failed logins from one client address, over any accounts, after which it is locked for --login-lockout")
	s.Duration(&c.Lockout, "login-lockout", account.DefaultAccountThrottle.LockFor, "how long a lock-out lasts; one failure is forgotten per this much quiet")
}

// check parses the settings into what the services take.
func (c *loginConfig) check() error {
	var err error
	if c.trusted, err = httpserver.ParseTrustedProxies(c.TrustedProxies); err != nil {
		return fmt.Errorf("--trusted-proxies: %w", err)
	}
	if c.AccountFailures < 2 || c.AddressFailures < 2 || c.Lockout < time.Second {
		return fmt.Errorf("--login-lockout-failures and --login-address-lockout-failures must be 2 or more, --login-lockout a second or more")
	}
	c.accountThrottle = account.DefaultAccountThrottle
	c.accountThrottle.LockAfter, c.accountThrottle.LockFor = c.AccountFailures, c.Lockout
	c.addressThrottle = account.DefaultAddressThrottle
	c.addressThrottle.LockAfter, c.addressThrottle.LockFor = c.AddressFailures, c.Lockout
	return nil
}

// httpConfig bounds what one client may hold the server with.
type httpConfig struct {
	ReadHeaderTimeout time.Duration
	MaxHeaderBytes    int
	BodyTimeout       time.Duration
	ImportTimeout     time.Duration
}

func (c *httpConfig) register(s *settings) {
	s.Duration(&c.ReadHeaderTimeout, "read-header-timeout", httpserver.DefaultLimits.ReadHeaderTimeout, "how long a client may take to send a request's header")
	s.Int(&c.MaxHeaderBytes, "max-header-bytes", httpserver.DefaultLimits.MaxHeaderBytes, "largest request header")
	s.Duration(&c.BodyTimeout, "read-body-timeout", 30*time.Second, "how long a client may take to send a request's body (uploads other than imports)")
	s.Duration(&c.ImportTimeout, "import-read-timeout", 10*time.Minute, "how long a client may take to send a calendar file to import")
}

func (c *httpConfig) limits() httpserver.Limits {
	return httpserver.Limits{ReadHeaderTimeout: c.ReadHeaderTimeout, MaxHeaderBytes: c.MaxHeaderBytes}
}

// bodyBudget is how long a request may take to send its body, by kind:
// imports may be large; every other body is a calendar object, an event or
// a small document. Streams have no body, so they are not cut off.
func (c *httpConfig) bodyBudget(r *http.Request) time.Duration {
	if r.Method == http.MethodPost && strings.HasPrefix(r.URL.Path, "/api/v1/calendars/") && strings.HasSuffix(r.URL.Path, "/import") {
		return c.ImportTimeout
	}
	return c.BodyTimeout
}
