package jsonapi

import (
	"testing"
)

func TestCalendarsAndSharing(t *testing.T) {
	s := newTestServer(t)
	alice, _ := s.register(t, "alice")
	bob, bobUser := s.register(t, "bob")
	carol, _ := s.register(t, "carol")

	r := s.do(t, "POST", "/calendars", alice, `{"display_name":"Work","color":"#3366ff","time_zone":"Europe/Berlin"}`)
	if r.status != 201 || r.body["role"] != "owner" || r.body["time_zone"] != "Europe/Berlin" {
		t.Fatalf("create: %d %s", r.status, r.raw)
	}
	id := r.body["id"].(string)
	for _, bad := range []struct{ body, field string }{
		{`{"display_name":"X","color":"blue"}`, "color"},
		{`{"display_name":"X","time_zone":"Nowhere/Land"}`, "time_zone"},
		{`{"display_name":"X","components":["VCARD"]}`, "components"},
		{`{"color":"#000000"}`, "display_name"},
	} {
		if r := s.do(t, "POST", "/calendars", alice, bad.body); r.status != 422 || !mentions(r, bad.field) {
			t.Errorf("POST %s: %d %s", bad.body, r.status, r.raw)
		}
	}
	if r := s.do(t, "GET", "/calendars/"+id, carol, ""); r.status != 404 {
		t.Fatalf("stranger sees calendar: %d", r.status)
	}
	if r := s.do(t, "GET", "/calendars/not-a-uuid", alice, ""); r.status != 404 {
		t.Fatalf("malformed id: %d", r.status)
	}
	if r := s.do(t, "POST", "/calendars/"+id+"/share", bob, `{"email":"carol@example.com","role":"reader"}`); r.status != 404 {
		t.Fatalf("stranger shares: %d", r.status)
	}
	if r := s.do(t, "POST", "/calendars/"+id+"/share", alice, `{"email":"BOB@example.com","role":"reader"}`); r.status != 201 {
		t.Fatalf("share: %d %s", r.status, r.raw)
	}
	if r := s.do(t, "POST", "/calendars/"+id+"/share", alice, `{"email":"nobody@example.com","role":"reader"}`); r.status != 422 {
		t.Fatalf("share with unknown address: %d %s", r.status, r.raw)
	}
	if r := s.do(t, "POST", "/calendars/"+id+"/share", alice, `{"user_id":"`+bobUser["id"].(string)+`","role":"boss"}`); r.status != 422 || !mentions(r, "role") {
		t.Fatalf("bad role: %d %s", r.status, r.raw)
	}
	r = s.do(t, "GET", "/calendars", bob, "")
	list, _ := decodeList(r.raw)
	// Bob's own two (every account starts with a calendar and a task
	// list), then Alice's.
	if r.status != 200 || len(list) != 3 || list[2]["role"] != "reader" || list[2]["display_name"] != "Work" {
		t.Fatalf("bob's calendars: %d %s", r.status, r.raw)
	}
	if r := s.do(t, "PATCH", "/calendars/"+id, bob, `{"description":"mine now"}`); r.status != 403 {
		t.Fatalf("reader edits calendar: %d %s", r.status, r.raw)
	}
	if r := s.do(t, "PATCH", "/calendars/"+id, bob, `{"color":"#00ff00","display_name":"Alice's work"}`); r.status != 200 || r.body["color"] != "#00ff00" {
		t.Fatalf("reader recolours their view: %d %s", r.status, r.raw)
	}
	if r := s.do(t, "GET", "/calendars/"+id, alice, ""); r.body["color"] != "#3366ff" || r.body["display_name"] != "Work" {
		t.Fatalf("sharee's view changed the owner's calendar: %s", r.raw)
	}
	r = s.do(t, "GET", "/calendars/"+id+"/collaborators", bob, "")
	if cl, _ := decodeList(r.raw); r.status != 200 || len(cl) != 2 {
		t.Fatalf("collaborators: %d %s", r.status, r.raw)
	}
	if r := s.do(t, "PUT", "/calendars/"+id+"/collaborators/"+bobUser["id"].(string), alice, `{"role":"writer"}`); r.status != 200 {
		t.Fatalf("change role: %d %s", r.status, r.raw)
	}
	if r := s.do(t, "GET", "/calendars/"+id, bob, ""); r.body["role"] != "writer" {
		t.Fatalf("role not changed: %s", r.raw)
	}
	if r := s.do(t, "DELETE", "/calendars/"+id+"/collaborators/"+bobUser["id"].(string), alice, ""); r.status != 204 {
		t.Fatalf("revoke: %d", r.status)
	}
	if r := s.do(t, "GET", "/calendars/"+id, bob, ""); r.status != 404 {
		t.Fatalf("revoked sharee still sees it: %d", r.status)
	}
	// A sharee deleting the calendar only leaves it.
	s.do(t, "POST", "/calendars/"+id+"/collaborators", alice, `{"email":"carol@example.com","role":"owner"}`)
	if r := s.do(t, "DELETE", "/calendars/"+id, carol, ""); r.status != 204 {
		t.Fatalf("sharee leaves: %d", r.status)
	}
	if r := s.do(t, "GET", "/calendars/"+id, alice, ""); r.status != 200 {
		t.Fatalf("the owner's calendar went with the sharee: %d", r.status)
	}
	if r := s.do(t, "DELETE", "/calendars/"+id, alice, ""); r.status != 204 {
		t.Fatalf("owner deletes: %d", r.status)
	}
}

func mentions(r reply, field string) bool {
	errs, _ := r.body["errors"].([]any)
	return len(errs) > 0 && errs[0].(map[string]any)["field"] == field
}

// TestCalendarETags: every calendar answer carries its ETag, If-Match
// guards changes, and a sharee's own view is part of what the tag covers.
func TestCalendarETags(t *testing.T) {
	s := newTestServer(t)
	tok, _ := s.register(t, "cleo")
	r := s.do(t, "POST", "/calendars", tok, `{"display_name":"Home"}`)
	id, etag := r.body["id"].(string), r.header.Get("ETag")
	if etag == "" || r.body["etag"] != etag {
		t.Fatalf("create: ETag %q, etag %v", etag, r.body["etag"])
	}
	if r := s.do(t, "GET", "/calendars/"+id, tok, ""); r.header.Get("ETag") != etag {
		t.Fatalf("get: ETag %q, want %q", r.header.Get("ETag"), etag)
	}
	r = s.do(t, "PATCH", "/calendars/"+id, tok, `{"color":"#00aa00"}`, "If-Match", etag)
	if r.status != 200 || r.header.Get("ETag") == etag {
		t.Fatalf("patch: %d %s", r.status, r.raw)
	}
	r = s.do(t, "PATCH", "/calendars/"+id, tok, `{"color":"#aa0000"}`, "If-Match", etag)
	if r.status != 412 || r.body["current"].(map[string]any)["color"] != "#00aa00" {
		t.Fatalf("stale patch: %d %s", r.status, r.raw)
	}
	if r := s.do(t, "DELETE", "/calendars/"+id, tok, "", "If-Match", etag); r.status != 412 {
		t.Fatalf("stale delete: %d", r.status)
	}
}

// TestCalendarNames: a calendar made over the JSON API lives at a CalDAV
// URL made from its display name, unique in the owner's home.
func TestCalendarNames(t *testing.T) {
	s := newTestServer(t)
	alice, _ := s.register(t, "alice")
	for _, c := range []struct{ display, url string }{
		{"Work", "/dav/calendars/alice/work/"},
		{"work", "/dav/calendars/alice/work-2/"},
		{"Calendar", "/dav/calendars/alice/calendar-2/"}, // every account has "calendar"
		{"Équipe Café", "/dav/calendars/alice/%C3%A9quipe-caf%C3%A9/"},
	} {
		r := s.do(t, "POST", "/calendars", alice, `{"display_name":"`+c.display+`"}`)
		if r.status != 201 || r.body["caldav_url"] != c.url {
			t.Errorf("create %q: %d %v, want %s", c.display, r.status, r.body["caldav_url"], c.url)
		}
	}
}
