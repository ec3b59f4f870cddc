package recurrence

import (
	"slices"
	"strings"
	"time"

	"github.com/almanac/almanac/icalendar"
)

// Options configure a Series.
type Options struct {
	// Limits bound the expansion; a zero field takes its value from
	// DefaultLimits.
	Limits Limits
	// FloatingZone is where floating and all-day instances are read when
	// Expand tests them against its window (RFC 4791 §9.9 uses the
	// calendar's time zone); nil means UTC.
	FloatingZone *time.Location
}

// Series expands a calendar object resource into its instances: the
// master's recurrence set (DTSTART, RRULE and RDATE, less EXDATE; RFC 5545
// §3.8.5), with overridden instances replaced by their RECURRENCE-ID
// components and RANGE=THISANDFUTURE overrides applied to the instances
// after them.
//
// An override whose RECURRENCE-ID names no instance of the master (an
// excluded one, or one the rule never produces) still yields its own
// instance: the data exists and clients show it. A DATE value in RDATE,
// EXDATE or RECURRENCE-ID of a DATE-TIME series, which RFC 5545 does not
// allow, is read leniently: an RDATE takes DTSTART's time of day, an
// EXDATE or RECURRENCE-ID covers the whole day.
type Series struct {
	lim       Limits
	zone      *time.Location
	budget    *Budget // nil: not charged
	master    *master // nil when the resource holds overrides only
	overrides []*override
	margin    time.Duration // longest instance plus largest shift: how far before a window to look
	shift     time.Duration // largest THISANDFUTURE shift

	// Overrides by what they replace: single instances by key, or by day
	// for a DATE RECURRENCE-ID of a DATE-TIME series, and the
	// THISANDFUTURE ones in order.
	single, singleDays map[int64]bool
	futures            []*override
}

// master is the component without RECURRENCE-ID.
type master struct {
	index     int
	start     icalendar.DateTime
	loc       *time.Location // where wall clocks are read: DTSTART's zone, else UTC
	startAt   time.Time      // DTSTART as a key (see keyOf)
	recurring bool           // has RRULE or RDATE
	rules     []*Rule
	rdates    map[int64]time.Time // key → explicit end of a PERIOD (zero if none)
	exact     map[int64]bool      // EXDATE keys
	exDays    map[int64]bool      // DATE EXDATEs of a DATE-TIME series: whole days excluded
	span      span
	status    string
	transp    string
}

// override is a component with RECURRENCE-ID.
type override struct {
	index  int
	rid    time.Time // the original start it replaces, as a key of the master
	ridDay bool      // a DATE RECURRENCE-ID of a DATE-TIME series: matches that day
	future bool      // RANGE=THISANDFUTURE
	inst   Instance  // its own instance
	shift  time.Duration
	span   span
}

// NewSeries prepares the expansion of obj. It fails with an
// *icalendar.Error for data it cannot interpret and a *LimitError for a
// rule beyond the limits. A Series does not change once made and is safe
// for concurrent use.
//
// A VFREEBUSY's instances are its busy periods, the time it makes busy
// in a free-busy query (RFC 4791 §7.10), with the FBTYPE as their Status;
// its FREE periods are none. A VAVAILABILITY has no instances: it says
// when its owner may be booked, not when they are busy. Calendar queries
// match both by their own rules (RFC 4791 §9.9, RFC 7953 §7).
func NewSeries(obj *icalendar.Object, opt Options) (*Series, error) {
	s := &Series{lim: opt.Limits.orDefaults(), zone: opt.FloatingZone}
	if s.zone == nil {
		s.zone = time.UTC
	}
	if err := s.lim.checkShape(obj); err != nil {
		return nil, err
	}
	if !hasInstances(obj.Type) {
		err := s.addBusyPeriods(obj)
		s.index()
		return s, err
	}
	for i, c := range obj.Components {
		rid, err := c.RecurrenceID()
		if err != nil {
			return nil, err
		}
		if rid.IsZero() && s.master == nil {
			if s.master, err = newMaster(c, i, s.lim); err != nil {
				return nil, err
			}
		}
	}
	for i, c := range obj.Components {
		if err := s.addOverride(c, i); err != nil {
			return nil, err
		}
	}
	s.index()
	return s, nil
}

// WithBudget returns the series with its expansions charged to b (see
// Budget): a write expands through it, and hands the series itself on.
func (s *Series) WithBudget(b *Budget) *Series {
	c := *s
	c.budget = b
	return &c
}

// hasInstances reports whether components of type comp are occurrences.
func hasInstances(comp string) bool {
	return comp != "VFREEBUSY" && comp != icalendar.CompAvailability
}

// addBusyPeriods adds the busy periods of VFREEBUSY components as lone
// instances.
func (s *Series) addBusyPeriods(obj *icalendar.Object) error {
	for i, c := range obj.Components {
		if c.Name != "VFREEBUSY" {
			continue
		}
		periods, err := c.FreeBusy()
		if err != nil {
			return err
		}
		for _, p := range periods {
			if p.Type == "FREE" {
				continue
			}
			start := p.Start.In(time.UTC)
			in := Instance{Start: start, End: p.EndIn(time.UTC), Floating: !p.Start.Absolute(), Status: p.Type, Component: i}
			s.overrides = append(s.overrides, &override{index: i, inst: in, span: span{exact: in.End.Sub(start)}})
		}
	}
	return nil
}

func newMaster(c *icalendar.Component, index int, lim Limits) (*master, error) {
	start, err := anchor(c)
	if err != nil || start.IsZero() {
		return nil, err // no DTSTART: not recurring; componentInstance handles it
	}
	m := &master{index: index, start: start, loc: time.UTC, status: c.Status(), transp: c.Transp()}
	if start.Kind == icalendar.Zoned {
		m.loc = start.Time.Location()
	}
	m.startAt = keyOf(start, start, m.loc)
	if m.span, err = spanOf(c, start, m.loc); err != nil {
		return nil, err
	}
	if err := m.addRules(c, lim); err != nil {
		return nil, err
	}
	if err := m.addDates(c); err != nil {
		return nil, err
	}
	return m, nil
}

// anchor returns where the component's recurrence set starts: DTSTART, or
// the DUE of a recurring VTODO without one (the recur-without-dtstart rule
// of package icalendar), whose instances then last no time and fall on
// each due date. Without either it does not recur.
func anchor(c *icalendar.Component) (icalendar.DateTime, error) {
	start, err := c.Start()
	if err != nil || !start.IsZero() || c.Name != "VTODO" {
		return start, err
	}
	if c.Props.Get("RRULE") == nil && c.Props.Get("RDATE") == nil {
		return start, nil
	}
	return c.Due()
}

// addRules compiles the RRULEs. RFC 5545 §3.8.5.3: DTSTART is the first
// instance, and §3.3.10: "The DTSTART property value always counts as the
// first occurrence" — so when DTSTART does not match the rule, COUNT
// includes it and the rule itself contributes COUNT-1 instances.
func (m *master) addRules(c *icalendar.Component, lim Limits) error {
	recs, err := c.RRules()
	if err != nil {
		return err
	}
	for _, rec := range recs {
		r, err := NewRule(rec, m.start, lim)
		if err != nil {
			return locate(err, c)
		}
		if rec.Count > 0 && !r.produces(m.startAt) {
			if rec.Count--; rec.Count == 0 {
				m.recurring = true
				continue
			}
			if r, err = NewRule(rec, m.start, lim); err != nil {
				return locate(err, c)
			}
		}
		m.rules = append(m.rules, r)
		m.recurring = true
	}
	return nil
}

// produces reports whether at is an instance of the rule.
func (r *Rule) produces(at time.Time) bool {
	got, _ := r.Between(at, at.Add(time.Nanosecond), 1)
	return len(got) == 1
}

// locate names the component in a data error of a rule.
func locate(err error, c *icalendar.Component) error {
	if e, ok := err.(*icalendar.Error); ok && e.Component == "" {
		e.Component = c.Name
	}
	return err
}

func (m *master) addDates(c *icalendar.Component) error {
	rdates, err := c.RDates()
	if err != nil {
		return err
	}
	m.rdates = map[int64]time.Time{}
	for _, p := range rdates {
		k := keyOf(p.Start, m.start, m.loc)
		if p.Start.IsDate() && !m.start.IsDate() {
			k = m.atStartTime(p.Start) // lenient: RFC 5545 wants the types to match
		}
		end := time.Time{}
		if p.IsPeriod {
			end = keyOf(icalendar.DateTime{Time: p.EndIn(m.loc), Kind: p.Start.Kind}, m.start, m.loc)
		}
		m.rdates[k.UnixNano()] = end
		m.recurring = true
	}
	exdates, err := c.ExDates()
	if err != nil {
		return err
	}
	m.exact, m.exDays = map[int64]bool{}, map[int64]bool{}
	for _, d := range exdates {
		if d.IsDate() && !m.start.IsDate() {
			m.exDays[dateOf(d.Time).UnixNano()] = true
		} else {
			m.exact[keyOf(d, m.start, m.loc).UnixNano()] = true
		}
	}
	return nil
}

// atStartTime returns the key of DTSTART's time of day on day d.
func (m *master) atStartTime(d icalendar.DateTime) time.Time {
	w := m.start.Wall()
	wall := time.Date(d.Time.Year(), d.Time.Month(), d.Time.Day(), w.Hour(), w.Minute(), w.Second(), 0, time.UTC)
	return keyOf(icalendar.DateTime{Time: icalendar.InZone(wall, m.loc), Kind: m.start.Kind}, m.start, m.loc)
}

// excluded reports whether EXDATE removes the instance at key.
func (m *master) excluded(at time.Time) bool {
	return m.exact[at.UnixNano()] || len(m.exDays) > 0 && m.exDays[dateOf(wallIn(at, m.loc)).UnixNano()]
}

// occurrences returns the keys of the master's recurrence set in [from, to),
// sorted, at most max of them. What the rules produce is charged to b
// (nil: not charged): every expansion passes here, so this is where a
// write's Budget is enforced.
func (m *master) occurrences(from, to time.Time, max int, b *Budget) ([]time.Time, error) {
	in := func(t time.Time) bool { return !t.Before(from) && t.Before(to) && !m.excluded(t) }
	out := make([]time.Time, 0, 32)
	if in(m.startAt) {
		out = append(out, m.startAt)
	}
	for k := range m.rdates {
		if t := time.Unix(0, k).UTC(); in(t) {
			out = append(out, t)
		}
	}
	// Ask the rules for enough to make up for what EXDATEs remove; a DATE
	// EXDATE removes a day's worth (at most 1,440 at one a minute).
	want := max + len(m.exact) + len(m.exDays)*24*60
	for _, r := range m.rules {
		got, err := r.Between(from, to, want)
		if err != nil {
			return nil, err
		}
		if err := b.charge(len(got)); err != nil {
			return nil, err
		}
		for _, t := range got {
			if !m.excluded(t) {
				out = append(out, t)
			}
		}
	}
	return sortUnique(out, max), nil
}

// instance builds the master's instance for the occurrence at.
func (m *master) instance(at time.Time) Instance {
	in := Instance{Start: at, End: m.span.end(at, m.loc), AllDay: m.start.IsDate(), Floating: !m.start.Absolute(),
		Status: m.status, Transp: m.transp, Component: m.index}
	if m.recurring {
		in.RecurrenceID = at
	}
	if end := m.rdates[at.UnixNano()]; !end.IsZero() {
		in.End = end // an RDATE PERIOD sets its own end (RFC 5545 §3.8.5.2)
	}
	return in
}

// addOverride records a RECURRENCE-ID component, or a master that cannot
// recur (no DTSTART: a VTODO with DUE only, say), as a lone instance.
func (s *Series) addOverride(c *icalendar.Component, index int) error {
	rid, err := c.RecurrenceID()
	if err != nil {
		return err
	}
	if rid.IsZero() {
		if s.master != nil && s.master.index == index {
			return nil
		}
		in, ok, err := componentInstance(c, index)
		if ok {
			s.overrides = append(s.overrides, &override{index: index, inst: in, rid: time.Time{}})
		}
		return err
	}
	o := &override{index: index, future: rid.ThisAndFuture}
	ref, loc := rid.DateTime, time.UTC
	if m := s.master; m != nil {
		ref, loc = m.start, m.loc
		o.ridDay = rid.IsDate() && !m.start.IsDate()
	} else if rid.Kind == icalendar.Zoned {
		loc = rid.Time.Location()
	}
	o.rid = keyOf(rid.DateTime, ref, loc)
	if o.ridDay {
		o.rid = dateOf(rid.Time)
	}
	return s.fillOverride(o, c, rid.DateTime, loc)
}

// fillOverride computes the override's own instance and, for
// THISANDFUTURE, the shift it applies to later instances.
func (s *Series) fillOverride(o *override, c *icalendar.Component, rid icalendar.DateTime, loc *time.Location) error {
	in, ok, err := componentInstance(c, o.index)
	if err != nil {
		return err
	}
	if !ok { // no DTSTART: the instance keeps its original start and the master's length
		in = Instance{Start: o.rid, End: o.rid, Floating: !rid.Absolute(), AllDay: rid.IsDate(),
			Status: c.Status(), Transp: c.Transp(), Component: o.index}
		if s.master != nil {
			in.End = s.master.span.end(o.rid, loc)
		}
	}
	in.Override, in.RecurrenceID = true, o.rid
	o.inst = in
	start, _ := c.Start()
	if o.span, err = spanOf(c, start, loc); err != nil {
		return err
	}
	if !ok && s.master != nil {
		o.span = s.master.span
	}
	o.shift = wallIn(in.Start, loc).Sub(wallIn(o.rid, loc))
	s.overrides = append(s.overrides, o)
	return nil
}

// index sorts the overrides, indexes what they replace and sets the
// margins of a window.
func (s *Series) index() {
	slices.SortFunc(s.overrides, func(a, b *override) int { return a.rid.Compare(b.rid) })
	s.single, s.singleDays = map[int64]bool{}, map[int64]bool{}
	var longest time.Duration
	if s.master != nil {
		longest = s.master.span.approx()
	}
	for _, o := range s.overrides {
		longest = max(longest, o.span.approx())
		switch {
		case o.rid.IsZero(): // a lone instance replaces nothing
		case o.ridDay:
			s.singleDays[o.rid.UnixNano()] = true
		default:
			s.single[o.rid.UnixNano()] = true
		}
		if o.future && !o.ridDay {
			s.futures = append(s.futures, o)
			s.shift = max(s.shift, o.shift, -o.shift)
		}
	}
	// A day more covers UTC offsets and DST changes between key and instant.
	s.margin = longest + s.shift + 26*time.Hour
}

// checkShape refuses an object with more rules, dates or overrides than
// the limits allow, before anything is expanded: each rule is expanded on
// its own, and each date and override is visited by every expansion.
func (l Limits) checkShape(obj *icalendar.Object) error {
	overrides := 0
	for _, c := range obj.Components {
		if c.Props.Get("RECURRENCE-ID") != nil {
			overrides++
		}
		// RFC 5545 §3.8.5.3: RRULE "SHOULD NOT" occur more than once.
		if n := len(c.Props.Values("RRULE")) + len(c.Props.Values("EXRULE")); n > l.MaxRules {
			return limitError("MaxRules", l.MaxRules, "a %s has %d RRULE properties", c.Name, n)
		}
		dates := 0
		for _, name := range []string{"RDATE", "EXDATE"} {
			for _, p := range c.Props.Values(name) {
				dates += strings.Count(p.Value, ",") + 1
			}
		}
		if dates > l.MaxDates {
			return limitError("MaxDates", l.MaxDates, "a %s has %d RDATE and EXDATE values", c.Name, dates)
		}
	}
	if overrides > l.MaxOverrides {
		return limitError("MaxOverrides", l.MaxOverrides, "the object overrides %d instances", overrides)
	}
	return nil
}
