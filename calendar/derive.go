package calendar

import (
	"errors"
	"time"

	"github.com/almanac/almanac/icalendar"
	"github.com/almanac/almanac/recurrence"
	"github.com/almanac/almanac/store"
)

// parse validates data as a calendar object resource that cal accepts
// (RFC 4791 §4.1, §5.3.2.1) and prepares its expansion.
func (s *Service) parse(cal *store.Calendar, data []byte) (*icalendar.Object, *recurrence.Series, error) {
	obj, err := icalendar.ParseObject(data, icalendar.Options{Components: cal.Components})
	if err != nil {
		return nil, nil, objectError(err)
	}
	series, err := recurrence.NewSeries(obj, recurrence.Options{Limits: s.recur, FloatingZone: calendarZone(cal, nil)})
	if err != nil {
		return nil, nil, objectError(err)
	}
	return obj, series, nil
}

// derive turns the bytes a client sent into what the store keeps: the
// resource with its UID, type and sequence, and its instances up to the
// index horizon (DESIGN.md §5). Series that go on past the horizon are
// expanded on the fly by readers and re-indexed in the background.
func (s *Service) derive(cal *store.Calendar, name string, data []byte) (*store.ObjectWrite, *icalendar.Object, *recurrence.Series, error) {
	// Stored without the control characters RFC 5545 §3.1 forbids; the
	// ETag then differs from the sent data's, so CalDAV clients fetch
	// what was kept (RFC 4791 §5.3.4).
	data = icalendar.StripControls(data)
	obj, series, err := s.parse(cal, data)
	if err != nil {
		return nil, nil, nil, err
	}
	// Here rather than in parse, which also reads stored objects: one
	// written before the limits were narrowed stays readable.
	if err := s.checkDateRange(obj); err != nil {
		return nil, nil, nil, err
	}
	w := &store.ObjectWrite{Name: name, UID: obj.UID, Component: obj.Type, Data: data, Summary: summarize(obj)}
	if obj.Type == "VEVENT" {
		w.Text = SearchText(obj) // search finds events only
	}
	if c := obj.Master(); c != nil {
		w.Sequence, _ = c.Sequence()
	} else if len(obj.Components) > 0 {
		w.Sequence, _ = obj.Components[0].Sequence()
	}
	w.Instances, w.IndexedUntil, err = s.materialize(series)
	return w, obj, series, err
}

// materialize lists a series' instances up to the index horizon.
//
// The expansion is charged to a recurrence.Budget of its own: an object
// of many rules, dates and overrides is bounded as a whole, in instances
// and in wall time, not only rule by rule, so that a small object cannot
// hold a core for long; past the budget the write is refused with
// CALDAV:max-instances.
func (s *Service) materialize(series *recurrence.Series) ([]store.Instance, int64, error) {
	m, err := series.WithBudget(recurrence.NewBudget(s.recur, nil)).Materialize(s.now().Add(s.lim.IndexHorizon))
	var le *recurrence.LimitError
	if err != nil && (!errors.As(err, &le) || le.Budget()) {
		return nil, 0, objectError(err)
	}
	// A series cut short by the instance limit is indexed up to where it
	// was cut and expanded on the fly after that, like an endless one.
	until := int64(store.Forever)
	if m.More {
		until = store.Micro(m.Until)
	}
	out := make([]store.Instance, len(m.Instances))
	for i, in := range m.Instances {
		out[i] = storeInstance(in)
	}
	return out, until, nil
}

func storeInstance(in recurrence.Instance) store.Instance {
	si := store.Instance{
		Start: store.Micro(in.Start), End: store.Micro(in.End),
		Floating: in.Floating, AllDay: in.AllDay, Override: in.Override,
		Transparent: in.Transp == "TRANSPARENT", Status: in.Status, Component: in.Component,
	}
	if !in.RecurrenceID.IsZero() {
		si.RecurrenceID = store.Micro(in.RecurrenceID)
	}
	return si
}

// objectError gives a validation or expansion failure the CalDAV
// precondition it violates.
func objectError(err error) error {
	var ie *icalendar.Error
	var le *recurrence.LimitError
	switch {
	case errors.As(err, &ie):
		return &ObjectError{Precondition: string(ie.Precondition), Message: ie.Error()}
	case errors.As(err, &le) && le.Structural():
		// RFC 4791 §5.3.2.1: the server's own restrictions on what a
		// calendar object resource may hold.
		return &ObjectError{Precondition: PreValidObject, Message: le.Error()}
	case errors.As(err, &le):
		// RFC 4791 §5.3.2.1, CALDAV:max-instances: the resource makes more
		// instances (or costs more to expand) than the server takes.
		return &ObjectError{Precondition: PreMaxInstances, Message: le.Error()}
	}
	return &ObjectError{Precondition: PreValidData, Message: err.Error()}
}

// Zone is where floating and all-day values of cal are read when no
// viewer's zone is given: its CALDAV:calendar-timezone, else UTC.
func Zone(cal *store.Calendar) *time.Location { return calendarZone(cal, nil) }

// calendarZone is where floating and all-day instances of cal are read:
// the viewer's zone when given, else the calendar's (RFC 4791 §9.9 uses
// CALDAV:calendar-timezone), else UTC.
func calendarZone(cal *store.Calendar, viewer *time.Location) *time.Location {
	if viewer != nil {
		return viewer
	}
	if cal.TimeZone != "" {
		if loc, err := time.LoadLocation(cal.TimeZone); err == nil {
			return loc
		}
	}
	return time.UTC
}
