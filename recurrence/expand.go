package recurrence

import (
	"slices"
	"time"

	"github.com/almanac/almanac/icalendar"
)

// replaced reports whether a single override replaces the occurrence at,
// or returns the THISANDFUTURE override in force for it: the last one
// before it.
func (s *Series) replaced(at time.Time) (bool, *override) {
	if s.single[at.UnixNano()] || len(s.singleDays) > 0 && s.singleDays[dateOf(wallIn(at, s.master.loc)).UnixNano()] {
		return true, nil
	}
	i, _ := slices.BinarySearchFunc(s.futures, at, func(o *override, t time.Time) int { return o.rid.Compare(t) })
	if i == 0 {
		return false, nil
	}
	return false, s.futures[i-1]
}

// occurrence turns a master occurrence into its instance, or reports that
// an override replaces it.
func (s *Series) occurrence(at time.Time) (Instance, bool) {
	m := s.master
	gone, future := s.replaced(at)
	if gone {
		return Instance{}, false
	}
	in := m.instance(at)
	if future != nil {
		// RFC 5545 §3.8.4.4: the changes of a THISANDFUTURE override,
		// including the move of its start, apply to every later instance.
		start := icalendar.InZone(wallIn(at, m.loc).Add(future.shift), m.loc).UTC()
		in.Start, in.End = start, future.span.end(start, m.loc)
		in.Status, in.Transp = future.inst.Status, future.inst.Transp
		in.Component, in.Override = future.index, true
	}
	return in, true
}

// window converts [from, to) into the master's keys, widened by the
// margin so that long and shifted instances are found.
func (s *Series) window(from, to time.Time) (time.Time, time.Time) {
	if !s.master.start.Absolute() {
		from, to = wallIn(from, s.zone), wallIn(to, s.zone)
	}
	return from.Add(-s.margin), to.Add(s.shift + 26*time.Hour)
}

// Expand returns the instances that overlap [from, to) (RFC 4791 §9.9),
// in chronological order. Past Limits.MaxPerWindow it returns that many
// and a *LimitError.
func (s *Series) Expand(from, to time.Time) ([]Instance, error) {
	var occ []time.Time
	if s.master != nil {
		lo, hi := s.window(from, to)
		var err error
		if occ, err = s.master.occurrences(lo, hi, s.lim.MaxPerWindow+1, s.budget); err != nil {
			return nil, err
		}
	}
	out := make([]Instance, 0, len(occ)+len(s.overrides))
	for _, o := range s.overrides {
		if o.inst.Overlaps(from, to, s.zone) {
			out = append(out, o.inst)
		}
	}
	truncated := len(occ) > s.lim.MaxPerWindow
	if s.master != nil {
		for _, at := range occ {
			if in, ok := s.occurrence(at); ok && in.Overlaps(from, to, s.zone) {
				out = append(out, in)
			}
		}
	}
	sortInstances(out)
	if truncated || len(out) > s.lim.MaxPerWindow {
		return out[:min(len(out), s.lim.MaxPerWindow)], limitError("MaxPerWindow", s.lim.MaxPerWindow,
			"the window %s–%s holds more instances", from.UTC().Format(time.RFC3339), to.UTC().Format(time.RFC3339))
	}
	return out, nil
}

// Materialized is what Materialize returns.
type Materialized struct {
	Instances []Instance // every instance starting before Until, in order
	Until     time.Time  // the horizon, or earlier when MaxInstances cut the list
	More      bool       // some instance starts at or after Until
}

// Materialize returns the instances that start before horizon, as the
// time-range index stores them, and whether the series goes on after it:
// the store indexes up to a rolling horizon and expands past it on the
// fly. Floating and all-day instances are compared by wall clock. Past
// Limits.MaxInstances it stops early, sets Until to the first start left
// out, and returns the result with a *LimitError.
func (s *Series) Materialize(horizon time.Time) (Materialized, error) {
	res := Materialized{Until: horizon}
	for _, o := range s.overrides {
		if o.inst.Start.Before(horizon) {
			res.Instances = append(res.Instances, o.inst)
		} else {
			res.More = true
		}
	}
	if s.master != nil {
		occ, err := s.master.occurrences(MinTime, horizon.Add(s.shift+time.Nanosecond), s.lim.MaxInstances+1, s.budget)
		if err != nil {
			return res, err
		}
		for _, at := range occ {
			if in, ok := s.occurrence(at); ok && in.Start.Before(horizon) {
				res.Instances = append(res.Instances, in)
			}
		}
		more, err := s.masterAfter(horizon)
		if err != nil {
			return res, err
		}
		res.More = res.More || more || len(occ) > s.lim.MaxInstances
	}
	sortInstances(res.Instances)
	return s.capped(res)
}

// masterAfter reports whether the master has an instance starting at or
// after horizon.
func (s *Series) masterAfter(horizon time.Time) (bool, error) {
	const probe = 64
	occ, err := s.master.occurrences(horizon.Add(-s.shift), MaxTime, probe, s.budget)
	if err != nil {
		return false, err
	}
	for _, at := range occ {
		if in, ok := s.occurrence(at); ok && !in.Start.Before(horizon) {
			return true, nil
		}
	}
	return len(occ) == probe, nil
}

func (s *Series) capped(res Materialized) (Materialized, error) {
	n := s.lim.MaxInstances
	if len(res.Instances) <= n {
		return res, nil
	}
	res.Until, res.More = res.Instances[n].Start, true
	for len(res.Instances) > 0 && !res.Instances[len(res.Instances)-1].Start.Before(res.Until) {
		res.Instances = res.Instances[:len(res.Instances)-1]
	}
	return res, limitError("MaxInstances", n, "the series has more instances before %s", res.Until.Format(time.RFC3339))
}
