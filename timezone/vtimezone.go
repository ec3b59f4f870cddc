package timezone

import (
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/emersion/go-ical"
)

// A DefinitionError says what is wrong with a VTIMEZONE.
type DefinitionError struct {
	TZID       string // as given, possibly empty
	Observance string // "DAYLIGHT 2" for the second DAYLIGHT, empty for the VTIMEZONE itself
	Reason     string
}

func (e *DefinitionError) Error() string {
	s := fmt.Sprintf("timezone: VTIMEZONE %q", e.TZID)
	if e.Observance != "" {
		s += ": " + e.Observance
	}
	return s + ": " + e.Reason
}

// Bounds of the onsets FromVTIMEZONE computes explicitly. Rules are expanded
// from skipYear (so that the offset in force on 1 January 1900 is right) and
// never past lastYear; beyond the last explicit onset a POSIX TZ rule takes
// over when the definition's final rules can be written as one.
const (
	skipYear       = 1890
	lastYear       = 2210
	maxTransitions = 50000
	maxObservances = 1000
	maxPeriods     = 200000 // rule periods expanded per definition
)

type observance struct {
	label    string // "STANDARD 1", for errors
	daylight bool
	start    time.Time // DTSTART, wall clock in from
	from, to int       // TZOFFSETFROM, TZOFFSETTO in seconds east of UTC
	name     string    // TZNAME, or a numeric stand-in
	rules    []*recur
	rdates   []time.Time
}

// FromVTIMEZONE builds a location from a VTIMEZONE component (RFC 5545
// §3.6.5). Each STANDARD or DAYLIGHT observance contributes onsets: its
// DTSTART, its RDATEs and the occurrences of its RRULEs, all wall clock times
// in its TZOFFSETFROM. From each onset on, TZOFFSETTO applies until the next
// onset of any observance. Before the first onset, the first onset's
// TZOFFSETFROM applies.
//
// The location is exact from 1900 on. Rules without COUNT or UNTIL continue
// for ever when the definition ends in two yearly rules that a POSIX TZ
// string can express (the usual case), and through 2210 otherwise.
//
// The location is named after the component's TZID. Errors are
// *DefinitionError values naming the observance and property at fault.
func FromVTIMEZONE(c *ical.Component) (*time.Location, error) {
	if c == nil {
		return nil, &DefinitionError{Reason: "no component"}
	}
	tzid := ""
	if p := c.Props.Get("TZID"); p != nil {
		tzid = strings.TrimSpace(p.Value)
	}
	fail := func(obs, format string, args ...any) error {
		return &DefinitionError{TZID: tzid, Observance: obs, Reason: fmt.Sprintf(format, args...)}
	}
	if !strings.EqualFold(c.Name, ical.CompTimezone) {
		return nil, fail("", "component is %s, not VTIMEZONE", c.Name)
	}
	if tzid == "" {
		return nil, fail("", "missing TZID")
	}
	var obs []*observance
	var nStd, nDay int
	work := &budget{left: maxPeriods}
	for _, child := range c.Children {
		var label string
		switch strings.ToUpper(child.Name) {
		case ical.CompTimezoneStandard:
			nStd++
			label = fmt.Sprintf("STANDARD %d", nStd)
		case ical.CompTimezoneDaylight:
			nDay++
			label = fmt.Sprintf("DAYLIGHT %d", nDay)
		default:
			continue // RFC 5545 allows only these two; ignore extensions
		}
		if len(obs) == maxObservances {
			return nil, fail("", "more than %d observances", maxObservances)
		}
		o, err := parseObservance(child, label)
		if err != nil {
			return nil, fail(label, "%v", err)
		}
		for _, r := range o.rules {
			r.work = work
		}
		obs = append(obs, o)
	}
	if len(obs) == 0 {
		// RFC 5545 §3.6.5: at least one STANDARD or DAYLIGHT is required.
		return nil, fail("", "no STANDARD or DAYLIGHT observance")
	}
	loc, err := buildZone(tzid, obs)
	if err == nil && work.exhausted() {
		err = fmt.Errorf("rules too costly to evaluate (more than %d periods)", maxPeriods)
	}
	if err != nil {
		return nil, fail("", "%v", err)
	}
	return loc, nil
}

func parseObservance(c *ical.Component, label string) (*observance, error) {
	o := &observance{label: label, daylight: strings.EqualFold(c.Name, ical.CompTimezoneDaylight)}
	// RFC 5545 §3.6.5: DTSTART, TZOFFSETTO and TZOFFSETFROM are REQUIRED.
	p := c.Props.Get("DTSTART")
	if p == nil {
		return nil, fmt.Errorf("missing DTSTART")
	}
	var err error
	if o.start, _, err = parseWall(p.Value); err != nil {
		return nil, fmt.Errorf("DTSTART: %v", err)
	}
	if o.to, err = offsetProp(c, "TZOFFSETTO"); err != nil {
		return nil, err
	}
	if o.from, err = offsetProp(c, "TZOFFSETFROM"); err != nil {
		return nil, err
	}
	if p := c.Props.Get("TZNAME"); p != nil {
		o.name = cleanAbbrev(p.Value)
	}
	if o.name == "" {
		o.name = numericAbbrev(o.to)
	}
	for _, p := range c.Props.Values("RRULE") {
		r, err := parseRecur(p.Value)
		if err != nil {
			return nil, err
		}
		o.rules = append(o.rules, r)
	}
	for _, p := range c.Props.Values("RDATE") {
		period := strings.EqualFold(p.Params.Get("VALUE"), "PERIOD")
		for _, v := range strings.Split(p.Value, ",") {
			v = strings.TrimSpace(v)
			if v == "" {
				continue
			}
			if period || strings.Contains(v, "/") {
				v, _, _ = strings.Cut(v, "/") // the onset is the period's start
			}
			t, _, err := parseWall(v)
			if err != nil {
				return nil, fmt.Errorf("RDATE: %v", err)
			}
			o.rdates = append(o.rdates, t)
		}
	}
	return o, nil
}

func offsetProp(c *ical.Component, name string) (int, error) {
	p := c.Props.Get(name)
	if p == nil {
		return 0, fmt.Errorf("missing %s", name)
	}
	off, err := parseOffset(p.Value)
	if err != nil {
		return 0, fmt.Errorf("%s: %v", name, err)
	}
	return off, nil
}

// parseOffset reads a UTC offset (RFC 5545 §3.3.14: ±hhmm[ss]). It also
// takes what clients write instead: a missing sign, "-0000", colons, and a
// bare ±hh.
func parseOffset(s string) (int, error) {
	v := strings.TrimSpace(s)
	sign := 1
	switch {
	case strings.HasPrefix(v, "+"):
		v = v[1:]
	case strings.HasPrefix(v, "-"):
		sign, v = -1, v[1:]
	}
	v = strings.ReplaceAll(v, ":", "")
	if len(v) != 2 && len(v) != 4 && len(v) != 6 {
		return 0, fmt.Errorf("bad UTC offset %q", s)
	}
	var parts [3]int
	for i := 0; i < len(v); i += 2 {
		n, err := strconv.Atoi(v[i : i+2])
		if err != nil || n < 0 {
			return 0, fmt.Errorf("bad UTC offset %q", s)
		}
		parts[i/2] = n
	}
	if parts[1] > 59 || parts[2] > 59 {
		return 0, fmt.Errorf("bad UTC offset %q", s)
	}
	off := parts[0]*3600 + parts[1]*60 + parts[2]
	if off >= 24*3600 {
		return 0, fmt.Errorf("UTC offset %q is a day or more", s)
	}
	return sign * off, nil
}

// parseWall reads a DATE or DATE-TIME as wall clock digits. A trailing Z is
// tolerated and ignored: observance times are local (RFC 5545 §3.6.5) and a
// Z there is a client's formatting slip. isDate reports a DATE.
func parseWall(s string) (t time.Time, isDate bool, err error) {
	v := strings.ToUpper(strings.TrimSpace(s))
	v = strings.TrimSuffix(v, "Z")
	switch len(v) {
	case 8:
		t, err = time.Parse("20060102", v)
		isDate = true
	case 15:
		t, err = time.Parse("20060102T150405", v)
	case 13:
		t, err = time.Parse("20060102T1504", v) // seconds left out
	default:
		err = fmt.Errorf("bad date-time %q", s)
	}
	if err != nil {
		return time.Time{}, false, fmt.Errorf("bad date-time %q", s)
	}
	return t, isDate, nil
}

// An onset is one transition: at (Unix seconds) the observance o begins.
type onset struct {
	at int64
	o  *observance
}

func wallToUnix(wall time.Time, offset int) int64 { return wall.Unix() - int64(offset) }

// buildZone computes the onsets of all observances and encodes them as TZif
// data with, where the final rules allow it, a POSIX TZ footer so that the
// location stays right after the last explicit transition.
func buildZone(name string, obs []*observance) (*time.Location, error) {
	// Onsets up to the year after everything but the open-ended rules has
	// happened; from then on a footer may describe the zone.
	horizon := skipYear
	var open []openRule
	for _, o := range obs {
		horizon = max(horizon, o.start.Year())
		for _, t := range o.rdates {
			horizon = max(horizon, t.Year())
		}
		for _, r := range o.rules {
			if !r.bounded() {
				open = append(open, openRule{o, r})
				continue
			}
			if r.count == 0 {
				// UNTIL alone bounds the rule; its year bounds the onsets.
				horizon = max(horizon, r.until.Year())
				continue
			}
			last := o.start.Year()
			r.expand(o.start, o.from, skipYear, lastYear, func(t time.Time) bool { last = t.Year(); return true })
			horizon = max(horizon, last)
		}
	}
	// The time package evaluates POSIX rules wrongly before 1970 (its
	// seconds-into-day arithmetic goes negative), so explicit onsets
	// cover at least the years up to then.
	horizon = max(horizon, 1970) + 1
	if footer, ok := posixFooter(open, horizon); ok && horizon < lastYear {
		z, err := encodeZone(obs, horizon, footer)
		if err != nil {
			return nil, err
		}
		if loc, err := time.LoadLocationFromTZData(name, z); err == nil && verifyFooter(loc, open, horizon) {
			return loc, nil
		}
	}
	z, err := encodeZone(obs, lastYear, "")
	if err != nil {
		return nil, err
	}
	loc, err := time.LoadLocationFromTZData(name, z)
	if err != nil {
		// Our own encoding is at fault: a bug, but better reported than
		// hidden.
		return nil, fmt.Errorf("internal error encoding zone: %v", err)
	}
	return loc, nil
}

// encodeZone collects the onsets up to and including year last and encodes
// them, with footer appended (or, when footer is empty, a fixed-offset
// footer if no rule continues past last).
func encodeZone(obs []*observance, last int, footer string) ([]byte, error) {
	var ons []onset
	add := func(o *observance, wall time.Time) error {
		if len(ons) >= maxTransitions {
			return fmt.Errorf("more than %d transitions", maxTransitions)
		}
		ons = append(ons, onset{wallToUnix(wall, o.from), o})
		return nil
	}
	for _, o := range obs {
		if err := add(o, o.start); err != nil {
			return nil, err
		}
		for _, t := range o.rdates {
			if t.Year() <= last {
				if err := add(o, t); err != nil {
					return nil, err
				}
			}
		}
		for _, r := range o.rules {
			var err error
			r.expand(o.start, o.from, skipYear, last, func(t time.Time) bool {
				err = add(o, t)
				return err == nil
			})
			if err != nil {
				return nil, err
			}
		}
	}
	sort.SliceStable(ons, func(i, j int) bool { return ons[i].at < ons[j].at })

	var enc tzifWriter
	first := ons[0].o
	// The zone before the first onset: that onset's TZOFFSETFROM, named
	// after an observance that ends up in that offset, if any.
	base := ttype{off: first.from, name: numericAbbrev(first.from)}
	for _, o := range obs {
		if o.to == first.from {
			base.name, base.dst = o.name, o.daylight
			break
		}
	}
	enc.base(base)
	for _, on := range ons {
		if err := enc.transition(on.at, ttype{off: on.o.to, dst: on.o.daylight, name: on.o.name}); err != nil {
			return nil, err
		}
	}
	if footer == "" {
		// No rule runs past last: the final state holds from then on.
		// With rules still running, a fixed footer would be wrong
		// after last, and no footer lets the last transition's zone
		// hold, which is no worse.
		cont := false
		for _, o := range obs {
			for _, r := range o.rules {
				cont = cont || !r.bounded()
			}
		}
		if !cont {
			footer = posixZone(enc.current())
		}
	}
	return enc.bytes(footer), nil
}

type openRule struct {
	o *observance
	r *recur
}

// posixFooter writes the open-ended rules as a POSIX TZ string (as extended
// by RFC 8536 §3.3.1) when there are exactly two, they alternate between
// the same two offsets, and each occurs once a year on a day a POSIX rule can
// name. ok is false otherwise, and the caller expands the rules instead.
func posixFooter(open []openRule, horizon int) (string, bool) {
	if len(open) != 2 {
		return "", false
	}
	std, dst := open[0], open[1]
	if std.o.daylight && !dst.o.daylight {
		std, dst = dst, std
	}
	if std.o.from != dst.o.to || dst.o.from != std.o.to {
		return "", false // inconsistent offsets: only explicit onsets are faithful
	}
	start, ok := posixDate(dst, horizon)
	if !ok {
		return "", false
	}
	end, ok := posixDate(std, horizon)
	if !ok {
		return "", false
	}
	s := posixZone(ttype{off: std.o.to, name: std.o.name}) +
		posixZone(ttype{off: dst.o.to, name: dst.o.name}) + "," + start + "," + end
	return s, true
}

// posixDate finds a POSIX date rule ("Mm.w.d/time" or "Jn/time") that
// yields the same onsets as or.r in every year. Yearly rules depend only on
// the weekday of 1 January and on whether the year is leap, so 28
// consecutive years without a skipped leap day cover every case.
func posixDate(or openRule, horizon int) (string, bool) {
	r := or.r
	if r.interval != 1 {
		return "", false
	}
	y0 := max(horizon, or.o.start.Year()+1)
	want := make([]time.Time, 0, 28)
	for y := y0; y < y0+28; y++ {
		var got []time.Time
		r.expand(or.o.start, or.o.from, y, y, func(t time.Time) bool {
			if t.Year() == y {
				got = append(got, t)
			}
			return len(got) < 2
		})
		if len(got) != 1 {
			return "", false
		}
		want = append(want, got[0])
	}
	for _, c := range posixCandidates(want[0]) {
		match := true
		for _, w := range want {
			if c.wall(w.Year()) != w {
				match = false
				break
			}
		}
		if match {
			return c.String(), true
		}
	}
	return "", false
}

// posixRule is one date rule of a POSIX TZ string.
type posixRule struct {
	julian  int // Jn (1..365, 29 February never counted) when non-zero
	month   time.Month
	week    int // 1..4, or 5 for the last
	weekday time.Weekday
	secs    int // local time of the change; may exceed 24h (RFC 8536)
}

func (p posixRule) wall(y int) time.Time {
	if p.julian > 0 {
		d := p.julian
		if isLeap(y) && d >= 60 {
			d++
		}
		return time.Date(y, 1, d, 0, 0, p.secs, 0, time.UTC)
	}
	first := time.Date(y, p.month, 1, 0, 0, 0, 0, time.UTC).Weekday()
	d := 1 + (int(p.weekday)-int(first)+7)%7
	for i := 1; i < p.week && d+7 <= daysIn(y, p.month); i++ {
		d += 7
	}
	return time.Date(y, p.month, d, 0, 0, p.secs, 0, time.UTC)
}

func (p posixRule) String() string {
	var s string
	if p.julian > 0 {
		s = fmt.Sprintf("J%d", p.julian)
	} else {
		s = fmt.Sprintf("M%d.%d.%d", p.month, p.week, p.weekday)
	}
	if p.secs != 2*3600 { // 02:00 is the default
		s += "/" + posixClock(p.secs)
	}
	return s
}

// posixCandidates lists the POSIX rules that produce onset t in its year:
// the nth or last weekday of the month, possibly of a day up to six days
// earlier with the time pushed past 24h (how tzdata writes rules such as
// "Sunday on or after the 2nd"), and the Julian day.
func posixCandidates(t time.Time) []posixRule {
	h, m, s := t.Clock()
	tod := h*3600 + m*60 + s
	var out []posixRule
	for k := 0; k < 7; k++ {
		d := t.Day() - k
		if d < 1 {
			break
		}
		wd := time.Weekday((int(t.Weekday()) - k + 7) % 7)
		secs := tod + k*86400
		if d+7 > daysIn(t.Year(), t.Month()) {
			out = append(out, posixRule{month: t.Month(), week: 5, weekday: wd, secs: secs})
		}
		if n := (d-1)/7 + 1; n <= 4 {
			out = append(out, posixRule{month: t.Month(), week: n, weekday: wd, secs: secs})
		}
	}
	if !(t.Month() == time.February && t.Day() == 29) {
		j := yearDay(t.Year(), t.Month(), t.Day())
		if isLeap(t.Year()) && t.Month() > time.February {
			j--
		}
		out = append(out, posixRule{julian: j, secs: tod})
	}
	return out
}

func posixClock(secs int) string {
	sign := ""
	if secs < 0 {
		sign, secs = "-", -secs
	}
	h, m, s := secs/3600, secs/60%60, secs%60
	switch {
	case s != 0:
		return fmt.Sprintf("%s%d:%02d:%02d", sign, h, m, s)
	case m != 0:
		return fmt.Sprintf("%s%d:%02d", sign, h, m)
	}
	return fmt.Sprintf("%s%d", sign, h)
}

// posixZone writes a zone name and offset in POSIX TZ form; POSIX offsets
// count west of Greenwich, the opposite of iCalendar's.
func posixZone(t ttype) string {
	return "<" + t.name + ">" + posixClock(-t.off)
}

// verifyFooter checks that loc shows the open rules' onsets in the 28 years
// after horizon. It guards against the corners where the time package reads
// a POSIX rule differently from RFC 5545 (its year boundaries are in UTC,
// for one).
func verifyFooter(loc *time.Location, open []openRule, horizon int) bool {
	for _, or := range open {
		ok := true
		or.r.expand(or.o.start, or.o.from, horizon+1, horizon+28, func(t time.Time) bool {
			if t.Year() <= horizon {
				return true
			}
			at := wallToUnix(t, or.o.from)
			_, before := time.Unix(at-1, 0).In(loc).Zone()
			_, after := time.Unix(at, 0).In(loc).Zone()
			ok = before == or.o.from && after == or.o.to
			return ok
		})
		if !ok {
			return false
		}
	}
	return true
}

// cleanAbbrev keeps a TZNAME usable as a zone abbreviation: the time
// package and POSIX TZ strings need printable text without angle brackets.
func cleanAbbrev(s string) string {
	var b strings.Builder
	for _, r := range strings.TrimSpace(s) {
		if r < 0x20 || r == 0x7f || r == '<' || r == '>' {
			continue
		}
		b.WriteRune(r)
		if b.Len() >= 32 {
			break
		}
	}
	return b.String()
}

// numericAbbrev names an offset the way the IANA database does for zones
// without an established abbreviation: "+0530", "-03".
func numericAbbrev(off int) string {
	sign := '+'
	if off < 0 {
		sign, off = '-', -off
	}
	h, m, s := off/3600, off/60%60, off%60
	switch {
	case s != 0:
		return fmt.Sprintf("%c%02d%02d%02d", sign, h, m, s)
	case m != 0:
		return fmt.Sprintf("%c%02d%02d", sign, h, m)
	}
	return fmt.Sprintf("%c%02d", sign, h)
}
