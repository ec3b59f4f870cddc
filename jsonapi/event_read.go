package jsonapi

import (
	"slices"
	"strings"
	"time"

	"github.com/emersion/go-ical"

	"github.com/almanac/almanac/icalendar"
	"github.com/almanac/almanac/recurrence"
	"github.com/almanac/almanac/store"
)

// stored is an object as the event endpoints work with it: the row, its
// calendar and the parsed data.
type stored struct {
	obj  *store.Object
	cal  *store.Calendar
	ical *icalendar.Object
}

// master is the component that stands for the whole event: the master, or
// for a resource holding overrides only (RFC 6638 §3.2.6) the first one.
func (s *stored) master() *icalendar.Component {
	if m := s.ical.Master(); m != nil {
		return m
	}
	return s.ical.Components[0]
}

// seriesEvent is the JSON form of the whole event.
func (s *stored) seriesEvent() (Event, error) {
	c := s.master()
	ev, err := componentEvent(c)
	if err != nil {
		return Event{}, err
	}
	s.identify(&ev)
	ev.ID = s.obj.UUID
	if s.ical.Master() != nil {
		ev.Recurrence = recurrenceLines(c)
	}
	return ev, nil
}

// instanceEvent is the JSON form of one instance of a series: the
// component it comes from, at the instance's times.
func (s *stored) instanceEvent(in recurrence.Instance) (Event, error) {
	if in.Component < 0 || in.Component >= len(s.ical.Components) {
		in.Component = 0 // the index is older than the data read: changed meanwhile
	}
	c := s.ical.Components[in.Component]
	ev, err := componentEvent(c)
	if err != nil {
		return Event{}, err
	}
	s.identify(&ev)
	startForm, endForm, err := timeForms(c)
	if err != nil {
		return Event{}, err
	}
	ev.Start, ev.End = eventTimeAt(in.Start, startForm), eventTimeAt(in.End, endForm)
	ridForm, err := s.master().Start()
	if err != nil {
		return Event{}, err
	}
	ev.ID = instanceID(s.obj.UUID, in.RecurrenceID, ridForm.Kind)
	ev.RecurringEventID = s.obj.UUID
	orig := eventTimeAt(in.RecurrenceID, ridForm)
	ev.OriginalStart = &orig
	return ev, nil
}

// identify fills in what comes from the store rather than the component.
func (s *stored) identify(ev *Event) {
	ev.CalendarID, ev.UID, ev.ETag = s.cal.UUID, s.ical.UID, quoteETag(s.obj.ETag)
	ev.Created, ev.Updated = s.obj.CreatedAt, s.obj.ModifiedAt
}

// timeForms returns the forms (kind and zone) in which c writes its start
// and its end.
func timeForms(c *icalendar.Component) (start, end icalendar.DateTime, err error) {
	if start, err = c.Start(); err != nil {
		return
	}
	if end, err = c.End(); err != nil || end.IsZero() {
		end = start
	}
	return
}

// componentEvent reads the properties the JSON form shows.
func componentEvent(c *icalendar.Component) (Event, error) {
	seq, err := c.Sequence()
	if err != nil {
		return Event{}, err
	}
	ev := Event{
		Title:        c.Summary(),
		Description:  c.Text(ical.PropDescription),
		Location:     c.Text(ical.PropLocation),
		Color:        c.Text("COLOR"),
		Status:       strings.ToLower(c.Status()),
		Transparency: strings.ToLower(c.Transp()),
		Sequence:     seq,
		Attendees:    []Attendee{},
		Reminders:    []Reminder{},
	}
	if ev.Status == "" {
		ev.Status = "confirmed"
	}
	if ev.Transparency == "" {
		ev.Transparency = "opaque"
	}
	start, err := c.Start()
	if err != nil {
		return Event{}, err
	}
	ev.Start, ev.AllDay = eventTimeOf(start), start.IsDate()
	if ev.End, err = componentEnd(c, start); err != nil {
		return Event{}, err
	}
	if p := c.Props.Get(ical.PropOrganizer); p != nil {
		email, uri := splitAddress(p.Value)
		ev.Organizer = &Person{Email: email, URI: uri, Name: p.Params.Get(ical.ParamCommonName)}
	}
	for _, p := range c.Props.Values(ical.PropAttendee) {
		ev.Attendees = append(ev.Attendees, attendeeOf(p))
	}
	for _, a := range c.Children {
		if a.Name == ical.CompAlarm {
			ev.Reminders = append(ev.Reminders, reminderOf(a))
		}
	}
	return ev, nil
}

// componentEnd is DTEND, else DTSTART plus DURATION, else the default
// length: a day for a DATE, nothing for a DATE-TIME (RFC 5545 §3.6.1).
func componentEnd(c *icalendar.Component, start icalendar.DateTime) (EventTime, error) {
	end, err := c.End()
	if err != nil {
		return EventTime{}, err
	}
	if !end.IsZero() {
		return eventTimeOf(end), nil
	}
	dur, has, err := c.Duration()
	switch {
	case err != nil:
		return EventTime{}, err
	case has:
		return eventTimeAt(dur.AddTo(start.Time), start), nil
	case start.IsDate():
		return eventTimeAt(start.Time.AddDate(0, 0, 1), start), nil
	}
	return eventTimeOf(start), nil
}

// splitAddress separates a mailto: calendar user address from others.
func splitAddress(v string) (email, uri string) {
	v = strings.TrimSpace(v)
	if len(v) > 7 && strings.EqualFold(v[:7], "mailto:") {
		return v[7:], ""
	}
	return "", v
}

func attendeeOf(p ical.Prop) Attendee {
	email, uri := splitAddress(p.Value)
	a := Attendee{
		Email: email, URI: uri,
		Name:   p.Params.Get(ical.ParamCommonName),
		Role:   strings.ToLower(p.Params.Get(ical.ParamRole)),
		Status: strings.ToLower(p.Params.Get(ical.ParamParticipationStatus)),
		Type:   strings.ToLower(p.Params.Get(ical.ParamCalendarUserType)),
	}
	if v := p.Params.Get(ical.ParamRSVP); v != "" {
		b := strings.EqualFold(v, "TRUE")
		a.RSVP = &b
	}
	return a
}

// reminderOf reads a VALARM's action and trigger.
func reminderOf(a *ical.Component) Reminder {
	r := Reminder{}
	if p := a.Props.Get(ical.PropAction); p != nil {
		r.Method = strings.ToLower(strings.TrimSpace(p.Value))
	}
	p := a.Props.Get(ical.PropTrigger)
	if p == nil {
		return r
	}
	if strings.EqualFold(p.Params.Get(ical.ParamValue), "DATE-TIME") {
		if d, err := icalendar.ParseDateTime(p.Value, nil, nil); err == nil {
			r.At = d.Time.UTC().Format(time.RFC3339)
		}
		return r
	}
	d, err := icalendar.ParseDuration(p.Value)
	if err != nil {
		return r
	}
	mins := int(d.Approx() / time.Minute)
	mins = -mins // minutes before
	r.Minutes = &mins
	if strings.EqualFold(p.Params.Get(ical.ParamRelated), "END") {
		r.RelativeTo = "end"
	}
	return r
}

// recurrenceLines writes the series' RRULE, RDATE and EXDATE properties as
// content lines, as Google's API shows them.
func recurrenceLines(c *icalendar.Component) []string {
	var out []string
	for _, name := range []string{ical.PropRecurrenceRule, ical.PropRecurrenceDates, ical.PropExceptionDates} {
		for _, p := range c.Props.Values(name) {
			out = append(out, propLine(p))
		}
	}
	return out
}

// propLine renders a property as one unfolded content line, parameters in
// a stable order and quoted where RFC 5545 §3.2 requires.
func propLine(p ical.Prop) string {
	var b strings.Builder
	b.WriteString(p.Name)
	names := make([]string, 0, len(p.Params))
	for n := range p.Params {
		names = append(names, n)
	}
	slices.Sort(names)
	for _, n := range names {
		b.WriteString(";" + n + "=")
		for i, v := range p.Params[n] {
			if i > 0 {
				b.WriteByte(',')
			}
			if strings.ContainsAny(v, ";:,") {
				v = `"` + v + `"`
			}
			b.WriteString(v)
		}
	}
	b.WriteString(":" + p.Value)
	return b.String()
}

// quoteETag writes an entity tag as HTTP and the JSON form carry it.
func quoteETag(etag string) string { return `"` + etag + `"` }
