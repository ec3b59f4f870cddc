package main

import (
	"io"
	"net/http"
	"regexp"
	"strings"
	"testing"
)

// TestServeWebClient checks that the web client is the fallback route and
// shadows none of the server's own paths.
func TestServeWebClient(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the binary")
	}
	n := startNode(t, buildBinary(t), []string{"ALMANAC_DATA_DIR=" + t.TempDir(), "ALMANAC_DATABASE_URL=", "ALMANAC_NATS_URL="})
	defer n.stop(t)
	noRedirect := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	fetch := func(path string) (*http.Response, string) {
		t.Helper()
		req, _ := http.NewRequest(http.MethodGet, n.url+path, nil)
		resp, err := noRedirect.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp, string(b)
	}

	var index string
	for _, p := range []string{"/", "/week/2027-03-01", "/settings"} {
		resp, body := fetch(p)
		if resp.StatusCode != 200 || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/html") || !strings.Contains(body, `<div id="app">`) {
			t.Fatalf("GET %s: %d %s, not the client", p, resp.StatusCode, resp.Header.Get("Content-Type"))
		}
		index = body
	}
	js := regexp.MustCompile(`/assets/[^"]+\.js`).FindString(index)
	if resp, _ := fetch(js); js == "" || resp.StatusCode != 200 || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/javascript") {
		t.Fatalf("GET %q: not the script", js)
	}

	for _, c := range []struct {
		path   string
		status int
		ctype  string
	}{
		{"/api/v1/users/me", 401, "application/problem+json"},
		{"/api/v1/no-such-thing", 404, "application/problem+json"},
		{"/dav/", 401, ""},
		{"/.well-known/caldav", 301, ""},
		{"/healthz", 200, ""},
		{"/metrics", 404, "text/plain"}, // on --admin-listen, or with --metrics-token
		{"/assets/missing.js", 404, "text/plain"},
	} {
		resp, _ := fetch(c.path)
		ct := resp.Header.Get("Content-Type")
		if c.status == 301 {
			if resp.StatusCode != 301 || !strings.HasPrefix(resp.Header.Get("Location"), "/dav") {
				t.Errorf("GET %s: %d to %q, want a redirect to /dav", c.path, resp.StatusCode, resp.Header.Get("Location"))
			}
			continue
		}
		if resp.StatusCode != c.status || strings.HasPrefix(ct, "text/html") || !strings.HasPrefix(ct, c.ctype) {
			t.Errorf("GET %s: %d %q, want %d %q", c.path, resp.StatusCode, ct, c.status, c.ctype)
		}
	}
}
