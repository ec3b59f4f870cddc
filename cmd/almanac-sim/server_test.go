package main

import (
	"context"
	"fmt"
	"net/http"
	"testing"

	"github.com/almanac/almanac/client"
	"github.com/almanac/almanac/cmd/almanac/servetest"
	"github.com/almanac/almanac/jsonapi"
)

const testPassword = "almanac-sim-password"

// startServer serves a fresh data directory (and the database env names,
// if any) on a free loopback port; the server is stopped when the test
// ends.
func startServer(t *testing.T, bin string, env ...string) string {
	t.Helper()
	return servetest.Start(t, bin, append([]string{"ALMANAC_DATA_DIR=" + t.TempDir()}, env...)...).URL
}

// populate makes users 0…k-1 as the data set has them, through the API
// and CalDAV: both calendars, a few events, and the work calendar shared
// with the next three users as writer, reader and free/busy.
func populate(t *testing.T, base string, k int) {
	t.Helper()
	ctx := context.Background()
	hc := httpClient(4)
	for n := range k {
		c := client.New(base, hc)
		if _, err := c.Register(ctx, jsonapi.RegisterRequest{Name: userName(n), Email: userEmail(n),
			Password: testPassword, DisplayName: fmt.Sprintf("Sim User %d", n)}); err != nil {
			t.Fatal(err)
		}
		for i, seg := range calendarNames {
			mkcal(t, hc, base, n, seg, []string{"Personal", "Work"}[i])
		}
		for i := range 5 {
			req := newDAVRequest("PUT", fmt.Sprintf("%s/dav/calendars/%s/personal/sim-%d.ics", base, userName(n), i),
				basicAuth(userName(n), testPassword), "", simEvent(1, n, i))
			req.Header.Set("Content-Type", "text/calendar; charset=utf-8")
			expect(t, hc, req, http.StatusCreated)
		}
	}
	for n := range k {
		share(t, base, hc, n, k)
	}
}

func mkcal(t *testing.T, hc *http.Client, base string, n int, seg, display string) {
	body := `<?xml version="1.0" encoding="utf-8"?><C:mkcalendar xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:ns:caldav">` +
		`<D:set><D:prop><D:displayname>` + display + `</D:displayname></D:prop></D:set></C:mkcalendar>`
	url := base + "/dav/calendars/" + userName(n) + "/" + seg + "/"
	expect(t, hc, newDAVRequest("MKCALENDAR", url, basicAuth(userName(n), testPassword), "", []byte(body)), http.StatusCreated)
}

func share(t *testing.T, base string, hc *http.Client, n, k int) {
	ctx := context.Background()
	c := client.New(base, hc)
	if _, err := c.Login(ctx, userName(n), testPassword); err != nil {
		t.Fatal(err)
	}
	cals, err := c.Calendars(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, cal := range cals {
		if cal.CalDAVURL != "/dav/calendars/"+userName(n)+"/work/" {
			continue
		}
		for d, role := range []string{"writer", "reader", "freebusy"} {
			if err := c.Share(ctx, cal.ID, jsonapi.ShareRequest{Email: userEmail((n + 1 + d) % k), Role: role}); err != nil {
				t.Fatal(err)
			}
		}
	}
}

func basicAuth(user, pass string) string {
	req, _ := http.NewRequest("GET", "/", nil)
	req.SetBasicAuth(user, pass)
	return req.Header.Get("Authorization")
}

func expect(t *testing.T, hc *http.Client, req *http.Request, want int) {
	t.Helper()
	w := worker{hc: hc}
	status, err := w.exchange(req)
	if err != nil || status != want {
		t.Fatalf("%s %s: %d %v: %s", req.Method, req.URL, status, err, w.buf.Bytes())
	}
}
