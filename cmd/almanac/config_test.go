package main

import (
	"io"
	"testing"
	"time"

	"github.com/almanac/almanac/calendar"
	"github.com/almanac/almanac/recurrence"
)

// TestLimitsSettings: the date range, quota and attendee limit come from ALMANAC_*
// variables and flags (the flag wins), with the calendar package's
// defaults, and bad values are refused.
func TestLimitsSettings(t *testing.T) {
	date := func(s string) time.Time {
		d, err := time.Parse(time.RFC3339, s)
		if err != nil {
			t.Fatal(err)
		}
		return d
	}
	def := calendar.Limits{MinDateTime: calendar.DefaultMinDateTime, MaxDateTime: calendar.DefaultMaxDateTime, QuotaBytes: DefaultQuotaBytes}
	for _, tc := range []struct {
		name string
		env  map[string]string
		args []string
		want calendar.Limits
		bad  bool
	}{
		{"defaults", nil, nil, def, false},
		{"quota from the environment", map[string]string{"ALMANAC_QUOTA_BYTES": "1048576"}, nil,
			calendar.Limits{MinDateTime: def.MinDateTime, MaxDateTime: def.MaxDateTime, QuotaBytes: 1 << 20}, false},
		{"flag over environment", map[string]string{"ALMANAC_QUOTA_BYTES": "1048576"}, []string{"--quota-bytes", "5000"},
			calendar.Limits{MinDateTime: def.MinDateTime, MaxDateTime: def.MaxDateTime, QuotaBytes: 5000}, false},
		{"date range", map[string]string{"ALMANAC_MIN_DATE_TIME": "1970-01-01T00:00:00Z"}, []string{"--max-date-time", "2038-01-19T03:14:07Z"},
			calendar.Limits{MinDateTime: date("1970-01-01T00:00:00Z"), MaxDateTime: date("2038-01-19T03:14:07Z"), QuotaBytes: DefaultQuotaBytes}, false},
		{"date with an offset", nil, []string{"--max-date-time", "2100-01-01T01:00:00+01:00"}, def, false},
		{"not a date", map[string]string{"ALMANAC_MIN_DATE_TIME": "1900"}, nil, calendar.Limits{}, true},
		{"empty range", nil, []string{"--min-date-time", "2030-01-01T00:00:00Z", "--max-date-time", "2030-01-01T00:00:00Z"}, calendar.Limits{}, true},
		{"negative quota", nil, []string{"--quota-bytes", "-1"}, calendar.Limits{}, true},
		{"quota not a number", map[string]string{"ALMANAC_QUOTA_BYTES": "1G"}, nil, calendar.Limits{}, true},
		{"attendees from the environment", map[string]string{"ALMANAC_MAX_ATTENDEES": "50"}, nil,
			calendar.Limits{MinDateTime: def.MinDateTime, MaxDateTime: def.MaxDateTime, QuotaBytes: DefaultQuotaBytes, MaxAttendees: 50}, false},
		{"attendees flag over environment", map[string]string{"ALMANAC_MAX_ATTENDEES": "50"}, []string{"--max-attendees", "2000"},
			calendar.Limits{MinDateTime: def.MinDateTime, MaxDateTime: def.MaxDateTime, QuotaBytes: DefaultQuotaBytes, MaxAttendees: 2000}, false},
		{"no attendees", nil, []string{"--max-attendees", "0"}, calendar.Limits{}, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			for k, v := range tc.env {
				t.Setenv(k, v)
			}
			s := newSettings("almanac serve", "")
			s.fs.SetOutput(io.Discard)
			var c limitsConfig
			c.register(s)
			err := s.Parse(tc.args)
			var got calendar.Limits
			if err == nil {
				got, err = c.limits()
			}
			if tc.bad {
				if err == nil {
					t.Fatalf("accepted: %+v", got)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if tc.want.MaxAttendees == 0 {
				tc.want.MaxAttendees = calendar.DefaultMaxAttendees
			}
			if !got.MinDateTime.Equal(tc.want.MinDateTime) || !got.MaxDateTime.Equal(tc.want.MaxDateTime) || got.QuotaBytes != tc.want.QuotaBytes ||
				got.MaxAttendees != tc.want.MaxAttendees {
				t.Fatalf("got %+v, want %+v", got, tc.want)
			}
		})
	}
}

// TestRecurrenceLimitsConfig: the bounds on one object's recurrence and on
// one write's expansion default to recurrence.DefaultLimits and are set by
// flag or environment, flag first; zero and negative values are refused.
func TestRecurrenceLimitsConfig(t *testing.T) {
	d := recurrence.DefaultLimits
	for _, tc := range []struct {
		name string
		env  map[string]string
		args []string
		want func(*recurrence.Limits)
		bad  bool
	}{
		{"defaults", nil, nil, func(*recurrence.Limits) {}, false},
		{"from the environment", map[string]string{"ALMANAC_MAX_RULES": "3", "ALMANAC_MAX_OVERRIDES": "100",
			"ALMANAC_MAX_RECURRENCE_DATES": "50", "ALMANAC_WRITE_EXPANSION_INSTANCES": "1000", "ALMANAC_WRITE_EXPANSION_TIME": "1s"}, nil,
			func(l *recurrence.Limits) {
				l.MaxRules, l.MaxOverrides, l.MaxDates, l.WriteInstances, l.WriteTime = 3, 100, 50, 1000, time.Second
			}, false},
		{"flag over environment", map[string]string{"ALMANAC_MAX_RULES": "3"}, []string{"--max-rules", "2"},
			func(l *recurrence.Limits) { l.MaxRules = 2 }, false},
		{"no rules", nil, []string{"--max-rules", "0"}, nil, true},
		{"negative dates", nil, []string{"--max-recurrence-dates", "-1"}, nil, true},
		{"no time", map[string]string{"ALMANAC_WRITE_EXPANSION_TIME": "0s"}, nil, nil, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			for k, v := range tc.env {
				t.Setenv(k, v)
			}
			s := newSettings("almanac serve", "")
			s.fs.SetOutput(io.Discard)
			var c limitsConfig
			c.register(s)
			err := s.Parse(tc.args)
			var got recurrence.Limits
			if err == nil {
				got, err = c.recurrence()
			}
			if tc.bad {
				if err == nil {
					t.Fatalf("accepted: %+v", got)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			want := d
			tc.want(&want)
			if got != want {
				t.Fatalf("got %+v, want %+v", got, want)
			}
		})
	}
}

// TestInvitationsDefault: --invitations-default and its variable, known
// unless set, and nothing but known or everyone.
func TestInvitationsDefault(t *testing.T) {
	for _, tc := range []struct {
		name string
		env  map[string]string
		args []string
		want string
		bad  bool
	}{
		{"default", nil, nil, "known", false},
		{"from the environment", map[string]string{"ALMANAC_INVITATIONS_DEFAULT": "everyone"}, nil, "everyone", false},
		{"flag over environment", map[string]string{"ALMANAC_INVITATIONS_DEFAULT": "everyone"}, []string{"--invitations-default", "known"}, "known", false},
		{"neither", nil, []string{"--invitations-default", "nobody"}, "", true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			for k, v := range tc.env {
				t.Setenv(k, v)
			}
			s := newSettings("almanac serve", "")
			s.fs.SetOutput(io.Discard)
			var c mailInConfig
			c.register(s)
			err := s.Parse(tc.args)
			if err == nil {
				err = c.checkInvitations()
			}
			if tc.bad != (err != nil) || !tc.bad && c.Invitations != tc.want {
				t.Fatalf("%q, %v", c.Invitations, err)
			}
		})
	}
}
