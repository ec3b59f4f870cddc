package scheduling

import (
	"github.com/almanac/almanac/icalendar"
	"github.com/almanac/almanac/itip"
	"github.com/emersion/go-ical"
)

// An answer for one instance of a series lives in an override: the
// server makes one in the organizer's copy when an attendee answers for
// an instance (itip.ApplyReply), and in the other attendees' copies when
// it shows them that answer. Neither changes the Schedule-Tag (RFC 6638
// §3.2.10: other people's answers are not the client's concern), so a
// client writing with If-Schedule-Tag-Match may never have seen them,
// and a write that leaves one out must not lose the answer.

// restoreOverrides puts back the overrides of the stored copy that the
// write left out without excluding their instance (EXDATE, which declines
// it: removedInstances). The server adds overrides to a copy when another
// attendee answers for one instance, and keeps the Schedule-Tag doing so
// (RFC 6638 §3.2.10), so a client writing with If-Schedule-Tag-Match may
// never have seen them. The attendee's own answer in one that followed
// the series follows the series as written now.
func (w *write) restoreOverrides() {
	master := w.obj.Master()
	if !w.attendeeCopy() || master == nil || w.prevObj.Master() == nil {
		return
	}
	excluded := excludedKeys(master)
	oldAnswer := itip.PartStat(w.prevObj.Master().Component, w.me)
	for _, old := range w.prevObj.Components {
		key := itip.RecurrenceKey(old)
		if key == "" || excluded[key] || itip.Component(w.obj, key) != nil {
			continue
		}
		o := itip.Clone(old.Component)
		if ps, now := itip.PartStat(o, w.me), itip.PartStat(master.Component, w.me); ps != "" && ps == oldAnswer && now != "" {
			itip.SetPartStat(o, w.me, now)
		}
		w.obj.Add(o)
		w.changed, w.pc.Reshaped = true, true
	}
}

// restoreDroppedInstances makes again, from the master as written, each
// override of the stored copy that the organizer's write left out
// without excluding its instance, when it matters to the attendees:
//   - it recorded answers apart from the series and the client may write
//     an older view of the answers (olderView): the answers are kept;
//   - it had moved the instance, which now goes back to the series' time:
//     that is a reschedule of the instance, so resetAnswers asks its
//     attendees again and raises its SEQUENCE (RFC 6638 §3.2.8, RFC 5546
//     §2.1.4), which an instance without a component of its own could
//     not carry.
//
// keepServerRecords then adds the server's records of the answers.
func (w *write) restoreDroppedInstances() {
	master := w.obj.Master()
	if w.prevObj == nil || master == nil || w.prevObj.Master() == nil {
		return
	}
	excluded := excludedKeys(master)
	oldMaster := w.prevObj.Master()
	older := w.olderView()
	series := w.pc.Series
	for _, old := range w.prevObj.Components {
		key := itip.RecurrenceKey(old)
		rid := old.Props.Get(ical.PropRecurrenceID)
		if key == "" || excluded[key] || itip.Component(w.obj, key) != nil || !hadInstance(&series, w.obj, master, rid) {
			continue
		}
		o, err := itip.Instantiate(master, rid)
		if err != nil {
			continue
		}
		moved := rescheduled(old.Component, o)
		if !moved && (!older || !w.answeredApart(old, oldMaster)) {
			continue
		}
		for _, addr := range itip.Attendees(old.Component) {
			if ps := itip.PartStat(old.Component, addr); ps != "" && !itip.SameAddress(addr, w.me) && itip.Invited(o, addr) {
				itip.SetPartStat(o, addr, ps)
			}
		}
		w.obj.Add(o)
		w.changed, w.pc.Reshaped = true, true
	}
}

// answeredApart reports whether an attendee other than the organizer
// answered the instance inst otherwise than the series master.
func (w *write) answeredApart(inst, master *icalendar.Component) bool {
	for _, addr := range itip.Attendees(inst.Component) {
		if !itip.SameAddress(addr, w.me) && itip.PartStat(inst.Component, addr) != itip.PartStat(master.Component, addr) {
			return true
		}
	}
	return false
}

// excludedKeys are the recurrence keys of the instances master's EXDATEs
// take out.
func excludedKeys(master *icalendar.Component) map[string]bool {
	out := map[string]bool{}
	for _, rid := range exdateIDs(master.Component) {
		out[instanceKey(master, rid)] = true
	}
	return out
}
