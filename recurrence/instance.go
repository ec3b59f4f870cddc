package recurrence

import (
	"fmt"
	"slices"
	"time"

	"github.com/almanac/almanac/icalendar"
)

// Instance is one occurrence of a calendar object resource, what the
// time-range index stores and calendar views show.
type Instance struct {
	// Start and End are in UTC. For Floating instances (floating
	// DATE-TIME or DATE) they are the wall clock labelled UTC; the reader
	// anchors them in its own zone.
	Start, End time.Time
	// RecurrenceID is the instance's original start, which a RECURRENCE-ID
	// names (same convention as Start); zero for a component that does not
	// recur.
	RecurrenceID time.Time
	AllDay       bool   // DTSTART is a DATE (an all-day instance is also Floating)
	Floating     bool   // Start and End are wall clock
	Override     bool   // the instance comes from a component with RECURRENCE-ID
	Status       string // STATUS of the component it comes from, upper case, or "" (CANCELLED instances are returned too)
	Transp       string // TRANSP, OPAQUE by default for a VEVENT
	Component    int    // index in Object.Components of the component it comes from
}

// Overlaps applies RFC 4791 §9.9 to the window [from, to): an instance of
// zero length overlaps when it starts in the window, a longer one when it
// intersects it. Floating instances are read in zone (UTC when nil).
func (in Instance) Overlaps(from, to time.Time, zone *time.Location) bool {
	s, e := in.In(zone)
	return s.Before(to) && (e.After(from) || !e.After(s) && !s.Before(from))
}

// In returns the instance's start and end as instants: floating and
// all-day instances read in zone (the viewer's or the calendar's), the
// others as they are.
func (in Instance) In(zone *time.Location) (start, end time.Time) {
	if in.Floating && zone != nil {
		return icalendar.InZone(in.Start, zone), icalendar.InZone(in.End, zone)
	}
	return in.Start, in.End
}

func sortInstances(list []Instance) {
	// Usually in order already (a series without moved instances): a
	// check is one pass, the sort several over 100-byte values.
	if !slices.IsSortedFunc(list, compareInstances) {
		slices.SortStableFunc(list, compareInstances)
	}
}

func compareInstances(a, b Instance) int {
	if c := a.Start.Compare(b.Start); c != 0 {
		return c
	}
	return a.RecurrenceID.Compare(b.RecurrenceID)
}

// span computes an instance's end from its start (RFC 5545 §3.8.5.3):
// "If the duration of the recurring component is specified with the DTEND
// or DUE property, then the same exact duration will apply to all the
// members of the generated recurrence set. Else, if the duration ... is
// specified with the DURATION property, then the same nominal duration
// will apply".
type span struct {
	exact   time.Duration
	nominal icalendar.Duration
	usesDur bool
}

func (s span) end(start time.Time, loc *time.Location) time.Time {
	if s.usesDur {
		return s.nominal.AddTo(start.In(loc)).UTC()
	}
	return start.Add(s.exact)
}

func (s span) approx() time.Duration {
	if s.usesDur {
		return s.nominal.Approx()
	}
	return s.exact
}

// spanOf reads a component's length. Without DTEND, DUE or DURATION, an
// all-day VEVENT or VJOURNAL lasts one day and anything else has no length
// (RFC 5545 §3.6.1, RFC 4791 §9.9). A VJOURNAL has no end (RFC 5545
// §3.6.3): one written anyway is ignored, as §9.9 ignores it.
func spanOf(c *icalendar.Component, start icalendar.DateTime, loc *time.Location) (span, error) {
	if c.Name == "VJOURNAL" {
		if start.IsDate() {
			return span{nominal: icalendar.Duration{Days: 1}, usesDur: true}, nil
		}
		return span{}, nil
	}
	endProp := "DTEND"
	if c.Name == "VTODO" {
		endProp = "DUE"
	}
	end, err := c.DateTime(endProp)
	if err != nil {
		return span{}, err
	}
	dur, hasDur, err := c.Duration()
	switch {
	case err != nil:
		return span{}, err
	case hasDur && !dur.Negative:
		return span{nominal: dur, usesDur: true}, nil
	case !end.IsZero() && !start.IsZero():
		return span{exact: max(0, end.In(loc).Sub(start.In(loc)))}, nil
	case start.IsDate() && c.Name != "VTODO":
		return span{nominal: icalendar.Duration{Days: 1}, usesDur: true}, nil
	}
	return span{}, nil
}

// keyOf returns the instant a value names in a series whose DTSTART is
// start (read in loc): an absolute instant for a UTC or zoned series, the
// wall clock for a floating one, midnight of the day for an all-day one.
func keyOf(d icalendar.DateTime, start icalendar.DateTime, loc *time.Location) time.Time {
	switch {
	case start.IsDate():
		return dateOf(d.Wall())
	case start.Absolute():
		return d.In(loc).UTC()
	}
	return d.Wall()
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
