package main

import (
	"bytes"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/almanac/almanac/calendar"
	"github.com/almanac/almanac/httpserver"
	"github.com/almanac/almanac/jsonapi"
	"github.com/go-chi/chi/v5"
	"github.com/prometheus/client_golang/prometheus"
)

// The tokens of mailed links never reach the access log, even at debug
// level, whatever the handler answers.
func TestCapabilityLinksHiddenFromLog(t *testing.T) {
	var logs bytes.Buffer
	log := slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	r := chi.NewRouter()
	r.Use(httpserver.Observe(log, httpserver.NewMetrics(prometheus.NewRegistry())))
	capabilityLinks(r, jsonapi.New(nil, calendar.New(nil, calendar.Options{}), jsonapi.Options{}))
	for _, path := range []string{"/rsvp/SECRET-TOKEN-1", "/rsvp/SECRET-TOKEN-2/more"} {
		r.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest("GET", path, nil))
	}
	if strings.Contains(logs.String(), "SECRET-TOKEN") || !strings.Contains(logs.String(), "msg=request") {
		t.Fatalf("access log:\n%s", logs.String())
	}
}

// /metrics is not public unless a token guards it; the admin listener has
// it.
func TestPublicMetrics(t *testing.T) {
	metrics := http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { io.WriteString(w, "almanac_up 1\n") })
	get := func(h http.Handler, auth string) int {
		req := httptest.NewRequest("GET", "/metrics", nil)
		if auth != "" {
			req.Header.Set("Authorization", auth)
		}
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		return rec.Code
	}
	if code := get(publicMetrics("", metrics), ""); code != 404 {
		t.Errorf("no token: %d", code)
	}
	guarded := publicMetrics("s3cret", metrics)
	for auth, want := range map[string]int{"": 401, "Bearer wrong": 401, "Bearer s3cret": 200} {
		if code := get(guarded, auth); code != want {
			t.Errorf("%q: %d, want %d", auth, code, want)
		}
	}
}

// Session cookies are Secure when people reach the server over HTTPS,
// unless the operator says otherwise.
func TestSecureCookiesFollowPublicURL(t *testing.T) {
	for _, tc := range []struct {
		args []string
		env  string
		want bool
	}{
		{nil, "", false},
		{[]string{"--public-url", "https://cal.example.com"}, "", true},
		{[]string{"--public-url", "http://cal.example.com"}, "", false},
		{[]string{"--public-url", "https://cal.example.com", "--secure-cookies=false"}, "", false},
		{[]string{"--public-url", "https://cal.example.com"}, "false", false},
		{[]string{"--secure-cookies"}, "", true},
	} {
		if tc.env != "" {
			t.Setenv("ALMANAC_SECURE_COOKIES", tc.env)
		}
		s := newSettings("almanac serve", serveUsage)
		s.fs.SetOutput(io.Discard)
		var cfg serveConfig
		cfg.register(s)
		if err := s.Parse(tc.args); err != nil {
			t.Fatal(err)
		}
		cfg.secureCookiesSet = s.isSet("secure-cookies")
		if got := cfg.secureCookies(); got != tc.want {
			t.Errorf("%v %q: Secure %v, want %v", tc.args, tc.env, got, tc.want)
		}
	}
}
