package main

import (
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"

	"github.com/almanac/almanac/cmd/almanac/servetest"
)

// davClient speaks CalDAV to a test server as one user.
type davClient struct {
	t          *testing.T
	base       string
	user, pass string
}

func (c *davClient) do(method, path, body string, hdr ...string) (int, http.Header, string) {
	req, err := http.NewRequest(method, c.base+path, strings.NewReader(body))
	if err != nil {
		c.t.Error(err)
		return 0, nil, ""
	}
	req.SetBasicAuth(c.user, c.pass)
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		c.t.Error(err)
		return 0, nil, ""
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, resp.Header, string(b)
}

func eventICS(uid string) string {
	return "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//test//EN\r\nBEGIN:VEVENT\r\nUID:" + uid +
		"\r\nDTSTAMP:20260101T000000Z\r\nDTSTART:20260302T090000Z\r\nDTEND:20260302T100000Z\r\nSUMMARY:" + uid +
		"\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n"
}

// put stores a new event and returns its ETag, or "" when the server did
// not acknowledge it.
func (c *davClient) put(cal, name string) string {
	code, h, _ := c.do("PUT", "/dav/calendars/"+c.user+"/"+cal+"/"+name+".ics", eventICS(name),
		"Content-Type", "text/calendar", "If-None-Match", "*")
	if code != http.StatusCreated {
		return ""
	}
	return h.Get("ETag")
}

var syncTokenRE = regexp.MustCompile(`<[^>]*sync-token>([^<]+)</`)

// sync runs sync-collection from token ("" for everything) and returns
// the status, the new token and the body.
func (c *davClient) sync(cal, token string) (int, string, string) {
	body := `<?xml version="1.0" encoding="utf-8"?><D:sync-collection xmlns:D="DAV:"><D:sync-token>` + token +
		`</D:sync-token><D:sync-level>1</D:sync-level><D:prop><D:getetag/></D:prop></D:sync-collection>`
	code, _, out := c.do("REPORT", "/dav/calendars/"+c.user+"/"+cal+"/", body, "Content-Type", "application/xml")
	m := syncTokenRE.FindStringSubmatch(out)
	if m == nil {
		return code, "", out
	}
	return code, m[1], out
}

// almanacCmd runs the binary with the test's settings and returns its
// exit status and output.
func almanacCmd(t *testing.T, bin string, env []string, stdin string, args ...string) (int, string) {
	t.Helper()
	cmd := exec.Command(bin, args...)
	cmd.Env = append(os.Environ(), env...)
	cmd.Stdin = strings.NewReader(stdin)
	out, err := cmd.CombinedOutput()
	if cmd.ProcessState == nil {
		t.Fatalf("%v: %v", args, err)
	}
	return cmd.ProcessState.ExitCode(), string(out)
}

var appPasswordRE = regexp.MustCompile(`\(shown once\): (\S+)`)

// addUser makes alice with a password and an app password, which it returns.
func addUser(t *testing.T, bin string, env []string) string {
	t.Helper()
	if code, out := almanacCmd(t, bin, env, "correct horse\n", "user", "add", "alice", "--email", "alice@example.com", "--password-stdin"); code != 0 {
		t.Fatalf("user add: %d %s", code, out)
	}
	code, out := almanacCmd(t, bin, env, "", "user", "app-password", "alice", "phone")
	m := appPasswordRE.FindStringSubmatch(out)
	if code != 0 || m == nil {
		t.Fatalf("app-password: %d %s", code, out)
	}
	return m[1]
}

// written is the events a load generator had acknowledged, in order.
type written struct {
	mu    sync.Mutex
	names []string
	etags map[string]string
}

func (w *written) add(name, etag string) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.names = append(w.names, name)
	w.etags[name] = etag
}

// upTo returns the events acknowledged so far.
func (w *written) upTo() []string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return append([]string(nil), w.names...)
}

// writeLoad keeps writing events from two clients until stop is closed.
func writeLoad(c *davClient, cal string, w *written, stop chan struct{}) *sync.WaitGroup {
	var wg sync.WaitGroup
	for g := range 2 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; ; i++ {
				select {
				case <-stop:
					return
				default:
				}
				name := fmt.Sprintf("load-%d-%d", g, i)
				if etag := c.put(cal, name); etag != "" {
					w.add(name, etag)
				}
			}
		}()
	}
	return &wg
}

// TestBackupUnderLoad backs up a running server while it takes writes,
// restores the backup into a fresh data directory, starts a server on it,
// and finds every event acknowledged before the backup began with its
// ETag, a sync token taken before still valid, and the password and app
// password still working.
func TestBackupUnderLoad(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the binary")
	}
	bin := servetest.Build(t)
	dir := t.TempDir()
	env := []string{"ALMANAC_DATA_DIR=" + filepath.Join(dir, "data"), "ALMANAC_DATABASE_URL=", "ALMANAC_NATS_URL="}
	srv := servetest.Start(t, bin, env...)
	c := &davClient{t: t, base: srv.URL, user: "alice", pass: addUser(t, bin, env)}
	if code, _, body := c.do("MKCALENDAR", "/dav/calendars/alice/work/", ""); code != 201 {
		t.Fatalf("MKCALENDAR: %d %s", code, body)
	}
	w := &written{etags: map[string]string{}}
	for i := range 10 {
		name := fmt.Sprintf("first-%d", i)
		w.add(name, c.put("work", name))
	}
	code, token, body := c.sync("work", "")
	if code != 207 || token == "" {
		t.Fatalf("sync-collection: %d %s", code, body)
	}
	afterToken := len(w.upTo())

	stop := make(chan struct{})
	load := writeLoad(c, "work", w, stop)
	for len(w.upTo()) < afterToken+20 {
		c.put("work", "pace") // wait for some writes after the token, without sleeping
		c.do("DELETE", "/dav/calendars/alice/work/pace.ics", "")
	}
	before := w.upTo()
	archive := filepath.Join(dir, "backup.tar.gz")
	code, out := almanacCmd(t, bin, env, "", "backup", archive)
	close(stop)
	load.Wait()
	if code != 0 {
		t.Fatalf("backup: %d %s", code, out)
	}
	t.Logf("%d events acknowledged before the backup began, %d by its end", len(before), len(w.upTo()))
	if code, out := almanacCmd(t, bin, env, "", "restore", archive); code == 0 || !strings.Contains(out, "--force") {
		t.Fatalf("restore into the live, non-empty data directory: %d %s", code, out)
	}
	if err := srv.Stop(); err != nil {
		t.Fatal(err)
	}

	env2 := []string{"ALMANAC_DATA_DIR=" + filepath.Join(dir, "restored"), "ALMANAC_DATABASE_URL=", "ALMANAC_NATS_URL="}
	if code, out := almanacCmd(t, bin, env2, "", "restore", archive); code != 0 {
		t.Fatalf("restore: %d %s", code, out)
	}
	for _, key := range []string{"secret.key", "rsvp.key"} {
		a, _ := os.ReadFile(filepath.Join(dir, "data", key))
		b, err := os.ReadFile(filepath.Join(dir, "restored", key))
		if err != nil || string(a) != string(b) {
			t.Errorf("%s not restored: %v", key, err)
		}
	}
	srv2 := servetest.Start(t, bin, env2...)
	c.base = srv2.URL // with the app password
	checkRestored(t, c, w, before, afterToken, token)
	if code := login(t, srv2.URL, "alice", "correct horse"); code != 200 {
		t.Errorf("password login after restore: %d", code)
	}
}

// checkRestored finds every event acknowledged before the backup, and the
// ones written after the token in the answer to a sync from it.
func checkRestored(t *testing.T, c *davClient, w *written, before []string, afterToken int, token string) {
	t.Helper()
	for _, name := range before {
		code, h, _ := c.do("GET", "/dav/calendars/alice/work/"+name+".ics", "")
		if code != 200 || h.Get("ETag") != w.etags[name] {
			t.Fatalf("%s after restore: %d, ETag %q, want %q", name, code, h.Get("ETag"), w.etags[name])
		}
	}
	code, _, body := c.sync("work", token)
	if code != 207 {
		t.Fatalf("sync from a token taken before the backup: %d %s", code, body)
	}
	for _, name := range before[afterToken:] {
		if !strings.Contains(body, name+".ics") || !strings.Contains(body, w.etags[name]) {
			t.Fatalf("sync from the old token lacks %s:\n%s", name, body)
		}
	}
	for _, name := range before[:afterToken] {
		if strings.Contains(body, "/"+name+".ics") {
			t.Fatalf("sync from the old token repeats %s, written before it", name)
		}
	}
}
