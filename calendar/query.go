package calendar

import (
	"context"
	"errors"
	"slices"
	"time"

	"github.com/almanac/almanac/icalendar"
	"github.com/almanac/almanac/recurrence"
	"github.com/almanac/almanac/store"
)

// Occurrence is one instance of an event or task in a time range.
type Occurrence struct {
	CalendarID int64
	ObjectID   int64
	// Start and End are absolute; floating and all-day instances have
	// been anchored in the zone the query was made for.
	Start, End time.Time
	// RecurrenceID is the instance's original start (zero for a
	// non-recurring component); for floating series it is wall clock
	// labelled UTC, as RECURRENCE-ID values of such series are.
	RecurrenceID time.Time
	AllDay       bool
	Floating     bool
	Override     bool
	Transparent  bool
	Status       string
	// Truncated marks the instances of a series that has more instances in
	// the window than one request expands (SeriesBudget): the instances
	// given are its first ones, and the later ones are left out.
	Truncated bool
}

// Instances returns the occurrences of cal's objects that overlap
// [from, to) under RFC 4791 §9.9, ordered by start. The window may be as
// wide as the caller likes: the index is read for the instances in it,
// and each series gives at most SeriesBudget of them, its first ones
// marked Truncated when it has more: one large series never fails the
// query; callers that answer other users bound it (CheckRange). Floating and all-day
// instances are read in zone, or in the calendar's time zone when zone is
// nil. The answer comes from the time-range index without parsing any
// object, except series that continue past their indexed horizon, which
// are expanded on the fly for the part of the range after it. The caller
// must hold at least the free/busy role.
func (s *Service) Instances(ctx context.Context, u *store.User, cal *store.Calendar, from, to time.Time, zone *time.Location) ([]Occurrence, error) {
	if _, err := s.authorize(ctx, u, cal, ActFreeBusy); err != nil {
		return nil, err
	}
	if !from.Before(to) {
		return nil, &InvalidError{"time-range", "start must be before end"}
	}
	zone = calendarZone(cal, zone)
	rows, pastHorizon, err := s.st.ViewWindow(ctx, []int64{cal.ID}, store.Micro(from), store.Micro(to))
	if err != nil {
		return nil, err
	}
	out := make([]Occurrence, 0, len(rows))
	for _, r := range rows {
		if oc, ok := occurrence(r, zone); ok && oc.overlaps(from, to) {
			out = append(out, oc)
		}
	}
	if pastHorizon {
		beyond, err := s.beyondHorizon(ctx, cal, from, to, zone)
		if err != nil {
			return nil, err
		}
		out = append(out, beyond...)
	}
	slices.SortFunc(out, func(a, b Occurrence) int {
		if c := a.Start.Compare(b.Start); c != 0 {
			return c
		}
		return int(a.ObjectID - b.ObjectID)
	})
	return budgetSeries(out, s.SeriesBudget(), func(oc *Occurrence) *Occurrence { return oc }), nil
}

// SeriesBudget is the most instances of one series that one request
// expands: the recurrence limit on one window (MaxPerWindow). A view, a
// list or a free/busy answer holds at most that many instances of each
// series, the first ones, marked Truncated; the others are left out
// rather than the request failing, so that a large series someone else
// put in a calendar (an invitation of every minute) cannot break it.
func (s *Service) SeriesBudget() int {
	if s.recur.MaxPerWindow > 0 {
		return s.recur.MaxPerWindow
	}
	return recurrence.DefaultLimits.MaxPerWindow
}

// budgetSeries keeps, of list in chronological order, at most max
// occurrences of each object, the first ones, and marks Truncated every
// occurrence kept of an object that had more (or that was already cut by
// its expansion).
func budgetSeries[T any](list []T, max int, oc func(*T) *Occurrence) []T {
	count := map[int64]int{}
	cut := map[int64]bool{}
	for i := range list {
		o := oc(&list[i])
		count[o.ObjectID]++
		if count[o.ObjectID] > max || o.Truncated {
			cut[o.ObjectID] = true
		}
	}
	if len(cut) == 0 {
		return list
	}
	clear(count)
	out := list[:0]
	for i := range list {
		o := oc(&list[i])
		if count[o.ObjectID]++; count[o.ObjectID] > max {
			continue
		}
		o.Truncated = cut[o.ObjectID]
		out = append(out, list[i])
	}
	return out
}

// occurrence anchors an index row in zone.
func occurrence(r store.IndexedInstance, zone *time.Location) (Occurrence, bool) {
	oc := Occurrence{
		CalendarID: r.CalendarID, ObjectID: r.ObjectID,
		Start: store.FromMicro(r.Start), End: store.FromMicro(r.End),
		AllDay: r.AllDay, Floating: r.Floating, Override: r.Override,
		Transparent: r.Transparent, Status: r.Status,
	}
	if r.RecurrenceID != 0 {
		oc.RecurrenceID = store.FromMicro(r.RecurrenceID)
	}
	if oc.Floating {
		oc.Start, oc.End = icalendar.InZone(oc.Start, zone), icalendar.InZone(oc.End, zone)
	}
	return oc, true
}

// overlaps is RFC 4791 §9.9 for absolute times.
func (oc Occurrence) overlaps(from, to time.Time) bool {
	return oc.Start.Before(to) && (oc.End.After(from) || !oc.End.After(oc.Start) && !oc.Start.Before(from))
}

// beyondHorizon expands, for the part of [from, to) past their indexed
// horizon, the series whose instances are not all in the index.
func (s *Service) beyondHorizon(ctx context.Context, cal *store.Calendar, from, to time.Time, zone *time.Location) ([]Occurrence, error) {
	objs, err := s.st.ObjectsIndexedBeforeAny(ctx, []int64{cal.ID}, store.Micro(to))
	if err != nil {
		return nil, err
	}
	var out []Occurrence
	for _, o := range objs {
		if _, err := s.pastHorizon(o, zone, from, to, func(oc Occurrence, _ int) { out = append(out, oc) }); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// pastHorizon expands o's series, in zone, for the part of [from, to)
// past its indexed horizon (the instances before it are in the index),
// and calls fn with each occurrence that overlaps the window and the
// component it comes from. It returns the parsed object, or nil when the
// stored data can no longer be read or expanded: it was valid when
// written, and the caller skips it rather than fail the view. A series
// with more instances in the window than one expansion gives
// (MaxPerWindow) yields its first ones, marked Truncated.
func (s *Service) pastHorizon(o *store.Object, zone *time.Location, from, to time.Time, fn func(oc Occurrence, component int)) (*icalendar.Object, error) {
	obj, err := icalendar.ParseObject(o.Data, icalendar.Options{})
	if err != nil {
		return nil, nil
	}
	series, err := recurrence.NewSeries(obj, recurrence.Options{Limits: s.recur, FloatingZone: zone})
	if err != nil {
		return nil, nil
	}
	horizon := store.FromMicro(o.IndexedUntil)
	list, err := series.Expand(maxTime(from, horizon.Add(-48*time.Hour)), to)
	var le *recurrence.LimitError
	cut := errors.As(err, &le)
	if err != nil && !cut {
		return nil, objectError(err)
	}
	for _, in := range list {
		if in.Start.Before(horizon) {
			continue // in the index
		}
		oc, _ := occurrence(store.IndexedInstance{CalendarID: o.CalendarID, ObjectID: o.ID, Instance: storeInstance(in)}, zone)
		oc.Truncated = cut
		if oc.overlaps(from, to) {
			fn(oc, in.Component)
		}
	}
	return obj, nil
}

func maxTime(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}

// ExtendIndex moves the horizon of series indexed only part of the way
// forward, once it comes within half the index horizon of now, so that
// readers seldom expand on the fly. It goes through every such object in
// pages (a series that cannot progress, cut short by the instance limit,
// does not hold up the others) and reports how many it re-indexed.
func (s *Service) ExtendIndex(ctx context.Context) (int, error) {
	due := store.Micro(s.now().Add(s.lim.IndexHorizon / 2))
	n := 0
	var last store.ObjectRef
	for ctx.Err() == nil {
		refs, err := s.st.ObjectsToExtend(ctx, due, last, 200)
		if err != nil || len(refs) == 0 {
			return n, err
		}
		for _, ref := range refs {
			ok, err := s.reindex(ctx, ref)
			if err != nil {
				return n, err
			}
			if ok {
				n++
			}
		}
		last = refs[len(refs)-1]
	}
	return n, ctx.Err()
}

func (s *Service) reindex(ctx context.Context, ref store.ObjectRef) (bool, error) {
	cal, err := s.st.GetCalendar(ctx, ref.CalendarID)
	if err != nil {
		return false, nil // deleted meanwhile
	}
	objs, err := s.st.GetObjectsByID(ctx, []int64{ref.ID})
	if err != nil || len(objs) == 0 {
		return false, err
	}
	_, series, err := s.parse(cal, objs[0].Data)
	if err != nil {
		return false, nil // accepted under older rules; leave its index as it is
	}
	inst, until, err := s.materialize(series)
	if err != nil {
		return false, nil
	}
	return s.st.ReindexObject(ctx, ref, inst, until)
}
