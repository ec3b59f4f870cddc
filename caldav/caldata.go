package caldav

import (
	"net/http"
	"sort"
	"strings"
	"time"

	"github.com/almanac/almanac/calendar"
	"github.com/almanac/almanac/icalendar"
	"github.com/emersion/go-ical"
)

// dataRequest is a CALDAV:calendar-data element in a report's DAV:prop
// (RFC 4791 §9.6): which parts of the data to return and how.
type dataRequest struct {
	comp       *compSel   // nil: the whole object
	expand     *timeRange // RFC 4791 §9.6.5
	limitRecur *timeRange // RFC 4791 §9.6.6
}

type compSel struct {
	name    string
	allprop bool
	props   map[string]bool // name → novalue
	allcomp bool
	comps   []*compSel
}

// plain reports whether the stored bytes can be returned as they are.
func (d *dataRequest) plain() bool {
	return d == nil || (d.comp == nil && d.expand == nil && d.limitRecur == nil)
}

func parseDataRequest(n *node) (*dataRequest, error) {
	if ct, ok := n.attr("content-type"); ok && ct != "text/calendar" {
		return nil, precondition(http.StatusForbidden, nsCalDAV, "supported-calendar-data", "only text/calendar is supported")
	}
	if v, ok := n.attr("version"); ok && v != "2.0" {
		return nil, precondition(http.StatusForbidden, nsCalDAV, "supported-calendar-data", "only iCalendar 2.0 is supported")
	}
	d := &dataRequest{}
	for _, c := range n.Children {
		var err error
		switch {
		case c.is(nsCalDAV, "comp"):
			d.comp = parseCompSel(c)
		case c.is(nsCalDAV, "expand"):
			d.expand, err = parseRange(c)
		case c.is(nsCalDAV, "limit-recurrence-set"):
			d.limitRecur, err = parseRange(c)
		case c.is(nsCalDAV, "limit-freebusy-set"):
			_, err = parseRange(c) // only VFREEBUSY has FREEBUSY; none are stored
		}
		if err != nil {
			return nil, err
		}
	}
	return d, nil
}

// parseRange reads expand and limit-*-set, whose start and end are both
// required (RFC 4791 §9.6.5).
func parseRange(n *node) (*timeRange, error) {
	_, hasStart := n.attr("start")
	_, hasEnd := n.attr("end")
	if !hasStart || !hasEnd {
		return nil, invalidFilter(n.Name.Local + " needs start and end")
	}
	return parseTimeRange(n)
}

func parseCompSel(n *node) *compSel {
	name, _ := n.attr("name")
	s := &compSel{name: strings.ToUpper(name), props: map[string]bool{}}
	empty := true
	for _, c := range n.Children {
		switch {
		case c.is(nsCalDAV, "allprop"):
			s.allprop, empty = true, false
		case c.is(nsCalDAV, "allcomp"):
			s.allcomp, empty = true, false
		case c.is(nsCalDAV, "prop"):
			pn, _ := c.attr("name")
			nv, _ := c.attr("novalue")
			s.props[strings.ToUpper(pn)] = nv == "yes"
			empty = false
		case c.is(nsCalDAV, "comp"):
			s.comps = append(s.comps, parseCompSel(c))
			empty = false
		}
	}
	if empty {
		s.allprop, s.allcomp = true, true // a bare comp element asks for the whole component
	}
	return s
}

// select prunes a component to what sel asks for (RFC 4791 §9.6.1).
func (sel *compSel) apply(c *ical.Component) *ical.Component {
	out := &ical.Component{Name: c.Name, Props: ical.Props{}}
	for name, ps := range c.Props {
		novalue, listed := sel.props[name]
		if !sel.allprop && !listed {
			continue
		}
		for _, p := range ps {
			if novalue {
				p.Value = ""
			}
			out.Props[name] = append(out.Props[name], p)
		}
	}
	for _, ch := range c.Children {
		if sel.allcomp {
			out.Children = append(out.Children, ch)
			continue
		}
		for _, sub := range sel.comps {
			if sub.name == ch.Name {
				out.Children = append(out.Children, sub.apply(ch))
				break
			}
		}
	}
	return out
}

// render returns the calendar-data of an object as d asks. occs are the
// object's occurrences within d's expand or limit range.
func (d *dataRequest) render(data []byte, occs []calendar.Occurrence) (string, error) {
	if d.plain() {
		return string(data), nil
	}
	cal, _, err := parseICal(data)
	if err != nil {
		return "", err
	}
	root := cal.Component
	switch {
	case d.expand != nil:
		root = expand(cal, occs)
	case d.limitRecur != nil:
		root = limitRecurrences(cal, occs)
	}
	if d.comp != nil {
		root = d.comp.apply(root)
	}
	out, err := icalendar.Marshal(root)
	return string(out), err
}

// expand replaces a recurring object by its instances in the range, in
// UTC and each with its RECURRENCE-ID (RFC 4791 §9.6.5).
func expand(cal *icalendar.Calendar, occs []calendar.Occurrence) *ical.Component {
	root := cal.Component
	out := &ical.Component{Name: root.Name, Props: root.Props}
	master, overrides := splitRecurrence(cal)
	if master == nil && len(overrides) == 0 {
		return root
	}
	recurring := master != nil && (master.Props.Get("RRULE") != nil || master.Props.Get("RDATE") != nil)
	sort.Slice(occs, func(i, j int) bool { return occs[i].Start.Before(occs[j].Start) })
	for _, o := range occs {
		base := master
		if ov, ok := overrides[o.RecurrenceID.Unix()]; ok && !o.RecurrenceID.IsZero() {
			base = ov
		}
		if base == nil {
			continue
		}
		out.Children = append(out.Children, instance(base, o, recurring || !o.RecurrenceID.IsZero()))
	}
	return out
}

// splitRecurrence finds the master component and the overrides, keyed by
// the Unix time of their RECURRENCE-ID as the index keeps it.
func splitRecurrence(cal *icalendar.Calendar) (*ical.Component, map[int64]*ical.Component) {
	var master *ical.Component
	overrides := map[int64]*ical.Component{}
	for _, ch := range cal.Children {
		if ch.Name == "VTIMEZONE" {
			continue
		}
		if ch.Props.Get("RECURRENCE-ID") == nil {
			master = ch
			continue
		}
		if t, ok := recurrenceID(cal, ch); ok {
			overrides[t.Unix()] = ch
		}
	}
	return master, overrides
}

// recurrenceID reads a RECURRENCE-ID as the index stores it: the instant,
// or for floating and date values the wall clock labelled UTC.
func recurrenceID(cal *icalendar.Calendar, c *ical.Component) (time.Time, bool) {
	p := c.Props.Get("RECURRENCE-ID")
	d, err := icalendar.ParseDateTime(p.Value, p.Params, cal.Location)
	if err != nil {
		return time.Time{}, false
	}
	return d.In(time.UTC), true
}

func instance(base *ical.Component, o calendar.Occurrence, recurring bool) *ical.Component {
	c := &ical.Component{Name: base.Name, Props: ical.Props{}, Children: base.Children}
	for name, ps := range base.Props {
		switch name {
		case "RRULE", "RDATE", "EXDATE", "EXRULE", "DTSTART", "DTEND", "DURATION", "RECURRENCE-ID", "DUE":
			continue
		}
		c.Props[name] = ps
	}
	switch {
	case base.Name == "VTODO" && base.Props.Get("DTSTART") == nil:
		// A task without DTSTART recurs from its DUE: so do its instances.
		c.Props.Set(utcProp("DUE", o.Start, o.AllDay))
	default:
		c.Props.Set(utcProp("DTSTART", o.Start, o.AllDay))
		if end := instanceEnd(base, o); end != nil {
			c.Props.Set(end)
		}
	}
	if recurring {
		rid := o.RecurrenceID
		if rid.IsZero() {
			rid = o.Start
		}
		c.Props.Set(utcProp("RECURRENCE-ID", rid, o.AllDay))
	}
	return c
}

// instanceEnd is how an expanded instance ends, as the object said it
// (RFC 4791 §9.6.5 changes the times to UTC, not their form): the
// object's DURATION when it used one and it gives the instance's length
// from its UTC start, an exact DURATION when daylight saving made the
// length differ, else DTEND (DUE for a VTODO); nil for no length.
func instanceEnd(base *ical.Component, o calendar.Occurrence) *ical.Prop {
	if p := base.Props.Get("DURATION"); p != nil {
		d, err := icalendar.ParseDuration(p.Value)
		if err == nil && !d.AddTo(o.Start.UTC()).Equal(o.End) {
			d = icalendar.NewDuration(o.End.Sub(o.Start))
		}
		if err == nil {
			dp := ical.NewProp("DURATION")
			dp.Value = d.String()
			return dp
		}
	}
	if o.End.Equal(o.Start) {
		return nil
	}
	end := "DTEND"
	if base.Name == "VTODO" {
		end = "DUE"
	}
	return utcProp(end, o.End, o.AllDay)
}

func utcProp(name string, t time.Time, date bool) *ical.Prop {
	p := ical.NewProp(name)
	if date {
		p.Params.Set("VALUE", "DATE")
		p.Value = t.Format("20060102")
		return p
	}
	p.Value = t.UTC().Format("20060102T150405Z")
	return p
}

// limitRecurrences keeps the master and the overrides whose instance lies
// in the range (RFC 4791 §9.6.6).
func limitRecurrences(cal *icalendar.Calendar, occs []calendar.Occurrence) *ical.Component {
	keep := map[int64]bool{}
	for _, o := range occs {
		keep[o.RecurrenceID.Unix()] = true
	}
	out := &ical.Component{Name: cal.Name, Props: cal.Props}
	for _, ch := range cal.Children {
		if ch.Props.Get("RECURRENCE-ID") != nil {
			t, ok := recurrenceID(cal, ch)
			if !ok || !keep[t.Unix()] {
				continue
			}
		}
		out.Children = append(out.Children, ch)
	}
	return out
}
