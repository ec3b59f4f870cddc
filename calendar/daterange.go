package calendar

import (
	"fmt"

	"github.com/emersion/go-ical"

	"github.com/almanac/almanac/icalendar"
)

// utcDateTime is the form of a UTC DATE-TIME (RFC 5545 §3.3.5), in which
// refusals name the limit passed.
const utcDateTime = "20060102T150405Z"

// checkDateRange refuses an object holding a date or time outside
// Limits.MinDateTime and Limits.MaxDateTime: RFC 4791 §5.3.2.1's
// CALDAV:min-date-time and CALDAV:max-date-time preconditions, whose
// bounds CalDAV advertises (§5.2.6, §5.2.7).
//
// It looks at the values that place a component in time, which the index
// and recurrence expansion work from: DTSTART, DTEND, DUE, RECURRENCE-ID,
// RDATE, EXDATE and an RRULE's UNTIL. Timestamps about the data rather
// than the event (DTSTAMP, CREATED, LAST-MODIFIED, COMPLETED) and alarm
// triggers are left alone: clients write placeholder years there, and a
// bad one does not make the event unplaceable. VTIMEZONE definitions,
// which start in 1601 or 1970 by convention, are not components of the
// object and are not looked at either. A DATE or floating value is
// compared as if it were UTC: at the edge of a two-century range, the
// reader's offset of a few hours does not matter.
func (s *Service) checkDateRange(obj *icalendar.Object) error {
	for _, c := range obj.Components {
		if err := s.checkComponentDates(c); err != nil {
			return err
		}
	}
	return nil
}

func (s *Service) checkComponentDates(c *icalendar.Component) error {
	for _, name := range []string{ical.PropDateTimeStart, ical.PropDateTimeEnd, ical.PropDue, ical.PropRecurrenceID} {
		d, err := c.DateTime(name)
		if err != nil {
			return objectError(err)
		}
		if err := s.inRange(name, d); err != nil {
			return err
		}
	}
	rdates, err := c.RDates()
	if err != nil {
		return objectError(err)
	}
	for _, p := range rdates {
		if err := s.inRange(ical.PropRecurrenceDates, p.Start); err != nil {
			return err
		}
		if err := s.inRange(ical.PropRecurrenceDates, p.End); err != nil {
			return err
		}
	}
	exdates, err := c.ExDates()
	if err != nil {
		return objectError(err)
	}
	for _, d := range exdates {
		if err := s.inRange(ical.PropExceptionDates, d); err != nil {
			return err
		}
	}
	rules, err := c.RRules()
	if err != nil {
		return objectError(err)
	}
	for _, r := range rules {
		if err := s.inRange(ical.PropRecurrenceRule, r.Until); err != nil {
			return err
		}
	}
	return nil
}

// inRange checks one value of property prop; an absent value passes.
func (s *Service) inRange(prop string, d icalendar.DateTime) error {
	if d.IsZero() {
		return nil
	}
	what := prop
	if prop == ical.PropRecurrenceRule {
		what = "the UNTIL of RRULE"
	}
	// Time is the instant of a UTC or zoned value, and the wall clock
	// read as UTC of a DATE or floating one.
	t := d.Time
	switch {
	case t.Before(s.lim.MinDateTime):
		return &ObjectError{Precondition: PreMinDateTime, Property: prop,
			Message: fmt.Sprintf("%s %s is before %s, the earliest date and time this server accepts", what, d, s.lim.MinDateTime.Format(utcDateTime))}
	case t.After(s.lim.MaxDateTime):
		return &ObjectError{Precondition: PreMaxDateTime, Property: prop,
			Message: fmt.Sprintf("%s %s is after %s, the latest date and time this server accepts", what, d, s.lim.MaxDateTime.Format(utcDateTime))}
	}
	return nil
}
