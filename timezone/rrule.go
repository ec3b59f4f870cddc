package timezone

import (
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"
)

// This file expands the RRULEs found in STANDARD and DAYLIGHT observances.
// The recurrence package serves events; observances need much less (one or a
// few onsets a year) but need it without the detours event recurrence takes
// (gap correction, instance caps tuned for calendars), so the subset lives
// here: FREQ=YEARLY or MONTHLY with BYMONTH, BYDAY, BYMONTHDAY, BYYEARDAY,
// BYSETPOS, INTERVAL, COUNT and UNTIL (RFC 5545 §3.3.10).
//
// All date-times here are wall clock readings in the observance's
// TZOFFSETFROM, carried in time.Time values whose location is UTC so that
// arithmetic on them is plain calendar arithmetic.

type weekdayNum struct {
	n  int // 0 for every such weekday, ±1..±53 for the nth from the start or end
	wd time.Weekday
}

type recur struct {
	freq      string // "YEARLY" or "MONTHLY"
	interval  int
	count     int        // 0: unbounded
	until     *time.Time // wall digits of UNTIL, with or without Z
	untilUTC  bool       // UNTIL had a Z: compare instants as well
	untilDate bool       // UNTIL was a DATE: the whole day is included
	byMonth   []int
	byMonthDy []int
	byYearDay []int
	byDay     []weekdayNum
	bySetPos  []int
	hour      int // -1 unless BYHOUR gives the time of day
	minute    int
	second    int
	work      *budget // shared by the rules of one definition; nil for no limit
}

// budget bounds the periods (years or months) expanded for one definition.
// Definitions come from clients, and a few lines can ask for millions of
// periods (COUNT from year 1, MONTHLY rules, hundreds of observances).
type budget struct{ left int }

func (b *budget) spend() bool {
	if b == nil {
		return true
	}
	b.left--
	return b.left >= 0
}

func (b *budget) exhausted() bool { return b != nil && b.left < 0 }

var weekdays = map[string]time.Weekday{
	"SU": time.Sunday, "MO": time.Monday, "TU": time.Tuesday, "WE": time.Wednesday,
	"TH": time.Thursday, "FR": time.Friday, "SA": time.Saturday,
}

var weekdayCodes = [7]string{"SU", "MO", "TU", "WE", "TH", "FR", "SA"}

// parseRecur reads an RRULE value. It accepts what clients send in practice
// (lower case, a trailing ';', spaces around parts) and rejects what it
// cannot evaluate faithfully rather than guessing.
func parseRecur(s string) (*recur, error) {
	r := &recur{interval: 1, hour: -1, minute: -1, second: -1}
	for _, part := range strings.Split(s, ";") {
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		name, value, ok := strings.Cut(part, "=")
		if !ok {
			return nil, fmt.Errorf("RRULE part %q has no '='", part)
		}
		name = strings.ToUpper(strings.TrimSpace(name))
		value = strings.ToUpper(strings.TrimSpace(value))
		var err error
		switch name {
		case "FREQ":
			r.freq = value
		case "INTERVAL":
			r.interval, err = atoiRange(value, 1, 1000)
		case "COUNT":
			r.count, err = atoiRange(value, 1, 1<<30)
		case "UNTIL":
			err = r.parseUntil(value)
		case "BYMONTH":
			r.byMonth, err = intList(value, 1, 12, false)
		case "BYMONTHDAY":
			r.byMonthDy, err = intList(value, -31, 31, true)
		case "BYYEARDAY":
			r.byYearDay, err = intList(value, -366, 366, true)
		case "BYSETPOS":
			r.bySetPos, err = intList(value, -366, 366, true)
		case "BYDAY":
			r.byDay, err = dayList(value)
		case "BYHOUR":
			r.hour, err = single(value, 0, 23)
		case "BYMINUTE":
			r.minute, err = single(value, 0, 59)
		case "BYSECOND":
			r.second, err = single(value, 0, 60)
		case "BYWEEKNO":
			// Week numbers only ever appear in event rules; an observance
			// using one is more likely a mistake than a zone.
			return nil, fmt.Errorf("RRULE BYWEEKNO is not supported in an observance")
		case "RSCALE":
			// RFC 7529: only the Gregorian calendar defines the offsets we
			// compute.
			if value != "GREGORIAN" {
				return nil, fmt.Errorf("RRULE RSCALE=%s is not supported", value)
			}
		case "WKST", "SKIP":
			// WKST matters only for WEEKLY and BYWEEKNO; SKIP only for
			// non-Gregorian scales.
		default:
			if !strings.HasPrefix(name, "X-") {
				return nil, fmt.Errorf("unknown RRULE part %q", name)
			}
		}
		if err != nil {
			return nil, fmt.Errorf("RRULE %s: %v", name, err)
		}
	}
	switch r.freq {
	case "YEARLY", "MONTHLY":
	case "":
		return nil, fmt.Errorf("RRULE has no FREQ")
	default:
		// A zone changing its offset daily or weekly does not exist; the
		// expansion would also be unbounded in practice.
		return nil, fmt.Errorf("RRULE FREQ=%s is not supported in an observance", r.freq)
	}
	return r, nil
}

func (r *recur) parseUntil(v string) error {
	utc := strings.HasSuffix(v, "Z")
	t, date, err := parseWall(v)
	if err != nil {
		return err
	}
	r.until, r.untilUTC, r.untilDate = &t, utc && !date, date
	return nil
}

func atoiRange(s string, lo, hi int) (int, error) {
	n, err := strconv.Atoi(strings.TrimPrefix(s, "+"))
	if err != nil || n < lo || n > hi {
		return 0, fmt.Errorf("%q is not a number in [%d, %d]", s, lo, hi)
	}
	return n, nil
}

func single(s string, lo, hi int) (int, error) {
	if strings.Contains(s, ",") {
		return 0, fmt.Errorf("an observance has one onset time a day, not %q", s)
	}
	return atoiRange(s, lo, hi)
}

func intList(s string, lo, hi int, nonZero bool) ([]int, error) {
	var out []int
	for _, f := range strings.Split(s, ",") {
		n, err := atoiRange(strings.TrimSpace(f), lo, hi)
		if err != nil {
			return nil, err
		}
		if nonZero && n == 0 {
			return nil, fmt.Errorf("0 is not allowed")
		}
		out = append(out, n)
	}
	return out, nil
}

func dayList(s string) ([]weekdayNum, error) {
	var out []weekdayNum
	for _, f := range strings.Split(s, ",") {
		f = strings.TrimSpace(f)
		if len(f) < 2 {
			return nil, fmt.Errorf("bad weekday %q", f)
		}
		wd, ok := weekdays[f[len(f)-2:]]
		if !ok {
			return nil, fmt.Errorf("bad weekday %q", f)
		}
		n := 0
		if num := f[:len(f)-2]; num != "" {
			var err error
			if n, err = atoiRange(num, -53, 53); err != nil || n == 0 {
				return nil, fmt.Errorf("bad weekday %q", f)
			}
		}
		out = append(out, weekdayNum{n, wd})
	}
	return out, nil
}

// bounded reports whether the rule ends by COUNT or UNTIL.
func (r *recur) bounded() bool { return r.count > 0 || r.until != nil }

// timeOfDay is the wall clock time of each occurrence: DTSTART's, unless
// BYHOUR, BYMINUTE or BYSECOND say otherwise.
func (r *recur) timeOfDay(dtstart time.Time) (h, m, s int) {
	h, m, s = dtstart.Clock()
	if r.hour >= 0 {
		h = r.hour
	}
	if r.minute >= 0 {
		m = r.minute
	}
	if r.second >= 0 {
		s = r.second
	}
	return h, m, s
}

// expand calls yield with the wall clock time of each occurrence after
// dtstart (dtstart itself is the caller's business: RFC 5545 §3.3.10 makes it
// the first occurrence whether or not it matches the rule), in order, up to
// and including year last. offset is TZOFFSETFROM, needed to compare
// occurrences with a UTC UNTIL. Periods that end before year skip are
// stepped over unless COUNT makes them count. expand stops when yield returns
// false.
func (r *recur) expand(dtstart time.Time, offset int, skip, last int, yield func(time.Time) bool) {
	h, mi, s := r.timeOfDay(dtstart)
	n := 1 // occurrences so far, dtstart included
	var days []int
	// emit hands out the occurrences on the given days of year y
	// (time.Date normalises day-of-year overflow into the month).
	emit := func(y int, ydays []int) bool {
		for _, d := range ydays {
			t := time.Date(y, time.January, d, h, mi, s, 0, time.UTC)
			if !t.After(dtstart) {
				continue
			}
			if r.count > 0 && n >= r.count {
				return false
			}
			if r.until != nil && !r.beforeUntil(t, offset) {
				return false
			}
			n++
			if !yield(t) {
				return false
			}
		}
		return true
	}
	y0, m0 := dtstart.Year(), int(dtstart.Month())
	switch r.freq {
	case "YEARLY":
		k := 0
		if r.count == 0 && y0 < skip {
			k = (skip - y0) / r.interval
		}
		for ; ; k++ {
			y := y0 + k*r.interval
			if y > last || !r.work.spend() {
				return
			}
			days = r.yearDays(y, dtstart, days[:0])
			if !emit(y, days) {
				return
			}
		}
	case "MONTHLY":
		k := 0
		if r.count == 0 && y0 < skip {
			k = ((skip-y0)*12 - (m0 - 1)) / r.interval
			if k < 0 {
				k = 0
			}
		}
		for ; ; k++ {
			mm := m0 - 1 + k*r.interval
			y, m := y0+mm/12, time.Month(mm%12+1)
			if y > last || !r.work.spend() {
				return
			}
			if len(r.byMonth) > 0 && !containsInt(r.byMonth, int(m)) {
				continue
			}
			days = r.monthDays(y, m, dtstart, days[:0])
			if !emit(y, days) {
				return
			}
		}
	}
}

// beforeUntil reports whether the occurrence at wall time t is within
// UNTIL. RFC 5545 §3.3.10 wants UNTIL in UTC for observances, but clients
// also write the local onset time with or without a Z; either reading
// admits the occurrence, since the two differ by at most a UTC offset and
// onsets of one observance are months apart.
func (r *recur) beforeUntil(t time.Time, offset int) bool {
	u := *r.until
	if r.untilDate {
		return t.Before(u.AddDate(0, 0, 1))
	}
	if !t.After(u) {
		return true
	}
	return r.untilUTC && !t.Add(-time.Duration(offset)*time.Second).After(u)
}

// yearDays returns the days of year y (1-based ordinals) on which a YEARLY
// rule occurs, in order, following the expansion table of RFC 5545 §3.3.10.
func (r *recur) yearDays(y int, dtstart time.Time, out []int) []int {
	ny := daysInYear(y)
	switch {
	case len(r.byYearDay) > 0:
		for _, v := range r.byYearDay {
			if v < 0 {
				v += ny + 1
			}
			if v >= 1 && v <= ny {
				out = append(out, v)
			}
		}
	case len(r.byMonthDy) > 0:
		for _, m := range r.months(true, dtstart) {
			out = appendMonthDays(out, y, m, r.byMonthDy)
		}
	case len(r.byDay) > 0:
		if len(r.byMonth) > 0 {
			for _, m := range r.months(false, dtstart) {
				first := yearDay(y, m, 1)
				out = appendWeekdays(out, y, first, first+daysIn(y, m)-1, r.byDay)
			}
		} else {
			out = appendWeekdays(out, y, 1, ny, r.byDay)
		}
	default:
		for _, m := range r.months(false, dtstart) {
			if d := dtstart.Day(); d <= daysIn(y, m) {
				out = append(out, yearDay(y, m, d))
			}
		}
	}
	out = sortUnique(out)
	// BYxxx parts that limit rather than expand.
	if len(r.byYearDay) > 0 && len(r.byMonth) > 0 {
		out = filter(out, func(d int) bool { m, _ := monthDay(y, d); return containsInt(r.byMonth, int(m)) })
	}
	if len(r.byYearDay) > 0 && len(r.byMonthDy) > 0 {
		out = filter(out, func(d int) bool {
			m, md := monthDay(y, d)
			return containsInt(r.byMonthDy, md) || containsInt(r.byMonthDy, md-daysIn(y, m)-1)
		})
	}
	if len(r.byDay) > 0 && (len(r.byYearDay) > 0 || len(r.byMonthDy) > 0) {
		allowed := r.byDayYearSet(y)
		out = filter(out, func(d int) bool { return containsInt(allowed, d) })
	}
	return setPos(out, r.bySetPos)
}

// byDayYearSet is the set of days of year y that BYDAY admits when it limits
// other parts: nth weekdays count within the month when BYMONTH is given and
// within the year otherwise.
func (r *recur) byDayYearSet(y int) []int {
	var days []int
	if len(r.byMonth) > 0 {
		for m := time.January; m <= time.December; m++ {
			first := yearDay(y, m, 1)
			days = appendWeekdays(days, y, first, first+daysIn(y, m)-1, r.byDay)
		}
	} else {
		days = appendWeekdays(days, y, 1, daysInYear(y), r.byDay)
	}
	return days
}

// monthDays returns the days of year y in month m on which a MONTHLY rule
// occurs.
func (r *recur) monthDays(y int, m time.Month, dtstart time.Time, out []int) []int {
	first := yearDay(y, m, 1)
	last := first + daysIn(y, m) - 1
	switch {
	case len(r.byMonthDy) > 0:
		out = appendMonthDays(out, y, m, r.byMonthDy)
		if len(r.byDay) > 0 {
			allowed := appendWeekdays(nil, y, first, last, r.byDay)
			out = filter(out, func(d int) bool { return containsInt(allowed, d) })
		}
	case len(r.byDay) > 0:
		out = appendWeekdays(out, y, first, last, r.byDay)
	default:
		if d := dtstart.Day(); d <= daysIn(y, m) {
			out = append(out, yearDay(y, m, d))
		}
	}
	return setPos(sortUnique(out), r.bySetPos)
}

// months lists BYMONTH, or the months a rule without it covers: every month
// when days are given by BYMONTHDAY (or BYDAY with BYMONTH absent, handled by
// the caller), DTSTART's month otherwise.
func (r *recur) months(all bool, dtstart time.Time) []time.Month {
	var out []time.Month
	if len(r.byMonth) > 0 {
		for _, m := range sortUnique(append([]int(nil), r.byMonth...)) {
			out = append(out, time.Month(m))
		}
		return out
	}
	if all {
		for m := time.January; m <= time.December; m++ {
			out = append(out, m)
		}
		return out
	}
	return []time.Month{dtstart.Month()}
}

func appendMonthDays(out []int, y int, m time.Month, mdays []int) []int {
	dim := daysIn(y, m)
	for _, d := range mdays {
		if d < 0 {
			d += dim + 1
		}
		if d >= 1 && d <= dim {
			out = append(out, yearDay(y, m, d))
		}
	}
	return out
}

// appendWeekdays adds the days in [first, last] (days of year y) that match
// one of days: every such weekday, or the nth from the start (n > 0) or end
// (n < 0) of the range.
func appendWeekdays(out []int, y, first, last int, days []weekdayNum) []int {
	wdFirst := time.Date(y, 1, first, 0, 0, 0, 0, time.UTC).Weekday()
	for _, wn := range days {
		start := first + (int(wn.wd)-int(wdFirst)+7)%7 // first such weekday
		switch {
		case wn.n == 0:
			for d := start; d <= last; d += 7 {
				out = append(out, d)
			}
		case wn.n > 0:
			if d := start + 7*(wn.n-1); d <= last {
				out = append(out, d)
			}
		default:
			end := start + 7*((last-start)/7) // last such weekday
			if d := end + 7*(wn.n+1); d >= first {
				out = append(out, d)
			}
		}
	}
	return out
}

// setPos applies BYSETPOS to the ordered occurrences of one period.
func setPos(days []int, pos []int) []int {
	if len(pos) == 0 {
		return days
	}
	var out []int
	for _, p := range pos {
		i := p - 1
		if p < 0 {
			i = len(days) + p
		}
		if i >= 0 && i < len(days) {
			out = append(out, days[i])
		}
	}
	return sortUnique(out)
}

func sortUnique(s []int) []int {
	if len(s) < 2 {
		return s
	}
	sort.Ints(s)
	out := s[:1]
	for _, v := range s[1:] {
		if v != out[len(out)-1] {
			out = append(out, v)
		}
	}
	return out
}

func filter(s []int, keep func(int) bool) []int {
	out := s[:0]
	for _, v := range s {
		if keep(v) {
			out = append(out, v)
		}
	}
	return out
}

func containsInt(s []int, v int) bool {
	for _, x := range s {
		if x == v {
			return true
		}
	}
	return false
}

func isLeap(y int) bool { return y%4 == 0 && (y%100 != 0 || y%400 == 0) }

func daysInYear(y int) int {
	if isLeap(y) {
		return 366
	}
	return 365
}

var daysBefore = [...]int{0, 31, 59, 90, 120, 151, 181, 212, 243, 273, 304, 334, 365}

func daysIn(y int, m time.Month) int {
	if m == time.February && isLeap(y) {
		return 29
	}
	return daysBefore[m] - daysBefore[m-1]
}

// yearDay returns the 1-based day of year of y-m-d.
func yearDay(y int, m time.Month, d int) int {
	n := daysBefore[m-1] + d
	if m > time.February && isLeap(y) {
		n++
	}
	return n
}

// monthDay is the inverse of yearDay.
func monthDay(y, yd int) (time.Month, int) {
	leap := 0
	if isLeap(y) {
		leap = 1
	}
	for m := time.December; m > time.January; m-- {
		before := daysBefore[m-1]
		if m > time.February {
			before += leap
		}
		if yd > before {
			return m, yd - before
		}
	}
	return time.January, yd
}
