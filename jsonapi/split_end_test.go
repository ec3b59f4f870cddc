package jsonapi

import (
	"strings"
	"testing"
)

// TestSplitSeriesKeepsItsEnd splits a weekly series with "this and
// following", then edits all events of the first part with a rule whose
// UNTIL runs to the end of the split day, as a client that keeps only the
// last day of a rule writes it: the old part's occurrence on that day
// would come back beside the new part's. The server ends the rule where
// it ended.
func TestSplitSeriesKeepsItsEnd(t *testing.T) {
	f := newEventFixture(t)
	weekly := `,"recurrence":["RRULE:FREQ=WEEKLY"]`
	id := f.create(t, f.event("Sync", "2026-03-03T10:00:00", "2026-03-03T10:30:00", weekly))
	r := f.do(t, "PATCH", "/events/"+id+"_20260317T090000Z?scope=following", f.tok,
		`{"start":{"date_time":"2026-03-17T11:00:00","time_zone":"Europe/Berlin"},"end":{"date_time":"2026-03-17T11:30:00","time_zone":"Europe/Berlin"}}`)
	if r.status != 200 {
		t.Fatalf("split: %d %s", r.status, r.raw)
	}
	if !strings.Contains(f.ics(t, id), "RRULE:FREQ=WEEKLY;UNTIL=20260317T085959Z") {
		t.Fatalf("the first part does not end before the split:\n%s", f.ics(t, id))
	}
	want := "03-03T10:00 Sync|03-10T10:00 Sync|03-17T11:00 Sync|03-24T11:00 Sync|03-31T11:00 Sync"
	if got := strings.Join(f.instances(t), "|"); got != want {
		t.Fatalf("after the split:\n%s\nwant\n%s", got, want)
	}

	// The end of 17 March in Berlin: the 10:00 occurrence that day is in.
	r = f.do(t, "PATCH", "/events/"+id+"_20260310T090000Z?scope=all", f.tok,
		`{"title":"Old sync","recurrence":["RRULE:FREQ=WEEKLY;UNTIL=20260317T225959Z"]}`)
	if r.status != 200 {
		t.Fatalf("edit all: %d %s", r.status, r.raw)
	}
	want = "03-03T10:00 Old sync|03-10T10:00 Old sync|03-17T11:00 Sync|03-24T11:00 Sync|03-31T11:00 Sync"
	if got := strings.Join(f.instances(t), "|"); got != want {
		t.Fatalf("after editing the first part:\n%s\nwant\n%s", got, want)
	}
	if data := f.ics(t, id); !strings.Contains(data, "RRULE:FREQ=WEEKLY;UNTIL=20260310T090000Z") {
		t.Errorf("the first part's rule was not ended at its last instance:\n%s", data)
	}

	// Without an end at all, likewise.
	r = f.do(t, "PATCH", "/events/"+id, f.tok, `{"recurrence":["RRULE:FREQ=DAILY"]}`)
	if r.status != 200 {
		t.Fatalf("edit the series: %d %s", r.status, r.raw)
	}
	got := f.instances(t)
	if len(got) != 11 || got[7] != "03-10T10:00 Old sync" || got[8] != "03-17T11:00 Sync" {
		t.Errorf("a daily rule for the first part runs past its end: %v", got)
	}

	// Moved wholly past its end, the first part would hold only what the
	// other owns: refused.
	r = f.do(t, "PATCH", "/events/"+id, f.tok, `{"start":{"date_time":"2026-03-20T10:00:00","time_zone":"Europe/Berlin"},`+
		`"end":{"date_time":"2026-03-20T10:30:00","time_zone":"Europe/Berlin"},"recurrence":["RRULE:FREQ=WEEKLY"]}`)
	if r.status != 422 {
		t.Errorf("moving the first part past the split: %d %s", r.status, r.raw)
	}
}

// TestUnsplitSeriesMayGrow checks that a series no other was split from
// keeps the end it is given.
func TestUnsplitSeriesMayGrow(t *testing.T) {
	f := newEventFixture(t)
	id := f.create(t, f.event("Sync", "2026-03-03T10:00:00", "2026-03-03T10:30:00", `,"recurrence":["RRULE:FREQ=WEEKLY;COUNT=2"]`))
	r := f.do(t, "PATCH", "/events/"+id, f.tok, `{"recurrence":["RRULE:FREQ=WEEKLY;UNTIL=20260324T225959Z"]}`)
	if r.status != 200 {
		t.Fatalf("edit: %d %s", r.status, r.raw)
	}
	if got := len(f.instances(t)); got != 4 {
		t.Errorf("%d instances, want 4", got)
	}
}
