package caldav

import (
	"bytes"
	"fmt"
	"strings"
	"time"

	"github.com/emersion/go-ical"
)

// parseICal parses stored calendar data. The data was validated when it
// was written, but the parser is guarded anyway: a panic in it must not
// take a report down.
func parseICal(data []byte) (c *ical.Component, err error) {
	defer func() {
		if p := recover(); p != nil {
			c, err = nil, fmt.Errorf("calendar data: %v", p)
		}
	}()
	cal, err := ical.NewDecoder(bytes.NewReader(bytes.TrimPrefix(data, []byte("\xef\xbb\xbf")))).Decode()
	if err != nil {
		return nil, err
	}
	return cal.Component, nil
}

// matchCalendar evaluates the filter (on VCALENDAR) against an object.
// skipRange names the component filter whose time-range the index already
// answered, so it is not tested again.
func matchCalendar(f *compFilter, root *ical.Component, tz *time.Location, skipRange *compFilter) bool {
	m := matcher{tz: tz, skip: skipRange}
	return m.one(f, root, nil)
}

type matcher struct {
	tz   *time.Location
	skip *compFilter
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
	t, err := p.DateTime(m.tz)
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
	t, err := p.DateTime(m.tz)
	return t, p.ValueType() == ical.ValueDate || (len(p.Value) == 8 && !strings.Contains(p.Value, "T")), err == nil
}

func (m matcher) duration(c *ical.Component) (time.Duration, bool) {
	p := c.Props.Get("DURATION")
	if p == nil {
		return 0, false
	}
	d, err := p.Duration()
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
		return start.Add(d)
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
		end := start.Add(dur)
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
		t, err := p.DateTime(m.tz)
		if err != nil {
			return false
		}
		first = t
	} else {
		d, err := p.Duration()
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
		first = anchor.Add(d)
	}
	repeat, gap := 0, time.Duration(0)
	if r := c.Props.Get("REPEAT"); r != nil {
		repeat, _ = r.Int()
		gap, _ = m.duration(c)
	}
	for i := 0; i <= min(repeat, 1000); i++ {
		t := first.Add(time.Duration(i) * gap)
		if !t.Before(s) && t.Before(e) {
			return true
		}
	}
	return false
}

// unescapeText undoes RFC 5545 §3.3.11 escaping for text-match.
func unescapeText(v string) string {
	if !strings.Contains(v, `\`) {
		return v
	}
	var b strings.Builder
	for i := 0; i < len(v); i++ {
		if v[i] == '\\' && i+1 < len(v) {
			i++
			switch v[i] {
			case 'n', 'N':
				b.WriteByte('\n')
			default:
				b.WriteByte(v[i])
			}
			continue
		}
		b.WriteByte(v[i])
	}
	return b.String()
}
