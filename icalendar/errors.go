package icalendar

import (
	"fmt"
	"strings"
)

// Precondition names the CalDAV precondition that an unacceptable calendar
// object resource violates; the CalDAV handler reports it in the body of the
// 403 or 409 response (RFC 4791 §1.3, §5.3.2.1).
type Precondition string

// Preconditions reported by validation.
const (
	// ValidCalendarData: the data is not valid iCalendar (RFC 4791
	// §5.3.2.1, CALDAV:valid-calendar-data).
	ValidCalendarData Precondition = "valid-calendar-data"
	// ValidCalendarObjectResource: valid iCalendar, but not a calendar
	// object resource as RFC 4791 §4.1 restricts it
	// (CALDAV:valid-calendar-object-resource).
	ValidCalendarObjectResource Precondition = "valid-calendar-object-resource"
	// SupportedCalendarComponent: the component type is not in the
	// collection's supported-calendar-component-set (RFC 4791 §5.3.2.1).
	SupportedCalendarComponent Precondition = "supported-calendar-component"
	// SupportedRScale: an RRULE names a calendar scale the server does
	// not support (RFC 7529 §5.3, CALDAV:supported-rscale).
	SupportedRScale Precondition = "supported-rscale"
)

// Error describes why data was rejected, precisely enough for a client
// author to find and fix the problem.
type Error struct {
	Precondition Precondition
	Line         int    // 1-based line of a syntax error in the original data; 0 if not known
	Component    string // the component, e.g. "VEVENT"; empty for the data as a whole
	RecurrenceID string // the RECURRENCE-ID value of the override at fault, if any
	Property     string // the property, e.g. "DTEND"; empty if none
	Msg          string // what is wrong and what was expected
}

func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString("icalendar: ")
	if e.Line > 0 {
		fmt.Fprintf(&b, "line %d: ", e.Line)
	}
	if e.Component != "" {
		b.WriteString(e.Component)
		if e.RecurrenceID != "" {
			fmt.Fprintf(&b, " (RECURRENCE-ID %s)", e.RecurrenceID)
		}
		if e.Property != "" {
			b.WriteByte(' ')
		}
	}
	b.WriteString(e.Property)
	if e.Component != "" || e.Property != "" {
		b.WriteString(": ")
	}
	b.WriteString(e.Msg)
	return b.String()
}

func syntaxError(line int, format string, args ...any) *Error {
	return &Error{Precondition: ValidCalendarData, Line: line, Msg: fmt.Sprintf(format, args...)}
}

// propError reports an invalid property value of component c.
func propError(c *Component, prop string, format string, args ...any) *Error {
	e := &Error{Precondition: ValidCalendarData, Property: prop, Msg: fmt.Sprintf(format, args...)}
	if c != nil {
		e.Component = c.Name
		if p := c.Props.Get("RECURRENCE-ID"); p != nil {
			e.RecurrenceID = p.Value
		}
	}
	return e
}
