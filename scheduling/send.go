package scheduling

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/almanac/almanac/icalendar"
	"github.com/almanac/almanac/itip"
	"github.com/almanac/almanac/mailer"
	"github.com/almanac/almanac/store"
	"github.com/emersion/go-ical"
	"github.com/emersion/go-message/mail"
)

// send is one scheduling message to prepare.
type send struct {
	to     string // recipient's calendar user address
	method string
	obj    *icalendar.Object      // the version the message describes
	seq    int                    // SEQUENCE announced by a CANCEL
	comps  []*icalendar.Component // the components a REPLY answers for
	reqs   *requests              // shared REQUEST rendering, optional
	// sender is the name mail shows for the person who caused the
	// message; empty: read from obj (not for an obj other goroutines
	// use, which must be read under its lock).
	sender string
}

// localPayload is the payload of an itip-local outbox message.
type localPayload struct {
	To   int64  `json:"to"`             // recipient user
	From string `json:"from"`           // originator's calendar user address
	Data []byte `json:"data,omitempty"` // the iTIP message
	// Object, instead of Data, names the organizer's copy: the REQUEST is
	// built from it at delivery, so a meeting's hundred local invitations
	// do not each carry the event.
	Object string `json:"object,omitempty"`
	// Quiet marks a status update for the other attendees' copies after a
	// reply: no inbox item, and the copy keeps its Schedule-Tag.
	Quiet bool `json:"quiet,omitempty"`
	// Source, instead of Data, names the fan-out job whose message this
	// is (a CANCEL to many, see fanout.go).
	Source string `json:"source,omitempty"`
}

// batch is the messages of one write in preparation.
type batch struct {
	s        *Scheduler
	from     string
	objUUID  string
	now      time.Time
	out      []store.OutboxMessage
	statuses map[string]string
	details  *itip.Details
	shared   map[*byte]*itip.Encoded // one encoding per distinct message
	action   string                  // this write's part of every key, see actionKey
}

// prepare builds the outbox messages for sends from the calendar user
// from, about the object with public id objUUID, and the SCHEDULE-STATUS
// each recipient gets: delivered (local), sent (e-mail) or invalid
// (RFC 6638 §3.2.9).
func (s *Scheduler) prepare(ctx context.Context, from, objUUID string, sends []send) ([]store.OutboxMessage, map[string]string, error) {
	emails := make([]string, 0, len(sends))
	for _, sd := range sends {
		if e := itip.Email(sd.to); e != "" {
			emails = append(emails, e)
		}
	}
	users, err := s.st.UsersByEmail(ctx, emails)
	if err != nil {
		return nil, nil, err
	}
	b := &batch{s: s, from: from, objUUID: objUUID, now: s.opt.Now(), statuses: map[string]string{}, shared: map[*byte]*itip.Encoded{},
		action: store.NewUUID()}
	var bulk []send
	for _, sd := range sends {
		email := itip.Email(sd.to)
		switch u := users[email]; {
		case email == "":
			b.statuses[sd.to] = statusInvalid
		case u != nil && b.byReference(sd):
			b.local(sd, u)
		case objUUID != "" && fansOut(sd):
			bulk = append(bulk, sd)
		case u != nil:
			b.local(sd, u)
		default:
			if err := b.mail(sd, email); err != nil {
				return nil, nil, err
			}
		}
	}
	if err := b.fanout(bulk, users); err != nil {
		return nil, nil, err
	}
	return b.out, b.statuses, nil
}

// byReference reports whether sd goes to a local user as a reference to
// the organizer's copy rather than a message carrying it.
func (b *batch) byReference(sd send) bool {
	return sd.method == itip.Request && sd.reqs != nil && b.objUUID != "" && sd.reqs.invites(sd.to)
}

// local queues a delivery to a user of this server. A REQUEST refers to
// the organizer's copy instead of carrying it.
func (b *batch) local(sd send, u *store.User) {
	ref := b.objUUID + " " + sd.to
	if b.byReference(sd) {
		p, _ := json.Marshal(localPayload{To: u.ID, From: b.from, Object: b.objUUID})
		k := actionKey(LocalKind, u.ID, []byte(b.objUUID), b.action)
		b.out = append(b.out, store.OutboxMessage{Kind: LocalKind, IdempotencyKey: k, Payload: p, Ref: ref})
	} else {
		data, err := sd.build(b.now, b.from)
		if err != nil || data == nil {
			return
		}
		m := localMessage(u.ID, b.from, data, ref, false)
		m.IdempotencyKey = withAction(m.IdempotencyKey, b.action)
		b.out = append(b.out, m)
	}
	b.statuses[sd.to] = statusDelivered
	b.s.m.sent.WithLabelValues(sd.method, "local").Inc()
}

// mail renders one e-mail.
func (b *batch) mail(sd send, email string) error {
	data, err := sd.build(b.now, b.from)
	if err != nil || data == nil {
		return nil
	}
	if b.details == nil {
		d := itip.DetailsOfComponent(masterOrFirst(sd.obj))
		b.details = &d
	}
	enc := b.shared[&data[0]]
	if enc == nil {
		enc = itip.Encode(data)
		b.shared[&data[0]] = enc
	}
	m, err := b.s.mailMessage(sd, b.from, email, b.objUUID, enc, data, *b.details, "")
	if err != nil {
		return err
	}
	m.Ref = b.objUUID + " " + sd.to
	m.IdempotencyKey = withAction(m.IdempotencyKey, b.action)
	b.out = append(b.out, m)
	b.statuses[sd.to] = statusPending // statusSent once the relay has it (see MailHandler)
	b.s.m.sent.WithLabelValues(sd.method, "email").Inc()
	return nil
}

func (sd send) build(now time.Time, from string) ([]byte, error) {
	switch sd.method {
	case itip.Request:
		if sd.reqs != nil {
			return sd.reqs.get(sd.to)
		}
		return itip.BuildRequest(sd.obj, sd.to, now)
	case itip.Cancel:
		return itip.BuildCancel(sd.obj, sd.to, nil, sd.seq, now)
	case itip.Reply:
		return itip.BuildReply(sd.obj, from, sd.comps, now)
	}
	return nil, fmt.Errorf("scheduling: cannot send %s", sd.method)
}

func localMessage(to int64, from string, data []byte, ref string, quiet bool) store.OutboxMessage {
	p, _ := json.Marshal(localPayload{To: to, From: from, Data: data, Quiet: quiet})
	return store.OutboxMessage{Kind: LocalKind, IdempotencyKey: key(LocalKind, to, data), Payload: p, Ref: ref}
}

// key identifies a message by its recipient and bytes: the same message
// queued twice (mail received twice, a delivery run again after its node
// stopped) is sent once.
func key(kind string, to any, data []byte) string {
	sum := sha256.Sum256(data)
	return fmt.Sprintf("%s/%v/%s", kind, to, hex.EncodeToString(sum[:16]))
}

// actionKey is key for a message one action of a person makes (a write,
// an RSVP link followed): two actions may make the same bytes, since
// DTSTAMP has whole seconds (RFC 5545 §3.3.5), and each must be sent, or
// answering DECLINED, ACCEPTED, DECLINED within a second would leave the
// organizer at ACCEPTED. action is unique to the action.
func actionKey(kind string, to any, data []byte, action string) string {
	return withAction(key(kind, to, data), action)
}

// withAction makes a message's key its action's (see actionKey).
func withAction(key, action string) string { return key + "@" + action }

// queue adds messages to a write's side effects.
func (s *Scheduler) queue(w *store.ObjectWrite, msgs []store.OutboxMessage) {
	w.Outbox = append(w.Outbox, msgs...)
}

// mailMessage renders an iMIP e-mail (RFC 6047) for an external recipient:
// shown as from the person who caused it, sent from the server's address,
// answered to the person (Reply-To), with RSVP links in an invitation.
// Its Message-ID is id@ the server's domain (a new one when id is empty).
func (s *Scheduler) mailMessage(sd send, from, to, objUUID string, enc *itip.Encoded, data []byte, d itip.Details, id string) (store.OutboxMessage, error) {
	name := sd.sender
	if name == "" {
		name = personName(sd.obj, from)
	}
	d.Sender = name
	if sd.method == itip.Reply {
		d.PartStat = itip.PartStat(sd.comps[0].Component, from)
	}
	if sd.method == itip.Request {
		d.Links = s.links(objUUID, sd.to)
	}
	text, html := itip.Body(sd.method, d)
	if id == "" {
		id = store.NewUUID()
	}
	id += "@" + domainOf(s.opt.MailFrom)
	m := &itip.Mail{
		From:    s.headerFrom(name, itip.Email(from)),
		ReplyTo: &mail.Address{Name: name, Address: itip.Email(from)},
		To:      []*mail.Address{{Address: to}},
		Subject: itip.Subject(sd.method, d.Summary, d.Start), Date: s.opt.Now(), MessageID: id,
		Text: text, HTML: html, Method: sd.method, Calendar: data, AutoSubmitted: true, Shared: enc,
	}
	body, err := m.Bytes()
	if err != nil {
		return store.OutboxMessage{}, err
	}
	p := (&mailer.Message{From: s.opt.MailFrom, To: []string{to}, Data: body}).Payload()
	return store.OutboxMessage{Kind: mailer.Kind, IdempotencyKey: key("imip", to, data), Payload: p}, nil
}

// headerFrom is the From of mail sent for a person: their own address
// when it is in a domain the server sends as, else the server's.
func (s *Scheduler) headerFrom(name, email string) *mail.Address {
	if slices.Contains(s.opt.SendAs, domainOf(email)) {
		if name == email {
			name = ""
		}
		return &mail.Address{Name: name, Address: email}
	}
	return &mail.Address{Name: name + " via Almanac", Address: s.opt.MailFrom}
}

// personName is the CN the object gives addr, else the address.
func personName(obj *icalendar.Object, addr string) string {
	for _, c := range obj.Components {
		if p := c.Props.Get(ical.PropOrganizer); p != nil && itip.SameAddress(p.Value, addr) && p.Params.Get("CN") != "" {
			return p.Params.Get("CN")
		}
		if p := itip.FindAttendee(c.Component, addr); p != nil && p.Params.Get("CN") != "" {
			return p.Params.Get("CN")
		}
	}
	return itip.Email(addr)
}

func domainOf(addr string) string {
	if i := strings.LastIndexByte(addr, '@'); i >= 0 {
		return strings.ToLower(addr[i+1:])
	}
	return "localhost"
}
