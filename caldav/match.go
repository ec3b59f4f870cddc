package caldav

import (
	"strings"
	"time"

	"github.com/almanac/almanac/icalendar"
	"github.com/emersion/go-ical"
)

// parseICal parses stored calendar data with the icalendar package, which
// never panics and resolves TZIDs the way the index did when the data was
// written.
func parseICal(data []byte) (*icalendar.Calendar, error) { return icalendar.Parse(data) }

// matchCalendar evaluates the filter (on VCALENDAR) against an object.
// skipRange names the component filter whose time-range the index already
// answered, so it is not tested again.
func matchCalendar(f *compFilter, cal *icalendar.Calendar, tz *time.Location, skipRange *compFilter) bool {
	m := matcher{tz: tz, skip: skipRange, cal: cal}
	return m.one(f, cal.Component, nil)
}

type matcher struct {
	tz   *time.Location
	skip *compFilter
	cal  *icalendar.Calendar // resolves the TZIDs of the object's values
}

// propTime reads a DATE or DATE-TIME property as an instant: floating and
// date values are anchored in the query's zone.
func (m matcher) propTime(p *ical.Prop) (time.Time, bool, error) {
	d, err := icalendar.ParseDateTime(p.Value, p.Params, m.cal.Location)
	if err != nil {
		return time.Time{}, false, err
	}
	return d.In(m.tz), d.IsDate(), nil
}

// children applies a comp-filter to the children of parent (RFC 4791
// §9.7.1): is-not-defined matches when no child has the name; otherwise
// some child of that name must pass every test.
func (m matcher) children(f *compFilter, parent *ical.Component) bool {
	for _, ch := range parent.Children {
		if ch.Name != f.name {
			continue
		}
		if f.notDefined {
			return false
		}
		if m.one(f, ch, parent) {
			return true
		}
	}
	return f.notDefined
}

func (m matcher) one(f *compFilter, c, parent *ical.Component) bool {
	if f.timeRange != nil && f != m.skip && !m.compInRange(c, parent, f.timeRange) {
		return false
	}
	for _, pf := range f.props {
		if !m.prop(pf, c) {
			return false
		}
	}
	for _, sub := range f.comps {
		if !m.children(sub, c) {
			return false
		}
	}
	return true
}

// prop applies a prop-filter (RFC 4791 §9.7.2): some property of the name
// must pass the time-range, text-match and every param-filter.
func (m matcher) prop(f *propFilter, c *ical.Component) bool {
	props := c.Props[f.name]
	if f.notDefined {
		return len(props) == 0
	}
	for i := range props {
		p := &props[i]
		if f.timeRange != nil && !m.propInRange(p, f.timeRange) {
			continue
		}
		if f.textMatch != nil && !f.textMatch.matches(unescapeText(p.Value)) {
			continue
		}
		if m.params(f.params, p) {
			return true
		}
	}
	return false
}

// params applies param-filters (RFC 4791 §9.7.3).
func (m matcher) params(fs []*paramFilter, p *ical.Prop) bool {
	for _, f := range fs {
		vals := p.Params[f.name]
		if f.notDefined {
			if len(vals) > 0 {
				return false
			}
			continue
		}
		ok := false
		for _, v := range vals {
			if f.textMatch == nil || f.textMatch.matches(v) {
				ok = true
				break
			}
		}
		if !ok {
			return false
		}
	}
	return true
}

func (m matcher) propInRange(p *ical.Prop, tr *timeRange) bool {
	t, _, err := m.propTime(p)
	if err != nil {
		return false
	}
	// RFC 4791 §9.9, for date-time properties: start <= value < end.
	return !t.Before(tr.from()) && t.Before(tr.to())
}

// dt reads a date or date-time property in the query's zone (floating and
// date values are wall clock there).
func (m matcher) dt(c *ical.Component, name string) (time.Time, bool, bool) {
	p := c.Props.Get(name)
	if p == nil {
		return time.Time{}, false, false
	}
	t, isDate, err := m.propTime(p)
	return t, isDate, err == nil
}

// duration reads a DURATION property (nominal days and weeks).
func (m matcher) duration(c *ical.Component) (icalendar.Duration, bool) {
	p := c.Props.Get("DURATION")
	if p == nil {
		return icalendar.Duration{}, false
	}
	d, err := icalendar.ParseDuration(p.Value)
	return d, err == nil
}

// compInRange applies RFC 4791 §9.9 to one component. Recurring
// components are matched when their first instance starts before the end
// of the range; the index answers top-level VEVENT ranges exactly.
func (m matcher) compInRange(c, parent *ical.Component, tr *timeRange) bool {
	s, e := tr.from(), tr.to()
	switch c.Name {
	case "VEVENT":
		start, isDate, ok := m.dt(c, "DTSTART")
		if !ok {
			return false
		}
		if c.Props.Get("RRULE") != nil || c.Props.Get("RDATE") != nil {
			return start.Before(e)
		}
		end := m.eventEnd(c, start, isDate)
		if end.Equal(start) {
			return !start.Before(s) && start.Before(e)
		}
		return start.Before(e) && end.After(s)
	case "VTODO":
		return m.todoInRange(c, s, e)
	case "VJOURNAL":
		start, isDate, ok := m.dt(c, "DTSTART")
		if !ok {
			return false
		}
		if isDate {
			return start.Before(e) && start.AddDate(0, 0, 1).After(s)
		}
		return !start.Before(s) && start.Before(e)
	case "VALARM":
		return m.alarmInRange(c, parent, s, e)
	}
	return false
}

func (m matcher) eventEnd(c *ical.Component, start time.Time, isDate bool) time.Time {
	if end, _, ok := m.dt(c, "DTEND"); ok {
		return end
	}
	if d, ok := m.duration(c); ok {
		return d.AddTo(start)
	}
	if isDate {
		return start.AddDate(0, 0, 1)
	}
	return start
}

// todoInRange is the VTODO table of RFC 4791 §9.9.
func (m matcher) todoInRange(c *ical.Component, s, e time.Time) bool {
	start, _, hasStart := m.dt(c, "DTSTART")
	due, _, hasDue := m.dt(c, "DUE")
	dur, hasDur := m.duration(c)
	completed, _, hasCompleted := m.dt(c, "COMPLETED")
	created, _, hasCreated := m.dt(c, "CREATED")
	switch {
	case hasStart && hasDur:
		end := dur.AddTo(start)
		return !s.After(end) && (e.After(start) || !e.Before(end))
	case hasStart && hasDue:
		return (s.Before(due) || !s.After(start)) && (e.After(start) || !e.Before(due))
	case hasStart:
		return !s.After(start) && e.After(start)
	case hasDue:
		return s.Before(due) && !e.Before(due)
	case hasCompleted && hasCreated:
		return (!s.After(created) || !s.After(completed)) && (!e.Before(created) || !e.Before(completed))
	case hasCompleted:
		return !s.After(completed) && !e.Before(completed)
	case hasCreated:
		return e.After(created)
	}
	return true
}

// alarmInRange tests the alarm's trigger times, repetitions included
// (RFC 4791 §9.9: start <= trigger < end).
func (m matcher) alarmInRange(c, parent *ical.Component, s, e time.Time) bool {
	p := c.Props.Get("TRIGGER")
	if p == nil || parent == nil {
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
		if err != nil {
			return false
		}
		start, isDate, ok := m.dt(parent, "DTSTART")
		anchor := start
		if strings.EqualFold(p.Params.Get("RELATED"), "END") {
			if end, _, okEnd := m.dt(parent, "DUE"); okEnd && parent.Name == "VTODO" {
				anchor, ok = end, true
			} else if ok {
				anchor = m.eventEnd(parent, start, isDate)
			}
		}
		if !ok {
			return false
		}
		first = d.AddTo(anchor)
	}
	repeat := 0
	gap, _ := m.duration(c)
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

// unescapeText undoes RFC 5545 §3.3.11 escaping for text-match.
func unescapeText(v string) string { return icalendar.UnescapeText(v) }
