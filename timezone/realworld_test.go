package timezone

import (
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/emersion/go-ical"
)

// sharedICS finds the shared real-world calendars, shared/testdata/ics
// beside the checkout or beside one of its parents; "" when absent.
func sharedICS() string {
	dir, err := filepath.Abs(".")
	if err != nil {
		return ""
	}
	for {
		p := filepath.Join(dir, "shared", "testdata", "ics")
		if fi, err := os.Stat(p); err == nil && fi.IsDir() {
			return p
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return ""
		}
		dir = parent
	}
}

// knownMismatches lists VTIMEZONEs in the shared corpus that disagree with
// the IANA zone of the same name, by "file TZID", with the reason. They are
// the files' fault: each definition is evaluated correctly, it just does not
// describe the zone's history over the span it claims. An entry that stops
// mismatching fails the test, so the list stays true.
var knownMismatches = map[string]string{
	"ical4j-invalid/OZMovies.ics Australia/Sydney": "ends summer time on 26 March 2006 by the old rule; " +
		"New South Wales extended it to 2 April that year",
	"ical4j-valid/Australian32Holidays.ics Asia/Hong_Kong": "history simplified: no 1941 summer time and " +
		"no UTC+9 during the occupation of 1941–45",
	"ical4j-valid/Casablanca.ics Africa/Casablanca": "predicted Ramadan dates: lists 30 April 2023 " +
		"for the return to UTC+1, which Morocco set on 23 April",
	"ical4j-valid/Dryway.ics US/Eastern":                "DAYLIGHT onsets at 01:00 local instead of 02:00",
	"ical4j-valid/Packers.ics US/Central":               "DAYLIGHT onsets at 01:00 local instead of 02:00",
	"ical4j-valid/bears.ics Canada/Mountain":            "DAYLIGHT onsets at 01:00 local instead of 02:00",
	"ical4j-valid/Earth32Seasons.ics America/Anchorage": "DAYLIGHT onsets at 01:00 local instead of 02:00",
	"ical4j-valid/EXDATE.ics Australia/Brisbane": "onsets at 03:00 where the change happened at 02:00 " +
		"standard time (e.g. 1 January 1942, 31 October 1971)",
	"ical4j-valid/evolution.ics /softwarestudio.org/Tzfile/America/Chicago": "applies the 2007 US rules " +
		"(second Sunday in March, first in November) from 1970",
	"ical4j-valid/google_aus_holidays.ics America/Los_Angeles": "applies the 1987–2006 US rules " +
		"(first Sunday in April, last in October) from 1970 on and past 2006",
	"ical4j-valid/google_aus_holidays.ics US/Pacific": "applies the 1987–2006 US rules " +
		"(first Sunday in April, last in October) from 1970 on and past 2006",
	"ical4j-valid/miked.ics US/Pacific": "DAYLIGHT starts in 1987 while STANDARD starts in 1967: " +
		"no summer time 1968–1986",
	"icalendar/multiple_timezones.ics America/New_York": "DAYLIGHT starts in 1987 while STANDARD starts in " +
		"1967: no summer time 1968–1986; pre-2007 rules continue past 2006",
	"icalendar/alarm_etar_future.ics Europe/London": "British Double Summer Time onsets an hour early " +
		"(01:00 BST, where the IANA data has 01:00 GMT)",
	"icalendar/alarm_etar_notification.ics Europe/London": "British Double Summer Time onsets an hour " +
		"early (01:00 BST, where the IANA data has 01:00 GMT)",
	"icalendar/alarm_etar_notification_clicked.ics Europe/London": "British Double Summer Time onsets an " +
		"hour early (01:00 BST, where the IANA data has 01:00 GMT)",
	"icalendar/alarm_google_acknowledged.ics Europe/Berlin": "applies the EU rules from 1970; " +
		"Germany had no summer time until 1980",
	"icalendar/alarm_google_future.ics Europe/Berlin": "applies the EU rules from 1970; " +
		"Germany had no summer time until 1980",
	"icalendar/timezoned.ics Europe/Vienna": "applies the EU rules from 1970; Austria had no summer " +
		"time until 1980",
	"icalendar/x_location.ics Europe/Zurich": "applies the EU rules from 1970; Switzerland had no " +
		"summer time until 1981",
	"icalendar/issue_1050_all_components.ics America/New_York": "applies the 2007 US rules from 1970",
	"icalendar/issue_1050_calendar_with_events_and_todos.ics America/New_York": "applies the 2007 US " +
		"rules from 1970",
	"icalendar/issue_1050_forward_timezone_reference.ics Europe/Berlin": "only a STANDARD observance: " +
		"no summer time at all",
	"icalendar/issue_1050_timezone_only_calendar.ics Europe/London": "ends summer time in October 1970; " +
		"the UK kept UTC+1 all year until 31 October 1971",
	"icalendar/issue_836_do_not_quote_tzid.ics Eastern Standard Time": "Outlook: the 2007 US rules " +
		"claimed since 1601",
	"icalendar/timezone_same_start.ics Pacific Standard Time": "Outlook: the 2007 US rules claimed " +
		"since 1601",
	"icalendar/rfc_7265_appendix_example_2_ical.ics US/Eastern": "DTSTARTs on Tuesday 4 April and " +
		"Thursday 26 October 2000, not on the Sundays their rules name, take effect as onsets; the " +
		"1987–2006 US rules continue past 2006",
}

func TestFromVTIMEZONERealWorld(t *testing.T) {
	root := sharedICS()
	if root == "" {
		t.Skip("shared test calendars not present")
	}
	end := date(2038, 1, 1)
	compared, skipped := 0, 0
	seen := map[string]bool{}
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(path, ".ics") {
			return err
		}
		rel, _ := filepath.Rel(root, path)
		data, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		cal, err := parseICS(data)
		if err != nil {
			if strings.Contains(string(data), "BEGIN:VTIMEZONE") {
				t.Logf("%s: not parsed by go-ical, skipped: %v", rel, err)
				skipped++
			}
			return nil
		}
		for _, c := range cal.Children {
			if c.Name != ical.CompTimezone {
				continue
			}
			tzid := ""
			if p := c.Props.Get("TZID"); p != nil {
				tzid = p.Value
			}
			key := rel + " " + tzid
			loc, err := FromVTIMEZONE(c)
			ref, known := Lookup(tzid)
			if err != nil {
				// Definitions we refuse must be ones Resolve never
				// needs, or be reported as the client's error.
				t.Logf("%s: %v", key, err)
				continue
			}
			if !known {
				continue
			}
			first, ok := firstOnset(c)
			if !ok {
				continue
			}
			from := first
			if from.Year() < 1900 {
				from = date(1900, 1, 1)
			}
			until := claimedUntil(c, loc, from, end)
			if !from.Before(until) {
				continue
			}
			compared++
			seen[key] = true
			diff := diffOffsets(loc, ref, probes(from, until, 2000, 3, loc, ref), 3)
			reason, listed := knownMismatches[key]
			switch {
			case len(diff) > 0 && !listed:
				t.Errorf("%s (as %s, from %s): offsets differ:\n%s\n%s", key, ref, from.Format("2006-01-02"),
					strings.Join(diff, "\n"), strings.Join(observances(c), "\n"))
			case len(diff) > 0:
				t.Logf("%s: known mismatch (%s): %s", key, reason, diff[0])
			case listed:
				t.Errorf("%s is listed as a known mismatch but agrees with %s", key, ref)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	var stale []string
	for k := range knownMismatches {
		if !seen[k] {
			stale = append(stale, k)
		}
	}
	sort.Strings(stale)
	for _, k := range stale {
		t.Errorf("known mismatch %q was not found in the corpus", k)
	}
	t.Logf("compared %d definitions with their IANA zones; %d files skipped", compared, skipped)
	if compared < 20 {
		t.Errorf("only %d definitions compared", compared)
	}
}

// claimedUntil is the end of the span a definition speaks for: with a
// rule that never ends, all of it (up to end); otherwise a day past its last
// onset, since clients truncate definitions to the span of the events they
// carry (RFC 7809 §3) and say nothing about the zone after it.
func claimedUntil(c *ical.Component, loc *time.Location, from, end time.Time) time.Time {
	for _, o := range c.Children {
		for _, p := range o.Props.Values("RRULE") {
			if r, err := parseRecur(p.Value); err == nil && !r.bounded() {
				return end
			}
		}
	}
	until := from.Add(24 * time.Hour)
	if _, changes := zoneChanges(loc, from, end); len(changes) > 0 {
		until = changes[len(changes)-1].at.Add(24 * time.Hour)
	}
	if until.After(end) {
		return end
	}
	return until
}
