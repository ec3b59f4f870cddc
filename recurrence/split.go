package recurrence

import (
	"fmt"
	"strings"
	"time"

	"github.com/emersion/go-ical"

	"github.com/almanac/almanac/icalendar"
)

// Split divides a recurring object for a "this and following" edit:
// iCalendar has no such operation, so clients end the series before the
// instance and start a new one there. rid is the instance's RecurrenceID
// (as Instance reports it). Split returns two VCALENDARs ready to store:
//
//   - before keeps the UID; its rules end just before rid (COUNT reduced,
//     else UNTIL set), and it keeps the RDATEs, EXDATEs and overrides
//     before rid;
//   - after has the UID newUID and starts at rid, with the rules' remaining
//     COUNT or their UNTIL, the RDATEs, EXDATEs and overrides from rid on,
//     and RELATED-TO;RELTYPE=SIBLING naming the old UID.
//
// Both carry the VTIMEZONEs of the object. Split fails when rid is not an
// instance after the first, and when a RANGE=THISANDFUTURE override before
// rid would have to be folded into the new series.
func Split(obj *icalendar.Object, rid time.Time, newUID string, opt Options) (before, after *ical.Component, err error) {
	s, err := NewSeries(obj, opt)
	if err != nil {
		return nil, nil, err
	}
	m := s.master
	if m == nil || !m.recurring {
		return nil, nil, fmt.Errorf("recurrence: split: the object has no recurring master")
	}
	if err := s.checkSplit(rid); err != nil {
		return nil, nil, err
	}
	master := obj.Components[m.index]
	before, after = newCalendar(obj), newCalendar(obj)
	b, a := icalendar.CloneComponent(master.Component), icalendar.CloneComponent(master.Component)
	if err := s.truncate(b, a, master, rid); err != nil {
		return nil, nil, err
	}
	if err := s.moveStart(a, master, rid); err != nil {
		return nil, nil, err
	}
	a.Props.SetText(ical.PropUID, newUID)
	related := ical.NewProp(ical.PropRelatedTo)
	related.Params.Set("RELTYPE", "SIBLING")
	related.Value = obj.UID
	a.Props.Add(related)
	before.Children = append(before.Children, b)
	after.Children = append(after.Children, a)
	for _, o := range s.overrides {
		c := icalendar.CloneComponent(obj.Components[o.index].Component)
		if o.rid.Before(rid) {
			before.Children = append(before.Children, c)
			continue
		}
		c.Props.SetText(ical.PropUID, newUID)
		after.Children = append(after.Children, c)
	}
	return before, after, nil
}

func (s *Series) checkSplit(rid time.Time) error {
	m := s.master
	if !rid.After(m.startAt) {
		return fmt.Errorf("recurrence: split: %s is the first instance (or before it): change the whole series instead", rid.Format(time.RFC3339))
	}
	occ, err := m.occurrences(rid, rid.Add(time.Nanosecond), 1, nil)
	if err != nil {
		return err
	}
	if len(occ) == 0 {
		return fmt.Errorf("recurrence: split: %s is not an instance of the series", rid.Format(time.RFC3339))
	}
	for _, o := range s.overrides {
		if o.future && o.rid.Before(rid) {
			return fmt.Errorf("recurrence: split: the RANGE=THISANDFUTURE override of %s comes first; apply it to the master before splitting",
				o.rid.Format(time.RFC3339))
		}
	}
	return nil
}

// truncate ends b's rules before rid and gives a what remains of them, and
// shares out RDATE and EXDATE values.
func (s *Series) truncate(b, a *ical.Component, master *icalendar.Component, rid time.Time) error {
	m := s.master
	b.Props.Del(ical.PropRecurrenceRule)
	a.Props.Del(ical.PropRecurrenceRule)
	recs, err := master.RRules()
	if err != nil {
		return err
	}
	for _, rec := range recs {
		n, err := m.countBefore(rec, rid, s.lim)
		if err != nil {
			return err
		}
		head, tail := rec, rec
		if rec.Count > 0 {
			head.Count, tail.Count = n, rec.Count-n
		} else {
			head.Until = m.justBefore(rid)
		}
		addRule(b, head)
		if rec.Count == 0 || tail.Count > 0 {
			addRule(a, tail)
		}
	}
	for _, name := range []string{ical.PropRecurrenceDates, ical.PropExceptionDates} {
		if err := m.shareDates(b, a, master, name, rid); err != nil {
			return err
		}
	}
	return nil
}

func addRule(c *ical.Component, rec icalendar.Recur) {
	p := ical.NewProp(ical.PropRecurrenceRule)
	p.Value = rec.String()
	c.Props.Add(p)
}

// countBefore counts the series' instances from rec before rid, DTSTART
// included (it counts as the first, RFC 5545 §3.3.10).
func (m *master) countBefore(rec icalendar.Recur, rid time.Time, lim Limits) (int, error) {
	if rec.Count == 0 {
		return 0, nil
	}
	r, err := NewRule(rec, m.start, lim)
	if err != nil {
		return 0, err
	}
	extra := 0
	if !r.produces(m.startAt) {
		extra, rec.Count = 1, rec.Count-1
		if rec.Count == 0 {
			return 1, nil
		}
		if r, err = NewRule(rec, m.start, lim); err != nil {
			return 0, err
		}
	}
	got, err := r.Between(MinTime, rid, rec.Count)
	return len(got) + extra, err
}

// justBefore is the UNTIL that ends a series before rid, in the form RFC
// 5545 §3.3.10 requires: a DATE for a DATE DTSTART, UTC for a zoned or UTC
// one, floating for a floating one.
func (m *master) justBefore(rid time.Time) icalendar.DateTime {
	switch {
	case m.start.IsDate():
		return icalendar.NewDate(rid.AddDate(0, 0, -1))
	case m.start.Absolute():
		return icalendar.NewUTC(rid.Add(-time.Second))
	}
	return icalendar.NewFloating(rid.Add(-time.Second))
}

// shareDates puts each RDATE or EXDATE value in b or a by its start.
func (m *master) shareDates(b, a *ical.Component, master *icalendar.Component, name string, rid time.Time) error {
	b.Props.Del(name)
	a.Props.Del(name)
	for _, p := range master.Props.Values(name) {
		var early, late []string
		for _, item := range strings.Split(p.Value, ",") {
			if item = strings.TrimSpace(item); item == "" {
				continue
			}
			start, _, _ := strings.Cut(item, "/") // a PERIOD starts before its "/"
			d, err := icalendar.ParseDateTime(start, ical.Params{"TZID": p.Params["TZID"]}, master.Calendar().Location)
			if err != nil {
				return err
			}
			if keyOf(d, m.start, m.loc).Before(rid) {
				early = append(early, item)
			} else {
				late = append(late, item)
			}
		}
		addValues(b, p, early)
		addValues(a, p, late)
	}
	return nil
}

func addValues(c *ical.Component, p ical.Prop, values []string) {
	if len(values) > 0 {
		q := icalendar.CloneProp(p)
		q.Value = strings.Join(values, ",")
		c.Props.Add(&q)
	}
}

// moveStart sets a's DTSTART to rid and moves DTEND with it (DURATION
// needs no change).
func (s *Series) moveStart(a *ical.Component, master *icalendar.Component, rid time.Time) error {
	m := s.master
	start := m.newStart(rid)
	a.Props.Set(start.Prop(ical.PropDateTimeStart))
	end, err := master.End()
	if err != nil || end.IsZero() {
		return err
	}
	length := end.In(m.loc).Sub(m.start.In(m.loc))
	newEnd := start.In(m.loc).Add(length)
	var d icalendar.DateTime
	switch end.Kind {
	case icalendar.Date:
		d = icalendar.NewDate(newEnd)
	case icalendar.UTC:
		d = icalendar.NewUTC(newEnd)
	case icalendar.Zoned:
		d = icalendar.NewZoned(newEnd.In(end.Time.Location()), end.TZID, end.Time.Location())
	default:
		d = icalendar.NewFloating(newEnd)
	}
	a.Props.Set(d.Prop(ical.PropDateTimeEnd))
	return nil
}

// newStart writes rid in the master's DTSTART form. A rule without BYHOUR,
// BYMINUTE or BYSECOND repeats DTSTART's written time of day, which a
// daylight saving gap may have moved in rid: keep the written one.
func (m *master) newStart(rid time.Time) icalendar.DateTime {
	wall := wallIn(rid, m.loc)
	switch m.start.Kind {
	case icalendar.Date:
		return icalendar.NewDate(wall)
	case icalendar.UTC:
		return icalendar.NewUTC(rid)
	}
	if w := m.start.Wall(); !m.hasTimeParts() {
		wall = time.Date(wall.Year(), wall.Month(), wall.Day(), w.Hour(), w.Minute(), w.Second(), 0, time.UTC)
	}
	if m.start.Kind == icalendar.Floating {
		return icalendar.NewFloating(wall)
	}
	return icalendar.NewZoned(wall, m.start.TZID, m.loc)
}

func (m *master) hasTimeParts() bool {
	for _, r := range m.rules {
		if r.recur.Freq < icalendar.Daily || len(r.declared.ByHour)+len(r.declared.ByMinute)+len(r.declared.BySecond) > 0 {
			return true
		}
	}
	return false
}

func newCalendar(obj *icalendar.Object) *ical.Component {
	cal := ical.NewComponent(ical.CompCalendar)
	for _, name := range []string{ical.PropVersion, ical.PropProductID, ical.PropCalendarScale} {
		for _, p := range obj.Calendar.Props.Values(name) {
			cal.Props.Add(&p)
		}
	}
	for _, tz := range obj.Timezones {
		cal.Children = append(cal.Children, icalendar.CloneComponent(tz))
	}
	return cal
}
