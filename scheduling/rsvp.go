package scheduling

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/almanac/almanac/icalendar"
	"github.com/almanac/almanac/itip"
	"github.com/almanac/almanac/store"
)

// RSVP is what a signed RSVP link says: attendee answers partstat to the
// organizer's object objUUID, until Expires.
type RSVP struct {
	Object   string
	Attendee string // calendar user address
	PartStat string
	Expires  time.Time
}

// Errors of ParseToken.
var (
	ErrBadToken     = errors.New("the link is not valid: it was changed or cut short")
	ErrExpiredToken = errors.New("the link has expired; answer from the invitation in your calendar program")
)

// linkAnswers are the answers an invitation offers as links.
var linkAnswers = []struct{ label, partstat string }{
	{"Yes", itip.Accepted}, {"Maybe", itip.Tentative}, {"No", itip.Declined},
}

// links returns the RSVP links of an invitation, or nil when the server
// has no public URL or no secret.
func (s *Scheduler) links(objUUID, attendee string) []itip.Link {
	if s.opt.PublicURL == "" || len(s.opt.Secret) == 0 {
		return nil
	}
	exp := s.opt.Now().Add(s.opt.LinkTTL)
	out := make([]itip.Link, 0, len(linkAnswers))
	for _, a := range linkAnswers {
		tok := s.Token(RSVP{Object: objUUID, Attendee: attendee, PartStat: a.partstat, Expires: exp})
		out = append(out, itip.Link{Label: a.label, URL: strings.TrimSuffix(s.opt.PublicURL, "/") + "/rsvp/" + tok})
	}
	return out
}

// Token signs r with the server secret (HMAC-SHA-256). The token is
// URL-safe and carries its own expiry.
func (s *Scheduler) Token(r RSVP) string {
	payload := strings.Join([]string{"1", r.Object, r.Attendee, r.PartStat, strconv.FormatInt(r.Expires.Unix(), 10)}, "\n")
	enc := base64.RawURLEncoding
	return enc.EncodeToString([]byte(payload)) + "." + enc.EncodeToString(s.mac(payload))
}

func (s *Scheduler) mac(payload string) []byte {
	h := hmac.New(sha256.New, s.opt.Secret)
	h.Write([]byte("almanac rsvp\n" + payload))
	return h.Sum(nil)[:18]
}

// ParseToken checks a token's signature and expiry. It returns ErrBadToken
// or ErrExpiredToken.
func (s *Scheduler) ParseToken(tok string) (RSVP, error) {
	enc := base64.RawURLEncoding
	p64, m64, ok := strings.Cut(tok, ".")
	if !ok || len(tok) > 1024 || len(s.opt.Secret) == 0 {
		return RSVP{}, ErrBadToken
	}
	payload, err1 := enc.DecodeString(p64)
	mac, err2 := enc.DecodeString(m64)
	if err1 != nil || err2 != nil || !hmac.Equal(mac, s.mac(string(payload))) {
		return RSVP{}, ErrBadToken
	}
	f := strings.Split(string(payload), "\n")
	if len(f) != 5 || f[0] != "1" || !itip.ValidPartStat(f[3]) {
		return RSVP{}, ErrBadToken
	}
	exp, err := strconv.ParseInt(f[4], 10, 64)
	if err != nil {
		return RSVP{}, ErrBadToken
	}
	r := RSVP{Object: f[1], Attendee: f[2], PartStat: f[3], Expires: time.Unix(exp, 0)}
	if s.opt.Now().After(r.Expires) {
		return r, ErrExpiredToken
	}
	return r, nil
}

// LinkTarget describes what an RSVP link answers, for its page.
type LinkTarget struct {
	Summary  string
	When     string
	Attendee string
	Current  string // the attendee's answer on record
}

// Describe returns what a checked link is about. It returns
// store.ErrNotFound when the event is gone or no longer invites the
// attendee.
func (s *Scheduler) Describe(ctx context.Context, r RSVP) (*LinkTarget, error) {
	obj, _, err := s.organizerCopy(ctx, r.Object)
	if err != nil {
		return nil, err
	}
	c := masterOrFirst(obj)
	ps := itip.PartStat(c.Component, r.Attendee)
	if ps == "" {
		return nil, store.ErrNotFound
	}
	d := itip.DetailsOfComponent(c)
	return &LinkTarget{Summary: d.Summary, When: d.When(), Attendee: itip.Email(r.Attendee), Current: ps}, nil
}

func (s *Scheduler) organizerCopy(ctx context.Context, objUUID string) (*icalendar.Object, *store.Object, error) {
	o, err := s.st.GetObjectByUUID(ctx, objUUID)
	if err != nil {
		return nil, nil, err
	}
	if o.Role != store.SchedOrganizer {
		return nil, nil, store.ErrNotFound
	}
	obj, err := icalendar.ParseObject(o.Data, icalendar.Options{Components: []string{o.Component}})
	if err != nil {
		return nil, nil, store.ErrNotFound
	}
	return obj, o, nil
}

// Answer records a checked link's answer: it queues the attendee's REPLY
// for the organizer, exactly as if their calendar program had sent it, so
// that it goes through the same checks (RFC 5546 §3.2.3).
func (s *Scheduler) Answer(ctx context.Context, r RSVP) error {
	obj, o, err := s.organizerCopy(ctx, r.Object)
	if err != nil {
		return err
	}
	var comps []*icalendar.Component
	for _, c := range obj.Components {
		if itip.Invited(c.Component, r.Attendee) {
			itip.SetPartStat(c.Component, r.Attendee, r.PartStat)
			comps = append(comps, c)
		}
	}
	if len(comps) == 0 {
		return store.ErrNotFound
	}
	data, err := itip.BuildReply(obj, r.Attendee, comps, s.opt.Now())
	if err != nil {
		return err
	}
	owner, err := s.calendarOwner(ctx, o.CalendarID)
	if err != nil {
		return err
	}
	s.m.received.WithLabelValues("link").Inc()
	m := localMessage(owner, r.Attendee, data, "", false)
	m.IdempotencyKey = withAction(m.IdempotencyKey, store.NewUUID()) // each answer by link is sent
	if err := s.st.Enqueue(ctx, m); err != nil {
		return err
	}
	s.kick()
	return nil
}

func (s *Scheduler) calendarOwner(ctx context.Context, calID int64) (int64, error) {
	cal, err := s.st.GetCalendar(ctx, calID)
	if err != nil {
		return 0, fmt.Errorf("scheduling: calendar of object: %w", err)
	}
	return cal.OwnerID, nil
}
