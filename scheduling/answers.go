package scheduling

import (
	"context"
	"slices"
	"strconv"
	"strings"

	"github.com/almanac/almanac/icalendar"
	"github.com/almanac/almanac/itip"
	"github.com/almanac/almanac/store"
	"github.com/emersion/go-ical"
)

// What happens to the attendees' answers when the organizer changes the
// event: a reschedule asks everyone again, a new attendee starts without
// an answer, and whoever the server invites is asked to reply.

// rescheduleProps are the properties whose change reschedules an
// instance (RFC 6638 §3.2.8: DTSTART, DTEND, DURATION, DUE, RRULE,
// RDATE), and LOCATION: a meeting moved to another place is one the
// attendees may no longer be able to attend, so they are asked again.
var rescheduleProps = []string{ical.PropDateTimeStart, ical.PropDateTimeEnd, ical.PropDuration, ical.PropDue,
	ical.PropRecurrenceRule, ical.PropRecurrenceDates, ical.PropLocation}

// rescheduled reports whether cur moves the instance (or series) old
// describes: a different time, recurrence or place, or an EXDATE removed
// (an instance reinstated). Adding an EXDATE removes an instance, which
// the update tells; it asks nothing of anyone (RFC 6638 §3.2.8).
func rescheduled(old, cur *ical.Component) bool {
	for _, name := range rescheduleProps {
		if !slices.Equal(propLines(old, name), propLines(cur, name)) {
			return true
		}
	}
	now := propLines(cur, ical.PropExceptionDates)
	for _, ex := range propLines(old, ical.PropExceptionDates) {
		if !slices.Contains(now, ex) {
			return true
		}
	}
	return false
}

// propLines renders c's properties of one name canonically (see form),
// sorted.
func propLines(c *ical.Component, name string) []string {
	var f form
	var out []string
	for i, props := 0, c.Props[name]; i < len(props); i++ {
		out = append(out, f.prop(&props[i])...)
	}
	slices.Sort(out)
	return out
}

// resetAnswers applies RFC 6638 §3.2.8 to the organizer's write: in each
// component that reschedules an instance, every attendee the server
// schedules but the organizer goes back to PARTSTAT=NEEDS-ACTION with
// RSVP=TRUE (see askAgain), and the component's SEQUENCE goes up if the
// client did not raise it (RFC 5546 §2.1.4, §3.2.2.1: a reschedule is a
// REQUEST with a new SEQUENCE), so that the attendees' copies and the
// update mail ask again. Only the instances that moved lose their
// answers: an override whose time changed resets that instance alone.
// A component that only removes instances (a new EXDATE) or changes
// STATUS keeps the answers but still takes a new SEQUENCE (§2.1.4).
func (w *write) resetAnswers() {
	if w.prevObj == nil {
		return
	}
	for _, p := range pairInstances(w.prevObj, w.obj) {
		if p.old == nil || p.cur == nil {
			continue
		}
		switch {
		case rescheduled(p.old, p.cur):
			w.raiseSequence(p.old, p.cur)
			for i := range p.cur.Props[ical.PropAttendee] {
				a := &p.cur.Props[ical.PropAttendee][i]
				if itip.SameAddress(a.Value, w.me) || !serverScheduled(a) {
					continue
				}
				w.changed = askAgain(a) || w.changed
			}
		case revised(p.old, p.cur):
			w.raiseSequence(p.old, p.cur)
		}
	}
	w.pc.Write.Sequence = masterSequence(w.obj)
}

// revised reports whether cur changes, of what RFC 5546 §2.1.4 has the
// organizer raise SEQUENCE for, what rescheduled does not count: a new
// EXDATE, or STATUS.
func revised(old, cur *ical.Component) bool {
	return !slices.Equal(propLines(old, ical.PropExceptionDates), propLines(cur, ical.PropExceptionDates)) ||
		(&icalendar.Component{Component: old}).Status() != (&icalendar.Component{Component: cur}).Status()
}

// raiseSequence gives cur a SEQUENCE above old's unless the client
// raised it.
func (w *write) raiseSequence(old, cur *ical.Component) {
	oldSeq, curSeq := sequenceOf(old), sequenceOf(cur)
	if curSeq <= oldSeq {
		seq := ical.NewProp(ical.PropSequence)
		seq.Value = strconv.Itoa(oldSeq + 1)
		cur.Props.Set(seq)
		w.changed = true
	}
}

// newAttendeesUnanswered gives an attendee the write adds to the event
// PARTSTAT=NEEDS-ACTION: an answer is the attendee's to give, in a REPLY
// (RFC 5546 §3.2.3), and someone invited again after being removed has
// not answered this invitation, whatever the organizer's client
// remembers of the last one. In a new event the same holds for the users
// of this server (RFC 6638 §3.2.1: the organizer does not answer for
// other users), whose copies would otherwise show an answer they never
// gave; an outside attendee's answer the organizer brings along (a
// meeting moved here from another server) is the only record of it.
func (w *write) newAttendeesUnanswered(ctx context.Context) error {
	before := map[string]bool{}
	var local map[string]*store.User
	if w.prevObj != nil {
		for _, a := range w.attendees(w.prevObj) {
			before[a] = true
		}
	} else {
		var emails []string
		for _, a := range w.attendees(w.obj) {
			emails = append(emails, itip.Email(a))
		}
		var err error
		if local, err = w.s.st.UsersByEmail(ctx, emails); err != nil {
			return err
		}
	}
	for _, c := range w.obj.Components {
		for i := range c.Props[ical.PropAttendee] {
			a := &c.Props[ical.PropAttendee][i]
			addr := itip.Address(a.Value)
			if before[addr] || itip.SameAddress(addr, w.me) || !serverScheduled(a) || w.prevObj == nil && local[itip.Email(addr)] == nil {
				continue
			}
			if strings.ToUpper(a.Params.Get(ical.ParamParticipationStatus)) != itip.NeedsAction {
				ensureParams(a)
				a.Params.Set(ical.ParamParticipationStatus, itip.NeedsAction)
				w.changed = true
			}
		}
	}
	return nil
}

// askForReplies sets RSVP=TRUE on every attendee the server schedules who
// has not answered and whose RSVP nobody set: RFC 5545 §3.2.17 makes
// FALSE the default, and Outlook sends no reply to an invitation that
// does not ask for one. An explicit RSVP=FALSE stays.
func (w *write) askForReplies() {
	for _, c := range w.obj.Components {
		for i := range c.Props[ical.PropAttendee] {
			a := &c.Props[ical.PropAttendee][i]
			if itip.SameAddress(a.Value, w.me) || !serverScheduled(a) || a.Params.Get(ical.ParamRSVP) != "" {
				continue
			}
			if ps := strings.ToUpper(a.Params.Get(ical.ParamParticipationStatus)); ps == "" || ps == itip.NeedsAction {
				ensureParams(a)
				a.Params.Set(ical.ParamRSVP, "TRUE")
				w.changed = true
			}
		}
	}
}

// askAgain sets an attendee back to NEEDS-ACTION with RSVP=TRUE (unless
// the organizer set RSVP=FALSE) and reports whether that changed
// anything.
func askAgain(a *ical.Prop) bool {
	ensureParams(a)
	changed := false
	if strings.ToUpper(a.Params.Get(ical.ParamParticipationStatus)) != itip.NeedsAction {
		a.Params.Set(ical.ParamParticipationStatus, itip.NeedsAction)
		changed = true
	}
	// An RSVP=FALSE the organizer set (answers clear RSVP) says they
	// want no reply from this attendee, moved or not.
	if r := a.Params.Get(ical.ParamRSVP); !strings.EqualFold(r, "TRUE") && !strings.EqualFold(r, "FALSE") {
		a.Params.Set(ical.ParamRSVP, "TRUE")
		changed = true
	}
	return changed
}

// serverScheduled reports whether the server schedules the attendee a
// (SCHEDULE-AGENT absent or SERVER, RFC 6638 §7.1).
func serverScheduled(a *ical.Prop) bool {
	agent := a.Params.Get("SCHEDULE-AGENT")
	return agent == "" || strings.EqualFold(agent, "SERVER")
}

func ensureParams(a *ical.Prop) {
	if a.Params == nil {
		a.Params = ical.Params{}
	}
}

func sequenceOf(c *ical.Component) int {
	p := c.Props.Get(ical.PropSequence)
	if p == nil {
		return 0
	}
	n, _ := strconv.Atoi(strings.TrimSpace(p.Value))
	return n
}
