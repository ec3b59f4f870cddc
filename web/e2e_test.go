//go:build unix

package web_test

import (
	"bufio"
	"context"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestBrowser runs the client end to end (e2e/scenario.mjs) in headless
// Chromium against a real "almanac serve" with its own data directory. It
// needs Node.js, Debian's chromium and npm ci in web/; without them it
// skips, unless ALMANAC_TEST_REQUIRE_CLIENTS=1 (as in CI). With
// ALMANAC_WEB_SCREENSHOTS=DIR it saves a screenshot of each view there
// (docs/screenshots holds the ones the README shows).
func TestBrowser(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the server and a browser")
	}
	chromium := os.Getenv("CHROMIUM")
	if chromium == "" {
		chromium = "/usr/bin/chromium"
	}
	node, err := exec.LookPath("node")
	missing := ""
	switch {
	case err != nil:
		missing = "node"
	case !exists(chromium):
		missing = chromium
	case !exists("node_modules/playwright-core"):
		missing = "web/node_modules (npm ci)"
	}
	if missing != "" {
		if os.Getenv("ALMANAC_TEST_REQUIRE_CLIENTS") == "1" {
			t.Fatalf("%s is missing", missing)
		}
		t.Skipf("%s is missing", missing)
	}

	bin := filepath.Join(t.TempDir(), "almanac")
	if out, err := exec.Command("go", "build", "-o", bin, "../cmd/almanac").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	url := startServer(t, bin)

	shots := os.Getenv("ALMANAC_WEB_SCREENSHOTS")
	if shots == "" {
		shots = t.TempDir()
	} else if shots, err = filepath.Abs(shots); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 8*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, node, "e2e/scenario.mjs")
	cmd.Env = append(os.Environ(), "ALMANAC_URL="+url, "ALMANAC_SCREENSHOTS="+shots, "CHROMIUM="+chromium)
	// The browser is a child of the script: give them a process group of
	// their own and stop the whole group, whatever happens.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }
	cmd.WaitDelay = 10 * time.Second
	out, err := cmd.CombinedOutput()
	if cmd.Process != nil {
		_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
	}
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		t.Log(line)
	}
	if err != nil {
		t.Fatalf("scenario: %v", err)
	}
}

func exists(p string) bool {
	_, err := os.Stat(p)
	return err == nil
}

// startServer runs bin serve on a free port with its own SQLite data
// directory and returns its URL; it is stopped at cleanup.
func startServer(t *testing.T, bin string) string {
	t.Helper()
	cmd := exec.Command(bin, "serve", "--listen", "127.0.0.1:0", "--log-level", "warn")
	cmd.Env = append(os.Environ(), "ALMANAC_DATA_DIR="+t.TempDir(), "ALMANAC_DATABASE_URL=", "ALMANAC_NATS_URL=")
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
	urls := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			if u, ok := strings.CutPrefix(sc.Text(), "Almanac is serving on "); ok {
				urls <- u
			}
		}
		close(urls)
		_, _ = io.Copy(io.Discard, stdout)
	}()
	select {
	case u, ok := <-urls:
		if !ok {
			t.Fatal("server exited before serving")
		}
		return u
	case <-time.After(60 * time.Second):
		t.Fatal("server did not start")
	}
	return ""
}
