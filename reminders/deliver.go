package reminders

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"mime"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/almanac/almanac/egress"
	"github.com/almanac/almanac/mailer"
	"github.com/almanac/almanac/outbox"
	"github.com/almanac/almanac/store"
)

// mail builds the e-mail of a reminder. It goes to the reminder's owner
// only: RFC 5545 §3.6.6 lets an EMAIL alarm name any ATTENDEE, but a
// server that mailed them would relay mail for anyone who can write an
// event.
func (s *Service) mail(d *store.DueAlarm, r *Reminder, key string) []byte {
	subject := r.Summary
	if subject == "" {
		subject = "(no title)"
	}
	loc := userZone(d.UserTimeZone)
	var b bytes.Buffer
	fmt.Fprintf(&b, "From: %s\r\n", s.opt.MailFrom)
	fmt.Fprintf(&b, "To: %s\r\n", d.UserEmail)
	fmt.Fprintf(&b, "Subject: %s\r\n", mime.QEncoding.Encode("utf-8", "Reminder: "+subject))
	fmt.Fprintf(&b, "Date: %s\r\n", r.TriggerAt.In(loc).Format(time.RFC1123Z))
	// RFC 5322 §3.6.4: the right side of a Message-ID is the sender's
	// domain, which makes it unique; the left derives from the key, so a
	// repeated delivery carries the same one.
	fmt.Fprintf(&b, "Message-ID: <%x@%s>\r\n", sha256.Sum224([]byte(key)), mailDomain(s.opt.MailFrom))
	fmt.Fprintf(&b, "X-Almanac-Reminder: %s\r\n", key)
	// RFC 3834 §5: mail a program sends on its own is marked, so that
	// vacation responders and the like do not answer it.
	b.WriteString("Auto-Submitted: auto-generated\r\n")
	b.WriteString("MIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\n")
	b.WriteString(subject + "\r\n")
	if !r.InstanceStart.IsZero() {
		fmt.Fprintf(&b, "Starts %s\r\n", r.InstanceStart.In(loc).Format("Monday 2 January 2006, 15:04 MST"))
	}
	if r.Description != "" && r.Description != r.Summary {
		b.WriteString("\r\n" + strings.ReplaceAll(r.Description, "\n", "\r\n") + "\r\n")
	}
	m := mailer.Message{From: s.opt.MailFrom, To: []string{d.UserEmail}, Data: b.Bytes()}
	return m.Payload()
}

// mailDomain is the domain of the address from.
func mailDomain(from string) string {
	if i := strings.LastIndexByte(from, '@'); i >= 0 && i < len(from)-1 {
		return strings.ToLower(from[i+1:])
	}
	return "localhost"
}

// Publisher puts a reminder on a user's bus subject, for their open
// clients on every node (changefeed.Publisher implements it); seq is its
// place in the user's reminder feed.
type Publisher interface {
	Reminder(ctx context.Context, userID, seq int64, payload []byte) error
}

// Feed keeps the reminders handed to users' clients, so that a stream
// that was away when one went out replays it when it comes back, on any
// node (*store.Store implements it).
type Feed interface {
	FeedReminders(ctx context.Context, entries []store.FeedEntry) ([]int64, error)
}

// WebHandler delivers reminders to the user's open clients: it records
// each in the feed, then publishes it. A client connected now gets it from
// the bus; one that reconnects later with Last-Event-ID, from the feed.
// The feed is written by lanes writers side by side, each batching the
// reminders that queue up while it writes: one for SQLite, whose writer
// is single anyway, more for PostgreSQL, which commits them in parallel.
func WebHandler(feed Feed, p Publisher, lanes int) outbox.Handler {
	ws := make([]*feedWriter, max(lanes, 1))
	for i := range ws {
		ws[i] = &feedWriter{feed: feed}
	}
	var next atomic.Uint64
	return outbox.HandlerFunc(func(ctx context.Context, m *store.OutboxMessage) error {
		var d delivery
		if err := json.Unmarshal(m.Payload, &d); err != nil {
			return &outbox.PermanentError{Err: err}
		}
		b, _ := json.Marshal(d.Reminder)
		w := ws[next.Add(1)%uint64(len(ws))]
		seq, err := w.add(ctx, store.FeedEntry{UserID: d.UserID, Key: d.Key, Payload: b})
		if err != nil {
			return err
		}
		return p.Reminder(ctx, d.UserID, seq, b)
	})
}

// feedWriter records reminders in the feed in as few transactions as
// the deliveries in flight allow: one that finds no write running makes
// it with its own entry; those arriving meanwhile wait, and the first of
// them writes them all when it is done (reminders come due by the
// thousand in the same second, and SQLite has a single writer).
type feedWriter struct {
	feed    Feed
	mu      sync.Mutex
	busy    bool
	pending []*feedWrite
}

type feedWrite struct {
	entry store.FeedEntry
	id    int64
	err   error
	// turn is told true to write the pending entries, false when its
	// entry has been written.
	turn chan bool
}

// maxFeedBatch bounds the entries of one transaction.
const maxFeedBatch = 500

func (w *feedWriter) add(ctx context.Context, e store.FeedEntry) (int64, error) {
	me := &feedWrite{entry: e, turn: make(chan bool, 1)}
	w.mu.Lock()
	w.pending = append(w.pending, me)
	lead := !w.busy
	w.busy = true
	w.mu.Unlock()
	if !lead {
		if lead = <-me.turn; !lead {
			return me.id, me.err
		}
	}
	w.mu.Lock()
	n := min(len(w.pending), maxFeedBatch)
	batch := w.pending[:n:n]
	w.pending = w.pending[n:]
	w.mu.Unlock()

	entries := make([]store.FeedEntry, len(batch))
	for i, b := range batch {
		entries[i] = b.entry
	}
	ids, err := w.feed.FeedReminders(context.WithoutCancel(ctx), entries)
	for i, b := range batch {
		if err != nil {
			b.err = err
		} else {
			b.id = ids[i]
		}
		if b != me {
			b.turn <- false
		}
	}
	// Hand the writing on to the first of those that came meanwhile.
	w.mu.Lock()
	if len(w.pending) > 0 {
		w.pending[0].turn <- true
	} else {
		w.busy = false
	}
	w.mu.Unlock()
	return me.id, me.err
}

// Webhook posts reminders to the URL each user set, signed with their
// secret: the X-Almanac-Signature header is "sha256=" and the hex HMAC-
// SHA256 of the X-Almanac-Timestamp value, a ".", and the body, so that
// the receiver can check both origin and freshness. Idempotency-Key lets
// it drop a repeat.
type Webhook struct {
	st     *store.Store
	client *egress.Client
}

// NewWebhook returns the webhook channel; client refuses private addresses
// unless the operator allowed them.
func NewWebhook(st *store.Store, client *egress.Client) *Webhook {
	return &Webhook{st: st, client: client}
}

// Deliver posts one reminder.
func (w *Webhook) Deliver(ctx context.Context, m *store.OutboxMessage) error {
	var d delivery
	if err := json.Unmarshal(m.Payload, &d); err != nil {
		return &outbox.PermanentError{Err: err}
	}
	set, err := w.st.GetReminderSettings(ctx, d.UserID, 0)
	if errors.Is(err, store.ErrNotFound) || err == nil && set.WebhookURL == "" {
		return nil // the user removed their webhook: nothing to deliver
	} else if err != nil {
		return err
	}
	body, _ := json.Marshal(map[string]any{"type": "reminder", "reminder": d.Reminder})
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, set.WebhookURL, bytes.NewReader(body))
	if err != nil {
		return &outbox.PermanentError{Err: err}
	}
	ts := strconv.FormatInt(time.Now().Unix(), 10)
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Idempotency-Key", d.Key)
	req.Header.Set("X-Almanac-Timestamp", ts)
	req.Header.Set("X-Almanac-Signature", "sha256="+Sign(set.WebhookSecret, ts, body))
	resp, err := w.client.Do(req)
	if errors.Is(err, egress.ErrForbiddenAddress) {
		return &outbox.PermanentError{Err: err}
	} else if err != nil {
		return err
	}
	_, _ = egress.ReadBody(resp, 4096)
	return statusError(resp.StatusCode)
}

// statusError classifies a webhook's answer: 2xx delivered; 408, 429 and
// 5xx retried; any other refusal permanent.
func statusError(code int) error {
	switch {
	case code >= 200 && code < 300:
		return nil
	case code == http.StatusRequestTimeout, code == http.StatusTooManyRequests, code >= 500:
		return fmt.Errorf("webhook answered %d", code)
	}
	return &outbox.PermanentError{Err: fmt.Errorf("webhook answered %d", code)}
}

// Sign returns the hex HMAC-SHA256 of "timestamp.body" under secret.
func Sign(secret, timestamp string, body []byte) string {
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write([]byte(timestamp))
	mac.Write([]byte{'.'})
	mac.Write(body)
	return hex.EncodeToString(mac.Sum(nil))
}

// FeedLanes is how many feed writers suit a store's dialect.
func FeedLanes(dialect string) int {
	if dialect == "postgres" {
		return 8
	}
	return 1
}
