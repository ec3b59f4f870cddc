package httpserver

import (
	"net/http"
	"net/http/httptest"
	"testing"
)

func TestClientAddress(t *testing.T) {
	trusted, err := ParseTrustedProxies("10.0.0.0/8, 192.0.2.1, ::1")
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name, peer string
		headers    map[string]string
		want       string
	}{
		{"direct", "198.51.100.7:4000", nil, "198.51.100.7"},
		{"untrusted peer's header ignored", "198.51.100.7:4000", map[string]string{"X-Forwarded-For": "1.2.3.4"}, "198.51.100.7"},
		{"trusted proxy", "10.1.2.3:4000", map[string]string{"X-Forwarded-For": "203.0.113.9"}, "203.0.113.9"},
		{"client-forged hop ignored", "10.1.2.3:4000", map[string]string{"X-Forwarded-For": "6.6.6.6, 203.0.113.9"}, "203.0.113.9"},
		{"two trusted proxies", "192.0.2.1:4000", map[string]string{"X-Forwarded-For": "6.6.6.6, 203.0.113.9, 10.9.9.9"}, "203.0.113.9"},
		{"Forwarded", "[::1]:4000", map[string]string{"Forwarded": `for=6.6.6.6, for="[2001:db8::1]:4711";proto=https`}, "2001:db8::1"},
		{"trusted proxy without header", "10.1.2.3:4000", nil, "10.1.2.3"},
		{"garbage", "10.1.2.3:4000", map[string]string{"X-Forwarded-For": "203.0.113.9, nonsense"}, "10.1.2.3"},
	}
	for _, tt := range tests {
		var got string
		h := ClientAddress(trusted)(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { got = ClientIP(r) }))
		req := httptest.NewRequest("GET", "/", nil)
		req.RemoteAddr = tt.peer
		for k, v := range tt.headers {
			req.Header.Set(k, v)
		}
		h.ServeHTTP(httptest.NewRecorder(), req)
		if got != tt.want {
			t.Errorf("%s: client %q, want %q", tt.name, got, tt.want)
		}
	}
	if _, err := ParseTrustedProxies("10.0.0.0/8,example.com"); err == nil {
		t.Error("a host name accepted as a trusted proxy")
	}
}
