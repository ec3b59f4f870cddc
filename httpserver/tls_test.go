package httpserver

import (
	"crypto/tls"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"
)

func TestHSTS(t *testing.T) {
	ok := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {})
	for _, c := range []struct {
		maxAge time.Duration
		tls    bool
		want   string
	}{
		{24 * time.Hour, true, "max-age=86400"},
		{24 * time.Hour, false, ""}, // RFC 6797 §7.2: never over plain HTTP
		{0, true, ""},
	} {
		r := httptest.NewRequest("GET", "/", nil)
		if c.tls {
			r.TLS = &tls.ConnectionState{}
		}
		w := httptest.NewRecorder()
		HSTS(c.maxAge)(ok).ServeHTTP(w, r)
		if got := w.Header().Get("Strict-Transport-Security"); got != c.want {
			t.Errorf("max age %v, TLS %v: %q, want %q", c.maxAge, c.tls, got, c.want)
		}
	}
}
