package itip

import (
	"slices"
	"time"

	"github.com/almanac/almanac/icalendar"
	"github.com/emersion/go-ical"
)

// ProdID names the server in the messages it writes.
const ProdID = "-//Almanac//Almanac Calendar Server//EN"

// Scheduling parameters of ORGANIZER and ATTENDEE (RFC 6638 §7.1–7.3),
// and the server's record of the latest reply (ReplyStampParam). They steer the server and report to the organizer's own client; they are
// removed from every message sent to someone else.
var schedulingParams = []string{"SCHEDULE-AGENT", "SCHEDULE-FORCE-SEND", "SCHEDULE-STATUS", ReplyStampParam}

// newMessage returns a VCALENDAR with METHOD and the time zones the
// components reference.
func newMessage(method string, tz map[string]*ical.Component, comps []*ical.Component) *ical.Component {
	cal := ical.NewComponent(ical.CompCalendar)
	cal.Props.SetText(ical.PropVersion, "2.0")
	cal.Props.SetText(ical.PropProductID, ProdID)
	cal.Props.SetText(ical.PropMethod, method)
	used := map[string]bool{}
	for _, c := range comps {
		collectTZIDs(c, used)
	}
	for _, id := range sortedKeys(used) {
		if def, ok := tz[id]; ok {
			cal.Children = append(cal.Children, def)
		}
	}
	cal.Children = append(cal.Children, comps...)
	return cal
}

func collectTZIDs(c *ical.Component, into map[string]bool) {
	for _, props := range c.Props {
		for _, p := range props {
			if t := p.Params.Get("TZID"); t != "" {
				into[t] = true
			}
		}
	}
	for _, ch := range c.Children {
		collectTZIDs(ch, into)
	}
}

func sortedKeys(m map[string]bool) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

// Clone returns a deep copy of a component.
func Clone(c *ical.Component) *ical.Component { return icalendar.CloneComponent(c) }

// forRecipient copies c for a message: without alarms (they are each
// user's own) and without the server's scheduling parameters, with a fresh
// DTSTAMP (RFC 5546 §3.2: the time the message was made).
func forRecipient(c *ical.Component, now time.Time) *ical.Component {
	out := Clone(c)
	out.Children = slices.DeleteFunc(out.Children, func(ch *ical.Component) bool { return ch.Name == ical.CompAlarm })
	out.Props.Del(AttendeeCommentProp) // what attendees told the organizer
	for _, name := range []string{ical.PropOrganizer, ical.PropAttendee} {
		for _, p := range out.Props[name] {
			for _, k := range schedulingParams {
				p.Params.Del(k)
			}
		}
	}
	out.Props.SetDateTime(ical.PropDateTimeStamp, now.UTC())
	return out
}

// Invited reports whether addr is an ATTENDEE of c.
func Invited(c *ical.Component, addr string) bool { return FindAttendee(c, addr) != nil }

// FindAttendee returns addr's ATTENDEE property in c (a pointer into c), or
// nil.
func FindAttendee(c *ical.Component, addr string) *ical.Prop {
	list := c.Props[ical.PropAttendee]
	for i := range list {
		if SameAddress(list[i].Value, addr) {
			if list[i].Params == nil {
				list[i].Params = ical.Params{}
			}
			return &list[i]
		}
	}
	return nil
}

// Attendees returns the normalised addresses of c's attendees, in order.
func Attendees(c *ical.Component) []string {
	var out []string
	for _, p := range c.Props[ical.PropAttendee] {
		out = append(out, Address(p.Value))
	}
	return out
}

// BuildRequest returns the REQUEST that tells attendee about obj: the
// components they are invited to (an attendee of some instances only gets
// those overrides, RFC 6638 §3.2.6), or nil when they are invited to none.
func BuildRequest(obj *icalendar.Object, attendee string, now time.Time) ([]byte, error) {
	var comps []*ical.Component
	var master *ical.Component
	var excluded []ical.Prop
	for _, c := range obj.Components {
		rid := c.Props.Get(ical.PropRecurrenceID)
		switch {
		case Invited(c.Component, attendee):
			out := forRecipient(c.Component, now)
			if rid == nil {
				master = out
			}
			comps = append(comps, out)
		case rid != nil:
			excluded = append(excluded, *rid)
		}
	}
	if len(comps) == 0 {
		return nil, nil
	}
	// Instances whose override leaves the attendee out are not theirs:
	// the series they get excludes them (RFC 6638 §3.2.6).
	if master != nil {
		for _, rid := range excluded {
			ex := ical.Prop{Name: ical.PropExceptionDates, Params: ical.Params{}, Value: rid.Value}
			for k, v := range rid.Params {
				if k != "RANGE" {
					ex.Params[k] = slices.Clone(v)
				}
			}
			master.Props.Add(&ex)
		}
	}
	return icalendar.Marshal(newMessage(Request, obj.Timezones, comps))
}

// BuildCancel returns the CANCEL telling attendee that obj, or the
// instances with the given recurrence ids (all when nil), no longer take
// place for them (RFC 5546 §3.2.5). The message names only the recipient
// among the attendees. seq is the SEQUENCE to announce: the organizer's
// copy's, raised by one when the server cancels on its own (a deletion).
func BuildCancel(obj *icalendar.Object, attendee string, rids []string, seq int, now time.Time) ([]byte, error) {
	var comps []*ical.Component
	for _, c := range obj.Components {
		key := RecurrenceKey(c)
		if rids != nil && !slices.Contains(rids, key) || !Invited(c.Component, attendee) {
			continue
		}
		out := forRecipient(onlyAttendee(c.Component, attendee), now)
		out.Props.SetText(ical.PropStatus, "CANCELLED")
		setSequence(out, seq)
		comps = append(comps, out)
	}
	if len(comps) == 0 {
		return nil, nil
	}
	return icalendar.Marshal(newMessage(Cancel, obj.Timezones, comps))
}

// onlyAttendee returns a shallow copy of c whose only ATTENDEE is
// attendee's, for a message that names the recipient alone: each of a
// meeting's CANCELs then costs what the recipient needs, not a copy of
// every attendee.
func onlyAttendee(c *ical.Component, attendee string) *ical.Component {
	out := *c
	out.Props = make(ical.Props, len(c.Props))
	for name, props := range c.Props {
		out.Props[name] = props
	}
	delete(out.Props, ical.PropAttendee)
	if p := FindAttendee(c, attendee); p != nil {
		out.Props[ical.PropAttendee] = []ical.Prop{*p}
	}
	return &out
}

// replyProps are what a REPLY component carries besides ATTENDEE (RFC 5546
// §3.2.3); DTSTART, DTEND and SUMMARY help mail clients show the answer.
var replyProps = []string{ical.PropUID, ical.PropRecurrenceID, ical.PropSequence, ical.PropOrganizer,
	ical.PropDateTimeStart, ical.PropDateTimeEnd, ical.PropDuration, ical.PropDue, ical.PropSummary}

// BuildReply returns attendee's REPLY for the given components of their
// copy (the master and/or overrides whose participation changed).
func BuildReply(obj *icalendar.Object, attendee string, comps []*icalendar.Component, now time.Time) ([]byte, error) {
	var out []*ical.Component
	for _, c := range comps {
		att := FindAttendee(c.Component, attendee)
		if att == nil {
			continue
		}
		r := ical.NewComponent(c.Name)
		for _, name := range replyProps {
			if v := c.Props.Values(name); len(v) > 0 {
				r.Props[name] = slices.Clone(v)
			}
		}
		a := *att
		r.Props[ical.PropAttendee] = []ical.Prop{a}
		out = append(out, forRecipient(r, now))
	}
	if len(out) == 0 {
		return nil, nil
	}
	return icalendar.Marshal(newMessage(Reply, obj.Timezones, out))
}

// BuildRefresh returns attendee's request for the current version of the
// event uid (RFC 5546 §3.2.6).
func BuildRefresh(typ, uid, organizer, attendee string, now time.Time) ([]byte, error) {
	c := ical.NewComponent(typ)
	c.Props.SetText(ical.PropUID, uid)
	c.Props.Set(&ical.Prop{Name: ical.PropOrganizer, Params: ical.Params{}, Value: organizer})
	c.Props.Set(&ical.Prop{Name: ical.PropAttendee, Params: ical.Params{}, Value: attendee})
	c.Props.SetDateTime(ical.PropDateTimeStamp, now.UTC())
	return icalendar.Marshal(newMessage(Refresh, nil, []*ical.Component{c}))
}

// BuildDeclineCounter answers a COUNTER: the organizer keeps the event as
// it is (RFC 5546 §3.2.8).
func BuildDeclineCounter(counter *Message, now time.Time) ([]byte, error) {
	var out []*ical.Component
	for _, c := range counter.Components {
		r := ical.NewComponent(c.Name)
		for _, name := range []string{ical.PropUID, ical.PropRecurrenceID, ical.PropSequence, ical.PropOrganizer, ical.PropAttendee} {
			if v := c.Props.Values(name); len(v) > 0 {
				r.Props[name] = slices.Clone(v)
			}
		}
		out = append(out, forRecipient(r, now))
	}
	return icalendar.Marshal(newMessage(DeclineCounter, counter.Calendar.Timezones(), out))
}
