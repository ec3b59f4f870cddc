package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"slices"
	"sort"
	"time"
)

// The operations of the mix, named as the profile's weights name them.
const (
	opMonthView    = "month_view"
	opWeekPage     = "week_page"
	opCreateEvent  = "create_event"
	opEditEvent    = "edit_event"
	opInvite       = "invite"
	opRSVP         = "rsvp"
	opCalDAVReport = "caldav_report"
	opCalDAVSync   = "caldav_sync"
	opCalDAVCTag   = "caldav_ctag"
)

var operations = []string{opMonthView, opWeekPage, opCreateEvent, opEditEvent, opInvite, opRSVP,
	opCalDAVReport, opCalDAVSync, opCalDAVCTag}

// Rows of the report besides the operations: the invitation listing that
// precedes an answer (often the only request when nothing is pending),
// the sync polls that found changes, and full syncs after a refused token.
const (
	rowRSVPList    = "rsvp_list"
	rowSyncChanged = "caldav_sync_changed"
	rowFullSync    = "caldav_sync_full"
)

// rowOps names the operation behind each row that is not one itself.
var rowOps = map[string]string{rowRSVPList: opRSVP, rowSyncChanged: opCalDAVSync, rowFullSync: opCalDAVSync}

// rows are the names a report can have a row for, and so a threshold, in
// the report's order.
var rows = []string{opMonthView, opWeekPage, opCreateEvent, opEditEvent, opInvite, rowRSVPList, opRSVP,
	opCalDAVReport, opCalDAVSync, rowSyncChanged, rowFullSync, opCalDAVCTag}

// profile is a load profile: who is simulated, for how long, doing what,
// and what the latencies must stay under.
type profile struct {
	// Sessions is the number of simulated people active at once; each
	// signs in as a different user.
	Sessions int `json:"sessions"`
	// Users is the range of generated users the sessions are drawn from.
	// A range that every data set has (users 0…999) makes runs on data
	// sets of different sizes comparable.
	Users    userRange `json:"users"`
	Password string    `json:"password"`
	Seed     int64     `json:"seed"`
	Duration duration  `json:"duration"`
	// Warmup runs the mix unmeasured first, so that caches and
	// connection pools are in their steady state.
	Warmup duration `json:"warmup"`
	// ThinkTime is the mean pause between one person's operations; zero
	// makes a stress run.
	ThinkTime duration `json:"think_time"`
	// FocusMonth is where people mostly look ("the present" of the data
	// set); FocusShare of the views, pages and reports go there, the rest
	// to any month of Months.
	FocusMonth string               `json:"focus_month"`
	FocusShare float64              `json:"focus_share"`
	Months     monthRange           `json:"months"`
	Weights    map[string]float64   `json:"weights"`
	Thresholds map[string]threshold `json:"thresholds"`
	// MaxErrorRate bounds failed requests over all requests.
	MaxErrorRate float64 `json:"max_error_rate"`
}

type userRange struct {
	First int `json:"first"`
	Count int `json:"count"`
}

type monthRange struct {
	From string `json:"from"`
	To   string `json:"to"`
}

// threshold bounds one row's latency percentiles, in milliseconds; zero
// leaves a percentile unbounded.
type threshold struct {
	P50 float64 `json:"p50_ms"`
	P95 float64 `json:"p95_ms"`
	P99 float64 `json:"p99_ms"`
	Max float64 `json:"max_ms"`
}

// duration reads "250ms", "20s" or "2m" from JSON.
type duration time.Duration

func (d *duration) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return fmt.Errorf("a duration is a string such as \"20s\": %w", err)
	}
	v, err := time.ParseDuration(s)
	if err != nil {
		return err
	}
	*d = duration(v)
	return nil
}

func (d duration) MarshalJSON() ([]byte, error) { return json.Marshal(time.Duration(d).String()) }

// defaults apply to what a profile leaves out.
func defaultProfile() profile {
	return profile{
		Sessions: 10, Users: userRange{First: 0, Count: 1000}, Password: "almanac-sim-password", Seed: 1,
		Duration: duration(20 * time.Second), FocusMonth: "2026-11", FocusShare: 0.8,
		Months: monthRange{From: "2025-01", To: "2027-12"}, MaxErrorRate: 0.001,
	}
}

// loadProfile reads and checks a profile file.
func loadProfile(path string) (*profile, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	p, err := parseProfile(b)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return p, nil
}

// parseProfile decodes a profile over the defaults, refusing unknown keys
// so that a misspelt setting is not silently ignored.
func parseProfile(b []byte) (*profile, error) {
	p := defaultProfile()
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&p); err != nil {
		return nil, err
	}
	if err := p.validate(); err != nil {
		return nil, err
	}
	return &p, nil
}

func (p *profile) validate() error {
	checks := []func() error{p.checkPopulation, p.checkTimes, p.checkMonths, p.checkWeights, p.checkThresholds}
	for _, check := range checks {
		if err := check(); err != nil {
			return err
		}
	}
	return nil
}

func (p *profile) checkPopulation() error {
	switch {
	case p.Sessions < 1:
		return errors.New("sessions must be at least 1")
	case p.Users.First < 0 || p.Users.Count < 1:
		return errors.New("users needs first ≥ 0 and count ≥ 1")
	case p.Sessions > p.Users.Count:
		return fmt.Errorf("%d sessions need as many users, the range has %d", p.Sessions, p.Users.Count)
	case p.Password == "":
		return errors.New("password is empty")
	}
	return nil
}

func (p *profile) checkTimes() error {
	switch {
	case p.Duration <= 0:
		return errors.New("duration must be positive")
	case p.Warmup < 0 || p.ThinkTime < 0:
		return errors.New("warmup and think_time must not be negative")
	case p.MaxErrorRate < 0 || p.MaxErrorRate > 1:
		return errors.New("max_error_rate must be between 0 and 1")
	}
	return nil
}

func (p *profile) checkMonths() error {
	for _, m := range []string{p.FocusMonth, p.Months.From, p.Months.To} {
		if _, err := time.Parse(monthLayout, m); err != nil {
			return fmt.Errorf("month %q: want YYYY-MM", m)
		}
	}
	if p.Months.From > p.Months.To {
		return errors.New("months: from is after to")
	}
	if p.FocusMonth < p.Months.From || p.FocusMonth > p.Months.To {
		return errors.New("focus_month is outside months")
	}
	if p.FocusShare < 0 || p.FocusShare > 1 {
		return errors.New("focus_share must be between 0 and 1")
	}
	return nil
}

func (p *profile) checkWeights() error {
	total := 0.0
	for op, w := range p.Weights {
		if !slices.Contains(operations, op) {
			return fmt.Errorf("weights: unknown operation %q (known: %v)", op, operations)
		}
		if w < 0 {
			return fmt.Errorf("weights: %s is negative", op)
		}
		total += w
	}
	if total == 0 {
		return errors.New("weights: no operation has a weight")
	}
	return nil
}

func (p *profile) checkThresholds() error {
	for row, t := range p.Thresholds {
		if !slices.Contains(rows, row) {
			return fmt.Errorf("thresholds: unknown operation %q (known: %v)", row, rows)
		}
		op := row
		if o, ok := rowOps[row]; ok {
			op = o
		}
		if p.Weights[op] == 0 {
			return fmt.Errorf("thresholds: %s has a threshold but no weight, so it would never be measured", row)
		}
		if t.P50 < 0 || t.P95 < 0 || t.P99 < 0 || t.Max < 0 {
			return fmt.Errorf("thresholds: %s has a negative limit", row)
		}
		if t == (threshold{}) {
			return fmt.Errorf("thresholds: %s sets no limit", row)
		}
	}
	return nil
}

// mixOps returns the operations with a weight, in a fixed order, and
// their cumulative weights, for drawing an operation by weight.
func (p *profile) mixOps() (ops []string, cum []float64) {
	names := make([]string, 0, len(p.Weights))
	for op, w := range p.Weights {
		if w > 0 {
			names = append(names, op)
		}
	}
	sort.Strings(names)
	total := 0.0
	for _, op := range names {
		total += p.Weights[op]
		ops, cum = append(ops, op), append(cum, total)
	}
	return ops, cum
}
