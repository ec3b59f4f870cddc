package main

import (
	"fmt"
	"io"
	"slices"
	"sort"
	"time"
)

// result is what a run measured after its warm-up.
type result struct {
	elapsed time.Duration
	rows    map[string]*rowStats
}

func ms(d time.Duration) string { return fmt.Sprintf("%.2f", float64(d)/float64(time.Millisecond)) }

// rowOrder lists the rows of res: the known ones in the mix's order, then
// any other.
func (res *result) rowOrder() []string {
	var out, extra []string
	for _, r := range rows {
		if res.rows[r] != nil {
			out = append(out, r)
		}
	}
	for r := range res.rows {
		if !slices.Contains(rows, r) {
			extra = append(extra, r)
		}
	}
	sort.Strings(extra)
	return append(out, extra...)
}

func (res *result) rate(n int) float64 { return float64(n) / res.elapsed.Seconds() }

// writeTable prints one Markdown row per operation and the total.
func writeTable(w io.Writer, res *result) {
	fmt.Fprintf(w, "| operation | count | ops/s | p50 ms | p95 ms | p99 ms | max ms | errors |\n")
	fmt.Fprintf(w, "|---|---:|---:|---:|---:|---:|---:|---:|\n")
	total, errs := 0, 0
	for _, name := range res.rowOrder() {
		s := res.rows[name]
		n := len(s.lat)
		total, errs = total+n, errs+s.errors
		fmt.Fprintf(w, "| %s | %d | %.1f | %s | %s | %s | %s | %d |\n", name, n, res.rate(n),
			ms(s.percentile(50)), ms(s.percentile(95)), ms(s.percentile(99)), ms(s.percentile(100)), s.errors)
	}
	fmt.Fprintf(w, "| **total** | %d | %.1f | | | | | %d |\n", total, res.rate(total), errs)
}

// verdict is one threshold checked against the measurements.
type verdict struct {
	name, limit, got string
	pass             bool
}

// evaluate checks every threshold of p, in a stable order, and the error
// rate. A threshold whose row has no samples fails: a limit nothing was
// measured against says nothing.
func evaluate(p *profile, res *result) []verdict {
	var out []verdict
	names := make([]string, 0, len(p.Thresholds))
	for name := range p.Thresholds {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		out = append(out, latencyVerdicts(name, p.Thresholds[name], res.rows[name])...)
	}
	return append(out, errorRateVerdict(p.MaxErrorRate, res))
}

func latencyVerdicts(name string, t threshold, s *rowStats) []verdict {
	var out []verdict
	for _, c := range []struct {
		label string
		pct   float64
		limit float64
	}{{"p50", 50, t.P50}, {"p95", 95, t.P95}, {"p99", 99, t.P99}, {"max", 100, t.Max}} {
		if c.limit == 0 {
			continue
		}
		v := verdict{name: name + " " + c.label, limit: fmt.Sprintf("< %g ms", c.limit), got: "no samples"}
		if s != nil && len(s.lat) > 0 {
			got := s.percentile(c.pct)
			v.got, v.pass = ms(got)+" ms", float64(got) < c.limit*float64(time.Millisecond)
		}
		out = append(out, v)
	}
	return out
}

func errorRateVerdict(limit float64, res *result) verdict {
	n, errs := 0, 0
	for _, s := range res.rows {
		n, errs = n+len(s.lat)+s.errors, errs+s.errors
	}
	rate := 0.0
	if n > 0 {
		rate = float64(errs) / float64(n)
	}
	return verdict{name: "error rate", limit: fmt.Sprintf("≤ %.3g%%", limit*100),
		got: fmt.Sprintf("%.3g%% (%d of %d)", rate*100, errs, n), pass: n > 0 && rate <= limit}
}

// writeVerdicts prints the thresholds and returns an error naming those
// that failed.
func writeVerdicts(w io.Writer, vs []verdict) error {
	fmt.Fprintf(w, "| threshold | limit | measured | result |\n|---|---|---|---|\n")
	var failed []string
	for _, v := range vs {
		mark := "PASS"
		if !v.pass {
			mark = "FAIL"
			failed = append(failed, v.name)
		}
		fmt.Fprintf(w, "| %s | %s | %s | %s |\n", v.name, v.limit, v.got, mark)
	}
	if len(failed) > 0 {
		return fmt.Errorf("%d threshold(s) failed: %v", len(failed), failed)
	}
	return nil
}
