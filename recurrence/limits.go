package recurrence

import (
	"fmt"
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
}

// DefaultLimits suit a server: a minute at the shortest for a long rule,
// an hour for an endless sub-daily one, and a few tens of thousands of
// instances.
var DefaultLimits = Limits{
	MinInterval:  time.Minute,
	MinUnbounded: time.Hour,
	MaxCount:     50_000,
	MaxInstances: 20_000,
	MaxPerWindow: 10_000,
	MaxSteps:     1_000_000,
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
