package calendar

import (
	"context"
	"time"

	"github.com/almanac/almanac/icalendar"
	"github.com/almanac/almanac/store"
)

// ObjectsOverlapping returns the ids of cal's objects with an instance
// overlapping [from, to) (RFC 4791 §9.9), each once; floating and all-day
// instances are read in tz. It is Instances for callers that need the
// objects, not the instances (calendar-query): one row per object from the
// index. Objects whose series runs past their indexed horizon before to are
// answered through Instances.
func (s *Service) ObjectsOverlapping(ctx context.Context, u *store.User, cal *store.Calendar, from, to time.Time, tz *time.Location) ([]int64, error) {
	if _, err := s.authorize(ctx, u, cal, ActRead); err != nil {
		return nil, err
	}
	if err := s.checkRange(from, to); err != nil {
		return nil, err
	}
	tz = calendarZone(cal, tz)
	beyond, err := s.st.ObjectsIndexedBefore(ctx, cal.ID, store.Micro(to))
	if err != nil {
		return nil, err
	}
	if len(beyond) > 0 {
		return s.objectsFromInstances(ctx, u, cal, from, to, tz)
	}
	ids, floating, err := s.st.ObjectsBetween(ctx, cal.ID, store.Micro(from), store.Micro(to))
	if err != nil {
		return nil, err
	}
	seen := make(map[int64]bool, len(ids))
	for _, id := range ids {
		seen[id] = true
	}
	for _, in := range floating {
		start, end := icalendar.InZone(store.FromMicro(in.Start), tz), icalendar.InZone(store.FromMicro(in.End), tz)
		if !seen[in.ObjectID] && start.Before(to) && (end.After(from) || !start.Before(from)) {
			seen[in.ObjectID] = true
			ids = append(ids, in.ObjectID)
		}
	}
	return ids, nil
}

func (s *Service) objectsFromInstances(ctx context.Context, u *store.User, cal *store.Calendar, from, to time.Time, tz *time.Location) ([]int64, error) {
	occs, err := s.Instances(ctx, u, cal, from, to, tz)
	if err != nil {
		return nil, err
	}
	seen := make(map[int64]bool, len(occs))
	var ids []int64
	for _, o := range occs {
		if !seen[o.ObjectID] {
			seen[o.ObjectID] = true
			ids = append(ids, o.ObjectID)
		}
	}
	return ids, nil
}
