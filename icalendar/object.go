package icalendar

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/emersion/go-ical"
)

// Object is a calendar object resource (RFC 4791 §4.1): the components that
// share one UID — the master and the overrides of its instances — with the
// VTIMEZONEs they reference.
type Object struct {
	Calendar   *Calendar
	UID        string
	Type       string       // VEVENT, VTODO, VJOURNAL …
	Components []*Component // master and overrides, in the order of the data
	Timezones  map[string]*ical.Component
}

// defaultComponents are the types the server interprets, which
// Options.Components nil accepts: readers of stored data take whatever a
// collection accepted. Collections pass their own set.
var defaultComponents = []string{ical.CompEvent, ical.CompToDo, ical.CompJournal, ical.CompFreeBusy, CompAvailability}

// ParseObject parses and validates data as a calendar object resource to
// be stored in a calendar collection: Parse, then Validate, then the
// restrictions of RFC 4791 §4.1. Errors are *Error values whose
// Precondition the CalDAV handler reports.
func ParseObject(data []byte, opt Options) (*Object, error) {
	cal, err := Parse(data)
	if err != nil {
		return nil, err
	}
	if err := cal.Validate(opt); err != nil {
		return nil, err
	}
	return cal.Object(opt)
}

// Master returns the component without RECURRENCE-ID, or nil when the
// resource holds overrides only (as an attendee invited to some instances
// receives, RFC 6638 §3.2.6).
func (o *Object) Master() *Component {
	for _, c := range o.Components {
		if c.Props.Get(ical.PropRecurrenceID) == nil {
			return c
		}
	}
	return nil
}

// Overrides returns the components with a RECURRENCE-ID.
func (o *Object) Overrides() []*Component {
	var out []*Component
	for _, c := range o.Components {
		if c.Props.Get(ical.PropRecurrenceID) != nil {
			out = append(out, c)
		}
	}
	return out
}

// Add appends c, an override made for the object, to its calendar and to
// its components, and returns it as a component of the object.
func (o *Object) Add(c *ical.Component) *Component {
	o.Calendar.Children = append(o.Calendar.Children, c)
	comp := &Component{Component: c}
	o.Components = append(o.Components, comp)
	return comp
}

// Object checks that the calendar is a calendar object resource (RFC 4791
// §4.1) of a type the collection supports, and returns it. The calendar
// should have passed Validate.
func (c *Calendar) Object(opt Options) (*Object, error) {
	resErr := func(format string, args ...any) *Error {
		return &Error{Precondition: ValidCalendarObjectResource, Msg: fmt.Sprintf(format, args...)}
	}
	if m := c.Method(); m != "" {
		return nil, resErr("METHOD:%s must not appear in a calendar object resource; remove it (RFC 4791 §4.1)", m)
	}
	comps := c.Components()
	if len(comps) == 0 {
		return nil, resErr("the calendar has no component besides VTIMEZONE (VEVENT, VTODO, VJOURNAL …)")
	}
	o := &Object{Calendar: c, UID: comps[0].UID(), Type: comps[0].Name, Components: comps}
	for _, comp := range comps[1:] {
		if comp.Name != o.Type {
			return nil, resErr("a calendar object resource holds one type of component, found %s and %s (RFC 4791 §4.1)", o.Type, comp.Name)
		}
		if comp.UID() != o.UID {
			return nil, resErr("all components must have the same UID, found %q and %q (RFC 4791 §4.1); store each UID as its own resource", o.UID, comp.UID())
		}
	}
	supported := opt.Components
	if supported == nil {
		supported = defaultComponents
	}
	if !slices.Contains(supported, o.Type) {
		return nil, &Error{Precondition: SupportedCalendarComponent, Component: o.Type,
			Msg: fmt.Sprintf("this calendar collection accepts %s only", strings.Join(supported, ", "))}
	}
	if err := checkRecurrenceIDs(comps); err != nil {
		return nil, err
	}
	o.Timezones = c.referencedTimezones(comps)
	return o, nil
}

// checkRecurrenceIDs enforces one master at most and distinct
// RECURRENCE-IDs (RFC 4791 §4.1, RFC 5545 §3.8.4.4).
func checkRecurrenceIDs(comps []*Component) error {
	seen := map[int64]string{}
	masters := 0
	for _, comp := range comps {
		rid, err := comp.RecurrenceID()
		if err != nil {
			return err
		}
		if rid.IsZero() {
			if masters++; masters > 1 {
				return &Error{Precondition: ValidCalendarObjectResource, Component: comp.Name,
					Msg: "more than one component without RECURRENCE-ID; every component but the master must be an override with a RECURRENCE-ID (RFC 4791 §4.1)"}
			}
			continue
		}
		key := rid.In(time.UTC).UnixNano() // the same instant in any zone
		if prev, dup := seen[key]; dup {
			return &Error{Precondition: ValidCalendarObjectResource, Component: comp.Name, Property: "RECURRENCE-ID",
				Msg: fmt.Sprintf("%s is used by two overrides (also %s); each instance can be overridden once", rid.String(), prev)}
		}
		seen[key] = rid.String()
	}
	return nil
}

func (c *Calendar) referencedTimezones(comps []*Component) map[string]*ical.Component {
	out := map[string]*ical.Component{}
	for _, comp := range comps {
		for _, tzid := range comp.TZIDs() {
			if def, ok := c.defs[tzid]; ok {
				out[tzid] = def
			}
		}
	}
	return out
}

// Objects groups the calendar's components by UID, in the order in which
// each UID first appears, as an import splits a calendar into resources.
// It does not apply the checks of Object; a component without UID is an
// error.
func (c *Calendar) Objects() ([]*Object, error) {
	var out []*Object
	byUID := map[string]*Object{}
	for _, comp := range c.Components() {
		uid := comp.UID()
		if uid == "" {
			return nil, propError(comp, "UID", "is required (RFC 5545 §3.6.1)")
		}
		o := byUID[uid]
		if o == nil {
			o = &Object{Calendar: c, UID: uid, Type: comp.Name}
			byUID[uid] = o
			out = append(out, o)
		}
		o.Components = append(o.Components, comp)
	}
	for _, o := range out {
		o.Timezones = c.referencedTimezones(o.Components)
	}
	return out, nil
}
