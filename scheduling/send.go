package scheduling

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
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
}

// localPayload is the payload of an itip-local outbox message.
type localPayload struct {
	To   int64  `json:"to"`   // recipient user
	From string `json:"from"` // originator's calendar user address
	Data []byte `json:"data"` // the iTIP message
	// Quiet marks a status update for the other attendees' copies after a
	// reply: no inbox item, and the copy keeps its Schedule-Tag.
	Quiet bool `json:"quiet,omitempty"`
}

// prepare builds the outbox messages for sends from the calendar user
// from, about the object with public id objUUID, and the SCHEDULE-STATUS
// each recipient gets: delivered (local), sent (e-mail) or invalid.
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
	now := s.opt.Now()
	statuses := map[string]string{}
	var out []store.OutboxMessage
	var details *itip.Details
	shared := map[*byte]*itip.Encoded{} // one encoding per distinct message
	for _, sd := range sends {
		data, err := sd.build(now, from)
		if err != nil || data == nil {
			continue
		}
		email := itip.Email(sd.to)
		ref := objUUID + " " + sd.to
		switch u := users[email]; {
		case email == "":
			statuses[sd.to] = statusInvalid
		case u != nil:
			out = append(out, localMessage(u.ID, from, data, ref, false))
			statuses[sd.to] = statusDelivered
			s.m.sent.WithLabelValues(sd.method, "local").Inc()
		default:
			if details == nil {
				d := itip.DetailsOfComponent(masterOrFirst(sd.obj))
				details = &d
			}
			enc := shared[&data[0]]
			if enc == nil {
				enc = itip.Encode(data)
				shared[&data[0]] = enc
			}
			m, err := s.mailMessage(sd, from, email, objUUID, enc, data, *details)
			if err != nil {
				return nil, nil, err
			}
			m.Ref = ref
			out = append(out, m)
			statuses[sd.to] = statusSent
			s.m.sent.WithLabelValues(sd.method, "email").Inc()
		}
	}
	return out, statuses, nil
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

func key(kind string, to any, data []byte) string {
	sum := sha256.Sum256(data)
	return fmt.Sprintf("%s/%v/%s", kind, to, hex.EncodeToString(sum[:16]))
}

// queue adds messages to a write's side effects.
func (s *Scheduler) queue(w *store.ObjectWrite, msgs []store.OutboxMessage) {
	w.Outbox = append(w.Outbox, msgs...)
}

// mailMessage renders an iMIP e-mail (RFC 6047) for an external recipient:
// shown as from the person who caused it, sent from the server's address,
// answered to the person (Reply-To), with RSVP links in an invitation.
func (s *Scheduler) mailMessage(sd send, from, to, objUUID string, enc *itip.Encoded, data []byte, d itip.Details) (store.OutboxMessage, error) {
	name := personName(sd.obj, from)
	d.Sender = name
	if sd.method == itip.Reply {
		d.PartStat = itip.PartStat(sd.comps[0].Component, from)
	}
	if sd.method == itip.Request {
		d.Links = s.links(objUUID, sd.to)
	}
	text, html := itip.Body(sd.method, d)
	id := store.NewUUID() + "@" + domainOf(s.opt.MailFrom)
	m := &itip.Mail{
		From:    &mail.Address{Name: name + " via Almanac", Address: s.opt.MailFrom},
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
		return addr[i+1:]
	}
	return "localhost"
}
