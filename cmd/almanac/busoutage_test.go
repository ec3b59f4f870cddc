package main

import (
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/almanac/almanac/store/storetest"
)

// TestTwoNodesBusOutage stops the NATS server two nodes share, makes
// changes through node A while it is down, and starts it again: node B's
// open stream then receives every change, replayed from the change log,
// and neither node left the load balancer's pool meanwhile (/readyz stays
// 200, degraded). Node A polls the change log during the outage (its own
// stream sees its changes at once); node B does not, so what B's stream
// receives comes from the catch-up after the reconnection.
func TestTwoNodesBusOutage(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the binary")
	}
	dbURL := storetest.DatabaseURL(t)
	nats := startNATS(t)
	env := []string{"ALMANAC_DATABASE_URL=" + dbURL, "ALMANAC_NATS_URL=" + nats.url()}
	bin := buildBinary(t)
	a := startNode(t, bin, append(env, "ALMANAC_DATA_DIR="+t.TempDir(), "ALMANAC_BUS_OUTAGE_POLL=300ms"))
	b := startNode(t, bin, append(env, "ALMANAC_DATA_DIR="+t.TempDir(), "ALMANAC_BUS_OUTAGE_POLL=0"))

	api(t, "POST", a.url+"/api/v1/users/register", "", `{"name":"alice","email":"alice@example.com","password":"correct horse"}`)
	_, m := api(t, "POST", a.url+"/api/v1/users/login", "", `{"login":"alice","password":"correct horse"}`)
	token := m["token"].(string)
	_, cal := api(t, "POST", a.url+"/api/v1/calendars", token, `{"display_name":"Team"}`)
	calID := cal["id"].(string)
	create := func(i int) string {
		t.Helper()
		start := time.Date(2031, 1, 1, 9, 0, 0, 0, time.UTC).Add(time.Duration(i) * time.Hour)
		code, ev := api(t, "POST", a.url+"/api/v1/events", token, fmt.Sprintf(`{"calendar_id":%q,"title":"Change %d",
			"start":{"date_time":%q},"end":{"date_time":%q}}`, calID, i, start.Format(time.RFC3339), start.Add(30*time.Minute).Format(time.RFC3339)))
		if code != 201 {
			t.Fatalf("event %d: %d %v", i, code, ev)
		}
		return ev["id"].(string)
	}

	onA, onB := sse(t, a.url+"/api/v1/stream", token), sse(t, b.url+"/api/v1/stream", token)
	first := create(0)
	waitChanges(t, onA, []string{first}, 10*time.Second)
	waitChanges(t, onB, []string{first}, 10*time.Second)

	nats.stop(t)
	outage := time.Now()
	waitReady(t, a.url, "degraded")
	waitReady(t, b.url, "degraded")
	const n = 20
	ids := make([]string, n)
	for i := range ids {
		ids[i] = create(i + 1)
	}
	waitChanges(t, onA, ids, 10*time.Second)
	t.Logf("node A's own stream had the %d changes %s into the outage, from polling its change log", n, time.Since(outage).Round(time.Millisecond))
	for _, node := range []*node{a, b} {
		if code, body := get(t, node.url+"/readyz"); code != 200 || !strings.Contains(body, `"bus":"degraded"`) {
			t.Fatalf("readyz during the outage: %d %s", code, body)
		}
	}
	select {
	case ev := <-onB:
		t.Fatalf("node B's stream got %s %s with the bus down and no polling", ev.typ, ev.data)
	default:
	}

	nats.start(t)
	back := time.Now()
	waitChanges(t, onB, ids, 20*time.Second)
	t.Logf("bus down for %s; node B's stream had all %d changes %s after it was back",
		back.Sub(outage).Round(time.Millisecond), n, time.Since(back).Round(time.Millisecond))
	waitReady(t, a.url, "ok")
	waitReady(t, b.url, "ok")

	// Live again, and nothing left over from the outage on either stream.
	last := create(n + 1)
	for _, s := range []<-chan sseEvent{onA, onB} {
		if ev := waitEvent(t, s, 10*time.Second); ev.typ != "change" || !strings.Contains(ev.data, last) {
			t.Fatalf("after the outage: %s %s; want the live change %s", ev.typ, ev.data, last)
		}
	}
	a.stop(t)
	b.stop(t)
	nats.stop(t)
}

// waitChanges reads change events until each of ids has been seen.
func waitChanges(t *testing.T, events <-chan sseEvent, ids []string, d time.Duration) {
	t.Helper()
	want := make(map[string]bool, len(ids))
	for _, id := range ids {
		want[id] = true
	}
	deadline := time.After(d)
	for len(want) > 0 {
		select {
		case ev := <-events:
			for id := range want {
				if ev.typ == "change" && strings.Contains(ev.data, `"event_id":"`+id+`"`) {
					delete(want, id)
				}
			}
		case <-deadline:
			t.Fatalf("%d of %d changes missing after %s", len(want), len(ids), d)
		}
	}
}

// waitReady polls /readyz until it answers 200 with status, and checks
// that the answer reveals nothing about the node's dependencies.
func waitReady(t *testing.T, url, status string) {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for {
		code, body := get(t, url+"/readyz")
		if strings.Contains(body, "127.0.0.1") || strings.Contains(body, "nats:") || strings.Contains(body, "postgres") {
			t.Fatalf("readyz says too much: %s", body)
		}
		if code == 200 && strings.Contains(body, `"status":"`+status+`"`) {
			return
		}
		if code != 200 || time.Now().After(deadline) {
			t.Fatalf("readyz: %d %s; want 200 %s", code, body, status)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// natsProcess is a nats-server of the test's own, on a loopback port that
// stays the same across restarts.
type natsProcess struct {
	port int
	dir  string
	cmd  *exec.Cmd
}

// startNATS starts nats-server with JetStream on a free loopback port.
// It skips the test when nats-server is not installed, unless the run
// requires every tool (CI).
func startNATS(t *testing.T) *natsProcess {
	t.Helper()
	if _, err := exec.LookPath("nats-server"); err != nil {
		if os.Getenv("ALMANAC_TEST_REQUIRE_CLIENTS") != "" {
			t.Fatal("nats-server is not installed")
		}
		t.Skip("nats-server is not installed")
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &natsProcess{port: ln.Addr().(*net.TCPAddr).Port, dir: t.TempDir()}
	ln.Close()
	t.Cleanup(func() { p.stop(t) })
	p.start(t)
	return p
}

func (p *natsProcess) url() string { return "nats://127.0.0.1:" + strconv.Itoa(p.port) }

// start runs the server and waits until it accepts connections.
func (p *natsProcess) start(t *testing.T) {
	t.Helper()
	p.cmd = exec.Command("nats-server", "-a", "127.0.0.1", "-p", strconv.Itoa(p.port), "-js", "-sd", filepath.Join(p.dir, "js"))
	log, err := os.OpenFile(filepath.Join(p.dir, "log"), os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o600)
	if err != nil {
		t.Fatal(err)
	}
	defer log.Close()
	p.cmd.Stdout, p.cmd.Stderr = log, log
	if err := p.cmd.Start(); err != nil {
		t.Fatalf("nats-server: %v", err)
	}
	deadline := time.Now().Add(15 * time.Second)
	for {
		c, err := net.DialTimeout("tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(p.port)), time.Second)
		if err == nil {
			c.Close()
			return
		}
		if time.Now().After(deadline) {
			out, _ := os.ReadFile(filepath.Join(p.dir, "log"))
			t.Fatalf("nats-server did not listen: %v\n%s", err, out)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// stop sends SIGTERM to the server and waits for it to exit, killing it
// if it does not; it does nothing when the server is not running.
func (p *natsProcess) stop(t *testing.T) {
	t.Helper()
	if p.cmd == nil {
		return
	}
	cmd := p.cmd
	p.cmd = nil
	_ = cmd.Process.Signal(syscall.SIGTERM)
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case err := <-done:
		var exit *exec.ExitError
		if err != nil && !errors.As(err, &exit) {
			t.Errorf("nats-server: %v", err)
		}
	case <-time.After(10 * time.Second):
		_ = cmd.Process.Kill()
		<-done
		t.Error("nats-server did not stop on SIGTERM")
	}
}
