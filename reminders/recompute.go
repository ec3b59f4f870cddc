package reminders

import (
	"context"
	"errors"

	"github.com/almanac/almanac/alarm"
	"github.com/almanac/almanac/icalendar"
	"github.com/almanac/almanac/recurrence"
	"github.com/almanac/almanac/store"
)

// Recompute recomputes the alarm rows of every event in cal, after default
// reminders that bear on it changed. Events whose data no longer parses
// keep their rows. It reports how many events it went through.
func (s *Service) Recompute(ctx context.Context, cal *store.Calendar) (int, error) {
	s.settings.forget(cal.ID)
	objs, err := s.st.ListObjects(ctx, cal.ID, true)
	if err != nil {
		return 0, err
	}
	n := 0
	for _, o := range objs {
		if err := ctx.Err(); err != nil {
			return n, err
		}
		rows, ok, err := s.objectRows(ctx, cal, o)
		if err != nil {
			return n, err
		}
		if !ok {
			continue
		}
		if err := s.st.ReplaceObjectAlarms(ctx, cal.ID, o.ID, rows); err != nil && !errors.Is(err, store.ErrNotFound) {
			return n, err
		}
		n++
	}
	return n, nil
}

// RecomputeOwned recomputes the events of every calendar user owns, after
// their general default reminders changed.
func (s *Service) RecomputeOwned(ctx context.Context, u *store.User) (int, error) {
	s.settings.forget(0)
	cals, err := s.st.ListCalendars(ctx, u.ID)
	if err != nil {
		return 0, err
	}
	n := 0
	for _, c := range cals {
		k, err := s.Recompute(ctx, c)
		n += k
		if err != nil {
			return n, err
		}
	}
	return n, nil
}

// objectRows computes every user's alarm rows of a stored object.
func (s *Service) objectRows(ctx context.Context, cal *store.Calendar, o *store.Object) ([]store.AlarmRow, bool, error) {
	obj, err := icalendar.ParseObject(o.Data, icalendar.Options{})
	if err != nil {
		return nil, false, nil
	}
	zone := calendarZone(cal)
	series, err := recurrence.NewSeries(obj, recurrence.Options{Limits: s.opt.Recurrence, FloatingZone: zone})
	if err != nil {
		return nil, false, nil
	}
	sub := &subject{cal: cal, obj: obj, series: series, zones: alarm.ZonesOf(obj, zone)}
	if err := s.loadSubject(ctx, sub, o.ID, o.UUID); err != nil {
		return nil, false, err
	}
	rows, err := s.rows(sub)
	if err != nil {
		return nil, false, nil
	}
	return rows, true, nil
}
