package calendar

import (
	"context"
	"errors"
	"github.com/almanac/almanac/recurrence"
	"time"

	"github.com/almanac/almanac/icalendar"
	"github.com/almanac/almanac/store"
)

// ObjectsOverlapping returns the ids of cal's objects with an instance
// overlapping [from, to) (RFC 4791 §9.9), each once; floating and all-day
// instances are read in tz (nil: the calendar's zone). It is Instances for
// callers that need the objects, not the instances (calendar-query): one
// row per object from the index. Objects whose series runs past its
// indexed horizon before to are answered through Instances.
func (s *Service) ObjectsOverlapping(ctx context.Context, u *store.User, cal *store.Calendar, from, to time.Time, tz *time.Location) ([]int64, error) {
	if err := s.checkOverlap(ctx, u, cal, from, to); err != nil {
		return nil, err
	}
	tz = calendarZone(cal, tz)
	c, err := s.st.ObjectsBetween(ctx, cal.ID, store.Micro(from), store.Micro(to))
	if err != nil {
		return nil, err
	}
	if c.Beyond {
		return s.objectsFromInstances(ctx, u, cal, from, to, tz)
	}
	seen := make(map[int64]bool, len(c.IDs))
	for _, id := range c.IDs {
		seen[id] = true
	}
	return append(c.IDs, floatingObjects(c.Floating, seen, from, to, tz)...), nil
}

// EachOverlapping calls fn with each of cal's objects that has an instance
// overlapping [from, to), as ObjectsOverlapping finds them; the objects
// carry only their name, component, ETag, size and data. The common case
// streams from one index scan joined with the objects.
func (s *Service) EachOverlapping(ctx context.Context, u *store.User, cal *store.Calendar, from, to time.Time, tz *time.Location, fn func(*store.Object) error) error {
	if err := s.checkOverlap(ctx, u, cal, from, to); err != nil {
		return err
	}
	tz = calendarZone(cal, tz)
	seen := map[int64]bool{}
	view := s.viewing(ctx, u, cal, fn)
	beyond, floating, err := s.st.EachObjectBetween(ctx, cal.ID, store.Micro(from), store.Micro(to), func(o *store.Object) error {
		seen[o.ID] = true
		return view.add(o)
	})
	if beyond {
		ids, err := s.objectsFromInstances(ctx, u, cal, from, to, tz)
		if err != nil {
			return err
		}
		return s.eachBody(ctx, u, cal, ids, fn)
	}
	if err == nil {
		err = view.flush()
	}
	if err != nil || !floating {
		return err
	}
	list, err := s.st.FloatingBetween(ctx, cal.ID, store.Micro(from), store.Micro(to))
	if err != nil {
		return err
	}
	return s.eachBody(ctx, u, cal, floatingObjects(list, seen, from, to, tz), fn)
}

// checkOverlap checks the caller and the range of an overlap query. Any
// window is answered: clients sync "everything" with ranges such as 1970
// to 2038, and the index and the probe of series past their horizon cost
// what the answer holds.
func (s *Service) checkOverlap(ctx context.Context, u *store.User, cal *store.Calendar, from, to time.Time) error {
	if _, err := s.authorize(ctx, u, cal, ActRead); err != nil {
		return err
	}
	if !from.Before(to) {
		return &InvalidError{"time-range", "start must be before end"}
	}
	return nil
}

// floatingObjects returns the objects, not yet seen, of the floating and
// all-day instances that overlap [from, to) once read in tz.
func floatingObjects(floating []store.IndexedInstance, seen map[int64]bool, from, to time.Time, tz *time.Location) []int64 {
	var ids []int64
	for _, in := range floating {
		start, end := icalendar.InZone(store.FromMicro(in.Start), tz), icalendar.InZone(store.FromMicro(in.End), tz)
		if !seen[in.ObjectID] && start.Before(to) && (end.After(from) || !start.Before(from)) {
			seen[in.ObjectID] = true
			ids = append(ids, in.ObjectID)
		}
	}
	return ids
}

// eachBody reads objects by id in batches, as u reads them, and hands them
// to fn.
func (s *Service) eachBody(ctx context.Context, u *store.User, cal *store.Calendar, ids []int64, fn func(*store.Object) error) error {
	const batch = 500
	for len(ids) > 0 {
		n := min(batch, len(ids))
		objs, err := s.st.GetObjectBodies(ctx, cal.ID, ids[:n])
		if err == nil {
			err = s.ViewObjects(ctx, u, cal, objs)
		}
		if err != nil {
			return err
		}
		ids = ids[n:]
		for _, o := range objs {
			if err := fn(o); err != nil {
				return err
			}
		}
	}
	return nil
}

// objectsFromInstances finds the objects with an instance in [from, to)
// when some series is indexed only up to a time before to: those the index
// has in the window, and those whose series has an instance past its
// horizon in it, found by probing rather than by listing every instance,
// so that a wide window ("everything", 1970 to 2038) costs what it finds.
func (s *Service) objectsFromInstances(ctx context.Context, u *store.User, cal *store.Calendar, from, to time.Time, tz *time.Location) ([]int64, error) {
	zone := calendarZone(cal, tz)
	rows, pastHorizon, err := s.st.ViewWindow(ctx, []int64{cal.ID}, store.Micro(from), store.Micro(to))
	if err != nil {
		return nil, err
	}
	seen := map[int64]bool{}
	var ids []int64
	for _, r := range rows {
		if oc, ok := occurrence(r, zone); ok && !seen[r.ObjectID] && oc.overlaps(from, to) {
			seen[r.ObjectID] = true
			ids = append(ids, r.ObjectID)
		}
	}
	if !pastHorizon {
		return ids, nil
	}
	objs, err := s.st.ObjectsIndexedBeforeAny(ctx, []int64{cal.ID}, store.Micro(to))
	if err != nil {
		return nil, err
	}
	for _, o := range objs {
		if !seen[o.ID] && s.instancePast(o, zone, from, to) {
			seen[o.ID] = true
			ids = append(ids, o.ID)
		}
	}
	return ids, nil
}

// instancePast reports whether o's series has an instance past its indexed
// horizon that overlaps [from, to). It expands a growing piece of the
// window at a time (a day, then eight times more each round): a series
// that goes on answers at its first instance, one that has ended costs a
// few seeks, and a piece holding more instances than one expansion may
// has one.
func (s *Service) instancePast(o *store.Object, zone *time.Location, from, to time.Time) bool {
	obj, err := icalendar.ParseObject(o.Data, icalendar.Options{})
	if err != nil {
		return false // valid when written; skipped rather than failing the query
	}
	series, err := recurrence.NewSeries(obj, recurrence.Options{Limits: s.recur, FloatingZone: zone})
	if err != nil {
		return false
	}
	horizon := store.FromMicro(o.IndexedUntil)
	start := maxTime(from, horizon.Add(-48*time.Hour))
	step := 24 * time.Hour
	for start.Before(to) {
		end := to
		if to.Sub(start) > step {
			end = start.Add(step)
		}
		list, err := series.Expand(start, end)
		var le *recurrence.LimitError
		if errors.As(err, &le) {
			return true
		} else if err != nil {
			return false
		}
		for _, in := range list {
			oc, _ := occurrence(store.IndexedInstance{CalendarID: o.CalendarID, ObjectID: o.ID, Instance: storeInstance(in)}, zone)
			if !in.Start.Before(horizon) && oc.overlaps(from, to) {
				return true
			}
		}
		start = end
		step = min(step*8, 100*366*24*time.Hour)
	}
	return false
}

// viewBatch hands objects to fn as u reads them (see Viewer), in batches so
// that a sharee's per-user data is read once per batch; the calendar's
// owner reads the stored bytes and gets each object at once.
type viewBatch struct {
	ctx  context.Context
	s    *Service
	u    *store.User
	cal  *store.Calendar
	fn   func(*store.Object) error
	objs []*store.Object
}

func (s *Service) viewing(ctx context.Context, u *store.User, cal *store.Calendar, fn func(*store.Object) error) *viewBatch {
	return &viewBatch{ctx: ctx, s: s, u: u, cal: cal, fn: fn}
}

func (v *viewBatch) add(o *store.Object) error {
	if v.s.viewer == nil || v.u == nil || v.u.ID == v.cal.OwnerID {
		return v.fn(o)
	}
	if v.objs = append(v.objs, o); len(v.objs) >= 500 {
		return v.flush()
	}
	return nil
}

func (v *viewBatch) flush() error {
	if len(v.objs) == 0 {
		return nil
	}
	objs := v.objs
	v.objs = nil
	if err := v.s.ViewObjects(v.ctx, v.u, v.cal, objs); err != nil {
		return err
	}
	for _, o := range objs {
		if err := v.fn(o); err != nil {
			return err
		}
	}
	return nil
}
