package icalendar

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/emersion/go-ical"
)

// Liberal parsing in one place. Clients write values that RFC 5545 does
// not allow but whose meaning is plain enough, and refusing them would stop
// that client's sync for good. Each rule below names the leniency (a Fix,
// recorded in Calendar.Fixes) and the RFC text it relaxes, and leaves the
// value in one canonical shape in the parsed tree, so that every consumer
// (the time-range index, scheduling, the JSON API) reads the same thing.
// Calendar.Raw, which the server stores and serves, keeps the client's
// bytes. With Options.Strict every leniency is an error instead.
//
// The canonical shapes:
//
//   - sloppy-duration: "P1DT", "PT" and "P1H" become P1D, PT0S and PT1H.
//   - date-dtstamp: a DATE DTSTAMP becomes midnight UTC of that day.
//   - bad-sequence: a SEQUENCE that is not a non-negative integer becomes 0.
//   - unknown-status: kept as written; it is read as not cancelled
//     (scheduling, free/busy and views only act on the values they know).
//   - unknown-transp: becomes OPAQUE, the default (RFC 5545 §3.8.2.7).
//   - end-and-duration: DURATION is dropped; DTEND or DUE, the explicit
//     end, stays.
//   - duration-without-start: DURATION is dropped; it has nothing to count
//     from.
//   - end-value-type: DTEND or DUE becomes a value of DTSTART's type. A
//     DATE-TIME end of a DATE start becomes the day it falls on, or the
//     next day if it is past midnight (the event covers the days it
//     touches); a DATE end of a DATE-TIME start becomes midnight of that
//     day in DTSTART's zone (floating for a floating start); a floating end
//     of a zoned or UTC start is read in DTSTART's zone, and a zoned or UTC
//     end of a floating start becomes its wall clock, floating.
//   - end-before-start: a VTODO is due when it starts (DUE = DTSTART); any
//     other component lasts zero time, or one day when DTSTART is a DATE
//     (an all-day event's DTEND at or before its start, too). A negative
//     DURATION is treated alike (PT0S, or P1D for a DATE).
//   - date-duration: a DURATION with hours on a DATE DTSTART is rounded up
//     to whole days.
//   - recur-without-dtstart: RRULE, RDATE and EXDATE are kept. A VTODO
//     with DUE recurs from its DUE (package recurrence); anything else
//     without DTSTART has no recurrence set and does not recur.
type normRule struct {
	fix   Fix
	rfc   string
	apply func(*Component) (*change, error)
}

// change says what a rule found, for the error of strict validation.
type change struct {
	prop, msg string
}

// normRules apply in this order: each reads the shape the previous ones
// left (the end's type is settled before the end is compared with the
// start).
var normRules = []normRule{
	{FixSloppyDuration, "RFC 5545 §3.3.6", normDurations},
	{FixDateStamp, "RFC 5545 §3.8.7.2", normStamp},
	{FixBadSequence, "RFC 5545 §3.8.7.4", normSequence},
	{FixUnknownStatus, "RFC 5545 §3.8.1.11", normStatus},
	{FixUnknownTransp, "RFC 5545 §3.8.2.7", normTransp},
	{FixEndAndDuration, "RFC 5545 §3.6.1, §3.6.2", normEndAndDuration},
	{FixDurationWithoutStart, "RFC 5545 §3.6.2", normDurationWithoutStart},
	{FixEndValueType, "RFC 5545 §3.8.2.2, §3.8.2.3", normEndType},
	{FixEndBeforeStart, "RFC 5545 §3.8.2.2, §3.8.2.3, §3.8.2.5", normEndOrder},
	{FixDateDuration, "RFC 5545 §3.8.2.5", normDateDuration},
	{FixRecurWithoutStart, "RFC 5545 §3.8.5.3", normRecurAnchor},
}

// normalize applies the rules to one component. A value a rule cannot
// read is left for validation to report.
func (c *Calendar) normalize(comp *Component, opt Options) error {
	for _, r := range normRules {
		ch, err := r.apply(comp)
		if err != nil {
			return err
		}
		if ch == nil {
			continue
		}
		e := propError(comp, ch.prop, "%s (%s)", ch.msg, r.rfc)
		if err := c.lenient(opt, r.fix, e); err != nil {
			return err
		}
	}
	return nil
}

// endName is the property that ends a component: DUE for a VTODO, DTEND for
// the others that have one.
func endName(comp string) string {
	switch comp {
	case ical.CompToDo:
		return ical.PropDue
	case ical.CompEvent, ical.CompFreeBusy, CompAvailability:
		return ical.PropDateTimeEnd
	}
	return ""
}

// normDurations rewrites sloppy DURATION values of the component and of
// its alarms and AVAILABLE subcomponents, and TRIGGERs given as durations.
func normDurations(comp *Component) (*change, error) {
	var found *change
	var walk func(c *ical.Component)
	walk = func(c *ical.Component) {
		for _, name := range []string{ical.PropDuration, ical.PropTrigger} {
			for i := range c.Props[name] {
				p := &c.Props[name][i]
				if strings.EqualFold(p.Params.Get("VALUE"), "DATE-TIME") {
					continue
				}
				if _, err := ParseDuration(p.Value); err == nil {
					continue
				}
				if d, ok := parseSloppyDuration(p.Value); ok {
					found = &change{name, fmt.Sprintf("%q is read as %s", p.Value, d)}
					p.Value = d.String()
				}
			}
		}
		for _, ch := range c.Children {
			walk(ch)
		}
	}
	walk(comp.Component)
	return found, nil
}

func normStamp(comp *Component) (*change, error) {
	p := comp.Props.Get(ical.PropDateTimeStamp)
	if p == nil {
		return nil, nil
	}
	d, err := comp.DateTime(ical.PropDateTimeStamp)
	if err != nil || !d.IsDate() {
		return nil, nil
	}
	setDateTime(comp, ical.PropDateTimeStamp, NewUTC(d.Time))
	return &change{ical.PropDateTimeStamp, "must be a DATE-TIME, not a DATE; read as midnight UTC"}, nil
}

func normSequence(comp *Component) (*change, error) {
	p := comp.Props.Get(ical.PropSequence)
	if p == nil {
		return nil, nil
	}
	if n, err := strconv.Atoi(strings.TrimSpace(p.Value)); err == nil && n >= 0 {
		return nil, nil
	}
	ch := &change{ical.PropSequence, fmt.Sprintf("%q is not a non-negative integer; read as 0", p.Value)}
	p.Value = "0"
	return ch, nil
}

func normStatus(comp *Component) (*change, error) {
	s := comp.Status()
	allowed := statusValues[comp.Name]
	if s == "" || allowed == nil || slices.Contains(allowed, s) {
		return nil, nil
	}
	return &change{ical.PropStatus, fmt.Sprintf("%q is not a STATUS of a %s (%s); kept, and read as not cancelled",
		s, comp.Name, strings.Join(allowed, ", "))}, nil
}

func normTransp(comp *Component) (*change, error) {
	p := comp.Props.Get(ical.PropTransparency)
	if p == nil {
		return nil, nil
	}
	if t := comp.keyword(ical.PropTransparency); t == "OPAQUE" || t == "TRANSPARENT" {
		return nil, nil
	}
	ch := &change{ical.PropTransparency, fmt.Sprintf("%q is neither OPAQUE nor TRANSPARENT; read as OPAQUE", p.Value)}
	p.Value = "OPAQUE"
	return ch, nil
}

func normEndAndDuration(comp *Component) (*change, error) {
	end := endName(comp.Name)
	if end == "" || comp.Props.Get(end) == nil || comp.Props.Get(ical.PropDuration) == nil {
		return nil, nil
	}
	comp.Props.Del(ical.PropDuration)
	return &change{end, "and DURATION must not both occur; DURATION is ignored"}, nil
}

func normDurationWithoutStart(comp *Component) (*change, error) {
	if comp.Props.Get(ical.PropDuration) == nil || comp.Props.Get(ical.PropDateTimeStart) != nil {
		return nil, nil
	}
	comp.Props.Del(ical.PropDuration)
	return &change{ical.PropDuration, "needs a DTSTART to count from; ignored"}, nil
}

// times reads DTSTART and the end of a component; ok is false when either
// is absent or unreadable (validation reports the latter).
func times(comp *Component) (start, end DateTime, name string, ok bool) {
	name = endName(comp.Name)
	if name == "" {
		return start, end, name, false
	}
	start, err1 := comp.Start()
	end, err2 := comp.DateTime(name)
	return start, end, name, err1 == nil && err2 == nil && !start.IsZero() && !end.IsZero()
}

func normEndType(comp *Component) (*change, error) {
	start, end, name, ok := times(comp)
	if !ok || start.IsDate() == end.IsDate() && start.Absolute() == end.Absolute() {
		return nil, nil
	}
	conv := asKindOf(end, start)
	setDateTime(comp, name, conv)
	return &change{name, fmt.Sprintf("is a %s but DTSTART is a %s; read as %s", end.Kind, start.Kind, conv)}, nil
}

// asKindOf converts end to the kind of start, as normEndType documents.
func asKindOf(end, start DateTime) DateTime {
	loc := start.Time.Location()
	switch {
	case start.IsDate():
		w := end.Wall()
		day := NewDate(w)
		if !w.Equal(day.Time) {
			day = NewDate(day.Time.AddDate(0, 0, 1))
		}
		return day
	case start.Kind == Floating:
		return NewFloating(end.Wall())
	case start.Kind == Zoned:
		return NewZoned(end.Wall(), start.TZID, loc)
	}
	return NewUTC(end.Wall()) // start is UTC; the end is a DATE or floating
}

func normEndOrder(comp *Component) (*change, error) {
	if ch := normNegativeDuration(comp); ch != nil {
		return ch, nil
	}
	start, end, name, ok := times(comp)
	if !ok {
		return nil, nil
	}
	loc := start.Time.Location()
	e, s := end.In(loc), start.In(loc)
	oneDay := start.IsDate() && comp.Name != ical.CompToDo
	switch {
	case e.Before(s):
	case oneDay && e.Equal(s):
	default:
		return nil, nil
	}
	fixed := start
	if oneDay {
		fixed = NewDate(start.Time.AddDate(0, 0, 1))
	}
	setDateTime(comp, name, fixed)
	return &change{name, fmt.Sprintf("%s is not after DTSTART %s; read as %s", end, start, fixed)}, nil
}

// normNegativeDuration gives a negative DURATION (and a zero one with a
// DATE, outside a VTODO) the length normEndOrder gives an end before the
// start.
func normNegativeDuration(comp *Component) *change {
	d, has, err := comp.Duration()
	start, serr := comp.Start()
	if !has || err != nil || serr != nil {
		return nil
	}
	oneDay := start.IsDate() && comp.Name != ical.CompToDo
	if !d.Negative && !(oneDay && d.IsZero()) {
		return nil
	}
	fixed := Duration{}
	if oneDay {
		fixed.Days = 1
	}
	p := comp.Props.Get(ical.PropDuration)
	ch := &change{ical.PropDuration, fmt.Sprintf("%s is not a positive length; read as %s", p.Value, fixed)}
	p.Value = fixed.String()
	return ch
}

func normDateDuration(comp *Component) (*change, error) {
	d, has, err := comp.Duration()
	start, serr := comp.Start()
	if !has || err != nil || serr != nil || !start.IsDate() || d.DaysOnly() {
		return nil, nil
	}
	days := d.Weeks*7 + d.Days + int((d.Clock+24*time.Hour-1)/(24*time.Hour))
	fixed := Duration{Negative: d.Negative, Days: days}
	p := comp.Props.Get(ical.PropDuration)
	ch := &change{ical.PropDuration, fmt.Sprintf("%s: DTSTART is a DATE, so the length is in days; read as %s", p.Value, fixed)}
	p.Value = fixed.String()
	return ch, nil
}

func normRecurAnchor(comp *Component) (*change, error) {
	recurs := comp.Props.Get(ical.PropRecurrenceRule) != nil || comp.Props.Get(ical.PropRecurrenceDates) != nil
	if !recurs || comp.Props.Get(ical.PropDateTimeStart) != nil {
		return nil, nil
	}
	if comp.Name == ical.CompToDo && comp.Props.Get(ical.PropDue) != nil {
		return &change{ical.PropDateTimeStart, "is absent: the VTODO recurs from its DUE"}, nil
	}
	return &change{ical.PropDateTimeStart, "is absent, so RRULE and RDATE have nothing to repeat; the component does not recur"}, nil
}

// setDateTime replaces the value of the first property name with d,
// keeping the parameters other than VALUE and TZID.
func setDateTime(comp *Component, name string, d DateTime) {
	p := comp.Props.Get(name)
	if p == nil {
		return
	}
	if p.Params == nil {
		p.Params = ical.Params{}
	}
	p.Params.Del("VALUE")
	p.Params.Del("TZID")
	np := d.Prop(name)
	for k, v := range np.Params {
		p.Params[k] = v
	}
	p.Value = np.Value
}
