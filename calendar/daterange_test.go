package calendar

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/almanac/almanac/store"
	"github.com/almanac/almanac/store/storetest"
)

// TestPutObjectDateRange checks the CALDAV:min-date-time and
// CALDAV:max-date-time preconditions (RFC 4791 §5.3.2.1) with the default
// limits, 1900 to 2100: which values count, and that the bounds are
// instants in UTC.
func TestPutObjectDateRange(t *testing.T) {
	f := newFixture(t, storetest.SQLite(t))
	ctx := context.Background()
	event := func(props string) []byte {
		return ics("BEGIN:VEVENT\nUID:e\nDTSTAMP:20260101T000000Z\n" + props + "END:VEVENT\n")
	}
	const berlin = "BEGIN:VTIMEZONE\nTZID:Europe/Berlin\nBEGIN:STANDARD\nDTSTART:16010101T000000\nTZOFFSETFROM:+0100\nTZOFFSETTO:+0100\nEND:STANDARD\nEND:VTIMEZONE\n"
	for _, tc := range []struct {
		name     string
		data     []byte
		pre      string // "" when accepted
		property string
	}{
		{"ordinary event", event("DTSTART:20260105T100000Z\n"), "", ""},
		{"at the earliest instant", event("DTSTART:19000101T000000Z\n"), "", ""},
		{"at the latest instant", event("DTSTART:21000101T000000Z\n"), "", ""},
		{"all-day start before 1900", event("DTSTART;VALUE=DATE:18991231\n"), PreMinDateTime, "DTSTART"},
		{"floating start before 1900", event("DTSTART:18991231T235959\n"), PreMinDateTime, "DTSTART"},
		// Midnight in Berlin is 23:00 UTC the day before.
		{"zoned start an hour before 1900 in UTC", ics(berlin + "BEGIN:VEVENT\nUID:e\nDTSTAMP:20260101T000000Z\nDTSTART;TZID=Europe/Berlin:19000101T000000\nEND:VEVENT\n"), PreMinDateTime, "DTSTART"},
		{"end after 2100", event("DTSTART:20991231T100000Z\nDTEND:21000101T000001Z\n"), PreMaxDateTime, "DTEND"},
		{"due after 2100", ics("BEGIN:VTODO\nUID:t\nDTSTAMP:20260101T000000Z\nDUE;VALUE=DATE:21000102\nEND:VTODO\n"), PreMaxDateTime, "DUE"},
		{"rule until 2150", event("DTSTART:20260105T100000Z\nRRULE:FREQ=YEARLY;UNTIL=21500101T000000Z\n"), PreMaxDateTime, "RRULE"},
		{"endless rule", event("DTSTART:20260105T100000Z\nRRULE:FREQ=YEARLY\n"), "", ""},
		{"rule counted past 2100", event("DTSTART:20260105T100000Z\nRRULE:FREQ=YEARLY;COUNT=200\n"), "", ""},
		{"rdate in 1850", event("DTSTART:20260105T100000Z\nRDATE:20270105T100000Z,18500105T100000Z\n"), PreMinDateTime, "RDATE"},
		{"rdate period ending after 2100", event("DTSTART:20260105T100000Z\nRDATE;VALUE=PERIOD:20991231T100000Z/21000101T100000Z\n"), PreMaxDateTime, "RDATE"},
		{"exdate in 2200", event("DTSTART:20260105T100000Z\nRRULE:FREQ=YEARLY\nEXDATE:22000105T100000Z\n"), PreMaxDateTime, "EXDATE"},
		{"override of an instance in 2101", ics("BEGIN:VEVENT\nUID:e\nDTSTAMP:20260101T000000Z\nDTSTART:20260105T100000Z\nRRULE:FREQ=YEARLY\nEND:VEVENT\n" +
			"BEGIN:VEVENT\nUID:e\nDTSTAMP:20260101T000000Z\nRECURRENCE-ID:21010105T100000Z\nDTSTART:20260106T100000Z\nEND:VEVENT\n"), PreMaxDateTime, "RECURRENCE-ID"},
		{"override moved before 1900", ics("BEGIN:VEVENT\nUID:e\nDTSTAMP:20260101T000000Z\nDTSTART:20260105T100000Z\nRRULE:FREQ=YEARLY\nEND:VEVENT\n" +
			"BEGIN:VEVENT\nUID:e\nDTSTAMP:20260101T000000Z\nRECURRENCE-ID:20270105T100000Z\nDTSTART:18270105T100000Z\nEND:VEVENT\n"), PreMinDateTime, "DTSTART"},
		// Timestamps about the data, alarm triggers and time zone
		// definitions are not dates of the event.
		{"placeholder timestamps", event("DTSTART:20260105T100000Z\nCREATED:16010101T000000Z\nLAST-MODIFIED:00010101T000000Z\n"), "", ""},
		{"alarm at a fixed time in 1800", event("DTSTART:20260105T100000Z\nBEGIN:VALARM\nACTION:DISPLAY\nDESCRIPTION:x\nTRIGGER;VALUE=DATE-TIME:18000101T000000Z\nEND:VALARM\n"), "", ""},
		{"completed to-do with a placeholder", ics("BEGIN:VTODO\nUID:t\nDTSTAMP:20260101T000000Z\nCOMPLETED:00010101T000000Z\nEND:VTODO\n"), "", ""},
		{"Outlook time zone from 1601", ics(berlin + "BEGIN:VEVENT\nUID:e\nDTSTAMP:20260101T000000Z\nDTSTART;TZID=Europe/Berlin:20260105T100000\nEND:VEVENT\n"), "", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			// One resource per UID: a resource is not replaced by one of
			// another UID (RFC 4791 §5.3.2.1).
			name := "e.ics"
			if bytes.Contains(tc.data, []byte("UID:t\r\n")) {
				name = "t.ics"
			}
			_, err := f.s.PutObject(ctx, f.owner, f.cal, name, tc.data, store.Conditions{})
			if tc.pre == "" {
				if err != nil {
					t.Fatalf("refused: %v", err)
				}
				return
			}
			var oe *ObjectError
			if !errors.As(err, &oe) || oe.Precondition != tc.pre || oe.Property != tc.property {
				t.Fatalf("%v, want %s on %s", err, tc.pre, tc.property)
			}
		})
	}
}

// TestDateRangeConfigured: the limits come from Limits; an import reports
// each object outside them and stores the others.
func TestDateRangeConfigured(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		f := newFixture(t, st)
		f.s.lim.MinDateTime = time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC)
		f.s.lim.MaxDateTime = time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)
		rep := importBytes(t, f, f.cal, ics(
			"BEGIN:VEVENT\nUID:in\nDTSTAMP:20260101T000000Z\nDTSTART:20260105T100000Z\nEND:VEVENT\n"+
				"BEGIN:VEVENT\nUID:early\nDTSTAMP:20260101T000000Z\nDTSTART;VALUE=DATE:19991231\nEND:VEVENT\n"+
				"BEGIN:VEVENT\nUID:late\nDTSTAMP:20260101T000000Z\nDTSTART:20260105T100000Z\nRRULE:FREQ=DAILY;UNTIL=20300102T000000Z\nEND:VEVENT\n"))
		if rep.Created != 1 || rep.Failed != 2 {
			t.Fatalf("report: %+v", rep)
		}
		for _, e := range rep.Errors {
			want := map[string]string{"early": PreMinDateTime, "late": PreMaxDateTime}[e.UID]
			if e.Precondition != want || !strings.Contains(e.Message, map[string]string{"early": "19991231", "late": "20300102T000000Z"}[e.UID]) {
				t.Errorf("%s: %+v, want %s", e.UID, e, want)
			}
		}
	})
}
