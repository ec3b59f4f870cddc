package caldav_test

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/almanac/almanac/account"
	"github.com/almanac/almanac/caldav"
	"github.com/almanac/almanac/calendar"
	"github.com/almanac/almanac/reminders"
	"github.com/almanac/almanac/scheduling"
	"github.com/almanac/almanac/store"
	"github.com/go-chi/chi/v5"
)

// Test users; their passwords are their names followed by "-password-1".
var testUsers = []string{"alice", "bob"}

func password(user string) string { return user + "-password-1" }

type testServer struct {
	*httptest.Server
	st   *store.Store
	cals *calendar.Service
	acc  *account.Service
}

// newServer serves the handler as "almanac serve" mounts it, over st, with
// the test users created.
func newServer(t testing.TB, st *store.Store, limits calendar.Limits) *testServer {
	t.Helper()
	acc := account.New(st, account.Options{})
	for _, u := range testUsers {
		if _, err := acc.Create(context.Background(), account.NewUser{Name: u, Email: u + "@example.com",
			Password: password(u), DisplayName: strings.ToUpper(u[:1]) + u[1:] + " Example"}); err != nil {
			t.Fatal(err)
		}
	}
	// The hooks "almanac serve" runs, so that a write takes the same path
	// (their deliveries are queued and never sent).
	// Delivery between users who never dealt with each other: the server
	// takes everyone's invitations (holding them is strangers_test.go's).
	sched := scheduling.New(st, scheduling.Options{InvitationsDefault: store.InvitationsEveryone, MailFrom: "calendar@example.com"})
	rem := reminders.New(st, reminders.Options{})
	cals := calendar.New(st, calendar.Options{Limits: limits, Hooks: []calendar.Hook{sched, rem.Hook()}, Viewer: rem})
	h := caldav.New(acc, cals, caldav.Options{Scheduler: sched})
	r := chi.NewRouter()
	h.Register(r, http.NotFoundHandler())
	srv := httptest.NewServer(r)
	t.Cleanup(srv.Close)
	return &testServer{srv, st, cals, acc}
}

type reply struct {
	status int
	header http.Header
	body   string
}

// do sends a request as user ("" for none) with header pairs.
func (s *testServer) do(t testing.TB, user, method, path, body string, hdr ...string) reply {
	t.Helper()
	req, err := http.NewRequest(method, s.URL+path, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if user != "" {
		req.SetBasicAuth(user, password(user))
	}
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	resp, err := noRedirect.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return reply{resp.StatusCode, resp.Header, string(b)}
}

var noRedirect = &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
