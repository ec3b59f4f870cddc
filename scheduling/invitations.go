package scheduling

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"strings"
	"time"

	"github.com/almanac/almanac/calendar"
	"github.com/almanac/almanac/icalendar"
	"github.com/almanac/almanac/itip"
	"github.com/almanac/almanac/store"
	"github.com/emersion/go-ical"
)

// Invitation is one attendee of one event, as the JSON API shows it.
type Invitation struct {
	ID             string // stable: derived from the attendee's address
	EventID        string // public id of the object the caller sees
	Address        string
	Email          string
	UserID         int64 // 0 for someone without an account here
	Name           string
	PartStat       string
	Role           string
	ScheduleStatus string
	Organizer      string
	Summary        string
	Start          time.Time
	AllDay         bool
	Delivery       string // "", "queued", "delivered", "sent" or "failed"
	DeliveryError  string
	Cancelled      bool   // the organizer cancelled the event (STATUS:CANCELLED)
	Comment        string // the COMMENT of the attendee's latest reply, in the organizer's copy
	// Held: an invitation from someone new, kept out of the calendar
	// until the attendee accepts it (strangers.go).
	Held bool
}

// ErrCancelled refuses an answer to an event its organizer cancelled:
// RFC 5546 §3.2.5 ends the event for every attendee, so there is nothing
// left to accept.
var ErrCancelled = errors.New("scheduling: the organizer cancelled this event")

// InvitationID is the id of addr's invitation to any event.
func InvitationID(addr string) string {
	sum := sha256.Sum256([]byte(itip.Address(addr)))
	return hex.EncodeToString(sum[:10])
}

// Invitations is the invitation API of the domain, for the JSON front end:
// every change goes through the calendar service, so the hook schedules
// it like any other write.
type Invitations struct {
	s    *Scheduler
	cals *calendar.Service
}

// Invitations returns the invitation API over cals.
func (s *Scheduler) Invitations(cals *calendar.Service) *Invitations {
	return &Invitations{s: s, cals: cals}
}

// target is an event as a caller reaches it.
type target struct {
	o    *store.Object
	cal  *store.Calendar
	obj  *icalendar.Object
	role calendar.Role
	me   string
	held *store.HeldInvitation // set for a held invitation (o and obj are its copy)
}

// resolve finds the event objUUID for u: the object itself when u may read
// its calendar, else u's own copy when u is invited to it. Anything else
// is store.ErrNotFound.
func (iv *Invitations) resolve(ctx context.Context, u *store.User, objUUID string) (*target, error) {
	o, err := iv.s.st.GetObjectByUUID(ctx, objUUID)
	if errors.Is(err, store.ErrNotFound) {
		return iv.heldTarget(ctx, u, objUUID)
	} else if err != nil {
		return nil, err
	}
	cal, err := iv.s.st.GetCalendar(ctx, o.CalendarID)
	if err != nil {
		return nil, err
	}
	role, err := iv.cals.RoleOf(ctx, u, cal)
	if err != nil {
		return nil, err
	}
	me := itip.MailtoOf(u.VerifiedEmail()) // "mailto:", matching no one, until verified
	if role < calendar.RoleReader {
		if o, cal, err = iv.ownCopy(ctx, u, o); err != nil {
			return nil, err
		}
		role = calendar.RoleOwner
	}
	obj, err := icalendar.ParseObject(o.Data, icalendar.Options{Components: cal.Components})
	if err != nil {
		return nil, err
	}
	return &target{o: o, cal: cal, obj: obj, role: role, me: me}, nil
}

func (iv *Invitations) ownCopy(ctx context.Context, u *store.User, o *store.Object) (*store.Object, *store.Calendar, error) {
	if o.Role != store.SchedOrganizer {
		return nil, nil, store.ErrNotFound
	}
	objs, err := iv.s.st.ObjectsByUID(ctx, u.ID, o.UID)
	if err != nil || len(objs) == 0 {
		return nil, nil, store.ErrNotFound
	}
	cal, err := iv.s.st.GetCalendar(ctx, objs[0].CalendarID)
	return objs[0], cal, err
}

// List returns the invitations of an event.
func (iv *Invitations) List(ctx context.Context, u *store.User, objUUID string) ([]Invitation, error) {
	t, err := iv.resolve(ctx, u, objUUID)
	if err != nil {
		return nil, err
	}
	return iv.describe(ctx, t, "")
}

// Get returns one invitation of an event.
func (iv *Invitations) Get(ctx context.Context, u *store.User, objUUID, id string) (*Invitation, error) {
	t, err := iv.resolve(ctx, u, objUUID)
	if err != nil {
		return nil, err
	}
	list, err := iv.describe(ctx, t, id)
	if err != nil || len(list) == 0 {
		return nil, store.ErrNotFound
	}
	return &list[0], nil
}

// describe lists the attendees of t (only id when set), with the state of
// their last delivery.
func (iv *Invitations) describe(ctx context.Context, t *target, id string) ([]Invitation, error) {
	c := masterOrFirst(t.obj)
	d := itip.DetailsOfComponent(c)
	org := organizer(t.obj)
	var out []Invitation
	w := &write{me: org}
	for _, addr := range w.attendees(t.obj) {
		if id != "" && InvitationID(addr) != id {
			continue
		}
		inv := Invitation{ID: InvitationID(addr), EventID: t.o.UUID, Address: addr, Email: itip.Email(addr),
			Organizer: itip.Email(org), Summary: d.Summary, Start: d.Start, AllDay: d.AllDay, PartStat: itip.NeedsAction,
			Cancelled: cancelled(t.obj), Held: t.held != nil}
		if p := attendeeProp(t.obj, addr); p != nil {
			inv.Name, inv.Role = p.Params.Get("CN"), strings.ToUpper(p.Params.Get("ROLE"))
			inv.ScheduleStatus = p.Params.Get("SCHEDULE-STATUS")
			inv.Comment = itip.AttendeeComment(c.Component, addr)
			if ps := p.Params.Get("PARTSTAT"); ps != "" {
				inv.PartStat = strings.ToUpper(ps)
			}
		}
		if inv.Role == "" {
			inv.Role = "REQ-PARTICIPANT"
		}
		if t.o.Role == store.SchedOrganizer {
			iv.delivery(ctx, &inv, t.o.UUID)
		}
		out = append(out, inv)
	}
	return out, nil
}

// cancelled tells whether the whole event was cancelled: its master (or
// only component) has STATUS:CANCELLED.
func cancelled(obj *icalendar.Object) bool {
	return strings.EqualFold(masterOrFirst(obj).Status(), "CANCELLED")
}

// attendeeProp is addr's ATTENDEE in the master, else in the first
// component that has one.
func attendeeProp(obj *icalendar.Object, addr string) *ical.Prop {
	if m := obj.Master(); m != nil {
		if p := itip.FindAttendee(m.Component, addr); p != nil {
			return p
		}
	}
	for _, c := range obj.Components {
		if p := itip.FindAttendee(c.Component, addr); p != nil {
			return p
		}
	}
	return nil
}

// delivery fills in what became of the latest message to the attendee.
func (iv *Invitations) delivery(ctx context.Context, inv *Invitation, objUUID string) {
	msgs, err := iv.s.st.OutboxByRef(ctx, objUUID+" "+inv.Address)
	if err != nil || len(msgs) == 0 {
		return
	}
	m := msgs[len(msgs)-1]
	switch {
	case m.Status == store.OutboxDead:
		inv.Delivery, inv.DeliveryError = "failed", m.LastError
	case m.Status == store.OutboxPending:
		inv.Delivery, inv.DeliveryError = "queued", m.LastError
	case m.Kind == LocalKind:
		inv.Delivery = "delivered"
	default:
		inv.Delivery = "sent"
	}
}

// Invite adds email as an attendee of the event (the caller must be able
// to write the organizer's copy), which sends them a REQUEST. An event
// without ORGANIZER becomes the calendar owner's.
func (iv *Invitations) Invite(ctx context.Context, u *store.User, objUUID, email, name string) (*Invitation, error) {
	t, err := iv.resolve(ctx, u, objUUID)
	if err != nil {
		return nil, err
	}
	owner, err := iv.s.st.GetUser(ctx, t.cal.OwnerID)
	if err != nil {
		return nil, err
	}
	ownerAddr := itip.MailtoOf(owner.Email)
	if org := organizer(t.obj); org != "" && org != ownerAddr {
		return nil, &calendar.InvalidError{Field: "event_id", Message: "is someone else's event; only its organizer invites"}
	}
	addr := itip.MailtoOf(email)
	if itip.Email(addr) == "" {
		return nil, &calendar.InvalidError{Field: "email", Message: "is not an e-mail address"}
	}
	for _, c := range t.obj.Components {
		if c.Props.Get(ical.PropOrganizer) == nil {
			org := ical.NewProp(ical.PropOrganizer)
			org.Value = ownerAddr
			if owner.DisplayName != "" {
				org.Params.Set("CN", owner.DisplayName)
			}
			c.Props.Set(org)
			addAttendee(c.Component, ownerAddr, owner.DisplayName, itip.Accepted)
		}
		addAttendee(c.Component, addr, name, itip.NeedsAction)
	}
	if err := iv.save(ctx, u, t); err != nil {
		return nil, err
	}
	return iv.Get(ctx, u, t.o.UUID, InvitationID(addr))
}

func addAttendee(c *ical.Component, addr, name, partstat string) {
	if itip.Invited(c, addr) {
		return
	}
	p := ical.NewProp(ical.PropAttendee)
	p.Value = addr
	p.Params.Set("PARTSTAT", partstat)
	p.Params.Set("ROLE", "REQ-PARTICIPANT")
	p.Params.Set("CUTYPE", "INDIVIDUAL")
	if partstat == itip.NeedsAction {
		p.Params.Set("RSVP", "TRUE")
	}
	if name != "" {
		p.Params.Set("CN", name)
	}
	c.Props.Add(p)
}

// save writes t back through the calendar service, guarded by its
// Schedule-Tag so that a reply that came in meanwhile is not lost.
func (iv *Invitations) save(ctx context.Context, u *store.User, t *target) error {
	data, err := icalendar.Marshal(t.obj.Calendar.Component)
	if err != nil {
		return err
	}
	// With a Schedule-Tag, answers the server merged in meanwhile do not
	// make the write fail: the hook keeps them (RFC 6638 §3.3).
	cond := store.Conditions{IfMatch: t.o.ETag}
	if t.o.ScheduleTag != "" {
		tag := t.o.ScheduleTag
		cond = store.Conditions{IfScheduleTagMatch: &tag}
	}
	_, err = iv.cals.PutObject(ctx, u, t.cal, t.o.Name, data, cond)
	return err
}

// Respond records the caller's answer to an invitation: id must be their
// own. It changes their copy, which sends the REPLY.
func (iv *Invitations) Respond(ctx context.Context, u *store.User, objUUID, id, partstat string) (*Invitation, error) {
	if !itip.ValidPartStat(partstat) || partstat == itip.Delegated {
		return nil, &calendar.InvalidError{Field: "status", Message: "must be ACCEPTED, DECLINED, TENTATIVE or PENDING"}
	}
	t, err := iv.resolve(ctx, u, objUUID)
	if err != nil {
		return nil, err
	}
	if InvitationID(t.me) != id {
		return nil, calendar.ErrForbidden // only attendees answer for themselves
	}
	if t.held != nil {
		if cancelled(t.obj) {
			return nil, ErrCancelled
		}
		return iv.respondHeld(ctx, u, t, id, partstat)
	}
	if t.o.Role != store.SchedAttendee {
		if t.o, t.cal, err = iv.ownCopy(ctx, u, t.o); err != nil {
			return nil, err
		}
		if t.obj, err = icalendar.ParseObject(t.o.Data, icalendar.Options{Components: t.cal.Components}); err != nil {
			return nil, err
		}
	}
	if cancelled(t.obj) {
		return nil, ErrCancelled
	}
	for _, c := range t.obj.Components {
		itip.SetPartStat(c.Component, t.me, partstat)
	}
	if err := iv.save(ctx, u, t); err != nil {
		return nil, err
	}
	return iv.Get(ctx, u, t.o.UUID, id)
}

// Remove takes an attendee off the event, which sends them a CANCEL.
func (iv *Invitations) Remove(ctx context.Context, u *store.User, objUUID, id string) error {
	t, err := iv.organizerTarget(ctx, u, objUUID)
	if err != nil {
		return err
	}
	found := false
	for _, c := range t.obj.Components {
		list := c.Props[ical.PropAttendee]
		for i := 0; i < len(list); i++ {
			if InvitationID(list[i].Value) == id {
				list = append(list[:i], list[i+1:]...)
				found = true
				i--
			}
		}
		c.Props[ical.PropAttendee] = list
	}
	if !found {
		return store.ErrNotFound
	}
	return iv.save(ctx, u, t)
}

func (iv *Invitations) organizerTarget(ctx context.Context, u *store.User, objUUID string) (*target, error) {
	t, err := iv.resolve(ctx, u, objUUID)
	if err != nil {
		return nil, err
	}
	if t.o.Role != store.SchedOrganizer {
		return nil, calendar.ErrForbidden
	}
	if !t.role.Can(calendar.ActWrite) {
		return nil, calendar.ErrForbidden
	}
	return t, nil
}

// Resend sends the attendee the current invitation again, whether or not
// anything changed (the JSON form of SCHEDULE-FORCE-SEND=REQUEST).
func (iv *Invitations) Resend(ctx context.Context, u *store.User, objUUID, id string) (*Invitation, error) {
	t, err := iv.organizerTarget(ctx, u, objUUID)
	if err != nil {
		return nil, err
	}
	w := &write{me: organizer(t.obj)}
	for _, addr := range w.attendees(t.obj) {
		if InvitationID(addr) != id {
			continue
		}
		msgs, _, err := iv.s.prepare(ctx, organizer(t.obj), t.o.UUID, []send{{to: addr, method: itip.Request, obj: t.obj}})
		if err != nil {
			return nil, err
		}
		if err := iv.s.st.Enqueue(ctx, msgs...); err != nil {
			return nil, err
		}
		iv.s.kick()
		return iv.Get(ctx, u, objUUID, id)
	}
	return nil, store.ErrNotFound
}

// Mine returns the caller's invitations from other organizers, those
// with the given answer when partstat is set.
func (iv *Invitations) Mine(ctx context.Context, u *store.User, partstat string) ([]Invitation, error) {
	objs, err := iv.s.st.AttendeeCopies(ctx, u.ID, partstat)
	if err != nil {
		return nil, err
	}
	me := itip.MailtoOf(u.VerifiedEmail()) // "mailto:", matching no one, until verified
	out := make([]Invitation, 0, len(objs))
	for _, o := range objs {
		obj, err := icalendar.ParseObject(o.Data, icalendar.Options{Components: []string{o.Component}})
		if err != nil {
			continue
		}
		if partstat == itip.NeedsAction && cancelled(obj) {
			continue // nothing to answer any more
		}
		list, err := iv.describe(ctx, &target{o: o, obj: obj, me: me}, InvitationID(me))
		if err != nil {
			return nil, err
		}
		out = append(out, list...)
	}
	held, err := iv.heldInvitations(ctx, u, partstat)
	if err != nil {
		return nil, err
	}
	return append(out, held...), nil
}
