package httpserver

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/go-chi/chi/v5"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
)

func TestObserve(t *testing.T) {
	var logs bytes.Buffer
	log := slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	reg := prometheus.NewRegistry()
	m := NewMetrics(reg)
	r := chi.NewRouter()
	r.Use(Observe(log, m))
	r.Get("/items/{id}", func(w http.ResponseWriter, r *http.Request) {
		Logger(r.Context()).Info("handling")
		_, _ = w.Write([]byte("ok"))
	})
	r.Get("/boom", func(http.ResponseWriter, *http.Request) { panic("boom") })

	for _, tc := range []struct{ path, reqID string }{{"/items/1", "abc-123"}, {"/items/2", "bad id with spaces"}} {
		req := httptest.NewRequest("GET", tc.path, nil)
		req.Header.Set("X-Request-Id", tc.reqID)
		rec := httptest.NewRecorder()
		r.ServeHTTP(rec, req)
		got := rec.Header().Get("X-Request-Id")
		if tc.reqID == "abc-123" && got != "abc-123" || tc.reqID != "abc-123" && (got == tc.reqID || got == "") {
			t.Errorf("request id for %q: %q", tc.reqID, got)
		}
	}
	if !strings.Contains(logs.String(), "request_id=abc-123") {
		t.Errorf("handler log lacks the request id:\n%s", logs.String())
	}
	rec := httptest.NewRecorder()
	r.ServeHTTP(rec, httptest.NewRequest("GET", "/boom", nil))
	if rec.Code != 500 || !strings.Contains(logs.String(), "panic") {
		t.Fatalf("panic: %d", rec.Code)
	}
	if n := testutil.ToFloat64(m.requests.WithLabelValues("GET", "/items/{id}", "200")); n != 2 {
		t.Errorf("requests by route pattern: %v", n)
	}
}

func TestReadyz(t *testing.T) {
	var logs bytes.Buffer
	log := slog.New(slog.NewTextHandler(&logs, nil))
	busErr := errors.New("nats: no server at nats://10.1.2.3:4222")
	var dbErr error
	db := Check{Name: "database", Ping: func(context.Context) error { return dbErr }}
	bus := Check{Name: "bus", Optional: true, Ping: func(context.Context) error { return busErr }}
	ready := Readyz(log, db, bus)
	for _, tc := range []struct {
		dbErr error
		code  int
		body  string
	}{
		{nil, 200, `{"status":"degraded","checks":{"bus":"degraded","database":"ok"}}`},
		{nil, 200, `{"status":"degraded","checks":{"bus":"degraded","database":"ok"}}`},
		{errors.New("dial tcp db.internal:5432: user almanac"), 503, `{"status":"unavailable","checks":{"bus":"degraded","database":"down"}}`},
	} {
		dbErr = tc.dbErr
		rec := httptest.NewRecorder()
		ready(rec, httptest.NewRequest("GET", "/readyz", nil))
		if body := strings.TrimSpace(rec.Body.String()); rec.Code != tc.code || body != tc.body {
			t.Errorf("readyz: %d %s; want %d %s", rec.Code, body, tc.code, tc.body)
		}
	}
	busErr = nil
	rec := httptest.NewRecorder()
	Readyz(log, db)(rec, httptest.NewRequest("GET", "/readyz", nil))
	if rec.Code != 503 {
		t.Errorf("readyz without the database: %d", rec.Code)
	}
	dbErr = nil
	rec = httptest.NewRecorder()
	ready(rec, httptest.NewRequest("GET", "/readyz", nil))
	if body := strings.TrimSpace(rec.Body.String()); rec.Code != 200 || body != `{"status":"ok","checks":{"bus":"ok","database":"ok"}}` {
		t.Errorf("readyz: %d %s", rec.Code, body)
	}
	// Each failure is logged once, when it starts, with its reason.
	if n := strings.Count(logs.String(), "readiness check failing"); n != 3 || !strings.Contains(logs.String(), "10.1.2.3") {
		t.Errorf("log:\n%s", logs.String())
	}
	if !strings.Contains(logs.String(), "passing again") {
		t.Errorf("no recovery in the log:\n%s", logs.String())
	}
}

func TestNotModified(t *testing.T) {
	mod := time.Date(2026, 3, 1, 12, 0, 0, 500, time.UTC)
	for _, c := range []struct {
		hdr  []string
		want bool
	}{
		{nil, false},
		{[]string{"If-None-Match", `"abc"`}, true},
		{[]string{"If-None-Match", `W/"abc", "x"`}, true},
		{[]string{"If-None-Match", `"old"`}, false},
		{[]string{"If-None-Match", `"old"`, "If-Modified-Since", mod.Format(http.TimeFormat)}, false},
		{[]string{"If-Modified-Since", mod.Format(http.TimeFormat)}, true},
		{[]string{"If-Modified-Since", mod.Add(-time.Hour).Format(http.TimeFormat)}, false},
	} {
		r := httptest.NewRequest("GET", "/x.ics", nil)
		for i := 0; i < len(c.hdr); i += 2 {
			r.Header.Set(c.hdr[i], c.hdr[i+1])
		}
		w := httptest.NewRecorder()
		if got := NotModified(w, r, "abc", mod); got != c.want || (got && w.Code != 304) || w.Header().Get("ETag") != `"abc"` {
			t.Errorf("%v: %v, %d", c.hdr, got, w.Code)
		}
	}
	for ae, want := range map[string]bool{"gzip": true, "gzip;q=0.5": true, "gzip;q=0": false, "br, gzip": true, "": false, "identity": false} {
		r := httptest.NewRequest("GET", "/", nil)
		r.Header.Set("Accept-Encoding", ae)
		if acceptsGzip(r) != want {
			t.Errorf("Accept-Encoding %q: %v", ae, !want)
		}
	}
}
