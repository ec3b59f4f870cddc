package jsonapi

import (
	"context"
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

// TestProposalsAPI: the proposals of an event are listed for its
// organizer, each can be answered once (then 409 proposal-answered), and
// unknown ids are 404; every answer matches the OpenAPI document.
func TestProposalsAPI(t *testing.T) {
	st, err := store.Open(t.Context(), filepath.Join(t.TempDir(), "a.db"), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(st.Close)
	sched := scheduling.New(st, scheduling.Options{MailFrom: "calendar@example.com"})
	cals := calendar.New(st, calendar.Options{Hooks: []calendar.Hook{sched}})
	acc := account.New(st, account.Options{AllowRegistration: true})
	mux := http.NewServeMux()
	mux.Handle("/api/v1/", http.StripPrefix("/api/v1", New(acc, cals, Options{Scheduler: sched}).Routes()))
	srv := httptest.NewServer(newOpenAPICheck(t).wrap(mux))
	t.Cleanup(srv.Close)
	f := newEventFixtureOn(t, &testServer{srv, st, acc, cals})

	id := f.create(t, f.event("Review", "2026-03-02T09:00:00", "2026-03-02T10:00:00", `,"attendees":[{"email":"carol@example.net"}]`))
	o, err := st.GetObjectByUUID(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	u, err := st.GetUserByUUID(context.Background(), f.user["id"].(string))
	if err != nil {
		t.Fatal(err)
	}
	counter := "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//test//EN\r\nMETHOD:COUNTER\r\nBEGIN:VEVENT\r\nUID:" + o.UID + "\r\n" +
		"DTSTAMP:20260220T000000Z\r\nDTSTART:20260302T130000Z\r\nDTEND:20260302T140000Z\r\nCOMMENT:After lunch?\r\n" +
		"ORGANIZER:mailto:" + u.Email + "\r\nATTENDEE:mailto:carol@example.net\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n"
	p := &store.Proposal{UserID: u.ID, UID: o.UID, Name: "p1", Attendee: "mailto:carol@example.net", Comment: "After lunch?", Data: []byte(counter)}
	if _, err := st.PutProposal(context.Background(), p); err != nil {
		t.Fatal(err)
	}
	r := f.do(t, "GET", "/events/"+id+"/proposals", f.tok, "")
	if r.status != 200 || !strings.Contains(r.raw, `"start":"2026-03-02T13:00:00Z"`) || !strings.Contains(r.raw, `"comment":"After lunch?"`) ||
		!strings.Contains(r.raw, `"status":"pending"`) {
		t.Fatalf("list: %d %s", r.status, r.raw)
	}
	for _, tc := range []struct {
		method, path string
		status       int
		kind         string
	}{
		{"GET", "/events/" + id + "_20260302T080000Z/proposals", 404, "not-found"},
		{"GET", "/events/" + store.NewUUID() + "/proposals", 404, "not-found"},
		{"POST", "/events/" + id + "/proposals/nope/decline", 404, "not-found"},
		{"POST", "/events/" + id + "/proposals/" + store.NewUUID() + "/accept", 404, "not-found"},
		{"POST", "/events/" + id + "/proposals/" + p.UUID + "/decline", 200, ""},
		{"POST", "/events/" + id + "/proposals/" + p.UUID + "/accept", 409, "proposal-answered"},
	} {
		r := f.do(t, tc.method, tc.path, f.tok, "")
		if r.status != tc.status || tc.kind != "" && r.body["type"] != problemBase+tc.kind {
			t.Errorf("%s %s: %d %s, want %d %s", tc.method, tc.path, r.status, r.raw, tc.status, tc.kind)
		}
	}
	if strings.Contains(f.ics(t, id), "T130000") {
		t.Error("a declined proposal changed the event")
	}
}
