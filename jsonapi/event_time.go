package jsonapi

import (
	"net/http"
	"time"

	"github.com/almanac/almanac/icalendar"
	"github.com/almanac/almanac/timezone"
)

const (
	dateLayout  = "2006-01-02"
	localLayout = "2006-01-02T15:04:05"
)

// eventTimeOf is the JSON form of a DATE or DATE-TIME value.
func eventTimeOf(d icalendar.DateTime) EventTime {
	return eventTimeAt(d.Time, d)
}

// eventTimeAt writes t in the form of the value form: t is an instant for
// UTC and zoned forms, and a wall clock labelled UTC for floating and date
// forms (the convention of package recurrence).
func eventTimeAt(t time.Time, form icalendar.DateTime) EventTime {
	switch form.Kind {
	case icalendar.Date:
		return EventTime{Date: t.Format(dateLayout)}
	case icalendar.Floating:
		return EventTime{DateTime: t.Format(localLayout), Floating: true}
	case icalendar.Zoned:
		loc := form.Time.Location()
		return EventTime{DateTime: t.In(loc).Format(time.RFC3339), TimeZone: zoneName(loc)}
	}
	return EventTime{DateTime: t.UTC().Format(time.RFC3339), TimeZone: "UTC"}
}

// zoneName is the IANA name of a location resolved from a TZID, or ""
// when the TZID was known only by its VTIMEZONE definition: then the JSON
// form carries the offset alone.
func zoneName(loc *time.Location) string {
	if l, ok := timezone.Lookup(loc.String()); ok {
		return l.String()
	}
	return ""
}

// lookupZone resolves a time_zone field: an IANA name (or any name
// timezone.Lookup knows, answered with the name it resolves to).
func lookupZone(field, name string) (*time.Location, error) {
	loc, ok := timezone.Lookup(name)
	if !ok {
		return nil, fieldProblem(http.StatusUnprocessableEntity, field, "is not a known time zone; use an IANA name such as Europe/Berlin")
	}
	return loc, nil
}

// parseEventTime reads a start or end from a request. A date is an all-day
// value; a date_time with an offset is an instant, written in time_zone
// when one is given and in UTC otherwise; a date_time without offset is the
// wall clock in time_zone, or floating when floating is set.
func parseEventTime(field string, et *EventTime) (icalendar.DateTime, error) {
	bad := func(sub, msg string) (icalendar.DateTime, error) {
		return icalendar.DateTime{}, fieldProblem(http.StatusUnprocessableEntity, field+sub, msg)
	}
	switch {
	case et.Date != "" && (et.DateTime != "" || et.TimeZone != "" || et.Floating):
		return bad(".date", "excludes date_time, time_zone and floating: an all-day value has none")
	case et.Date != "":
		d, err := time.Parse(dateLayout, et.Date)
		if err != nil {
			return bad(".date", "must be a date, YYYY-MM-DD")
		}
		return icalendar.NewDate(d), nil
	case et.DateTime == "":
		return bad("", "needs date (all day) or date_time")
	case et.Floating && et.TimeZone != "":
		return bad(".floating", "excludes time_zone")
	}
	if t, err := time.Parse(time.RFC3339, et.DateTime); err == nil {
		if et.Floating {
			return bad(".date_time", "must be a local time without offset when floating is set")
		}
		if et.TimeZone == "" {
			return icalendar.NewUTC(t), nil
		}
		return zoned(field, t, et.TimeZone)
	}
	wall, err := time.Parse(localLayout, et.DateTime)
	if err != nil {
		return bad(".date_time", "must be an RFC 3339 date-time, e.g. 2026-03-10T09:30:00 with time_zone, or with an offset")
	}
	switch {
	case et.Floating:
		return icalendar.NewFloating(wall), nil
	case et.TimeZone == "":
		return bad(".time_zone", "is required for a local date_time (or give the date_time an offset)")
	}
	loc, err := lookupZone(field+".time_zone", et.TimeZone)
	if err != nil {
		return icalendar.DateTime{}, err
	}
	return zonedWall(wall, loc), nil
}

// zoned writes the instant t in the named zone.
func zoned(field string, t time.Time, name string) (icalendar.DateTime, error) {
	loc, err := lookupZone(field+".time_zone", name)
	if err != nil {
		return icalendar.DateTime{}, err
	}
	return zonedWall(t.In(loc), loc), nil
}

// zonedWall is the wall clock in loc, as a UTC value when loc is UTC.
func zonedWall(wall time.Time, loc *time.Location) icalendar.DateTime {
	if loc == time.UTC || loc.String() == "UTC" {
		return icalendar.NewUTC(time.Date(wall.Year(), wall.Month(), wall.Day(), wall.Hour(), wall.Minute(), wall.Second(), 0, time.UTC))
	}
	return icalendar.NewZoned(wall, loc.String(), loc)
}

// parseInstant reads an RFC 3339 query parameter or field.
func parseInstant(field, s string) (time.Time, error) {
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		return time.Time{}, fieldProblem(http.StatusBadRequest, field, "must be an RFC 3339 time with offset, e.g. 2026-03-01T00:00:00Z")
	}
	return t, nil
}
