package jsonapi

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/almanac/almanac/account"
	"github.com/almanac/almanac/calendar"
	"github.com/almanac/almanac/store"
)

type testServer struct {
	*httptest.Server
	st   *store.Store
	acc  *account.Service
	cals *calendar.Service
}

func newTestServer(t *testing.T) *testServer {
	t.Helper()
	return newTestServerLimits(t, calendar.Limits{})
}

// newTestServerLimits is newTestServer with the calendar limits lim.
func newTestServerLimits(t *testing.T, lim calendar.Limits) *testServer {
	t.Helper()
	st, err := store.Open(context.Background(), filepath.Join(t.TempDir(), "a.db"), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(st.Close)
	// Throttled logins are answered at once: the tests count answers.
	noSleep := func(context.Context, time.Duration) error { return nil }
	acc := account.New(st, account.Options{AllowRegistration: true, Sleep: noSleep,
		Mail: account.MailOptions{From: "calendar@example.com", PublicURL: "http://cal.test"}})
	cals := calendar.New(st, calendar.Options{Limits: lim})
	mux := http.NewServeMux()
	api := New(acc, cals, Options{})
	mux.Handle("/api/v1/", http.StripPrefix("/api/v1", api.Routes()))
	mux.Handle("/verify-email/", http.StripPrefix("/verify-email", api.VerifyRoutes()))
	srv := httptest.NewServer(newOpenAPICheck(t).wrap(mux))
	t.Cleanup(srv.Close)
	return &testServer{srv, st, acc, cals}
}

type reply struct {
	status int
	header http.Header
	body   map[string]any
	raw    string
}

// do sends a JSON request; token may be empty.
func (s *testServer) do(t *testing.T, method, path, token, body string, hdr ...string) reply {
	t.Helper()
	req, _ := http.NewRequest(method, s.URL+"/api/v1"+path, strings.NewReader(body))
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	r := reply{status: resp.StatusCode, header: resp.Header, raw: string(raw)}
	_ = json.Unmarshal(raw, &r.body)
	return r
}

// register signs a user up and verifies their address.
func (s *testServer) register(t *testing.T, name string) (token string, user map[string]any) {
	t.Helper()
	r := s.do(t, "POST", "/users/register", "", `{"name":"`+name+`","email":"`+name+`@example.com","password":"correct horse"}`)
	if r.status != 201 {
		t.Fatalf("register %s: %d %s", name, r.status, r.raw)
	}
	// As if they had followed the link in their mail
	// (TestEmailVerification follows it).
	u, err := s.st.GetUserByLoginEmail(context.Background(), name+"@example.com")
	if err == nil {
		u.EmailUnverified, u.PasswordHash = false, ""
		err = s.st.UpdateUser(context.Background(), u)
	}
	if err != nil {
		t.Fatalf("verify %s: %v", name, err)
	}
	r = s.do(t, "POST", "/users/login", "", `{"login":"`+name+`","password":"correct horse"}`)
	if r.status != 200 {
		t.Fatalf("login %s: %d %s", name, r.status, r.raw)
	}
	return r.body["token"].(string), r.body["user"].(map[string]any)
}

// TestBadInput checks that malformed requests get a 4xx problem document
// naming the field, never a 500.
func TestBadInput(t *testing.T) {
	s := newTestServer(t)
	s.register(t, "taken")
	big := `{"name":"` + strings.Repeat("a", 2<<20) + `"}`
	tests := []struct {
		name, method, path, body string
		status                   int
		field                    string
	}{
		{"malformed JSON", "POST", "/users/register", `{"name":`, 400, ""},
		{"not an object", "POST", "/users/register", `[1,2]`, 400, ""},
		{"trailing data", "POST", "/users/register", `{"name":"a"} {}`, 400, ""},
		{"unknown field", "POST", "/users/register", `{"name":"a","admin":true}`, 400, "admin"},
		{"wrong type", "POST", "/users/register", `{"name":7}`, 400, "name"},
		{"oversized body", "POST", "/users/register", big, 413, ""},
		{"invalid e-mail", "POST", "/users/register", `{"name":"bob","email":"bob","password":"12345678"}`, 422, "email"},
		{"invalid time zone", "POST", "/users/register", `{"name":"bob","email":"bob@example.com","password":"12345678","time_zone":"Moon/Base"}`, 422, "time_zone"},
		{"invalid name", "POST", "/users/register", `{"name":"b b","email":"bob@example.com","password":"12345678"}`, 422, "name"},
		{"short password", "POST", "/users/register", `{"name":"bob","email":"bob@example.com","password":"1234"}`, 422, "password"},
		{"duplicate name", "POST", "/users/register", `{"name":"Taken","email":"bob@example.com","password":"12345678"}`, 409, "name"},
		{"duplicate e-mail", "POST", "/users/register", `{"name":"bob","email":"TAKEN@example.com","password":"12345678"}`, 409, "email"},
		{"empty login", "POST", "/users/login", `{"login":"","password":""}`, 422, "login"},
		{"empty body", "POST", "/users/login", ``, 400, ""},
		{"no token", "GET", "/users/me", ``, 401, ""},
		{"unknown route", "GET", "/nope", ``, 404, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := s.do(t, tt.method, tt.path, "", tt.body)
			if r.status != tt.status {
				t.Fatalf("status %d, want %d: %s", r.status, tt.status, r.raw)
			}
			if ct := r.header.Get("Content-Type"); ct != "application/problem+json" {
				t.Fatalf("Content-Type %q", ct)
			}
			if r.body["status"] != float64(tt.status) || r.body["type"] == "" || r.body["title"] == "" {
				t.Fatalf("not a problem document: %s", r.raw)
			}
			if tt.field != "" {
				errs, _ := r.body["errors"].([]any)
				if len(errs) == 0 || errs[0].(map[string]any)["field"] != tt.field {
					t.Fatalf("problem does not name field %q: %s", tt.field, r.raw)
				}
			}
		})
	}
}

func TestLoginAndProfile(t *testing.T) {
	s := newTestServer(t)
	token, me := s.register(t, "alice")
	otherToken, other := s.register(t, "bob")

	if r := s.do(t, "GET", "/users/me", token, ""); r.status != 200 || r.body["name"] != "alice" {
		t.Fatalf("me: %d %s", r.status, r.raw)
	}
	if r := s.do(t, "GET", "/users/"+me["id"].(string), otherToken, ""); r.status != 404 {
		t.Fatalf("another user's profile: %d", r.status)
	}
	if r := s.do(t, "PUT", "/users/"+other["id"].(string), token, `{"display_name":"x"}`); r.status != 404 {
		t.Fatalf("updating another user: %d", r.status)
	}
	r := s.do(t, "PATCH", "/users/"+me["id"].(string), token, `{"time_zone":"Europe/Berlin","week_start":0}`)
	if r.status != 200 || r.body["time_zone"] != "Europe/Berlin" || r.body["week_start"] != float64(0) {
		t.Fatalf("update: %d %s", r.status, r.raw)
	}
	r = s.do(t, "POST", "/users/"+me["id"].(string)+"/app-passwords", token, `{"name":"phone"}`)
	if r.status != 201 || r.body["secret"] == "" {
		t.Fatalf("app password: %d %s", r.status, r.raw)
	}
	if _, err := s.acc.BasicAuth(context.Background(), "alice", r.body["secret"].(string), "127.0.0.1"); err != nil {
		t.Fatalf("app password does not authenticate: %v", err)
	}
	if r := s.do(t, "GET", "/users/me/app-passwords", token, ""); r.status != 200 || !strings.Contains(r.raw, `"phone"`) || strings.Contains(r.raw, "secret") {
		t.Fatalf("list app passwords: %d %s", r.status, r.raw)
	}
	if r := s.do(t, "DELETE", "/users/me/app-passwords/phone", token, ""); r.status != 204 {
		t.Fatalf("revoke: %d", r.status)
	}
	if r := s.do(t, "POST", "/users/logout", token, ""); r.status != 204 {
		t.Fatalf("logout: %d", r.status)
	}
	if r := s.do(t, "GET", "/users/me", token, ""); r.status != 401 || r.header.Get("WWW-Authenticate") == "" {
		t.Fatalf("after logout: %d", r.status)
	}
	if r := s.do(t, "DELETE", "/users/"+other["id"].(string), otherToken, ""); r.status != 204 {
		t.Fatalf("delete self: %d", r.status)
	}
	if r := s.do(t, "POST", "/users/login", "", `{"login":"bob","password":"correct horse"}`); r.status != 401 {
		t.Fatalf("deleted user logs in: %d", r.status)
	}
}

func TestCookieSessionNeedsCSRF(t *testing.T) {
	s := newTestServer(t)
	s.register(t, "carol")
	r := s.do(t, "POST", "/users/login", "", `{"login":"carol","password":"correct horse"}`)
	var cookie string
	for _, c := range (&http.Response{Header: r.header}).Cookies() {
		if c.Name == SessionCookie {
			if !c.HttpOnly || c.SameSite != http.SameSiteLaxMode {
				t.Fatalf("cookie flags: %+v", c)
			}
			cookie = c.Name + "=" + c.Value
		}
	}
	if cookie == "" {
		t.Fatal("no session cookie")
	}
	csrf := r.body["csrf_token"].(string)
	if r := s.do(t, "GET", "/users/me", "", "", "Cookie", cookie); r.status != 200 {
		t.Fatalf("GET with cookie: %d", r.status)
	}
	if r := s.do(t, "PATCH", "/users/me", "", `{"display_name":"C"}`, "Cookie", cookie); r.status != 403 {
		t.Fatalf("PATCH with cookie and no CSRF token: %d", r.status)
	}
	if r := s.do(t, "PATCH", "/users/me", "", `{"display_name":"C"}`, "Cookie", cookie, "X-CSRF-Token", csrf); r.status != 200 {
		t.Fatalf("PATCH with CSRF token: %d %s", r.status, r.raw)
	}
}

func TestRateLimitedLogin(t *testing.T) {
	s := newTestServer(t)
	s.register(t, "dan")
	var r reply
	for range 7 {
		r = s.do(t, "POST", "/users/login", "", `{"login":"dan","password":"nope"}`)
	}
	if r.status != 429 || r.header.Get("Retry-After") == "" {
		t.Fatalf("after 7 failures: %d %s", r.status, r.raw)
	}
}

func decodeList(raw string) ([]map[string]any, error) {
	var out []map[string]any
	err := json.Unmarshal([]byte(raw), &out)
	return out, err
}
