package icalendar

import (
	"fmt"
	"strings"
	"time"

	"github.com/emersion/go-ical"
)

// Kind says how a DATE or DATE-TIME value is anchored in time.
type Kind uint8

// Kinds of date and time values (RFC 5545 §3.3.4, §3.3.5).
const (
	// Date is a calendar day (VALUE=DATE): it begins at midnight in
	// whatever time zone the reader is in.
	Date Kind = iota + 1
	// Floating is a local time without a zone ("form #1"): the same wall
	// clock for every reader.
	Floating
	// UTC is a time in UTC ("form #2", with a "Z").
	UTC
	// Zoned is a local time in the zone named by a TZID parameter
	// ("form #3").
	Zoned
)

func (k Kind) String() string {
	switch k {
	case Date:
		return "DATE"
	case Floating:
		return "floating DATE-TIME"
	case UTC:
		return "UTC DATE-TIME"
	case Zoned:
		return "DATE-TIME with TZID"
	}
	return "none"
}

// DateTime is a DATE or DATE-TIME value as the data wrote it.
//
// Time is the instant for UTC and Zoned values (in the zone's location for
// Zoned ones). For Date and Floating values, which are not instants, Time
// holds the wall clock with the location time.UTC; In anchors them in a
// zone.
type DateTime struct {
	Time time.Time
	Kind Kind
	TZID string // the TZID parameter of a Zoned value, spaces trimmed

	wall time.Time // the wall clock as written, for a Zoned value
}

// IsZero reports whether d holds no value (the property was absent).
func (d DateTime) IsZero() bool { return d.Kind == 0 }

// IsDate reports whether d is a DATE value.
func (d DateTime) IsDate() bool { return d.Kind == Date }

// Absolute reports whether d names an instant (UTC or Zoned).
func (d DateTime) Absolute() bool { return d.Kind == UTC || d.Kind == Zoned }

// Wall returns the wall clock of d as written, with the location time.UTC.
// For a Zoned value in a daylight saving gap it differs from Time's wall
// clock (02:30 as written, 03:30 as read): a recurrence rule repeats the
// written one.
func (d DateTime) Wall() time.Time {
	if d.Kind == Zoned && !d.wall.IsZero() {
		return d.wall
	}
	return wallOf(d.Time)
}

// In returns the instant d names when read in loc: Date and Floating values
// are anchored in loc (RFC 5545 §3.3.5 for gaps and overlaps), absolute
// values are returned as they are.
func (d DateTime) In(loc *time.Location) time.Time {
	if d.Absolute() {
		return d.Time
	}
	return InZone(d.Time, loc)
}

// String returns the value as iCalendar text, without its parameters.
func (d DateTime) String() string {
	switch d.Kind {
	case Date:
		return d.Time.Format(dateLayout)
	case UTC:
		return d.Time.UTC().Format(utcLayout)
	case 0:
		return ""
	}
	return d.Wall().Format(localLayout)
}

// Prop returns a property named name holding d, with its VALUE and TZID
// parameters.
func (d DateTime) Prop(name string) *ical.Prop {
	p := ical.NewProp(name)
	p.Value = d.String()
	switch d.Kind {
	case Date:
		p.Params.Set("VALUE", "DATE")
	case Zoned:
		p.Params.Set("TZID", d.TZID)
	}
	return p
}

// NewDate returns the DATE value of the day of t's wall clock.
func NewDate(t time.Time) DateTime {
	y, m, day := t.Date()
	return DateTime{Time: time.Date(y, m, day, 0, 0, 0, 0, time.UTC), Kind: Date}
}

// NewFloating returns the floating DATE-TIME with t's wall clock.
func NewFloating(t time.Time) DateTime {
	return DateTime{Time: wallOf(t).Truncate(time.Second), Kind: Floating}
}

// NewUTC returns the UTC DATE-TIME of the instant t.
func NewUTC(t time.Time) DateTime {
	return DateTime{Time: t.UTC().Truncate(time.Second), Kind: UTC}
}

// NewZoned returns the DATE-TIME that shows wall's clock (its date and time
// fields, whatever its location) in zone tzid, whose location is loc: pass
// t.In(loc) to write the instant t. A wall clock in a daylight saving gap
// is kept as written (see Wall).
func NewZoned(wall time.Time, tzid string, loc *time.Location) DateTime {
	w := wallOf(wall).Truncate(time.Second)
	return DateTime{Time: InZone(w, loc), Kind: Zoned, TZID: tzid, wall: w}
}

// Resolver maps a TZID to its location; Calendar.Location is one.
type Resolver func(tzid string) (*time.Location, error)

const (
	dateLayout  = "20060102"
	localLayout = "20060102T150405"
	utcLayout   = "20060102T150405Z"
)

// ParseDateTime parses a DATE or DATE-TIME property value with its
// parameters (VALUE, TZID). resolve maps a TZID to a location.
//
// Lenient: an 8-digit value without VALUE=DATE is a DATE; a TZID on a UTC or
// DATE value is ignored (RFC 5545 §3.2.19 forbids it); spaces around the
// TZID (Outlook) are trimmed.
func ParseDateTime(value string, params ical.Params, resolve Resolver) (DateTime, error) {
	vt := strings.ToUpper(strings.TrimSpace(params.Get("VALUE")))
	value = strings.TrimSpace(value)
	switch vt {
	case "", "DATE", "DATE-TIME":
	default:
		return DateTime{}, fmt.Errorf("VALUE=%s where a DATE or DATE-TIME was expected", vt)
	}
	if len(value) == len(dateLayout) {
		if vt == "DATE-TIME" {
			return DateTime{}, fmt.Errorf("%q is a DATE, but the property says VALUE=DATE-TIME", value)
		}
		t, err := parseDate(value)
		return DateTime{Time: t, Kind: Date}, err
	}
	if vt == "DATE" {
		return DateTime{}, fmt.Errorf("%q is not a DATE (YYYYMMDD), as VALUE=DATE says", value)
	}
	wall, utc, err := parseDateTimeText(value)
	if err != nil {
		return DateTime{}, err
	}
	if utc {
		return DateTime{Time: wall, Kind: UTC}, nil
	}
	tzid := strings.TrimSpace(params.Get("TZID"))
	if tzid == "" {
		return DateTime{Time: wall, Kind: Floating}, nil
	}
	if resolve == nil {
		resolve = defaultResolver
	}
	loc, err := resolve(tzid)
	if err != nil {
		return DateTime{}, err
	}
	return DateTime{Time: InZone(wall, loc), Kind: Zoned, TZID: tzid, wall: wall}, nil
}

// parseDate parses YYYYMMDD (RFC 5545 §3.3.4).
func parseDate(s string) (time.Time, error) {
	if len(s) != 8 || !digits(s) {
		return time.Time{}, fmt.Errorf("%q is not a DATE (YYYYMMDD)", s)
	}
	y, m, d := atoi(s[:4]), atoi(s[4:6]), atoi(s[6:8])
	if y < 1 || m < 1 || m > 12 || d < 1 || d > daysIn(time.Month(m), y) {
		return time.Time{}, fmt.Errorf("%q is not a valid date", s)
	}
	return time.Date(y, time.Month(m), d, 0, 0, 0, 0, time.UTC), nil
}

// parseDateTimeText parses YYYYMMDDTHHMMSS[Z] (RFC 5545 §3.3.5) into its
// wall clock, and reports whether it is UTC.
func parseDateTimeText(s string) (wall time.Time, utc bool, err error) {
	bad := fmt.Errorf("%q is not a DATE-TIME (YYYYMMDDTHHMMSS, optionally followed by Z)", s)
	if n := len(s); n == 16 && (s[15] == 'Z' || s[15] == 'z') {
		s, utc = s[:15], true
	}
	if len(s) != 15 || (s[8] != 'T' && s[8] != 't') || !digits(s[9:]) {
		return time.Time{}, false, bad
	}
	day, err := parseDate(s[:8])
	if err != nil {
		return time.Time{}, false, err
	}
	h, mi, sec := atoi(s[9:11]), atoi(s[11:13]), atoi(s[13:15])
	if h > 23 || mi > 59 || sec > 60 {
		return time.Time{}, false, fmt.Errorf("%q has an invalid time of day", s)
	}
	if sec == 60 {
		sec = 59 // a leap second (RFC 5545 §3.3.12); Go's clock has none
	}
	return day.Add(time.Duration(h)*time.Hour + time.Duration(mi)*time.Minute + time.Duration(sec)*time.Second), utc, nil
}

// InZone returns the instant at which clocks in loc show the wall clock of
// wall (its date and time fields, whatever its location).
//
// RFC 5545 §3.3.5: a wall clock that occurs twice (the fall-back overlap)
// means the first occurrence; one that does not occur (the spring-forward
// gap) is read with the offset in force before the gap, which moves it
// forward by the length of the gap (02:30 becomes 03:30). time.Date leaves
// both cases unspecified, and in practice gets the gap wrong.
func InZone(wall time.Time, loc *time.Location) time.Time {
	y, mo, d := wall.Date()
	h, mi, s := wall.Clock()
	ns := wall.Nanosecond()
	if loc == nil || loc == time.UTC {
		return time.Date(y, mo, d, h, mi, s, ns, time.UTC)
	}
	t := time.Date(y, mo, d, h, mi, s, ns, loc)
	w := time.Date(y, mo, d, h, mi, s, ns, time.UTC)
	start, end := t.ZoneBounds()
	if wallOf(t).Equal(w) {
		// Valid; in an overlap, prefer the reading in the earlier period.
		if !start.IsZero() {
			_, prev := start.Add(-time.Nanosecond).Zone()
			if c := w.Add(-time.Duration(prev) * time.Second); c.Before(start) && wallOf(c.In(loc)).Equal(w) {
				return c.In(loc)
			}
		}
		return t
	}
	// In a gap: t is either in the period before it or in the one after.
	_, off := t.Zone()
	if c := w.Add(-time.Duration(off) * time.Second); !end.IsZero() && !c.Before(end) {
		return c.In(loc) // t lies before the gap, and off is the offset before it
	}
	if start.IsZero() {
		return t
	}
	_, prev := start.Add(-time.Nanosecond).Zone()
	return w.Add(-time.Duration(prev) * time.Second).In(loc)
}

// wallOf returns t's wall clock in its own location, relabelled as UTC.
func wallOf(t time.Time) time.Time {
	y, mo, d := t.Date()
	h, mi, s := t.Clock()
	return time.Date(y, mo, d, h, mi, s, t.Nanosecond(), time.UTC)
}

func digits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return s != ""
}

// atoi converts a short string of ASCII digits (checked by the caller).
func atoi(s string) int {
	n := 0
	for i := 0; i < len(s); i++ {
		n = n*10 + int(s[i]-'0')
	}
	return n
}

func daysIn(m time.Month, year int) int {
	return time.Date(year, m+1, 0, 0, 0, 0, 0, time.UTC).Day()
}
