package scheduling

import "github.com/almanac/almanac/itip"

// serverParams are the ATTENDEE parameters of the organizer's copy that
// only the server writes: what became of the last message to each
// attendee (SCHEDULE-STATUS, RFC 6638 §3.2.9) and the latest reply
// applied (itip.ReplyStampParam, RFC 5546 §2.1.5).
var serverParams = []string{"SCHEDULE-STATUS", itip.ReplyStampParam}

// keepServerRecords carries the server's records about the attendees from
// the stored copy into the organizer's new version: a client writes back
// what it last read, which may be older than a delivery's status or a
// reply applied since, or drops what it does not know. The statuses of
// the messages this write sends are set afterwards.
func (w *write) keepServerRecords() {
	if w.prevObj == nil {
		return
	}
	for _, c := range w.obj.Components {
		old := itip.Component(w.prevObj, itip.RecurrenceKey(c))
		if old == nil {
			continue
		}
		for _, addr := range itip.Attendees(c.Component) {
			p, was := itip.FindAttendee(c.Component, addr), itip.FindAttendee(old.Component, addr)
			if p == nil || was == nil {
				continue
			}
			for _, name := range serverParams {
				if v := was.Params.Get(name); v != "" && p.Params.Get(name) != v {
					p.Params.Set(name, v)
					w.changed = true
				}
			}
			if cm := itip.AttendeeComment(old.Component, addr); cm != "" && itip.AttendeeComment(c.Component, addr) == "" {
				itip.SetAttendeeComment(c.Component, addr, cm)
				w.changed = true
			}
		}
	}
}
