package alarm

import (
	"errors"
	"time"

	"github.com/almanac/almanac/icalendar"
	"github.com/almanac/almanac/recurrence"
)

// Fire is one trigger of an alarm: for which instance, which repetition,
// and when.
type Fire struct {
	At time.Time
	// InstanceStart and InstanceEnd are the instance's instants (zero for
	// an absolute trigger of a recurring master, which belongs to none).
	InstanceStart, InstanceEnd time.Time
	// RecurrenceID names the instance (µs key; zero when not recurring).
	RecurrenceID time.Time
	Repeat       int // 0 for the trigger itself, k for its k-th repetition
}

// searchSpan is how far ahead Next looks for an instance of a recurring
// series before it gives up; the caller comes back at the recheck time to
// look further.
const searchSpan = 5 * 366 * 24 * time.Hour

// ErrNoMore says that an alarm will not trigger again (or not within the
// search span, when Next also returns a recheck time).
var ErrNoMore = errors.New("alarm: no further trigger")

// Zones say where the instants of a series are read: Floating for floating
// and all-day instances (the reminder owner's zone), Event for the nominal
// days of an offset on a zoned event (the zone of its DTSTART, RFC 5545
// §3.3.6: "P1D" before 09:00 is 09:00 the day before, across DST too).
type Zones struct {
	Floating, Event *time.Location
}

// ZonesOf returns the zones of obj for an owner in zone owner.
func ZonesOf(obj *icalendar.Object, owner *time.Location) Zones {
	if owner == nil {
		owner = time.UTC
	}
	z := Zones{Floating: owner, Event: owner}
	c := obj.Master()
	if c == nil && len(obj.Components) > 0 {
		c = obj.Components[0]
	}
	if c != nil {
		if d, err := c.Start(); err == nil && d.Kind == icalendar.Zoned {
			z.Event = d.Time.Location()
		}
	}
	return z
}

// Next returns the first trigger of a strictly after after (and after its
// acknowledgement); obj and series are the alarm's object and its
// expansion. For a recurring alarm with no instance within searchSpan it
// returns ErrNoMore and the time to look again; otherwise a zero recheck
// with ErrNoMore means the alarm is over.
func Next(a *Alarm, obj *icalendar.Object, series *recurrence.Series, z Zones, after time.Time) (f Fire, recheck time.Time, err error) {
	if a.Related == RelAbsolute {
		f, ok := a.repeatAfter(Fire{At: a.At}, after)
		if !ok {
			return f, time.Time{}, ErrNoMore
		}
		return f, time.Time{}, nil
	}
	from, to, err := a.window(obj, z, after)
	if err != nil {
		return f, time.Time{}, err
	}
	for span := to.Sub(from); ; span *= 4 {
		f, found, err := a.search(series, z, after, from, from.Add(span))
		if err != nil || found {
			return f, time.Time{}, err
		}
		if !a.Recurring {
			return f, time.Time{}, ErrNoMore
		}
		if span > searchSpan {
			return f, after.Add(searchSpan), ErrNoMore
		}
	}
}

// window is where to look first: for a recurring alarm, from the earliest
// start whose trigger could follow after; for a single instance, around
// the start of its component.
func (a *Alarm) window(obj *icalendar.Object, z Zones, after time.Time) (time.Time, time.Time, error) {
	lead := a.Offset.Approx() + time.Duration(a.Repeat)*a.Interval.Approx()
	if a.Recurring {
		// trigger = start + Offset + k·Interval > after, so the instances
		// that matter start after after − lead (two days of slack for
		// nominal days and long instances related to their end).
		from := after.Add(-lead - 48*time.Hour)
		return from, from.Add(4 * 24 * time.Hour), nil
	}
	if a.Component >= len(obj.Components) {
		return time.Time{}, time.Time{}, ErrNoMore
	}
	c := obj.Components[a.Component]
	d, err := c.Start()
	if err == nil && d.IsZero() {
		d, err = c.Due()
	}
	if err != nil || d.IsZero() {
		return time.Time{}, time.Time{}, ErrNoMore // no time to relate to
	}
	t := d.In(z.Floating)
	return t.Add(-48 * time.Hour), t.Add(48 * time.Hour), nil
}

// search looks for the earliest trigger after `after` among the instances
// of a's component overlapping [from, to).
func (a *Alarm) search(series *recurrence.Series, z Zones, after, from, to time.Time) (f Fire, found bool, err error) {
	list, err := series.Expand(from, to)
	var le *recurrence.LimitError
	if err != nil && !errors.As(err, &le) {
		return f, false, err
	}
	for _, in := range list {
		// A cancelled instance (RFC 5545 §3.8.1.11) does not take place:
		// nobody is reminded of it.
		if in.Component != a.Component || in.Status == "CANCELLED" {
			continue
		}
		cand, ok := a.repeatAfter(a.fireFor(in, z), after)
		if ok && (!found || cand.At.Before(f.At)) {
			f, found = cand, true
		}
	}
	return f, found, nil
}

// fireFor is the first trigger of a on instance in.
func (a *Alarm) fireFor(in recurrence.Instance, z Zones) Fire {
	start, end := in.In(z.Floating)
	base := start
	if a.Related == RelEnd {
		base = end
	}
	loc := z.Floating
	if !in.Floating {
		loc = z.Event
	}
	return Fire{At: a.Offset.AddTo(base.In(loc)).UTC(), InstanceStart: start.UTC(), InstanceEnd: end.UTC(),
		RecurrenceID: in.RecurrenceID}
}

// repeatAfter returns the first repetition of f (f itself, then Repeat
// more, Interval apart) strictly after after; none when the user has
// dismissed f.
func (a *Alarm) repeatAfter(f Fire, after time.Time) (Fire, bool) {
	if a.Dismisses(f.At) {
		return f, false
	}
	for k := 0; k <= a.Repeat; k++ {
		at := f.At
		for range k {
			at = a.Interval.AddTo(at)
		}
		if at.After(after) {
			f.At, f.Repeat = at.UTC(), k
			return f, true
		}
	}
	return f, false
}

// Dismisses reports whether the alarm's acknowledgement covers the
// trigger first, with all its repetitions. RFC 9074 §6: ACKNOWLEDGED is
// when the alarm was last dismissed, so that "any alerts can be
// dismissed across multiple devices"; the repetitions of RFC 5545
// §3.8.6.2 (REPEAT and DURATION) are that same alert sounding again, so a
// dismissal once the alert has begun ends them too. An alert that begins
// after the acknowledgement (the next instance's, or a snooze's, RFC 9074
// §5) is a new one and goes out.
func (a *Alarm) Dismisses(first time.Time) bool {
	return !a.Acknowledged.IsZero() && !a.Acknowledged.Before(first)
}
