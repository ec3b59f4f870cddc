package external_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/almanac/almanac/account"
	"github.com/almanac/almanac/caldav"
	"github.com/almanac/almanac/calendar"
	"github.com/almanac/almanac/external"
	"github.com/almanac/almanac/store"
	"github.com/almanac/almanac/store/storetest"
	"github.com/go-chi/chi/v5"
)

// remote is a CalDAV collection the tests mirror, changed over plain HTTP.
type remote struct {
	collection string // URL, ending in '/'
	user, pass string
}

func (r *remote) do(t *testing.T, method, name, body string) {
	t.Helper()
	req, _ := http.NewRequest(method, r.collection+name, strings.NewReader(body))
	req.SetBasicAuth(r.user, r.pass)
	if body != "" {
		req.Header.Set("Content-Type", "text/calendar; charset=utf-8")
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	if resp.StatusCode/100 != 2 {
		t.Fatalf("%s %s: %s", method, name, resp.Status)
	}
}

func event(uid, summary string) string {
	return "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//test//remote//EN\r\nBEGIN:VEVENT\r\nUID:" + uid +
		"\r\nDTSTAMP:20260101T000000Z\r\nDTSTART:20260310T100000Z\r\nDTEND:20260310T110000Z\r\nSUMMARY:" + strings.ReplaceAll(summary, ",", `\,`) +
		"\r\nATTENDEE;CN=\"Ann ^'The Boss^'\";PARTSTAT=ACCEPTED:mailto:ann@example.com\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n"
}

// mirrorRoundTrip mirrors rem, then adds, edits and deletes remotely and
// checks that each refresh brings the mirror level.
func mirrorRoundTrip(t *testing.T, st *store.Store, rem *remote) {
	ctx := context.Background()
	for _, uid := range []string{"one", "two", "three"} {
		rem.do(t, "PUT", uid+".ics", event(uid, "Event "+uid))
	}
	u := &store.User{Name: "mirror", Email: "mirror@example.com"}
	if err := st.CreateUser(ctx, u); err != nil {
		t.Fatal(err)
	}
	cals := calendar.New(st, calendar.Options{})
	svc := external.New(cals, external.Options{AllowPrivate: true, MinInterval: time.Minute})
	cal, err := svc.Subscribe(ctx, u, external.Subscription{Kind: store.SourceCalDAV, URL: rem.collection,
		Username: rem.user, Password: rem.pass, DisplayName: "Remote"})
	if err != nil {
		t.Fatal(err)
	}
	check := func(step string, want map[string]string) {
		t.Helper()
		objs, err := st.ListObjects(ctx, cal.ID, true)
		if err != nil {
			t.Fatal(err)
		}
		got := map[string]string{}
		for _, o := range objs {
			got[o.Name] = summary(string(o.Data))
		}
		if fmt.Sprint(sorted(got)) != fmt.Sprint(sorted(want)) {
			t.Fatalf("%s: mirror holds %v, want %v", step, got, want)
		}
		src, _ := st.GetSource(ctx, cal.ID)
		if src.LastError != "" || src.Failures != 0 {
			t.Fatalf("%s: source %+v", step, src)
		}
	}
	check("first sync", map[string]string{"one.ics": "Event one", "two.ics": "Event two", "three.ics": "Event three"})
	obj, _ := st.GetObject(ctx, cal.ID, "one.ics")
	if !strings.Contains(string(obj.Data), `Ann ^'The Boss^'`) || strings.Contains(string(obj.Data), "^^") {
		t.Errorf("RFC 6868 parameter not kept:\n%s", obj.Data)
	}
	rem.do(t, "PUT", "four.ics", event("four", "Event four"))
	rem.do(t, "PUT", "two.ics", event("two", "Event two, edited"))
	rem.do(t, "DELETE", "three.ics", "")
	if err := svc.Refresh(ctx, cal); err != nil {
		t.Fatal(err)
	}
	check("after add, edit, delete", map[string]string{"one.ics": "Event one", "two.ics": "Event two, edited", "four.ics": "Event four"})
	rev := mustCal(t, st, cal.ID).Revision
	if err := svc.Refresh(ctx, cal); err != nil {
		t.Fatal(err)
	}
	if got := mustCal(t, st, cal.ID).Revision; got != rev {
		t.Errorf("a refresh without remote changes changed the mirror (revision %d → %d)", rev, got)
	}
	if _, err := cals.PutObject(ctx, u, cal, "five.ics", []byte(event("five", "x")), store.Conditions{}); err != calendar.ErrReadOnly {
		t.Errorf("PUT into the mirror: %v", err)
	}
}

func summary(data string) string {
	for _, l := range strings.Split(data, "\r\n") {
		if s, ok := strings.CutPrefix(l, "SUMMARY:"); ok {
			return strings.ReplaceAll(s, `\,`, ",")
		}
	}
	return ""
}

func sorted(m map[string]string) []string {
	var out []string
	for k, v := range m {
		out = append(out, k+"="+v)
	}
	sort.Strings(out)
	return out
}

func mustCal(t *testing.T, st *store.Store, id int64) *store.Calendar {
	c, err := st.GetCalendar(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// almanacRemote serves another Almanac over CalDAV, as the remote server;
// with noSync its sync-collection reports are refused, so the mirror must
// compare ETags.
func almanacRemote(t *testing.T, noSync bool) *remote {
	st := storetest.SQLite(t)
	acc := account.New(st, account.Options{})
	if _, err := acc.Create(context.Background(), account.NewUser{Name: "bob", Email: "bob@example.com", Password: "bob-password-1"}); err != nil {
		t.Fatal(err)
	}
	h := caldav.New(acc, calendar.New(st, calendar.Options{}), caldav.Options{})
	r := chi.NewRouter()
	r.Mount(caldav.Prefix, h.Routes())
	var handler http.Handler = r
	if noSync {
		handler = http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
			if req.Method == "REPORT" {
				body, _ := io.ReadAll(req.Body)
				if strings.Contains(string(body), "sync-collection") {
					http.Error(w, "not supported", http.StatusNotImplemented)
					return
				}
				req.Body = io.NopCloser(strings.NewReader(string(body)))
			}
			r.ServeHTTP(w, req)
		})
	}
	srv := httptest.NewServer(handler)
	t.Cleanup(srv.Close)
	rem := &remote{collection: srv.URL + "/dav/calendars/bob/work/", user: "bob", pass: "bob-password-1"}
	req, _ := http.NewRequest("MKCALENDAR", rem.collection, nil)
	req.SetBasicAuth(rem.user, rem.pass)
	if resp, err := http.DefaultClient.Do(req); err != nil || resp.StatusCode != 201 {
		t.Fatalf("MKCALENDAR: %v %v", resp, err)
	}
	return rem
}

func TestMirrorAlmanacWithSyncCollection(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		mirrorRoundTrip(t, st, almanacRemote(t, false))
	})
}

func TestMirrorWithETagListing(t *testing.T) {
	mirrorRoundTrip(t, storetest.SQLite(t), almanacRemote(t, true))
}

func TestMirrorWrongPassword(t *testing.T) {
	rem := almanacRemote(t, false)
	st := storetest.SQLite(t)
	ctx := context.Background()
	u := &store.User{Name: "mirror", Email: "mirror@example.com"}
	if err := st.CreateUser(ctx, u); err != nil {
		t.Fatal(err)
	}
	svc := external.New(calendar.New(st, calendar.Options{}), external.Options{AllowPrivate: true})
	_, err := svc.Subscribe(ctx, u, external.Subscription{Kind: store.SourceCalDAV, URL: rem.collection, Username: "bob", Password: "wrong"})
	if err == nil || !strings.Contains(err.Error(), "401") {
		t.Errorf("wrong password: %v", err)
	}
}

// TestMirrorRadicale mirrors a collection of a real Radicale, started
// with the shared peer script, through adds, edits and deletes.
func TestMirrorRadicale(t *testing.T) {
	if testing.Short() {
		t.Skip("starts Radicale")
	}
	if _, err := exec.LookPath("radicale"); err != nil {
		missing(t, "radicale is not installed")
	}
	base := startRadicale(t)
	rem := &remote{collection: base + "alice/mirrored/", user: "alice", pass: "any"}
	req, _ := http.NewRequest("MKCALENDAR", rem.collection, nil)
	req.SetBasicAuth(rem.user, rem.pass)
	resp, err := http.DefaultClient.Do(req)
	if err != nil || resp.StatusCode != http.StatusCreated {
		t.Fatalf("MKCALENDAR on Radicale: %v %v", resp, err)
	}
	mirrorRoundTrip(t, storetest.SQLite(t), rem)
}

// startRadicale runs Radicale on a free loopback port with its storage in
// a temporary directory and any password accepted, and returns its URL.
func startRadicale(t *testing.T) string {
	dir := t.TempDir()
	port := freePort(t)
	cfg := fmt.Sprintf("[server]\nhosts = 127.0.0.1:%d\n[auth]\ntype = none\n[rights]\ntype = owner_only\n"+
		"[storage]\nfilesystem_folder = %s/data\n[logging]\nlevel = warning\n", port, dir)
	if err := os.WriteFile(dir+"/config", []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command("radicale", "--config", dir+"/config")
	if err := cmd.Start(); err != nil {
		t.Fatalf("radicale: %v", err)
	}
	t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
	base := fmt.Sprintf("http://127.0.0.1:%d/", port)
	for range 100 {
		if resp, err := http.Get(base); err == nil {
			resp.Body.Close()
			return base
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Fatal("radicale did not answer")
	return ""
}

func freePort(t *testing.T) int {
	srv := httptest.NewServer(http.NotFoundHandler())
	port, _ := strconv.Atoi(srv.URL[strings.LastIndex(srv.URL, ":")+1:])
	srv.Close()
	return port
}

// missing skips, or fails under ALMANAC_TEST_REQUIRE_CLIENTS=1 (set by
// .ci/run, which installs the tools).
func missing(t *testing.T, why string) {
	t.Helper()
	if os.Getenv("ALMANAC_TEST_REQUIRE_CLIENTS") == "1" {
		t.Fatalf("%s (ALMANAC_TEST_REQUIRE_CLIENTS=1; .ci/run installs it)", why)
	}
	t.Skip(why)
}
