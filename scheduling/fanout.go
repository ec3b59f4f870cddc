package scheduling

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync"

	"github.com/almanac/almanac/icalendar"
	"github.com/almanac/almanac/itip"
	"github.com/almanac/almanac/outbox"
	"github.com/almanac/almanac/store"
)

// A meeting's REQUESTs and CANCELs go to every attendee at once. When a
// write sends more than a few, it queues one fan-out job instead of the
// messages: the job, run by the outbox, queues one small message per
// recipient, a batch at a time, and each of those is rendered only when
// it is delivered. So the write's transaction, each step of the job and
// each delivery hold a bounded amount, however many people are invited,
// and nothing in the database grows with the number of attendees times
// the size of the event.
const (
	// FanoutKind is the outbox kind of a fan-out job (and of each of its
	// steps).
	FanoutKind = "imip-fanout"
	// InviteKind is the outbox kind of one recipient's e-mail of a
	// fan-out, rendered at delivery.
	InviteKind = "imip"
)

// mailInline is the most messages carrying the event one write renders
// itself; beyond it the write queues a fan-out job, so that the
// organizer's write stays fast however many guests there are.
const mailInline = 10

// fanoutBatch is how many recipients one step of a fan-out job queues
// messages for. Each is a reference of a few hundred bytes, so a step
// holds some tens of kilobytes whatever the event's size.
const fanoutBatch = 100

// fanoutPayload is a fan-out job: one scheduling message for many
// recipients. A step after the first names the job (Source) and where to
// go on (Next), and carries nothing else.
type fanoutPayload struct {
	Object string `json:"object"` // the organizer's copy (public id)
	From   string `json:"from"`   // the organizer's calendar user address
	// Method is REQUEST (also when empty, in jobs queued by earlier
	// versions), built at delivery from the organizer's copy as it is
	// then, or CANCEL, built from Data, the version it cancels (the
	// organizer's copy may be gone), announcing Seq.
	Method string `json:"method,omitempty"`
	Seq    int    `json:"seq,omitempty"`
	Data   []byte `json:"data,omitempty"`
	// To lists the recipients' calendar user addresses (bare e-mail
	// addresses in jobs queued by earlier versions).
	To     []string `json:"to,omitempty"`
	Source string   `json:"source,omitempty"`
	Next   int      `json:"next,omitempty"`
}

// recipientPayload is the payload of an InviteKind message.
type recipientPayload struct {
	Source string `json:"source"` // the fan-out job's idempotency key
	To     string `json:"to"`     // the recipient's calendar user address
}

// fansOut reports whether sd is one of the messages a meeting sends to
// each attendee: a REQUEST of the current version, or a CANCEL.
func fansOut(sd send) bool {
	return sd.method == itip.Cancel || sd.method == itip.Request && sd.reqs != nil
}

// fanout queues the messages sends stand for: rendered here when they are
// few, else as fan-out jobs, one per message (method, version and
// SEQUENCE). Their recipients' statuses are set either way.
func (b *batch) fanout(sends []send, users map[string]*store.User) error {
	if len(sends) <= mailInline {
		for _, sd := range sends {
			email := itip.Email(sd.to)
			if u := users[email]; u != nil {
				b.local(sd, u)
			} else if err := b.mail(sd, email); err != nil {
				return err
			}
		}
		return nil
	}
	var order []string
	groups := map[string][]send{}
	for _, sd := range sends {
		g := fmt.Sprintf("%s/%p/%d", sd.method, sd.obj, sd.seq)
		if groups[g] == nil {
			order = append(order, g)
		}
		groups[g] = append(groups[g], sd)
		b.statuses[sd.to] = statusPending
		if users[itip.Email(sd.to)] != nil {
			b.statuses[sd.to] = statusDelivered
		}
	}
	for i, g := range order {
		m, err := b.fanoutJob(i, groups[g])
		if err != nil {
			return err
		}
		b.out = append(b.out, m)
	}
	return nil
}

// fanoutJob is the job that sends sends' message to each recipient; i
// tells it from the write's other jobs.
func (b *batch) fanoutJob(i int, sends []send) (store.OutboxMessage, error) {
	sd := sends[0]
	p := fanoutPayload{Object: b.objUUID, From: b.from, Method: sd.method}
	if sd.method == itip.Cancel {
		data, err := icalendar.Marshal(sd.obj.Calendar.Component)
		if err != nil {
			return store.OutboxMessage{}, fmt.Errorf("scheduling: the version to cancel: %w", err)
		}
		p.Seq, p.Data = sd.seq, data
	}
	for _, sd := range sends {
		p.To = append(p.To, sd.to)
	}
	payload, err := json.Marshal(p)
	if err != nil {
		return store.OutboxMessage{}, err
	}
	k := actionKey(FanoutKind, b.objUUID, []byte(fmt.Sprintf("%s/%d", sd.method, i)), b.action)
	return store.OutboxMessage{Kind: FanoutKind, IdempotencyKey: k, Payload: payload, Ref: b.objUUID}, nil
}

// FanoutHandler runs one step of a fan-out job: it queues the messages of
// the next fanoutBatch recipients and, when more are left, the next step,
// in one transaction. A step run twice (its node stopped before it was
// marked done) queues nothing twice: every message's key derives from the
// job's and the recipient's.
func (s *Scheduler) FanoutHandler() outbox.Handler {
	return outbox.HandlerFunc(func(ctx context.Context, m *store.OutboxMessage) error {
		var step fanoutPayload
		if err := json.Unmarshal(m.Payload, &step); err != nil {
			return &outbox.PermanentError{Err: fmt.Errorf("malformed fan-out payload: %v", err)}
		}
		job, jobKey := &step, m.IdempotencyKey
		if step.Source != "" {
			src, err := s.fanoutJob(ctx, step.Source)
			if err != nil {
				return err
			}
			job, jobKey = &src.p, step.Source
		}
		msgs, err := s.fanoutStep(ctx, job, jobKey, step.Next)
		if err != nil {
			return err
		}
		if err := s.st.Enqueue(ctx, msgs...); err != nil {
			return err
		}
		s.kick()
		return nil
	})
}

// fanoutStep returns the messages to the recipients of job from next on,
// at most fanoutBatch of them, and the step that goes on after them.
func (s *Scheduler) fanoutStep(ctx context.Context, job *fanoutPayload, jobKey string, next int) ([]store.OutboxMessage, error) {
	to := job.To[min(next, len(job.To)):]
	to = to[:min(len(to), fanoutBatch)]
	emails := make([]string, 0, len(to))
	for _, a := range to {
		if e := itip.Email(recipientAddress(a)); e != "" {
			emails = append(emails, e)
		}
	}
	users, err := s.st.UsersByEmail(ctx, emails)
	if err != nil {
		return nil, err
	}
	out := make([]store.OutboxMessage, 0, len(to)+1)
	for _, a := range to {
		addr := recipientAddress(a)
		if itip.Email(addr) == "" {
			continue
		}
		out = append(out, s.recipientMessage(job, jobKey, addr, users[itip.Email(addr)]))
	}
	if end := next + len(to); end < len(job.To) {
		p, err := json.Marshal(fanoutPayload{Source: jobKey, Next: end})
		if err != nil {
			return nil, err
		}
		out = append(out, store.OutboxMessage{Kind: FanoutKind, IdempotencyKey: jobKey + "#" + strconv.Itoa(end),
			Payload: p, Ref: job.Object})
	}
	return out, nil
}

// recipientAddress reads a recipient of a job: a calendar user address,
// or a bare e-mail address in jobs of earlier versions.
func recipientAddress(a string) string {
	if strings.Contains(a, ":") {
		return itip.Address(a)
	}
	return itip.MailtoOf(a)
}

// recipientMessage is job's message to addr: for a user of this server a
// local delivery (a REQUEST refers to the organizer's copy, a CANCEL to
// the job), for anyone else an e-mail to render at delivery.
func (s *Scheduler) recipientMessage(job *fanoutPayload, jobKey, addr string, u *store.User) store.OutboxMessage {
	method := job.method()
	m := store.OutboxMessage{IdempotencyKey: jobKey + "/" + addr, Ref: job.Object + " " + addr}
	if u != nil {
		lp := localPayload{To: u.ID, From: job.From, Object: job.Object}
		if method != itip.Request {
			lp.Object, lp.Source = "", jobKey
		}
		m.Kind, m.Payload = LocalKind, mustJSON(lp)
		s.m.sent.WithLabelValues(method, "local").Inc()
		return m
	}
	m.Kind, m.Payload = InviteKind, mustJSON(recipientPayload{Source: jobKey, To: addr})
	s.m.sent.WithLabelValues(method, "email").Inc()
	return m
}

func (p *fanoutPayload) method() string {
	if p.Method == "" {
		return itip.Request
	}
	return p.Method
}

func mustJSON(v any) []byte {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err) // only plain structs of strings and numbers come here
	}
	return b
}

// job is a fan-out job as its recipients' deliveries read it.
type job struct {
	p fanoutPayload
	// obj is a CANCEL's version, parsed, with what e-mails say of it. A
	// parsed calendar caches what it resolves: mu keeps the deliveries
	// sharing it from doing so at once.
	mu      sync.Mutex
	obj     *icalendar.Object
	details itip.Details
	sender  string
}

// The fan-out jobs kept parsed for their recipients' deliveries.
const (
	maxJobs     = 8
	maxJobBytes = 8 << 20
)

// fanoutJob reads the fan-out job with the idempotency key, parsed. It
// returns a permanent error when the job is gone (purged after a week).
func (s *Scheduler) fanoutJob(ctx context.Context, jobKey string) (*job, error) {
	return s.jobs.get(jobKey, func() (*job, int, error) {
		m, err := s.st.OutboxByKey(ctx, jobKey)
		if errors.Is(err, store.ErrNotFound) {
			return nil, 0, &outbox.PermanentError{Err: errors.New("its fan-out job is gone")}
		} else if err != nil {
			return nil, 0, err
		}
		j := &job{}
		if err := json.Unmarshal(m.Payload, &j.p); err != nil || j.p.Source != "" {
			return nil, 0, &outbox.PermanentError{Err: fmt.Errorf("malformed fan-out job %s", jobKey)}
		}
		if j.p.method() == itip.Cancel {
			if j.obj, err = icalendar.ParseObject(j.p.Data, icalendar.Options{}); err != nil {
				return nil, 0, &outbox.PermanentError{Err: fmt.Errorf("the version fan-out job %s cancels: %w", jobKey, err)}
			}
			j.details, j.sender = itip.DetailsOfComponent(masterOrFirst(j.obj)), personName(j.obj, j.p.From)
		}
		return j, len(m.Payload), nil
	})
}

// cancelFor builds the job's CANCEL for addr, stamped with the time the
// message was queued so that a repeated delivery sends the same; nil when
// the cancelled version does not invite addr.
func (j *job) cancelFor(addr string, m *store.OutboxMessage) ([]byte, error) {
	j.mu.Lock()
	defer j.mu.Unlock()
	return itip.BuildCancel(j.obj, addr, nil, j.p.Seq, m.CreatedAt)
}

// InviteHandler delivers one recipient's e-mail of a fan-out: it renders
// the message (a REQUEST from the organizer's copy as it is now, a CANCEL
// from the job) and hands it to mail. Nothing is sent when the event no
// longer invites them or is gone: the write that changed that sent what
// they need. The Message-ID derives from the message's key, so that a
// repeated delivery is recognisable as one.
func (s *Scheduler) InviteHandler(mail outbox.Handler) outbox.Handler {
	return outbox.HandlerFunc(func(ctx context.Context, m *store.OutboxMessage) error {
		var p recipientPayload
		if err := json.Unmarshal(m.Payload, &p); err != nil || itip.Email(p.To) == "" {
			return &outbox.PermanentError{Err: fmt.Errorf("malformed %s payload", InviteKind)}
		}
		j, err := s.fanoutJob(ctx, p.Source)
		if err != nil {
			return err
		}
		em, err := s.renderInvite(ctx, j, p.To, m)
		if err != nil || em == nil {
			return err
		}
		return mail.Deliver(ctx, em)
	})
}

// renderInvite renders job j's e-mail to addr as an e-mail outbox message
// with m's key and reference; nil when there is nothing to send.
func (s *Scheduler) renderInvite(ctx context.Context, j *job, addr string, m *store.OutboxMessage) (*store.OutboxMessage, error) {
	sd := send{to: addr, method: j.p.method()}
	var data []byte
	var enc *itip.Encoded
	var details itip.Details
	if sd.method == itip.Request {
		v, err := s.currentVersion(ctx, j.p.Object)
		if err != nil || v == nil || v.organizer != itip.Address(j.p.From) {
			return nil, err
		}
		if data, enc, details, sd.sender, err = v.mailParts(addr, j.p.From); err != nil || data == nil {
			return nil, err
		}
	} else {
		var err error
		if data, err = j.cancelFor(addr, m); err != nil || data == nil {
			return nil, err
		}
		details, sd.sender = j.details, j.sender
	}
	sum := sha256.Sum256([]byte(m.IdempotencyKey))
	em, err := s.mailMessage(sd, j.p.From, itip.Email(addr), j.p.Object, enc, data, details, hex.EncodeToString(sum[:16]))
	if err != nil {
		return nil, err
	}
	em.IdempotencyKey, em.Ref, em.ID, em.Attempts = m.IdempotencyKey, m.Ref, m.ID, m.Attempts
	return &em, nil
}

// currentVersion returns the organizer's copy objUUID as it is now,
// parsed and shared (see versionCache); nil when it is gone or no longer
// an organizer's copy.
func (s *Scheduler) currentVersion(ctx context.Context, objUUID string) (*version, error) {
	etag, err := s.st.ObjectETag(ctx, objUUID)
	if errors.Is(err, store.ErrNotFound) {
		return nil, nil
	} else if err != nil {
		return nil, err
	}
	if v := s.versions.lookup(objUUID, etag); v != nil {
		return v, nil
	}
	o, err := s.st.GetObjectByUUID(ctx, objUUID)
	if errors.Is(err, store.ErrNotFound) {
		return nil, nil
	} else if err != nil {
		return nil, err
	}
	return s.versions.get(o)
}
