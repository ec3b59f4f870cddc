package main

import (
	"context"
	"crypto/tls"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/almanac/almanac/bus"
	"github.com/almanac/almanac/mailer"
	"github.com/almanac/almanac/secret"
	"github.com/almanac/almanac/store"
)

const configUsage = `Usage: almanac config check [serve flags]
       almanac config show [serve flags]

Both take the settings "almanac serve" takes, as flags and ALMANAC_*
variables, and print the configuration the server would run with, where
each value comes from, and secrets masked.

check also validates the settings and reaches what the server needs: the
database (its schema version), NATS, the SMTP relay (TLS and login), the
TLS certificate or ACME CA. It changes nothing (no migration, no file
made) and exits 1 when a check fails.`

func runConfig(args []string, _ io.Reader, stdout, stderr io.Writer) int {
	if len(args) == 0 || (args[0] != "check" && args[0] != "show") {
		fmt.Fprintln(stderr, configUsage)
		if len(args) > 0 && (args[0] == "-h" || args[0] == "--help") {
			return 0
		}
		return 2
	}
	s := newSettings("almanac config "+args[0], configUsage)
	s.fs.SetOutput(stderr)
	var cfg serveConfig
	cfg.register(s)
	if err := s.Parse(args[1:]); err != nil {
		return exitUsage(err, stderr)
	}
	cfg.tlsDefaults(s)
	derived := map[string]string{}
	if cfg.SecureCookies && !s.isSet("secure-cookies") {
		derived["secure-cookies"] = "true (serving HTTPS)"
	}
	printSettings(stdout, s, derived)
	if args[0] == "show" {
		return 0
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	fmt.Fprintln(stdout, "\nChecks:")
	tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
	failed := false
	for _, c := range configChecks(&cfg) {
		detail, err := c.run(ctx)
		status := "ok"
		if err != nil {
			status, detail, failed = "FAIL", err.Error(), true
		}
		fmt.Fprintf(tw, "  %s\t%s\t%s\n", status, c.name, detail)
	}
	_ = tw.Flush()
	if failed {
		return 1
	}
	return 0
}

// printSettings lists every setting with its effective value and where it
// comes from; derived holds values implied by other settings.
func printSettings(w io.Writer, s *settings, derived map[string]string) {
	fmt.Fprintln(w, "Settings (value, and where it comes from; secrets masked):")
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	onCommandLine := map[string]bool{}
	s.fs.Visit(func(f *flag.Flag) { onCommandLine[f.Name] = true })
	s.fs.VisitAll(func(f *flag.Flag) {
		from := "default"
		if onCommandLine[f.Name] {
			from = "flag --" + f.Name
		} else if _, ok := os.LookupEnv(envName(f.Name)); ok {
			from = envName(f.Name)
		}
		v := mask(f.Name, f.Value.String())
		if d, ok := derived[f.Name]; ok {
			v, from = d, "implied"
		}
		if v == "" {
			v = `""`
		}
		fmt.Fprintf(tw, "  %s\t%s\t%s\n", f.Name, v, from)
	})
	_ = tw.Flush()
}

// mask hides secrets: settings named for a password, secret or token
// (paths of files that hold them excepted), and the credentials in URLs.
func mask(name, value string) string {
	if value == "" || strings.HasSuffix(name, "-file") {
		return value
	}
	for _, word := range []string{"password", "secret", "token"} {
		if strings.Contains(name, word) {
			return "********"
		}
	}
	if strings.HasSuffix(name, "-url") {
		return maskURL(value)
	}
	return value
}

// maskURL hides the password of a URL (a NATS URL's user name alone is a
// token) and password parameters.
func maskURL(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return "********" // cannot tell where a secret would be
	}
	if u.User != nil {
		if _, ok := u.User.Password(); ok {
			u.User = url.UserPassword(u.User.Username(), "********")
		} else if strings.HasPrefix(u.Scheme, "nats") {
			u.User = url.User("********")
		}
	}
	q := u.Query()
	for k := range q {
		if strings.Contains(strings.ToLower(k), "password") {
			q.Set(k, "********")
		}
	}
	if len(q) > 0 {
		u.RawQuery = q.Encode()
	}
	return strings.ReplaceAll(u.String(), "%2A", "*")
}

// configCheck is one thing "almanac config check" verifies.
type configCheck struct {
	name string
	run  func(ctx context.Context) (string, error)
}

func configChecks(cfg *serveConfig) []configCheck {
	return []configCheck{
		{"settings", cfg.checkSettings},
		{"data directory", func(context.Context) (string, error) { return checkDir(cfg.storage.DataDir) }},
		{"database", cfg.checkDatabase},
		{"secret key", cfg.checkSecretKey},
		{"nats", cfg.checkNATS},
		{"smtp", cfg.checkSMTP},
		{"tls", cfg.checkTLS},
	}
}

// checkSettings runs the validation "almanac serve" does before it starts.
func (cfg *serveConfig) checkSettings(context.Context) (string, error) {
	var errs []error
	add := func(err error) {
		if err != nil {
			errs = append(errs, err)
		}
	}
	_, err := newLogger(io.Discard, cfg.LogLevel, cfg.LogFormat)
	add(err)
	_, err = cfg.Limits.limits()
	add(err)
	_, err = cfg.Limits.recurrence()
	add(err)
	_, err = cfg.Feeds.options()
	add(err)
	add(cfg.TLS.check(cfg.Mail.PublicURL))
	if _, _, err := net.SplitHostPort(cfg.Listen); err != nil {
		add(fmt.Errorf("--listen %q: %w", cfg.Listen, err))
	}
	if cfg.Mail.PublicURL != "" {
		if u, err := url.Parse(cfg.Mail.PublicURL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			add(fmt.Errorf("--public-url %q: want http:// or https:// and a host", cfg.Mail.PublicURL))
		}
	}
	add(cfg.Mail.checkInvitations())
	if cfg.Mail.RSVPSecret != "" {
		_, err := rsvpSecret(cfg.Mail.RSVPSecret, "")
		add(err)
	}
	if cfg.Secrets.Key != "" {
		_, err := cfg.Secrets.keys("")
		add(err)
	}
	if err := errors.Join(errs...); err != nil {
		return "", err
	}
	return "valid; public URL " + cfg.publicURL(), nil
}

// publicURL is the URL people reach the server at.
func (cfg *serveConfig) publicURL() string {
	if cfg.Mail.PublicURL != "" {
		return cfg.Mail.PublicURL
	}
	return cfg.defaultPublicURL()
}

// checkDir says whether the server can write in dir, or make it.
func checkDir(dir string) (string, error) {
	fi, err := os.Stat(dir)
	if errors.Is(err, os.ErrNotExist) {
		parent := filepath.Dir(filepath.Clean(dir))
		if _, err := checkDir(parent); err != nil {
			return "", fmt.Errorf("%s does not exist and cannot be made: %w", dir, err)
		}
		return dir + " does not exist yet; made on first start", nil
	}
	if err != nil {
		return "", err
	}
	if !fi.IsDir() {
		return "", fmt.Errorf("%s is not a directory", dir)
	}
	f, err := os.CreateTemp(dir, ".almanac-check-*")
	if err != nil {
		return "", fmt.Errorf("cannot write in %s: %w", dir, err)
	}
	f.Close()
	_ = os.Remove(f.Name())
	return dir + " is writable", nil
}

func (cfg *serveConfig) checkDatabase(ctx context.Context) (string, error) {
	where := maskURL(cfg.storage.url())
	p, err := store.ProbeDatabase(ctx, cfg.storage.url())
	switch {
	case err != nil:
		return "", err
	case !p.Exists:
		return fmt.Sprintf("%s %s does not exist yet; made on first start", p.Dialect, where), nil
	case p.Version > p.Latest:
		return "", fmt.Errorf("%s %s is at schema version %d, newer than this binary's %d: run a newer almanac", p.Dialect, where, p.Version, p.Latest)
	case p.Version < p.Latest:
		return fmt.Sprintf("%s %s answers; schema version %d, %d migrations to apply at start (or almanac migrate)", p.Dialect, where, p.Version, p.Latest-p.Version), nil
	}
	return fmt.Sprintf("%s %s answers; schema version %d (current)", p.Dialect, where, p.Version), nil
}

func (cfg *serveConfig) checkSecretKey(context.Context) (string, error) {
	if cfg.Secrets.Key != "" {
		return "from --secret-key", nil
	}
	path := cfg.Secrets.file(cfg.storage.DataDir)
	if _, err := os.Stat(path); errors.Is(err, os.ErrNotExist) {
		return path + " does not exist yet; made on first start (every node needs the same key)", nil
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return "", err
	}
	keys, err := secret.ParseKeys(string(data))
	if err != nil || len(keys) == 0 {
		return "", fmt.Errorf("%s holds no valid key: %v", path, err)
	}
	return fmt.Sprintf("%s (%d keys)", path, len(keys)), nil
}

func (cfg *serveConfig) checkNATS(ctx context.Context) (string, error) {
	if cfg.NATSURL == "" {
		return "embedded server (JetStream in " + filepath.Join(cfg.storage.DataDir, "nats") + ")", nil
	}
	b, err := bus.Open(ctx, bus.Options{URL: cfg.NATSURL, Name: "almanac config check"})
	if err != nil {
		return "", err
	}
	defer b.Close()
	if err := b.Ping(ctx); err != nil {
		return "", err
	}
	return maskURL(cfg.NATSURL) + " answers", nil
}

func (cfg *serveConfig) checkSMTP(ctx context.Context) (string, error) {
	mc := cfg.SMTP
	mc.HeloName = cfg.heloName()
	if mc.Host == "" {
		mc.DropDir = filepath.Join(cfg.storage.DataDir, "mail-out")
	}
	m, err := mailer.New(mc)
	if err != nil {
		return "", err
	}
	return m.Check(ctx)
}

func (cfg *serveConfig) checkTLS(ctx context.Context) (string, error) {
	c := &cfg.TLS
	switch {
	case c.CertFile != "":
		return checkCertFiles(c.CertFile, c.KeyFile)
	case c.ACME:
		return checkACME(ctx, c.ACMEDirectory, cfg.Mail.PublicURL)
	}
	return "off: plain HTTP (put a TLS proxy in front, or see --tls-cert and --acme)", nil
}

func checkCertFiles(certFile, keyFile string) (string, error) {
	pair, err := tls.LoadX509KeyPair(certFile, keyFile)
	if err != nil {
		return "", fmt.Errorf("--tls-cert %s, --tls-key %s: %w", certFile, keyFile, err)
	}
	leaf := pair.Leaf
	names := append(append([]string{}, leaf.DNSNames...), fmt.Sprint(leaf.IPAddresses))
	if time.Now().After(leaf.NotAfter) {
		return "", fmt.Errorf("%s expired on %s", certFile, leaf.NotAfter.Format(time.DateOnly))
	}
	return fmt.Sprintf("certificate for %s until %s", strings.Join(names, " "), leaf.NotAfter.Format(time.DateOnly)), nil
}

// checkACME fetches the CA's directory, as the first step of obtaining a
// certificate does.
func checkACME(ctx context.Context, directory, publicURL string) (string, error) {
	host, err := acmeHost(publicURL)
	if err != nil {
		return "", err
	}
	req, err := http.NewRequestWithContext(ctx, "GET", directory, nil)
	if err != nil {
		return "", fmt.Errorf("--acme-directory %q: %w", directory, err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return "", fmt.Errorf("ACME directory %s: %w", directory, err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return "", fmt.Errorf("ACME directory %s: %s", directory, resp.Status)
	}
	return fmt.Sprintf("certificates for %s from %s (reachable)", host, directory), nil
}
