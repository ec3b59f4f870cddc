package caldav_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/almanac/almanac/account"
	"github.com/almanac/almanac/caldav"
	"github.com/almanac/almanac/calendar"
	"github.com/almanac/almanac/httpserver"
	"github.com/almanac/almanac/store"
	"github.com/go-chi/chi/v5"
	"github.com/prometheus/client_golang/prometheus"
)

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}
func (s *syncBuffer) String() string { s.mu.Lock(); defer s.mu.Unlock(); return s.b.String() }

// A client that breaks off a PUT is logged as the client's failure (499),
// not as an internal error.
func TestAbortedPutIsTheClients(t *testing.T) {
	st, err := store.Open(context.Background(), filepath.Join(t.TempDir(), "a.db"), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(st.Close)
	acc := account.New(st, account.Options{})
	if _, err := acc.Create(context.Background(), account.NewUser{Name: "ann", Email: "ann@example.com", Password: "correct horse"}); err != nil {
		t.Fatal(err)
	}
	var logs syncBuffer
	log := slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	r := chi.NewRouter()
	r.Use(httpserver.Observe(log, httpserver.NewMetrics(prometheus.NewRegistry())))
	r.Use(httpserver.RequestBodies(func(*http.Request) time.Duration { return time.Minute }))
	caldav.New(acc, calendar.New(st, calendar.Options{}), caldav.Options{}).Register(r, http.NotFoundHandler())
	srv := httptest.NewServer(r)
	t.Cleanup(srv.Close)

	c, err := net.Dial("tcp", strings.TrimPrefix(srv.URL, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	auth := base64.StdEncoding.EncodeToString([]byte("ann:correct horse"))
	fmt.Fprintf(c, "PUT /dav/calendars/ann/calendar/x.ics HTTP/1.1\r\nHost: x\r\nAuthorization: Basic %s\r\n"+
		"Content-Type: text/calendar\r\nContent-Length: 1000\r\n\r\nBEGIN:VCALENDAR\r\n", auth)
	c.Close()
	for deadline := time.Now().Add(20 * time.Second); !strings.Contains(logs.String(), "msg=request"); time.Sleep(10 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("no access log line")
		}
	}
	if got := logs.String(); !strings.Contains(got, "status=499") || strings.Contains(got, "internal error") || strings.Contains(got, "level=WARN") {
		t.Fatalf("log:\n%s", got)
	}
}
