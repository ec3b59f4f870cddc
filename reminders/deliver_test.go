package reminders

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"runtime"
	"sync"
	"testing"
	"time"

	"github.com/almanac/almanac/egress"
	"github.com/almanac/almanac/outbox"
	"github.com/almanac/almanac/store"
	"github.com/almanac/almanac/store/storetest"
)

// The webhook channel posts the reminder signed with the user's secret and
// its idempotency key; answers decide between retrying and giving up; a
// private address is refused unless the operator allowed it.
func TestWebhook(t *testing.T) {
	st := storetest.SQLite(t)
	ctx := context.Background()
	u := &store.User{Name: "wes", Email: "wes@example.com"}
	if err := st.CreateUser(ctx, u); err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	status := http.StatusOK
	var got *http.Request
	var body []byte
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		defer mu.Unlock()
		got, body = r, nil
		body, _ = io.ReadAll(r.Body)
		w.WriteHeader(status)
	}))
	defer srv.Close()
	if err := st.PutReminderSettings(ctx, &store.ReminderSettings{UserID: u.ID, WebhookURL: srv.URL + "/hook", WebhookSecret: "s3cret"}); err != nil {
		t.Fatal(err)
	}
	payload, _ := json.Marshal(delivery{UserID: u.ID, Key: "reminder/x/1/a/0/1/reminder-webhook",
		Reminder: Reminder{ID: "x/1/a/0/1", Summary: "Dentist", TriggerAt: time.Date(2026, 6, 1, 11, 45, 0, 0, time.UTC)}})
	m := &store.OutboxMessage{Kind: KindWebhook, Payload: payload}

	open := NewWebhook(st, egress.New(egress.Options{AllowPrivate: true, Timeout: 5 * time.Second}))
	if err := open.Deliver(ctx, m); err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	ts, sig := got.Header.Get("X-Almanac-Timestamp"), got.Header.Get("X-Almanac-Signature")
	if sig != "sha256="+Sign("s3cret", ts, body) || got.Header.Get("Idempotency-Key") != "reminder/x/1/a/0/1/reminder-webhook" {
		t.Errorf("headers %v", got.Header)
	}
	status = http.StatusServiceUnavailable
	mu.Unlock()
	var perm *outbox.PermanentError
	if err := open.Deliver(ctx, m); err == nil || errors.As(err, &perm) {
		t.Errorf("503: %v, want a retry", err)
	}
	mu.Lock()
	status = http.StatusGone
	mu.Unlock()
	if err := open.Deliver(ctx, m); !errors.As(err, &perm) {
		t.Errorf("410: %v, want a permanent failure", err)
	}
	closed := NewWebhook(st, egress.New(egress.Options{Timeout: 5 * time.Second}))
	if err := closed.Deliver(ctx, m); !errors.As(err, &perm) || !errors.Is(err, egress.ErrForbiddenAddress) {
		t.Errorf("loopback webhook: %v, want a permanent refusal", err)
	}
}

// blockingFeed holds its first write until released, and records the
// size of every write.
type blockingFeed struct {
	mu      sync.Mutex
	sizes   []int
	next    int64
	first   chan struct{}
	release chan struct{}
}

func (f *blockingFeed) FeedReminders(_ context.Context, entries []store.FeedEntry) ([]int64, error) {
	f.mu.Lock()
	firstCall := len(f.sizes) == 0
	f.sizes = append(f.sizes, len(entries))
	ids := make([]int64, len(entries))
	for i := range ids {
		f.next++
		ids[i] = f.next
	}
	f.mu.Unlock()
	if firstCall {
		close(f.first)
		<-f.release
	}
	return ids, nil
}

// Reminders handed over while the feed is being written wait and are
// written together, each getting its own id.
func TestFeedWriterBatches(t *testing.T) {
	f := &blockingFeed{first: make(chan struct{}), release: make(chan struct{})}
	w := &feedWriter{feed: f}
	ctx := context.Background()
	ids := make(chan int64, 11)
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		id, _ := w.add(ctx, store.FeedEntry{Key: "first"})
		ids <- id
	}()
	<-f.first
	for i := range 10 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			id, err := w.add(ctx, store.FeedEntry{Key: string(rune('a' + i))})
			if err != nil {
				t.Error(err)
			}
			ids <- id
		}()
	}
	for queued := 0; queued < 10; {
		w.mu.Lock()
		queued = len(w.pending)
		w.mu.Unlock()
		runtime.Gosched()
	}
	close(f.release)
	wg.Wait()
	close(ids)
	seen := map[int64]bool{}
	for id := range ids {
		if seen[id] || id == 0 {
			t.Errorf("id %d given twice or not at all", id)
		}
		seen[id] = true
	}
	if len(seen) != 11 || len(f.sizes) != 2 || f.sizes[0] != 1 || f.sizes[1] != 10 {
		t.Errorf("%d ids; writes of %v, want 1 then 10", len(seen), f.sizes)
	}
	if w.busy || len(w.pending) != 0 {
		t.Error("the writer is left busy")
	}
}
