// Package servetest builds the almanac command and runs "almanac serve" as
// a child process, for tests that need a whole server: real CalDAV
// clients, a browser, several nodes, the simulator.
package servetest

import (
	"bufio"
	"errors"
	"fmt"
	"hash/fnv"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// Package is the almanac command's import path, which go build accepts
// from anywhere in the module.
const Package = "github.com/almanac/almanac/cmd/almanac"

// BuildTo compiles the almanac command to path.
func BuildTo(path string) error {
	if out, err := exec.Command("go", "build", "-o", path, Package).CombinedOutput(); err != nil {
		return fmt.Errorf("go build: %w\n%s", err, out)
	}
	return nil
}

// Build compiles the almanac command into a directory of the test's.
func Build(t testing.TB) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "almanac")
	if err := BuildTo(bin); err != nil {
		t.Fatal(err)
	}
	return bin
}

// Server is a running "almanac serve".
type Server struct {
	URL string // http://127.0.0.1:port, or https:// when it serves TLS
	Cmd *exec.Cmd
}

// The line "almanac serve" prints once it accepts requests, and how long
// to wait for it and for the server to stop.
const (
	readyPrefix = "Almanac is serving on "
	startWait   = 60 * time.Second
	stopWait    = 20 * time.Second
)

// Start runs bin serve on a free loopback port, with the test's
// environment and env added (ALMANAC_* settings: data directory, database
// URL…), and waits for the line that gives its URL. The server is stopped
// when the test ends unless the test has stopped or killed it.
func Start(t testing.TB, bin string, env ...string) *Server {
	t.Helper()
	return StartWith(t, bin, nil, env...)
}

// StartWith is Start with flags added after its own, which they override
// (a --listen address of the test's, say).
func StartWith(t testing.TB, bin string, flags []string, env ...string) *Server {
	t.Helper()
	args := append([]string{"serve", "--listen", "127.0.0.1:0", "--log-level", "warn"}, flags...)
	cmd := exec.Command(bin, args...)
	cmd.Env = append(append(os.Environ(), "ALMANAC_BUS_SUBJECTS="+subjects(t)), env...)
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	s := &Server{Cmd: cmd}
	t.Cleanup(func() {
		if err := s.Stop(); err != nil {
			t.Errorf("almanac serve: %v", err)
		}
	})
	urls := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			if u, ok := strings.CutPrefix(sc.Text(), readyPrefix); ok {
				urls <- u
			}
		}
		close(urls)
		_, _ = io.Copy(io.Discard, stdout)
	}()
	select {
	case u, ok := <-urls:
		if !ok {
			t.Fatal("almanac serve exited before serving")
		}
		s.URL = u
	case <-time.After(startWait):
		t.Fatal("almanac serve did not start")
	}
	return s
}

// Stop sends SIGTERM and waits for a clean exit, killing the server if it
// does not stop in time. It does nothing if the process has been waited
// for already (stopped, or killed by the test).
func (s *Server) Stop() error {
	if s.Cmd.ProcessState != nil {
		return nil
	}
	_ = s.Cmd.Process.Signal(syscall.SIGTERM)
	done := make(chan error, 1)
	go func() { done <- s.Cmd.Wait() }()
	select {
	case err := <-done:
		return err
	case <-time.After(stopWait):
		_ = s.Cmd.Process.Kill()
		<-done
		return errors.New("did not stop on SIGTERM")
	}
}

// subjects names the bus subjects of the test's servers: shared by the
// nodes one test starts, apart from those of tests running at the same time
// against the same NATS server with databases of their own.
func subjects(t testing.TB) string {
	name, _, _ := strings.Cut(t.Name(), "/")
	h := fnv.New32a()
	h.Write([]byte(name))
	return fmt.Sprintf("almanac-test-%d-%x", os.Getpid(), h.Sum32())
}
