package icalendar

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/emersion/go-ical"

	"github.com/almanac/almanac/timezone"
)

// Components of RFC 7953 (calendar availability), which go-ical does not
// name.
const (
	CompAvailability = "VAVAILABILITY"
	CompAvailable    = "AVAILABLE"
)

// Component is a calendar component (VEVENT, VTODO, VJOURNAL, VFREEBUSY …)
// of a Calendar, with typed access to its properties. Time zones are
// resolved through the calendar: its VTIMEZONEs define the TZIDs it uses.
type Component struct {
	*ical.Component
	cal *Calendar
}

// RecurrenceID is the value of a RECURRENCE-ID property: the original start
// of the instance an override replaces.
type RecurrenceID struct {
	DateTime
	// ThisAndFuture is set by RANGE=THISANDFUTURE: the override applies to
	// this instance and all later ones (RFC 5545 §3.2.13, §3.8.4.4).
	ThisAndFuture bool
}

type zoneEntry struct {
	loc *time.Location
	err error
}

// Components returns the calendar's components other than VTIMEZONE, in
// the order of the data.
func (c *Calendar) Components() []*Component {
	if c.comps == nil {
		c.comps = []*Component{}
		for _, child := range c.Children {
			if child.Name != ical.CompTimezone {
				c.comps = append(c.comps, &Component{Component: child, cal: c})
			}
		}
	}
	return c.comps
}

// Timezones returns the calendar's VTIMEZONE components by TZID.
func (c *Calendar) Timezones() map[string]*ical.Component { return c.defs }

// Method returns the METHOD property (RFC 5546), upper case, or "".
func (c *Calendar) Method() string {
	if p := c.Props.Get(ical.PropMethod); p != nil {
		return strings.ToUpper(strings.TrimSpace(p.Value))
	}
	return ""
}

// Location resolves a TZID used in the calendar: a known name first, else
// the calendar's own VTIMEZONE (package timezone decides). Results are
// cached.
func (c *Calendar) Location(tzid string) (*time.Location, error) {
	tzid = strings.TrimSpace(tzid)
	if e, ok := c.zones[tzid]; ok {
		return e.loc, e.err
	}
	loc, err := timezone.Resolve(tzid, c.defs)
	if err != nil {
		err = fmt.Errorf("TZID %q is neither a known time zone nor defined by a usable VTIMEZONE in the calendar", tzid)
	}
	if c.zones == nil {
		c.zones = map[string]zoneEntry{}
	}
	c.zones[tzid] = zoneEntry{loc, err}
	return loc, err
}

func defaultResolver(tzid string) (*time.Location, error) {
	loc, err := timezone.Resolve(tzid, nil)
	if err != nil {
		return nil, fmt.Errorf("unknown time zone %q", tzid)
	}
	return loc, nil
}

func (c *Component) resolver() Resolver {
	if c.cal == nil {
		return defaultResolver
	}
	return c.cal.Location
}

// Calendar returns the calendar c belongs to.
func (c *Component) Calendar() *Calendar { return c.cal }

// UID returns the UID property, spaces trimmed, or "".
func (c *Component) UID() string {
	if p := c.Props.Get(ical.PropUID); p != nil {
		return strings.TrimSpace(p.Value)
	}
	return ""
}

// DateTime returns the DATE or DATE-TIME property name, or the zero
// DateTime if it is absent.
func (c *Component) DateTime(name string) (DateTime, error) {
	p := c.Props.Get(name)
	if p == nil {
		return DateTime{}, nil
	}
	d, err := ParseDateTime(p.Value, p.Params, c.resolver())
	if err != nil {
		return DateTime{}, propError(c, name, "%v", err)
	}
	return d, nil
}

// Start returns DTSTART, or the zero DateTime.
func (c *Component) Start() (DateTime, error) { return c.DateTime(ical.PropDateTimeStart) }

// End returns DTEND, or the zero DateTime.
func (c *Component) End() (DateTime, error) { return c.DateTime(ical.PropDateTimeEnd) }

// Due returns DUE, or the zero DateTime.
func (c *Component) Due() (DateTime, error) { return c.DateTime(ical.PropDue) }

// Duration returns the DURATION property and whether it is present.
func (c *Component) Duration() (Duration, bool, error) {
	p := c.Props.Get(ical.PropDuration)
	if p == nil {
		return Duration{}, false, nil
	}
	d, err := ParseDuration(p.Value)
	if err != nil {
		return d, true, propError(c, ical.PropDuration, "%v", err)
	}
	return d, true, nil
}

// RecurrenceID returns the RECURRENCE-ID property, or the zero value.
func (c *Component) RecurrenceID() (RecurrenceID, error) {
	p := c.Props.Get(ical.PropRecurrenceID)
	if p == nil {
		return RecurrenceID{}, nil
	}
	d, err := c.DateTime(ical.PropRecurrenceID)
	if err != nil {
		return RecurrenceID{}, err
	}
	rid := RecurrenceID{DateTime: d}
	switch r := strings.ToUpper(strings.TrimSpace(p.Params.Get("RANGE"))); r {
	case "":
	case "THISANDFUTURE":
		rid.ThisAndFuture = true
	default:
		// RFC 5545 §3.2.13 deprecates THISANDPRIOR; it must not be honoured.
		return rid, propError(c, ical.PropRecurrenceID, "RANGE=%s: only RANGE=THISANDFUTURE is allowed (RFC 5545 §3.2.13)", r)
	}
	return rid, nil
}

// RRules returns the recurrence rules (RFC 5545 allows one; more are
// accepted and their instances merged).
func (c *Component) RRules() ([]Recur, error) {
	var out []Recur
	for _, p := range c.Props.Values(ical.PropRecurrenceRule) {
		r, err := ParseRecur(p.Value)
		if err != nil {
			return nil, c.locate(err, ical.PropRecurrenceRule)
		}
		out = append(out, r)
	}
	return out, nil
}

// locate fills in the component of an *Error raised by a value parser.
func (c *Component) locate(err error, prop string) error {
	if e, ok := err.(*Error); ok {
		loc := propError(c, prop, "%s", e.Msg)
		loc.Precondition = e.Precondition
		return loc
	}
	return propError(c, prop, "%v", err)
}

// RDates returns the values of every RDATE property: DATE, DATE-TIME or
// PERIOD (RFC 5545 §3.8.5.2), comma lists included. Empty values are
// skipped.
func (c *Component) RDates() ([]Period, error) {
	var out []Period
	for _, p := range c.Props.Values(ical.PropRecurrenceDates) {
		vt := strings.ToUpper(strings.TrimSpace(p.Params.Get("VALUE")))
		for _, v := range listValues(p.Value) {
			per, err := c.rdate(v, vt, p.Params)
			if err != nil {
				return nil, propError(c, ical.PropRecurrenceDates, "%v", err)
			}
			out = append(out, per)
		}
	}
	return out, nil
}

func (c *Component) rdate(v, vt string, params ical.Params) (Period, error) {
	if vt == "PERIOD" || vt == "" && strings.Contains(v, "/") {
		return parsePeriod(v, params, c.resolver())
	}
	d, err := ParseDateTime(v, params, c.resolver())
	return Period{Start: d}, err
}

// ExDates returns the values of every EXDATE property, comma lists
// included. Empty values are skipped.
func (c *Component) ExDates() ([]DateTime, error) {
	var out []DateTime
	for _, p := range c.Props.Values(ical.PropExceptionDates) {
		for _, v := range listValues(p.Value) {
			d, err := ParseDateTime(v, p.Params, c.resolver())
			if err != nil {
				return nil, propError(c, ical.PropExceptionDates, "%v", err)
			}
			out = append(out, d)
		}
	}
	return out, nil
}

// BusyPeriod is one period of a FREEBUSY property (RFC 5545 §3.8.2.6).
type BusyPeriod struct {
	Period
	Type string // FBTYPE, upper case; BUSY when absent (RFC 5545 §3.2.9)
}

// FreeBusy returns the periods of every FREEBUSY property, comma lists
// included.
func (c *Component) FreeBusy() ([]BusyPeriod, error) {
	var out []BusyPeriod
	for _, p := range c.Props.Values(ical.PropFreeBusy) {
		typ := strings.ToUpper(strings.TrimSpace(p.Params.Get("FBTYPE")))
		if typ == "" {
			typ = "BUSY"
		}
		for _, v := range listValues(p.Value) {
			per, err := parsePeriod(v, p.Params, c.resolver())
			if err != nil {
				return nil, propError(c, ical.PropFreeBusy, "%v", err)
			}
			out = append(out, BusyPeriod{Period: per, Type: typ})
		}
	}
	return out, nil
}

func listValues(v string) []string {
	var out []string
	for item := range strings.SplitSeq(v, ",") {
		if item = strings.TrimSpace(item); item != "" {
			out = append(out, item)
		}
	}
	return out
}

// Sequence returns SEQUENCE (RFC 5545 §3.8.7.4), 0 when absent.
func (c *Component) Sequence() (int, error) {
	p := c.Props.Get(ical.PropSequence)
	if p == nil {
		return 0, nil
	}
	n, err := strconv.Atoi(strings.TrimSpace(p.Value))
	if err != nil || n < 0 {
		return 0, propError(c, ical.PropSequence, "%q is not a non-negative integer", p.Value)
	}
	return n, nil
}

// Status returns STATUS in upper case, or "".
func (c *Component) Status() string { return c.keyword(ical.PropStatus) }

// Transp returns TRANSP in upper case; OPAQUE when a VEVENT has none
// (RFC 5545 §3.8.2.7).
func (c *Component) Transp() string {
	if t := c.keyword(ical.PropTransparency); t != "" || c.Name != ical.CompEvent {
		return t
	}
	return "OPAQUE"
}

func (c *Component) keyword(name string) string {
	if p := c.Props.Get(name); p != nil {
		return strings.ToUpper(strings.TrimSpace(p.Value))
	}
	return ""
}

// Summary returns SUMMARY, unescaped.
func (c *Component) Summary() string { return c.Text(ical.PropSummary) }

// Text returns the first property called name as unescaped TEXT
// (RFC 5545 §3.3.11), or "".
func (c *Component) Text(name string) string {
	p := c.Props.Get(name)
	if p == nil {
		return ""
	}
	return UnescapeText(p.Value)
}

// UnescapeText decodes a TEXT value (RFC 5545 §3.3.11). An unknown escape
// keeps the escaped character.
func UnescapeText(v string) string {
	if strings.IndexByte(v, '\\') < 0 {
		return v
	}
	var b strings.Builder
	for i := 0; i < len(v); i++ {
		if v[i] != '\\' || i+1 == len(v) {
			b.WriteByte(v[i])
			continue
		}
		i++
		if v[i] == 'n' || v[i] == 'N' {
			b.WriteByte('\n')
		} else {
			b.WriteByte(v[i])
		}
	}
	return b.String()
}

// EscapeText encodes s as a TEXT value (RFC 5545 §3.3.11).
func EscapeText(s string) string {
	return strings.NewReplacer(`\`, `\\`, ";", `\;`, ",", `\,`, "\r\n", `\n`, "\n", `\n`).Replace(s)
}

// TZIDs returns the TZIDs that c's properties and subcomponents reference,
// spaces trimmed, each once.
func (c *Component) TZIDs() []string {
	seen := map[string]bool{}
	var out []string
	var walk func(*ical.Component)
	walk = func(comp *ical.Component) {
		for _, props := range comp.Props {
			for _, p := range props {
				if t := strings.TrimSpace(p.Params.Get("TZID")); t != "" && !seen[t] {
					seen[t] = true
					out = append(out, t)
				}
			}
		}
		for _, child := range comp.Children {
			walk(child)
		}
	}
	walk(c.Component)
	return out
}
