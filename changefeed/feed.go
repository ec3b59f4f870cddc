// Package changefeed carries calendar changes to open clients. Every write
// publishes a small message on the bus (NATS): on the calendar's subject for
// changes to its contents, on a user's subject when their access changes.
// Each node subscribes only to the subjects its open streams need, so a
// change reaches every client that may see it, on whichever node it is
// connected. A stream that reconnects resumes from the calendars' change
// logs, so nothing is missed while it was away; and when the node loses the
// bus, its open streams catch up from the same logs (outage.go).
package changefeed

import (
	"context"
	"encoding/json"
	"log/slog"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/almanac/almanac/calendar"
	"github.com/nats-io/nats.go"
)

// Feed serves streams of changes to open clients.
type Feed struct {
	nc   *nats.Conn
	subj Subjects
	cals *calendar.Service
	log  *slog.Logger

	mu      sync.Mutex
	topics  map[string]*topic // subject → local listeners
	streams map[*Stream]struct{}
	// down is set while the bus connection is lost; reconnects counts the
	// reconnections the streams have been marked stale for.
	down       bool
	reconnects uint64
	wake       chan struct{} // tells Run that the bus went down or came back
}

// topic is one bus subscription shared by the node's streams that need it.
type topic struct {
	sub       *nats.Subscription
	listeners map[*Stream]struct{}
}

// Publisher puts committed changes on the bus; it implements
// calendar.Notifier.
type Publisher struct {
	nc   *nats.Conn
	subj Subjects
	log  *slog.Logger
}

// Subjects is the first token of every subject the feed uses. The nodes of
// one installation share it; installations that share a NATS server each
// need their own, or one's clients would be told of the other's changes
// and reminders.
type Subjects string

// DefaultSubjects is the prefix unless configured.
const DefaultSubjects Subjects = "almanac"

// Valid reports whether s is one NATS subject token.
func (s Subjects) Valid() bool {
	return s != "" && !strings.ContainsAny(string(s), ". \t\r\n*>")
}

func (s Subjects) calendar(id int64) string { return string(s) + ".cal." + strconv.FormatInt(id, 10) }
func (s Subjects) user(id int64) string     { return string(s) + ".user." + strconv.FormatInt(id, 10) }

// NewPublisher returns a publisher over the bus connection.
func NewPublisher(nc *nats.Conn, subj Subjects, log *slog.Logger) *Publisher {
	return &Publisher{nc: nc, subj: subj, log: log}
}

// Changed publishes c. Publishing only queues the message in the client,
// so it does not hold up the writer.
func (p *Publisher) Changed(_ context.Context, c calendar.Change) {
	subject := p.subj.calendar(c.CalendarID)
	if c.Kind == calendar.AccessGranted || c.Kind == calendar.AccessRevoked {
		subject = p.subj.user(c.UserID)
	}
	b, err := json.Marshal(c)
	if err == nil {
		err = p.nc.Publish(subject, b)
	}
	if err != nil {
		p.log.Warn("publishing a change", "subject", subject, "err", err)
	}
}

// Reminder publishes a reminder on the user's subject, for their open
// clients on every node, and waits until the bus has it: the outbox counts
// the reminder delivered only then. seq is its id in the store's reminder
// feed (the change's Revision), which streams replay from.
func (p *Publisher) Reminder(_ context.Context, userID, seq int64, payload []byte) error {
	b, err := json.Marshal(calendar.Change{Kind: calendar.Reminder, UserID: userID, Revision: seq, Payload: payload})
	if err != nil {
		return err
	}
	if err := p.nc.Publish(p.subj.user(userID), b); err != nil {
		return err
	}
	return p.nc.FlushTimeout(10 * time.Second)
}

// New returns a feed over the bus connection.
func New(nc *nats.Conn, subj Subjects, cals *calendar.Service, log *slog.Logger) *Feed {
	return &Feed{nc: nc, subj: subj, cals: cals, log: log, topics: make(map[string]*topic),
		streams: make(map[*Stream]struct{}), reconnects: nc.Stats().Reconnects, wake: make(chan struct{}, 1)}
}

// attach adds s to subject's listeners, subscribing on first use.
func (f *Feed) attach(subject string, s *Stream) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	t := f.topics[subject]
	if t == nil {
		t = &topic{listeners: make(map[*Stream]struct{})}
		sub, err := f.nc.Subscribe(subject, func(m *nats.Msg) { f.dispatch(subject, m.Data) })
		if err != nil {
			return err
		}
		t.sub = sub
		f.topics[subject] = t
	}
	t.listeners[s] = struct{}{}
	return nil
}

// detach removes s from subject's listeners, unsubscribing when none are
// left.
func (f *Feed) detach(subject string, s *Stream) {
	f.mu.Lock()
	defer f.mu.Unlock()
	t := f.topics[subject]
	if t == nil {
		return
	}
	delete(t.listeners, s)
	if len(t.listeners) == 0 {
		_ = t.sub.Unsubscribe()
		delete(f.topics, subject)
	}
}

// dispatch hands a bus message to the subject's streams.
func (f *Feed) dispatch(subject string, data []byte) {
	f.noticeReconnect()
	var c calendar.Change
	if err := json.Unmarshal(data, &c); err != nil {
		f.log.Warn("bad change message", "subject", subject, "err", err)
		return
	}
	f.mu.Lock()
	t := f.topics[subject]
	var ls []*Stream
	if t != nil {
		ls = make([]*Stream, 0, len(t.listeners))
		for s := range t.listeners {
			ls = append(ls, s)
		}
	}
	f.mu.Unlock()
	for _, s := range ls {
		s.receive(c)
	}
}

// Streams reports how many streams the node is serving and how many bus
// subjects it listens on.
func (f *Feed) Streams() (subjects int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return len(f.topics)
}
