package caldav

import (
	"strings"
	"time"

	"github.com/almanac/almanac/icalendar"
	"github.com/emersion/go-ical"
)

// The time-range rules of RFC 4791 §9.9 (and RFC 7953 §7.2 for
// VAVAILABILITY), for a component or one instance of it. Floating and
// all-day values are read in the query's zone.

// inRange applies a comp-filter's time-range to a component or instance.
func (m *matcher) inRange(o occurrence, tr *timeRange) bool {
	s, e := tr.from(), tr.to()
	switch o.comp.Name {
	case ical.CompEvent, ical.CompJournal:
		if o.instance {
			return overlaps(o.start, o.end, s, e)
		}
		return m.eventInRange(o.comp, s, e)
	case ical.CompToDo:
		return m.todoInRange(o, s, e)
	case ical.CompFreeBusy:
		return m.freeBusyInRange(o.comp, s, e)
	case icalendar.CompAvailability, icalendar.CompAvailable:
		return m.availabilityInRange(o.comp, s, e)
	case ical.CompAlarm:
		return m.alarmInRange(o, s, e)
	}
	return false
}

// overlaps is the VEVENT rule for an instance: one of no length must start
// in the range, a longer one intersect it.
func overlaps(start, end, s, e time.Time) bool {
	if !end.After(start) {
		return !start.Before(s) && start.Before(e)
	}
	return start.Before(e) && end.After(s)
}

// propTime reads a DATE or DATE-TIME property as an instant: floating and
// date values are anchored in the query's zone.
func (m *matcher) propTime(p *ical.Prop) (time.Time, bool, error) {
	d, err := icalendar.ParseDateTime(p.Value, p.Params, m.cal.Location)
	if err != nil {
		return time.Time{}, false, err
	}
	return d.In(m.tz), d.IsDate(), nil
}

func (m *matcher) propInRange(p *ical.Prop, tr *timeRange) bool {
	t, _, err := m.propTime(p)
	if err != nil {
		return false
	}
	// RFC 4791 §9.9, for date-time properties: start <= value < end.
	return !t.Before(tr.from()) && t.Before(tr.to())
}

// dt reads a date or date-time property in the query's zone.
func (m *matcher) dt(c *ical.Component, name string) (time.Time, bool, bool) {
	p := c.Props.Get(name)
	if p == nil {
		return time.Time{}, false, false
	}
	t, isDate, err := m.propTime(p)
	return t, isDate, err == nil
}

// duration reads a DURATION property (nominal days and weeks).
func duration(c *ical.Component) (icalendar.Duration, bool) {
	p := c.Props.Get("DURATION")
	if p == nil {
		return icalendar.Duration{}, false
	}
	d, err := icalendar.ParseDuration(p.Value)
	return d, err == nil
}

// eventInRange is the VEVENT and VJOURNAL rule for a component read
// without its instances (data that is no calendar object resource):
// a recurring one matches when its first instance starts before the end.
func (m *matcher) eventInRange(c *ical.Component, s, e time.Time) bool {
	start, isDate, ok := m.dt(c, "DTSTART")
	switch {
	case !ok:
		return false
	case c.Props.Get("RRULE") != nil || c.Props.Get("RDATE") != nil:
		return start.Before(e)
	case c.Name == ical.CompJournal && isDate:
		return overlaps(start, start.AddDate(0, 0, 1), s, e)
	case c.Name == ical.CompJournal:
		return overlaps(start, start, s, e)
	}
	return overlaps(start, m.eventEnd(c, start, isDate), s, e)
}

func (m *matcher) eventEnd(c *ical.Component, start time.Time, isDate bool) time.Time {
	if end, _, ok := m.dt(c, "DTEND"); ok {
		return end
	}
	if d, ok := duration(c); ok {
		return d.AddTo(start)
	}
	if isDate {
		return start.AddDate(0, 0, 1)
	}
	return start
}

// todoTimes are what the VTODO table of RFC 4791 §9.9 reads.
type todoTimes struct {
	start, due               time.Time // due: DUE, or DTSTART+DURATION
	hasStart, hasDue, hasDur bool
	created, completed       time.Time
	hasCreated, hasCompleted bool
}

// todoInRange applies the VTODO table to a component, or to an instance,
// whose start and end replace DTSTART and DUE (or DTSTART+DURATION); a
// recurring VTODO without DTSTART recurs from its DUE.
func (m *matcher) todoInRange(o occurrence, s, e time.Time) bool {
	c := o.comp
	var t todoTimes
	t.start, _, t.hasStart = m.dt(c, "DTSTART")
	t.due, _, t.hasDue = m.dt(c, "DUE")
	if d, ok := duration(c); ok && t.hasStart {
		t.due, t.hasDur = d.AddTo(t.start), true
	}
	t.completed, _, t.hasCompleted = m.dt(c, "COMPLETED")
	t.created, _, t.hasCreated = m.dt(c, "CREATED")
	switch {
	case !o.instance:
	case t.hasStart:
		t.start, t.due = o.start, o.end
	case t.hasDue:
		t.due = o.start
	}
	return t.inRange(s, e)
}

func (t todoTimes) inRange(s, e time.Time) bool {
	switch {
	case t.hasStart && t.hasDur:
		return !s.After(t.due) && (e.After(t.start) || !e.Before(t.due))
	case t.hasStart && t.hasDue:
		return (s.Before(t.due) || !s.After(t.start)) && (e.After(t.start) || !e.Before(t.due))
	case t.hasStart:
		return !s.After(t.start) && e.After(t.start)
	case t.hasDue:
		return s.Before(t.due) && !e.Before(t.due)
	case t.hasCompleted && t.hasCreated:
		return (!s.After(t.created) || !s.After(t.completed)) && (!e.Before(t.created) || !e.Before(t.completed))
	case t.hasCompleted:
		return !s.After(t.completed) && !e.Before(t.completed)
	case t.hasCreated:
		return e.After(t.created)
	}
	return true
}

// freeBusyInRange is the VFREEBUSY table of RFC 4791 §9.9: DTSTART and
// DTEND when both are there (the end included), else any FREEBUSY period,
// whatever its type; DURATION is ignored.
func (m *matcher) freeBusyInRange(c *ical.Component, s, e time.Time) bool {
	start, _, okStart := m.dt(c, "DTSTART")
	end, _, okEnd := m.dt(c, "DTEND")
	if okStart && okEnd {
		return !s.After(end) && e.After(start)
	}
	comp := &icalendar.Component{Component: c}
	periods, err := comp.FreeBusy()
	if err != nil {
		return false
	}
	for _, p := range periods {
		ps := p.Start.In(m.tz)
		if s.Before(p.EndIn(m.tz)) && e.After(ps) {
			return true
		}
	}
	return false
}

// availabilityInRange is RFC 7953 §7.2's rule for VAVAILABILITY (and, read
// the same way, AVAILABLE): the component spans DTSTART to DTEND or
// DTSTART+DURATION, a missing bound being unbounded. An AVAILABLE that
// recurs matches when its first instance starts before the end.
func (m *matcher) availabilityInRange(c *ical.Component, s, e time.Time) bool {
	start, _, hasStart := m.dt(c, "DTSTART")
	end, _, hasEnd := m.dt(c, "DTEND")
	if d, ok := duration(c); ok && hasStart && !hasEnd {
		end, hasEnd = d.AddTo(start), true
	}
	if c.Props.Get("RRULE") != nil || c.Props.Get("RDATE") != nil {
		hasEnd = false
	}
	return (!hasEnd || s.Before(end)) && (!hasStart || e.After(start))
}

// alarmInRange tests the alarm's trigger times, repetitions included
// (RFC 4791 §9.9: start <= trigger < end). A relative trigger counts from
// the instance the alarm belongs to, or from its component's own times.
func (m *matcher) alarmInRange(o occurrence, s, e time.Time) bool {
	c := o.comp
	p := c.Props.Get("TRIGGER")
	if p == nil || o.parent == nil {
		return false
	}
	var first time.Time
	if strings.EqualFold(p.Params.Get("VALUE"), "DATE-TIME") {
		t, _, err := m.propTime(p)
		if err != nil {
			return false
		}
		first = t
	} else {
		d, err := icalendar.ParseDuration(p.Value)
		anchor, ok := m.alarmAnchor(*o.parent, strings.EqualFold(p.Params.Get("RELATED"), "END"))
		if err != nil || !ok {
			return false
		}
		first = d.AddTo(anchor)
	}
	repeat := 0
	gap, _ := duration(c)
	if r := c.Props.Get("REPEAT"); r != nil {
		repeat, _ = r.Int()
	}
	for i, t := 0, first; i <= min(repeat, 1000); i, t = i+1, gap.AddTo(t) {
		if !t.Before(s) && t.Before(e) {
			return true
		}
	}
	return false
}

// alarmAnchor is the time a relative trigger counts from (RFC 5545
// §3.8.6.3): the start, or with RELATED=END the end (a VTODO's DUE).
func (m *matcher) alarmAnchor(parent occurrence, atEnd bool) (time.Time, bool) {
	if parent.instance {
		if atEnd {
			return parent.end, true
		}
		return parent.start, true
	}
	c := parent.comp
	start, isDate, ok := m.dt(c, "DTSTART")
	if !atEnd {
		return start, ok
	}
	if due, _, okDue := m.dt(c, "DUE"); okDue && c.Name == ical.CompToDo {
		return due, true
	}
	if !ok {
		return time.Time{}, false
	}
	return m.eventEnd(c, start, isDate), true
}

// alarmReach is how far from its instance any alarm of the object may
// sound: the longest relative trigger plus its repetitions, and a day for
// the zones and lengths of instances.
func (m *matcher) alarmReach() time.Duration {
	reach := 24 * time.Hour
	for _, c := range m.obj.Components {
		for _, a := range c.Children {
			if a.Name != ical.CompAlarm {
				continue
			}
			reach = max(reach, alarmSpan(a)+24*time.Hour)
		}
	}
	return reach
}

func alarmSpan(a *ical.Component) time.Duration {
	p := a.Props.Get("TRIGGER")
	if p == nil || strings.EqualFold(p.Params.Get("VALUE"), "DATE-TIME") {
		return 0
	}
	d, err := icalendar.ParseDuration(p.Value)
	if err != nil {
		return 0
	}
	span := d.Approx()
	if span < 0 {
		span = -span
	}
	repeat := 0
	if r := a.Props.Get("REPEAT"); r != nil {
		repeat, _ = r.Int()
	}
	gap, _ := duration(a)
	return span + time.Duration(min(repeat, 1000))*gap.Approx()
}
