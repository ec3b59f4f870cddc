package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/almanac/almanac/icalendar"
	"github.com/almanac/almanac/recurrence"
)

const recurUsage = `usage: almanac recur [--from TIME] [--to TIME] [--max N] < object.ics

Reads one iCalendar object (the components of one UID: a master and its
overridden instances) on standard input and prints the start of every
instance, one per line, in chronological order:

  YYYYMMDDTHHMMSSZ   in UTC, for a DTSTART in UTC or with a TZID
  YYYYMMDDTHHMMSS    local wall clock, for a floating DTSTART
  YYYYMMDD           for an all-day (DATE) DTSTART

TIME is in UTC: YYYYMMDD, YYYYMMDDTHHMMSSZ or RFC 3339. An instance is
printed when it overlaps [--from, --to) (RFC 4791 §9.9); floating and
all-day instances are compared as if their wall clock were UTC.

Exit status: 0 on success, 1 when the data or the series is invalid or
has more instances than the limits allow, 2 on a usage error.

Flags:
`

// runRecur implements "almanac recur".
func runRecur(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("recur", flag.ContinueOnError)
	usageOut := stderr
	for _, a := range args {
		if a == "-h" || a == "-help" || a == "--help" {
			usageOut = stdout
		}
	}
	fs.SetOutput(usageOut)
	fs.Usage = func() {
		fmt.Fprint(usageOut, recurUsage)
		fs.PrintDefaults()
	}
	from := fs.String("from", "", "print only instances that end after `TIME` (or start at it)")
	to := fs.String("to", "", "print only instances that start before `TIME`")
	maxN := fs.Int("max", 0, "print at most `N` instances (0: no limit but the server's)")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2
	}
	lo, hi, err := recurWindow(*from, *to)
	if err == nil && fs.NArg() > 0 {
		err = fmt.Errorf("unexpected argument %q: the object is read on standard input", fs.Arg(0))
	}
	if err == nil && *maxN < 0 {
		err = fmt.Errorf("--max must not be negative")
	}
	if err != nil {
		fmt.Fprintf(stderr, "almanac recur: %v\n", err)
		fs.Usage()
		return 2
	}
	if err := printInstances(stdin, stdout, lo, hi, *maxN); err != nil {
		fmt.Fprintf(stderr, "almanac recur: %v\n", err)
		return 1
	}
	return 0
}

func recurWindow(from, to string) (lo, hi time.Time, err error) {
	lo, hi = recurrence.MinTime, recurrence.MaxTime
	if from != "" {
		if lo, err = parseFlagTime(from); err != nil {
			return lo, hi, fmt.Errorf("--from: %v", err)
		}
	}
	if to != "" {
		if hi, err = parseFlagTime(to); err != nil {
			return lo, hi, fmt.Errorf("--to: %v", err)
		}
	}
	if !lo.Before(hi) {
		return lo, hi, fmt.Errorf("--from must be before --to")
	}
	return lo, hi, nil
}

func parseFlagTime(s string) (time.Time, error) {
	for _, layout := range []string{"20060102", "20060102T150405Z", "20060102T150405", time.RFC3339} {
		if t, err := time.Parse(layout, s); err == nil {
			return t.UTC(), nil
		}
	}
	return time.Time{}, fmt.Errorf("%q is not a time in UTC (YYYYMMDD, YYYYMMDDTHHMMSSZ or RFC 3339)", s)
}

// printInstances reads the object and prints the starts of its instances
// in [lo, hi).
func printInstances(stdin io.Reader, stdout io.Writer, lo, hi time.Time, maxN int) error {
	data, err := io.ReadAll(io.LimitReader(stdin, 32<<20))
	if err != nil {
		return err
	}
	obj, err := readObject(data)
	if err != nil {
		return err
	}
	lim := recurrence.DefaultLimits
	if maxN > 0 {
		lim.MaxPerWindow = maxN
	}
	s, err := recurrence.NewSeries(obj, recurrence.Options{Limits: lim})
	if err != nil {
		return err
	}
	list, err := s.Expand(lo, hi)
	var le *recurrence.LimitError
	if errors.As(err, &le) && maxN > 0 {
		err = nil // exactly the truncation --max asked for
	}
	var b strings.Builder
	for _, in := range list {
		b.WriteString(formatStart(in))
		b.WriteByte('\n')
	}
	if _, werr := io.WriteString(stdout, b.String()); werr != nil {
		return werr
	}
	if err != nil && le != nil {
		return fmt.Errorf("%v; narrow the output with --to or --max", err)
	}
	return err
}

// readObject parses and validates one iCalendar object: one VCALENDAR
// whose components share one UID.
func readObject(data []byte) (*icalendar.Object, error) {
	cal, err := icalendar.Parse(data)
	if err != nil {
		return nil, err
	}
	if err := cal.Validate(icalendar.Options{}); err != nil {
		return nil, err
	}
	objs, err := cal.Objects()
	if err != nil {
		return nil, err
	}
	if len(objs) != 1 {
		return nil, fmt.Errorf("expected the components of one UID, found %d UIDs", len(objs))
	}
	return objs[0], nil
}

func formatStart(in recurrence.Instance) string {
	switch {
	case in.AllDay:
		return in.Start.Format("20060102")
	case in.Floating:
		return in.Start.Format("20060102T150405")
	}
	return in.Start.UTC().Format("20060102T150405Z")
}
