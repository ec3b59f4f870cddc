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
// clients on every node (changefeed.Publisher implements it).
type Publisher interface {
	Reminder(ctx context.Context, userID int64, payload []byte) error
}

// WebHandler delivers reminders to the user's open clients.
func WebHandler(p Publisher) outbox.Handler {
	return outbox.HandlerFunc(func(ctx context.Context, m *store.OutboxMessage) error {
		var d delivery
		if err := json.Unmarshal(m.Payload, &d); err != nil {
			return &outbox.PermanentError{Err: err}
		}
		b, _ := json.Marshal(d.Reminder)
		return p.Reminder(ctx, d.UserID, b)
	})
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
