package recurrence

import (
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
	Status       string // STATUS of the component it comes from, upper case, or ""
	Transp       string // TRANSP, OPAQUE by default for a VEVENT
	Component    int    // index in Object.Components of the component it comes from
}

// Overlaps applies RFC 4791 §9.9 to the window [from, to): an instance of
// zero length overlaps when it starts in the window, a longer one when it
// intersects it. Floating instances are read in zone (UTC when nil).
func (in Instance) Overlaps(from, to time.Time, zone *time.Location) bool {
	s, e := in.Start, in.End
	if in.Floating && zone != nil && zone != time.UTC {
		s, e = icalendar.InZone(s, zone), icalendar.InZone(e, zone)
	}
	return s.Before(to) && (e.After(from) || !e.After(s) && !s.Before(from))
}

func sortInstances(list []Instance) {
	slices.SortStableFunc(list, func(a, b Instance) int {
		if c := a.Start.Compare(b.Start); c != 0 {
			return c
		}
		return a.RecurrenceID.Compare(b.RecurrenceID)
	})
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
// (RFC 5545 §3.6.1, RFC 4791 §9.9).
func spanOf(c *icalendar.Component, start icalendar.DateTime, loc *time.Location) (span, error) {
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
