package timezone

import (
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/emersion/go-ical"
)

// VTIMEZONE generates a VTIMEZONE for loc (RFC 5545 §3.6.5) that is correct
// for every instant in [from, to), and usually beyond: its TZID is
// loc.String(). Transitions that repeat every year on the same rule (month,
// nth or last weekday or a weekday on or after a day of the month, local
// time, offsets, name) become observances with an RRULE, left open-ended
// when the rule is still in force at to; the others become observances with
// RDATEs. A zone without transitions gets one fixed STANDARD observance.
func VTIMEZONE(loc *time.Location, from, to time.Time) *ical.Component {
	if loc == nil {
		loc = time.UTC
	}
	if to.Before(from) {
		from, to = to, from
	}
	// DATE-TIME values have four-digit years (RFC 5545 §3.3.4); keep every
	// local time written within them.
	from, to = clampTime(from), clampTime(to)
	initial, changes := zoneChanges(loc, from, to)

	var singles []onsetInfo
	var runs []*run
	var active []*run
	if len(changes) == 0 || changes[0].at.After(from) {
		// Nothing in the zone's data says when the state at from began:
		// the definition starts at from.
		singles = append(singles, onsetInfo{
			key:  obsKey{from: initial.off, to: initial.off, name: initial.name, daylight: initial.dst},
			wall: wallAt(from, initial.off).Truncate(time.Second),
		})
	}
	for _, c := range changes {
		on := newOnset(c)
		var r *run
		kept := active[:0]
		for _, a := range active {
			if a.lastYear() >= on.wall.Year()-1 {
				kept = append(kept, a)
			}
		}
		active = kept
		for _, a := range active {
			if a.extend(on) {
				r = a
				break
			}
		}
		if r == nil {
			r = newRun(on)
			runs = append(runs, r)
			active = append(active, r)
		}
	}

	var obs []*ical.Component
	for _, r := range runs {
		if len(r.members) < 2 {
			singles = append(singles, r.members...)
			continue
		}
		obs = append(obs, r.component(loc, to))
	}
	// Onsets that follow no rule: one observance per offset change and
	// name, with the onsets after the first as RDATEs.
	groups := map[obsKey][]onsetInfo{}
	var order []obsKey
	for _, s := range singles {
		if _, ok := groups[s.key]; !ok {
			order = append(order, s.key)
		}
		groups[s.key] = append(groups[s.key], s)
	}
	for _, k := range order {
		list := groups[k]
		sort.Slice(list, func(i, j int) bool { return list[i].wall.Before(list[j].wall) })
		c := observanceComponent(k, list[0].wall)
		for _, s := range list[1:] {
			addProp(c, "RDATE", s.wall.Format(wallFormat))
		}
		obs = append(obs, c)
	}
	sort.SliceStable(obs, func(i, j int) bool {
		return obs[i].Props.Get("DTSTART").Value < obs[j].Props.Get("DTSTART").Value
	})

	tz := ical.NewComponent(ical.CompTimezone)
	setProp(tz, "TZID", loc.String())
	if _, ok := ianaNames[strings.ToLower(loc.String())]; ok {
		// libical-based clients (Evolution, older Thunderbird) use this
		// to match the definition with their own copy of the zone.
		setProp(tz, "X-LIC-LOCATION", loc.String())
	}
	tz.Children = obs
	return tz
}

const wallFormat = "20060102T150405"

func clampTime(t time.Time) time.Time {
	lo, hi := date(1, 1, 2), date(9999, 12, 30)
	switch {
	case t.Before(lo):
		return lo
	case t.After(hi):
		return hi
	}
	return t
}

func date(y int, m time.Month, d int) time.Time { return time.Date(y, m, d, 0, 0, 0, 0, time.UTC) }

// zstate is what a location says about one instant.
type zstate struct {
	off  int
	name string
	dst  bool
}

func stateAt(loc *time.Location, t time.Time) zstate {
	lt := t.In(loc)
	name, off := lt.Zone()
	return zstate{off, name, lt.IsDST()}
}

type change struct {
	at         time.Time
	prev, next zstate
}

// zoneChanges returns the state of loc at from and the instants in (from,
// to) at which the state changes, preceded by the change that began the
// state at from if loc knows it. ZoneBounds reports period boundaries, some
// of which change nothing (year boundaries in the POSIX rule part of a
// zone, abbreviation-only entries kept for history), so each boundary is
// compared with the state before it.
func zoneChanges(loc *time.Location, from, to time.Time) (zstate, []change) {
	initial := stateAt(loc, from)
	var list []change
	s, _ := from.In(loc).ZoneBounds()
	for i := 0; !s.IsZero() && i < 10000; i++ {
		before := s.Add(-time.Second)
		if prev := stateAt(loc, before); prev != initial {
			if wallAt(s, prev.off).Year() >= 1 {
				list = append(list, change{s, prev, initial})
			}
			break
		}
		s, _ = before.In(loc).ZoneBounds()
	}
	cur, t := initial, from
	for i := 0; i < 1_000_000; i++ {
		_, end := t.In(loc).ZoneBounds()
		if end.IsZero() {
			break
		}
		if !end.After(t) {
			// The time package ends the last period of a POSIX-rule year
			// 365 days after the year's start, which in a leap year is
			// a day early and can be the instant asked about. Step over
			// it and find any change by bisection.
			end = t.Add(24 * time.Hour)
			if stateAt(loc, end) != cur {
				end = bisect(loc, t, end, cur)
			}
		}
		if !end.Before(to) {
			break
		}
		if st := stateAt(loc, end); st != cur {
			list = append(list, change{end, cur, st})
			cur = st
		}
		t = end
	}
	return initial, list
}

// bisect returns the first second in (a, b] whose state differs from cur,
// given that a has state cur and b does not.
func bisect(loc *time.Location, a, b time.Time, cur zstate) time.Time {
	for b.Sub(a) > time.Second {
		m := a.Add(b.Sub(a) / 2).Truncate(time.Second)
		if !m.After(a) {
			m = a.Add(time.Second)
		}
		if stateAt(loc, m) == cur {
			a = m
		} else {
			b = m
		}
	}
	return b
}

// obsKey identifies an observance apart from its onsets.
type obsKey struct {
	from, to int
	name     string
	daylight bool
}

// onsetInfo is one change seen as an iCalendar onset: the wall clock time
// before the change (DTSTART and RDATE are local time in TZOFFSETFROM).
type onsetInfo struct {
	key  obsKey
	wall time.Time
	at   time.Time
}

func wallAt(t time.Time, off int) time.Time {
	return t.UTC().Add(time.Duration(off) * time.Second)
}

func newOnset(c change) onsetInfo {
	return onsetInfo{
		key:  obsKey{from: c.prev.off, to: c.next.off, name: c.next.name, daylight: daylight(c.prev, c.next)},
		wall: wallAt(c.at, c.prev.off),
		at:   c.at,
	}
}

// daylight decides between DAYLIGHT and STANDARD. The IANA database marks
// Irish winter time (and Morocco's Ramadan time) as daylight saving time with
// a negative offset change; iCalendar clients expect DAYLIGHT to be the
// summer offset, so a change to a lower offset marked DST, coming from
// standard time, is written as STANDARD and the change back as DAYLIGHT.
func daylight(prev, next zstate) bool {
	if next.dst {
		return prev.dst || next.off >= prev.off
	}
	return prev.dst && next.off > prev.off
}

// A run is a sequence of onsets in consecutive years that one yearly RRULE
// describes. The day patterns it may still use are narrowed with each onset.
type run struct {
	key      obsKey
	month    time.Month
	tod      time.Duration
	wd       time.Weekday
	day      int
	last     bool   // the last wd of the month every year
	after    uint32 // bit d: the first wd on or after day d every year
	monthDay bool   // the same day of the month every year
	members  []onsetInfo
}

func newRun(on onsetInfo) *run {
	r := &run{
		key:      on.key,
		month:    on.wall.Month(),
		tod:      timeOfDay(on.wall),
		wd:       on.wall.Weekday(),
		day:      on.wall.Day(),
		monthDay: true,
		members:  []onsetInfo{on},
	}
	r.last, r.after = dayPatterns(on.wall)
	return r
}

func timeOfDay(t time.Time) time.Duration {
	h, m, s := t.Clock()
	return time.Duration(h)*time.Hour + time.Duration(m)*time.Minute + time.Duration(s)*time.Second
}

// dayPatterns reports whether t falls on the last such weekday of its month,
// and for which days d it is the first such weekday on or after d. Only days
// whose seven-day window fits in the month in every year qualify.
func dayPatterns(t time.Time) (last bool, after uint32) {
	dim := daysIn(t.Year(), t.Month())
	last = t.Day()+7 > dim
	shortest := daysIn(2001, t.Month()) // February without its leap day
	for d := max(1, t.Day()-6); d <= t.Day() && d+6 <= shortest; d++ {
		after |= 1 << d
	}
	return last, after
}

func (r *run) lastYear() int { return r.members[len(r.members)-1].wall.Year() }

// extend adds on to r if it is the next year's onset of the same rule.
func (r *run) extend(on onsetInfo) bool {
	w := on.wall
	if on.key != r.key || w.Month() != r.month || timeOfDay(w) != r.tod || w.Year() != r.lastYear()+1 {
		return false
	}
	last, after := dayPatterns(w)
	sameWd := w.Weekday() == r.wd
	last = last && r.last && sameWd
	if !sameWd {
		after = 0
	}
	after &= r.after
	monthDay := r.monthDay && w.Day() == r.day
	if !last && after == 0 && !monthDay {
		return false
	}
	r.last, r.after, r.monthDay = last, after, monthDay
	r.members = append(r.members, on)
	return true
}

// rule returns the RRULE day parts and a function giving the rule's date in
// a year.
func (r *run) rule() (parts string, date func(y int) (time.Time, bool)) {
	wd := weekdayCodes[r.wd]
	switch {
	case r.last:
		return "BYDAY=-1" + wd, func(y int) (time.Time, bool) {
			d := time.Date(y, r.month, daysIn(y, r.month), 0, 0, 0, 0, time.UTC)
			return d.AddDate(0, 0, -((int(d.Weekday()) - int(r.wd) + 7) % 7)), true
		}
	case r.after != 0:
		start := 0
		for d := 1; d <= 31; d++ {
			if r.after&(1<<d) != 0 && (start == 0 || d%7 == 1) {
				start = d // prefer 1, 8, 15, 22: the nth weekday
				if d%7 == 1 {
					break
				}
			}
		}
		date := func(y int) (time.Time, bool) {
			d := time.Date(y, r.month, start, 0, 0, 0, 0, time.UTC)
			return d.AddDate(0, 0, (int(r.wd)-int(d.Weekday())+7)%7), true
		}
		if start%7 == 1 {
			return fmt.Sprintf("BYDAY=%d%s", start/7+1, wd), date
		}
		days := make([]string, 7)
		for i := range days {
			days[i] = fmt.Sprint(start + i)
		}
		return "BYMONTHDAY=" + strings.Join(days, ",") + ";BYDAY=" + wd, date
	default:
		return fmt.Sprintf("BYMONTHDAY=%d", r.day), func(y int) (time.Time, bool) {
			if r.day > daysIn(y, r.month) {
				return time.Time{}, false
			}
			return time.Date(y, r.month, r.day, 0, 0, 0, 0, time.UTC), true
		}
	}
}

// component writes the run as an observance with an RRULE. The rule is left
// open-ended when its next onset falls at or after to and loc agrees that it
// happens; otherwise UNTIL is the last onset, in UTC as RFC 5545 §3.3.10
// requires inside VTIMEZONE.
func (r *run) component(loc *time.Location, to time.Time) *ical.Component {
	first := r.members[0]
	lastOn := r.members[len(r.members)-1]
	parts, date := r.rule()
	rule := fmt.Sprintf("FREQ=YEARLY;BYMONTH=%d;%s", int(r.month), parts)
	open := false
	if d, ok := date(lastOn.wall.Year() + 1); ok {
		at := d.Add(r.tod).Add(-time.Duration(r.key.from) * time.Second)
		before, after := stateAt(loc, at.Add(-time.Second)), stateAt(loc, at)
		open = !at.Before(to) && before.off == r.key.from && after.off == r.key.to && after.name == r.key.name
	}
	if !open {
		rule += ";UNTIL=" + lastOn.at.UTC().Format(wallFormat+"Z")
	}
	c := observanceComponent(r.key, first.wall)
	setProp(c, "RRULE", rule)
	return c
}

func observanceComponent(k obsKey, start time.Time) *ical.Component {
	name := ical.CompTimezoneStandard
	if k.daylight {
		name = ical.CompTimezoneDaylight
	}
	c := ical.NewComponent(name)
	setProp(c, "DTSTART", start.Format(wallFormat))
	setProp(c, "TZOFFSETFROM", formatOffset(k.from))
	setProp(c, "TZOFFSETTO", formatOffset(k.to))
	if k.name != "" {
		c.Props.SetText("TZNAME", k.name)
	}
	return c
}

func setProp(c *ical.Component, name, value string) {
	p := ical.NewProp(name)
	p.Value = value
	c.Props.Set(p)
}

func addProp(c *ical.Component, name, value string) {
	p := ical.NewProp(name)
	p.Value = value
	c.Props.Add(p)
}

// formatOffset writes a UTC offset as RFC 5545 §3.3.14 asks: ±hhmm, with
// seconds only when there are any.
func formatOffset(off int) string {
	sign := '+'
	if off < 0 {
		sign, off = '-', -off
	}
	h, m, s := off/3600, off/60%60, off%60
	if s != 0 {
		return fmt.Sprintf("%c%02d%02d%02d", sign, h, m, s)
	}
	return fmt.Sprintf("%c%02d%02d", sign, h, m)
}
