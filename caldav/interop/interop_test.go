package interop

import (
	"bytes"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/almanac/almanac/cmd/almanac/servetest"
)

func TestMain(m *testing.M) {
	code := m.Run()
	if binPath != "" {
		_ = os.RemoveAll(filepath.Dir(binPath))
	}
	os.Exit(code)
}

var (
	buildOnce sync.Once
	binPath   string
	buildErr  error
)

// binary builds the almanac command once per test run.
func binary(t *testing.T) string {
	t.Helper()
	buildOnce.Do(func() {
		dir, err := os.MkdirTemp("", "almanac-interop")
		if err != nil {
			buildErr = err
			return
		}
		binPath = filepath.Join(dir, "almanac")
		buildErr = servetest.BuildTo(binPath)
	})
	if buildErr != nil {
		t.Fatal(buildErr)
	}
	return binPath
}

// server is a running "almanac serve" with user alice.
type server struct {
	url      string // http://127.0.0.1:port
	env      []string
	password string // alice's app password
}

// startServer runs almanac serve on a free port with its own SQLite data
// directory, adds alice with an app password, and stops it at cleanup.
func startServer(t *testing.T) *server {
	t.Helper()
	if testing.Short() {
		t.Skip("runs the server binary")
	}
	bin := binary(t)
	settings := []string{"ALMANAC_DATA_DIR=" + t.TempDir(), "ALMANAC_DATABASE_URL=", "ALMANAC_NATS_URL="}
	s := &server{env: append(os.Environ(), settings...), url: servetest.Start(t, bin, settings...).URL}
	s.run(t, "correct horse battery\n", "user", "add", "alice", "--email", "alice@example.com", "--password-stdin")
	out := s.run(t, "", "user", "app-password", "alice", "interop")
	s.password = strings.TrimSpace(out[strings.LastIndex(out, ":")+1:])
	return s
}

// run runs an almanac subcommand against the server's data.
func (s *server) run(t *testing.T, stdin string, args ...string) string {
	t.Helper()
	cmd := exec.Command(binPath, args...)
	cmd.Env = s.env
	cmd.Stdin = strings.NewReader(stdin)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("almanac %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return string(out)
}

// do sends a request as alice.
func (s *server) do(t *testing.T, method, path, body string, hdr ...string) (int, string) {
	t.Helper()
	req, _ := http.NewRequest(method, s.url+path, strings.NewReader(body))
	req.SetBasicAuth("alice", s.password)
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// need finds a client program, or skips (fails under
// ALMANAC_TEST_REQUIRE_CLIENTS=1) when it is missing.
func need(t *testing.T, name string, candidates ...string) string {
	t.Helper()
	for _, c := range append(candidates, name) {
		if p, err := exec.LookPath(c); err == nil {
			return p
		}
	}
	missing(t, name+" is not installed")
	return ""
}

func missing(t *testing.T, why string) {
	t.Helper()
	if os.Getenv("ALMANAC_TEST_REQUIRE_CLIENTS") == "1" {
		t.Fatalf("%s (ALMANAC_TEST_REQUIRE_CLIENTS=1; .ci/run installs it)", why)
	}
	t.Skip(why)
}

// runClient runs a client and expects "OK" as its last line.
func runClient(t *testing.T, dir string, env []string, name string, args ...string) string {
	t.Helper()
	cmd := exec.Command(name, args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), env...)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	done := make(chan error, 1)
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { done <- cmd.Wait() }()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("%s %s: %v\n%s", name, strings.Join(args, " "), err, out.String())
		}
	case <-time.After(2 * time.Minute):
		_ = cmd.Process.Kill()
		t.Fatalf("%s timed out\n%s", name, out.String())
	}
	return out.String()
}

// TestPythonCalDAV runs Debian's python3-caldav.
func TestPythonCalDAV(t *testing.T) {
	py := need(t, "python3")
	if err := exec.Command(py, "-c", "import caldav").Run(); err != nil {
		if p, err2 := exec.LookPath("/usr/bin/python3"); err2 == nil && exec.Command(p, "-c", "import caldav").Run() == nil {
			py = p
		} else {
			missing(t, "python3-caldav is not installed")
		}
	}
	s := startServer(t)
	out := runClient(t, ".", nil, py, "testdata/python_caldav.py", s.url+"/dav/", "alice", s.password)
	if !strings.HasSuffix(strings.TrimSpace(out), "OK") {
		t.Fatalf("python caldav: %s", out)
	}
}

// TestTsdav runs the npm tsdav client from node_modules beside this file.
func TestTsdav(t *testing.T) {
	node := need(t, "node", "nodejs")
	if _, err := os.Stat("node_modules/tsdav"); err != nil {
		missing(t, "tsdav is not installed in caldav/interop/node_modules (npm install tsdav)")
	}
	s := startServer(t)
	out := runClient(t, ".", nil, node, "testdata/tsdav.cjs", s.url+"/dav/", "alice", s.password)
	if !strings.HasSuffix(strings.TrimSpace(out), "OK") {
		t.Fatalf("tsdav: %s", out)
	}
}
