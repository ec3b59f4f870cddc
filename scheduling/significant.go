package scheduling

import (
	"slices"
	"strings"

	"github.com/almanac/almanac/icalendar"
	"github.com/almanac/almanac/itip"
	"github.com/emersion/go-ical"
)

// What an organizer's change of their copy tells the attendees. RFC 6638
// §3.2.1.2 has the server inspect the old and the new version "on a
// per-instance basis to determine whether to send a scheduling message";
// this file decides it. Everything an attendee's copy shows is
// significant (RFC 5546 §2.1.4: times and recurrence reschedule, with a
// new SEQUENCE; a new SUMMARY, LOCATION, DESCRIPTION, STATUS or attendee
// list is an update with the same one); the organizer's own data is not.

// organizerPrivate reports whether a component or property of the
// organizer's copy is theirs alone, so that changing it sends no one
// anything. This is the one list; whatever it does not name is compared.
func organizerPrivate(name string) bool {
	switch name {
	case ical.PropDateTimeStamp, ical.PropLastModified, ical.PropCreated, ical.PropSequence:
		// When and how often this copy was written (RFC 5545 §3.8.7).
		// SEQUENCE goes up for a change attendees must hear of (RFC 5546
		// §2.1.4, RFC 6638 §3.2.8); raised alone it announces nothing.
		return true
	case ical.CompAlarm, ical.PropTransparency:
		// RFC 6638 §3.2.2.1 lets each attendee keep their own alarms and
		// TRANSP; the organizer's are just as much their own (CalendarServer
		// stores both per user, and the REQUEST carries no VALARM anyway).
		return true
	case ical.PropCategories, ical.PropColor:
		// The organizer's tags and colour (RFC 5545 §3.8.1.2, RFC 7986
		// §5.9): JSCalendar's keywords and color, per-user data in JMAP
		// for Calendars.
		return true
	}
	// Clients' own extensions (RFC 5545 §3.8.8.2), properties and
	// components: X-MOZ-GENERATION, X-MOZ-LASTACK,
	// X-APPLE-TRAVEL-ADVISORY-BEHAVIOR … (CalendarServer, too, stores
	// them per user), except the few that carry what attendees see.
	return strings.HasPrefix(name, "X-") && !sharedExtensions[name]
}

// sharedExtensions are X- properties that say something to attendees: an
// HTML description, a location with coordinates, a meeting link.
var sharedExtensions = map[string]bool{
	"X-ALT-DESC":                       true,
	"X-APPLE-STRUCTURED-LOCATION":      true,
	"X-GOOGLE-CONFERENCE":              true,
	"X-MICROSOFT-SKYPETEAMSMEETINGURL": true,
}

// serverParam reports whether a parameter of ORGANIZER or ATTENDEE is
// left out of the comparison: the scheduling parameters steer the server
// and report to the organizer and are removed from every message (RFC
// 6638 §7.1–7.3); RSVP is cleared by the server when an answer comes in
// (itip.SetPartStat) and set again by clients; X- parameters are clients'
// bookkeeping.
func serverParam(name string) bool {
	switch name {
	case "SCHEDULE-AGENT", "SCHEDULE-STATUS", "SCHEDULE-FORCE-SEND", "RSVP":
		return true
	}
	return strings.HasPrefix(name, "X-")
}

// form renders what attendees see of a component, canonically: names and
// parameters sorted, repeated values sorted, addresses normalised, the
// organizer's private data left out. Equal forms tell an attendee the
// same thing.
type form struct {
	organizer string // their own PARTSTAT is always compared
	answers   bool   // whether the other attendees' PARTSTATs are
}

func (f form) render(c *ical.Component) string {
	if c == nil {
		return ""
	}
	lines := []string{"BEGIN:" + c.Name}
	for name, props := range c.Props {
		if organizerPrivate(name) {
			continue
		}
		for i := range props {
			lines = append(lines, f.prop(&props[i])...)
		}
	}
	for _, ch := range c.Children {
		if !organizerPrivate(ch.Name) {
			lines = append(lines, f.render(ch))
		}
	}
	slices.Sort(lines[1:])
	return strings.Join(lines, "\n")
}

// prop renders one property, a line per value for date lists.
func (f form) prop(p *ical.Prop) []string {
	if p.Name == ical.PropRecurrenceID {
		// Instances are paired by their recurrence id already; only a
		// range (RFC 5545 §3.8.4.4) is more.
		return []string{p.Name + ";RANGE=" + strings.ToUpper(p.Params.Get("RANGE"))}
	}
	head := p.Name + f.params(p) + ":"
	switch p.Name {
	case ical.PropOrganizer, ical.PropAttendee:
		return []string{head + itip.Address(p.Value)}
	case ical.PropExceptionDates, ical.PropRecurrenceDates:
		var out []string
		for _, v := range strings.Split(p.Value, ",") {
			out = append(out, head+strings.TrimSpace(v))
		}
		return out
	}
	return []string{head + p.Value}
}

func (f form) params(p *ical.Prop) string {
	person := p.Name == ical.PropOrganizer || p.Name == ical.PropAttendee
	var out []string
	for name, vals := range p.Params {
		name = strings.ToUpper(name)
		if person && (serverParam(name) || name == "PARTSTAT" && !f.countsAnswer(p)) {
			continue
		}
		vals = slices.Clone(vals)
		if enumParams[name] {
			for i := range vals {
				vals[i] = strings.ToUpper(vals[i]) // case-insensitive (RFC 5545 §3.2)
			}
		}
		slices.Sort(vals)
		out = append(out, ";"+name+"="+strings.Join(vals, ","))
	}
	slices.Sort(out)
	return strings.Join(out, "")
}

// enumParams are parameters whose values are case-insensitive names.
var enumParams = map[string]bool{"PARTSTAT": true, "ROLE": true, "CUTYPE": true}

// countsAnswer reports whether the PARTSTAT on p is compared.
func (f form) countsAnswer(p *ical.Prop) bool {
	return f.answers || p.Name == ical.PropOrganizer || itip.Address(p.Value) == f.organizer
}

// instancePair is one instance in the old and in the new version; nil
// where a version does not have it.
type instancePair struct{ old, cur *ical.Component }

// pairInstances pairs the components of two versions by recurrence id.
// An instance with a component in one version only is paired with the
// instance the other version's master makes of it: Apple Calendar writes
// an override only to hold one instance's alarm, and that instance is
// the same for everyone else.
func pairInstances(old, cur *icalendar.Object) []instancePair {
	oldBy, curBy := byRecurrence(old), byRecurrence(cur)
	var out []instancePair
	for _, c := range cur.Components {
		out = append(out, instancePair{counterpart(old, oldBy, c), c.Component})
	}
	for key, c := range oldBy {
		if curBy[key] == nil {
			out = append(out, instancePair{c.Component, counterpart(cur, curBy, c)})
		}
	}
	return out
}

func byRecurrence(obj *icalendar.Object) map[string]*icalendar.Component {
	m := make(map[string]*icalendar.Component, len(obj.Components))
	for _, c := range obj.Components {
		m[itip.RecurrenceKey(c)] = c
	}
	return m
}

// counterpart returns obj's component for the instance that other
// describes, else the instance obj's master makes of it, else nil.
func counterpart(obj *icalendar.Object, by map[string]*icalendar.Component, other *icalendar.Component) *ical.Component {
	if c := by[itip.RecurrenceKey(other)]; c != nil {
		return c.Component
	}
	rid, master := other.Props.Get(ical.PropRecurrenceID), obj.Master()
	if rid == nil || master == nil || rid.Params.Get("RANGE") != "" {
		return nil // no series, or an override of this and all later instances
	}
	inst, err := itip.Instantiate(master, rid)
	if err != nil {
		return nil
	}
	return inst
}

// changedFor compares two versions instance by instance (RFC 6638
// §3.2.1.2). It returns the attendees of every instance whose form
// differs, invited in either version, and whether any instance differs.
func changedFor(old, cur *icalendar.Object, f form) (touched map[string]bool, changed bool) {
	touched = map[string]bool{}
	for _, p := range pairInstances(old, cur) {
		if f.render(p.old) == f.render(p.cur) {
			continue
		}
		changed = true
		for _, c := range []*ical.Component{p.old, p.cur} {
			if c != nil {
				for _, a := range itip.Attendees(c) {
					touched[a] = true
				}
			}
		}
	}
	return touched, changed
}
