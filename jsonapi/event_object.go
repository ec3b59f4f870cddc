package jsonapi

import (
	"errors"
	"net/http"
	"regexp"
	"strings"
	"time"

	"github.com/emersion/go-ical"

	"github.com/almanac/almanac/icalendar"
	"github.com/almanac/almanac/recurrence"
	"github.com/almanac/almanac/store"
	"github.com/almanac/almanac/timezone"
)

// prodID names the JSON API as the producer of the data it writes
// (RFC 5545 §3.7.3).
const prodID = "-//Almanac//JSON API//EN"

// newEventCalendar is the VCALENDAR of a new event: a VEVENT with its
// identity and timestamps, which the editor fills in.
func newEventCalendar(uid string, now time.Time) (vcal, ev *ical.Component) {
	vcal = ical.NewComponent(ical.CompCalendar)
	for name, v := range map[string]string{ical.PropVersion: "2.0", ical.PropProductID: prodID} {
		p := ical.NewProp(name)
		p.Value = v
		vcal.Props.Set(p)
	}
	ev = ical.NewComponent(ical.CompEvent)
	stamp := now.UTC().Format("20060102T150405Z")
	for name, v := range map[string]string{ical.PropUID: uid, ical.PropCreated: stamp, ical.PropDateTimeStamp: stamp} {
		p := ical.NewProp(name)
		p.Value = v
		ev.Props.Set(p)
	}
	vcal.Children = append(vcal.Children, ev)
	return vcal, ev
}

var (
	uidRE  = regexp.MustCompile(`^[\x21-\x7e]{1,255}$`)
	nameRE = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._~@+-]{0,120}$`)
)

// checkUID accepts a UID given on creation: printable ASCII without
// spaces, which every client can store and compare (RFC 5545 §3.8.4.7
// asks only for global uniqueness).
func checkUID(uid string) error {
	if !uidRE.MatchString(uid) {
		return invalid("uid", "must be 1 to 255 printable ASCII characters without spaces")
	}
	return nil
}

// objectName is the resource name of a new event: its UID when that is a
// safe URL segment, as CalDAV clients name theirs, else a fresh id.
func objectName(uid string) string {
	if nameRE.MatchString(uid) {
		return uid + ".ics"
	}
	return store.NewUUID() + ".ics"
}

// syncTimezones makes the VTIMEZONEs of vcal match the TZIDs its
// components use (RFC 5545 §3.2.19): definitions no longer referenced go,
// and the zones the edit wrote (written) or that lack one get a definition
// generated from the IANA database, covering the event's time span. The
// definitions clients sent for zones the edit did not touch are kept.
func syncTimezones(vcal *ical.Component, written map[string]*time.Location) {
	used := map[string]bool{}
	var events []*ical.Component
	for _, c := range vcal.Children {
		if c.Name != ical.CompTimezone {
			collectTZIDs(c, used)
			events = append(events, c)
		}
	}
	from, to := timeSpan(events)
	have := map[string]bool{}
	var zones []*ical.Component
	for _, c := range vcal.Children {
		if c.Name != ical.CompTimezone {
			continue
		}
		tzid := ""
		if p := c.Props.Get(ical.PropTimezoneID); p != nil {
			tzid = strings.TrimSpace(p.Value)
		}
		if !used[tzid] || written[tzid] != nil || have[tzid] {
			continue
		}
		have[tzid] = true
		zones = append(zones, c)
	}
	for tzid := range used {
		if have[tzid] {
			continue
		}
		loc := written[tzid]
		if loc == nil {
			var ok bool
			if loc, ok = timezone.Lookup(tzid); !ok {
				continue // validation names the unknown TZID
			}
		}
		def := timezone.VTIMEZONE(loc, from, to)
		def.Props.Get(ical.PropTimezoneID).Value = tzid
		zones = append(zones, def)
	}
	vcal.Children = append(zones, events...)
}

// collectTZIDs adds the TZIDs c and its subcomponents reference.
func collectTZIDs(c *ical.Component, used map[string]bool) {
	for _, props := range c.Props {
		for _, p := range props {
			if tzid := strings.TrimSpace(p.Params.Get(ical.ParamTimezoneID)); tzid != "" {
				used[tzid] = true
			}
		}
	}
	for _, ch := range c.Children {
		collectTZIDs(ch, used)
	}
}

// seriesYears is how far ahead of its start a series gets exact time zone
// definitions; past that the generated rules stay open-ended.
const seriesYears = 20

// timeSpan is the time the events cover, widened by a week, for
// generating VTIMEZONEs: their earliest start to their latest end, or to
// seriesYears after the start of a series.
func timeSpan(events []*ical.Component) (from, to time.Time) {
	resolve := func(tzid string) (*time.Location, error) {
		if loc, ok := timezone.Lookup(tzid); ok {
			return loc, nil
		}
		return time.UTC, nil
	}
	for _, c := range events {
		for _, name := range []string{ical.PropDateTimeStart, ical.PropDateTimeEnd, ical.PropRecurrenceID} {
			p := c.Props.Get(name)
			if p == nil {
				continue
			}
			d, err := icalendar.ParseDateTime(p.Value, p.Params, resolve)
			if err != nil {
				continue
			}
			t := d.In(time.UTC)
			if from.IsZero() || t.Before(from) {
				from = t
			}
			if t.After(to) {
				to = t
			}
			if name == ical.PropDateTimeStart && c.Props.Get(ical.PropRecurrenceRule) != nil {
				to = maxTime(to, t.AddDate(seriesYears, 0, 0))
			}
		}
	}
	if from.IsZero() {
		from = time.Now()
		to = from
	}
	// A year at least, so that a zone with daylight saving time gets both
	// observances: a client that moves the event keeps a usable definition.
	return from.AddDate(0, 0, -7), maxTime(to.AddDate(0, 0, 7), from.AddDate(1, 0, 0))
}

func maxTime(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}

// encodeChecked writes vcal as iCalendar and parses it back with the
// checks the calendar applies to every object (RFC 4791 §4.1), so that a
// bad edit is refused naming the JSON field at fault before anything is
// stored.
func encodeChecked(vcal *ical.Component, components []string) ([]byte, *icalendar.Object, error) {
	data, err := icalendar.Marshal(vcal)
	if err != nil {
		return nil, nil, newProblem(http.StatusUnprocessableEntity, "invalid-event", err.Error())
	}
	obj, err := icalendar.ParseObject(data, icalendar.Options{Components: components})
	if err != nil {
		return nil, nil, icalProblem(err)
	}
	return data, obj, nil
}

// propFields maps iCalendar properties to the JSON fields that write them.
var propFields = map[string]string{
	"DTSTART": "start", "DTEND": "end", "DURATION": "end",
	"RRULE": "recurrence", "RDATE": "recurrence", "EXDATE": "recurrence",
	"SUMMARY": "title", "DESCRIPTION": "description", "LOCATION": "location",
	"STATUS": "status", "TRANSP": "transparency", "COLOR": "color",
	"ORGANIZER": "organizer", "ATTENDEE": "attendees",
}

// icalProblem turns a validation error into a problem naming the field.
func icalProblem(err error) error {
	var ie *icalendar.Error
	if !errors.As(err, &ie) {
		return err
	}
	if ie.Precondition == icalendar.SupportedCalendarComponent {
		return invalid("calendar_id", "names a calendar that does not take events")
	}
	if f, ok := propFields[ie.Property]; ok {
		return invalid(f, "%s", ie.Msg)
	}
	return newProblem(http.StatusUnprocessableEntity, "invalid-event", ie.Error())
}

// currentSpan reads a component's start and end in the forms it writes
// them: DTEND, else DTSTART plus DURATION, else the default length.
func currentSpan(c *icalendar.Component) (span, error) {
	start, err := c.Start()
	if err != nil || start.IsZero() {
		return span{}, err
	}
	end, err := c.End()
	if err != nil || !end.IsZero() {
		return span{start, end}, err
	}
	dur, has, err := c.Duration()
	switch {
	case err != nil:
		return span{}, err
	case has:
		return span{start, atForm(dur.AddTo(start.Time), start)}, nil
	case start.IsDate():
		return span{start, icalendar.NewDate(start.Time.AddDate(0, 0, 1))}, nil
	}
	return span{start, start}, nil
}

// findInstance returns the instance of the series whose recurrence id is
// rid, overridden or not; ok is false when there is none (never was, or
// excluded).
func findInstance(s *stored, rid time.Time) (recurrence.Instance, bool, error) {
	series, err := recurrence.NewSeries(s.ical, recurrence.Options{})
	if err != nil {
		return recurrence.Instance{}, false, err
	}
	// An override may have moved its instance anywhere: look where it is.
	windows := []time.Time{rid}
	for _, c := range s.ical.Overrides() {
		if st, err := c.Start(); err == nil && !st.IsZero() {
			windows = append(windows, st.In(time.UTC))
		}
	}
	for _, at := range windows {
		// ±26 h covers instances a RANGE=THISANDFUTURE override shifted.
		list, err := series.Expand(at.Add(-26*time.Hour), at.Add(26*time.Hour))
		if err != nil {
			return recurrence.Instance{}, false, err
		}
		for _, in := range list {
			if in.RecurrenceID.Equal(rid) {
				return in, true, nil
			}
		}
	}
	return recurrence.Instance{}, false, nil
}

// overrideAt returns the override whose RECURRENCE-ID is rid, if any.
func overrideAt(s *stored, rid time.Time) *icalendar.Component {
	for _, c := range s.ical.Overrides() {
		if r, err := c.RecurrenceID(); err == nil && ridKey(r.DateTime).Equal(rid) {
			return c
		}
	}
	return nil
}

// ridKey is a recurrence id as package recurrence keys instances: the
// instant, or for floating and all-day values the wall clock labelled UTC.
func ridKey(d icalendar.DateTime) time.Time {
	if d.Absolute() {
		return d.Time.UTC()
	}
	return d.Wall()
}
