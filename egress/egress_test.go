package egress

import (
	"errors"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strings"
	"testing"
)

func TestPublic(t *testing.T) {
	for addr, want := range map[string]bool{
		"8.8.8.8": true, "1.1.1.1": true, "2606:4700:4700::1111": true,
		"127.0.0.1": false, "10.1.2.3": false, "172.16.0.1": false, "192.168.1.1": false,
		"169.254.169.254": false, "100.64.0.1": false, "0.0.0.0": false, "::1": false,
		"fe80::1": false, "fd00::1": false, "::ffff:127.0.0.1": false, "::ffff:10.0.0.1": false,
		"224.0.0.1": false, "192.0.2.5": false, "2001:db8::1": false, "255.255.255.255": false,
	} {
		if got := Public(netip.MustParseAddr(addr)); got != want {
			t.Errorf("Public(%s) = %v, want %v", addr, got, want)
		}
	}
}

func TestRefusesLoopbackUnlessAllowed(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/redirect" {
			http.Redirect(w, r, "/", http.StatusFound)
			return
		}
		_, _ = w.Write([]byte(strings.Repeat("x", 100)))
	}))
	defer srv.Close()

	req, _ := http.NewRequest("GET", srv.URL, nil)
	if _, err := New(Options{}).Do(req); !errors.Is(err, ErrForbiddenAddress) {
		t.Fatalf("loopback with the default options: %v", err)
	}
	// A public-looking name that resolves to loopback is caught at dial time.
	req, _ = http.NewRequest("GET", strings.Replace(srv.URL, "127.0.0.1", "localhost", 1), nil)
	if _, err := New(Options{}).Do(req); !errors.Is(err, ErrForbiddenAddress) {
		t.Fatalf("localhost: %v", err)
	}
	c := New(Options{AllowPrivate: true})
	req, _ = http.NewRequest("GET", srv.URL+"/redirect", nil)
	resp, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := ReadBody(resp, 50); !errors.Is(err, ErrTooLarge) {
		t.Fatalf("limit: %v", err)
	}
	req, _ = http.NewRequest("GET", "file:///etc/passwd", nil)
	if _, err := c.Do(req); err == nil {
		t.Fatal("file URL accepted")
	}
}

// TestRedirectToPrivateAddress follows a redirect from an allowed address
// to one that is not: the second connection is refused.
func TestRedirectToPrivateAddress(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		port := strings.TrimPrefix(hostPort(r), ":")
		http.Redirect(w, r, "http://127.0.0.2:"+port+"/secret", http.StatusFound)
	}))
	defer srv.Close()
	c := New(Options{Allow: []netip.Prefix{netip.MustParsePrefix("127.0.0.1/32")}})
	req, _ := http.NewRequest("GET", srv.URL+"/feed.ics", nil)
	if _, err := c.Do(req); !errors.Is(err, ErrForbiddenAddress) || !strings.Contains(err.Error(), "127.0.0.2") {
		t.Fatalf("redirect to 127.0.0.2: %v", err)
	}
}

func hostPort(r *http.Request) string {
	_, port, _ := strings.Cut(r.Host, ":")
	return port
}
