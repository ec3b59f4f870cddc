// Package scheduling is implicit scheduling (RFC 6638 §3) for every front
// end: a calendar.Hook that turns an organizer's or attendee's write into
// iTIP messages (RFC 5546), and the outbox handlers that deliver them —
// into local users' calendars and schedule inboxes, or as iMIP e-mail
// (RFC 6047) to everyone else. Mail coming back (SMTP or LMTP) and RSVP
// links end up in the same delivery path.
//
// Hooks never write other resources: they queue outbox messages in the
// write's own transaction ("itip-local" for users of this server, "email"
// for the rest, or an "imip-fanout" job when a meeting's message goes to
// many: see fanout.go), so a message is sent if and only if the write
// committed.
package scheduling

import (
	"context"
	"errors"
	"log/slog"
	"time"

	"github.com/almanac/almanac/calendar"
	"github.com/almanac/almanac/icalendar"
	"github.com/almanac/almanac/itip"
	"github.com/almanac/almanac/store"
	"github.com/prometheus/client_golang/prometheus"
)

// LocalKind is the outbox kind of deliveries to users of this server.
const LocalKind = "itip-local"

// Options configure the scheduler.
type Options struct {
	// MailFrom is the envelope and header sender of the server's e-mail
	// (the organizer's or attendee's name is shown with it).
	MailFrom string
	// SendAs lists the mail domains the server may send as: mail from a
	// user whose address is in one of them shows that address as From
	// (mail programs trust an answer more from the person it answers
	// for), the rest is sent from MailFrom with the person in Reply-To.
	SendAs []string
	// PublicURL is the base URL people reach the server at, for RSVP
	// links; empty: e-mail carries no links.
	PublicURL string
	// Secret signs RSVP links (at least 32 bytes).
	Secret []byte
	// LinkTTL is how long an RSVP link works (default 90 days).
	LinkTTL time.Duration
	// Kick wakes the outbox workers after the scheduler queued messages
	// outside a calendar write (mail received, RSVP links).
	Kick func()
	// InvitationsDefault is whose invitations go straight into the
	// calendar of a user who has not chosen (store.InvitationsEveryone or
	// store.InvitationsKnown, the default when empty): see strangers.go.
	InvitationsDefault string
	// SettleWait bounds how long a write waits for its deliveries to
	// users of this server (see Settle); 0: it does not wait.
	SettleWait time.Duration
	Now        func() time.Time
	Logger     *slog.Logger
	Registerer prometheus.Registerer
}

// Scheduler implements calendar.Hook and delivers scheduling messages.
type Scheduler struct {
	st       *store.Store
	opt      Options
	m        *metrics
	versions *versionCache     // organizer copies deliveries refer to
	jobs     flightCache[*job] // fan-out jobs their deliveries read
	statuses statusBook        // SCHEDULE-STATUS to record, see MailHandler
}

// New returns a scheduler over st.
func New(st *store.Store, opt Options) *Scheduler {
	if opt.Now == nil {
		opt.Now = time.Now
	}
	if opt.Logger == nil {
		opt.Logger = slog.Default()
	}
	if opt.LinkTTL == 0 {
		opt.LinkTTL = 90 * 24 * time.Hour
	}
	return &Scheduler{st: st, opt: opt, m: newMetrics(opt.Registerer), versions: newVersionCache(),
		jobs: flightCache[*job]{maxItems: maxJobs, maxBytes: maxJobBytes}}
}

var _ calendar.Hook = (*Scheduler)(nil)

// MailFrom is the sender address of the server's scheduling mail.
func (s *Scheduler) MailFrom() string { return s.opt.MailFrom }

func (s *Scheduler) kick() {
	if s.opt.Kick != nil {
		s.opt.Kick()
	}
}

// serverWrite marks a write the scheduler itself makes while delivering a
// message: the hook stores the given scheduling columns and side effects
// and sends nothing of its own.
type serverWrite struct {
	sched  store.Scheduling
	outbox []store.OutboxMessage
	known  []string
}

type ctxKey struct{}

func withServerWrite(ctx context.Context, w *serverWrite) context.Context {
	return context.WithValue(ctx, ctxKey{}, w)
}

func serverWriteOf(ctx context.Context) *serverWrite {
	w, _ := ctx.Value(ctxKey{}).(*serverWrite)
	return w
}

// BeforePut applies RFC 6638 §3.2 to a create or update: the organizer's
// write sends REQUEST and CANCEL, an attendee's write sends REPLY.
func (s *Scheduler) BeforePut(ctx context.Context, pc *calendar.PutContext) error {
	if pc.Origin != calendar.OriginClient {
		// Imported, subscribed and mirrored data is not the user's change:
		// nobody is told about it (RFC 6638 schedules what users do).
		pc.Write.Scheduling = store.Scheduling{}
		return nil
	}
	if sw := serverWriteOf(ctx); sw != nil {
		pc.Write.Scheduling = sw.sched
		pc.Write.Outbox = append(pc.Write.Outbox, sw.outbox...)
		pc.Write.Known = append(pc.Write.Known, sw.known...)
		return nil
	}
	me, err := s.ownerAddress(ctx, pc.User, pc.Calendar.OwnerID)
	if err != nil {
		return err
	}
	// The write is prepared from the stored version: pin it, so that an
	// answer the server records meanwhile is merged again rather than
	// lost. With If-None-Match there is nothing to read or pin: the write
	// fails (412) if any version is stored by then.
	var prev *store.Object
	var prevObj *icalendar.Object
	if !pc.Conditions.IfNoneMatch {
		if prev, prevObj, err = s.previous(ctx, pc.Calendar, pc.Name); err != nil {
			return err
		}
		stored := ""
		if prev != nil {
			stored = prev.ETag
		}
		pc.Conditions.Stored = &stored
	}
	obj := pc.Object
	w := &write{s: s, pc: pc, me: me, prev: prev, prevObj: prevObj, obj: obj}
	switch {
	case w.attendeeCopy():
		// Whatever ORGANIZER the write names: the copy stays the
		// attendee's (attendeechanges.go).
		return w.attendee(ctx)
	case itip.SameAddress(organizer(obj), me) || organizerOf(prevObj) == me && organizer(obj) == "":
		return w.organizer(ctx)
	case organizer(obj) != "" && invitedAnywhere(obj, me):
		return w.attendee(ctx)
	}
	pc.Write.Scheduling = store.Scheduling{}
	return nil
}

// BeforeDelete sends CANCEL when the organizer deletes (RFC 6638
// §3.2.1.3) and a declining REPLY when an attendee does (§3.2.2.3).
func (s *Scheduler) BeforeDelete(ctx context.Context, dc *calendar.DeleteContext) error {
	if serverWriteOf(ctx) != nil || dc.Previous.Role == "" {
		return nil
	}
	me, err := s.ownerAddress(ctx, dc.User, dc.Calendar.OwnerID)
	if err != nil {
		return err
	}
	obj, err := icalendar.ParseObject(dc.Previous.Data, icalendar.Options{Components: dc.Calendar.Components})
	if err != nil {
		return nil // not readable: nothing to tell anyone
	}
	msgs, err := s.deleteMessages(ctx, dc.Previous, obj, me)
	dc.Outbox = append(dc.Outbox, msgs...)
	return err
}

// ownerAddress is the calendar user address of the calendar's owner: the
// acting user's when they own it, read otherwise (a sharee's write). Only
// a verified address is the owner's to schedule as: for an owner without
// one it is "mailto:", which no ORGANIZER or ATTENDEE matches, so nothing
// is sent in the name of an address its owner has not proven.
func (s *Scheduler) ownerAddress(ctx context.Context, actor *store.User, ownerID int64) (string, error) {
	u := actor
	if actor == nil || actor.ID != ownerID {
		var err error
		if u, err = s.st.GetUser(ctx, ownerID); err != nil {
			return "", err
		}
	}
	return itip.MailtoOf(u.VerifiedEmail()), nil
}

// previous returns the stored version of a resource, parsed, or nils.
func (s *Scheduler) previous(ctx context.Context, cal *store.Calendar, name string) (*store.Object, *icalendar.Object, error) {
	prev, err := s.st.GetObject(ctx, cal.ID, name)
	if errors.Is(err, store.ErrNotFound) {
		return nil, nil, nil
	} else if err != nil {
		return nil, nil, err
	}
	obj, err := icalendar.ParseObject(prev.Data, icalendar.Options{Components: cal.Components})
	if err != nil {
		return prev, nil, nil
	}
	return prev, obj, nil
}

// organizer returns the normalised ORGANIZER of an object's components.
func organizer(obj *icalendar.Object) string {
	for _, c := range obj.Components {
		if o := itip.OrganizerOf(c); o != "" {
			return o
		}
	}
	return ""
}

func organizerOf(obj *icalendar.Object) string {
	if obj == nil {
		return ""
	}
	return organizer(obj)
}

func invitedAnywhere(obj *icalendar.Object, addr string) bool {
	for _, c := range obj.Components {
		if itip.Invited(c.Component, addr) {
			return true
		}
	}
	return false
}

type metrics struct {
	sent     *prometheus.CounterVec
	received *prometheus.CounterVec
	failed   *prometheus.CounterVec
}

func newMetrics(reg prometheus.Registerer) *metrics {
	m := &metrics{
		sent: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "almanac_scheduling_messages_total",
			Help: "Scheduling messages queued, by iTIP method and channel (local or email)."}, []string{"method", "channel"}),
		received: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "almanac_scheduling_inbound_total",
			Help: "Scheduling messages received by mail or RSVP link, by result."}, []string{"result"}),
		failed: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "almanac_scheduling_delivery_failures_total",
			Help: "Invitations and replies given up on and reported to the sender (SCHEDULE-STATUS 5.x)."}, []string{"channel"}),
	}
	if reg != nil {
		reg.MustRegister(m.sent, m.received, m.failed)
	}
	return m
}
