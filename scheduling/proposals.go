package scheduling

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"strconv"
	"time"

	"github.com/almanac/almanac/calendar"
	"github.com/almanac/almanac/icalendar"
	"github.com/almanac/almanac/itip"
	"github.com/almanac/almanac/store"
	"github.com/emersion/go-ical"
)

// ErrProposalDecided refuses to accept or decline a proposal that was
// already accepted or declined.
var ErrProposalDecided = errors.New("scheduling: the proposal was already answered")

// Proposal is a new time an attendee proposed for an event (a COUNTER,
// RFC 5546 §3.2.7), as the JSON API shows it.
type Proposal struct {
	ID           string
	EventID      string
	Attendee     string // e-mail address of the proposer
	Name         string // their CN in the event, if any
	RecurrenceID string // the instance it is about ("" for the event)
	Start, End   time.Time
	AllDay       bool
	Comment      string
	State        string // pending, accepted or declined
	ReceivedAt   time.Time
}

// counter keeps an attendee's COUNTER for the organizer (RFC 5546 §3.2.7)
// beside the inbox item: only for an event this user organizes, and only
// from one of its attendees. Nothing changes in the event until the
// organizer accepts it.
func (dv *delivery) counter(ctx context.Context) error {
	o, obj, _, err := dv.copyOf(ctx)
	if err != nil {
		return err
	}
	if o == nil || organizer(obj) != dv.me {
		dv.s.opt.Logger.Info("counter for an unknown event ignored", "to", dv.user.Name, "uid", dv.msg.UID, "from", dv.p.From)
		return dv.inbox(ctx)
	}
	att := dv.msg.Attendee()
	if !itip.SameAddress(att, dv.p.From) || !invitedAnywhere(obj, att) {
		return &itip.Error{Reason: "COUNTER from someone who is not an attendee"}
	}
	if err := checkInstances(obj, dv.msg); err != nil {
		return err
	}
	if _, _, err := proposedTime(dv.msg.Components[0]); err != nil {
		return &itip.Error{Reason: "the COUNTER proposes no valid time: " + err.Error()}
	}
	sum := sha256.Sum256([]byte(dv.key))
	p := &store.Proposal{UserID: dv.user.ID, UID: dv.msg.UID, Name: hex.EncodeToString(sum[:16]), Attendee: att,
		Comment: itip.Comment(dv.msg.Components[0].Component), Data: dv.p.Data}
	if _, err := dv.s.st.PutProposal(ctx, p); err != nil {
		return err
	}
	return dv.inbox(ctx)
}

// proposedTime reads the start and end a COUNTER component proposes.
func proposedTime(c *icalendar.Component) (icalendar.DateTime, icalendar.DateTime, error) {
	start, err := c.Start()
	if err != nil {
		return icalendar.DateTime{}, icalendar.DateTime{}, err
	}
	if start.IsZero() {
		return start, start, errors.New("no DTSTART")
	}
	end, err := c.End()
	if err != nil {
		return start, start, err
	}
	return start, end, nil
}

// Proposals lists the COUNTERs received for the organizer's event
// objUUID, oldest first. The caller must be able to write the
// organizer's copy.
func (iv *Invitations) Proposals(ctx context.Context, u *store.User, objUUID string) ([]Proposal, error) {
	t, owner, err := iv.proposalTarget(ctx, u, objUUID)
	if err != nil {
		return nil, err
	}
	list, err := iv.s.st.Proposals(ctx, owner.ID, t.o.UID)
	if err != nil {
		return nil, err
	}
	out := make([]Proposal, 0, len(list))
	for _, p := range list {
		if pr, ok := describeProposal(t, p); ok {
			out = append(out, pr)
		}
	}
	return out, nil
}

// Proposal returns one proposal for the event objUUID.
func (iv *Invitations) Proposal(ctx context.Context, u *store.User, objUUID, id string) (*Proposal, error) {
	t, owner, err := iv.proposalTarget(ctx, u, objUUID)
	if err != nil {
		return nil, err
	}
	p, err := iv.s.st.GetProposal(ctx, owner.ID, id)
	if err != nil || p.UID != t.o.UID {
		return nil, store.ErrNotFound
	}
	pr, ok := describeProposal(t, p)
	if !ok {
		return nil, store.ErrNotFound
	}
	return &pr, nil
}

func (iv *Invitations) proposalTarget(ctx context.Context, u *store.User, objUUID string) (*target, *store.User, error) {
	t, err := iv.organizerTarget(ctx, u, objUUID)
	if err != nil {
		return nil, nil, err
	}
	owner, err := iv.s.st.GetUser(ctx, t.cal.OwnerID)
	if err != nil {
		return nil, nil, err
	}
	return t, owner, nil
}

// describeProposal reads a stored COUNTER; ok is false for one that no
// longer parses.
func describeProposal(t *target, p *store.Proposal) (Proposal, bool) {
	msg, err := itip.Parse(p.Data)
	if err != nil || len(msg.Components) == 0 {
		return Proposal{}, false
	}
	c := msg.Components[0]
	start, end, err := proposedTime(c)
	if err != nil {
		return Proposal{}, false
	}
	out := Proposal{ID: p.UUID, EventID: t.o.UUID, Attendee: itip.Email(p.Attendee), RecurrenceID: itip.RecurrenceKey(c),
		Start: start.In(time.UTC), AllDay: start.IsDate(), Comment: p.Comment, State: p.State, ReceivedAt: p.CreatedAt}
	if !end.IsZero() {
		out.End = end.In(time.UTC)
	}
	if a := attendeeProp(t.obj, p.Attendee); a != nil {
		out.Name = a.Params.Get("CN")
	}
	return out, true
}

// AcceptProposal applies the time a proposal proposes to the organizer's
// copy, to the instance it names, with a new SEQUENCE: a reschedule, which
// the calendar write sends to every attendee as an updated REQUEST (RFC
// 5546 §3.2.7: the organizer accepts a COUNTER by sending the event
// again).
func (iv *Invitations) AcceptProposal(ctx context.Context, u *store.User, objUUID, id string) (*Proposal, error) {
	t, owner, _, msg, err := iv.pendingProposal(ctx, u, objUUID, id)
	if err != nil {
		return nil, err
	}
	if err := applyProposal(t.obj, msg); err != nil {
		return nil, err
	}
	if err := iv.decide(ctx, owner, id, store.ProposalAccepted); err != nil {
		return nil, err
	}
	if err := iv.save(ctx, u, t); err != nil {
		// The event did not change: the proposal waits again.
		_ = iv.s.st.SetProposalState(ctx, owner.ID, id, store.ProposalAccepted, store.ProposalPending)
		return nil, err
	}
	return iv.Proposal(ctx, u, objUUID, id)
}

// DeclineProposal keeps the event as it is and tells the proposer so with
// a DECLINECOUNTER (RFC 5546 §3.2.8).
func (iv *Invitations) DeclineProposal(ctx context.Context, u *store.User, objUUID, id string) (*Proposal, error) {
	t, owner, p, msg, err := iv.pendingProposal(ctx, u, objUUID, id)
	if err != nil {
		return nil, err
	}
	now := iv.s.opt.Now()
	data, err := itip.BuildDeclineCounter(msg, now)
	if err != nil {
		return nil, err
	}
	org := organizer(t.obj)
	out, err := iv.s.directMessage(ctx, org, t.o.UUID, p.Attendee, itip.DeclineCounter, t.obj, data)
	if err != nil {
		return nil, err
	}
	if err := iv.decide(ctx, owner, id, store.ProposalDeclined); err != nil {
		return nil, err
	}
	if err := iv.s.st.Enqueue(ctx, out); err != nil {
		_ = iv.s.st.SetProposalState(ctx, owner.ID, id, store.ProposalDeclined, store.ProposalPending)
		return nil, err
	}
	iv.s.kick()
	return iv.Proposal(ctx, u, objUUID, id)
}

func (iv *Invitations) decide(ctx context.Context, owner *store.User, id, state string) error {
	err := iv.s.st.SetProposalState(ctx, owner.ID, id, store.ProposalPending, state)
	if errors.Is(err, store.ErrPreconditionFailed) {
		return ErrProposalDecided
	}
	return err
}

func (iv *Invitations) pendingProposal(ctx context.Context, u *store.User, objUUID, id string) (*target, *store.User, *store.Proposal, *itip.Message, error) {
	t, owner, err := iv.proposalTarget(ctx, u, objUUID)
	if err != nil {
		return nil, nil, nil, nil, err
	}
	p, err := iv.s.st.GetProposal(ctx, owner.ID, id)
	if err != nil || p.UID != t.o.UID {
		return nil, nil, nil, nil, store.ErrNotFound
	}
	if p.State != store.ProposalPending {
		return nil, nil, nil, nil, ErrProposalDecided
	}
	msg, err := itip.Parse(p.Data)
	if err != nil {
		return nil, nil, nil, nil, &calendar.InvalidError{Field: "id", Message: "the proposal cannot be read: " + err.Error()}
	}
	return t, owner, p, msg, nil
}

// timeProps are what accepting a proposal takes from it: its time.
var timeProps = []string{ical.PropDateTimeStart, ical.PropDateTimeEnd, ical.PropDuration}

// applyProposal sets the time each COUNTER component proposes on the
// component of obj it is about (an override made for an instance that has
// none), with the time zones it needs, and raises SEQUENCE (RFC 5546
// §2.1.4: a change of time is a reschedule).
func applyProposal(obj *icalendar.Object, msg *itip.Message) error {
	if cancelled(obj) {
		return ErrCancelled
	}
	if err := checkInstances(obj, msg); err != nil {
		return &calendar.InvalidError{Field: "id", Message: err.Error()}
	}
	seq := masterSequence(obj)
	for _, c := range obj.Components {
		if n, _ := c.Sequence(); n > seq {
			seq = n
		}
	}
	for _, rc := range msg.Components {
		key := itip.RecurrenceKey(rc)
		target := itip.Component(obj, key)
		if target == nil {
			master := obj.Master()
			if master == nil {
				return store.ErrNotFound
			}
			o, err := itip.Instantiate(master, rc.Props.Get(ical.PropRecurrenceID))
			if err != nil {
				return &calendar.InvalidError{Field: "id", Message: err.Error()}
			}
			target = obj.Add(o)
		}
		for _, name := range timeProps {
			target.Props.Del(name)
			if v := rc.Props.Values(name); len(v) > 0 {
				target.Props[name] = append([]ical.Prop(nil), v...)
			}
		}
		addZones(obj, msg, rc)
	}
	for _, c := range obj.Components {
		p := ical.NewProp(ical.PropSequence)
		p.Value = strconv.Itoa(seq + 1)
		c.Props.Set(p)
	}
	return nil
}

// addZones copies into obj the VTIMEZONEs of msg that rc's times use and
// obj lacks.
func addZones(obj *icalendar.Object, msg *itip.Message, rc *icalendar.Component) {
	have := map[string]bool{}
	for _, tz := range obj.Calendar.Children {
		if tz.Name == ical.CompTimezone {
			have[tz.Props.Get(ical.PropTimezoneID).Value] = true
		}
	}
	for _, name := range timeProps {
		for _, p := range rc.Props[name] {
			id := p.Params.Get("TZID")
			if id == "" || have[id] {
				continue
			}
			if tz := msg.Calendar.Timezones()[id]; tz != nil {
				obj.Calendar.Children = append(obj.Calendar.Children, tz)
				have[id] = true
			}
		}
	}
}

// directMessage is one message about the object objUUID from the
// organizer from to the address to, with its reference so that the
// organizer's copy shows what became of it: a local delivery for a user
// of the server, else an e-mail.
func (s *Scheduler) directMessage(ctx context.Context, from, objUUID, to, method string, obj *icalendar.Object, data []byte) (store.OutboxMessage, error) {
	email := itip.Email(to)
	users, err := s.st.UsersByEmail(ctx, []string{email})
	if err != nil {
		return store.OutboxMessage{}, err
	}
	ref := objUUID + " " + itip.MailtoOf(email)
	if u := users[email]; u != nil {
		return localMessage(u.ID, from, data, ref, false), nil
	}
	m, err := s.mailMessage(send{to: to, method: method, obj: obj}, from, email, objUUID, itip.Encode(data), data,
		itip.DetailsOfComponent(masterOrFirst(obj)), "")
	m.Ref = ref
	return m, err
}
