package scheduling

import (
	"context"
	"errors"
	"fmt"

	"github.com/almanac/almanac/calendar"
	"github.com/almanac/almanac/icalendar"
	"github.com/almanac/almanac/itip"
	"github.com/almanac/almanac/store"
)

// Invitations from someone new. A REQUEST asks the attendee, who answers
// with a REPLY (RFC 5546 §3.2.2, §3.2.3); filing their copy in their
// default calendar before they answer (RFC 6638 §9.2) lets anyone put any
// event (a 50,000-instance series, spam) into anyone's calendar. So a new
// invitation from someone the attendee does not know is held: their copy
// waits in held_invitations, outside every calendar, view and free/busy
// answer, until they accept it. See docs/scheduling.md, "Invitations from
// someone new".

// InvitationsSetting is the effective value of u's "add invitations to my
// calendar" setting: theirs, else the server's default.
func (s *Scheduler) InvitationsSetting(u *store.User) string {
	switch u.Invitations {
	case store.InvitationsEveryone, store.InvitationsKnown:
		return u.Invitations
	}
	if s.opt.InvitationsDefault == store.InvitationsEveryone {
		return store.InvitationsEveryone
	}
	return store.InvitationsKnown
}

// Knows reports whether u knows the calendar user address org: it is in
// their known addresses (people they invited, organizers they answered or
// have an event from in their calendars), or org is a user of this server
// who shares a calendar with u or with whom u shares one, or both are
// accounts an administrator made rather than public sign-ups.
func (s *Scheduler) Knows(ctx context.Context, u *store.User, org string) (bool, error) {
	org = itip.Address(org)
	var other int64
	if e := itip.Email(org); e != "" {
		users, err := s.st.UsersByEmail(ctx, []string{e})
		if err != nil {
			return false, err
		}
		if ou := users[e]; ou != nil {
			other = ou.ID
		}
	}
	return s.st.Knows(ctx, u.ID, org, other)
}

// welcome reports whether a new invitation goes straight into the
// attendee's calendar: they take everyone's, or they know the organizer.
func (dv *delivery) welcome(ctx context.Context) (bool, error) {
	if dv.s.InvitationsSetting(dv.user) == store.InvitationsEveryone {
		return true, nil
	}
	return dv.s.Knows(ctx, dv.user, dv.msg.Organizer)
}

// held reads the user's held copy of the message's event, nil when there
// is none.
func (dv *delivery) held(ctx context.Context) (*store.HeldInvitation, *icalendar.Object, error) {
	h, err := dv.s.st.HeldByUID(ctx, dv.user.ID, dv.msg.UID)
	if errors.Is(err, store.ErrNotFound) {
		return nil, nil, nil
	} else if err != nil {
		return nil, nil, err
	}
	obj, err := icalendar.ParseObject(h.Data, icalendar.Options{Components: []string{h.Component}})
	if err != nil {
		return nil, nil, fmt.Errorf("scheduling: held copy of %s: %w", h.UID, err)
	}
	if organizer(obj) != dv.msg.Organizer {
		return nil, nil, &itip.Error{Reason: "UID " + dv.msg.UID + " belongs to another organizer's event"}
	}
	return h, obj, nil
}

// hold stores or updates the held copy of a REQUEST (RFC 5546 §3.2.2: an
// update replaces the attendee's copy, which here is the held one). A
// message older than the held copy changes nothing.
func (dv *delivery) hold(ctx context.Context, h *store.HeldInvitation, prev *icalendar.Object) error {
	if prev != nil && !dv.msg.Newer(masterSequence(prev), itip.Stamp(prev)) {
		return nil
	}
	tree := itip.Copy(dv.msg, prev, dv.me)
	data, err := icalendar.Marshal(tree)
	if err != nil {
		return &itip.Error{Reason: err.Error()}
	}
	nh := &store.HeldInvitation{UserID: dv.user.ID, UID: dv.msg.UID, Organizer: dv.msg.Organizer, Component: dv.msg.Type,
		PartStat: ownAnswer(tree, dv.me), Data: data}
	if h != nil {
		nh.UUID = h.UUID
	}
	if err := dv.s.st.PutHeld(ctx, nh); err != nil {
		return err
	}
	if h == nil {
		dv.s.opt.Logger.Info("invitation from someone new held", "to", dv.user.Name, "uid", dv.msg.UID, "organizer", dv.msg.Organizer)
	}
	if dv.p.Quiet {
		return nil
	}
	return dv.inbox(ctx)
}

// cancelHeld applies a CANCEL to the held copy (RFC 5546 §3.2.5), which
// stays held so that the attendee sees it was cancelled.
func (dv *delivery) cancelHeld(ctx context.Context, h *store.HeldInvitation, obj *icalendar.Object) error {
	if dv.msg.Sequence < masterSequence(obj) {
		return nil // older than the copy (RFC 5546 §2.1.5)
	}
	if err := itip.ApplyCancel(obj, dv.msg); err != nil {
		return err
	}
	data, err := icalendar.Marshal(obj.Calendar.Component)
	if err != nil {
		return err
	}
	h.Data = data
	if err := dv.s.st.PutHeld(ctx, h); err != nil {
		return err
	}
	return dv.inbox(ctx)
}

// heldTarget is u's held invitation with public id id as a target, or
// store.ErrNotFound.
func (iv *Invitations) heldTarget(ctx context.Context, u *store.User, id string) (*target, error) {
	h, err := iv.s.st.HeldByUUID(ctx, u.ID, id)
	if err != nil {
		return nil, err
	}
	obj, err := icalendar.ParseObject(h.Data, icalendar.Options{Components: []string{h.Component}})
	if err != nil {
		return nil, fmt.Errorf("scheduling: held copy of %s: %w", h.UID, err)
	}
	o := &store.Object{UUID: h.UUID, UID: h.UID, Component: h.Component, Data: h.Data}
	o.Role, o.PartStat = store.SchedAttendee, h.PartStat
	return &target{o: o, obj: obj, role: calendar.RoleOwner, me: itip.MailtoOf(u.VerifiedEmail()), held: h}, nil
}

// respondHeld answers a held invitation. Accepting it, for sure or
// tentatively, puts it into the attendee's default calendar (RFC 6638
// §9.2) as their own write, which sends the REPLY (RFC 6638 §3.2.2), and
// makes the organizer known. Declining sends the REPLY and keeps it held,
// out of the calendar.
func (iv *Invitations) respondHeld(ctx context.Context, u *store.User, t *target, id, partstat string) (*Invitation, error) {
	for _, c := range t.obj.Components {
		itip.SetPartStat(c.Component, t.me, partstat)
	}
	data, err := icalendar.Marshal(t.obj.Calendar.Component)
	if err != nil {
		return nil, err
	}
	h := t.held
	if partstat == itip.Accepted || partstat == itip.Tentative {
		cal, err := DefaultCalendar(ctx, iv.cals, u, h.Component)
		if err != nil {
			return nil, err
		}
		cond := store.Conditions{IfNoneMatch: true}
		res, err := iv.cals.PutObject(ctx, u, cal, resourceName(h.UID), data, cond)
		if errors.Is(err, store.ErrPreconditionFailed) {
			res, err = iv.cals.PutObject(ctx, u, cal, digestName(h.UID), data, cond)
		}
		if err != nil {
			return nil, err
		}
		if err := iv.s.st.RememberAddresses(ctx, u.ID, h.Organizer); err != nil {
			return nil, err
		}
		if err := iv.s.st.DeleteHeld(ctx, u.ID, h.UUID); err != nil && !errors.Is(err, store.ErrNotFound) {
			return nil, err
		}
		return iv.Get(ctx, u, res.UUID, id)
	}
	if partstat != h.PartStat && partstat != itip.NeedsAction && organizerAgent(t.obj) == "SERVER" {
		var comps []*icalendar.Component
		for _, c := range t.obj.Components {
			if itip.Invited(c.Component, t.me) {
				comps = append(comps, c)
			}
		}
		msgs, _, err := iv.s.prepare(ctx, t.me, "", []send{{to: h.Organizer, method: itip.Reply, obj: t.obj, comps: comps}})
		if err != nil {
			return nil, err
		}
		if err := iv.s.st.Enqueue(ctx, msgs...); err != nil {
			return nil, err
		}
		iv.s.kick()
	}
	h.Data, h.PartStat = data, partstat
	if err := iv.s.st.PutHeld(ctx, h); err != nil {
		return nil, err
	}
	return iv.Get(ctx, u, h.UUID, id)
}

// heldInvitations are u's held invitations as the inbox lists them, those
// with the given answer when partstat is set. One the user has since put
// into a calendar themselves (a CalDAV client answering from the schedule
// inbox) is theirs there and no longer listed (store.ListHeld).
func (iv *Invitations) heldInvitations(ctx context.Context, u *store.User, partstat string) ([]Invitation, error) {
	list, err := iv.s.st.ListHeld(ctx, u.ID)
	if err != nil {
		return nil, err
	}
	var out []Invitation
	for _, h := range list {
		if partstat != "" && h.PartStat != partstat {
			continue
		}
		t, err := iv.heldTarget(ctx, u, h.UUID)
		if err != nil {
			continue
		}
		if partstat == itip.NeedsAction && cancelled(t.obj) {
			continue
		}
		inv, err := iv.describe(ctx, t, InvitationID(t.me))
		if err != nil {
			return nil, err
		}
		out = append(out, inv...)
	}
	return out, nil
}
