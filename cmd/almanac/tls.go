package main

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/almanac/almanac/httpserver"
	"golang.org/x/crypto/acme"
	"golang.org/x/crypto/acme/autocert"
)

// tlsConfig says how the server serves HTTPS itself: with a certificate
// from files, or with certificates it obtains and renews from an ACME CA
// (Let's Encrypt unless told otherwise). Neither: plain HTTP, for a TLS
// proxy in front or a trial on localhost.
type tlsConfig struct {
	CertFile, KeyFile string
	ACME              bool
	ACMEDirectory     string
	ACMEEmail         string
	ACMEHTTPListen    string
	ACMECache         string
	HSTSMaxAge        time.Duration
}

func (c *tlsConfig) register(s *settings) {
	s.String(&c.CertFile, "tls-cert", "", "PEM certificate chain to serve HTTPS with on --listen (with --tls-key); read again when the file changes")
	s.String(&c.KeyFile, "tls-key", "", "PEM private key of --tls-cert")
	s.Bool(&c.ACME, "acme", false, "serve HTTPS with certificates obtained and renewed automatically from an ACME CA for the host of --public-url (https://…); the CA must reach --listen on port 443 (TLS-ALPN-01) or --acme-http-listen on port 80 (HTTP-01)")
	s.String(&c.ACMEDirectory, "acme-directory", autocert.DefaultACMEDirectory, "directory URL of the ACME CA (e.g. a staging CA to try things out)")
	s.String(&c.ACMEEmail, "acme-email", "", "contact address given to the ACME CA, for notices about certificates")
	s.String(&c.ACMEHTTPListen, "acme-http-listen", ":80", "with --acme: plain HTTP address that answers HTTP-01 challenges and redirects everything else to HTTPS; empty: TLS-ALPN-01 only")
	s.String(&c.ACMECache, "acme-cache", "", "with --acme: directory keeping the ACME account key and the certificates (default DATA_DIR/acme)")
	s.Duration(&c.HSTSMaxAge, "hsts-max-age", 365*24*time.Hour, "Strict-Transport-Security max-age sent over HTTPS (0: none)")
}

// enabled reports whether the server terminates TLS itself.
func (c *tlsConfig) enabled() bool { return c.ACME || c.CertFile != "" || c.KeyFile != "" }

// scheme is the scheme of the server's own URL.
func (c *tlsConfig) scheme() string {
	if c.enabled() {
		return "https"
	}
	return "http"
}

// check validates the settings without touching the network.
func (c *tlsConfig) check(publicURL string) error {
	if c.ACME && (c.CertFile != "" || c.KeyFile != "") {
		return errors.New("--acme and --tls-cert/--tls-key exclude each other")
	}
	if (c.CertFile == "") != (c.KeyFile == "") {
		return errors.New("--tls-cert and --tls-key go together")
	}
	if c.ACME {
		_, err := acmeHost(publicURL)
		return err
	}
	return nil
}

// acmeHost is the host that certificates are obtained for: that of the
// public URL, which must be https.
func acmeHost(publicURL string) (string, error) {
	u, err := url.Parse(publicURL)
	if err != nil || u.Scheme != "https" || u.Hostname() == "" {
		return "", fmt.Errorf("--acme needs --public-url https://HOST (the name certificates are obtained for), not %q", publicURL)
	}
	if net.ParseIP(u.Hostname()) != nil {
		return "", fmt.Errorf("--acme needs a host name in --public-url, not the address %s", u.Hostname())
	}
	return u.Hostname(), nil
}

// tlsDefaults applies what serving HTTPS implies for other settings:
// session cookies are Secure unless --secure-cookies says otherwise.
func (c *serveConfig) tlsDefaults(s *settings) {
	if c.TLS.enabled() && !s.isSet("secure-cookies") {
		c.SecureCookies = true
	}
}

// defaultPublicURL is where the server is reached when --public-url is not
// set: its listen address, with the scheme it serves.
func (c *serveConfig) defaultPublicURL() string {
	return c.TLS.scheme() + "://" + c.Listen
}

// listen wraps ln in TLS when the server serves HTTPS; with ACME it also
// starts the HTTP-01 listener, which stops with ctx.
func (c *tlsConfig) listen(ctx context.Context, ln net.Listener, publicURL, dataDir string, log *slog.Logger) (net.Listener, error) {
	if !c.enabled() {
		return ln, nil
	}
	if err := c.check(publicURL); err != nil {
		return nil, err
	}
	var cfg *tls.Config
	var err error
	if c.ACME {
		cfg, err = c.acmeConfig(ctx, publicURL, dataDir, log)
	} else {
		cfg, err = certFileConfig(c.CertFile, c.KeyFile)
	}
	if err != nil {
		return nil, err
	}
	cfg.MinVersion = tls.VersionTLS12
	return tls.NewListener(ln, cfg), nil
}

// acmeConfig sets up the certificate manager and its HTTP-01 listener.
func (c *tlsConfig) acmeConfig(ctx context.Context, publicURL, dataDir string, log *slog.Logger) (*tls.Config, error) {
	host, err := acmeHost(publicURL)
	if err != nil {
		return nil, err
	}
	cache := c.ACMECache
	if cache == "" {
		cache = filepath.Join(dataDir, "acme")
	}
	m := &autocert.Manager{
		Prompt:     autocert.AcceptTOS,
		Cache:      autocert.DirCache(cache),
		HostPolicy: hostOnly(host),
		Email:      c.ACMEEmail,
		Client:     &acme.Client{DirectoryURL: c.ACMEDirectory, UserAgent: "Almanac"},
	}
	if c.ACMEHTTPListen != "" {
		hl, err := net.Listen("tcp", c.ACMEHTTPListen)
		if err != nil {
			return nil, fmt.Errorf("--acme-http-listen %s (HTTP-01 challenges; empty: TLS-ALPN-01 only): %w", c.ACMEHTTPListen, err)
		}
		h := m.HTTPHandler(nil) // challenges, and a redirect to HTTPS for the rest
		go func() {
			if err := httpserver.Serve(ctx, hl, h, time.Second, log); err != nil {
				log.Warn("ACME HTTP listener stopped", "err", err)
			}
		}()
		log.Info("answering ACME HTTP-01 challenges", "addr", hl.Addr().String())
	}
	log.Info("certificates from ACME", "host", host, "directory", c.ACMEDirectory, "cache", cache)
	return m.TLSConfig(), nil
}

// hostOnly allows certificates for host alone. The Host header of an
// HTTP-01 challenge carries a port when the CA validates on another than
// 80 (a test CA, a port forward); the port is not part of the name.
func hostOnly(host string) autocert.HostPolicy {
	allow := autocert.HostWhitelist(host)
	return func(ctx context.Context, h string) error {
		if name, _, err := net.SplitHostPort(h); err == nil {
			h = name
		}
		return allow(ctx, h)
	}
}

// certFileConfig serves the certificate in certFile, loaded now (so that a
// wrong file stops the start) and again whenever either file changes, so
// that a renewal by another tool needs no restart.
func certFileConfig(certFile, keyFile string) (*tls.Config, error) {
	r := &certReloader{certFile: certFile, keyFile: keyFile}
	if _, err := r.get(); err != nil {
		return nil, err
	}
	return &tls.Config{
		GetCertificate: func(*tls.ClientHelloInfo) (*tls.Certificate, error) { return r.get() },
		NextProtos:     []string{"h2", "http/1.1"},
	}, nil
}

// certReloader keeps the certificate of a pair of files, loaded again when
// their modification times change.
type certReloader struct {
	certFile, keyFile string
	mu                sync.Mutex
	cert              *tls.Certificate
	certMod, keyMod   time.Time
}

func (r *certReloader) get() (*tls.Certificate, error) {
	cm, err := modTime(r.certFile)
	if err != nil {
		return r.stale(err)
	}
	km, err := modTime(r.keyFile)
	if err != nil {
		return r.stale(err)
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.cert != nil && cm.Equal(r.certMod) && km.Equal(r.keyMod) {
		return r.cert, nil
	}
	cert, err := tls.LoadX509KeyPair(r.certFile, r.keyFile)
	if err != nil {
		if r.cert != nil {
			// Halfway through a renewal (one file written, not yet the
			// other): keep serving the old pair until both match.
			return r.cert, nil
		}
		return nil, fmt.Errorf("--tls-cert %s, --tls-key %s: %w", r.certFile, r.keyFile, err)
	}
	r.cert, r.certMod, r.keyMod = &cert, cm, km
	return r.cert, nil
}

// stale serves the certificate loaded before when a file cannot be read
// for a moment (replaced by a rename).
func (r *certReloader) stale(err error) (*tls.Certificate, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.cert != nil {
		return r.cert, nil
	}
	return nil, err
}

func modTime(path string) (time.Time, error) {
	fi, err := os.Stat(path)
	if err != nil {
		return time.Time{}, err
	}
	return fi.ModTime(), nil
}
