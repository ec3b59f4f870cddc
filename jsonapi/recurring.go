package jsonapi

import (
	"fmt"
	"net/http"
	"time"

	"github.com/emersion/go-ical"

	"github.com/almanac/almanac/icalendar"
	"github.com/almanac/almanac/recurrence"
	"github.com/almanac/almanac/store"
)

// scope says which instances of a series an edit or deletion touches.
type scope string

const (
	scopeThis      scope = "this"      // one instance: an override, or an EXDATE
	scopeFollowing scope = "following" // the instance and all after it: a split series
	scopeAll       scope = "all"       // the whole series: the master
)

// parseScope reads ?scope=. An instance id defaults to this instance, an
// event id to the whole event; this and following need an instance.
func parseScope(r *http.Request, id eventID) (scope, error) {
	switch v := scope(r.URL.Query().Get("scope")); v {
	case "":
		if id.instance() {
			return scopeThis, nil
		}
		return scopeAll, nil
	case scopeAll:
		return v, nil
	case scopeThis, scopeFollowing:
		if !id.instance() {
			return "", fieldProblem(http.StatusBadRequest, "scope", "this and following need an instance id ({event id}_{original start})")
		}
		return v, nil
	}
	return "", fieldProblem(http.StatusBadRequest, "scope", "must be this, following or all")
}

// plan is what a change to an event writes.
type plan struct {
	put   *ical.Component // the object's new data (nil: unchanged)
	del   bool            // delete the object
	split *ical.Component // a new object: the rest of a series split for "following"
}

// planEdit applies an edit to the parsed object s, in place, as the scope
// asks.
func planEdit(s *stored, id eventID, sc scope, ed *editor) (plan, error) {
	vcal := s.ical.Calendar.Component
	if !id.instance() {
		return plan{put: vcal}, editSeries(s, ed)
	}
	in, ok, err := findInstance(s, id.rid)
	if err != nil {
		return plan{}, err
	}
	if !ok {
		return plan{}, errNotFound
	}
	switch {
	case sc == scopeThis:
		return plan{put: vcal}, editInstance(s, in, ed)
	case sc == scopeAll || isFirst(s, id.rid):
		return plan{put: vcal}, editFromInstance(s, in, ed)
	}
	return editFollowing(s, id.rid, ed)
}

// planDelete removes what the scope asks.
func planDelete(s *stored, id eventID, sc scope, now time.Time) (plan, error) {
	if !id.instance() || sc == scopeAll || isFirst(s, id.rid) && sc == scopeFollowing {
		return plan{del: true}, nil
	}
	if _, ok, err := findInstance(s, id.rid); err != nil || !ok {
		if err == nil {
			err = errNotFound
		}
		return plan{}, err
	}
	if sc == scopeFollowing {
		before, _, err := recurrence.Split(s.ical, id.rid, store.NewUUID(), recurrence.Options{})
		if err != nil {
			return plan{}, invalid("scope", "%v", err)
		}
		touch(masterOf(before), now, true)
		return plan{put: before}, nil
	}
	return deleteInstance(s, id.rid, now)
}

// isFirst reports whether rid is the series' first instance (DTSTART),
// where "this and following" means the whole series.
func isFirst(s *stored, rid time.Time) bool {
	m := s.ical.Master()
	if m == nil {
		return false
	}
	st, err := m.Start()
	return err == nil && ridKey(st).Equal(rid)
}

// editSeries edits the master. A master that stops recurring loses its
// overrides; one whose start moves takes its exceptions along.
func editSeries(s *stored, ed *editor) error {
	m := s.ical.Master()
	if m == nil {
		return invalid("id", "this event holds single instances only; change them by their instance ids")
	}
	cur, err := currentSpan(m)
	if err != nil {
		return err
	}
	ed.cur = cur
	if err := ed.apply(m.Component, false); err != nil {
		return err
	}
	vcal := s.ical.Calendar.Component
	switch {
	case m.Props.Get(ical.PropRecurrenceRule) == nil && m.Props.Get(ical.PropRecurrenceDates) == nil:
		dropOverrides(vcal)
		m.Props.Del(ical.PropExceptionDates)
	case !sameValue(cur.start, ed.cur.start):
		if err := shiftExceptions(s.ical, m, cur.start, ed.cur.start); err != nil {
			return err
		}
		fallthrough
	case ed.recurChanged:
		pruneOrphans(vcal)
	}
	syncTimezones(vcal, ed.written)
	return nil
}

// pruneOrphans drops the overrides and EXDATEs that no longer name an
// instance of the series, as a changed rule or start can leave them: an
// override of no instance would show as an extra one (RFC 5545 §3.8.4.4
// has RECURRENCE-ID name an instance of the recurrence set).
func pruneOrphans(vcal *ical.Component) {
	var comps []*ical.Component
	for _, c := range vcal.Children {
		if c.Name != ical.CompTimezone {
			comps = append(comps, c)
		}
	}
	master := masterOf(vcal)
	occurs, ok := occurrenceTest(vcal, master)
	if !ok {
		return // invalid data: validation will say why
	}
	data, _ := icalendar.Marshal(vcal)
	obj, err := icalendar.ParseObject(data, icalendar.Options{})
	if err != nil || len(obj.Components) != len(comps) {
		return
	}
	for i, c := range obj.Components {
		if r, err := c.RecurrenceID(); err == nil && !r.IsZero() && !occurs(ridKey(r.DateTime)) {
			removeChild(vcal, comps[i])
		}
	}
	m := obj.Master()
	exdates, err := m.ExDates()
	st, serr := m.Start()
	if err != nil || serr != nil {
		return
	}
	master.Props.Del(ical.PropExceptionDates)
	for _, d := range exdates {
		if occurs(ridKey(d)) {
			master.Props.Add(atForm(ridKey(d), st).Prop(ical.PropExceptionDates))
		}
	}
}

// occurrenceTest returns whether the master alone (no exceptions) has an
// instance with a given recurrence id.
func occurrenceTest(vcal, master *ical.Component) (func(time.Time) bool, bool) {
	bare := ical.NewComponent(ical.CompCalendar)
	bare.Props = vcal.Props
	for _, c := range vcal.Children {
		if c.Name == ical.CompTimezone {
			bare.Children = append(bare.Children, c)
		}
	}
	bare.Children = append(bare.Children, copyComponent(master, ical.PropExceptionDates))
	data, err := icalendar.Marshal(bare)
	if err != nil {
		return nil, false
	}
	obj, err := icalendar.ParseObject(data, icalendar.Options{})
	if err != nil {
		return nil, false
	}
	series, err := recurrence.NewSeries(obj, recurrence.Options{})
	if err != nil {
		return nil, false
	}
	return func(rid time.Time) bool {
		list, _ := series.Expand(rid.Add(-time.Second), rid.Add(time.Second))
		for _, in := range list {
			if in.RecurrenceID.Equal(rid) {
				return true
			}
		}
		return false
	}, true
}

// editInstance edits one instance: its override, made from the master
// when there is none yet (RFC 5545 §3.8.4.4: same UID, RECURRENCE-ID the
// original start in the form of DTSTART).
func editInstance(s *stored, in recurrence.Instance, ed *editor) error {
	var raw *ical.Component
	if c := overrideAt(s, in.RecurrenceID); c != nil {
		cur, err := currentSpan(c)
		if err != nil {
			return err
		}
		raw, ed.cur = c.Component, cur
	} else {
		m := s.ical.Master()
		if m == nil {
			return errNotFound
		}
		startForm, endForm, err := timeForms(m)
		if err != nil {
			return err
		}
		raw = copyComponent(m.Component, recurrenceProps...)
		raw.Props.Set(atForm(in.RecurrenceID, startForm).Prop(ical.PropRecurrenceID))
		ed.cur = span{atForm(in.Start, startForm), atForm(in.End, endForm)}
		raw.Props.Set(ed.cur.start.Prop(ical.PropDateTimeStart))
		raw.Props.Set(ed.cur.end.Prop(ical.PropDateTimeEnd))
		raw.Props.Del(ical.PropDuration)
		s.ical.Calendar.Children = append(s.ical.Calendar.Children, raw)
	}
	if err := ed.apply(raw, true); err != nil {
		return err
	}
	syncTimezones(s.ical.Calendar.Component, ed.written)
	return nil
}

// editFromInstance edits the whole series through one of its instances:
// a new start or end for the instance moves every instance alike.
func editFromInstance(s *stored, in recurrence.Instance, ed *editor) error {
	m := s.ical.Master()
	if m == nil {
		return errNotFound
	}
	cur, err := currentSpan(m)
	if err != nil {
		return err
	}
	req := *ed.in
	if req.Start != nil {
		ns, err := parseEventTime("start", req.Start)
		if err != nil {
			return err
		}
		if ns.IsDate() != cur.start.IsDate() {
			return invalid("start", "cannot change between a date and a date_time through one instance; change the series by its own id")
		}
		// The instance's place in the series, in the series' wall clock.
		off := wallIn(atForm(in.Start, cur.start), cur.start).Sub(wallIn(cur.start, cur.start))
		start := atWall(wallIn(ns, ns).Add(-off), ns)
		req.Start = ptr(eventTimeOf(start))
		if req.End != nil {
			ne, err := parseEventTime("end", req.End)
			if err != nil {
				return err
			}
			length := ne.In(time.UTC).Sub(ns.In(time.UTC))
			req.End = ptr(eventTimeOf(atForm(start.In(time.UTC).Add(length), ne)))
		}
	} else if req.End != nil {
		return invalid("end", "needs start when it changes every instance through one of them")
	}
	ed.in = &req
	return editSeries(s, ed)
}

// editFollowing splits the series before the instance at rid
// (recurrence.Split: the old series ends with UNTIL or a smaller COUNT, a
// new one with a new UID and RELATED-TO starts there) and edits the new
// series, whose first instance is that one.
func editFollowing(s *stored, rid time.Time, ed *editor) (plan, error) {
	before, after, err := recurrence.Split(s.ical, rid, store.NewUUID(), recurrence.Options{})
	if err != nil {
		return plan{}, invalid("scope", "%v", err)
	}
	data, err := icalendar.Marshal(after)
	if err != nil {
		return plan{}, err
	}
	obj, err := icalendar.ParseObject(data, icalendar.Options{})
	if err != nil {
		return plan{}, err
	}
	rest := &stored{ical: obj}
	if err := editSeries(rest, ed); err != nil {
		return plan{}, err
	}
	touch(masterOf(before), ed.now, true)
	return plan{put: before, split: obj.Calendar.Component}, nil
}

// deleteInstance removes one instance: its override, and with an EXDATE
// in the master (RFC 5545 §3.8.5.1) the occurrence itself.
func deleteInstance(s *stored, rid time.Time, now time.Time) (plan, error) {
	vcal := s.ical.Calendar.Component
	if c := overrideAt(s, rid); c != nil {
		removeChild(vcal, c.Component)
	}
	if m := s.ical.Master(); m != nil {
		st, err := m.Start()
		if err != nil {
			return plan{}, err
		}
		m.Props.Add(atForm(rid, st).Prop(ical.PropExceptionDates))
		touch(m.Component, now, true)
	}
	for _, c := range vcal.Children {
		if c.Name != ical.CompTimezone {
			syncTimezones(vcal, nil)
			return plan{put: vcal}, nil
		}
	}
	return plan{del: true}, nil
}

// shiftExceptions moves EXDATEs and RECURRENCE-IDs along with a series
// whose start moved from old to new, keeping each at the same place
// relative to the start in the series' wall clock. When the series
// changes between dates and times there is no such place: they go.
func shiftExceptions(obj *icalendar.Object, m *icalendar.Component, old, new icalendar.DateTime) error {
	vcal := obj.Calendar.Component
	if old.IsDate() != new.IsDate() {
		m.Props.Del(ical.PropExceptionDates)
		dropOverrides(vcal)
		return nil
	}
	move := func(d icalendar.DateTime) icalendar.DateTime {
		off := wallIn(d, old).Sub(wallIn(old, old))
		return atWall(wallIn(new, new).Add(off), new)
	}
	exdates, err := m.ExDates()
	if err != nil {
		return err
	}
	m.Props.Del(ical.PropExceptionDates)
	for _, d := range exdates {
		m.Props.Add(move(d).Prop(ical.PropExceptionDates))
	}
	for _, c := range obj.Overrides() {
		r, err := c.RecurrenceID()
		if err != nil {
			return err
		}
		p := move(r.DateTime).Prop(ical.PropRecurrenceID)
		if r.ThisAndFuture {
			p.Params.Set(ical.ParamRange, "THISANDFUTURE")
		}
		c.Props.Set(p)
	}
	return nil
}

// wallIn is the wall clock at which d falls in the zone of form, labelled
// UTC: the clock a series with that DTSTART counts in.
func wallIn(d icalendar.DateTime, form icalendar.DateTime) time.Time {
	switch form.Kind {
	case icalendar.Zoned:
		t := d.In(form.Time.Location()).In(form.Time.Location())
		return time.Date(t.Year(), t.Month(), t.Day(), t.Hour(), t.Minute(), t.Second(), 0, time.UTC)
	case icalendar.UTC:
		return d.In(time.UTC).UTC()
	}
	return d.Wall()
}

// atWall is the value of form's kind and zone showing the wall clock w.
func atWall(w time.Time, form icalendar.DateTime) icalendar.DateTime {
	switch form.Kind {
	case icalendar.Date:
		return icalendar.NewDate(w)
	case icalendar.Floating:
		return icalendar.NewFloating(w)
	case icalendar.Zoned:
		return icalendar.NewZoned(w, form.TZID, form.Time.Location())
	}
	return icalendar.NewUTC(w)
}

// dropOverrides removes every component with a RECURRENCE-ID.
func dropOverrides(vcal *ical.Component) {
	kept := vcal.Children[:0]
	for _, c := range vcal.Children {
		if c.Props.Get(ical.PropRecurrenceID) == nil {
			kept = append(kept, c)
		}
	}
	vcal.Children = kept
}

// masterOf returns the VCALENDAR's component without RECURRENCE-ID.
func masterOf(vcal *ical.Component) *ical.Component {
	for _, c := range vcal.Children {
		if c.Name != ical.CompTimezone && c.Props.Get(ical.PropRecurrenceID) == nil {
			return c
		}
	}
	return nil
}

func removeChild(vcal, child *ical.Component) {
	for i, c := range vcal.Children {
		if c == child {
			vcal.Children = append(vcal.Children[:i], vcal.Children[i+1:]...)
			return
		}
	}
}

// touch stamps a component changed now (DTSTAMP and LAST-MODIFIED) and,
// for a significant change, raises its SEQUENCE (RFC 5545 §3.8.7.4).
func touch(c *ical.Component, now time.Time, significant bool) {
	stamp := now.UTC().Format("20060102T150405Z")
	setValue(c, ical.PropDateTimeStamp, stamp)
	setValue(c, ical.PropLastModified, stamp)
	if significant {
		seq := 0
		if p := c.Props.Get(ical.PropSequence); p != nil {
			seq, _ = p.Int()
		}
		setValue(c, ical.PropSequence, fmt.Sprint(seq+1))
	}
}

// copyComponent copies c deeply, without the properties named in skip.
func copyComponent(c *ical.Component, skip ...string) *ical.Component {
	out := &ical.Component{Name: c.Name, Props: make(ical.Props, len(c.Props))}
	for name, props := range c.Props {
		if contains(skip, name) {
			continue
		}
		cp := make([]ical.Prop, len(props))
		for i, p := range props {
			cp[i] = ical.Prop{Name: p.Name, Value: p.Value, Params: make(ical.Params, len(p.Params))}
			for k, v := range p.Params {
				cp[i].Params[k] = append([]string(nil), v...)
			}
		}
		out.Props[name] = cp
	}
	for _, ch := range c.Children {
		out.Children = append(out.Children, copyComponent(ch))
	}
	return out
}

func ptr[T any](v T) *T { return &v }
