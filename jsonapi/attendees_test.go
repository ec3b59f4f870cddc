package jsonapi

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"

	"github.com/almanac/almanac/account"
	"github.com/almanac/almanac/calendar"
	"github.com/almanac/almanac/scheduling"
	"github.com/almanac/almanac/store"
)

// TestMaxAttendees: an event that invites more attendees than the server
// sends invitations to is refused with a problem naming the attendees,
// whether it is written whole or grows by one invitation; up to the
// limit it is stored.
func TestMaxAttendees(t *testing.T) {
	st, err := store.Open(t.Context(), filepath.Join(t.TempDir(), "a.db"), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(st.Close)
	// Delivery between users who never dealt with each other: the server
	// takes everyone's invitations (holding them is strangers_test.go's).
	sched := scheduling.New(st, scheduling.Options{InvitationsDefault: store.InvitationsEveryone, MailFrom: "calendar@example.com"})
	cals := calendar.New(st, calendar.Options{Limits: calendar.Limits{MaxAttendees: 3}, Hooks: []calendar.Hook{sched}})
	acc := account.New(st, account.Options{AllowRegistration: true})
	mux := http.NewServeMux()
	mux.Handle("/api/v1/", http.StripPrefix("/api/v1", New(acc, cals, Options{Scheduler: sched}).Routes()))
	srv := httptest.NewServer(newOpenAPICheck(t).wrap(mux))
	t.Cleanup(srv.Close)
	f := newEventFixtureOn(t, &testServer{srv, st, acc, cals})

	guests := func(n int) string {
		var list []string
		for i := range n {
			list = append(list, fmt.Sprintf(`{"email":"guest%d@example.net"}`, i))
		}
		return `,"attendees":[` + strings.Join(list, ",") + `]`
	}
	r := f.do(t, "POST", "/events", f.tok, f.event("Too many", "2026-03-02T09:00:00", "2026-03-02T10:00:00", guests(4)))
	if r.status != http.StatusUnprocessableEntity || r.header.Get("Content-Type") != "application/problem+json" {
		t.Fatalf("four attendees: %d %s", r.status, r.raw)
	}
	if errs, _ := r.body["errors"].([]any); len(errs) != 1 || errs[0].(map[string]any)["field"] != "attendees" {
		t.Fatalf("the problem does not name the attendees: %s", r.raw)
	}
	id := f.create(t, f.event("Enough", "2026-03-02T09:00:00", "2026-03-02T10:00:00", guests(3)))
	r = f.do(t, "POST", "/invitations/"+id, f.tok, `{"email":"one-more@example.net"}`)
	if errs, _ := r.body["errors"].([]any); r.status != http.StatusUnprocessableEntity || len(errs) != 1 || errs[0].(map[string]any)["field"] != "attendees" {
		t.Fatalf("a fourth invitation: %d %s", r.status, r.raw)
	}
	if strings.Contains(f.ics(t, id), "one-more@") {
		t.Fatal("the refused invitation was stored")
	}
}
