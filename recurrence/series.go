package recurrence

import (
	"fmt"
	"slices"
	"time"

	"github.com/almanac/almanac/icalendar"
)

// Options configure a Series.
type Options struct {
	// Limits bound the expansion; the zero value means DefaultLimits.
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
type Series struct {
	lim       Limits
	zone      *time.Location
	master    *master // nil when the resource holds overrides only
	overrides []*override
	margin    time.Duration // longest instance plus largest shift: how far before a window to look
	shift     time.Duration // largest THISANDFUTURE shift
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

// New prepares the expansion of obj. It fails with an *icalendar.Error for
// data it cannot interpret and a *LimitError for a rule beyond the limits.
func New(obj *icalendar.Object, opt Options) (*Series, error) {
	s := &Series{lim: opt.Limits, zone: opt.FloatingZone}
	if s.lim == (Limits{}) {
		s.lim = DefaultLimits
	}
	if s.zone == nil {
		s.zone = time.UTC
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
	s.setMargin()
	return s, nil
}

func newMaster(c *icalendar.Component, index int, lim Limits) (*master, error) {
	start, err := c.Start()
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

// excluded reports whether EXDATE removes the instance at key.
func (m *master) excluded(at time.Time) bool {
	return m.exact[at.UnixNano()] || len(m.exDays) > 0 && m.exDays[dateOf(wallIn(at, m.loc)).UnixNano()]
}

// occurrences returns the keys of the master's recurrence set in [from, to),
// sorted, at most max of them.
func (m *master) occurrences(from, to time.Time, max int) ([]time.Time, error) {
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
	want := max + len(m.exact) + len(m.exDays)*24*60 // EXDATEs may remove some
	for _, r := range m.rules {
		got, err := r.Between(from, to, want)
		if err != nil {
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

func (s *Series) setMargin() {
	slices.SortFunc(s.overrides, func(a, b *override) int { return a.rid.Compare(b.rid) })
	var longest time.Duration
	if s.master != nil {
		longest = s.master.span.approx()
	}
	for _, o := range s.overrides {
		longest = max(longest, o.span.approx())
		if o.future {
			s.shift = max(s.shift, o.shift, -o.shift)
		}
	}
	// A day more covers UTC offsets and DST changes between key and instant.
	s.margin = longest + s.shift + 26*time.Hour
}

// replaced reports whether a single override replaces the occurrence at,
// or returns the THISANDFUTURE override in force for it.
func (s *Series) replaced(at time.Time) (bool, *override) {
	var future *override
	for _, o := range s.overrides {
		switch {
		case o.rid.IsZero():
			continue
		case o.ridDay && o.rid.Equal(dateOf(wallIn(at, s.master.loc))), !o.ridDay && o.rid.Equal(at):
			return true, nil
		case o.future && o.rid.Before(at):
			future = o
		}
	}
	return false, future
}

// occurrence turns a master occurrence into its instance, or reports that
// an override replaces it.
func (s *Series) occurrence(at time.Time) (Instance, bool) {
	m := s.master
	gone, future := s.replaced(at)
	if gone {
		return Instance{}, false
	}
	in := m.instance(at)
	if future != nil {
		// RFC 5545 §3.8.4.4: the changes of a THISANDFUTURE override,
		// including the move of its start, apply to every later instance.
		start := icalendar.InZone(wallIn(at, m.loc).Add(future.shift), m.loc).UTC()
		in.Start, in.End = start, future.span.end(start, m.loc)
		in.Status, in.Transp = future.inst.Status, future.inst.Transp
		in.Component, in.Override = future.index, true
	}
	return in, true
}

// window converts [from, to) into the master's keys, widened by the
// margin so that long and shifted instances are found.
func (s *Series) window(from, to time.Time) (time.Time, time.Time) {
	if !s.master.start.Absolute() {
		from, to = wallIn(from, s.zone), wallIn(to, s.zone)
	}
	return from.Add(-s.margin), to.Add(s.shift + 26*time.Hour)
}

// Expand returns the instances that overlap [from, to) (RFC 4791 §9.9),
// in chronological order. Past Limits.MaxPerWindow it returns that many
// and a *LimitError.
func (s *Series) Expand(from, to time.Time) ([]Instance, error) {
	var occ []time.Time
	if s.master != nil {
		lo, hi := s.window(from, to)
		var err error
		if occ, err = s.master.occurrences(lo, hi, s.lim.MaxPerWindow+1); err != nil {
			return nil, err
		}
	}
	out := make([]Instance, 0, len(occ)+len(s.overrides))
	for _, o := range s.overrides {
		if o.inst.Overlaps(from, to, s.zone) {
			out = append(out, o.inst)
		}
	}
	truncated := len(occ) > s.lim.MaxPerWindow
	if s.master != nil {
		for _, at := range occ {
			if in, ok := s.occurrence(at); ok && in.Overlaps(from, to, s.zone) {
				out = append(out, in)
			}
		}
	}
	sortInstances(out)
	if truncated || len(out) > s.lim.MaxPerWindow {
		return out[:min(len(out), s.lim.MaxPerWindow)], limitError("MaxPerWindow", s.lim.MaxPerWindow,
			"the window %s–%s holds more instances", from.UTC().Format(time.RFC3339), to.UTC().Format(time.RFC3339))
	}
	return out, nil
}

// Materialized is what Materialize returns.
type Materialized struct {
	Instances []Instance // every instance starting before Until, in order
	Until     time.Time  // the horizon, or earlier when MaxInstances cut the list
	More      bool       // some instance starts at or after Until
}

// Materialize returns the instances that start before horizon, as the
// time-range index stores them, and whether the series goes on after it:
// the store indexes up to a rolling horizon and expands past it on the
// fly. Floating and all-day instances are compared by wall clock. Past
// Limits.MaxInstances it stops early, sets Until to the first start left
// out, and returns the result with a *LimitError.
func (s *Series) Materialize(horizon time.Time) (Materialized, error) {
	res := Materialized{Until: horizon}
	for _, o := range s.overrides {
		if o.inst.Start.Before(horizon) {
			res.Instances = append(res.Instances, o.inst)
		} else {
			res.More = true
		}
	}
	if s.master != nil {
		occ, err := s.master.occurrences(MinTime, horizon.Add(s.shift+time.Nanosecond), s.lim.MaxInstances+1)
		if err != nil {
			return res, err
		}
		for _, at := range occ {
			if in, ok := s.occurrence(at); ok && in.Start.Before(horizon) {
				res.Instances = append(res.Instances, in)
			}
		}
		more, err := s.masterAfter(horizon)
		if err != nil {
			return res, err
		}
		res.More = res.More || more || len(occ) > s.lim.MaxInstances
	}
	sortInstances(res.Instances)
	return s.capped(res)
}

// masterAfter reports whether the master has an instance starting at or
// after horizon.
func (s *Series) masterAfter(horizon time.Time) (bool, error) {
	const probe = 64
	occ, err := s.master.occurrences(horizon.Add(-s.shift), MaxTime, probe)
	if err != nil {
		return false, err
	}
	for _, at := range occ {
		if in, ok := s.occurrence(at); ok && !in.Start.Before(horizon) {
			return true, nil
		}
	}
	return len(occ) == probe, nil
}

func (s *Series) capped(res Materialized) (Materialized, error) {
	n := s.lim.MaxInstances
	if len(res.Instances) <= n {
		return res, nil
	}
	res.Until, res.More = res.Instances[n].Start, true
	for len(res.Instances) > 0 && !res.Instances[len(res.Instances)-1].Start.Before(res.Until) {
		res.Instances = res.Instances[:len(res.Instances)-1]
	}
	return res, limitError("MaxInstances", n, "the series has more instances before %s", res.Until.Format(time.RFC3339))
}

// componentInstance returns the instance of a component that does not
// recur, per the rows of RFC 4791 §9.9 for VEVENT, VTODO and VJOURNAL; ok
// is false when it has no time at all.
func componentInstance(c *icalendar.Component, index int) (Instance, bool, error) {
	start, err := c.Start()
	if err != nil {
		return Instance{}, false, err
	}
	in := Instance{Status: c.Status(), Transp: c.Transp(), Component: index}
	if start.IsZero() {
		if c.Name != "VTODO" {
			return in, false, nil
		}
		return todoInstance(c, in)
	}
	loc := time.UTC
	if start.Kind == icalendar.Zoned {
		loc = start.Time.Location()
	}
	sp, err := spanOf(c, start, loc)
	if err != nil {
		return in, false, err
	}
	in.Start = keyOf(start, start, loc)
	in.End = sp.end(in.Start, loc)
	in.AllDay, in.Floating = start.IsDate(), !start.Absolute()
	return in, true, nil
}

// todoInstance covers a VTODO without DTSTART (RFC 4791 §9.9): its DUE, else
// the span from CREATED to COMPLETED, else all time.
func todoInstance(c *icalendar.Component, in Instance) (Instance, bool, error) {
	due, err := c.Due()
	if err != nil {
		return in, false, err
	}
	if !due.IsZero() {
		in.Start = keyOf(due, due, time.UTC)
		in.End, in.AllDay, in.Floating = in.Start, due.IsDate(), !due.Absolute()
		return in, true, nil
	}
	created, err := c.DateTime("CREATED")
	if err != nil {
		return in, false, err
	}
	completed, err := c.DateTime("COMPLETED")
	if err != nil {
		return in, false, err
	}
	in.Start, in.End = MinTime, MaxTime
	switch {
	case !created.IsZero() && !completed.IsZero():
		a, b := created.In(time.UTC), completed.In(time.UTC)
		in.Start, in.End = minTime(a, b), maxTime(a, b)
	case !completed.IsZero():
		in.Start, in.End = completed.In(time.UTC), completed.In(time.UTC)
	case !created.IsZero():
		in.Start = created.In(time.UTC)
	}
	return in, true, nil
}

func minTime(a, b time.Time) time.Time {
	if a.Before(b) {
		return a
	}
	return b
}

func maxTime(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}

// String describes an instance for logs and tests.
func (in Instance) String() string {
	f := func(t time.Time) string {
		if in.AllDay {
			return t.Format("20060102")
		}
		if in.Floating {
			return t.Format("20060102T150405")
		}
		return t.UTC().Format("20060102T150405Z")
	}
	s := f(in.Start) + "/" + f(in.End)
	if !in.RecurrenceID.IsZero() {
		s += " rid=" + f(in.RecurrenceID)
	}
	if in.Override {
		s += " override"
	}
	return s + fmt.Sprintf(" #%d", in.Component)
}
