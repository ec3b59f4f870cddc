package recurrence

import (
	"fmt"
	"sync/atomic"
	"time"
)

// Limits bound the work and output of an expansion, so that no rule a
// client sends can make the server loop or allocate without end.
//
// The server protects itself by bounding instances, not by refusing
// rules: a rule whose COUNT, or whose UNTIL at its rate, leaves it at most
// MaxCount instances is accepted whatever its frequency (FREQ=SECONDLY;
// COUNT=5 is five instances, however close together). What is refused:
//
//   - COUNT above MaxCount, which would cost that many steps at once;
//   - a rule denser than MinInterval that COUNT and UNTIL leave with more
//     than MaxCount instances, such as every second for a year;
//   - a sub-daily rule with neither COUNT nor UNTIL denser than
//     MinUnbounded, which would fill every window it is asked about.
//
// Everything else is cut, not refused: the index holds at most
// MaxInstances of a series (the rest is expanded on the fly, RFC 4791
// §5.2.8's CALDAV:max-instances advertises it), a window at most
// MaxPerWindow, and a scan that finds nothing gives up after MaxSteps.
//
// Every bound above holds per rule, so an object is also bounded as a
// whole: at most MaxRules RRULEs and MaxDates RDATE and EXDATE values in
// a component and MaxOverrides overridden instances (NewSeries refuses
// more), and the expansion made for one write at most WriteInstances
// instances and WriteTime of wall time (see Budget).
type Limits struct {
	// MinInterval is the shortest average spacing of instances of a rule
	// with more than MaxCount instances (or no end): FREQ×INTERVAL for a
	// sub-daily rule, divided among the times its BYHOUR, BYMINUTE and
	// BYSECOND parts produce in one period.
	MinInterval time.Duration
	// MinUnbounded is the shortest FREQ×INTERVAL of a sub-daily rule
	// without COUNT or UNTIL.
	MinUnbounded time.Duration
	// MaxCount is the largest COUNT accepted, and the most instances a
	// rule may have and be exempt from MinInterval.
	MaxCount int
	// MaxInstances is the most instances Materialize returns.
	MaxInstances int
	// MaxPerWindow is the most instances Expand returns.
	MaxPerWindow int
	// MaxSteps is the most periods a sub-daily rule may scan in one call
	// without producing an instance.
	MaxSteps int
	// MaxRules is the most RRULE (and EXRULE) properties one component
	// may hold. RFC 5545 §3.8.5.3 says RRULE "SHOULD NOT" occur more than
	// once, and clients write one; each costs an expansion of its own.
	MaxRules int
	// MaxDates is the most RDATE and EXDATE values one component may hold,
	// counted together (clients write one EXDATE per excluded instance).
	MaxDates int
	// MaxOverrides is the most components with RECURRENCE-ID one object
	// may hold.
	MaxOverrides int
	// WriteInstances and WriteTime bound the expansion made for one write
	// (Budget): the instances its rules produce, all expansions together,
	// and the wall time they take.
	WriteInstances int
	WriteTime      time.Duration
}

// DefaultLimits suit a server: a minute at the shortest for a long rule,
// an hour for an endless sub-daily one, and a few tens of thousands of
// instances. The bounds on an object are far above what clients write
// (one RRULE; an EXDATE or an override per changed instance, a few
// hundred in a long-lived meeting), and the budget of a write is five
// series indexed in full, which one series of a client never comes near.
var DefaultLimits = Limits{
	MinInterval:    time.Minute,
	MinUnbounded:   time.Hour,
	MaxCount:       50_000,
	MaxInstances:   20_000,
	MaxPerWindow:   10_000,
	MaxSteps:       1_000_000,
	MaxRules:       10,
	MaxDates:       10_000,
	MaxOverrides:   5_000,
	WriteInstances: 100_000,
	WriteTime:      5 * time.Second,
}

// orDefaults fills the zero fields of l from DefaultLimits: a zero limit
// would refuse everything (or nothing) by accident.
func (l Limits) orDefaults() Limits {
	d := DefaultLimits
	set := func(v *int, def int) {
		if *v == 0 {
			*v = def
		}
	}
	set(&l.MaxCount, d.MaxCount)
	set(&l.MaxInstances, d.MaxInstances)
	set(&l.MaxPerWindow, d.MaxPerWindow)
	set(&l.MaxSteps, d.MaxSteps)
	set(&l.MaxRules, d.MaxRules)
	set(&l.MaxDates, d.MaxDates)
	set(&l.MaxOverrides, d.MaxOverrides)
	set(&l.WriteInstances, d.WriteInstances)
	if l.WriteTime == 0 {
		l.WriteTime = d.WriteTime
	}
	if l.MinInterval == 0 {
		l.MinInterval = d.MinInterval
	}
	if l.MinUnbounded == 0 {
		l.MinUnbounded = d.MinUnbounded
	}
	return l
}

// LimitError reports that a rule or an expansion exceeds one of the
// Limits.
type LimitError struct {
	Limit string // the field of Limits, e.g. "MinInterval"
	Value string // its configured value
	Msg   string // what exceeded it
}

func (e *LimitError) Error() string {
	return fmt.Sprintf("recurrence: %s exceeds the limit %s=%s", e.Msg, e.Limit, e.Value)
}

func limitError(limit string, value any, format string, args ...any) *LimitError {
	return &LimitError{Limit: limit, Value: fmt.Sprint(value), Msg: fmt.Sprintf(format, args...)}
}

// Structural reports whether the error refuses the shape of the object
// (too many rules, dates or overrides) rather than the number of its
// instances or the work of expanding them.
func (e *LimitError) Structural() bool {
	return e.Limit == "MaxRules" || e.Limit == "MaxDates" || e.Limit == "MaxOverrides"
}

// Budget reports whether the error is a write's expansion budget running
// out (WriteInstances, WriteTime): the write is refused, whereas a series
// cut by MaxInstances is indexed up to where it was cut.
func (e *LimitError) Budget() bool {
	return e.Limit == "WriteInstances" || e.Limit == "WriteTime"
}

// Budget bounds the work of the expansions made for one write: every
// instance a rule produces is charged to it, whatever the expansion
// (Materialize, Expand, the probe past a horizon), and it runs out at
// Limits.WriteInstances instances or once Limits.WriteTime has passed
// since it was made. The bounds per rule keep one rule cheap; the budget
// keeps an object of many rules, dates and overrides cheap too. It is
// safe for concurrent use.
type Budget struct {
	max      int64
	deadline time.Time
	time     time.Duration
	now      func() time.Time
	used     atomic.Int64
}

// NewBudget starts the budget of one write under l, its wall time read
// from now (nil: time.Now).
func NewBudget(l Limits, now func() time.Time) *Budget {
	l = l.orDefaults()
	if now == nil {
		now = time.Now
	}
	return &Budget{max: int64(l.WriteInstances), deadline: now().Add(l.WriteTime), time: l.WriteTime, now: now}
}

// charge counts n instances against b and reports whether b ran out. A
// nil Budget never does.
func (b *Budget) charge(n int) error {
	if b == nil {
		return nil
	}
	if used := b.used.Add(int64(n)); used > b.max {
		return limitError("WriteInstances", b.max, "expanding the object for one write makes more than %d instances", b.max)
	}
	if b.now().After(b.deadline) {
		return limitError("WriteTime", b.time, "expanding the object for one write takes longer")
	}
	return nil
}

// Used returns the instances charged so far.
func (b *Budget) Used() int { return int(b.used.Load()) }
