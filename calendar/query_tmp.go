package calendar

// TEMPORARY (branch caldav only): occurrences straight from the index until
// main's Instances (index plus expansion past the horizon) lands.

import (
	"context"
	"time"

	"github.com/almanac/almanac/store"
)

// Occurrence is one instance of an object within a queried window.
type Occurrence struct {
	ObjectID     int64
	Start, End   time.Time // UTC
	RecurrenceID time.Time // zero for a component without recurrence
	Override     bool
	Transparent  bool
	Status       string
	AllDay       bool
	Floating     bool
}

// Instances returns the occurrences of cal's objects overlapping
// [from, to) (RFC 4791 §9.9); floating and all-day ones are read in tz.
func (s *Service) Instances(ctx context.Context, u *store.User, cal *store.Calendar, from, to time.Time, tz *time.Location) ([]Occurrence, error) {
	if _, err := s.authorize(ctx, u, cal, ActFreeBusy); err != nil {
		return nil, err
	}
	if err := s.checkRange(from, to); err != nil {
		return nil, err
	}
	if tz == nil {
		tz = time.UTC
	}
	list, err := s.st.InstancesBetween(ctx, []int64{cal.ID}, store.Micro(from), store.Micro(to))
	if err != nil {
		return nil, err
	}
	out := make([]Occurrence, 0, len(list))
	for _, in := range list {
		o := Occurrence{ObjectID: in.ObjectID, Start: store.FromMicro(in.Start), End: store.FromMicro(in.End),
			Override: in.Override, Transparent: in.Transparent, Status: in.Status, AllDay: in.AllDay, Floating: in.Floating}
		if in.RecurrenceID != 0 {
			o.RecurrenceID = store.FromMicro(in.RecurrenceID)
		}
		if in.Floating || in.AllDay {
			o.Start, o.End = wallIn(o.Start, tz), wallIn(o.End, tz)
			if in.RecurrenceID != 0 {
				o.RecurrenceID = wallIn(o.RecurrenceID, tz)
			}
			if !(o.Start.Before(to) && (o.End.After(from) || !o.Start.Before(from))) {
				continue
			}
		}
		out = append(out, o)
	}
	return out, nil
}

// wallIn reads a wall-clock time stored as UTC in loc.
func wallIn(t time.Time, loc *time.Location) time.Time {
	return time.Date(t.Year(), t.Month(), t.Day(), t.Hour(), t.Minute(), t.Second(), t.Nanosecond(), loc).UTC()
}
