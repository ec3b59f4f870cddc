package store_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/almanac/almanac/store"
	"github.com/almanac/almanac/store/storetest"
)

// TestOutboxInterruptedLease: a message claimed again after its lease ran
// out with no outcome says so, and says it again, more gravely, when its
// node stops while it is delivered on its own; a lease given back unused
// costs no attempt; a message is found by its key.
func TestOutboxInterruptedLease(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
		s.SetClock(func() time.Time { return now })
		if err := s.Enqueue(ctx, store.OutboxMessage{Kind: "k", IdempotencyKey: "poison", Payload: []byte("p")}); err != nil {
			t.Fatal(err)
		}
		lease := func(want int) []*store.OutboxMessage {
			t.Helper()
			got, err := s.LeaseOutbox(ctx, 10, time.Minute)
			if err != nil || len(got) != want {
				t.Fatalf("lease: %d messages, want %d (%v)", len(got), want, err)
			}
			return got
		}
		if m := lease(1)[0]; m.LastError != "" {
			t.Fatalf("first lease: %q", m.LastError)
		}
		now = now.Add(2 * time.Minute) // the node died holding it
		m := lease(1)[0]
		if m.LastError != store.OutboxInterrupted || m.Attempts != 2 {
			t.Fatalf("after a lease ran out: %d %q", m.Attempts, m.LastError)
		}
		if err := s.IsolateOutbox(ctx, m.ID); err != nil {
			t.Fatal(err)
		}
		now = now.Add(2 * time.Minute) // and died again, delivering it alone
		if m := lease(1)[0]; m.LastError != store.OutboxCrashed {
			t.Fatalf("after dying alone with it: %q", m.LastError)
		}
		if err := s.ReleaseOutbox(ctx, []int64{m.ID}); err != nil {
			t.Fatal(err)
		}
		if m := lease(1)[0]; m.Attempts != 3 || m.LastError != store.OutboxCrashed {
			t.Fatalf("after a release: %d %q", m.Attempts, m.LastError)
		}
		if err := s.FailOutbox(ctx, m.ID, "boom", now, false); err != nil {
			t.Fatal(err)
		}
		now = now.Add(time.Second)
		if m := lease(1)[0]; m.LastError != "boom" {
			t.Fatalf("a failure recorded is kept: %q", m.LastError)
		}
		got, err := s.OutboxByKey(ctx, "poison")
		if err != nil || string(got.Payload) != "p" {
			t.Fatalf("by key: %+v %v", got, err)
		}
		if _, err := s.OutboxByKey(ctx, "nothing"); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("unknown key: %v", err)
		}
	})
}
