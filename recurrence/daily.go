package recurrence

import (
	"fmt"
	"time"

	"github.com/teambition/rrule-go"

	"github.com/almanac/almanac/icalendar"
)

// daily expands DAILY, WEEKLY, MONTHLY and YEARLY rules with rrule-go, on
// wall clocks labelled UTC, so that a rule repeats at the same local time
// whatever daylight saving does (RFC 5545 §3.3.10 applies the rule to local
// time); each wall clock is then read in the rule's zone (RFC 5545 §3.3.5).
//
// rrule-go is never given COUNT or UNTIL, and always starts at the first
// day of a period of the rule: this lets expansion seek to any period
// instead of iterating from DTSTART, and gives BYSETPOS a whole first week
// (rrule-go counts positions from DTSTART in its first week).
type daily struct {
	tmpl      rrule.ROption
	freq      icalendar.Frequency
	interval  int
	wkst      time.Weekday
	weekYears bool // YEARLY with BYWEEKNO and INTERVAL > 1: periods are week-numbering years
}

func newDaily(r *Rule) *daily {
	rec := r.recur
	g := &daily{freq: rec.Freq, interval: rec.Interval, wkst: rec.WeekStart}
	g.weekYears = rec.Freq == icalendar.Yearly && len(rec.ByWeekNo) > 0 && rec.Interval > 1
	g.tmpl = rrule.ROption{
		Freq:       map[icalendar.Frequency]rrule.Frequency{icalendar.Daily: rrule.DAILY, icalendar.Weekly: rrule.WEEKLY, icalendar.Monthly: rrule.MONTHLY, icalendar.Yearly: rrule.YEARLY}[rec.Freq],
		Interval:   rec.Interval,
		Wkst:       rruleDay(rec.WeekStart, 0),
		Bysetpos:   rec.BySetPos,
		Bymonth:    rec.ByMonth,
		Bymonthday: rec.ByMonthDay,
		Byyearday:  rec.ByYearDay,
		Byweekno:   rec.ByWeekNo,
		Byhour:     rec.ByHour,
		Byminute:   rec.ByMinute,
		Bysecond:   rec.BySecond,
	}
	if g.weekYears {
		// Expanded year by year; inPhase keeps every INTERVAL-th week year.
		g.tmpl.Interval = 1
	}
	for _, d := range rec.ByDay {
		g.tmpl.Byweekday = append(g.tmpl.Byweekday, rruleDay(d.Day, d.N))
	}
	return g
}

func rruleDay(d time.Weekday, n int) rrule.Weekday {
	days := [...]rrule.Weekday{rrule.SU, rrule.MO, rrule.TU, rrule.WE, rrule.TH, rrule.FR, rrule.SA}
	return days[d].Nth(n)
}

func (g *daily) collect(r *Rule, from, to time.Time, max int) ([]time.Time, error) {
	seek := wallIn(from, r.loc).AddDate(0, 0, -1) // a day covers any change of UTC offset
	if seek.Before(r.wall) {
		seek = r.wall
	}
	end := r.lastWall(wallIn(to, r.loc).AddDate(0, 0, 1))
	next, err := g.iterator(g.periodStart(r, seek))
	if err != nil {
		return nil, err
	}
	out := make([]time.Time, 0, min(max, 64))
	var stop time.Time
	zone := newZoneCache(r.loc)
	for {
		w, ok, err := next()
		if err != nil {
			return nil, err
		}
		if !ok || w.After(end) || !stop.IsZero() && w.After(stop) {
			break
		}
		if w.Before(r.wall) || g.weekYears && !g.inPhase(w, r.wall) {
			continue
		}
		at := zone.instant(w)
		if at.Before(from) || !at.Before(to) || !r.untilAt.IsZero() && at.After(r.untilAt) {
			continue
		}
		if out = append(out, at); len(out) == max && stop.IsZero() {
			// Wall clocks in a DST gap move forward by its length, so a
			// later wall clock can be an earlier instant: look a little
			// further before sorting.
			stop = w.Add(3 * time.Hour)
		}
	}
	return sortUnique(out, max), nil
}

// lastWall lowers end to the last wall clock the rule's bounds allow.
func (r *Rule) lastWall(end time.Time) time.Time {
	if !r.untilAt.IsZero() {
		if u := wallIn(r.untilAt, r.loc).AddDate(0, 0, 1); u.Before(end) {
			end = u
		}
	}
	if !r.untilWall.IsZero() && r.untilWall.Before(end) {
		end = r.untilWall
	}
	return end
}

// countBound finds the COUNT-th instance in rule order (RFC 5545 §3.3.10:
// COUNT counts from DTSTART) and makes its wall clock the bound, after
// which the rule seeks like one with UNTIL.
func (g *daily) countBound(r *Rule, count int) error {
	next, err := g.iterator(g.periodStart(r, r.wall))
	if err != nil {
		return err
	}
	end := r.lastWall(MaxTime.AddDate(1, 0, 0))
	zone := newZoneCache(r.loc)
	n := 0
	for n < count {
		w, ok, err := next()
		if err != nil {
			return err
		}
		if !ok || w.After(end) {
			break
		}
		if w.Before(r.wall) || g.weekYears && !g.inPhase(w, r.wall) {
			continue
		}
		if at := zone.instant(w); !r.untilAt.IsZero() && at.After(r.untilAt) {
			continue
		}
		n++
		r.untilWall = w
	}
	if n == 0 {
		r.untilWall = r.wall.Add(-time.Second) // nothing: a bound before DTSTART
	}
	return nil
}

// iterator runs rrule-go from the period starting at p; a panic in it
// becomes an error.
func (g *daily) iterator(p time.Time) (next func() (time.Time, bool, error), err error) {
	defer func() {
		if p := recover(); p != nil {
			next, err = nil, fmt.Errorf("recurrence: expanding the rule failed: %v", p)
		}
	}()
	opt := g.tmpl
	opt.Dtstart = p
	rr, err := rrule.NewRRule(opt)
	if err != nil {
		return nil, dataError("RRULE", "%v", err)
	}
	it := rr.Iterator()
	return func() (t time.Time, ok bool, err error) {
		defer func() {
			if p := recover(); p != nil {
				err = fmt.Errorf("recurrence: expanding the rule failed: %v", p)
			}
		}()
		t, ok = it()
		return t, ok, nil
	}, nil
}

// periodStart returns the start of the last period of the rule that begins
// on or before seek: DTSTART's period moved by a whole number of
// INTERVALs, which keeps the rule's phase.
func (g *daily) periodStart(r *Rule, seek time.Time) time.Time {
	d0 := dateOf(r.wall)
	switch g.freq {
	case icalendar.Daily:
		n := daysBetween(d0, dateOf(seek)) / g.interval * g.interval
		return d0.AddDate(0, 0, n)
	case icalendar.Weekly:
		w0 := weekStart(d0, g.wkst)
		n := daysBetween(w0, dateOf(seek)) / (7 * g.interval) * (7 * g.interval)
		return w0.AddDate(0, 0, n)
	case icalendar.Monthly:
		months := (seek.Year()-d0.Year())*12 + int(seek.Month()-d0.Month())
		n := months / g.interval * g.interval
		return time.Date(d0.Year(), d0.Month()+time.Month(n), 1, 0, 0, 0, 0, time.UTC)
	}
	step := g.interval
	if g.weekYears {
		step = 1
	}
	n := (seek.Year() - d0.Year()) / step * step
	return time.Date(d0.Year()+n, 1, 1, 0, 0, 0, 0, time.UTC)
}

// inPhase reports whether w's week-numbering year is a whole number of
// INTERVALs after DTSTART's: with BYWEEKNO, the year of FREQ=YEARLY is the
// year the weeks are numbered in (RFC 5545 §3.3.10, ISO 8601 weeks).
func (g *daily) inPhase(w, start time.Time) bool {
	d := weekYear(w, g.wkst) - weekYear(start, g.wkst)
	return d%g.interval == 0
}

// weekYear returns the year whose numbered weeks include t's day: a week
// belongs to the year that holds at least four of its days, that is, its
// fourth day.
func weekYear(t time.Time, wkst time.Weekday) int {
	return weekStart(dateOf(t), wkst).AddDate(0, 0, 3).Year()
}

func weekStart(d time.Time, wkst time.Weekday) time.Time {
	back := (int(d.Weekday()) - int(wkst) + 7) % 7
	return d.AddDate(0, 0, -back)
}

func dateOf(t time.Time) time.Time {
	y, m, d := t.Date()
	return time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
}

// daysBetween counts the days from a to b, both midnights in UTC, over any
// span of years (time.Duration would overflow after 292).
func daysBetween(a, b time.Time) int {
	return int((b.Unix() - a.Unix()) / 86400)
}
