package scheduling

import (
	"context"

	"github.com/almanac/almanac/icalendar"
	"github.com/almanac/almanac/itip"
	"github.com/almanac/almanac/store"
	"github.com/emersion/go-ical"
)

// attendee handles an attendee's write of their copy: a REPLY to the
// organizer for each component whose PARTSTAT they changed (RFC 6638
// §3.2.2), for each instance they removed with EXDATE, declined
// (§3.2.2.3), or for all when SCHEDULE-FORCE-SEND asks (§7.2). The other
// attendees' answers in the copy are the server's to keep.
func (w *write) attendee(ctx context.Context) error {
	if err := w.keepOrganizerData(); err != nil {
		return err
	}
	w.restoreOverrides()
	w.keepOthersAnswers()
	_, force := scheduleParams(w.obj, w.me)
	clearForceSend(w.obj, w.me, &w.changed)
	var changed []*icalendar.Component
	for _, c := range w.obj.Components {
		if !itip.Invited(c.Component, w.me) {
			continue
		}
		if force || itip.PartStat(c.Component, w.me) != w.previousAnswer(c) {
			changed = append(changed, c)
		}
	}
	changed = append(changed, w.removedInstances()...)
	// RFC 6638 §3.2.10: the server merges into a client's write only the
	// "inconsequential" changes it made itself from other people's
	// messages. A change by the attendee's own client, even to an alarm,
	// is not one, so it takes a new tag: another of their devices writing
	// with the old tag gets 412 rather than undoing it.
	tag := newTag()
	partstat := itip.PartStat(masterOrFirst(w.obj).Component, w.me)
	org := organizer(w.obj)
	if len(changed) == 0 || organizerAgent(w.obj) != "SERVER" || masterStatus(w.obj) == "CANCELLED" {
		w.finish(store.SchedAttendee, tag, partstat)
		return nil
	}
	msgs, statuses, err := w.s.prepare(ctx, w.me, w.objectUUID(), []send{{to: org, method: itip.Reply, obj: w.obj, comps: changed}})
	if err != nil {
		return err
	}
	// RFC 6638 §3.2.9: the attendee's copy tells how the reply went, on
	// ORGANIZER.
	if st := statuses[org]; st != "" {
		for _, c := range w.obj.Components {
			if p := c.Props.Get(ical.PropOrganizer); p != nil && p.Params.Get("SCHEDULE-STATUS") != st {
				p.Params.Set("SCHEDULE-STATUS", st)
				w.changed = true
			}
		}
	}
	w.finish(store.SchedAttendee, tag, partstat)
	w.s.queue(w.pc.Write, msgs)
	w.pc.Write.Known = append(w.pc.Write.Known, org) // an organizer one answers is known
	return nil
}

// previousAnswer is what the attendee had answered for the instance c
// describes: from the same component before, else from the old master
// (a new override inherits it), else NEEDS-ACTION.
func (w *write) previousAnswer(c *icalendar.Component) string {
	if w.prevObj == nil {
		return itip.NeedsAction
	}
	if old := itip.Component(w.prevObj, itip.RecurrenceKey(c)); old != nil {
		if ps := itip.PartStat(old.Component, w.me); ps != "" {
			return ps
		}
	}
	if m := w.prevObj.Master(); m != nil {
		if ps := itip.PartStat(m.Component, w.me); ps != "" {
			return ps
		}
	}
	return itip.NeedsAction
}

// keepOthersAnswers restores the other attendees' PARTSTATs from the
// stored copy: the server updates them as replies arrive, and an
// attendee's client writing an older view must not undo that.
func (w *write) keepOthersAnswers() {
	if w.prevObj == nil {
		return
	}
	for _, c := range w.obj.Components {
		old := itip.Component(w.prevObj, itip.RecurrenceKey(c))
		if old == nil {
			continue
		}
		for _, addr := range itip.Attendees(c.Component) {
			if addr == w.me {
				continue
			}
			if ps := itip.PartStat(old.Component, addr); ps != "" && ps != itip.PartStat(c.Component, addr) {
				itip.SetPartStat(c.Component, addr, ps)
				w.changed = true
			}
		}
	}
}

// organizerAgent reads SCHEDULE-AGENT on ORGANIZER: an attendee's server
// replies only when it is SERVER (RFC 6638 §7.1).
func organizerAgent(obj *icalendar.Object) string {
	for _, c := range obj.Components {
		if p := c.Props.Get("ORGANIZER"); p != nil {
			if a := p.Params.Get("SCHEDULE-AGENT"); a != "" {
				return a
			}
		}
	}
	return "SERVER"
}
