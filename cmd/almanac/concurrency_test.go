package main

import (
	"encoding/json"
	"fmt"
	"sync"
	"testing"
)

// TestConcurrentEditsLoseNothing has collaborators change one event at the
// same time, half over the JSON API and half over CalDAV, all starting from
// the same version: exactly one write wins, every other is refused with
// 412 and can retry from the new version; none is silently lost.
func TestConcurrentEditsLoseNothing(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the binary")
	}
	n := startNode(t, buildBinary(t), []string{"ALMANAC_DATA_DIR=" + t.TempDir()})
	env := &authzEnv{t: t, url: n.url, tokens: map[string]string{}, ids: map[string]string{}}
	for _, u := range []string{"alice", "bob"} {
		env.json("", "POST", "/users/register", `{"name":"`+u+`","email":"`+u+`@example.com","password":"correct horse"}`)
		_, body := env.json("", "POST", "/users/login", `{"login":"`+u+`","password":"correct horse"}`)
		env.tokens[u] = field(body, "token")
		var m struct {
			User struct{ ID string } `json:"user"`
		}
		_ = json.Unmarshal([]byte(body), &m)
		env.ids[u] = m.User.ID
	}
	_, body := env.json("alice", "POST", "/calendars", `{"display_name":"Team"}`)
	cal, calURL := field(body, "id"), field(body, "caldav_url")
	env.json("alice", "POST", "/calendars/"+cal+"/share", `{"user_id":"`+env.ids["bob"]+`","role":"writer"}`)
	ev := func(summary string) string {
		return "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//t//EN\r\nBEGIN:VEVENT\r\nUID:race\r\nDTSTAMP:20260101T000000Z\r\n" +
			"DTSTART:20260611T100000Z\r\nDTEND:20260611T110000Z\r\nSUMMARY:" + summary + "\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n"
	}
	href := calURL + "race.ics"
	if code, body := env.dav("alice", "PUT", href, ev("v0"), "Content-Type", "text/calendar"); code != 201 {
		t.Fatalf("PUT: %d %s", code, body)
	}
	_, body = env.json("alice", "GET", "/calendars/"+cal+"/events", "")
	var list struct {
		Items []struct{ ID, ETag string } `json:"items"`
	}
	if err := json.Unmarshal([]byte(body), &list); err != nil || len(list.Items) != 1 {
		t.Fatalf("events: %v %s", err, body)
	}
	id, etag := list.Items[0].ID, list.Items[0].ETag
	for round := range 3 {
		codes := race(env, id, calURL, cal, etag, round, ev)
		wins := codes[200] + codes[201] + codes[204]
		if wins != 1 || codes[412] != 9 {
			t.Fatalf("round %d: %v; want one write to win and nine 412s", round, codes)
		}
		_, body = env.json("alice", "GET", "/events/"+id, "")
		etag = field(body, "etag")
	}
}

// race sends ten writes of one version at once and counts the statuses.
func race(env *authzEnv, id, calURL, cal, etag string, round int, ev func(string) string) map[int]int {
	var mu sync.Mutex
	codes := map[int]int{}
	var wg sync.WaitGroup
	for i := range 10 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			user := []string{"alice", "bob"}[i%2]
			// Every write says something new: a write that changes nothing
			// keeps the strong ETag, and one after it would rightly pass.
			title := fmt.Sprintf("round %d, writer %d", round, i)
			var code int
			if i < 5 {
				code, _ = env.json(user, "PATCH", "/events/"+id, `{"title":"`+title+`"}`, "If-Match", etag)
			} else {
				code, _ = env.dav(user, "PUT", davPath(user, calURL, cal)+"race.ics", ev(title), "Content-Type", "text/calendar", "If-Match", etag)
			}
			mu.Lock()
			codes[code]++
			mu.Unlock()
		}()
	}
	wg.Wait()
	return codes
}

// davPath is where a user finds alice's calendar: at its URL in her home,
// or in bob's under its id (the name of the share).
func davPath(user, calURL, cal string) string {
	if user == "alice" {
		return calURL
	}
	return "/dav/calendars/" + user + "/" + cal + "/"
}
