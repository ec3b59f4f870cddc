package icalendar

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// The shared corpus: real-world and edge-case calendars from the Python
// icalendar project (a mix of valid and invalid) and ical4j's valid and
// invalid samples, read in place.

// validFailures lists the files of ical4j-valid that we reject, and why.
var validFailures = map[string]string{
	"Day.ics":          "an empty file: the name \"New Years Day.ics\" was split at its spaces",
	"New":              "an empty file: the name \"New Years Day.ics\" was split at its spaces",
	"Years":            "an empty file: the name \"New Years Day.ics\" was split at its spaces",
	"categories.ics":   "a VEVENT without DTSTART in a calendar without METHOD (RFC 5545 §3.6.1)",
	"friday13.ics":     "a VEVENT without UID (RFC 5545 §3.6.1)",
	"friday13-NOT.ics": "a VEVENT without UID (RFC 5545 §3.6.1)",
	"mansour.ics":      "a VEVENT without UID (RFC 5545 §3.6.1)",
}

// needRealTimezones lists files whose TZIDs only the full timezone package
// resolves (Windows names, Mozilla and libical prefixes, VTIMEZONE
// evaluation); tz_integration_test.go checks them against it.
var needRealTimezones = map[string]bool{
	"Standup.ics": true, "calconnect.ics": true, "calconnect2.ics": true, "calconnect3.ics": true, "calconnect4.ics": true,
	"calconnect5.ics": true, "calconnect6.ics": true, "calconnect7.ics": true, "calconnect8.ics": true, "calconnect9.ics": true,
	"evolution.ics": true, "evolution2.ics": true,
	"phpicalendar_sample.ics": true, "schedule-unstable.ics": true, "talios.ics": true, "tmeher.ics": true,
}

// invalidAccepted lists the files of ical4j-invalid that we accept, and
// why: the defects are in properties the server carries but does not
// interpret, or are leniencies real clients need.
var invalidAccepted = map[string]string{
	"OZMovies.ics":                   "TEXT escapes such as \\\" are read as the escaped character (RFC 5545 §3.3.11 leniency); its VTIMEZONE's odd TZOFFSETFROM is not interpreted",
	"eli_courtwright.ics":            "no PRODID (fix-up missing-prodid) and TZID US/Eastern without VTIMEZONE (fix-up missing-vtimezone)",
	"eli_test.ics":                   "as eli_courtwright.ics; the mangled DESCRIPTION is still TEXT",
	"groupwise.ics":                  "a CAL-ADDRESS with a space and a PRODID with a trailing space: carried, not interpreted",
	"korganizer.ics":                 "blank lines between components, which are skipped",
	"korganizer-lowercase.ics":       "lower-case and mixed-case names (BEGIN:Vcalendar, pRoDiD, Cn=), which iCalendar names allow (RFC 5545 §2)",
	"lastfm.ics":                     "blank lines between components, which are skipped",
	"sogo-geo-escaped-semicolon.ics": "GEO written with an escaped semicolon: carried, not interpreted",
}

func corpus(t *testing.T, dir string) []string {
	t.Helper()
	root := sharedTestdata(t, filepath.Join("ics", dir))
	files, err := filepath.Glob(filepath.Join(root, "*"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no files in %s: %v", root, err)
	}
	return files
}

// parseGuarded parses a file and reports a panic as an error, so that one
// crash names its file.
func parseGuarded(path string) (cals []*Calendar, err error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("PANIC: %v", p)
		}
	}()
	cals, err = ParseAll(data)
	for _, c := range cals {
		if err == nil {
			err = c.Validate(Options{})
		}
	}
	return cals, err
}

// TestCorpusParse parses every file without panicking; whatever parses
// prints and parses back to the same components.
func TestCorpusParse(t *testing.T) {
	for _, dir := range []string{"icalendar", "ical4j-valid", "ical4j-invalid"} {
		for _, f := range corpus(t, dir) {
			t.Run(dir+"/"+filepath.Base(f), func(t *testing.T) {
				data, _ := os.ReadFile(f)
				cals, err := ParseAll(data)
				if err != nil && len(cals) > 0 {
					t.Fatal("an error with a result")
				}
				for _, c := range cals {
					roundTrip(t, c)
				}
				if _, err := parseGuarded(f); err != nil && strings.HasPrefix(err.Error(), "PANIC") {
					t.Fatal(err)
				}
			})
		}
	}
}

// TestCorpusValid parses and validates ical4j's valid samples.
func TestCorpusValid(t *testing.T) {
	for _, f := range corpus(t, "ical4j-valid") {
		name := filepath.Base(f)
		if needRealTimezones[name] {
			continue
		}
		t.Run(name, func(t *testing.T) {
			_, err := parseGuarded(f)
			reason, listed := validFailures[name]
			switch {
			case err != nil && !listed:
				t.Fatalf("rejected: %v", err)
			case err == nil && listed:
				t.Fatalf("accepted, but listed as failing because %s", reason)
			case err != nil:
				t.Logf("rejected as expected (%s): %v", reason, err)
			}
		})
	}
}

// TestCorpusInvalid rejects ical4j's invalid samples, except the ones
// accepted for a stated reason.
func TestCorpusInvalid(t *testing.T) {
	for _, f := range corpus(t, "ical4j-invalid") {
		name := filepath.Base(f)
		if needRealTimezones[name] {
			continue
		}
		t.Run(name, func(t *testing.T) {
			_, err := parseGuarded(f)
			reason, lenient := invalidAccepted[name]
			switch {
			case err == nil && !lenient:
				t.Fatal("accepted")
			case err != nil && lenient:
				t.Fatalf("rejected, but listed as accepted because %s: %v", reason, err)
			case err != nil:
				t.Logf("rejected: %v", err)
			default:
				t.Logf("accepted: %s", reason)
			}
		})
	}
}

// sharedTestdata finds rel in the shared test data, a directory
// "shared/testdata" beside the repository or one of its parents.
func sharedTestdata(t *testing.T, rel string) string {
	dir, err := filepath.Abs(".")
	if err != nil {
		t.Fatal(err)
	}
	for {
		p := filepath.Join(dir, "shared", "testdata", rel)
		if _, err := os.Stat(p); err == nil {
			return p
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			t.Skipf("shared test data %s not found", rel)
		}
		dir = parent
	}
}
