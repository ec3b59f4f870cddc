// Package timezone resolves iCalendar TZIDs to locations.
//
// This file is a stand-in with the package's API, built on time.LoadLocation
// only; it is replaced by the full implementation (Windows and Mozilla
// names, VTIMEZONE evaluation).
package timezone

import (
	"fmt"
	"strings"
	"time"
	_ "time/tzdata" // the server must not depend on the host's zoneinfo

	"github.com/emersion/go-ical"
)

// Lookup returns the location of a well-known TZID.
func Lookup(tzid string) (*time.Location, bool) {
	tzid = strings.TrimSpace(tzid)
	if tzid == "" || tzid == "Local" {
		return nil, false
	}
	loc, err := time.LoadLocation(tzid)
	if err != nil {
		return nil, false
	}
	return loc, true
}

// FromVTIMEZONE returns the location a VTIMEZONE defines.
func FromVTIMEZONE(c *ical.Component) (*time.Location, error) {
	if c == nil || c.Name != ical.CompTimezone {
		return nil, fmt.Errorf("timezone: not a VTIMEZONE")
	}
	p := c.Props.Get(ical.PropTimezoneID)
	if p == nil {
		return nil, fmt.Errorf("timezone: VTIMEZONE without TZID")
	}
	if loc, ok := Lookup(p.Value); ok {
		return loc, nil
	}
	return nil, fmt.Errorf("timezone: cannot evaluate VTIMEZONE %q", p.Value)
}

// Resolve returns the location of tzid: a known name wins, else the
// object's own VTIMEZONE definition, else an error naming the TZID.
func Resolve(tzid string, defs map[string]*ical.Component) (*time.Location, error) {
	if loc, ok := Lookup(tzid); ok {
		return loc, nil
	}
	if def, ok := defs[tzid]; ok {
		return FromVTIMEZONE(def)
	}
	if def, ok := defs[strings.TrimSpace(tzid)]; ok {
		return FromVTIMEZONE(def)
	}
	return nil, fmt.Errorf("timezone: unknown TZID %q and no VTIMEZONE defines it", tzid)
}

// VTIMEZONE returns a VTIMEZONE for loc covering [from, to).
func VTIMEZONE(loc *time.Location, from, to time.Time) *ical.Component {
	c := ical.NewComponent(ical.CompTimezone)
	c.Props.SetText(ical.PropTimezoneID, loc.String())
	std := ical.NewComponent(ical.CompTimezoneStandard)
	_, off := from.In(loc).Zone()
	std.Props.SetText(ical.PropDateTimeStart, "19700101T000000")
	std.Props.SetText(ical.PropTimezoneOffsetFrom, offset(off))
	std.Props.SetText(ical.PropTimezoneOffsetTo, offset(off))
	c.Children = append(c.Children, std)
	return c
}

func offset(sec int) string {
	sign := '+'
	if sec < 0 {
		sign, sec = '-', -sec
	}
	return fmt.Sprintf("%c%02d%02d", sign, sec/3600, sec/60%60)
}
