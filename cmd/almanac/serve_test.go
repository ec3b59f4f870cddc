package main

import (
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/almanac/almanac/cmd/almanac/servetest"
	"github.com/almanac/almanac/store/storetest"
)

// buildBinary compiles the command for the test.
func buildBinary(t *testing.T) string { return servetest.Build(t) }

// node is a running "almanac serve" of a test.
type node struct {
	srv *servetest.Server
	cmd *exec.Cmd
	url string
}

// startNode runs "almanac serve" and waits for the line with its URL.
func startNode(t *testing.T, bin string, env []string) *node {
	t.Helper()
	s := servetest.Start(t, bin, env...)
	return &node{srv: s, cmd: s.Cmd, url: s.URL}
}

// stop sends SIGTERM and expects a clean exit.
func (n *node) stop(t *testing.T) {
	t.Helper()
	if err := n.srv.Stop(); err != nil {
		t.Fatalf("server exit: %v", err)
	}
}

func get(t *testing.T, url string) (int, string) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

func login(t *testing.T, url, name, password string) int {
	t.Helper()
	resp, err := http.Post(url+"/api/v1/users/login", "application/json",
		strings.NewReader(`{"login":"`+name+`","password":"`+password+`"}`))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp.StatusCode
}

// TestServeLifecycle follows the README: start the server, add a user from
// the command line, log in, stop with SIGTERM, start again and find the
// data still there.
func TestServeLifecycle(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the binary")
	}
	bin := buildBinary(t)
	t.Run("sqlite", func(t *testing.T) {
		dir := t.TempDir()
		lifecycle(t, bin, []string{"ALMANAC_DATA_DIR=" + dir})
		if _, err := os.Stat(filepath.Join(dir, "almanac.db")); err != nil {
			t.Fatalf("no SQLite file in the data directory: %v", err)
		}
	})
	t.Run("postgres", func(t *testing.T) {
		env := []string{"ALMANAC_DATA_DIR=" + t.TempDir(), "ALMANAC_DATABASE_URL=" + storetest.DatabaseURL(t)}
		if nats := os.Getenv("ALMANAC_TEST_NATS_URL"); nats != "" {
			env = append(env, "ALMANAC_NATS_URL="+nats)
		}
		lifecycle(t, bin, env)
	})
}

func lifecycle(t *testing.T, bin string, env []string) {
	n := startNode(t, bin, append(env[:len(env):len(env)], "ALMANAC_METRICS_TOKEN=t0ken"))
	if code, body := get(t, n.url+"/healthz"); code != 200 {
		t.Fatalf("healthz: %d %s", code, body)
	}
	if code, body := get(t, n.url+"/readyz"); code != 200 || !strings.Contains(body, `"database":"ok"`) || !strings.Contains(body, `"bus":"ok"`) {
		t.Fatalf("readyz: %d %s", code, body)
	}
	add := exec.Command(bin, "user", "add", "alice", "--email", "alice@example.com", "--password-stdin")
	add.Env = append(os.Environ(), env...)
	add.Stdin = strings.NewReader("correct horse\n")
	if out, err := add.CombinedOutput(); err != nil {
		t.Fatalf("user add: %v\n%s", err, out)
	}
	if code := login(t, n.url, "alice", "correct horse"); code != 200 {
		t.Fatalf("login: %d", code)
	}
	// The public /metrics answers only the operator's token.
	if code, _ := get(t, n.url+"/metrics"); code != 401 {
		t.Fatalf("metrics without the token: %d", code)
	}
	req, _ := http.NewRequest("GET", n.url+"/metrics", nil)
	req.Header.Set("Authorization", "Bearer t0ken")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || !strings.Contains(string(body), "almanac_http_requests_total") {
		t.Fatalf("metrics: %d", resp.StatusCode)
	}
	n.stop(t)

	n = startNode(t, bin, env)
	if code := login(t, n.url, "alice", "correct horse"); code != 200 {
		t.Fatalf("login after restart: %d", code)
	}
	// Ctrl-C (SIGINT) is a clean shutdown too, with exit status 0.
	if err := n.cmd.Process.Signal(syscall.SIGINT); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- n.cmd.Wait() }()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("exit after SIGINT: %v", err)
		}
	case <-time.After(time.Minute):
		_ = n.cmd.Process.Kill()
		t.Fatal("no exit after SIGINT")
	}
}

func TestUsage(t *testing.T) {
	var out strings.Builder
	if code := run([]string{"bogus"}, nil, &out, &out); code != 2 || !strings.Contains(out.String(), "serve") {
		t.Fatalf("unknown command: %d %s", code, out.String())
	}
	out.Reset()
	if code := run([]string{"serve", "--help"}, nil, &out, &out); code != 0 || !strings.Contains(out.String(), "ALMANAC_DATABASE_URL") {
		t.Fatalf("serve --help: %d %s", code, out.String())
	}
}

// TestServeLimits: the date range and quota settings reach the CalDAV
// server, which advertises them (RFC 4791 §5.2.6, §5.2.7; RFC 4331).
func TestServeLimits(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the binary")
	}
	bin := buildBinary(t)
	env := []string{"ALMANAC_DATA_DIR=" + t.TempDir(), "ALMANAC_DATABASE_URL=", "ALMANAC_NATS_URL=",
		"ALMANAC_QUOTA_BYTES=600", "ALMANAC_MAX_DATE_TIME=2030-01-01T00:00:00Z"}
	n := startNode(t, bin, env)
	defer n.stop(t)
	add := exec.Command(bin, "user", "add", "alice", "--email", "alice@example.com", "--password-stdin")
	add.Env = append(os.Environ(), env...)
	add.Stdin = strings.NewReader("correct horse\n")
	if out, err := add.CombinedOutput(); err != nil {
		t.Fatalf("user add: %v\n%s", err, out)
	}
	dav := func(method, path, body string) (int, string) {
		req, _ := http.NewRequest(method, n.url+path, strings.NewReader(body))
		req.SetBasicAuth("alice", "correct horse")
		req.Header.Set("Depth", "0")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	if code, body := dav("MKCALENDAR", "/dav/calendars/alice/work/", ""); code != 201 {
		t.Fatalf("MKCALENDAR: %d %s", code, body)
	}
	code, body := dav("PROPFIND", "/dav/calendars/alice/work/", `<D:propfind xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:ns:caldav">
<D:prop><C:min-date-time/><C:max-date-time/><D:quota-available-bytes/></D:prop></D:propfind>`)
	for _, want := range []string{"<C:min-date-time>19000101T000000Z</C:min-date-time>", "<C:max-date-time>20300101T000000Z</C:max-date-time>",
		"<D:quota-available-bytes>600</D:quota-available-bytes>"} {
		if code != 207 || !strings.Contains(body, want) {
			t.Fatalf("PROPFIND: %d, no %s in\n%s", code, want, body)
		}
	}
}
