package icalendar

import (
	"fmt"
	"reflect"
	"strings"

	"github.com/emersion/go-ical"
)

// Options control validation.
type Options struct {
	// Components lists the component types the calendar collection
	// accepts (CALDAV:supported-calendar-component-set, RFC 4791 §5.2.3);
	// nil means every type the server interprets (VEVENT, VTODO,
	// VJOURNAL, VFREEBUSY, VAVAILABILITY), as readers of stored data want.
	Components []string
	// Strict turns the leniencies that need a fix-up (a missing DTSTAMP,
	// PRODID or VTIMEZONE, a DATE without VALUE=DATE, and the rules of
	// normalize.go) into errors.
	Strict bool
}

// statusValues lists the STATUS values of each component (RFC 5545
// §3.8.1.11).
var statusValues = map[string][]string{
	ical.CompEvent:   {"TENTATIVE", "CONFIRMED", "CANCELLED"},
	ical.CompToDo:    {"NEEDS-ACTION", "COMPLETED", "IN-PROCESS", "CANCELLED"},
	ical.CompJournal: {"DRAFT", "FINAL", "CANCELLED"},
}

// singletons may occur at most once in a component (RFC 5545 §3.6.1–§3.6.4);
// these are the ones whose repetition would make the component ambiguous.
var singletons = []string{"UID", "DTSTAMP", "DTSTART", "DTEND", "DUE", "DURATION", "RECURRENCE-ID",
	"SEQUENCE", "STATUS", "TRANSP"}

// Validate checks the calendar against RFC 5545: the required properties,
// the syntax of the values the server interprets, and the rules that tie
// DTSTART, DTEND, DURATION and DUE together. Values that break those rules
// in a way whose meaning is plain are normalised (normalize.go) rather
// than refused. Leniencies are recorded in c.Fixes unless opt.Strict makes
// them errors. Errors are *Error values.
func (c *Calendar) Validate(opt Options) error {
	if err := c.validateCalendarProps(opt); err != nil {
		return err
	}
	for _, tz := range c.Children {
		if tz.Name == ical.CompTimezone {
			if err := validateTimezone(tz); err != nil {
				return err
			}
		}
	}
	for _, comp := range c.Components() {
		if err := c.validateComponent(comp, opt); err != nil {
			return err
		}
	}
	return nil
}

// lenient records fix, or fails with msg when strict.
func (c *Calendar) lenient(opt Options, fix Fix, e *Error) error {
	if opt.Strict {
		return e
	}
	c.addFix(fix)
	return nil
}

// validateCalendarProps applies RFC 5545 §3.6 and §3.7 to VCALENDAR.
func (c *Calendar) validateCalendarProps(opt Options) error {
	calErr := func(prop, format string, args ...any) *Error {
		return &Error{Precondition: ValidCalendarData, Component: ical.CompCalendar, Property: prop, Msg: fmt.Sprintf(format, args...)}
	}
	if c.Props.Get(ical.PropProductID) == nil {
		if err := c.lenient(opt, FixMissingProdID, calErr("PRODID", "is required (RFC 5545 §3.6)")); err != nil {
			return err
		}
	}
	switch p := c.Props.Get(ical.PropVersion); {
	case p == nil:
		if err := c.lenient(opt, FixMissingVersion, calErr("VERSION", "is required (RFC 5545 §3.6)")); err != nil {
			return err
		}
	case strings.TrimSpace(p.Value) != "2.0":
		return calErr("VERSION", "%q: only iCalendar 2.0 is accepted (VERSION:1.0 is vCalendar)", p.Value)
	}
	if p := c.Props.Get(ical.PropCalendarScale); p != nil && !strings.EqualFold(strings.TrimSpace(p.Value), "GREGORIAN") {
		return calErr("CALSCALE", "%q: only GREGORIAN is supported (RFC 5545 §3.7.1)", p.Value)
	}
	return nil
}

// validateTimezone checks the properties RFC 5545 §3.6.5 requires. A
// VTIMEZONE with an empty TZID (Outlook writes one, and "TZID=" on the
// times that use it) is tolerated: those times are read as floating.
func validateTimezone(tz *ical.Component) error {
	tzErr := func(sub, prop, msg string) *Error {
		comp := ical.CompTimezone
		if sub != "" {
			comp = sub + " in " + comp
		}
		return &Error{Precondition: ValidCalendarData, Component: comp, Property: prop, Msg: msg}
	}
	id := tz.Props.Get(ical.PropTimezoneID)
	if id == nil {
		return tzErr("", "TZID", "is required (RFC 5545 §3.6.5)")
	}
	n := 0
	for _, sub := range tz.Children {
		if sub.Name != ical.CompTimezoneStandard && sub.Name != ical.CompTimezoneDaylight {
			continue
		}
		n++
		for _, prop := range []string{"DTSTART", "TZOFFSETFROM", "TZOFFSETTO"} {
			if sub.Props.Get(prop) == nil {
				return tzErr(sub.Name, prop, fmt.Sprintf("is required in VTIMEZONE %q (RFC 5545 §3.6.5)", id.Value))
			}
		}
	}
	if n == 0 {
		return tzErr("", "", fmt.Sprintf("VTIMEZONE %q needs at least one STANDARD or DAYLIGHT component (RFC 5545 §3.6.5)", id.Value))
	}
	return nil
}

// validateComponent applies RFC 5545 §3.6 to one component.
func (c *Calendar) validateComponent(comp *Component, opt Options) error {
	switch comp.Name {
	case ical.CompEvent, ical.CompToDo, ical.CompJournal, ical.CompFreeBusy, CompAvailability:
	default:
		return nil // X- components …: carried, not interpreted
	}
	for _, name := range singletons {
		if props := comp.Props.Values(name); len(props) > 1 && !allSame(props) {
			return propError(comp, name, "occurs %d times with different values; at most once is allowed (RFC 5545 §3.6)", len(props))
		}
	}
	if comp.UID() == "" {
		return propError(comp, "UID", "is required (RFC 5545 §3.6.1)")
	}
	if err := c.checkZonesAndDates(comp, opt); err != nil {
		return err
	}
	if err := c.normalize(comp, opt); err != nil {
		return err
	}
	if err := c.validateStamp(comp, opt); err != nil {
		return err
	}
	if err := c.validateTimes(comp); err != nil {
		return err
	}
	if err := validateFreeBusy(comp); err != nil {
		return err
	}
	if _, err := comp.Sequence(); err != nil {
		return err
	}
	return validateAlarms(comp)
}

func (c *Calendar) validateStamp(comp *Component, opt Options) error {
	if comp.Props.Get(ical.PropDateTimeStamp) == nil {
		return c.lenient(opt, FixMissingDTStamp, propError(comp, "DTSTAMP", "is required (RFC 5545 §3.6.1)"))
	}
	_, err := comp.DateTime(ical.PropDateTimeStamp)
	return err
}

// validateTimes checks the date and time properties that normalize has
// left: their syntax, and a DTSTART where nothing can replace it.
func (c *Calendar) validateTimes(comp *Component) error {
	start, err := comp.Start()
	if err != nil {
		return err
	}
	if start.IsZero() && comp.Name == ical.CompEvent && c.Method() == "" {
		return propError(comp, "DTSTART", "is required in a VEVENT when the calendar has no METHOD (RFC 5545 §3.6.1)")
	}
	if err := validateRecurrence(comp, start); err != nil {
		return err
	}
	if name := endName(comp.Name); name != "" {
		if _, err := comp.DateTime(name); err != nil {
			return err
		}
	}
	_, _, err = comp.Duration()
	return err
}

// checkZonesAndDates resolves every TZID the component's properties use
// and notes DATE values written without VALUE=DATE.
func (c *Calendar) checkZonesAndDates(comp *Component, opt Options) error {
	for _, name := range sortedNames(comp.Props) {
		for _, p := range comp.Props[name] {
			if err := c.checkProp(comp, name, &p, opt); err != nil {
				return err
			}
		}
	}
	return nil
}

func (c *Calendar) checkProp(comp *Component, name string, p *ical.Prop, opt Options) error {
	if tzid := strings.TrimSpace(p.Params.Get("TZID")); tzid != "" {
		if _, err := c.Location(tzid); err != nil {
			return propError(comp, name, "%v", err)
		}
		if _, ok := c.defs[tzid]; !ok {
			e := propError(comp, name, "TZID %q has no VTIMEZONE in the calendar (RFC 5545 §3.2.19)", tzid)
			if err := c.lenient(opt, FixMissingVTimezone, e); err != nil {
				return err
			}
		}
	}
	switch name {
	case "DTSTART", "DTEND", "DUE", "RECURRENCE-ID", "EXDATE", "RDATE":
		if p.Params.Get("VALUE") == "" && len(strings.TrimSpace(p.Value)) == len(dateLayout) {
			e := propError(comp, name, "%q is a DATE but lacks VALUE=DATE (RFC 5545 §3.3.4)", p.Value)
			return c.lenient(opt, FixImplicitDate, e)
		}
	}
	return nil
}

// validateRecurrence parses RECURRENCE-ID, RRULE, RDATE and EXDATE. Their
// anchor is DTSTART (RFC 5545 §3.8.5), or the DUE of a VTODO without one
// (normRecurAnchor).
func validateRecurrence(comp *Component, start DateTime) error {
	if _, err := comp.RecurrenceID(); err != nil {
		return err
	}
	rules, err := comp.RRules()
	if err != nil {
		return err
	}
	if _, err := comp.RDates(); err != nil {
		return err
	}
	if _, err := comp.ExDates(); err != nil {
		return err
	}
	if start.IsZero() && comp.Name == ical.CompToDo {
		if start, err = comp.Due(); err != nil {
			return err
		}
	}
	if start.IsDate() {
		for _, r := range rules {
			if r.Freq < Daily {
				return propError(comp, "RRULE", "FREQ=%s cannot repeat an all-day (DATE) DTSTART", r.Freq)
			}
		}
	}
	return nil
}

// allSame reports whether repeated properties are identical, as some
// producers write a UID twice.
func allSame(props []ical.Prop) bool {
	for _, p := range props[1:] {
		if p.Value != props[0].Value || !reflect.DeepEqual(p.Params, props[0].Params) {
			return false
		}
	}
	return true
}

// validateFreeBusy parses the FREEBUSY periods of a VFREEBUSY (RFC 5545
// §3.8.2.6), which time-range queries read (RFC 4791 §9.9).
func validateFreeBusy(comp *Component) error {
	_, err := comp.FreeBusy()
	return err
}

// validateAlarms checks the two properties every VALARM needs (RFC 5545
// §3.6.6); the rest of an alarm is the client's business.
func validateAlarms(comp *Component) error {
	for _, a := range comp.Children {
		if a.Name != ical.CompAlarm {
			continue
		}
		for _, prop := range []string{"ACTION", "TRIGGER"} {
			if a.Props.Get(prop) == nil {
				return propError(comp, "", "a VALARM lacks %s, which is required (RFC 5545 §3.6.6)", prop)
			}
		}
	}
	return nil
}
