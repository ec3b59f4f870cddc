package icalendar

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/emersion/go-ical"
)

// Duration is a DURATION value (RFC 5545 §3.3.6). Weeks and days are nominal:
// adding a day keeps the wall clock across a daylight saving change. Hours,
// minutes and seconds are exact.
type Duration struct {
	Negative bool
	Weeks    int
	Days     int
	Clock    time.Duration // the hours, minutes and seconds
}

// maxDurationDays bounds a duration (about 270 years) so that arithmetic
// on it never overflows.
const maxDurationDays = 100_000

// ParseDuration parses a DURATION value. It accepts what RFC 5545 §3.3.6
// allows and, leniently, weeks combined with days ("P1W2D"), any letter
// case and surrounding spaces.
func ParseDuration(s string) (Duration, error) {
	var d Duration
	t := strings.ToUpper(strings.TrimSpace(s))
	if strings.HasPrefix(t, "-") {
		d.Negative, t = true, t[1:]
	} else {
		t = strings.TrimPrefix(t, "+")
	}
	if !strings.HasPrefix(t, "P") || len(t) < 3 {
		return d, fmt.Errorf("%q is not a DURATION (e.g. PT1H30M, P1D, P2W)", s)
	}
	t = t[1:]
	inTime := false
	for t != "" {
		if t[0] == 'T' {
			if inTime || len(t) == 1 {
				return d, fmt.Errorf("%q is not a DURATION: misplaced T", s)
			}
			inTime, t = true, t[1:]
			continue
		}
		i := 0
		for i < len(t) && t[i] >= '0' && t[i] <= '9' {
			i++
		}
		if i == 0 || i == len(t) || i > 8 {
			return d, fmt.Errorf("%q is not a DURATION: expected a number and a unit", s)
		}
		n, _ := strconv.Atoi(t[:i])
		if err := d.set(t[i], n, inTime); err != nil {
			return d, fmt.Errorf("%q is not a DURATION: %v", s, err)
		}
		t = t[i+1:]
	}
	if d.Weeks*7+d.Days+int(d.Clock/(24*time.Hour)) > maxDurationDays {
		return d, fmt.Errorf("%q is too long a DURATION", s)
	}
	return d, nil
}

// parseSloppyDuration reads the DURATION values that RFC 5545 §3.3.6 does
// not allow but whose meaning is plain, as some clients write them: a T
// with no time after it ("P1DT", "PT") and hours or seconds without their
// T ("P1H", "P1D2H"). Minutes without a T stay an error: in ISO 8601,
// where the form comes from, "P15M" is fifteen months. It reports false
// for anything else that ParseDuration refuses.
func parseSloppyDuration(s string) (Duration, bool) {
	t := strings.TrimSuffix(strings.ToUpper(strings.TrimSpace(s)), "T")
	if strings.TrimLeft(t, "+-") == "P" {
		t += "T0S" // "PT": no length at all
	}
	if !strings.Contains(t, "T") {
		if i := strings.IndexAny(t, "HS"); i > 0 {
			at := strings.LastIndexAny(t[:i], "PWD") + 1
			t = t[:at] + "T" + t[at:]
		}
	}
	d, err := ParseDuration(t)
	return d, err == nil
}

func (d *Duration) set(unit byte, n int, inTime bool) error {
	const maxSeconds = maxDurationDays * 24 * 60 * 60
	var sec int64
	switch {
	case !inTime && unit == 'W':
		d.Weeks += n
	case !inTime && unit == 'D':
		d.Days += n
	case inTime && unit == 'H':
		sec = int64(n) * 3600
	case inTime && unit == 'M':
		sec = int64(n) * 60
	case inTime && unit == 'S':
		sec = int64(n)
	default:
		return fmt.Errorf("unit %q out of place", unit)
	}
	if sec+int64(d.Clock/time.Second) > maxSeconds || d.Weeks+d.Days > maxDurationDays {
		return fmt.Errorf("too long")
	}
	d.Clock += time.Duration(sec) * time.Second
	return nil
}

// NewDuration returns the exact duration of d as a DURATION value, in whole
// seconds.
func NewDuration(d time.Duration) Duration {
	if d < 0 {
		return Duration{Negative: true, Clock: (-d).Truncate(time.Second)}
	}
	return Duration{Clock: d.Truncate(time.Second)}
}

// IsZero reports whether d is of zero length.
func (d Duration) IsZero() bool { return d.Weeks == 0 && d.Days == 0 && d.Clock == 0 }

// DaysOnly reports whether d is made of whole weeks and days, as a
// DURATION of an all-day event must be (RFC 5545 §3.6.1).
func (d Duration) DaysOnly() bool { return d.Clock == 0 }

// Approx returns the length of d counting a day as 24 hours.
func (d Duration) Approx() time.Duration {
	v := time.Duration(d.Weeks*7+d.Days)*24*time.Hour + d.Clock
	if d.Negative {
		return -v
	}
	return v
}

// AddTo returns t moved by d: whole days on t's wall clock in t's location
// (RFC 5545 §3.3.6, nominal), then the exact clock part.
func (d Duration) AddTo(t time.Time) time.Time {
	sign := 1
	if d.Negative {
		sign = -1
	}
	if days := d.Weeks*7 + d.Days; days != 0 {
		t = InZone(wallOf(t).AddDate(0, 0, sign*days), t.Location())
	}
	return t.Add(time.Duration(sign) * d.Clock)
}

// String returns d as a DURATION value.
func (d Duration) String() string {
	var b strings.Builder
	if d.Negative {
		b.WriteByte('-')
	}
	b.WriteByte('P')
	if d.Days == 0 && d.Clock == 0 && d.Weeks != 0 {
		fmt.Fprintf(&b, "%dW", d.Weeks)
		return b.String()
	}
	if days := d.Weeks*7 + d.Days; days != 0 {
		fmt.Fprintf(&b, "%dD", days)
	}
	if d.Clock != 0 || d.Weeks*7+d.Days == 0 {
		b.WriteByte('T')
		h, m, s := int64(d.Clock/time.Hour), int64(d.Clock/time.Minute%60), int64(d.Clock/time.Second%60)
		if h != 0 {
			fmt.Fprintf(&b, "%dH", h)
		}
		if m != 0 {
			fmt.Fprintf(&b, "%dM", m)
		}
		if s != 0 || (h == 0 && m == 0) {
			fmt.Fprintf(&b, "%dS", s)
		}
	}
	return b.String()
}

// Period is one value of an RDATE (RFC 5545 §3.8.5.2): a start, and for
// VALUE=PERIOD an explicit end or duration (RFC 5545 §3.3.9).
type Period struct {
	Start    DateTime
	End      DateTime // zero unless the period was written start/end
	Duration Duration // set when the period was written start/duration
	IsPeriod bool     // the value was a PERIOD
}

// parsePeriod parses "start/end" or "start/duration" (RFC 5545 §3.3.9).
func parsePeriod(v string, params ical.Params, resolve Resolver) (Period, error) {
	s, e, ok := strings.Cut(v, "/")
	if !ok {
		return Period{}, fmt.Errorf("%q is not a PERIOD (start/end or start/duration)", v)
	}
	dp := ical.Params{"TZID": params["TZID"]}
	start, err := ParseDateTime(s, dp, resolve)
	if err != nil {
		return Period{}, err
	}
	p := Period{Start: start, IsPeriod: true}
	if t := strings.TrimSpace(e); strings.HasPrefix(t, "P") || strings.HasPrefix(t, "+") || strings.HasPrefix(t, "-") {
		p.Duration, err = ParseDuration(t)
		if err == nil && p.Duration.Negative {
			err = fmt.Errorf("the duration of PERIOD %q is negative", v)
		}
		return p, err
	}
	if p.End, err = ParseDateTime(e, dp, resolve); err != nil {
		return p, err
	}
	if p.End.In(time.UTC).Before(p.Start.In(time.UTC)) {
		return p, fmt.Errorf("PERIOD %q ends before it starts", v)
	}
	return p, nil
}

// EndIn returns the end of the period anchored in loc, or the zero time if
// the value is not a PERIOD.
func (p Period) EndIn(loc *time.Location) time.Time {
	switch {
	case !p.IsPeriod:
		return time.Time{}
	case !p.End.IsZero():
		return p.End.In(loc)
	}
	return p.Duration.AddTo(p.Start.In(loc))
}
