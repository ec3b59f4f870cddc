package itip

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/almanac/almanac/icalendar"
)

// TestCopyKeepsOwnAnswer: an attendee's copy keeps their answer for each
// instance whose SEQUENCE the organizer did not raise (RFC 5546 §2.1.5)
// and takes the organizer's NEEDS-ACTION for a rescheduled one (RFC 6638
// §3.2.8), and for every instance when they are invited again after a
// cancellation. The status of their reply stays on ORGANIZER, and their
// TRANSP stays theirs.
func TestCopyKeepsOwnAnswer(t *testing.T) {
	const bob = "mailto:bob@almanac.test"
	const week2 = "20260112T090000Z"
	read := func(name string) []byte {
		data, err := os.ReadFile(filepath.Join("testdata", "copy", name))
		if err != nil {
			t.Fatal(err)
		}
		return data
	}
	cases := []struct {
		name, copy, request string
		series, instance    string // bob's answers in the new copy
	}{
		{"same SEQUENCE", "copy-answered.ics", "request-same.ics", Accepted, Accepted},
		{"one instance moved", "copy-answered.ics", "request-instance-moved.ics", Accepted, NeedsAction},
		{"series moved", "copy-answered.ics", "request-series-moved.ics", NeedsAction, Accepted},
		{"invited again after a cancellation", "copy-cancelled.ics", "request-same.ics", NeedsAction, NeedsAction},
	}
	for _, tc := range cases {
		prev, err := icalendar.ParseObject(read(tc.copy), icalendar.Options{})
		if err != nil {
			t.Fatal(err)
		}
		tree := Copy(mustParse(t, read(tc.request)), prev, bob)
		data, err := icalendar.Marshal(tree)
		if err != nil {
			t.Fatal(err)
		}
		obj, err := icalendar.ParseObject(data, icalendar.Options{})
		if err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		if got := PartStat(obj.Master().Component, bob); got != tc.series {
			t.Errorf("%s: series %s, want %s", tc.name, got, tc.series)
		}
		if got := PartStat(Component(obj, week2).Component, bob); got != tc.instance {
			t.Errorf("%s: instance %s, want %s", tc.name, got, tc.instance)
		}
		// RFC 6638 §3.2.2.1: bob's TRANSP stays, whatever the organizer's.
		if got := obj.Master().Props.Get("TRANSP"); tc.copy == "copy-answered.ics" && (got == nil || got.Value != "TRANSPARENT") {
			t.Errorf("%s: TRANSP %v, want bob's TRANSPARENT", tc.name, got)
		}
		// RFC 6638 §7.3: how bob's reply went stays on ORGANIZER.
		if got := obj.Master().Props.Get("ORGANIZER").Params.Get("SCHEDULE-STATUS"); tc.copy == "copy-answered.ics" && got != "1.2" {
			t.Errorf("%s: ORGANIZER SCHEDULE-STATUS %q, want 1.2", tc.name, got)
		}
	}
}
