package recurrence

import (
	"fmt"
	"time"
)

// Limits bound the work and output of an expansion, so that no rule a
// client sends can make the server loop or allocate without end.
type Limits struct {
	// MinInterval is the shortest average spacing of instances a rule may
	// ask for: FREQ×INTERVAL for a sub-daily rule, divided among the times
	// its BYHOUR, BYMINUTE and BYSECOND parts produce in one period.
	MinInterval time.Duration
	// MinUnbounded is the shortest FREQ×INTERVAL of a sub-daily rule
	// without COUNT or UNTIL.
	MinUnbounded time.Duration
	// MaxCount is the largest COUNT accepted.
	MaxCount int
	// MaxInstances is the most instances Materialize returns.
	MaxInstances int
	// MaxPerWindow is the most instances Expand returns.
	MaxPerWindow int
	// MaxSteps is the most periods a sub-daily rule may scan in one call
	// without producing an instance.
	MaxSteps int
}

// DefaultLimits suit a server: a minute at the shortest, an hour for an
// endless sub-daily rule, and a few tens of thousands of instances.
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
