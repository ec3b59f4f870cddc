package recurrence

import (
	"testing"
	"time"
)

// BenchmarkExpandMonthOf20YearDaily is the calendar view of a daily event
// started 20 years earlier: one month, found by seeking rather than by
// iterating 7,000 instances from DTSTART (rrule-go's Between takes 1.6 ms).
func BenchmarkExpandMonthOf20YearDaily(b *testing.B) {
	s := mustSeries(b, event(b, "DTSTART;TZID=Europe/Berlin:20050301T090000", "DURATION:PT1H", "RRULE:FREQ=DAILY"), Options{})
	from, to := utc("20250301"), utc("20250401")
	b.ReportAllocs()
	for b.Loop() {
		got, err := s.Expand(from, to)
		if err != nil || len(got) != 31 {
			b.Fatal(len(got), err)
		}
	}
}

// BenchmarkExpandYearWeeklyByDay is a year of a weekly meeting on three
// weekdays.
func BenchmarkExpandYearWeeklyByDay(b *testing.B) {
	s := mustSeries(b, event(b, "DTSTART;TZID=America/New_York:20200106T100000", "DURATION:PT30M",
		"RRULE:FREQ=WEEKLY;BYDAY=MO,WE,FR"), Options{})
	from, to := utc("20250101"), utc("20260101")
	b.ReportAllocs()
	for b.Loop() {
		got, err := s.Expand(from, to)
		if err != nil || len(got) != 157 {
			b.Fatal(len(got), err)
		}
	}
}

// BenchmarkNewSeries is the cost of preparing a series, paid once per
// object read.
func BenchmarkNewSeries(b *testing.B) {
	obj := event(b, "DTSTART;TZID=Europe/Berlin:20050301T090000", "DURATION:PT1H", "RRULE:FREQ=DAILY")
	b.ReportAllocs()
	for b.Loop() {
		if _, err := NewSeries(obj, Options{}); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkMaterializeYearDaily is what the indexer does for a new
// endless daily event with a one-year horizon.
func BenchmarkMaterializeYearDaily(b *testing.B) {
	s := mustSeries(b, event(b, "DTSTART;TZID=Europe/Berlin:20250301T090000", "DURATION:PT1H", "RRULE:FREQ=DAILY"), Options{})
	horizon := utc("20250301").Add(365 * 24 * time.Hour)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := s.Materialize(horizon); err != nil {
			b.Fatal(err)
		}
	}
}
