package main

import (
	"slices"
	"strings"
	"testing"
	"time"
)

func TestParseProfile(t *testing.T) {
	const weights = `"weights": {"month_view": 1}`
	for _, tc := range []struct {
		name, json string
		err        string // a part of the error; empty: valid
	}{
		{"defaults", `{` + weights + `}`, ""},
		{"full", `{"sessions": 4, "users": {"first": 10, "count": 20}, "duration": "5s", "warmup": "1s",
			"think_time": "250ms", "focus_month": "2025-03", "focus_share": 0.5, "months": {"from": "2025-01", "to": "2025-12"},
			"weights": {"month_view": 2, "caldav_sync": 1}, "thresholds": {"caldav_sync": {"p99_ms": 2, "max_ms": 50}},
			"max_error_rate": 0.01}`, ""},
		{"no weights", `{}`, "no operation has a weight"},
		{"zero weights", `{"weights": {"month_view": 0}}`, "no operation has a weight"},
		{"unknown operation", `{"weights": {"month_vue": 1}}`, `unknown operation "month_vue"`},
		{"negative weight", `{"weights": {"month_view": 1, "invite": -1}}`, "invite is negative"},
		{"unknown key", `{"sesions": 3, ` + weights + `}`, `unknown field "sesions"`},
		{"bad duration", `{"duration": "soon", ` + weights + `}`, "invalid duration"},
		{"duration as number", `{"duration": 20, ` + weights + `}`, "a duration is a string"},
		{"zero duration", `{"duration": "0s", ` + weights + `}`, "duration must be positive"},
		{"negative think time", `{"think_time": "-1s", ` + weights + `}`, "must not be negative"},
		{"no sessions", `{"sessions": 0, ` + weights + `}`, "sessions must be at least 1"},
		{"more sessions than users", `{"sessions": 11, "users": {"first": 0, "count": 10}, ` + weights + `}`, "need as many users"},
		{"bad month", `{"focus_month": "2026-13", ` + weights + `}`, `month "2026-13"`},
		{"focus outside", `{"focus_month": "2024-12", ` + weights + `}`, "outside months"},
		{"months reversed", `{"months": {"from": "2027-01", "to": "2025-01"}, "focus_month": "2026-01", ` + weights + `}`, "from is after to"},
		{"focus share", `{"focus_share": 1.5, ` + weights + `}`, "focus_share"},
		{"error rate", `{"max_error_rate": 2, ` + weights + `}`, "max_error_rate"},
		{"threshold of unknown row", `{"thresholds": {"month": {"p99_ms": 1}}, ` + weights + `}`, `unknown operation "month"`},
		{"threshold without weight", `{"thresholds": {"invite": {"p99_ms": 1}}, ` + weights + `}`, "no weight"},
		{"threshold of the rsvp listing", `{"weights": {"rsvp": 1}, "thresholds": {"rsvp_list": {"p95_ms": 5}}}`, ""},
		{"empty threshold", `{"thresholds": {"month_view": {}}, ` + weights + `}`, "sets no limit"},
		{"negative threshold", `{"thresholds": {"month_view": {"p99_ms": -1}}, ` + weights + `}`, "negative limit"},
		{"threshold typo", `{"thresholds": {"month_view": {"p99": 10}}, ` + weights + `}`, `unknown field "p99"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := parseProfile([]byte(tc.json))
			switch {
			case tc.err == "" && err != nil:
				t.Fatalf("unexpected error: %v", err)
			case tc.err != "" && err == nil:
				t.Fatalf("accepted, want an error with %q", tc.err)
			case tc.err != "" && !strings.Contains(err.Error(), tc.err):
				t.Fatalf("error %q, want one with %q", err, tc.err)
			}
		})
	}
}

func TestParseProfileValues(t *testing.T) {
	p, err := parseProfile([]byte(`{"duration": "1m30s", "think_time": "250ms", "weights": {"invite": 3, "month_view": 1},
		"thresholds": {"month_view": {"p99_ms": 10}}}`))
	if err != nil {
		t.Fatal(err)
	}
	if time.Duration(p.Duration) != 90*time.Second || time.Duration(p.ThinkTime) != 250*time.Millisecond {
		t.Errorf("durations: %v, %v", p.Duration, p.ThinkTime)
	}
	if p.Password != "almanac-sim-password" || p.Users.Count != 1000 || p.FocusMonth != "2026-11" {
		t.Errorf("defaults not applied: %+v", p)
	}
	if p.Thresholds["month_view"].P99 != 10 {
		t.Errorf("threshold: %+v", p.Thresholds)
	}
	ops, cum := p.mixOps()
	if strings.Join(ops, ",") != "invite,month_view" || cum[0] != 3 || cum[1] != 4 {
		t.Errorf("mix: %v %v", ops, cum)
	}
}

// TestProfiles checks the profiles shipped with the command.
func TestProfiles(t *testing.T) {
	for _, name := range []string{"standard", "smoke"} {
		p, err := loadProfile("profiles/" + name + ".json")
		if err != nil {
			t.Fatal(err)
		}
		for _, op := range operations {
			if p.Weights[op] == 0 {
				t.Errorf("%s: %s has no weight", name, op)
			}
		}
	}
}

// TestRows checks that the report has a row for every operation and that
// every other row names the operation behind it.
func TestRows(t *testing.T) {
	for _, op := range operations {
		if !slices.Contains(rows, op) || opFuncs[op] == nil {
			t.Errorf("%s has no row or no function", op)
		}
	}
	for _, row := range rows {
		if !slices.Contains(operations, row) && !slices.Contains(operations, rowOps[row]) {
			t.Errorf("row %s belongs to no operation", row)
		}
	}
}
