package main

import (
	"context"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/almanac/almanac/store"
)

func TestOutboxCommand(t *testing.T) {
	dir := t.TempDir()
	st, err := store.Open(context.Background(), filepath.Join(dir, "almanac.db"), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	_ = st.Enqueue(ctx, store.OutboxMessage{Kind: "email", IdempotencyKey: "k", Payload: []byte("x"), Ref: "evt-1"})
	msgs, _ := st.LeaseOutbox(ctx, 1, time.Minute)
	_ = st.FailOutbox(ctx, msgs[0].ID, "550 no such user", time.Now(), true)
	st.Close()

	cmd := func(args ...string) (int, string) {
		var out strings.Builder
		code := run(append(append([]string{"outbox"}, args...), "--data-dir", dir), nil, &out, &out)
		return code, out.String()
	}
	if code, out := cmd("list", "--status", "dead"); code != 0 || !strings.Contains(out, "550 no such user") || !strings.Contains(out, "evt-1") {
		t.Fatalf("list: %d %s", code, out)
	}
	if code, out := cmd("stats"); code != 0 || !strings.Contains(out, "dead 1") {
		t.Fatalf("stats: %d %s", code, out)
	}
	if code, out := cmd("retry", "1"); code != 0 {
		t.Fatalf("retry: %d %s", code, out)
	}
	if code, out := cmd("stats"); !strings.Contains(out, "pending 1") {
		t.Fatalf("after retry: %d %s", code, out)
	}
	if code, _ := cmd("drop", "1"); code != 0 {
		t.Fatalf("drop: %d", code)
	}
	if code, _ := cmd("drop", "1"); code != 1 {
		t.Fatalf("second drop: %d", code)
	}
	if code, _ := cmd("retry", "x"); code != 2 {
		t.Fatalf("bad id: %d", code)
	}
}
