package calendar

import (
	"context"
	"slices"
	"strings"
	"time"

	"github.com/almanac/almanac/icalendar"
	"github.com/almanac/almanac/store"
)

// Item is an occurrence with what a calendar view draws of it.
type Item struct {
	Occurrence
	ObjectUUID string
	Component  int // index of the component it comes from, in the data
	// Summary is empty when the caller sees busy times only.
	Summary Summary
}

// Items returns the occurrences of the calendars' objects that overlap
// [from, to) under RFC 4791 §9.9, with their summaries, ordered by start,
// object and recurrence id. Floating and all-day instances are read in
// zone, or in each calendar's time zone when zone is nil.
//
// Each series gives at most SeriesBudget instances, its first ones, marked
// Truncated when it has more (see Instances).
//
// The caller needs at least the free/busy role on every calendar; where it
// has no more, summaries are left empty. The answer comes from the index
// and the summaries stored with the objects, in one query for all the
// calendars; only series that continue past their indexed horizon (and
// objects stored before summaries existed) are parsed.
func (s *Service) Items(ctx context.Context, u *store.User, cals []*store.Calendar, from, to time.Time, zone *time.Location) ([]Item, error) {
	if err := s.checkRange(from, to); err != nil {
		return nil, err
	}
	v := viewQuery{svc: s, byID: make(map[int64]viewCal, len(cals))}
	ids := make([]int64, 0, len(cals))
	for _, c := range cals {
		role, err := s.authorize(ctx, u, c, ActFreeBusy)
		if err != nil {
			return nil, err
		}
		v.byID[c.ID] = viewCal{cal: c, role: role, zone: calendarZone(c, zone)}
		ids = append(ids, c.ID)
	}
	rows, pastHorizon, err := s.st.ViewWindow(ctx, ids, store.Micro(from), store.Micro(to))
	if err != nil {
		return nil, err
	}
	if v.infos, err = s.objectInfos(ctx, v.byID, rows); err != nil {
		return nil, err
	}
	out := make([]Item, 0, len(rows))
	for _, r := range rows {
		info, ok := v.infos[r.ObjectID]
		if !ok {
			continue // deleted since the index was read
		}
		oc, _ := occurrence(r, v.byID[r.CalendarID].zone)
		if oc.overlaps(from, to) {
			out = append(out, Item{Occurrence: oc, ObjectUUID: info.uuid, Component: r.Component})
		}
	}
	if pastHorizon {
		beyond, err := v.beyondHorizon(ctx, ids, from, to)
		if err != nil {
			return nil, err
		}
		out = append(out, beyond...)
	}
	if err := v.summarizeLegacy(ctx, out); err != nil {
		return nil, err
	}
	for i := range out {
		if v.byID[out[i].CalendarID].role >= RoleReader {
			out[i].Summary = v.infos[out[i].ObjectID].sums.Of(out[i].Component)
		}
	}
	SortItems(out)
	return budgetSeries(out, s.SeriesBudget(), func(it *Item) *Occurrence { return &it.Occurrence }), nil
}

// SortItems orders items by start, then object, then recurrence id: the
// order in which list answers are paged. Items are large, so it sorts
// their indexes and moves each item once.
func SortItems(list []Item) {
	idx := make([]int32, len(list))
	for i := range idx {
		idx[i] = int32(i)
	}
	slices.SortFunc(idx, func(i, j int32) int {
		a, b := &list[i], &list[j]
		if c := a.Start.Compare(b.Start); c != 0 {
			return c
		}
		if c := strings.Compare(a.ObjectUUID, b.ObjectUUID); c != 0 {
			return c
		}
		return a.RecurrenceID.Compare(b.RecurrenceID)
	})
	sorted := make([]Item, len(list))
	for i, j := range idx {
		sorted[i] = list[j]
	}
	copy(list, sorted)
}

type viewCal struct {
	cal  *store.Calendar
	role Role
	zone *time.Location
}

// viewQuery holds the state of one Items call.
type viewQuery struct {
	svc   *Service
	byID  map[int64]viewCal
	infos map[int64]objectInfo // by object id
}

// summarizeLegacy parses the objects stored before summaries existed,
// when a reader is to see their titles.
func (v *viewQuery) summarizeLegacy(ctx context.Context, items []Item) error {
	var ids []int64
	for _, it := range items {
		if info := v.infos[it.ObjectID]; info.sums == nil && v.byID[it.CalendarID].role >= RoleReader {
			ids = append(ids, it.ObjectID)
		}
	}
	if len(ids) == 0 {
		return nil
	}
	slices.Sort(ids)
	objs, err := v.svc.st.GetObjectsByID(ctx, slices.Compact(ids))
	if err != nil {
		return err
	}
	for _, o := range objs {
		if obj, err := icalendar.ParseObject(o.Data, icalendar.Options{}); err == nil {
			sums, _ := DecodeSummaries(summarize(obj))
			v.infos[o.ID] = objectInfo{uuid: o.UUID, sums: sums}
		}
	}
	return nil
}

// beyondHorizon expands, for the part of [from, to) past their indexed
// horizon, the series whose instances are not all in the index.
func (v *viewQuery) beyondHorizon(ctx context.Context, ids []int64, from, to time.Time) ([]Item, error) {
	objs, err := v.svc.st.ObjectsIndexedBeforeAny(ctx, ids, store.Micro(to))
	if err != nil || len(objs) == 0 {
		return nil, err
	}
	var out []Item
	for _, o := range objs {
		obj, err := v.svc.pastHorizon(o, v.byID[o.CalendarID].zone, from, to, func(oc Occurrence, component int) {
			out = append(out, Item{Occurrence: oc, ObjectUUID: o.UUID, Component: component})
		})
		if err != nil {
			return nil, err
		}
		if obj != nil {
			sums, _ := DecodeSummaries(summarize(obj))
			v.infos[o.ID] = objectInfo{uuid: o.UUID, sums: sums}
		}
	}
	return out, nil
}
