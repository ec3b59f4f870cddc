package bus

import (
	"context"
	"net"
	"os"
	"testing"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
)

func roundTrip(t *testing.T, b *Bus) {
	t.Helper()
	got := make(chan string, 1)
	sub, err := b.Conn().Subscribe("almanac.test", func(m *nats.Msg) { got <- string(m.Data) })
	if err != nil {
		t.Fatal(err)
	}
	defer sub.Unsubscribe()
	if err := b.Conn().Publish("almanac.test", []byte("hello")); err != nil {
		t.Fatal(err)
	}
	select {
	case s := <-got:
		if s != "hello" {
			t.Fatalf("got %q", s)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("message not delivered")
	}
	if err := b.Ping(context.Background()); err != nil {
		t.Fatal(err)
	}
}

func TestEmbedded(t *testing.T) {
	b, err := Open(context.Background(), Options{DataDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	if !b.Embedded() {
		t.Fatal("want an embedded server")
	}
	roundTrip(t, b)
}

func TestExternal(t *testing.T) {
	url := os.Getenv("ALMANAC_TEST_NATS_URL")
	if url == "" {
		t.Skip("ALMANAC_TEST_NATS_URL is not set")
	}
	b, err := Open(context.Background(), Options{URL: url})
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	roundTrip(t, b)
}

// Watchers hear when the connection to an external server is lost and
// when it is back, and Connected follows.
func TestWatchOutage(t *testing.T) {
	srv := startServer(t, -1)
	port := srv.Addr().(*net.TCPAddr).Port
	b, err := Open(context.Background(), Options{URL: srv.ClientURL()})
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	states := make(chan bool, 4)
	b.Watch(func(up bool) { states <- up })

	srv.Shutdown()
	srv.WaitForShutdown()
	if up := waitState(t, states); up || b.Connected() {
		t.Fatalf("after the server stopped: told %v, connected %v", up, b.Connected())
	}
	if b.Ping(context.Background()) == nil {
		t.Fatal("ping answered without a server")
	}
	startServer(t, port)
	if up := waitState(t, states); !up || !b.Connected() {
		t.Fatalf("after the server came back: told %v, connected %v", up, b.Connected())
	}
	roundTrip(t, b)
}

// startServer runs a NATS server on a loopback port (-1: any free one).
func startServer(t *testing.T, port int) *server.Server {
	t.Helper()
	srv, err := server.NewServer(&server.Options{Host: "127.0.0.1", Port: port, NoSigs: true, NoLog: true})
	if err != nil {
		t.Fatal(err)
	}
	srv.Start()
	t.Cleanup(srv.Shutdown)
	if !srv.ReadyForConnections(10 * time.Second) {
		t.Fatal("NATS server did not start")
	}
	return srv
}

func waitState(t *testing.T, states <-chan bool) bool {
	t.Helper()
	select {
	case up := <-states:
		return up
	case <-time.After(15 * time.Second):
		t.Fatal("the watcher heard nothing")
	}
	return false
}
