package scheduling

import (
	"context"
	"errors"
	"io"
	"slices"
	"strings"
	"time"

	"github.com/almanac/almanac/icalendar"
	"github.com/almanac/almanac/itip"
	"github.com/almanac/almanac/store"
	"github.com/emersion/go-smtp"
)

// MailBackend receives iMIP mail (RFC 6047) over SMTP or LMTP for the
// server's mail domains and turns each message into an itip-local
// delivery. What cannot be processed is refused during the SMTP dialogue
// with a reason, so the sender's mail server bounces it and nothing
// changes here.
type MailBackend struct {
	s       *Scheduler
	domains []string
}

// MailBackend returns the backend for an SMTP or LMTP listener accepting
// mail for the given domains.
func (s *Scheduler) MailBackend(domains []string) *MailBackend {
	ds := make([]string, 0, len(domains))
	for _, d := range domains {
		if d = strings.ToLower(strings.TrimSpace(d)); d != "" {
			ds = append(ds, d)
		}
	}
	return &MailBackend{s: s, domains: ds}
}

// NewServer returns an SMTP server (LMTP when lmtp is set) over b.
func (b *MailBackend) NewServer(lmtp bool) *smtp.Server {
	srv := smtp.NewServer(b)
	srv.LMTP = lmtp
	srv.Domain = "almanac"
	if len(b.domains) > 0 {
		srv.Domain = b.domains[0]
	}
	srv.MaxMessageBytes = itip.MaxMailSize
	srv.MaxRecipients = 100
	srv.ReadTimeout = 2 * time.Minute
	srv.WriteTimeout = 2 * time.Minute
	return srv
}

// NewSession implements smtp.Backend.
func (b *MailBackend) NewSession(*smtp.Conn) (smtp.Session, error) { return &mailSession{b: b}, nil }

type mailSession struct {
	b     *MailBackend
	rcpts []string
}

func (m *mailSession) Reset()                               { m.rcpts = nil }
func (m *mailSession) Logout() error                        { return nil }
func (m *mailSession) Mail(string, *smtp.MailOptions) error { return nil }

// Rcpt accepts addresses in the server's mail domains only: this is not a
// relay.
func (m *mailSession) Rcpt(to string, _ *smtp.RcptOptions) error {
	to = strings.ToLower(strings.TrimSpace(to))
	at := strings.LastIndexByte(to, '@')
	if at < 0 || !slices.Contains(m.b.domains, to[at+1:]) {
		return &smtp.SMTPError{Code: 550, EnhancedCode: smtp.EnhancedCode{5, 7, 1}, Message: "this server only accepts calendar mail for its own domains"}
	}
	m.rcpts = append(m.rcpts, to)
	return nil
}

// Data reads the message and routes its calendar part.
func (m *mailSession) Data(r io.Reader) error {
	in, err := itip.ParseMail(r)
	if err == nil {
		err = m.b.route(context.Background(), in, m.rcpts)
	}
	if err != nil {
		m.b.s.m.received.WithLabelValues("refused").Inc()
		m.b.s.opt.Logger.Warn("calendar mail refused", "rcpt", m.rcpts, "reason", err)
		return refusal(err)
	}
	m.b.s.m.received.WithLabelValues("accepted").Inc()
	return nil
}

// refusal turns a processing error into the SMTP reply: a permanent
// refusal with the reason for bad mail, a temporary one for our failures.
func refusal(err error) error {
	var ie *itip.Error
	var se *smtp.SMTPError
	if errors.As(err, &se) {
		return se // the SMTP layer's own verdict, e.g. 552 for a message too large
	}
	if errors.As(err, &ie) {
		return &smtp.SMTPError{Code: 554, EnhancedCode: smtp.EnhancedCode{5, 6, 0}, Message: ie.Error()}
	}
	return &smtp.SMTPError{Code: 451, EnhancedCode: smtp.EnhancedCode{4, 3, 0}, Message: "temporary failure; try again later"}
}

// route checks who may send what (RFC 6047 §3, RFC 5546 §3.2) and queues
// the deliveries: answers go to the local organizer and must come from
// the attendee they answer for; requests and cancellations come from the
// organizer and go to the local attendees among the recipients.
func (b *MailBackend) route(ctx context.Context, in *itip.Inbound, rcpts []string) error {
	msg := in.Message
	from := itip.MailtoOf(in.From)
	var msgs []store.OutboxMessage
	switch msg.Method {
	case itip.Reply, itip.Refresh, itip.Counter:
		if !itip.SameAddress(msg.Attendee(), from) {
			return &itip.Error{Reason: "the " + msg.Method + " answers for " + msg.Attendee() + " but the mail is from " + in.From}
		}
		org, err := b.localUser(ctx, msg.Organizer)
		if err != nil {
			return err
		}
		if err := b.checkAnswerer(ctx, org, msg, from); err != nil {
			return err
		}
		msgs = append(msgs, localMessage(org.ID, from, msg.Data(), "", false))
	case itip.Request, itip.Add, itip.Cancel, itip.DeclineCounter:
		if !itip.SameAddress(msg.Organizer, from) {
			return &itip.Error{Reason: "a " + msg.Method + " must come from its organizer " + itip.Email(msg.Organizer) + ", not " + in.From}
		}
		if _, err := b.localUser(ctx, msg.Organizer); err == nil {
			return &itip.Error{Reason: "the organizer is a user of this server; their changes do not come by mail"}
		}
		list, err := b.localAttendees(ctx, msg, rcpts)
		if err != nil {
			return err
		}
		for _, u := range list {
			msgs = append(msgs, localMessage(u.ID, from, msg.Data(), "", false))
		}
	default:
		return &itip.Error{Reason: "METHOD:" + msg.Method + " is not processed by mail"}
	}
	if err := b.s.st.Enqueue(ctx, msgs...); err != nil {
		return err
	}
	b.s.kick()
	return nil
}

// checkAnswerer refuses an answer the organizer's copy would not take,
// while the sender's mail server can still bounce it: RFC 5546 §3.2.3,
// §3.2.6 and §3.2.7 let only an attendee of the event reply, refresh or
// counter. An answer from someone who is not among the attendees is
// refused with 550 5.7.1 and the reason, one for an event the organizer
// does not have here with 554 5.6.0, on SMTP and LMTP alike, instead of
// being accepted and dropped when it is applied.
func (b *MailBackend) checkAnswerer(ctx context.Context, org *store.User, msg *itip.Message, from string) error {
	objs, err := b.s.st.ObjectsByUID(ctx, org.ID, msg.UID)
	if err != nil {
		return err
	}
	for _, o := range objs {
		obj, err := icalendar.ParseObject(o.Data, icalendar.Options{})
		if err != nil || o.Role != store.SchedOrganizer || organizer(obj) != msg.Organizer {
			continue
		}
		if !invitedAnywhere(obj, from) {
			return &smtp.SMTPError{Code: 550, EnhancedCode: smtp.EnhancedCode{5, 7, 1},
				Message: itip.Email(from) + " is not an attendee of this event; only its attendees may answer it"}
		}
		return nil
	}
	return &itip.Error{Reason: itip.Email(msg.Organizer) + " organizes no event with this UID here"}
}

func (b *MailBackend) localUser(ctx context.Context, addr string) (*store.User, error) {
	e := itip.Email(addr)
	users, err := b.s.st.UsersByEmail(ctx, []string{e})
	if err != nil {
		return nil, err
	}
	if u := users[e]; u != nil {
		return u, nil
	}
	return nil, &itip.Error{Reason: "no user of this server is " + addr}
}

// localAttendees are the recipients of the mail who are users here and
// attendees of the event.
func (b *MailBackend) localAttendees(ctx context.Context, msg *itip.Message, rcpts []string) ([]*store.User, error) {
	users, err := b.s.st.UsersByEmail(ctx, rcpts)
	if err != nil {
		return nil, err
	}
	var out []*store.User
	for _, r := range rcpts {
		u := users[r]
		if u == nil || slices.Contains(out, u) {
			continue
		}
		for _, c := range msg.Components {
			if itip.Invited(c.Component, itip.MailtoOf(u.Email)) {
				out = append(out, u)
				break
			}
		}
	}
	if len(out) == 0 {
		return nil, &itip.Error{Reason: "none of the recipients is an attendee of this event on this server"}
	}
	return out, nil
}
