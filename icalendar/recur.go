package icalendar

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Frequency is the FREQ of a recurrence rule.
type Frequency uint8

// Frequencies, from the shortest period to the longest.
const (
	Secondly Frequency = iota + 1
	Minutely
	Hourly
	Daily
	Weekly
	Monthly
	Yearly
)

var freqNames = [...]string{"", "SECONDLY", "MINUTELY", "HOURLY", "DAILY", "WEEKLY", "MONTHLY", "YEARLY"}

func (f Frequency) String() string {
	if int(f) < len(freqNames) {
		return freqNames[f]
	}
	return "?"
}

// WeekdayNum is one BYDAY value: a weekday, and for N ≠ 0 its N-th
// occurrence in the month or year (negative: counted from the end).
type WeekdayNum struct {
	N   int
	Day time.Weekday
}

var dayNames = [...]string{"SU", "MO", "TU", "WE", "TH", "FR", "SA"}

func (w WeekdayNum) String() string {
	if w.N != 0 {
		return strconv.Itoa(w.N) + dayNames[w.Day]
	}
	return dayNames[w.Day]
}

// Recur is a recurrence rule, the value of an RRULE (RFC 5545 §3.3.10, with
// the RSCALE and SKIP parts of RFC 7529).
type Recur struct {
	Freq       Frequency
	Until      DateTime // zero if absent; a Date, UTC or Floating value
	Count      int      // 0 if absent
	Interval   int      // at least 1
	BySecond   []int
	ByMinute   []int
	ByHour     []int
	ByDay      []WeekdayNum
	ByMonthDay []int
	ByYearDay  []int
	ByWeekNo   []int
	ByMonth    []int
	BySetPos   []int
	WeekStart  time.Weekday // WKST; Monday when absent
	RScale     string       // "" or "GREGORIAN" (RFC 7529)
	Skip       string       // "", "OMIT", "BACKWARD" or "FORWARD" (RFC 7529)
	Extensions []string     // x-name=value parts, kept as written
}

// ParseRecur parses a recurrence rule. It normalises what real clients
// send: any letter case, spaces around parts, empty parts (a trailing ";"),
// an "RRULE:" prefix, and repeated values in a list.
//
// Errors are *Error values: ValidCalendarData for a malformed rule,
// SupportedRScale for a calendar scale other than GREGORIAN.
func ParseRecur(s string) (Recur, error) {
	r := Recur{Interval: 1, WeekStart: time.Monday}
	text := strings.TrimSpace(s)
	if len(text) >= 6 && strings.EqualFold(text[:6], "RRULE:") {
		text = text[6:]
	}
	seen := map[string]bool{}
	for part := range strings.SplitSeq(text, ";") {
		name, value, ok := strings.Cut(part, "=")
		name = strings.ToUpper(strings.TrimSpace(name))
		value = strings.ToUpper(strings.TrimSpace(value))
		if name == "" && !ok {
			continue // empty part, as in a trailing ";"
		}
		if !ok || value == "" {
			return r, recurError("rule part %q must have the form NAME=value", strings.TrimSpace(part))
		}
		if seen[name] {
			return r, recurError("rule part %s appears more than once (RFC 5545 §3.3.10)", name)
		}
		seen[name] = true
		if err := r.setPart(name, value); err != nil {
			return r, err
		}
	}
	if r.Freq == 0 {
		return r, recurError("FREQ is required (RFC 5545 §3.3.10)")
	}
	return r, nil
}

func recurError(format string, args ...any) *Error {
	return &Error{Precondition: ValidCalendarData, Property: "RRULE", Msg: fmt.Sprintf(format, args...)}
}

func (r *Recur) setPart(name, v string) error {
	var err error
	switch name {
	case "FREQ":
		i := slices.Index(freqNames[:], v)
		if i <= 0 {
			return recurError("FREQ=%s: expected SECONDLY, MINUTELY, HOURLY, DAILY, WEEKLY, MONTHLY or YEARLY", v)
		}
		r.Freq = Frequency(i)
	case "UNTIL":
		r.Until, err = parseUntil(v)
	case "COUNT":
		r.Count, err = positive(name, v)
	case "INTERVAL":
		r.Interval, err = positive(name, v)
	case "BYSECOND":
		r.BySecond, err = intList(name, v, 0, 60, false)
	case "BYMINUTE":
		r.ByMinute, err = intList(name, v, 0, 59, false)
	case "BYHOUR":
		r.ByHour, err = intList(name, v, 0, 23, false)
	case "BYDAY":
		r.ByDay, err = dayList(v)
	case "BYMONTHDAY":
		r.ByMonthDay, err = intList(name, v, 1, 31, true)
	case "BYYEARDAY":
		r.ByYearDay, err = intList(name, v, 1, 366, true)
	case "BYWEEKNO":
		r.ByWeekNo, err = intList(name, v, 1, 53, true)
	case "BYMONTH":
		r.ByMonth, err = monthList(v)
	case "BYSETPOS":
		r.BySetPos, err = intList(name, v, 1, 366, true)
	case "WKST":
		var d WeekdayNum
		if d, err = weekday(v); err == nil {
			r.WeekStart = d.Day
		}
	default:
		return r.setRFC7529(name, v)
	}
	return err
}

// setRFC7529 handles the RSCALE and SKIP parts (RFC 7529 §4.1) and
// extension parts.
func (r *Recur) setRFC7529(name, v string) error {
	switch {
	case name == "RSCALE":
		if v != "GREGORIAN" {
			e := recurError("RSCALE=%s is not supported; the only supported calendar scale is GREGORIAN", v)
			e.Precondition = SupportedRScale
			return e
		}
		r.RScale = v
	case name == "SKIP":
		if v != "OMIT" && v != "BACKWARD" && v != "FORWARD" {
			return recurError("SKIP=%s: expected OMIT, BACKWARD or FORWARD (RFC 7529 §4.1)", v)
		}
		r.Skip = v
	case strings.HasPrefix(name, "X-"):
		r.Extensions = append(r.Extensions, name+"="+v)
	default:
		return recurError("unknown rule part %s", name)
	}
	return nil
}

func parseUntil(v string) (DateTime, error) {
	if len(v) == len(dateLayout) {
		t, err := parseDate(v)
		if err != nil {
			return DateTime{}, recurError("UNTIL: %v", err)
		}
		return DateTime{Time: t, Kind: Date}, nil
	}
	t, utc, err := parseDateTimeText(v)
	if err != nil {
		return DateTime{}, recurError("UNTIL: %v", err)
	}
	if utc {
		return DateTime{Time: t, Kind: UTC}, nil
	}
	return DateTime{Time: t, Kind: Floating}, nil
}

func positive(name, v string) (int, error) {
	n, err := strconv.Atoi(v)
	if err != nil || n < 1 || len(v) > 9 {
		return 0, recurError("%s=%s: expected a positive integer", name, v)
	}
	return n, nil
}

// intList parses a comma list of integers in [lo, hi], or also in
// [-hi, -lo] when signed; repeated values are dropped.
func intList(name, v string, lo, hi int, signed bool) ([]int, error) {
	var out []int
	for item := range strings.SplitSeq(v, ",") {
		item = strings.TrimSpace(item)
		n, err := strconv.Atoi(item)
		ok := err == nil && len(item) <= 5 && (n >= lo && n <= hi || signed && n <= -lo && n >= -hi)
		if !ok {
			if signed {
				return nil, recurError("%s=%s: %q is not in %d..%d or -%d..-%d", name, v, item, lo, hi, hi, lo)
			}
			return nil, recurError("%s=%s: %q is not in %d..%d", name, v, item, lo, hi)
		}
		if !slices.Contains(out, n) {
			out = append(out, n)
		}
	}
	return out, nil
}

func monthList(v string) ([]int, error) {
	for item := range strings.SplitSeq(v, ",") {
		if strings.HasSuffix(strings.TrimSpace(item), "L") {
			return nil, recurError("BYMONTH=%s: leap months (RFC 7529) do not exist in the GREGORIAN calendar scale", v)
		}
	}
	return intList("BYMONTH", v, 1, 12, false)
}

func dayList(v string) ([]WeekdayNum, error) {
	var out []WeekdayNum
	for item := range strings.SplitSeq(v, ",") {
		d, err := weekday(strings.TrimSpace(item))
		if err != nil {
			return nil, err
		}
		if !slices.Contains(out, d) {
			out = append(out, d)
		}
	}
	return out, nil
}

// weekday parses [+|-][1..53]SU..SA.
func weekday(s string) (WeekdayNum, error) {
	bad := recurError("%q is not a weekday: expected SU, MO, TU, WE, TH, FR or SA, optionally preceded by an ordinal such as 1 or -1", s)
	if len(s) < 2 {
		return WeekdayNum{}, bad
	}
	d := slices.Index(dayNames[:], s[len(s)-2:])
	if d < 0 {
		return WeekdayNum{}, bad
	}
	w := WeekdayNum{Day: time.Weekday(d)}
	if num := s[:len(s)-2]; num != "" {
		n, err := strconv.Atoi(num)
		if err != nil || n == 0 || n > 53 || n < -53 || len(num) > 3 {
			return WeekdayNum{}, bad
		}
		w.N = n
	}
	return w, nil
}

// String returns the rule in a canonical form: parts in a fixed order,
// upper case, defaults (INTERVAL=1, WKST=MO) omitted.
func (r Recur) String() string {
	var parts []string
	add := func(name, v string) { parts = append(parts, name+"="+v) }
	if r.RScale != "" {
		add("RSCALE", r.RScale)
	}
	add("FREQ", r.Freq.String())
	if !r.Until.IsZero() {
		add("UNTIL", r.Until.String())
	}
	if r.Count > 0 {
		add("COUNT", strconv.Itoa(r.Count))
	}
	if r.Interval > 1 {
		add("INTERVAL", strconv.Itoa(r.Interval))
	}
	for _, l := range []struct {
		name string
		v    []int
	}{{"BYSECOND", r.BySecond}, {"BYMINUTE", r.ByMinute}, {"BYHOUR", r.ByHour}} {
		if len(l.v) > 0 {
			add(l.name, joinInts(l.v))
		}
	}
	if len(r.ByDay) > 0 {
		days := make([]string, len(r.ByDay))
		for i, d := range r.ByDay {
			days[i] = d.String()
		}
		add("BYDAY", strings.Join(days, ","))
	}
	for _, l := range []struct {
		name string
		v    []int
	}{{"BYMONTHDAY", r.ByMonthDay}, {"BYYEARDAY", r.ByYearDay}, {"BYWEEKNO", r.ByWeekNo},
		{"BYMONTH", r.ByMonth}, {"BYSETPOS", r.BySetPos}} {
		if len(l.v) > 0 {
			add(l.name, joinInts(l.v))
		}
	}
	if r.WeekStart != time.Monday {
		add("WKST", dayNames[r.WeekStart])
	}
	if r.Skip != "" {
		add("SKIP", r.Skip)
	}
	parts = append(parts, r.Extensions...)
	return strings.Join(parts, ";")
}

func joinInts(v []int) string {
	s := make([]string, len(v))
	for i, n := range v {
		s[i] = strconv.Itoa(n)
	}
	return strings.Join(s, ",")
}
