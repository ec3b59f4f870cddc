package reminders

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
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
