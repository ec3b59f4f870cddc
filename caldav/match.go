package caldav

import (
	"time"

	"github.com/almanac/almanac/icalendar"
	"github.com/almanac/almanac/recurrence"
	"github.com/emersion/go-ical"
)

// parseICal parses stored calendar data with the icalendar package, which
// never panics and resolves TZIDs the way the index did when the data was
// written. The values are normalised as they were for the index (see
// icalendar's normalize.go) when the data is a calendar object resource.
func parseICal(data []byte) (*icalendar.Calendar, *icalendar.Object, error) {
	if obj, err := icalendar.ParseObject(data, icalendar.Options{}); err == nil {
		return obj.Calendar, obj, nil
	}
	cal, err := icalendar.Parse(data)
	return cal, nil, err
}

// matchObject evaluates the filter (on VCALENDAR) against stored data;
// data that cannot be read matches nothing.
func matchObject(f *compFilter, data []byte, tz *time.Location, lim recurrence.Limits) bool {
	cal, obj, err := parseICal(data)
	if err != nil {
		return false
	}
	m := &matcher{tz: tz, cal: cal, obj: obj, lim: lim}
	return m.one(f, occurrence{comp: cal.Component})
}

type matcher struct {
	tz  *time.Location
	cal *icalendar.Calendar // resolves the TZIDs of the object's values
	obj *icalendar.Object   // nil when the data is not a calendar object resource
	lim recurrence.Limits

	series    *recurrence.Series
	seriesErr error
}

// occurrence is what a comp-filter tests: a component and, for a top-level
// component of a recurring object, one of its instances (RFC 4791 §9.7.1:
// the tests of a comp-filter apply to one instance, so a time-range and a
// text-match must hold for the same one).
type occurrence struct {
	comp       *ical.Component
	parent     *occurrence
	start, end time.Time // the instance, anchored in the query's zone
	instance   bool      // start and end are set
}

// children applies a comp-filter to the children of parent (RFC 4791
// §9.7.1): is-not-defined matches when no child has the name; otherwise
// some child of that name, or some instance of it, must pass every test.
func (m *matcher) children(f *compFilter, parent occurrence) bool {
	if !f.notDefined && parent.comp == m.cal.Component && m.byInstance(f) {
		return m.instances(f, &parent)
	}
	for _, ch := range parent.comp.Children {
		if ch.Name != f.name {
			continue
		}
		if f.notDefined {
			return false
		}
		if m.one(f, occurrence{comp: ch, parent: &parent}) {
			return true
		}
	}
	return f.notDefined
}

// one applies every test of f to one component or instance.
func (m *matcher) one(f *compFilter, o occurrence) bool {
	if f.timeRange != nil && !m.inRange(o, f.timeRange) {
		return false
	}
	for _, pf := range f.props {
		if !m.prop(pf, o.comp) {
			return false
		}
	}
	for _, sub := range f.comps {
		if !m.children(sub, o) {
			return false
		}
	}
	return true
}

// byInstance reports whether a top-level comp-filter is tested instance by
// instance: its component recurs, and it or an alarm filter in it has a
// time-range.
func (m *matcher) byInstance(f *compFilter) bool {
	switch f.name {
	case ical.CompEvent, ical.CompToDo, ical.CompJournal:
	default:
		return false
	}
	return m.obj != nil && (f.timeRange != nil || alarmRange(f) != nil) && m.expandable()
}

// alarmRange returns the time-range of a VALARM comp-filter in f, if any.
func alarmRange(f *compFilter) *timeRange {
	for _, sub := range f.comps {
		if sub.name == ical.CompAlarm && sub.timeRange != nil && !sub.notDefined {
			return sub.timeRange
		}
	}
	return nil
}

// expandable prepares the object's expansion, once; it fails for data
// beyond the recurrence limits, which is then matched component by
// component.
func (m *matcher) expandable() bool {
	if m.series == nil && m.seriesErr == nil {
		m.series, m.seriesErr = recurrence.NewSeries(m.obj, recurrence.Options{Limits: m.lim, FloatingZone: m.tz})
	}
	return m.seriesErr == nil
}

// instances applies f to the instances of its component that may lie in
// the window its time-ranges ask about.
func (m *matcher) instances(f *compFilter, root *occurrence) bool {
	from, to := m.window(f)
	list, _ := m.series.Expand(from, to) // past MaxPerWindow: the first ones
	for _, in := range list {
		c := m.obj.Components[in.Component]
		if c.Name != f.name {
			continue
		}
		start, end := in.In(m.tz)
		o := occurrence{comp: c.Component, parent: root, start: start, end: end, instance: true}
		if m.one(f, o) {
			return true
		}
	}
	return false
}

// window is the span of instances worth testing: the comp-filter's
// time-range, widened by a second so that the exact rules of RFC 4791 §9.9
// decide at the bounds, or, for an alarm filter alone, the alarm's range
// widened by the furthest trigger of the object's alarms.
func (m *matcher) window(f *compFilter) (time.Time, time.Time) {
	if tr := f.timeRange; tr != nil {
		return tr.from().Add(-time.Second), tr.to().Add(time.Second)
	}
	tr, reach := alarmRange(f), m.alarmReach()
	return tr.from().Add(-reach), tr.to().Add(reach)
}

// prop applies a prop-filter (RFC 4791 §9.7.2): some property of the name
// must pass the time-range, text-match and every param-filter.
func (m *matcher) prop(f *propFilter, c *ical.Component) bool {
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
func (m *matcher) params(fs []*paramFilter, p *ical.Prop) bool {
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

// unescapeText undoes RFC 5545 §3.3.11 escaping for text-match.
func unescapeText(v string) string { return icalendar.UnescapeText(v) }
