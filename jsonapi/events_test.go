package jsonapi

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/almanac/almanac/store"
)

var update = flag.Bool("update", false, "rewrite golden files")

// golden compares got with the file, or rewrites it with -update.
func golden(t *testing.T, path string, got []byte) {
	t.Helper()
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run with -update to create it)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs (run with -update to accept):\n--- got\n%s\n--- want\n%s", path, got, want)
	}
}

// testNow is the clock of the event tests: stamps in the data are stable.
var testNow = time.Date(2026, 2, 20, 12, 0, 0, 0, time.UTC)

// eventFixture is a server with a signed-in user and one calendar.
type eventFixture struct {
	*testServer
	tok, cal string
	user     map[string]any
}

func newEventFixture(t *testing.T) *eventFixture {
	t.Helper()
	return newEventFixtureOn(t, newTestServer(t))
}

// newEventFixtureOn is newEventFixture on the server s.
func newEventFixtureOn(t *testing.T, s *testServer) *eventFixture {
	t.Helper()
	s.st.SetClock(func() time.Time { return testNow })
	tok, user := s.register(t, "alice")
	r := s.do(t, "PATCH", "/users/"+user["id"].(string), tok, `{"time_zone":"Europe/Berlin","week_start":1}`)
	if r.status != 200 {
		t.Fatalf("profile: %d %s", r.status, r.raw)
	}
	r = s.do(t, "POST", "/calendars", tok, `{"display_name":"Work","color":"#3366ff","time_zone":"Europe/Berlin"}`)
	if r.status != 201 {
		t.Fatalf("calendar: %d %s", r.status, r.raw)
	}
	return &eventFixture{testServer: s, tok: tok, cal: r.body["id"].(string), user: user}
}

// fixture reads a request body from testdata, naming the calendar.
func (f *eventFixture) fixture(t *testing.T, name string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", "events", name))
	if err != nil {
		t.Fatal(err)
	}
	return strings.ReplaceAll(string(b), "CALENDAR", f.cal)
}

// create posts an event and returns its id.
func (f *eventFixture) create(t *testing.T, body string) string {
	t.Helper()
	r := f.do(t, "POST", "/events", f.tok, body)
	if r.status != 201 {
		t.Fatalf("create: %d %s", r.status, r.raw)
	}
	return r.body["id"].(string)
}

// event is a minimal request body for a timed event in Berlin.
func (f *eventFixture) event(title, start, end string, extra string) string {
	return `{"calendar_id":"` + f.cal + `","title":"` + title + `","start":{"date_time":"` + start +
		`","time_zone":"Europe/Berlin"},"end":{"date_time":"` + end + `","time_zone":"Europe/Berlin"}` + extra + `}`
}

// ics returns the stored iCalendar of an event.
func (f *eventFixture) ics(t *testing.T, id string) string {
	t.Helper()
	o, err := f.st.GetObjectByUUID(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	return string(o.Data)
}

// putICS stores iCalendar data as a CalDAV client would.
func (f *eventFixture) putICS(t *testing.T, name string, data []byte) string {
	t.Helper()
	ctx := context.Background()
	u, err := f.st.GetUserByUUID(ctx, f.user["id"].(string))
	if err != nil {
		t.Fatal(err)
	}
	cal, err := f.st.GetCalendarByUUID(ctx, f.cal)
	if err != nil {
		t.Fatal(err)
	}
	res, err := f.cals.PutObject(ctx, u, cal, name, data, store.Conditions{})
	if err != nil {
		t.Fatal(err)
	}
	return res.UUID
}

var uuidRE = regexp.MustCompile(`[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}`)

// TestCreateEventICalendar checks the iCalendar a JSON event becomes: the
// properties of every field, the VTIMEZONE, folding, escaping.
func TestCreateEventICalendar(t *testing.T) {
	f := newEventFixture(t)
	id := f.create(t, f.fixture(t, "create-weekly.json"))
	got := uuidRE.ReplaceAllString(f.ics(t, id), "UUID")
	golden(t, filepath.Join("testdata", "events", "create-weekly.ics"), []byte(got))

	r := f.do(t, "GET", "/events/"+id, f.tok, "")
	if r.status != 200 {
		t.Fatalf("get: %d %s", r.status, r.raw)
	}
	got = uuidRE.ReplaceAllString(r.raw, "UUID")
	got = regexp.MustCompile(`"etag":"\\"[0-9a-f]+\\""`).ReplaceAllString(got, `"etag":"ETAG"`)
	var pretty bytes.Buffer
	if err := json.Indent(&pretty, []byte(got), "", "  "); err != nil {
		t.Fatal(err)
	}
	golden(t, filepath.Join("testdata", "events", "create-weekly.golden.json"), pretty.Bytes())
	if r.header.Get("ETag") != r.body["etag"] || r.header.Get("ETag") == "" {
		t.Fatalf("ETag header %q, etag field %v", r.header.Get("ETag"), r.body["etag"])
	}
}

// TestForeignEventRoundTrip reads an event Outlook wrote over CalDAV and
// edits it through JSON: the Windows TZID reads as its IANA zone, and the
// edit keeps every property and parameter the JSON form does not show.
func TestForeignEventRoundTrip(t *testing.T) {
	f := newEventFixture(t)
	data, err := os.ReadFile(filepath.Join("testdata", "events", "outlook-meeting.ics"))
	if err != nil {
		t.Fatal(err)
	}
	id := f.putICS(t, "outlook.ics", data)
	r := f.do(t, "GET", "/events/"+id, f.tok, "")
	if r.status != 200 {
		t.Fatalf("get: %d %s", r.status, r.raw)
	}
	start := r.body["start"].(map[string]any)
	if start["time_zone"] != "Europe/Berlin" || start["date_time"] != "2026-03-16T10:00:00+01:00" {
		t.Fatalf("start %v", start)
	}
	if r.body["title"] != "Quarterly review" || r.body["description"] != "Quarterly numbers, then questions.\n" {
		t.Fatalf("texts: %v / %q", r.body["title"], r.body["description"])
	}
	atts := r.body["attendees"].([]any)
	if len(atts) != 2 || atts[0].(map[string]any)["status"] != "accepted" {
		t.Fatalf("attendees %v", atts)
	}
	etag := r.header.Get("ETag")
	r = f.do(t, "PATCH", "/events/"+id, f.tok,
		`{"title":"Quarterly review (moved)","attendees":[{"email":"FOX@example.com","status":"tentative"},{"email":"walter@example.com"},{"email":"new@example.com","name":"New"}]}`,
		"If-Match", etag)
	if r.status != 200 {
		t.Fatalf("patch: %d %s", r.status, r.raw)
	}
	after := f.ics(t, id)
	for _, want := range []string{
		"X-WR-RELCALID:{0000002E-AD2B-AB6A-21E8-CAFC9B25D8F1}",
		"X-MICROSOFT-CDO-BUSYSTATUS:BUSY",
		"X-WR-ALARMUID:6B2A8F0C-0D5E-4F0A-9B7E-1C2D3E4F5A6B",
		"SCHEDULE-STATUS=2.0",
		"X-NUM-GUESTS=0",
		`DELEGATED-FROM="mailto:boss@example.com"`,
		"PARTSTAT=TENTATIVE",
		"SUMMARY;LANGUAGE=en-us:Quarterly review (moved)",
		"DTSTART;TZID=W. Europe Standard Time:20260316T100000", // quotes only where RFC 5545 §3.2 needs them
		"BEGIN:VTIMEZONE\r\nTZID:W. Europe Standard Time",
		"mailto:new@example.com",
		"SEQUENCE:3", // nothing significant changed (RFC 5545 §3.8.7.4)
	} {
		if !strings.Contains(unfold(after), want) {
			t.Errorf("after the edit the data lacks %q:\n%s", want, after)
		}
	}
	if strings.Contains(after, "PARTSTAT=ACCEPTED") {
		t.Errorf("the old participation status stayed:\n%s", after)
	}
}

// unfold undoes line folding (RFC 5545 §3.1).
func unfold(s string) string { return strings.ReplaceAll(s, "\r\n ", "") }

// TestEventPreconditions checks ETags, If-Match and If-None-Match on
// every kind of request, and that a 412 carries the current version.
func TestEventPreconditions(t *testing.T) {
	f := newEventFixture(t)
	id := f.create(t, f.event("Lunch", "2026-03-03T12:00:00", "2026-03-03T13:00:00", ""))
	r := f.do(t, "GET", "/events/"+id, f.tok, "")
	etag := r.header.Get("ETag")
	if r := f.do(t, "GET", "/events/"+id, f.tok, "", "If-None-Match", etag); r.status != 304 {
		t.Fatalf("If-None-Match: %d", r.status)
	}
	r = f.do(t, "PATCH", "/events/"+id, f.tok, `{"location":"Canteen"}`, "If-Match", etag)
	if r.status != 200 || r.header.Get("ETag") == etag {
		t.Fatalf("patch: %d %s", r.status, r.raw)
	}
	for _, method := range []string{"PATCH", "PUT", "DELETE"} {
		body := ""
		if method != "DELETE" {
			body = f.event("Stale", "2026-03-03T12:00:00", "2026-03-03T13:00:00", "")
		}
		r := f.do(t, method, "/events/"+id, f.tok, body, "If-Match", etag)
		if r.status != 412 {
			t.Fatalf("%s with a stale If-Match: %d %s", method, r.status, r.raw)
		}
		cur, _ := r.body["current"].(map[string]any)
		if cur["location"] != "Canteen" || r.body["etag"] == "" || r.body["etag"] == etag {
			t.Fatalf("%s: 412 without the current version: %s", method, r.raw)
		}
	}
	if r := f.do(t, "DELETE", "/events/"+id, f.tok, "", "If-Match", `W/`+etag); r.status != 412 {
		t.Fatalf("a weak tag matched If-Match: %d", r.status)
	}
	if r := f.do(t, "DELETE", "/events/"+id, f.tok, "", "If-Match", "*"); r.status != 204 {
		t.Fatalf("delete: %d %s", r.status, r.raw)
	}
	if r := f.do(t, "GET", "/events/"+id, f.tok, ""); r.status != 404 {
		t.Fatalf("deleted event: %d", r.status)
	}
}

// instances lists the instance ids and titles of the calendar in March
// 2026, as GET /events returns them.
func (f *eventFixture) instances(t *testing.T) []string {
	t.Helper()
	r := f.do(t, "GET", "/events?calendar_id="+f.cal+"&start_time=2026-03-01T00:00:00Z&end_time=2026-04-01T00:00:00Z", f.tok, "")
	if r.status != 200 {
		t.Fatalf("list: %d %s", r.status, r.raw)
	}
	var out []string
	for _, it := range r.body["items"].([]any) {
		ev := it.(map[string]any)
		start := ev["start"].(map[string]any)["date_time"].(string)
		out = append(out, start[5:16]+" "+ev["title"].(string))
	}
	return out
}

// TestRecurringEdits changes and deletes instances of a daily series with
// each scope, and checks the instances that result and the iCalendar
// CalDAV clients will read.
func TestRecurringEdits(t *testing.T) {
	daily := `,"recurrence":["RRULE:FREQ=DAILY;COUNT=5"]`
	tests := []struct {
		name, method, path, body string
		want                     []string // instances afterwards
		ics                      []string // in the stored data of the series
	}{
		{"this: move one", "PATCH", "_20260303T080000Z", `{"title":"Moved","start":{"date_time":"2026-03-03T15:00:00","time_zone":"Europe/Berlin"}}`,
			[]string{"03-02T09:00 Daily", "03-03T15:00 Moved", "03-04T09:00 Daily", "03-05T09:00 Daily", "03-06T09:00 Daily"},
			[]string{"RECURRENCE-ID;TZID=Europe/Berlin:20260303T090000", "DTSTART;TZID=Europe/Berlin:20260303T150000", "DTEND;TZID=Europe/Berlin:20260303T153000"}},
		{"this: cancel one", "DELETE", "_20260304T080000Z", ``,
			[]string{"03-02T09:00 Daily", "03-03T09:00 Daily", "03-05T09:00 Daily", "03-06T09:00 Daily"},
			[]string{"EXDATE;TZID=Europe/Berlin:20260304T090000", "SEQUENCE:1"}},
		{"following: retitle", "PATCH", "_20260304T080000Z?scope=following", `{"title":"Later"}`,
			[]string{"03-02T09:00 Daily", "03-03T09:00 Daily", "03-04T09:00 Later", "03-05T09:00 Later", "03-06T09:00 Later"},
			[]string{"RRULE:FREQ=DAILY;COUNT=2"}},
		{"following: delete", "DELETE", "_20260305T080000Z?scope=following", ``,
			[]string{"03-02T09:00 Daily", "03-03T09:00 Daily", "03-04T09:00 Daily"},
			[]string{"RRULE:FREQ=DAILY;COUNT=3"}},
		{"following from the first is all", "PATCH", "_20260302T080000Z?scope=following", `{"title":"All"}`,
			[]string{"03-02T09:00 All", "03-03T09:00 All", "03-04T09:00 All", "03-05T09:00 All", "03-06T09:00 All"},
			[]string{"SUMMARY:All"}},
		{"all through an instance: shift", "PATCH", "_20260304T080000Z?scope=all", `{"start":{"date_time":"2026-03-04T10:00:00","time_zone":"Europe/Berlin"}}`,
			[]string{"03-02T10:00 Daily", "03-03T10:00 Daily", "03-04T10:00 Daily", "03-05T10:00 Daily", "03-06T10:00 Daily"},
			[]string{"DTSTART;TZID=Europe/Berlin:20260302T100000", "DTEND;TZID=Europe/Berlin:20260302T103000", "SEQUENCE:1"}},
		{"all: the series id", "PUT", "", `{"title":"Renamed","start":{"date_time":"2026-03-02T09:00:00","time_zone":"Europe/Berlin"},"end":{"date_time":"2026-03-02T09:30:00","time_zone":"Europe/Berlin"},"recurrence":["RRULE:FREQ=DAILY;COUNT=2"]}`,
			[]string{"03-02T09:00 Renamed", "03-03T09:00 Renamed"},
			[]string{"RRULE:FREQ=DAILY;COUNT=2", "SUMMARY:Renamed"}},
		{"all: delete", "DELETE", "_20260303T080000Z?scope=all", ``, nil, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newEventFixture(t)
			id := f.create(t, f.event("Daily", "2026-03-02T09:00:00", "2026-03-02T09:30:00", daily))
			r := f.do(t, tt.method, "/events/"+id+tt.path, f.tok, tt.body)
			if r.status != 200 && r.status != 204 {
				t.Fatalf("%s: %d %s", tt.method, r.status, r.raw)
			}
			if got := f.instances(t); strings.Join(got, "|") != strings.Join(tt.want, "|") {
				t.Fatalf("instances\n%v\nwant\n%v", got, tt.want)
			}
			if tt.ics == nil {
				return
			}
			data := f.ics(t, id)
			for _, want := range tt.ics {
				if !strings.Contains(data, want) {
					t.Errorf("the series lacks %q:\n%s", want, data)
				}
			}
		})
	}
}

// TestInstanceIDs checks that instance ids are stable across edits and
// accepted back, for timed and all-day series.
func TestInstanceIDs(t *testing.T) {
	f := newEventFixture(t)
	id := f.create(t, `{"calendar_id":"`+f.cal+`","title":"Holiday","start":{"date":"2026-03-02"},"end":{"date":"2026-03-03"},"recurrence":["RRULE:FREQ=WEEKLY;COUNT=3"]}`)
	inst := id + "_20260309"
	r := f.do(t, "PATCH", "/events/"+inst, f.tok, `{"title":"Moved holiday","start":{"date":"2026-03-10"},"end":{"date":"2026-03-11"}}`)
	if r.status != 200 || r.body["id"] != inst || r.body["recurring_event_id"] != id {
		t.Fatalf("patch: %d %s", r.status, r.raw)
	}
	if orig := r.body["original_start"].(map[string]any); orig["date"] != "2026-03-09" {
		t.Fatalf("original start %v", orig)
	}
	r = f.do(t, "GET", "/events/"+inst, f.tok, "")
	if r.status != 200 || r.body["title"] != "Moved holiday" || r.body["start"].(map[string]any)["date"] != "2026-03-10" {
		t.Fatalf("get: %d %s", r.status, r.raw)
	}
	if !strings.Contains(f.ics(t, id), "RECURRENCE-ID;VALUE=DATE:20260309") {
		t.Fatalf("override:\n%s", f.ics(t, id))
	}
	for _, missing := range []string{id + "_20260311", id + "_20260309T080000Z"} {
		if r := f.do(t, "GET", "/events/"+missing, f.tok, ""); r.status != 404 {
			t.Fatalf("%s: %d", missing, r.status)
		}
	}
	r = f.do(t, "GET", "/calendars/"+f.cal+"/view?view_type=month&date=2026-03-01", f.tok, "")
	var ids []string
	for _, in := range r.body["instances"].([]any) {
		ids = append(ids, in.(map[string]any)["id"].(string))
	}
	if strings.Join(ids, " ") != id+"_20260302 "+inst+" "+id+"_20260316" {
		t.Fatalf("view ids %v", ids)
	}
}

// TestRuleChangeDropsOrphans changes a series' rule: the override and the
// EXDATE of instances the new rule no longer has go, the others stay.
func TestRuleChangeDropsOrphans(t *testing.T) {
	f := newEventFixture(t)
	id := f.create(t, f.event("Daily", "2026-03-02T09:00:00", "2026-03-02T09:30:00", `,"recurrence":["RRULE:FREQ=DAILY;COUNT=6"]`))
	f.do(t, "PATCH", "/events/"+id+"_20260303T080000Z", f.tok, `{"title":"Tuesday special"}`)
	f.do(t, "PATCH", "/events/"+id+"_20260304T080000Z", f.tok, `{"title":"Wednesday special"}`)
	f.do(t, "DELETE", "/events/"+id+"_20260305T080000Z", f.tok, ``)
	f.do(t, "DELETE", "/events/"+id+"_20260306T080000Z", f.tok, ``)
	// Every other day: 2, 4, 6 March remain instances. The recurrence
	// field carries the EXDATEs too, as Google's does.
	r := f.do(t, "GET", "/events/"+id, f.tok, "")
	lines := r.body["recurrence"].([]any)
	if len(lines) != 3 {
		t.Fatalf("recurrence %v", lines)
	}
	r = f.do(t, "PATCH", "/events/"+id, f.tok, `{"recurrence":["RRULE:FREQ=DAILY;INTERVAL=2;COUNT=3","`+lines[1].(string)+`","`+lines[2].(string)+`"]}`)
	if r.status != 200 {
		t.Fatalf("patch: %d %s", r.status, r.raw)
	}
	data := f.ics(t, id)
	if strings.Contains(data, "Tuesday special") || strings.Contains(data, "20260305T090000") {
		t.Errorf("orphans stayed:\n%s", data)
	}
	if !strings.Contains(data, "Wednesday special") || !strings.Contains(data, "EXDATE;TZID=Europe/Berlin:20260306T090000") {
		t.Errorf("live exceptions went:\n%s", data)
	}
	want := "03-02T09:00 Daily|03-04T09:00 Wednesday special"
	if got := f.instances(t); strings.Join(got, "|") != want {
		t.Fatalf("instances %v, want %s", got, want)
	}
}

// TestFloatingEvent writes and reads a floating time: no zone, the same
// wall clock for every viewer (RFC 5545 §3.3.5 form #1).
func TestFloatingEvent(t *testing.T) {
	f := newEventFixture(t)
	id := f.create(t, `{"calendar_id":"`+f.cal+`","title":"Wake up","description":"Windows\r\nline ends","start":{"date_time":"2026-03-02T07:00:00","floating":true},"end":{"date_time":"2026-03-02T07:10:00","floating":true}}`)
	if data := f.ics(t, id); !strings.Contains(data, "DTSTART:20260302T070000\r\n") || strings.Contains(data, "VTIMEZONE") ||
		!strings.Contains(data, "DESCRIPTION:Windows\\nline ends") {
		t.Fatalf("stored:\n%s", data)
	}
	r := f.do(t, "GET", "/events/"+id, f.tok, "")
	if start := r.body["start"].(map[string]any); start["date_time"] != "2026-03-02T07:00:00" || start["floating"] != true {
		t.Fatalf("start %v", start)
	}
	for tz, want := range map[string]string{"Asia/Tokyo": "2026-03-02T07:00:00+09:00", "America/New_York": "2026-03-02T07:00:00-05:00"} {
		r := f.do(t, "GET", "/calendars/"+f.cal+"/view?view_type=day&date=2026-03-02&tz="+tz, f.tok, "")
		if got := viewLines(t, r); len(got) != 1 || !strings.HasPrefix(got[0], want) {
			t.Fatalf("%s: %v", tz, got)
		}
	}
}

// TestPutWhatWasRead sends back what GET gave, as a client that edits
// nothing would: the data stays as it was, alarms, attendees' parameters
// and SEQUENCE included; only the stamps of the change move.
func TestPutWhatWasRead(t *testing.T) {
	f := newEventFixture(t)
	data, err := os.ReadFile(filepath.Join("testdata", "events", "outlook-meeting.ics"))
	if err != nil {
		t.Fatal(err)
	}
	id := f.putICS(t, "outlook.ics", data)
	// A PATCH that names no field re-encodes the data without changing it.
	if r := f.do(t, "PATCH", "/events/"+id, f.tok, `{}`); r.status != 200 {
		t.Fatalf("empty patch: %d %s", r.status, r.raw)
	}
	before := f.ics(t, id)
	r := f.do(t, "GET", "/events/"+id, f.tok, "")
	f.st.SetClock(func() time.Time { return testNow.Add(time.Hour) })
	if r := f.do(t, "PUT", "/events/"+id, f.tok, r.raw, "If-Match", r.header.Get("ETag")); r.status != 200 {
		t.Fatalf("put: %d %s", r.status, r.raw)
	}
	stamps := regexp.MustCompile(`(?m)^(DTSTAMP|LAST-MODIFIED):.*\r\n`)
	if a, b := stamps.ReplaceAllString(before, ""), stamps.ReplaceAllString(f.ics(t, id), ""); a != b {
		t.Fatalf("PUT of the unchanged event changed it:\n--- before\n%s\n--- after\n%s", a, b)
	}
}
