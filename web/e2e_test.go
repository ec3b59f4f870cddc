//go:build unix

package web_test

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/almanac/almanac/cmd/almanac/servetest"
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

	dataDir := t.TempDir()
	url := servetest.Start(t, servetest.Build(t), "ALMANAC_DATA_DIR="+dataDir, "ALMANAC_DATABASE_URL=", "ALMANAC_NATS_URL=",
		// The scenario subscribes to a calendar the same server publishes.
		"ALMANAC_ALLOW_PRIVATE_FETCH=true").URL

	shots := os.Getenv("ALMANAC_WEB_SCREENSHOTS")
	if shots == "" {
		shots = t.TempDir()
	} else if shots, err = filepath.Abs(shots); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 8*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, node, "e2e/scenario.mjs")
	cmd.Env = append(os.Environ(), "ALMANAC_URL="+url, "ALMANAC_SCREENSHOTS="+shots, "CHROMIUM="+chromium,
		"ALMANAC_MAIL_OUT="+filepath.Join(dataDir, "mail-out"))
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
