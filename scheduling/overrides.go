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
		w.obj.Calendar.Children = append(w.obj.Calendar.Children, o)
		w.obj.Components = append(w.obj.Components, &icalendar.Component{Component: o})
		w.changed, w.pc.Reshaped = true, true
	}
}

// restoreAnsweredInstances makes again, in an organizer's write without
// a new SEQUENCE, each override of the stored copy that recorded answers
// apart from the series and that the write left out without excluding
// its instance: from the master as written, with the answers recorded
// for the instance (keepServerRecords then adds the server's records).
func (w *write) restoreAnsweredInstances() {
	master := w.obj.Master()
	if w.prevObj == nil || master == nil || w.prevObj.Master() == nil || masterSequence(w.obj) > masterSequence(w.prevObj) {
		return
	}
	excluded := excludedKeys(master)
	oldMaster := w.prevObj.Master()
	series := w.pc.Series
	for _, old := range w.prevObj.Components {
		key := itip.RecurrenceKey(old)
		rid := old.Props.Get(ical.PropRecurrenceID)
		if key == "" || excluded[key] || itip.Component(w.obj, key) != nil || !w.answeredApart(old, oldMaster) ||
			!hadInstance(&series, w.obj, master, rid) {
			continue
		}
		o, err := itip.Instantiate(master, rid)
		if err != nil {
			continue
		}
		for _, addr := range itip.Attendees(old.Component) {
			if ps := itip.PartStat(old.Component, addr); ps != "" && !itip.SameAddress(addr, w.me) && itip.Invited(o, addr) {
				itip.SetPartStat(o, addr, ps)
			}
		}
		w.obj.Calendar.Children = append(w.obj.Calendar.Children, o)
		w.obj.Components = append(w.obj.Components, &icalendar.Component{Component: o})
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
