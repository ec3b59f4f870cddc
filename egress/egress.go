// Package egress makes the HTTP requests the server sends to addresses its
// users choose: calendar subscriptions and webhooks. Such a URL must not
// become a way into the server's own network (server-side request
// forgery), so by default every connection to a loopback, private,
// link-local or otherwise special address is refused. The check runs on the
// address actually dialled, after DNS resolution and on every redirect, so
// a hostname that resolves (or re-resolves) to an internal address is
// caught too.
package egress

import (
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/netip"
	"syscall"
	"time"
)

// ErrForbiddenAddress is returned for a connection to an address the
// client may not reach.
var ErrForbiddenAddress = errors.New("egress: address not allowed")

// ErrTooLarge is returned when a response body exceeds the limit.
var ErrTooLarge = errors.New("egress: response too large")

// Options configure a client.
type Options struct {
	// AllowPrivate permits loopback, private and link-local addresses:
	// for tests and for deployments whose feeds live on the internal
	// network. Off by default.
	AllowPrivate bool
	// Allow lists networks that may be reached although they are not
	// public (an intranet's feeds), when AllowPrivate is off.
	Allow        []netip.Prefix
	Timeout      time.Duration // whole request, default 30 s
	MaxRedirects int           // default 5
	UserAgent    string
}

// Client is an HTTP client that refuses forbidden addresses.
type Client struct {
	hc  *http.Client
	opt Options
}

// New returns a client.
func New(opt Options) *Client {
	if opt.Timeout == 0 {
		opt.Timeout = 30 * time.Second
	}
	if opt.MaxRedirects == 0 {
		opt.MaxRedirects = 5
	}
	if opt.UserAgent == "" {
		opt.UserAgent = "Almanac"
	}
	d := &net.Dialer{Timeout: 10 * time.Second, Control: control(opt.AllowPrivate, opt.Allow)}
	tr := &http.Transport{
		DialContext:           d.DialContext,
		Proxy:                 nil, // a proxy would dial on our behalf, past the check
		TLSHandshakeTimeout:   10 * time.Second,
		ResponseHeaderTimeout: 20 * time.Second,
		MaxIdleConnsPerHost:   4,
		IdleConnTimeout:       time.Minute,
	}
	hc := &http.Client{
		Transport: tr,
		Timeout:   opt.Timeout,
		CheckRedirect: func(req *http.Request, via []*http.Request) error {
			if len(via) >= opt.MaxRedirects {
				return fmt.Errorf("egress: more than %d redirects", opt.MaxRedirects)
			}
			if req.URL.Scheme != "http" && req.URL.Scheme != "https" {
				return fmt.Errorf("egress: redirect to %s: not http(s)", req.URL.Scheme)
			}
			return nil
		},
	}
	return &Client{hc: hc, opt: opt}
}

// Do sends req. Only http and https URLs are allowed.
func (c *Client) Do(req *http.Request) (*http.Response, error) {
	if req.URL.Scheme != "http" && req.URL.Scheme != "https" {
		return nil, fmt.Errorf("egress: %s URLs are not allowed", req.URL.Scheme)
	}
	if req.Header.Get("User-Agent") == "" {
		req.Header.Set("User-Agent", c.opt.UserAgent)
	}
	return c.hc.Do(req)
}

// ReadBody reads at most limit bytes of resp's body and closes it;
// a longer body is ErrTooLarge, without reading the rest.
func ReadBody(resp *http.Response, limit int64) ([]byte, error) {
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, limit+1))
	if err != nil {
		return nil, err
	}
	if int64(len(b)) > limit {
		return nil, fmt.Errorf("%w: over %d bytes", ErrTooLarge, limit)
	}
	return b, nil
}

// control checks every address the dialer is about to connect to.
func control(allowPrivate bool, allow []netip.Prefix) func(network, address string, _ syscall.RawConn) error {
	return func(network, address string, _ syscall.RawConn) error {
		ap, err := netip.ParseAddrPort(address)
		if err != nil {
			return fmt.Errorf("%w: %s", ErrForbiddenAddress, address)
		}
		if allowPrivate || Public(ap.Addr()) {
			return nil
		}
		for _, p := range allow {
			if p.Contains(ap.Addr().Unmap()) {
				return nil
			}
		}
		return fmt.Errorf("%w: %s is not a public address", ErrForbiddenAddress, ap.Addr())
	}
}

// Public reports whether addr is a globally routable unicast address:
// not loopback, private (RFC 1918, RFC 4193), link-local, CGNAT (RFC 6598),
// multicast, unspecified, documentation or otherwise reserved.
func Public(addr netip.Addr) bool {
	addr = addr.Unmap()
	if !addr.IsValid() || addr.IsLoopback() || addr.IsPrivate() || addr.IsLinkLocalUnicast() ||
		addr.IsLinkLocalMulticast() || addr.IsInterfaceLocalMulticast() || addr.IsMulticast() || addr.IsUnspecified() {
		return false
	}
	for _, p := range reserved {
		if p.Contains(addr) {
			return false
		}
	}
	return true
}

var reserved = func() []netip.Prefix {
	var out []netip.Prefix
	for _, s := range []string{
		"0.0.0.0/8", "100.64.0.0/10", "192.0.0.0/24", "192.0.2.0/24", "198.18.0.0/15",
		"198.51.100.0/24", "203.0.113.0/24", "240.0.0.0/4", "255.255.255.255/32",
		"64:ff9b::/96", "64:ff9b:1::/48", "100::/64", "2001::/23", "2001:db8::/32", "fc00::/7", "fec0::/10",
	} {
		out = append(out, netip.MustParsePrefix(s))
	}
	return out
}()
