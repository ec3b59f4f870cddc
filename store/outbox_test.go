package store_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/almanac/almanac/store"
	"github.com/almanac/almanac/store/storetest"
)

func TestOutbox(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		c := mustCalendar(t, s, mustUser(t, s, "olga"), "cal")
		w := write("a.ics", "a")
		w.Outbox = []store.OutboxMessage{{Kind: "email", IdempotencyKey: "k1", Payload: []byte("hi"), Ref: "obj-a"}}
		if _, err := s.PutObject(ctx, c.ID, w, store.Conditions{}); err != nil {
			t.Fatal(err)
		}
		// A failed write enqueues nothing.
		bad := write("b.ics", "a")
		bad.Outbox = []store.OutboxMessage{{Kind: "email", IdempotencyKey: "k-lost", Payload: []byte("x")}}
		if _, err := s.PutObject(ctx, c.ID, bad, store.Conditions{}); err == nil {
			t.Fatal("UID conflict not detected")
		}
		// The same key again is one delivery.
		if err := s.Enqueue(ctx, store.OutboxMessage{Kind: "email", IdempotencyKey: "k1", Payload: []byte("again")},
			store.OutboxMessage{Kind: "webhook", IdempotencyKey: "k2", Payload: []byte("w"), DueAt: s.Clock().Add(time.Hour)}); err != nil {
			t.Fatal(err)
		}
		untried := func(want int) {
			t.Helper()
			if n, err := s.OutboxUntried(ctx, []string{"k1", "k2", "k-lost"}); err != nil || n != want {
				t.Errorf("untried: %d %v, want %d", n, err, want)
			}
		}
		untried(2)
		got, err := s.LeaseOutbox(ctx, 10, time.Minute)
		if err != nil || len(got) != 1 || string(got[0].Payload) != "hi" || got[0].Attempts != 1 {
			t.Fatalf("lease: %+v %v", got, err)
		}
		untried(2) // k1 in its first attempt
		if again, _ := s.LeaseOutbox(ctx, 10, time.Minute); len(again) != 0 {
			t.Fatalf("leased twice: %d", len(again))
		}
		if err := s.FailOutbox(ctx, got[0].ID, "421 try later", s.Clock().Add(-time.Second), false); err != nil {
			t.Fatal(err)
		}
		untried(1) // k1 tried once, and failed
		got, _ = s.LeaseOutbox(ctx, 10, time.Minute)
		if len(got) != 1 || got[0].Attempts != 2 || got[0].LastError != "421 try later" {
			t.Fatalf("retry: %+v", got)
		}
		if err := s.FailOutbox(ctx, got[0].ID, "550 no such user", time.Time{}, true); err != nil {
			t.Fatal(err)
		}
		dead, _ := s.ListOutbox(ctx, store.OutboxDead, 10)
		if len(dead) != 1 || dead[0].Ref != "obj-a" {
			t.Fatalf("dead letters: %+v", dead)
		}
		counts, _, err := s.OutboxStats(ctx)
		if err != nil || counts["dead"] != 1 || counts["pending"] != 1 {
			t.Fatalf("stats: %v %v", counts, err)
		}
		if err := s.RetryOutbox(ctx, dead[0].ID); err != nil {
			t.Fatal(err)
		}
		got, _ = s.LeaseOutbox(ctx, 10, time.Minute)
		if len(got) != 1 || got[0].Attempts != 1 {
			t.Fatalf("retried dead letter: %+v", got)
		}
		if err := s.CompleteOutbox(ctx, got[0].ID); err != nil {
			t.Fatal(err)
		}
		if n, err := s.PurgeOutbox(ctx, s.Clock().Add(time.Second)); err != nil || n != 1 {
			t.Fatalf("purge: %d %v", n, err)
		}
		list, _ := s.ListOutbox(ctx, "", 10)
		if len(list) != 1 || list[0].Kind != "webhook" {
			t.Fatalf("left: %+v", list)
		}
		if err := s.DropOutbox(ctx, list[0].ID); err != nil {
			t.Fatal(err)
		}
		if err := s.DropOutbox(ctx, list[0].ID); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("second drop: %v", err)
		}
	})
}

// TestOutboxLeaseOnce lets several workers lease at once: every message is
// handed to exactly one of them.
func TestOutboxLeaseOnce(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		const n = 300
		for i := range n {
			if err := s.Enqueue(ctx, store.OutboxMessage{Kind: "k", IdempotencyKey: fmt.Sprint(i), Payload: []byte{1}}); err != nil {
				t.Fatal(err)
			}
		}
		var mu sync.Mutex
		seen := map[int64]int{}
		var wg sync.WaitGroup
		for range 6 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for {
					got, err := s.LeaseOutbox(ctx, 7, time.Minute)
					if err != nil {
						t.Error(err)
						return
					}
					if len(got) == 0 {
						return
					}
					mu.Lock()
					for _, m := range got {
						seen[m.ID]++
					}
					mu.Unlock()
				}
			}()
		}
		wg.Wait()
		if len(seen) != n {
			t.Fatalf("%d of %d leased", len(seen), n)
		}
		for id, c := range seen {
			if c != 1 {
				t.Fatalf("message %d leased %d times", id, c)
			}
		}
	})
}
