package main

import (
	"bufio"
	"context"
	"encoding/json"
	"net/http"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/almanac/almanac/store/storetest"
)

// api sends a JSON request with a bearer token and decodes the answer.
func api(t *testing.T, method, url, token, body string) (int, map[string]any) {
	t.Helper()
	req, _ := http.NewRequest(method, url, strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var m map[string]any
	_ = json.NewDecoder(resp.Body).Decode(&m)
	return resp.StatusCode, m
}

// TestTwoNodes runs two servers on one PostgreSQL database and the local
// NATS server: a change made through node A reaches an SSE client of node
// B within a second, and a revoked sharee's stream stops carrying it.
func TestTwoNodes(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the binary")
	}
	nats := os.Getenv("ALMANAC_TEST_NATS_URL")
	if nats == "" {
		t.Skip("ALMANAC_TEST_NATS_URL is not set")
	}
	env := []string{"ALMANAC_DATABASE_URL=" + storetest.DatabaseURL(t), "ALMANAC_NATS_URL=" + nats}
	bin := buildBinary(t)
	a := startNode(t, bin, append(env, "ALMANAC_DATA_DIR="+t.TempDir()))
	b := startNode(t, bin, append(env, "ALMANAC_DATA_DIR="+t.TempDir()))

	register := func(name string) (string, string) {
		code, _ := api(t, "POST", a.url+"/api/v1/users/register", "", `{"name":"`+name+`","email":"`+name+`@example.com","password":"correct horse"}`)
		if code != 201 {
			t.Fatalf("register %s: %d", name, code)
		}
		_, m := api(t, "POST", b.url+"/api/v1/users/login", "", `{"login":"`+name+`","password":"correct horse"}`)
		return m["token"].(string), m["user"].(map[string]any)["id"].(string)
	}
	alice, _ := register("alice")
	bob, bobID := register("bob")
	_, cal := api(t, "POST", a.url+"/api/v1/calendars", alice, `{"display_name":"Team"}`)
	calID := cal["id"].(string)
	api(t, "POST", a.url+"/api/v1/calendars/"+calID+"/share", alice, `{"user_id":"`+bobID+`","role":"reader"}`)

	events := sse(t, b.url+"/api/v1/stream", bob)
	start := time.Now()
	if code, _ := api(t, "PATCH", a.url+"/api/v1/calendars/"+calID, alice, `{"color":"#123456"}`); code != 200 {
		t.Fatalf("patch: %d", code)
	}
	ev := waitEvent(t, events, 5*time.Second)
	if d := time.Since(start); ev.typ != "change" || !strings.Contains(ev.data, calID) || d > time.Second {
		t.Fatalf("got %q %s after %s; want a change on node B within 1 s", ev.typ, ev.data, d)
	}
	t.Logf("node A write reached node B's stream in %s", time.Since(start))

	api(t, "DELETE", a.url+"/api/v1/calendars/"+calID+"/collaborators/"+bobID, alice, "")
	// Changes made before the revocation may still be on their way.
	ev = waitEvent(t, events, 5*time.Second)
	for ev.typ == "change" {
		ev = waitEvent(t, events, 5*time.Second)
	}
	if ev.typ != "access" || !strings.Contains(ev.data, "access-revoked") {
		t.Fatalf("revocation: %q %s", ev.typ, ev.data)
	}
	api(t, "PATCH", a.url+"/api/v1/calendars/"+calID, alice, `{"color":"#654321"}`)
	select {
	case ev := <-events:
		t.Fatalf("revoked sharee still gets %q %s", ev.typ, ev.data)
	case <-time.After(500 * time.Millisecond):
	}
	a.stop(t)
	b.stop(t)
}

type sseEvent struct{ id, typ, data string }

// sse opens a stream and delivers its events on a channel.
func sse(t *testing.T, url, token string) <-chan sseEvent {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	req, _ := http.NewRequestWithContext(ctx, "GET", url, nil)
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("stream: %v %v", err, resp)
	}
	out := make(chan sseEvent, 16)
	go func() {
		defer resp.Body.Close()
		sc := bufio.NewScanner(resp.Body)
		var ev sseEvent
		for sc.Scan() {
			line := sc.Text()
			switch {
			case line == "":
				if ev.typ != "" {
					out <- ev
				}
				ev = sseEvent{}
			case strings.HasPrefix(line, "id: "):
				ev.id = line[4:]
			case strings.HasPrefix(line, "event: "):
				ev.typ = line[7:]
			case strings.HasPrefix(line, "data: "):
				ev.data = line[6:]
			}
		}
	}()
	return out
}

func waitEvent(t *testing.T, ch <-chan sseEvent, d time.Duration) sseEvent {
	t.Helper()
	select {
	case ev := <-ch:
		return ev
	case <-time.After(d):
		t.Fatal("no event")
	}
	return sseEvent{}
}
