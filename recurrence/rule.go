package recurrence

import (
	"fmt"
	"slices"
	"time"

	"github.com/almanac/almanac/icalendar"
)

// The span of time the package works in: the years a DATE-TIME can write.
var (
	MinTime = time.Date(1, 1, 1, 0, 0, 0, 0, time.UTC)
	MaxTime = time.Date(9999, 12, 31, 23, 59, 59, 0, time.UTC)
)

// Rule is one RRULE bound to its DTSTART, ready to expand.
//
// Instants are returned in UTC. For a floating or DATE DTSTART, which
// names no instant, they are the wall clock labelled UTC, as everywhere in
// this package.
type Rule struct {
	declared  icalendar.Recur // as written
	recur     icalendar.Recur // with the parts DTSTART implies made explicit
	start     time.Time       // DTSTART as an instant (or wall clock), UTC
	wall      time.Time       // DTSTART's wall clock, labelled UTC
	loc       *time.Location  // where wall clocks are read; UTC for floating, DATE and UTC values
	date      bool            // DTSTART is a DATE
	untilAt   time.Time       // no instant after this belongs to the rule; zero: no bound
	untilWall time.Time       // no wall clock after this (in rule order); set from COUNT
	lim       Limits
	gen       generator
	first     time.Time // the first instance; zero when the rule has none
}

// generator produces a rule's instances: rrule-go for DAILY and longer
// periods, this package's own for sub-daily ones.
type generator interface {
	// collect returns the instants in [from, to) that belong to r, sorted
	// and distinct, at most max of them.
	collect(r *Rule, from, to time.Time, max int) ([]time.Time, error)
	// countBound turns COUNT into a bound on r.untilAt or r.untilWall.
	countBound(r *Rule, count int) error
}

// NewRule prepares rec for expansion from start (zero fields of lim take
// their value from DefaultLimits). It fails with a *LimitError when the
// rule exceeds lim, and with an *icalendar.Error when it uses something
// this package does not implement. A Rule is safe for concurrent use.
func NewRule(rec icalendar.Recur, start icalendar.DateTime, lim Limits) (*Rule, error) {
	lim = lim.orDefaults()
	if start.IsZero() {
		return nil, dataError("RRULE", "a recurrence rule needs a DTSTART")
	}
	if err := supported(rec, start); err != nil {
		return nil, err
	}
	r := &Rule{declared: rec, loc: time.UTC, date: start.IsDate(), lim: lim}
	if start.Kind == icalendar.Zoned {
		r.loc = start.Time.Location()
	}
	r.start = start.In(r.loc).UTC()
	r.wall = start.Wall() // as written: a DTSTART in a DST gap repeats at its written time
	if start.IsDate() {
		r.wall = dateOf(r.wall)
	}
	empty := false
	r.recur, empty = explicit(rec, r.wall, r.date)
	if err := r.checkLimits(); err != nil {
		return nil, err
	}
	if empty {
		return r, nil
	}
	r.untilAt = r.untilInstant(rec.Until)
	if rec.Freq < icalendar.Daily {
		r.gen = newSubDaily(r)
	} else {
		r.gen = newDaily(r)
	}
	if rec.Count > 0 {
		if err := r.gen.countBound(r, rec.Count); err != nil {
			return nil, err
		}
	}
	first, err := r.gen.collect(r, r.start, MaxTime, 1)
	if err != nil {
		return nil, err
	}
	if len(first) > 0 {
		r.first = first[0]
	}
	return r, nil
}

func dataError(prop, format string, args ...any) *icalendar.Error {
	return &icalendar.Error{Precondition: icalendar.ValidCalendarData, Property: prop, Msg: fmt.Sprintf(format, args...)}
}

// supported rejects what RFC 7529 allows but this package does not
// implement.
func supported(rec icalendar.Recur, start icalendar.DateTime) error {
	if rec.Skip == "BACKWARD" || rec.Skip == "FORWARD" {
		return dataError("RRULE", "SKIP=%s is not supported: only SKIP=OMIT, the RFC 5545 behaviour of dropping invalid dates such as February 30 (RFC 7529 §3.1)", rec.Skip)
	}
	if start.IsDate() && rec.Freq < icalendar.Daily {
		return dataError("RRULE", "FREQ=%s cannot repeat an all-day (DATE) DTSTART", rec.Freq)
	}
	return nil
}

// explicit returns rec with every part that DTSTART implies written out
// (RFC 5545 §3.3.10: "Information, not contained in the rule, necessary to
// determine the various recurrence instance start time and dates are
// derived from the Start Time"), so that the rule can be expanded from any
// period start, not only from DTSTART. It reports whether the rule can
// have no instance at all.
func explicit(rec icalendar.Recur, wall time.Time, date bool) (icalendar.Recur, bool) {
	rec, empty := dropImpossible(rec, date)
	if date {
		// The time of day of a DATE is no part of it.
		rec.ByHour, rec.ByMinute, rec.BySecond = nil, nil, nil
	}
	if rec.Freq >= icalendar.Daily {
		rec.ByHour = orDefault(rec.ByHour, wall.Hour())
		rec.ByMinute = orDefault(rec.ByMinute, wall.Minute())
		rec.BySecond = orDefault(rec.BySecond, wall.Second())
	}
	noDay := len(rec.ByWeekNo) == 0 && len(rec.ByYearDay) == 0 && len(rec.ByMonthDay) == 0 && len(rec.ByDay) == 0
	switch {
	case rec.Freq == icalendar.Weekly && noDay:
		rec.ByDay = []icalendar.WeekdayNum{{Day: wall.Weekday()}}
	case rec.Freq == icalendar.Monthly && noDay:
		rec.ByMonthDay = []int{wall.Day()}
	case rec.Freq == icalendar.Yearly && noDay:
		rec.ByMonth = orDefault(rec.ByMonth, int(wall.Month()))
		rec.ByMonthDay = []int{wall.Day()}
	case rec.Freq == icalendar.Yearly && len(rec.ByMonth) == 0 && len(rec.ByMonthDay) > 0 &&
		len(rec.ByWeekNo) == 0 && len(rec.ByYearDay) == 0:
		// A day of the month, but which month? DTSTART's.
		rec.ByMonth = []int{int(wall.Month())}
	case rec.Freq == icalendar.Yearly && len(rec.ByWeekNo) > 0 && len(rec.ByDay) == 0 &&
		len(rec.ByMonthDay) == 0 && len(rec.ByYearDay) == 0:
		// A week of the year, but which day of it? DTSTART's weekday.
		rec.ByDay = []icalendar.WeekdayNum{{Day: wall.Weekday()}}
	}
	return rec, empty
}

// dropImpossible removes BYxxx values that can match nothing, and reports
// whether that leaves a part with no value at all: a rule without instances.
func dropImpossible(rec icalendar.Recur, date bool) (icalendar.Recur, bool) {
	// Go's clock has no leap second: BYSECOND=60 matches nothing.
	n := len(rec.BySecond)
	rec.BySecond = slices.DeleteFunc(slices.Clone(rec.BySecond), func(s int) bool { return s == 60 })
	empty := n > 0 && len(rec.BySecond) == 0 && !date
	// An ordinal weekday past the fifth of a month matches nothing (and
	// makes rrule-go index out of its masks).
	if len(rec.ByDay) > 0 && (rec.Freq == icalendar.Monthly || rec.Freq == icalendar.Yearly && len(rec.ByMonth) > 0) {
		rec.ByDay = slices.DeleteFunc(slices.Clone(rec.ByDay), func(d icalendar.WeekdayNum) bool { return d.N > 5 || d.N < -5 })
		empty = empty || len(rec.ByDay) == 0
	}
	return rec, empty
}

func orDefault(v []int, d int) []int {
	if len(v) == 0 {
		return []int{d}
	}
	return v
}

// untilInstant converts UNTIL into an inclusive bound (RFC 5545 §3.3.10).
// A UTC UNTIL is an instant, compared as such with the instances of a
// zoned rule; for a floating or DATE rule its digits are read as wall
// clock. A DATE UNTIL includes the whole day.
func (r *Rule) untilInstant(u icalendar.DateTime) time.Time {
	switch {
	case u.IsZero():
		return time.Time{}
	case u.IsDate() || r.date:
		day := time.Date(u.Time.Year(), u.Time.Month(), u.Time.Day()+1, 0, 0, 0, 0, time.UTC)
		return icalendar.InZone(day, r.loc).Add(-time.Nanosecond).UTC()
	case u.Kind == icalendar.UTC:
		return u.Time
	}
	return icalendar.InZone(u.Time, r.loc).UTC()
}

// checkLimits applies MaxCount, then MinInterval to a rule that COUNT or
// UNTIL does not bound to MaxCount instances, and MinUnbounded to a
// sub-daily rule with neither (see Limits).
func (r *Rule) checkLimits() error {
	rec, lim := r.recur, r.lim
	if rec.Count > lim.MaxCount {
		return limitError("MaxCount", lim.MaxCount, "COUNT=%d", rec.Count)
	}
	if r.fewInstances(lim.MaxCount) {
		return nil
	}
	period, perPeriod := r.density()
	if perPeriod > 0 && float64(period)/float64(perPeriod) < lim.MinInterval.Seconds() {
		return limitError("MinInterval", lim.MinInterval, "FREQ=%s;INTERVAL=%d with %d times per period (an instance every %.3gs) and more than %d instances",
			rec.Freq, rec.Interval, perPeriod, float64(period)/float64(perPeriod), lim.MaxCount)
	}
	if rec.Freq < icalendar.Daily && rec.Count == 0 && rec.Until.IsZero() {
		if every := r.unboundedSpacing(); every < lim.MinUnbounded.Seconds() {
			return limitError("MinUnbounded", lim.MinUnbounded, "FREQ=%s;INTERVAL=%d without COUNT or UNTIL (an instance every %.3gs on average)",
				rec.Freq, rec.Interval, every)
		}
	}
	return nil
}

// fewInstances reports whether COUNT, or UNTIL at the rule's average
// rate, leaves the rule at most max instances. The estimate counts every
// time the rule's period can hold, so it errs towards more instances.
func (r *Rule) fewInstances(max int) bool {
	rec := r.recur
	switch {
	case rec.Count > 0:
		return rec.Count <= max
	case rec.Until.IsZero():
		return false
	}
	span := r.untilInstant(rec.Until).Sub(r.start).Seconds()
	every := r.unboundedSpacing()
	return span <= 0 || every > 0 && span/every <= float64(max)
}

// unboundedSpacing estimates the average seconds between the instances of
// a rule. For a sub-daily one it counts the hours and minutes its BYHOUR
// and BYMINUTE parts leave out: FREQ=MINUTELY;INTERVAL=20;BYHOUR=9,...,16
// makes 24 instances a day, as many as a daily rule at 24 times. A rule
// of a day or longer is taken to repeat every day, an upper bound.
func (r *Rule) unboundedSpacing() float64 {
	period, n := r.density()
	every := float64(period) / float64(n)
	if r.recur.Freq >= icalendar.Daily {
		return every
	}
	if h := len(r.recur.ByHour); h > 0 {
		every *= 24 / float64(h)
	}
	if m := len(r.recur.ByMinute); m > 0 && r.recur.Freq < icalendar.Hourly {
		every *= 60 / float64(m)
	}
	return every
}

// density returns the length in seconds of the span the rule's time-of-day
// expansion fills (FREQ×INTERVAL for sub-daily rules, a day for the others)
// and how many instances it places in it.
func (r *Rule) density() (seconds int64, n int) {
	rec := r.recur
	count := func(v []int) int { return max(len(v), 1) }
	switch rec.Freq {
	case icalendar.Secondly:
		return int64(rec.Interval), 1
	case icalendar.Minutely:
		return int64(rec.Interval) * 60, count(rec.BySecond)
	case icalendar.Hourly:
		return int64(rec.Interval) * 3600, count(rec.ByMinute) * count(rec.BySecond)
	}
	return 86400, count(rec.ByHour) * count(rec.ByMinute) * count(rec.BySecond)
}

// Start returns DTSTART as an instant (wall clock for floating and DATE).
func (r *Rule) Start() time.Time { return r.start }

// Bounded reports whether the rule has COUNT or UNTIL, or no instance.
func (r *Rule) Bounded() bool {
	return r.gen == nil || r.recur.Count > 0 || !r.recur.Until.IsZero() || r.first.IsZero()
}

// Between returns the starts of the rule's instances in [from, to), sorted,
// at most max of them. It does not add DTSTART unless the rule produces
// it (as libical and dateutil do; Series adds it, RFC 5545 §3.8.5.3).
func (r *Rule) Between(from, to time.Time, max int) ([]time.Time, error) {
	if r.gen == nil || r.first.IsZero() || !r.first.Before(to) || max <= 0 {
		return nil, nil
	}
	if from.Before(r.first) {
		from = r.first
	}
	if !r.untilAt.IsZero() && from.After(r.untilAt) {
		return nil, nil
	}
	return r.gen.collect(r, from.UTC(), to.UTC(), max)
}

// wallIn returns the wall clock of t in loc, labelled UTC.
func wallIn(t time.Time, loc *time.Location) time.Time {
	t = t.In(loc)
	y, mo, d := t.Date()
	h, mi, s := t.Clock()
	return time.Date(y, mo, d, h, mi, s, t.Nanosecond(), time.UTC)
}

// sortUnique sorts ts, drops repeats and keeps at most max.
func sortUnique(ts []time.Time, max int) []time.Time {
	if !slices.IsSortedFunc(ts, time.Time.Compare) { // one rule alone yields them in order
		slices.SortFunc(ts, time.Time.Compare)
	}
	ts = slices.CompactFunc(ts, func(a, b time.Time) bool { return a.Equal(b) })
	if len(ts) > max {
		ts = ts[:max]
	}
	return ts
}
