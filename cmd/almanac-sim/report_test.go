package main

import (
	"bytes"
	"strings"
	"testing"
	"time"
)

// samples makes a row of n samples 1 ms, 2 ms, … n ms.
func samples(n, errors int) *rowStats {
	s := &rowStats{errors: errors}
	for i := 1; i <= n; i++ {
		s.lat = append(s.lat, time.Duration(i)*time.Millisecond)
	}
	return s
}

func TestPercentile(t *testing.T) {
	s := samples(200, 0)
	for _, tc := range []struct {
		p    float64
		want time.Duration
	}{{50, 100 * time.Millisecond}, {99, 198 * time.Millisecond}, {100, 200 * time.Millisecond}, {0, time.Millisecond}} {
		if got := s.percentile(tc.p); got != tc.want {
			t.Errorf("p%g = %v, want %v", tc.p, got, tc.want)
		}
	}
	if got := (&rowStats{}).percentile(99); got != 0 {
		t.Errorf("p99 of nothing = %v", got)
	}
}

func TestEvaluate(t *testing.T) {
	res := &result{elapsed: 10 * time.Second, rows: map[string]*rowStats{
		"month_view":  samples(100, 0), // p99 99 ms
		"caldav_sync": samples(10, 1),  // p99 10 ms
	}}
	for _, tc := range []struct {
		name       string
		thresholds map[string]threshold
		maxErrors  float64
		fails      []string // the verdicts that fail
	}{
		{"all pass", map[string]threshold{"month_view": {P99: 100}, "caldav_sync": {P50: 6}}, 0.01, nil},
		{"p99 over", map[string]threshold{"month_view": {P99: 99}}, 0.01, []string{"month_view p99"}},
		{"max over", map[string]threshold{"caldav_sync": {P99: 20, Max: 9}}, 0.01, []string{"caldav_sync max"}},
		{"error rate", map[string]threshold{"month_view": {P95: 96}}, 0.005, []string{"error rate"}},
		{"nothing measured", map[string]threshold{"invite": {P99: 1000}}, 0.01, []string{"invite p99"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := &profile{Thresholds: tc.thresholds, MaxErrorRate: tc.maxErrors}
			var fails []string
			for _, v := range evaluate(p, res) {
				if !v.pass {
					fails = append(fails, v.name)
				}
			}
			if strings.Join(fails, ",") != strings.Join(tc.fails, ",") {
				t.Errorf("failed %v, want %v", fails, tc.fails)
			}
			var out bytes.Buffer
			err := writeVerdicts(&out, evaluate(p, res))
			if (err != nil) != (len(tc.fails) > 0) {
				t.Errorf("writeVerdicts: %v with failures %v", err, tc.fails)
			}
			if strings.Count(out.String(), "FAIL") != len(tc.fails) {
				t.Errorf("report:\n%s", out.String())
			}
		})
	}
}

func TestWriteTable(t *testing.T) {
	res := &result{elapsed: 2 * time.Second, rows: map[string]*rowStats{
		"caldav_sync": samples(10, 0), "month_view": samples(4, 2), "initial sync": samples(1, 0)}}
	var out bytes.Buffer
	writeTable(&out, res)
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	want := []string{
		"| month_view | 4 | 2.0 | 2.00 | 4.00 | 4.00 | 4.00 | 2 |",
		"| caldav_sync | 10 | 5.0 | 5.00 | 10.00 | 10.00 | 10.00 | 0 |",
		"| initial sync | 1 | 0.5 | 1.00 | 1.00 | 1.00 | 1.00 | 0 |",
		"| **total** | 15 | 7.5 | | | | | 2 |",
	}
	if len(lines) != 6 || strings.Join(lines[2:], "\n") != strings.Join(want, "\n") {
		t.Errorf("table:\n%s", out.String())
	}
}
