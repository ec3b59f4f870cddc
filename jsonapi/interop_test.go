package jsonapi

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// TestInteropParsers reads what the JSON API writes with the parsers CalDAV
// clients use: Python's icalendar (python3-caldav) and ical.js (web
// clients, which expand with the VTIMEZONE sent, not their own zone
// data). It is skipped where they are not installed; .ci/run installs
// them.
func TestInteropParsers(t *testing.T) {
	f := newEventFixture(t)
	id := f.create(t, f.fixture(t, "create-weekly.json"))
	if r := f.do(t, "PATCH", "/events/"+id+"_20260316T080000Z", f.tok, `{"title":"Moved review","start":{"date_time":"2026-03-16T11:00:00","time_zone":"Europe/Berlin"}}`); r.status != 200 {
		t.Fatalf("override: %d %s", r.status, r.raw)
	}
	path := filepath.Join(t.TempDir(), "event.ics")
	if err := os.WriteFile(path, []byte(f.ics(t, id)), 0o644); err != nil {
		t.Fatal(err)
	}
	t.Run("python-icalendar", func(t *testing.T) {
		py := pythonWith("icalendar")
		if py == "" {
			t.Skip("python3 with icalendar is not installed")
		}
		out, err := exec.Command(py, filepath.Join("testdata", "interop", "check.py"), path).CombinedOutput()
		if err != nil {
			t.Fatalf("check.py: %v\n%s", err, out)
		}
		var got []map[string]string
		if err := json.Unmarshal(out, &got); err != nil || len(got) != 2 {
			t.Fatalf("check.py said %s (%v)", out, err)
		}
		master, override := got[0], got[1]
		if master["start"] != "2026-03-02T09:00:00+01:00" || master["tz"] != "Europe/Berlin" || master["rrule"] != "FREQ=WEEKLY;COUNT=10;BYDAY=MO" {
			t.Errorf("master read as %v", master)
		}
		if override["rid"] != "2026-03-16T09:00:00+01:00" || override["start"] != "2026-03-16T11:00:00+01:00" {
			t.Errorf("override read as %v", override)
		}
	})
	t.Run("ical.js", func(t *testing.T) {
		mod := os.Getenv("ICALJS")
		if mod == "" {
			t.Skip("ICALJS (path of ical.js's CommonJS build) is not set")
		}
		out, err := exec.Command("node", filepath.Join("testdata", "interop", "check.cjs"), path).CombinedOutput()
		if err != nil {
			t.Fatalf("check.cjs: %v\n%s", err, out)
		}
		var got []struct{ Occurrences []string }
		if err := json.Unmarshal(out, &got); err != nil || len(got) != 1 {
			t.Fatalf("check.cjs said %s (%v)", out, err)
		}
		// Berlin moves to summer time on 29 March: 09:00 is 07:00 UTC from then.
		want := []string{
			"2026-03-02T08:00:00.000Z Weekly review",
			"2026-03-16T10:00:00.000Z Moved review",
			"2026-03-23T08:00:00.000Z Weekly review",
			"2026-03-30T07:00:00.000Z Weekly review",
			"2026-04-06T07:00:00.000Z Weekly review",
			"2026-04-13T07:00:00.000Z Weekly review",
		}
		if strings.Join(got[0].Occurrences, "\n") != strings.Join(want, "\n") {
			t.Errorf("ical.js expands\n%s\nwant\n%s", strings.Join(got[0].Occurrences, "\n"), strings.Join(want, "\n"))
		}
	})
}

// pythonWith returns a Python 3 that has module: the system's first (where
// Debian's python3-icalendar lives), else the one on PATH.
func pythonWith(module string) string {
	for _, py := range []string{"/usr/bin/python3", "python3"} {
		if exec.Command(py, "-c", "import "+module).Run() == nil {
			return py
		}
	}
	return ""
}
