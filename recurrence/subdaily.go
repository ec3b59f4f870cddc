package recurrence

import (
	"slices"
	"time"

	"github.com/almanac/almanac/icalendar"
)

// subDaily expands HOURLY, MINUTELY and SECONDLY rules in elapsed time.
//
// Semantics, which RFC 5545 leaves open for sub-daily rules across a
// daylight saving change: periods follow one another every INTERVAL hours
// (minutes, seconds) of absolute time, so an hourly rule neither repeats an
// hour nor skips one when the clocks change; the BYxxx parts are matched
// against the local wall clock of each instant. Thus FREQ=HOURLY from
// 00:00 in New York on the spring-forward day gives 00:00, 01:00, 03:00
// (EDT) — 02:00 does not exist — and on the fall-back day 00:00, 01:00
// EDT, 01:00 EST, 02:00. (dateutil and rrule-go step the wall clock and
// repeat or lose an hour; libical steps the wall clock too.)
//
// A period of an HOURLY rule starts on a local hour boundary and one of a
// MINUTELY rule on a minute boundary; this holds in every zone whose
// daylight saving shift is a whole number of hours (Lord Howe's half hour
// is the exception).
type subDaily struct {
	step     int64   // seconds between period starts
	base     int64   // Unix time of the start of DTSTART's period
	offsets  []int64 // seconds from a period's start to its candidates, sorted
	bySetPos []int
	wkst     time.Weekday
	// limits, matched against local time
	byMonth, byMonthDay, byYearDay, byWeekNo, byHour, byMinute, bySecond []int
	byDay                                                                []time.Weekday
}

// skip levels: how far a rejected period lets the scan jump.
const (
	nextPeriod = iota
	nextMinute
	nextHour
	nextDay
	nextMonth
)

func newSubDaily(r *Rule) *subDaily {
	rec, w := r.recur, r.wall
	g := &subDaily{bySetPos: rec.BySetPos, wkst: rec.WeekStart, byMonth: rec.ByMonth,
		byMonthDay: rec.ByMonthDay, byYearDay: rec.ByYearDay, byWeekNo: rec.ByWeekNo, byHour: rec.ByHour}
	for _, d := range rec.ByDay {
		g.byDay = append(g.byDay, d.Day) // an ordinal has no meaning here (RFC 5545 §3.3.10)
	}
	start := r.start.Unix()
	secs := orDefault(rec.BySecond, w.Second())
	switch rec.Freq {
	case icalendar.Hourly:
		g.step, g.base = int64(rec.Interval)*3600, start-int64(w.Minute()*60+w.Second())
		for _, m := range orDefault(rec.ByMinute, w.Minute()) {
			for _, s := range secs {
				g.offsets = append(g.offsets, int64(m*60+s))
			}
		}
	case icalendar.Minutely:
		g.step, g.base, g.byMinute = int64(rec.Interval)*60, start-int64(w.Second()), rec.ByMinute
		for _, s := range secs {
			g.offsets = append(g.offsets, int64(s))
		}
	default:
		g.step, g.base, g.byMinute, g.bySecond = int64(rec.Interval), start, rec.ByMinute, rec.BySecond
		g.offsets = []int64{0}
	}
	slices.Sort(g.offsets)
	g.offsets = slices.Compact(g.offsets)
	return g
}

func (g *subDaily) collect(r *Rule, from, to time.Time, max int) ([]time.Time, error) {
	lo, hi, start := from.Unix(), to.Unix(), r.start.Unix()
	if from.Nanosecond() > 0 {
		lo++ // instances fall on whole seconds
	}
	if to.Nanosecond() > 0 {
		hi++
	}
	if !r.untilAt.IsZero() && r.untilAt.Unix() < hi {
		hi = r.untilAt.Unix() + 1 // UNTIL is inclusive
	}
	k := int64(0)
	if d := lo - g.base - g.offsets[len(g.offsets)-1]; d > 0 {
		k = d / g.step
	}
	var out []time.Time
	idle := 0
	for ps := g.base + k*g.step; ps < hi && ps <= MaxTime.Unix(); ps = g.base + k*g.step {
		lt := time.Unix(ps, 0).In(r.loc)
		if level, ok := g.reject(lt); ok {
			if idle++; idle > r.lim.MaxSteps {
				return nil, limitError("MaxSteps", r.lim.MaxSteps, "FREQ=%s scanned %d periods without an instance", r.recur.Freq, idle-1)
			}
			k = g.resume(k, ps, lt, level, r.loc)
			continue
		}
		for _, c := range g.candidates(ps) {
			if c >= start && c >= lo && c < hi {
				out = append(out, time.Unix(c, 0).UTC())
				idle = 0
			}
		}
		if len(out) >= max {
			return out[:max], nil
		}
		k++
	}
	return out, nil
}

// candidates returns the instants of the period starting at ps, after
// BYSETPOS (RFC 5545 §3.3.10: positions within the period's set).
func (g *subDaily) candidates(ps int64) []int64 {
	set := make([]int64, len(g.offsets))
	for i, off := range g.offsets {
		set[i] = ps + off
	}
	if len(g.bySetPos) == 0 {
		return set
	}
	var out []int64
	for _, pos := range g.bySetPos {
		i := pos - 1
		if pos < 0 {
			i = len(set) + pos
		}
		if i >= 0 && i < len(set) {
			out = append(out, set[i])
		}
	}
	slices.Sort(out)
	return slices.Compact(out)
}

// reject matches the limiting BYxxx parts against the local time of a
// period and, when they fail, says how far the scan may jump.
func (g *subDaily) reject(lt time.Time) (int, bool) {
	switch {
	case len(g.byMonth) > 0 && !slices.Contains(g.byMonth, int(lt.Month())):
		return nextMonth, true
	case !g.dayMatches(lt):
		return nextDay, true
	case len(g.byHour) > 0 && !slices.Contains(g.byHour, lt.Hour()):
		return nextHour, true
	case len(g.byMinute) > 0 && !slices.Contains(g.byMinute, lt.Minute()):
		return nextMinute, true
	case len(g.bySecond) > 0 && !slices.Contains(g.bySecond, lt.Second()):
		return nextPeriod, true
	}
	return 0, false
}

func (g *subDaily) dayMatches(lt time.Time) bool {
	if len(g.byDay) > 0 && !slices.Contains(g.byDay, lt.Weekday()) {
		return false
	}
	if len(g.byMonthDay) > 0 {
		dim := time.Date(lt.Year(), lt.Month()+1, 0, 0, 0, 0, 0, time.UTC).Day()
		if !slices.Contains(g.byMonthDay, lt.Day()) && !slices.Contains(g.byMonthDay, lt.Day()-dim-1) {
			return false
		}
	}
	if len(g.byYearDay) > 0 {
		diy := time.Date(lt.Year(), 12, 31, 0, 0, 0, 0, time.UTC).YearDay()
		if !slices.Contains(g.byYearDay, lt.YearDay()) && !slices.Contains(g.byYearDay, lt.YearDay()-diy-1) {
			return false
		}
	}
	if len(g.byWeekNo) > 0 {
		week, weeks := weekNumber(lt, g.wkst)
		if !slices.Contains(g.byWeekNo, week) && !slices.Contains(g.byWeekNo, week-weeks-1) {
			return false
		}
	}
	return true
}

// resume returns the first period index after k that starts at or after
// the next local month, day, hour or minute boundary after lt.
func (g *subDaily) resume(k, ps int64, lt time.Time, level int, loc *time.Location) int64 {
	var next int64
	switch level {
	case nextMonth:
		next = icalendar.InZone(time.Date(lt.Year(), lt.Month()+1, 1, 0, 0, 0, 0, time.UTC), loc).Unix()
	case nextDay:
		next = icalendar.InZone(time.Date(lt.Year(), lt.Month(), lt.Day()+1, 0, 0, 0, 0, time.UTC), loc).Unix()
	case nextHour:
		next = ps - int64(lt.Minute()*60+lt.Second()) + 3600
	case nextMinute:
		next = ps - int64(lt.Second()) + 60
	default:
		return k + 1
	}
	return max(k+1, (next-g.base+g.step-1)/g.step)
}

func (g *subDaily) countBound(r *Rule, count int) error {
	got, err := g.collect(r, r.start, MaxTime, count)
	if err != nil {
		return err
	}
	if len(got) == 0 {
		r.untilAt = r.start.Add(-time.Second)
	} else if last := got[len(got)-1]; r.untilAt.IsZero() || last.Before(r.untilAt) {
		r.untilAt = last
	}
	return nil
}

// weekNumber returns the number of t's week in its week-numbering year and
// how many weeks that year has; week 1 holds January 4th (RFC 5545
// §3.3.10, ISO 8601, with WKST as the first day of the week).
func weekNumber(t time.Time, wkst time.Weekday) (week, weeks int) {
	y := weekYear(t, wkst)
	first := weekStart(time.Date(y, 1, 4, 0, 0, 0, 0, time.UTC), wkst)
	next := weekStart(time.Date(y+1, 1, 4, 0, 0, 0, 0, time.UTC), wkst)
	week = daysBetween(first, weekStart(dateOf(t), wkst))/7 + 1
	return week, daysBetween(first, next) / 7
}
