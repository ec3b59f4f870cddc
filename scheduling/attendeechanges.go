package scheduling

import (
	"github.com/almanac/almanac/calendar"
	"github.com/almanac/almanac/icalendar"
	"github.com/almanac/almanac/itip"
	"github.com/emersion/go-ical"
)

// An attendee's copy is the organizer's event with the attendee's own
// answers and alarms: RFC 6638 §3.2.2.1 lets the attendee change their
// PARTSTAT, alarms, TRANSP and the like, and leaves the rest to the
// organizer. The server keeps two things of the organizer's in every
// write of the copy, since losing them detaches it from the meeting:
// who organizes it and the SEQUENCE of the version the attendee has
// (and, overrides.go, the overrides it put there from others' answers).

// attendeeCopy reports whether the write replaces me's copy of someone
// else's meeting (the same UID: another UID at that name is another
// event).
func (w *write) attendeeCopy() bool {
	return w.prev != nil && w.prevObj != nil && w.prevObj.UID == w.obj.UID && organizerOf(w.prevObj) != "" &&
		!itip.SameAddress(organizerOf(w.prevObj), w.me) && invitedAnywhere(w.prevObj, w.me)
}

// keepOrganizerData refuses a write of the copy that no longer invites
// the attendee (to leave a meeting, one declines it or deletes the copy),
// and puts back ORGANIZER when the write changed or dropped it, and a
// SEQUENCE lower than the copy's: an answer goes out with the copy's
// SEQUENCE, or the organizer would ignore it as one to an older version
// (RFC 5546 §2.1.5).
func (w *write) keepOrganizerData() error {
	if !w.attendeeCopy() {
		return nil
	}
	if !invitedAnywhere(w.obj, w.me) {
		return &calendar.ObjectError{Precondition: calendar.PreAttendeeChange,
			Message: "the attendees of a meeting are its organizer's to change; decline it or delete it instead"}
	}
	org := organizerProp(w.prevObj)
	prevBy := byRecurrence(w.prevObj)
	for _, c := range w.obj.Components {
		if p := c.Props.Get(ical.PropOrganizer); p == nil || !itip.SameAddress(p.Value, org.Value) {
			cp := icalendar.CloneProp(*org)
			c.Props.Set(&cp)
			w.changed = true
		}
		old := prevBy[itip.RecurrenceKey(c)]
		if old == nil {
			old = masterOrFirst(w.prevObj)
		}
		oldSeq, _ := old.Sequence()
		if seq, _ := c.Sequence(); seq < oldSeq {
			setSequence(c.Component, old.Props.Get(ical.PropSequence))
			w.changed = true
		}
	}
	w.pc.Write.Sequence = masterSequence(w.obj)
	return nil
}

// organizerProp is the ORGANIZER of obj's first component that has one.
func organizerProp(obj *icalendar.Object) *ical.Prop {
	for _, c := range obj.Components {
		if p := c.Props.Get(ical.PropOrganizer); p != nil {
			return p
		}
	}
	return nil
}
