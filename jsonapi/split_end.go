package jsonapi

import (
	"context"
	"strings"
	"time"

	"github.com/emersion/go-ical"

	"github.com/almanac/almanac/icalendar"
	"github.com/almanac/almanac/recurrence"
)

// A series split by "this and following" ends just before the instance
// where the other part starts (recurrence.Split); from there on its
// occurrences belong to the new series, which names the old one in
// RELATED-TO;RELTYPE=SIBLING. An edit of the old series that lets its rule
// run past its end again would show those occurrences twice: once from
// each series. The last instance of the series before the edit is its
// bound; an edited rule that goes past it, while a split-off series
// exists, is ended at the bound instead (UNTIL, RFC 5545 §3.3.10, is
// inclusive), and a series moved wholly past it is refused.

// splitGuard is what keepSplitEnd needs to know of the series before an
// edit: the bound, when the edit may change the rule of a series that ends.
type splitGuard struct {
	bound time.Time
	ok    bool
	ed    *editor
}

// guardSplitEnd reads the bound of s before an edit of the whole series
// that names its recurrence.
func guardSplitEnd(s *stored, in *EventRequest, ed *editor, sc scope) splitGuard {
	if sc != scopeAll || !in.has("recurrence", ed.replace) {
		return splitGuard{}
	}
	b, ok := splitBound(s)
	return splitGuard{bound: b, ok: ok, ed: ed}
}

// splitBound is the recurrence id of the last instance of the stored
// series, when its rule ends; ok is false for an endless series or one
// without a rule.
func splitBound(s *stored) (bound time.Time, ok bool) {
	m := s.ical.Master()
	if m == nil {
		return time.Time{}, false
	}
	recs, err := m.RRules()
	if err != nil || len(recs) == 0 {
		return time.Time{}, false
	}
	for _, r := range recs {
		if r.Until.IsZero() && r.Count == 0 {
			return time.Time{}, false
		}
	}
	series, err := recurrence.NewSeries(s.ical, recurrence.Options{})
	if err != nil {
		return time.Time{}, false
	}
	res, err := series.Materialize(time.Date(9999, 1, 1, 0, 0, 0, 0, time.UTC))
	if err != nil || res.More {
		return time.Time{}, false
	}
	for i := len(res.Instances) - 1; i >= 0; i-- {
		if in := res.Instances[i]; !in.RecurrenceID.IsZero() {
			return in.RecurrenceID, true
		}
	}
	return time.Time{}, false
}

// keepSplitEnd ends the series p writes at the guard's bound when its new
// rule would recur past it and a series split off from it exists in its
// calendar.
func (a *API) keepSplitEnd(ctx context.Context, s *stored, p plan, g splitGuard) error {
	if !g.ok || !g.ed.recurChanged || p.put == nil || p.split != nil {
		return nil
	}
	vcal, bound := p.put, g.bound
	data, err := icalendar.Marshal(vcal)
	if err != nil {
		return nil // encodeChecked reports it
	}
	obj, err := icalendar.ParseObject(data, icalendar.Options{})
	if err != nil {
		return nil
	}
	series, err := recurrence.NewSeries(obj, recurrence.Options{})
	if err != nil {
		return nil
	}
	after := bound.Add(time.Second)
	list, _ := series.Expand(after, after.AddDate(5, 0, 0))
	past := false
	for _, in := range list {
		if !in.Override && in.RecurrenceID.After(bound) {
			past = true
			break
		}
	}
	if !past {
		return nil
	}
	split, err := a.hasSplitOff(ctx, s, obj.UID)
	if err != nil || !split {
		return err
	}
	m := obj.Master()
	start, err := m.Start()
	if err != nil {
		return nil
	}
	if first, _ := series.Expand(time.Time{}, after); len(first) == 0 {
		return invalid("start", "this series was split: from %s on its events belong to the other part; change that one instead",
			bound.Format("2006-01-02"))
	}
	var until icalendar.DateTime
	switch {
	case start.IsDate():
		until = icalendar.NewDate(bound)
	case start.Absolute():
		until = icalendar.NewUTC(bound)
	default:
		until = icalendar.NewFloating(bound)
	}
	master := masterOf(vcal)
	rules := master.Props.Values(ical.PropRecurrenceRule)
	master.Props.Del(ical.PropRecurrenceRule)
	for _, p := range rules {
		r, err := icalendar.ParseRecur(p.Value)
		if err != nil {
			return nil
		}
		r.Count, r.Until = 0, until
		p.Value = r.String()
		master.Props.Add(&p)
	}
	return nil
}

// hasSplitOff reports whether the calendar holds a series split off from
// the one with uid: a resource naming it as its sibling.
func (a *API) hasSplitOff(ctx context.Context, s *stored, uid string) (bool, error) {
	// RELATED-TO may be folded after 75 octets; the name of the property
	// and its parameter take 27, so the first 40 of the UID are on its
	// first line.
	needle := uid
	if len(needle) > 40 {
		needle = needle[:40]
	}
	objs, err := a.store.ObjectsMentioning(ctx, s.cal.ID, needle)
	if err != nil {
		return false, err
	}
	for _, o := range objs {
		if o.UID == uid {
			continue
		}
		parsed, err := icalendar.ParseObject(o.Data, icalendar.Options{})
		if err != nil {
			continue
		}
		for _, c := range parsed.Components {
			for _, p := range c.Props.Values(ical.PropRelatedTo) {
				if p.Value == uid && strings.EqualFold(p.Params.Get("RELTYPE"), "SIBLING") {
					return true, nil
				}
			}
		}
	}
	return false, nil
}
