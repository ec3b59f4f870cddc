package jsonapi

import (
	"strings"
	"time"

	"github.com/almanac/almanac/icalendar"
)

// An instance of a series is named "{series id}_{original start}", as
// Google's API names them: the original start (the RECURRENCE-ID an
// override of it would carry) in UTC basic format for a series with
// absolute times (20260310T080000Z), as a wall clock for a floating one
// (20260310T090000) and as a date for an all-day one (20260310). The id
// stays the same whatever the instance is changed to, so clients can keep
// it, and it needs no lookup table.
const (
	ridUTC      = "20060102T150405Z"
	ridFloating = "20060102T150405"
	ridDate     = "20060102"
)

// instanceID names the instance of series uuid whose recurrence id is rid
// (package recurrence's convention: an instant, or a wall clock labelled
// UTC for floating and all-day series, whose DTSTART has kind).
func instanceID(uuid string, rid time.Time, kind icalendar.Kind) string {
	switch kind {
	case icalendar.Date:
		return uuid + "_" + rid.Format(ridDate)
	case icalendar.Floating:
		return uuid + "_" + rid.Format(ridFloating)
	}
	return uuid + "_" + rid.UTC().Format(ridUTC)
}

// eventID is a parsed event or instance id.
type eventID struct {
	uuid string
	rid  time.Time // zero for the whole event
	kind icalendar.Kind
}

func (id eventID) instance() bool { return !id.rid.IsZero() }

// parseEventID reads an event id or an instance id; ok is false when s
// is neither.
func parseEventID(s string) (eventID, bool) {
	uuid, suffix, hasSuffix := strings.Cut(s, "_")
	if !isUUID(uuid) {
		return eventID{}, false
	}
	if !hasSuffix {
		return eventID{uuid: uuid}, true
	}
	for _, f := range []struct {
		layout string
		kind   icalendar.Kind
	}{{ridUTC, icalendar.UTC}, {ridFloating, icalendar.Floating}, {ridDate, icalendar.Date}} {
		if len(suffix) != len(f.layout) {
			continue
		}
		t, err := time.Parse(f.layout, suffix)
		if err != nil {
			return eventID{}, false
		}
		return eventID{uuid: uuid, rid: t, kind: f.kind}, true
	}
	return eventID{}, false
}
