package jsonapi

import (
	"strings"
	"testing"

	"github.com/almanac/almanac/calendar"
)

// TestEventBadInput checks that bad requests get a 4xx problem document
// naming the field, and that none of them writes anything.
func TestEventBadInput(t *testing.T) {
	f := newEventFixture(t)
	id := f.create(t, f.event("Series", "2026-03-02T09:00:00", "2026-03-02T10:00:00", `,"recurrence":["RRULE:FREQ=DAILY;COUNT=3"]`))
	before := f.ics(t, id)
	ev := func(extra string) string {
		return f.event("X", "2026-03-02T09:00:00", "2026-03-02T10:00:00", extra)
	}
	big := `{"calendar_id":"` + f.cal + `","title":"` + strings.Repeat("a", 2<<20) + `"}`
	tests := []struct {
		name, method, path, body string
		status                   int
		field                    string
	}{
		{"start after end", "POST", "/events", f.event("X", "2026-03-02T10:00:00", "2026-03-02T09:00:00", ""), 422, "end"},
		{"date and time mixed", "POST", "/events", `{"calendar_id":"` + f.cal + `","start":{"date":"2026-03-02"},"end":{"date_time":"2026-03-02T10:00:00Z"}}`, 422, "end"},
		{"unknown time zone", "POST", "/events", `{"calendar_id":"` + f.cal + `","start":{"date_time":"2026-03-02T09:00:00","time_zone":"Mars/Olympus"},"end":{"date_time":"2026-03-02T10:00:00Z"}}`, 422, "start.time_zone"},
		{"local time without zone", "POST", "/events", `{"calendar_id":"` + f.cal + `","start":{"date_time":"2026-03-02T09:00:00"},"end":{"date_time":"2026-03-02T10:00:00Z"}}`, 422, "start.time_zone"},
		{"bad date", "POST", "/events", `{"calendar_id":"` + f.cal + `","start":{"date":"2026-02-30"},"end":{"date":"2026-03-01"}}`, 422, "start.date"},
		{"missing start", "POST", "/events", `{"calendar_id":"` + f.cal + `","title":"x"}`, 422, "start"},
		{"exploding rule", "POST", "/events", ev(`,"recurrence":["RRULE:FREQ=SECONDLY"]`), 422, "recurrence"},
		{"huge count", "POST", "/events", ev(`,"recurrence":["RRULE:FREQ=DAILY;COUNT=100000000"]`), 422, "recurrence"},
		{"malformed rule", "POST", "/events", ev(`,"recurrence":["RRULE:FREQ=FORTNIGHTLY"]`), 422, "recurrence[0]"},
		{"not a recurrence line", "POST", "/events", ev(`,"recurrence":["SUMMARY:x"]`), 422, "recurrence[0]"},
		{"exdate in unknown zone", "POST", "/events", ev(`,"recurrence":["RRULE:FREQ=DAILY","EXDATE;TZID=Nowhere:20260303T090000"]`), 422, "recurrence[1]"},
		{"two rules", "POST", "/events", ev(`,"recurrence":["RRULE:FREQ=DAILY","RRULE:FREQ=WEEKLY"]`), 422, "recurrence[1]"},
		{"start before 1900", "POST", "/events", f.event("X", "1850-03-02T09:00:00", "1850-03-02T10:00:00", ""), 422, "start"},
		{"end after 2100", "POST", "/events", f.event("X", "2099-12-31T09:00:00", "2100-01-02T10:00:00", ""), 422, "end"},
		{"all-day end after 2100", "POST", "/events", `{"calendar_id":"` + f.cal + `","start":{"date":"2099-12-31"},"end":{"date":"2100-01-02"}}`, 422, "end"},
		{"until after 2100", "POST", "/events", ev(`,"recurrence":["RRULE:FREQ=YEARLY;UNTIL=21500101T000000Z"]`), 422, "recurrence"},
		{"exdate before 1900", "POST", "/events", ev(`,"recurrence":["RRULE:FREQ=YEARLY","EXDATE:18990302T080000Z"]`), 422, "recurrence"},
		{"PATCH start before 1900", "PATCH", "/events/" + id, `{"start":{"date_time":"1899-03-02T09:00:00","time_zone":"Europe/Berlin"}}`, 422, "start"},
		{"bad status", "POST", "/events", ev(`,"status":"maybe"`), 422, "status"},
		{"bad colour", "POST", "/events", ev(`,"color":"#12345"`), 422, "color"},
		{"bad attendee", "POST", "/events", ev(`,"attendees":[{"email":"not-an-address"}]`), 422, "attendees[0].email"},
		{"bad attendee status", "POST", "/events", ev(`,"attendees":[{"email":"a@example.com","status":"bored"}]`), 422, "attendees[0].status"},
		{"bad reminder", "POST", "/events", ev(`,"reminders":[{"method":"pigeon","minutes":5}]`), 422, "reminders[0].method"},
		{"reminder without time", "POST", "/events", ev(`,"reminders":[{"method":"display"}]`), 422, "reminders[0].minutes"},
		{"control character", "POST", "/events", ev(`,"location":"a\u0000b"`), 422, "location"},
		{"unknown field", "POST", "/events", ev(`,"colour":"teal"`), 400, "colour"},
		{"wrong type", "POST", "/events", ev(`,"attendees":"bob"`), 400, "attendees"},
		{"nested wrong type", "POST", "/events", `{"calendar_id":"` + f.cal + `","start":{"date":20260302}}`, 400, "start.date"},
		{"oversized body", "POST", "/events", big, 413, ""},
		{"no calendar", "POST", "/events", `{"title":"x"}`, 422, "calendar_id"},
		{"malformed calendar id", "POST", "/events", `{"calendar_id":"cal-1"}`, 422, "calendar_id"},
		{"unknown calendar", "POST", "/events", `{"calendar_id":"00000000-0000-4000-8000-000000000000"}`, 422, "calendar_id"},
		{"duplicate uid", "POST", "/events", ev(`,"uid":"` + strings.Split(strings.Split(before, "UID:")[1], "\r\n")[0] + `"`), 409, "uid"},
		{"bad uid", "POST", "/events", ev(`,"uid":"has space"`), 422, "uid"},
		{"malformed event id", "GET", "/events/abc", ``, 400, "id"},
		{"malformed instance id", "GET", "/events/" + id + "_2026", ``, 400, "id"},
		{"unknown event", "GET", "/events/00000000-0000-4000-8000-000000000000", ``, 404, ""},
		{"recurrence on an instance", "PATCH", "/events/" + id + "_20260303T080000Z", `{"recurrence":["RRULE:FREQ=WEEKLY"]}`, 422, "recurrence"},
		{"scope this on a series id", "PATCH", "/events/" + id + "?scope=this", `{"title":"x"}`, 400, "scope"},
		{"unknown scope", "DELETE", "/events/" + id + "_20260303T080000Z?scope=some", ``, 400, "scope"},
		{"PUT without start", "PUT", "/events/" + id, `{"title":"x"}`, 422, "start"},
		{"PATCH start after end", "PATCH", "/events/" + id, `{"end":{"date_time":"2026-03-01T09:00:00","time_zone":"Europe/Berlin"}}`, 422, "end"},
		{"PATCH null start", "PATCH", "/events/" + id, `{"start":null}`, 422, "start"},
		{"list without calendar", "GET", "/events?start_time=2026-03-01T00:00:00Z&end_time=2026-03-02T00:00:00Z", ``, 400, "calendar_id"},
		{"list with both", "GET", "/events?calendar_id=" + f.cal + "&user_id=" + f.cal, ``, 400, "calendar_id"},
		{"list range reversed", "GET", "/events?calendar_id=" + f.cal + "&start_time=2026-03-02T00:00:00Z&end_time=2026-03-01T00:00:00Z", ``, 400, "end_time"},
		{"list range too wide", "GET", "/events?calendar_id=" + f.cal + "&start_time=2000-01-01T00:00:00Z&end_time=2030-01-01T00:00:00Z", ``, 400, "end_time"},
		{"list bad time", "GET", "/events?calendar_id=" + f.cal + "&start_time=yesterday&end_time=2026-03-01T00:00:00Z", ``, 400, "start_time"},
		{"list half range", "GET", "/events?calendar_id=" + f.cal + "&start_time=2026-03-01T00:00:00Z", ``, 400, "end_time"},
		{"list bad page size", "GET", "/events?calendar_id=" + f.cal + "&max_results=0", ``, 400, "max_results"},
		{"list bad token", "GET", "/events?calendar_id=" + f.cal + "&page_token=xyz", ``, 400, "page_token"},
		{"list bad order", "GET", "/events?calendar_id=" + f.cal + "&order_by=updated", ``, 400, "order_by"},
		{"list bad tz", "GET", "/events?calendar_id=" + f.cal + "&start_time=2026-03-01T00:00:00Z&end_time=2026-03-02T00:00:00Z&tz=Moon/Base", ``, 400, "tz"},
		{"list malformed calendar", "GET", "/events?calendar_id=nope", ``, 400, "calendar_id"},
		{"view bad type", "GET", "/calendars/" + f.cal + "/view?view_type=decade&date=2026-03-01", ``, 400, "view_type"},
		{"view bad date", "GET", "/calendars/" + f.cal + "/view?view_type=day&date=03/01/2026", ``, 400, "date"},
		{"view bad tz", "GET", "/calendars/" + f.cal + "/view?view_type=day&tz=Nowhere/Land", ``, 400, "tz"},
		{"free-busy reversed", "POST", "/freebusy", `{"start_time":"2026-03-02T00:00:00Z","end_time":"2026-03-01T00:00:00Z","calendars":["` + f.cal + `"]}`, 422, "end_time"},
		{"free-busy empty", "POST", "/freebusy", `{"start_time":"2026-03-01T00:00:00Z","end_time":"2026-03-02T00:00:00Z"}`, 422, "calendars"},
		{"free-busy too wide", "POST", "/freebusy", `{"start_time":"2000-03-01T00:00:00Z","end_time":"2030-03-02T00:00:00Z","calendars":["` + f.cal + `"]}`, 400, "end_time"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := f.do(t, tt.method, tt.path, f.tok, tt.body)
			if r.status != tt.status {
				t.Fatalf("status %d, want %d: %s", r.status, tt.status, r.raw)
			}
			if ct := r.header.Get("Content-Type"); ct != "application/problem+json" {
				t.Fatalf("Content-Type %q", ct)
			}
			if r.body["status"] != float64(tt.status) || r.body["type"] == "" || r.body["title"] == "" {
				t.Fatalf("not a problem document: %s", r.raw)
			}
			if tt.field != "" {
				errs, _ := r.body["errors"].([]any)
				if len(errs) == 0 || errs[0].(map[string]any)["field"] != tt.field {
					t.Fatalf("problem does not name field %q: %s", tt.field, r.raw)
				}
			}
		})
	}
	if after := f.ics(t, id); after != before {
		t.Fatalf("a refused request changed the event:\n%s", after)
	}
	objs, err := f.st.ListObjects(t.Context(), mustCalendarID(t, f), false)
	if err != nil || len(objs) != 1 {
		t.Fatalf("refused requests left %d objects (%v)", len(objs), err)
	}
}

func mustCalendarID(t *testing.T, f *eventFixture) int64 {
	t.Helper()
	c, err := f.st.GetCalendarByUUID(t.Context(), f.cal)
	if err != nil {
		t.Fatal(err)
	}
	return c.ID
}

// TestEventQuota: a write that would take the owner past their quota gets
// 507 and a quota-exceeded problem, as CalDAV answers it (RFC 4331 §6);
// one that does not grow the data passes.
func TestEventQuota(t *testing.T) {
	f := newEventFixtureOn(t, newTestServerLimits(t, calendar.Limits{QuotaBytes: 3000}))
	long := `,"description":"` + strings.Repeat("lorem ipsum ", 100) + `"`
	id := f.create(t, f.event("First", "2026-03-02T09:00:00", "2026-03-02T10:00:00", long))
	r := f.do(t, "POST", "/events", f.tok, f.event("Second", "2026-03-03T09:00:00", "2026-03-03T10:00:00", long))
	if r.status != 507 || r.header.Get("Content-Type") != "application/problem+json" || r.body["type"] != problemBase+"quota-exceeded" {
		t.Fatalf("over quota: %d %s", r.status, r.raw)
	}
	if r := f.do(t, "PATCH", "/events/"+id, f.tok, `{"description":"short"}`); r.status != 200 {
		t.Fatalf("shrinking edit: %d %s", r.status, r.raw)
	}
	if r := f.do(t, "POST", "/events", f.tok, f.event("Second", "2026-03-03T09:00:00", "2026-03-03T10:00:00", long)); r.status != 201 {
		t.Fatalf("in the room left: %d %s", r.status, r.raw)
	}
}
