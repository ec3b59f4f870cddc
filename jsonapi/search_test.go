package jsonapi

import (
	"net/url"
	"strings"
	"testing"
)

// TestSearchEvents searches the caller's own calendars and those shared
// with them: free/busy shares are left out, a series comes as its next
// instance, and the words are matched as prefixes, without regard to
// case or accents.
func TestSearchEvents(t *testing.T) {
	f := newEventFixture(t) // alice, on 20 February 2026
	f.create(t, f.event("Café with Bob", "2026-03-02T09:00:00", "2026-03-02T10:00:00", `,"location":"Room 4"`))
	f.create(t, f.event("Planning", "2026-01-05T09:00:00", "2026-01-05T10:00:00",
		`,"recurrence":["RRULE:FREQ=WEEKLY"],"attendees":[{"email":"dora@example.com","name":"Dora Explorer"}]`))
	f.create(t, f.event("Old planning", "2025-06-02T09:00:00", "2025-06-02T10:00:00", ``))

	bob, _ := f.register(t, "bob")
	carol, _ := f.register(t, "carol")
	for _, sh := range []struct{ tok, role, title string }{{bob, "reader", "Bob's planning"}, {carol, "freebusy", "Carol's planning"}} {
		r := f.do(t, "POST", "/calendars", sh.tok, `{"display_name":"Mine"}`)
		cal := r.body["id"].(string)
		r = f.do(t, "POST", "/events", sh.tok, `{"calendar_id":"`+cal+`","title":"`+sh.title+`","start":{"date_time":"2026-02-25T09:00:00Z"},"end":{"date_time":"2026-02-25T10:00:00Z"}}`)
		if r.status != 201 {
			t.Fatalf("event: %d %s", r.status, r.raw)
		}
		if r = f.do(t, "POST", "/calendars/"+cal+"/share", sh.tok, `{"email":"alice@example.com","role":"`+sh.role+`"}`); r.status != 201 {
			t.Fatalf("share: %d %s", r.status, r.raw)
		}
	}

	search := func(q string) []string {
		t.Helper()
		r := f.do(t, "GET", "/events?q="+url.QueryEscape(q), f.tok, "")
		if r.status != 200 {
			t.Fatalf("search %q: %d %s", q, r.status, r.raw)
		}
		var out []string
		for _, it := range r.body["items"].([]any) {
			ev := it.(map[string]any)
			start := ev["start"].(map[string]any)["date_time"].(string)
			out = append(out, start[:10]+" "+ev["title"].(string))
		}
		return out
	}
	// The weekly series is under way: its next instance, on 23 February.
	want := "2026-02-23 Planning|2026-02-25 Bob's planning|2025-06-02 Old planning"
	if got := strings.Join(search("PLAN"), "|"); got != want {
		t.Errorf("PLAN:\n%s\nwant\n%s", got, want)
	}
	if got := strings.Join(search("cafe room"), "|"); got != "2026-03-02 Café with Bob" {
		t.Errorf("cafe room: %s", got)
	}
	if got := strings.Join(search("dora"), "|"); got != "2026-02-23 Planning" {
		t.Errorf("dora (an attendee): %s", got)
	}
	if got := search("carol"); len(got) != 0 {
		t.Errorf("a free/busy share was searched: %v", got)
	}

	r := f.do(t, "GET", "/events?q=planning&max_results=1", f.tok, "")
	if r.status != 200 || len(r.body["items"].([]any)) != 1 {
		t.Errorf("max_results=1: %d %s", r.status, r.raw)
	} else if id := r.body["items"].([]any)[0].(map[string]any)["id"].(string); !strings.Contains(id, "_20260223T080000Z") {
		t.Errorf("the series' instance id: %s", id)
	}
	for _, bad := range []string{"q=", "q=%21%21", "q=x&calendar_id=" + f.cal, "q=x&max_results=251"} {
		if r := f.do(t, "GET", "/events?"+bad, f.tok, ""); r.status != 400 {
			t.Errorf("%s: %d %s", bad, r.status, r.raw)
		}
	}
}
