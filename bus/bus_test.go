package bus

import (
	"context"
	"github.com/nats-io/nats.go"
	"os"
	"testing"
	"time"
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
