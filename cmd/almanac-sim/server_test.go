package main

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

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
// with the next three users as writer, reader and free/busy. Each follows
// the link in the verification mail the server wrote to dataDir, so that
// invitations to their address reach them.
func populate(t *testing.T, base, dataDir string, k int) {
	t.Helper()
	ctx := context.Background()
	hc := httpClient(4)
	ids := make([]string, k)
	for n := range k {
		c := client.New(base, hc)
		u, err := c.Register(ctx, jsonapi.RegisterRequest{Name: userName(n), Email: userEmail(n),
			Password: testPassword, DisplayName: fmt.Sprintf("Sim User %d", n)})
		if err != nil {
			t.Fatal(err)
		}
		ids[n] = u.ID
		verifyByMail(t, base, dataDir, userEmail(n))
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
		share(t, base, hc, n, ids)
	}
}

func mkcal(t *testing.T, hc *http.Client, base string, n int, seg, display string) {
	body := `<?xml version="1.0" encoding="utf-8"?><C:mkcalendar xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:ns:caldav">` +
		`<D:set><D:prop><D:displayname>` + display + `</D:displayname></D:prop></D:set></C:mkcalendar>`
	url := base + "/dav/calendars/" + userName(n) + "/" + seg + "/"
	expect(t, hc, newDAVRequest("MKCALENDAR", url, basicAuth(userName(n), testPassword), "", []byte(body)), http.StatusCreated)
}

// share shares user n's work calendar with the next three users, named
// by id: a registered address is not matched to its account before its
// owner follows the verification link.
func share(t *testing.T, base string, hc *http.Client, n int, ids []string) {
	k := len(ids)
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
			if err := c.Share(ctx, cal.ID, jsonapi.ShareRequest{UserID: ids[(n+1+d)%k], Role: role}); err != nil {
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

var verifyTokenRE = regexp.MustCompile(`/verify-email/([A-Za-z0-9_-]+)`)

// verifyByMail follows the verification link the server wrote for addr
// into DATA_DIR/mail-out, as the address's owner would.
func verifyByMail(t *testing.T, base, dataDir, addr string) {
	t.Helper()
	for deadline := time.Now().Add(20 * time.Second); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		files, _ := filepath.Glob(filepath.Join(dataDir, "mail-out", "*.eml"))
		for _, f := range files {
			b, err := os.ReadFile(f)
			if err != nil {
				continue
			}
			text := strings.ReplaceAll(strings.ReplaceAll(string(b), "=\r\n", ""), "=\n", "")
			m := verifyTokenRE.FindStringSubmatch(text)
			if m == nil || !strings.Contains(text, "To: <"+addr+">") {
				continue
			}
			resp, err := http.Post(base+"/api/v1/users/verify-email", "application/json", strings.NewReader(`{"token":"`+m[1]+`"}`))
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode != http.StatusOK {
				t.Fatalf("verify %s: %d", addr, resp.StatusCode)
			}
			return
		}
	}
	t.Fatalf("no verification mail to %s", addr)
}
