package scheduling

import (
	"context"
	"strings"

	"github.com/almanac/almanac/calendar"
	"github.com/almanac/almanac/icalendar"
	"github.com/almanac/almanac/itip"
	"github.com/almanac/almanac/store"
	"github.com/emersion/go-ical"
)

// write is one client write of a scheduling object resource in progress.
type write struct {
	s       *Scheduler
	pc      *calendar.PutContext
	me      string
	prev    *store.Object
	prevObj *icalendar.Object
	obj     *icalendar.Object
	changed bool // obj's tree was modified and must be written back

	touched map[string]bool // attendees of the instances the organizer's write changed
}

// Schedule status codes (RFC 6638 §3.2.9, RFC 5546 §3.6).
const (
	statusPending   = "1.0"
	statusSent      = "1.1"
	statusDelivered = "1.2"
	statusInvalid   = "3.7"
	statusNoSched   = "3.8"
	statusFailed    = "5.1"
)

// organizer handles the organizer's write: REQUEST to attendees whose
// view of the event changed, CANCEL to those removed (RFC 6638 §3.2.1),
// SCHEDULE-STATUS on each ATTENDEE (§3.2.9) and a new Schedule-Tag
// (§3.2.10).
func (w *write) organizer(ctx context.Context) error {
	// Checked first and on every such write, whatever changed: a stored
	// event over the limit (imported, or written before the limit was
	// lowered) can be trimmed or deleted, but not sent out again.
	if err := w.pc.Limits.CheckAttendees(len(w.attendees(w.obj))); err != nil {
		return err
	}
	w.keepSequence()
	w.restoreDroppedInstances()
	w.protectAnswers()
	w.keepServerRecords()
	if err := w.newAttendeesUnanswered(ctx); err != nil {
		return err
	}
	w.resetAnswers()
	w.askForReplies()
	objUUID := w.objectUUID()
	if w.prevObj != nil {
		w.touched, _ = changedFor(w.prevObj, w.obj, form{organizer: w.me, answers: true})
	}
	idx := indexAttendees(w.obj)
	clearOrganizerForceSend(w.obj, &w.changed)
	reqs := newRequests(w.obj, w.s.opt.Now())
	sends := append(w.updates(idx, reqs), w.cancellations(reqs)...)
	msgs, statuses, err := w.s.prepare(ctx, w.me, objUUID, sends)
	if err != nil {
		return err
	}
	for addr, st := range statuses {
		for _, p := range idx[addr] {
			if p.Params.Get("SCHEDULE-STATUS") != st {
				p.Params.Set("SCHEDULE-STATUS", st)
				w.changed = true
			}
		}
	}
	if organizer(w.obj) == "" {
		// The organizer took ORGANIZER out: the attendees were sent a
		// CANCEL, and what is left is no longer a scheduling object
		// resource (RFC 6638 §3.1), so it has no Schedule-Tag (§3.2.10).
		w.finish("", "", "")
	} else {
		w.finish(store.SchedOrganizer, newTag(), "")
	}
	w.s.queue(w.pc.Write, msgs)
	w.pc.Write.Known = append(w.pc.Write.Known, newlyInvited(w.prevObj, sends)...)
	return nil
}

// newlyInvited are the recipients of a REQUEST who were not attendees of
// the previous version: people the organizer now knows (strangers.go).
func newlyInvited(prev *icalendar.Object, sends []send) []string {
	var before map[string][]*ical.Prop
	if prev != nil {
		before = indexAttendees(prev)
	}
	var out []string
	for _, sd := range sends {
		if sd.method == itip.Request && before[sd.to] == nil {
			out = append(out, sd.to)
		}
	}
	return out
}

// updates are the REQUESTs (or CANCELs, for a cancelled event) to the
// attendees the server schedules whose view of the event changed, or whom
// SCHEDULE-FORCE-SEND names.
func (w *write) updates(idx map[string][]*ical.Prop, reqs *requests) []send {
	seq := masterSequence(w.obj)
	method := itip.Request
	if masterStatus(w.obj) == "CANCELLED" {
		method = itip.Cancel
	}
	var prevIdx map[string][]*ical.Prop
	if w.prevObj != nil {
		prevIdx = indexAttendees(w.prevObj)
	}
	var sends []send
	for _, addr := range w.attendees(w.obj) {
		agent, force := paramsOf(idx[addr])
		if force {
			clearForce(idx[addr])
			w.changed = true
		}
		if agent != "SERVER" {
			continue // the client or nobody schedules this attendee (RFC 6638 §7.1)
		}
		if !force && !w.viewChanged(addr) && prevAgent(prevIdx, addr) == "SERVER" {
			continue // they have this version already, or its cancellation
		}
		sends = append(sends, send{to: addr, method: method, obj: w.obj, seq: seq, reqs: reqs})
	}
	return sends
}

// cancellations are the CANCELs to attendees the new version leaves out.
func (w *write) cancellations(now *requests) []send {
	var sends []send
	seq := masterSequence(w.obj)
	for _, addr := range w.removed(now) {
		if agent, _ := scheduleParams(w.prevObj, addr); agent == "SERVER" {
			sends = append(sends, send{to: addr, method: itip.Cancel, obj: w.prevObj, seq: max(seq, masterSequence(w.prevObj))})
		}
	}
	return sends
}

// objectUUID returns the public id the resource has or will have, which
// outbox messages refer to.
func (w *write) objectUUID() string {
	if w.prev != nil {
		return w.prev.UUID
	}
	if w.pc.Write.UUID == "" {
		w.pc.Write.UUID = store.NewUUID()
	}
	return w.pc.Write.UUID
}

// protectAnswers keeps the attendees' answers the server recorded when the
// organizer's client writes an older view of them (olderView): an
// organizer's write then never overwrites a reply that came in meanwhile
// (RFC 6638 §3.2.10 and §3.3 are about exactly this race). Otherwise the
// organizer may only ask an attendee the server schedules again
// (NEEDS-ACTION), not answer for them (§3.2.1); an attendee their client
// schedules is theirs to write.
func (w *write) protectAnswers() {
	if w.prevObj == nil {
		return
	}
	older := w.olderView()
	for _, c := range w.obj.Components {
		old := itip.Component(w.prevObj, itip.RecurrenceKey(c))
		if old == nil {
			continue
		}
		for i := range c.Props[ical.PropAttendee] {
			a := &c.Props[ical.PropAttendee][i]
			addr := itip.Address(a.Value)
			was, now := itip.PartStat(old.Component, addr), strings.ToUpper(a.Params.Get(ical.ParamParticipationStatus))
			if addr == w.me || was == "" || was == now {
				continue
			}
			if !older && (now == itip.NeedsAction || !serverScheduled(a)) {
				continue
			}
			ensureParams(a)
			a.Params.Set(ical.ParamParticipationStatus, was)
			w.changed = true
		}
	}
}

// olderView reports whether the organizer's client may be writing a view
// of the answers older than the server's: its write has no new SEQUENCE,
// or it asked the server to merge with If-Schedule-Tag-Match, which
// RFC 6638 §3.2.10 has the server do for the answers it recorded.
func (w *write) olderView() bool {
	return masterSequence(w.obj) <= masterSequence(w.prevObj) || w.pc.Conditions != nil && w.pc.Conditions.IfScheduleTagMatch != nil
}

// attendees lists obj's attendees other than the organizer, each once.
func (w *write) attendees(obj *icalendar.Object) []string {
	var out []string
	seen := map[string]bool{w.me: true}
	for _, c := range obj.Components {
		for _, a := range itip.Attendees(c.Component) {
			if !seen[a] {
				seen[a] = true
				out = append(out, a)
			}
		}
	}
	return out
}

// removed lists the attendees of the previous version who are in no
// component of the new one.
func (w *write) removed(now *requests) []string {
	if w.prevObj == nil {
		return nil
	}
	var out []string
	for _, a := range w.attendees(w.prevObj) {
		if !now.invites(a) {
			out = append(out, a)
		}
	}
	return out
}

// viewChanged reports whether the write changed, for addr, an instance
// they are invited to in either version, in anything but the organizer's
// own data (organizerPrivate): only then are they told (RFC 6638
// §3.2.1.2).
func (w *write) viewChanged(addr string) bool {
	return w.prevObj == nil || w.touched[addr]
}

// keepSequence undoes a SEQUENCE the client raised without changing
// anything attendees see. Nobody is told of such a version, so their
// copies and the answers they send keep the old SEQUENCE, and the server
// drops answers older than the organizer's copy (RFC 5546 §2.1.5). The
// other attendees' PARTSTATs do not count here: a client that raises
// SEQUENCE on every save writes its stale view of them, which
// protectAnswers then puts right.
func (w *write) keepSequence() {
	if w.prevObj == nil || masterSequence(w.obj) <= masterSequence(w.prevObj) {
		return
	}
	if _, changed := changedFor(w.prevObj, w.obj, form{organizer: w.me}); changed {
		return
	}
	prevBy := byRecurrence(w.prevObj)
	for _, c := range w.obj.Components {
		old := prevBy[itip.RecurrenceKey(c)]
		if old == nil {
			old = masterOrFirst(w.prevObj)
		}
		oldSeq, _ := old.Sequence()
		if seq, _ := c.Sequence(); seq > oldSeq {
			setSequence(c.Component, old.Props.Get(ical.PropSequence))
			w.changed = true
		}
	}
	w.pc.Write.Sequence = masterSequence(w.obj)
}

// setSequence gives c the SEQUENCE property p, or none when p is nil.
func setSequence(c *ical.Component, p *ical.Prop) {
	if p == nil {
		c.Props.Del(ical.PropSequence)
		return
	}
	c.Props.Set(&ical.Prop{Name: p.Name, Params: ical.Params{}, Value: p.Value})
}

// finish records the scheduling columns and writes the tree back when the
// server changed it. The change only touches parameters and answers, so
// the derived instances stay valid.
func (w *write) finish(role, tag, partstat string) {
	w.pc.Write.Scheduling = store.Scheduling{ScheduleTag: tag, Role: role, PartStat: partstat}
	if !w.changed {
		return
	}
	if data, err := icalendar.Marshal(w.obj.Calendar.Component); err == nil {
		w.pc.Write.Data = data
	}
}

func newTag() string { return strings.ReplaceAll(store.NewUUID(), "-", "")[:20] }

// indexAttendees maps each attendee's address to their ATTENDEE
// properties in obj (pointers into its components), so that per-attendee
// work on a large meeting is not quadratic.
func indexAttendees(obj *icalendar.Object) map[string][]*ical.Prop {
	idx := map[string][]*ical.Prop{}
	for _, c := range obj.Components {
		list := c.Props[ical.PropAttendee]
		for i := range list {
			if list[i].Params == nil {
				list[i].Params = ical.Params{}
			}
			a := itip.Address(list[i].Value)
			idx[a] = append(idx[a], &list[i])
		}
	}
	return idx
}

// prevAgent is who scheduled addr for the previous version: an attendee
// the client handled before gets the server's REQUEST once it takes over.
func prevAgent(prevIdx map[string][]*ical.Prop, addr string) string {
	props, ok := prevIdx[addr]
	if !ok {
		return "SERVER"
	}
	agent, _ := paramsOf(props)
	return agent
}

// paramsOf reads SCHEDULE-AGENT (default SERVER, RFC 6638 §7.1) and
// whether SCHEDULE-FORCE-SEND asks for a message (§7.2) from an
// attendee's properties.
func paramsOf(props []*ical.Prop) (agent string, force bool) {
	agent = "SERVER"
	for _, p := range props {
		if a := strings.ToUpper(p.Params.Get("SCHEDULE-AGENT")); a != "" {
			agent = a
		}
		force = force || p.Params.Get("SCHEDULE-FORCE-SEND") != ""
	}
	return agent, force
}

// clearForce removes SCHEDULE-FORCE-SEND: it asks for one message and is
// not part of the stored data.
func clearForce(props []*ical.Prop) {
	for _, p := range props {
		p.Params.Del("SCHEDULE-FORCE-SEND")
	}
}

func clearOrganizerForceSend(obj *icalendar.Object, changed *bool) {
	for _, c := range obj.Components {
		if p := c.Props.Get(ical.PropOrganizer); p != nil && p.Params.Get("SCHEDULE-FORCE-SEND") != "" {
			p.Params.Del("SCHEDULE-FORCE-SEND")
			*changed = true
		}
	}
}

// scheduleParams reads SCHEDULE-AGENT (default SERVER, RFC 6638 §7.1) and
// whether SCHEDULE-FORCE-SEND asks for a message (§7.2) on addr's ATTENDEE.
func scheduleParams(obj *icalendar.Object, addr string) (agent string, force bool) {
	agent = "SERVER"
	for _, c := range obj.Components {
		if p := itip.FindAttendee(c.Component, addr); p != nil {
			if a := strings.ToUpper(p.Params.Get("SCHEDULE-AGENT")); a != "" {
				agent = a
			}
			force = force || p.Params.Get("SCHEDULE-FORCE-SEND") != ""
		}
	}
	return agent, force
}

// clearForceSend removes SCHEDULE-FORCE-SEND: it asks for one message and
// is not part of the stored data.
func clearForceSend(obj *icalendar.Object, addr string, changed *bool) {
	for _, c := range obj.Components {
		if p := itip.FindAttendee(c.Component, addr); p != nil && p.Params.Get("SCHEDULE-FORCE-SEND") != "" {
			p.Params.Del("SCHEDULE-FORCE-SEND")
			*changed = true
		}
		if p := c.Props.Get(ical.PropOrganizer); p != nil && p.Params.Get("SCHEDULE-FORCE-SEND") != "" {
			p.Params.Del("SCHEDULE-FORCE-SEND")
			*changed = true
		}
	}
}

// setScheduleStatus sets SCHEDULE-STATUS on addr's ATTENDEE properties.
func setScheduleStatus(obj *icalendar.Object, addr, status string) bool {
	changed := false
	for _, c := range obj.Components {
		if p := itip.FindAttendee(c.Component, addr); p != nil && p.Params.Get("SCHEDULE-STATUS") != status {
			p.Params.Set("SCHEDULE-STATUS", status)
			changed = true
		}
	}
	return changed
}

func masterOrFirst(obj *icalendar.Object) *icalendar.Component {
	if m := obj.Master(); m != nil {
		return m
	}
	return obj.Components[0]
}

func masterSequence(obj *icalendar.Object) int {
	n, _ := masterOrFirst(obj).Sequence()
	return n
}

func masterStatus(obj *icalendar.Object) string { return masterOrFirst(obj).Status() }

// deleteMessages is what deleting a scheduling object resource sends.
func (s *Scheduler) deleteMessages(ctx context.Context, prev *store.Object, obj *icalendar.Object, me string) ([]store.OutboxMessage, error) {
	w := &write{s: s, me: me, obj: obj}
	var sends []send
	switch prev.Role {
	case store.SchedOrganizer:
		if masterStatus(obj) == "CANCELLED" {
			return nil, nil // the attendees were told when it was cancelled
		}
		for _, addr := range w.attendees(obj) {
			if agent, _ := scheduleParams(obj, addr); agent == "SERVER" {
				sends = append(sends, send{to: addr, method: itip.Cancel, obj: obj, seq: masterSequence(obj) + 1})
			}
		}
	case store.SchedAttendee:
		org := organizer(obj)
		if masterStatus(obj) == "CANCELLED" || org == "" {
			return nil, nil
		}
		for _, c := range obj.Components {
			itip.SetPartStat(c.Component, me, itip.Declined)
		}
		sends = append(sends, send{to: org, method: itip.Reply, obj: obj, comps: obj.Components})
	}
	msgs, _, err := s.prepare(ctx, me, prev.UUID, sends)
	return msgs, err
}
