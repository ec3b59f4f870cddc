package timezone

import (
	"errors"
	"fmt"
	"time"

	"github.com/emersion/go-ical"
)

// ErrUnknownTZID is wrapped by Resolve's error when a TZID is neither a
// known name nor defined by a VTIMEZONE in the object (RFC 5545 §3.2.19
// requires the definition).
var ErrUnknownTZID = errors.New("unknown TZID")

// Resolve returns the location for a TZID found in an object whose VTIMEZONE
// components are given by TZID. Known names (Lookup) win over the object's
// own definition: clients often send definitions truncated to a few years
// or with mistakes, while the name says what the user picked. Otherwise the
// object's VTIMEZONE is evaluated (FromVTIMEZONE); its errors are
// *DefinitionError values. Without either, the error wraps ErrUnknownTZID
// and names the TZID.
func Resolve(tzid string, defs map[string]*ical.Component) (*time.Location, error) {
	if loc, ok := Lookup(tzid); ok {
		return loc, nil
	}
	def := defs[tzid]
	if def == nil {
		// The reference and the definition may differ in quoting or
		// surrounding space.
		want := cleanTZID(tzid)
		for k, c := range defs {
			if cleanTZID(k) == want {
				def = c
				break
			}
		}
	}
	if def == nil {
		return nil, fmt.Errorf("timezone: %w %q: no VTIMEZONE defines it", ErrUnknownTZID, tzid)
	}
	return FromVTIMEZONE(def)
}
