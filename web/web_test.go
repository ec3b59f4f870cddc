package web

import (
	"compress/gzip"
	"io"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"
)

func get(t *testing.T, h http.Handler, path string, hdr ...string) *http.Response {
	t.Helper()
	req := httptest.NewRequest(http.MethodGet, path, nil)
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return rec.Result()
}

func body(t *testing.T, r *http.Response) string {
	t.Helper()
	var rd io.Reader = r.Body
	if r.Header.Get("Content-Encoding") == "gzip" {
		zr, err := gzip.NewReader(r.Body)
		if err != nil {
			t.Fatal(err)
		}
		rd = zr
	}
	b, err := io.ReadAll(rd)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestIndexForClientRoutes(t *testing.T) {
	h := Handler()
	for _, p := range []string{"/", "/index.html", "/calendar/2026/03", "/settings", "/week/2026-03-02", "/search"} {
		r := get(t, h, p)
		if r.StatusCode != http.StatusOK {
			t.Fatalf("%s: %d", p, r.StatusCode)
		}
		if ct := r.Header.Get("Content-Type"); ct != "text/html; charset=utf-8" {
			t.Errorf("%s: Content-Type %q", p, ct)
		}
		if cc := r.Header.Get("Cache-Control"); cc != "no-cache" {
			t.Errorf("%s: Cache-Control %q", p, cc)
		}
		if !strings.Contains(r.Header.Get("Content-Security-Policy"), "script-src 'self'") {
			t.Errorf("%s: no CSP", p)
		}
		if b := body(t, r); !strings.Contains(b, `<div id="app">`) {
			t.Errorf("%s: not the client's index.html: %.200s", p, b)
		}
	}
}

func TestAssets(t *testing.T) {
	h := Handler()
	index := body(t, get(t, h, "/"))
	js := regexp.MustCompile(`/assets/[^"]+\.js`).FindString(index)
	css := regexp.MustCompile(`/assets/[^"]+\.css`).FindString(index)
	if js == "" || css == "" {
		t.Fatalf("index.html names no script or style sheet:\n%s", index)
	}
	for path, ctype := range map[string]string{js: "text/javascript; charset=utf-8", css: "text/css; charset=utf-8"} {
		r := get(t, h, path, "Accept-Encoding", "gzip, br")
		if r.StatusCode != http.StatusOK {
			t.Fatalf("%s: %d", path, r.StatusCode)
		}
		if got := r.Header.Get("Content-Type"); got != ctype {
			t.Errorf("%s: Content-Type %q, want %q", path, got, ctype)
		}
		if got := r.Header.Get("Cache-Control"); got != "public, max-age=31536000, immutable" {
			t.Errorf("%s: Cache-Control %q", path, got)
		}
		if r.Header.Get("Content-Encoding") != "gzip" || r.Header.Get("Vary") != "Accept-Encoding" {
			t.Errorf("%s: not compressed: %v", path, r.Header)
		}
		if len(body(t, r)) < 100 {
			t.Errorf("%s: empty", path)
		}
		plain := get(t, h, path)
		if plain.Header.Get("Content-Encoding") != "" {
			t.Errorf("%s: compressed for a client that did not ask", path)
		}
		etag := plain.Header.Get("ETag")
		if etag == "" {
			t.Fatalf("%s: no ETag", path)
		}
		if r := get(t, h, path, "If-None-Match", etag); r.StatusCode != http.StatusNotModified {
			t.Errorf("%s with If-None-Match: %d", path, r.StatusCode)
		}
	}
	if r := get(t, h, "/favicon.svg"); r.StatusCode != http.StatusOK || r.Header.Get("Content-Type") != "image/svg+xml" {
		t.Errorf("favicon: %d %q", r.StatusCode, r.Header.Get("Content-Type"))
	}
}

func TestMissingFiles(t *testing.T) {
	h := Handler()
	for _, p := range []string{"/assets/nothing.js", "/robots.txt", "/assets/"} {
		if r := get(t, h, p); r.StatusCode != http.StatusNotFound {
			t.Errorf("%s: %d, want 404", p, r.StatusCode)
		}
	}
	req := httptest.NewRequest(http.MethodPost, "/", strings.NewReader("x"))
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	if rec.Code != http.StatusMethodNotAllowed {
		t.Errorf("POST /: %d", rec.Code)
	}
}

func TestAcceptsGzip(t *testing.T) {
	for in, want := range map[string]bool{
		"": false, "gzip": true, "br, gzip;q=0.5": true, "gzip;q=0": false, "GZIP ; q=0.0": false, "deflate": false, "x-gzip": false,
	} {
		req := httptest.NewRequest(http.MethodGet, "/", nil)
		req.Header.Set("Accept-Encoding", in)
		if got := acceptsGzip(req); got != want {
			t.Errorf("acceptsGzip(%q) = %v, want %v", in, got, want)
		}
	}
}
