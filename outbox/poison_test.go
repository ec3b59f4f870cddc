package outbox

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/almanac/almanac/store"
	"github.com/almanac/almanac/store/storetest"
)

// waitFor polls cond for up to ten seconds.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(5 * time.Millisecond) {
		if cond() {
			return
		}
	}
	t.Fatalf("timed out waiting for %s", what)
}

// TestPanickingHandlerBecomesDeadLetter: a handler that panics fails the
// attempt like an error would; after its retries the message is a dead
// letter, and the worker goes on delivering the others.
func TestPanickingHandlerBecomesDeadLetter(t *testing.T) {
	st := storetest.SQLite(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var tries atomic.Int32
	delivered := make(chan string, 1)
	w := New(st, Options{Handlers: map[string]Handler{
		"poison": HandlerFunc(func(context.Context, *store.OutboxMessage) error {
			tries.Add(1)
			var list []int
			return fmt.Errorf("unreachable: %d", list[tries.Load()]) // out of range: panics
		}),
		"fine": HandlerFunc(func(_ context.Context, m *store.OutboxMessage) error {
			delivered <- m.IdempotencyKey
			return nil
		}),
	}, MaxAttempts: 3, BaseDelay: time.Millisecond, Poll: 5 * time.Millisecond, Logger: quietLog()})
	done := make(chan struct{})
	go func() { w.Run(ctx); close(done) }()
	if err := st.Enqueue(ctx, store.OutboxMessage{Kind: "poison", IdempotencyKey: "p", Payload: []byte("x")}); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the dead letter", func() bool {
		dead, _ := st.ListOutbox(ctx, store.OutboxDead, 1)
		return len(dead) == 1
	})
	dead, _ := st.ListOutbox(ctx, store.OutboxDead, 1)
	if dead[0].Attempts != 3 || tries.Load() != 3 || !strings.HasPrefix(dead[0].LastError, "panic: ") {
		t.Fatalf("dead letter after %d tries: %+v", tries.Load(), dead[0])
	}
	if err := st.Enqueue(ctx, store.OutboxMessage{Kind: "fine", IdempotencyKey: "after", Payload: []byte("y")}); err != nil {
		t.Fatal(err)
	}
	w.Kick()
	select {
	case <-delivered:
	case <-time.After(10 * time.Second):
		t.Fatal("the worker stopped delivering after a panic")
	}
	cancel()
	<-done
}

// TestInterruptedMessageDeliveredAlone: a message whose node stopped while
// it was leased is delivered again, with nothing else of the worker's
// running; if the node stops again during that delivery, the message is
// given up on without being run a third time.
func TestInterruptedMessageDeliveredAlone(t *testing.T) {
	st := storetest.SQLite(t)
	ctx := context.Background()
	now := time.Now()
	var mu sync.Mutex
	st.SetClock(func() time.Time { mu.Lock(); defer mu.Unlock(); return now })
	later := func(d time.Duration) { mu.Lock(); now = now.Add(d); mu.Unlock() }
	if err := st.Enqueue(ctx, store.OutboxMessage{Kind: "k", IdempotencyKey: "victim", Payload: []byte("x")},
		store.OutboxMessage{Kind: "k", IdempotencyKey: "other", Payload: []byte("y")}); err != nil {
		t.Fatal(err)
	}
	// A node leases both and dies.
	if got, err := st.LeaseOutbox(ctx, 10, time.Minute); err != nil || len(got) != 2 {
		t.Fatalf("lease: %v %v", got, err)
	}
	later(2 * time.Minute)

	var running, most atomic.Int32
	calls := map[string]int{}
	run := func(w *Worker) {
		wctx, cancel := context.WithCancel(ctx)
		done := make(chan struct{})
		go func() { w.Run(wctx); close(done) }()
		waitFor(t, "both messages handled", func() bool {
			c, _, _ := st.OutboxStats(ctx)
			return c[store.OutboxPending] == 0
		})
		cancel()
		<-done
	}
	h := HandlerFunc(func(_ context.Context, m *store.OutboxMessage) error {
		n := running.Add(1)
		defer running.Add(-1)
		if n > most.Load() {
			most.Store(n)
		}
		mu.Lock()
		calls[m.IdempotencyKey]++
		mu.Unlock()
		time.Sleep(20 * time.Millisecond)
		return nil
	})
	run(New(st, Options{Handlers: map[string]Handler{"k": h}, Poll: 5 * time.Millisecond, Logger: quietLog()}))
	if calls["victim"] != 1 || calls["other"] != 1 || most.Load() != 1 {
		t.Fatalf("after the first stop: calls %v, at most %d at once", calls, most.Load())
	}

	// Again, and this time the node also dies delivering it alone.
	if err := st.Enqueue(ctx, store.OutboxMessage{Kind: "k", IdempotencyKey: "poison", Payload: []byte("z")}); err != nil {
		t.Fatal(err)
	}
	if _, err := st.LeaseOutbox(ctx, 10, time.Minute); err != nil {
		t.Fatal(err)
	}
	later(2 * time.Minute)
	got, _ := st.LeaseOutbox(ctx, 10, time.Minute)
	if len(got) != 1 || got[0].LastError != store.OutboxInterrupted {
		t.Fatalf("second lease: %+v", got)
	}
	if err := st.IsolateOutbox(ctx, got[0].ID); err != nil { // what the worker does before running it
		t.Fatal(err)
	}
	later(2 * time.Minute)
	run(New(st, Options{Handlers: map[string]Handler{"k": h}, Poll: 5 * time.Millisecond, Logger: quietLog()}))
	if calls["poison"] != 0 {
		t.Fatalf("the message that stopped its node twice was run again")
	}
	dead, _ := st.ListOutbox(ctx, store.OutboxDead, 10)
	if len(dead) != 1 || dead[0].IdempotencyKey != "poison" {
		t.Fatalf("dead letters: %+v", dead)
	}
}

// TestStopReleasesUnstarted: messages leased but not yet handed to a
// handler when the worker stops are given back, neither counted as an
// attempt nor taken for interrupted ones.
func TestStopReleasesUnstarted(t *testing.T) {
	st := storetest.SQLite(t)
	ctx, cancel := context.WithCancel(context.Background())
	started, finish := make(chan struct{}, 3), make(chan struct{})
	w := New(st, Options{Handlers: map[string]Handler{"k": HandlerFunc(func(context.Context, *store.OutboxMessage) error {
		started <- struct{}{}
		<-finish
		return nil
	})}, Concurrency: 1, Poll: 5 * time.Millisecond, Logger: quietLog()})
	for _, k := range []string{"a", "b", "c"} {
		if err := st.Enqueue(ctx, store.OutboxMessage{Kind: "k", IdempotencyKey: k, Payload: []byte(k)}); err != nil {
			t.Fatal(err)
		}
	}
	done := make(chan struct{})
	go func() { w.Run(ctx); close(done) }()
	<-started
	cancel()
	close(finish)
	<-done
	got, err := st.LeaseOutbox(context.Background(), 10, time.Minute)
	if err != nil || len(got) != 2 {
		t.Fatalf("left to deliver: %d (%v)", len(got), err)
	}
	for _, m := range got {
		if m.Attempts != 1 || m.LastError != "" {
			t.Errorf("%s: attempts %d, last error %q", m.IdempotencyKey, m.Attempts, m.LastError)
		}
	}
}

// TestOverrunningHandlerLeftBehind: a handler that ignores its deadline
// fails the attempt once its budget is spent and ends in the dead
// letters; the worker goes on delivering meanwhile.
func TestOverrunningHandlerLeftBehind(t *testing.T) {
	st := storetest.SQLite(t)
	ctx, cancel := context.WithCancel(context.Background())
	stuck := make(chan struct{})
	defer close(stuck)
	delivered := make(chan string, 1)
	w := New(st, Options{Handlers: map[string]Handler{
		"stuck": HandlerFunc(func(context.Context, *store.OutboxMessage) error { <-stuck; return nil }),
		"fine": HandlerFunc(func(_ context.Context, m *store.OutboxMessage) error {
			delivered <- m.IdempotencyKey
			return nil
		}),
	}, MaxAttempts: 2, Lease: 200 * time.Millisecond, BaseDelay: time.Millisecond, Poll: 5 * time.Millisecond, Logger: quietLog()})
	done := make(chan struct{})
	go func() { w.Run(ctx); close(done) }()
	defer func() { cancel(); <-done }()
	if err := st.Enqueue(ctx, store.OutboxMessage{Kind: "stuck", IdempotencyKey: "s", Payload: []byte("x")},
		store.OutboxMessage{Kind: "fine", IdempotencyKey: "f", Payload: []byte("y")}); err != nil {
		t.Fatal(err)
	}
	select {
	case <-delivered:
	case <-time.After(10 * time.Second):
		t.Fatal("a stuck delivery held up the others")
	}
	waitFor(t, "the dead letter", func() bool {
		dead, _ := st.ListOutbox(ctx, store.OutboxDead, 1)
		return len(dead) == 1 && strings.HasPrefix(dead[0].LastError, "exceeded its time budget")
	})
}
