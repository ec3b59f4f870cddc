package recurrence

import (
	"math"
	"time"

	"github.com/almanac/almanac/icalendar"
)

// zoneCache reads wall clocks in a zone quickly while they stay well inside
// one period of constant UTC offset, where the reading is plain
// subtraction; near a transition it defers to icalendar.InZone.
type zoneCache struct {
	loc    *time.Location
	lo, hi int64 // Unix seconds between which the offset is off, two days clear of any transition
	off    int64
}

// safety keeps the fast path two days away from a transition: offsets of
// neighbouring periods differ by less than that, so a wall clock read
// there can be neither skipped nor repeated.
const safety = 2 * 86400

func newZoneCache(loc *time.Location) *zoneCache {
	return &zoneCache{loc: loc, lo: math.MaxInt64, hi: math.MinInt64}
}

// instant returns the instant, in UTC, at which clocks in the zone show w's
// wall clock (w is labelled UTC).
func (z *zoneCache) instant(w time.Time) time.Time {
	if z.loc == time.UTC {
		return w
	}
	if c := w.Unix() - z.off; c >= z.lo && c < z.hi {
		return time.Unix(c, int64(w.Nanosecond())).UTC()
	}
	t := icalendar.InZone(w, z.loc)
	start, end := t.ZoneBounds()
	_, off := t.Zone()
	z.off, z.lo, z.hi = int64(off), math.MinInt64, math.MaxInt64
	if !start.IsZero() {
		z.lo = start.Unix() + safety
	}
	if !end.IsZero() {
		z.hi = end.Unix() - safety
	}
	return t.UTC()
}
