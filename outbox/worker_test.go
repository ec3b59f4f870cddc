package outbox

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"sync"
	"testing"
	"time"

	"github.com/almanac/almanac/store"
	"github.com/almanac/almanac/store/storetest"
)

func quietLog() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

func TestRetriesThenDelivers(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		var mu sync.Mutex
		tries := map[string]int{}
		delivered := make(chan string, 10)
		flaky := HandlerFunc(func(_ context.Context, m *store.OutboxMessage) error {
			mu.Lock()
			tries[m.IdempotencyKey]++
			n := tries[m.IdempotencyKey]
			mu.Unlock()
			switch {
			case m.IdempotencyKey == "bounce":
				return &PermanentError{errors.New("550 no such mailbox")}
			case n < 3:
				return fmt.Errorf("try %d: 421 busy", n)
			}
			delivered <- m.IdempotencyKey
			return nil
		})
		w := New(st, Options{Handlers: map[string]Handler{"email": flaky}, BaseDelay: 10 * time.Millisecond,
			Poll: 10 * time.Millisecond, Logger: quietLog()})
		done := make(chan struct{})
		go func() { w.Run(ctx); close(done) }()
		if err := st.Enqueue(ctx, store.OutboxMessage{Kind: "email", IdempotencyKey: "ok", Payload: []byte("x")},
			store.OutboxMessage{Kind: "email", IdempotencyKey: "bounce", Payload: []byte("y")}); err != nil {
			t.Fatal(err)
		}
		w.Kick()
		select {
		case k := <-delivered:
			if k != "ok" {
				t.Fatalf("delivered %q", k)
			}
		case <-time.After(10 * time.Second):
			t.Fatal("not delivered")
		}
		cancel()
		<-done
		dead, _ := st.ListOutbox(context.Background(), store.OutboxDead, 10)
		if len(dead) != 1 || dead[0].IdempotencyKey != "bounce" || tries["bounce"] != 1 {
			t.Fatalf("dead letters %+v after %d tries", dead, tries["bounce"])
		}
		if tries["ok"] != 3 {
			t.Fatalf("ok delivered after %d tries, want 3", tries["ok"])
		}
	})
}

func TestGivesUpAfterMaxAttempts(t *testing.T) {
	st := storetest.SQLite(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	w := New(st, Options{Handlers: map[string]Handler{"hook": HandlerFunc(func(context.Context, *store.OutboxMessage) error {
		return errors.New("connection refused")
	})}, MaxAttempts: 3, BaseDelay: time.Millisecond, Poll: 5 * time.Millisecond, Logger: quietLog()})
	go w.Run(ctx)
	_ = st.Enqueue(ctx, store.OutboxMessage{Kind: "hook", IdempotencyKey: "h", Payload: []byte("x")})
	for range 400 {
		if dead, _ := st.ListOutbox(ctx, store.OutboxDead, 1); len(dead) == 1 {
			if dead[0].Attempts != 3 || dead[0].LastError != "connection refused" {
				t.Fatalf("dead letter: %+v", dead[0])
			}
			return
		}
		time.Sleep(10 * time.Millisecond)
	}
	t.Fatal("message never became dead")
}

func TestBackoffGrowsAndCaps(t *testing.T) {
	w := New(nil, Options{BaseDelay: time.Second, MaxDelay: time.Minute})
	for attempt, want := range map[int]time.Duration{1: time.Second, 3: 4 * time.Second, 10: time.Minute, 100: time.Minute} {
		got := w.backoff(attempt)
		if got < want*8/10 || got > want*12/10 {
			t.Errorf("backoff(%d) = %s, want about %s", attempt, got, want)
		}
	}
}
