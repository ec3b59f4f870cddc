package recurrence

import (
	"bufio"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/almanac/almanac/icalendar"
)

// sharedTestdata finds rel in the shared test data, a directory
// "shared/testdata" beside the repository (or beside one of its parents,
// for a worktree); the files are read in place, not copied into the
// project.
func sharedTestdata(t *testing.T, rel string) string {
	dir, err := filepath.Abs(".")
	if err != nil {
		t.Fatal(err)
	}
	for {
		p := filepath.Join(dir, "shared", "testdata", rel)
		if _, err := os.Stat(p); err == nil {
			return p
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			t.Skipf("shared test data %s not found", rel)
		}
		dir = parent
	}
}

// permissive lets the libical cases use SECONDLY rules and dense
// expansions, which DefaultLimits refuse.
var permissive = Limits{MinInterval: time.Nanosecond, MinUnbounded: time.Nanosecond,
	MaxCount: 1 << 20, MaxInstances: 1 << 20, MaxPerWindow: 1 << 20, MaxSteps: 1 << 24}

// libicalDisagreements lists the cases whose expected output we believe is
// wrong, keyed by the line of the RRULE, with the reason and what we
// produce instead.
var libicalDisagreements = map[int]struct{ reason, want string }{
	405: {
		reason: "libical answers UNIMPLEMENTED for BYMONTH+BYMONTHDAY+BYWEEKNO with FREQ=YEARLY; RFC 5545 §3.3.10 " +
			"allows every combination (\"BYxxx rule parts ... are evaluated in the order: BYMONTH, BYWEEKNO, " +
			"BYYEARDAY, BYMONTHDAY, BYDAY, ...\"), so we give the days that are December 30 and in week 1",
		want: "20241230,20251230,20301230,20311230",
	},
	681: {
		reason: "RFC 5545 §3.3.10: INTERVAL=6 counts periods from DTSTART's; with BYWEEKNO the yearly period is the " +
			"week-numbering year (as libical's own cases on lines 725 and 740 assume), and 2027-01-03 lies in week " +
			"53 of 2026, so the next candidate years are 2032, 2038 …; 2032 has a week 53, whose Thursday is " +
			"2032-12-30. libical counts from the calendar year 2027 here, against its own lines 725 and 740",
		want: "20321230T000000Z",
	},
	686: {
		reason: "as for line 681 with INTERVAL=5: counting week years from 2026 gives 2031, 2036 … and the first " +
			"with a week 53 is 2071 (Thursday 2071-12-31); libical counts from 2027",
		want: "20711231T000000Z",
	},
}

type libicalCase struct {
	line                   int
	comment, rule, dtstart string
	startAt                string
	instances              []string
}

// readLibicalCases parses the file: blocks of "# comment", RRULE:,
// DTSTART:, optional START-AT: and INSTANCES: lines, separated by blank
// lines.
func readLibicalCases(t *testing.T) []libicalCase {
	f, err := os.Open(sharedTestdata(t, "recur/libical-icalrecur_test.txt"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var cases []libicalCase
	var c libicalCase
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 1<<20)
	for n := 1; sc.Scan(); n++ {
		l := sc.Text()
		name, value, _ := strings.Cut(l, ":")
		switch {
		case strings.HasPrefix(l, "#"):
			c.comment += strings.TrimSpace(l[1:]) + " "
		case name == "RRULE":
			c.rule, c.line = value, n
		case name == "DTSTART":
			c.dtstart = value
		case name == "START-AT":
			c.startAt = value
		case name == "INSTANCES":
			if value != "" {
				c.instances = strings.Split(value, ",")
			}
		case l == "":
			if c.rule != "" {
				cases = append(cases, c)
			}
			c = libicalCase{}
		}
	}
	if c.rule != "" {
		cases = append(cases, c)
	}
	return cases
}

func TestLibicalCases(t *testing.T) {
	cases := readLibicalCases(t)
	if len(cases) != 146 {
		t.Fatalf("read %d cases, want 146", len(cases))
	}
	for _, c := range cases {
		t.Run(strings.TrimSpace(c.comment)+"/"+c.rule, func(t *testing.T) {
			got, err := expandLibical(c.rule, c.dtstart, "")
			if err != nil {
				t.Fatalf("line %d: %v", c.line, err)
			}
			want := strings.Join(c.instances, ",")
			if d, ok := libicalDisagreements[c.line]; ok {
				t.Logf("line %d: libical expects %q; we believe it wrong: %s", c.line, want, d.reason)
				want = d.want
			}
			if got != want {
				t.Fatalf("line %d: %s DTSTART:%s\n got %s\nwant %s", c.line, c.rule, c.dtstart, got, want)
			}
			if c.startAt == "" {
				return
			}
			// START-AT: expanding from a later point (seeking) must give
			// the tail of the same list.
			tail, err := expandLibical(c.rule, c.dtstart, c.startAt)
			if err != nil {
				t.Fatal(err)
			}
			if wantTail := tailFrom(c.instances, c.startAt); tail != wantTail {
				t.Fatalf("line %d from %s:\n got %s\nwant %s", c.line, c.startAt, tail, wantTail)
			}
		})
	}
}

func expandLibical(rule, dtstart, from string) (string, error) {
	rec, err := icalendar.ParseRecur(rule)
	if err != nil {
		return "", err
	}
	start, err := icalendar.ParseDateTime(dtstart, nil, nil)
	if err != nil {
		return "", err
	}
	r, err := NewRule(rec, start, permissive)
	if err != nil {
		return "", err
	}
	lo := MinTime
	if from != "" {
		f, err := icalendar.ParseDateTime(from, nil, nil)
		if err != nil {
			return "", err
		}
		lo = f.In(time.UTC)
	}
	got, err := r.Between(lo, MaxTime, 2000)
	if err != nil {
		return "", err
	}
	out := make([]string, len(got))
	for i, t := range got {
		out[i] = formatLike(t, start)
	}
	return strings.Join(out, ","), nil
}

func formatLike(t time.Time, start icalendar.DateTime) string {
	switch start.Kind {
	case icalendar.Date:
		return t.Format("20060102")
	case icalendar.Floating:
		return t.Format("20060102T150405")
	}
	return t.UTC().Format("20060102T150405Z")
}

func tailFrom(list []string, from string) string {
	var out []string
	for _, s := range list {
		if s >= from {
			out = append(out, s)
		}
	}
	return strings.Join(out, ",")
}
