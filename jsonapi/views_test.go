package jsonapi

import (
	"fmt"
	"strings"
	"testing"
	"time"
)

func TestViewPeriod(t *testing.T) {
	day := time.Date(2026, 3, 4, 0, 0, 0, 0, time.UTC) // a Wednesday
	tests := []struct {
		kind      string
		weekStart time.Weekday
		want      string
	}{
		{"day", time.Monday, "2026-03-04/2026-03-05"},
		{"week", time.Monday, "2026-03-02/2026-03-09"},
		{"week", time.Sunday, "2026-03-01/2026-03-08"},
		{"week", time.Wednesday, "2026-03-04/2026-03-11"},
		{"week", time.Thursday, "2026-02-26/2026-03-05"},
		{"month", time.Monday, "2026-03-01/2026-04-01"},
		{"year", time.Monday, "2026-01-01/2027-01-01"},
	}
	for _, tt := range tests {
		first, next := period(tt.kind, day, tt.weekStart)
		if got := first.Format(dateLayout) + "/" + next.Format(dateLayout); got != tt.want {
			t.Errorf("%s from %s: %s, want %s", tt.kind, tt.weekStart, got, tt.want)
		}
	}
}

// viewLines summarises a view's instances as "start end title color busy".
func viewLines(t *testing.T, r reply) []string {
	t.Helper()
	if r.status != 200 {
		t.Fatalf("view: %d %s", r.status, r.raw)
	}
	var out []string
	for _, it := range r.body["instances"].([]any) {
		in := it.(map[string]any)
		line := fmt.Sprintf("%v %v", in["start"], in["end"])
		for _, k := range []string{"title", "color", "status", "transparency", "busy"} {
			if v, ok := in[k]; ok {
				line += " " + fmt.Sprint(v)
			}
		}
		out = append(out, line)
	}
	return out
}

// TestView draws a week in the viewer's zone for the owner, for a reader
// and for a free/busy viewer.
func TestView(t *testing.T) {
	f := newEventFixture(t)
	f.create(t, f.event("Timed", "2026-03-03T09:00:00", "2026-03-03T10:00:00", `,"color":"teal"`))
	f.create(t, `{"calendar_id":"`+f.cal+`","title":"Trip","start":{"date":"2026-03-04"},"end":{"date":"2026-03-06"},"transparency":"transparent"}`)
	f.create(t, f.event("Maybe", "2026-03-05T15:00:00", "2026-03-05T16:00:00", `,"status":"tentative"`))
	f.create(t, f.event("Off", "2026-03-06T15:00:00", "2026-03-06T16:00:00", `,"status":"cancelled"`))
	f.create(t, f.event("Late", "2026-03-08T23:30:00", "2026-03-09T00:30:00", ""))
	f.create(t, f.event("Next week", "2026-03-09T09:00:00", "2026-03-09T10:00:00", ""))

	r := f.do(t, "GET", "/calendars/"+f.cal+"/view?view_type=week&date=2026-03-04", f.tok, "")
	if r.body["start"] != "2026-03-02T00:00:00+01:00" || r.body["end"] != "2026-03-09T00:00:00+01:00" || r.body["role"] != "owner" {
		t.Fatalf("period: %s", r.raw)
	}
	want := []string{
		"2026-03-03T09:00:00+01:00 2026-03-03T10:00:00+01:00 Timed #008080 confirmed opaque",
		"2026-03-04 2026-03-06 Trip #3366ff confirmed transparent",
		"2026-03-05T15:00:00+01:00 2026-03-05T16:00:00+01:00 Maybe #3366ff tentative opaque",
		"2026-03-06T15:00:00+01:00 2026-03-06T16:00:00+01:00 Off #3366ff cancelled opaque",
		"2026-03-08T23:30:00+01:00 2026-03-09T00:30:00+01:00 Late #3366ff confirmed opaque",
	}
	if got := viewLines(t, r); strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Fatalf("owner's week:\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}

	// In New York the week starts five hours later: the late event falls
	// into it, and the all-day trip covers New York's days.
	r = f.do(t, "GET", "/calendars/"+f.cal+"/view?view_type=day&date=2026-03-08&tz=America/New_York", f.tok, "")
	want = []string{"2026-03-08T18:30:00-04:00 2026-03-08T19:30:00-04:00 Late #3366ff confirmed opaque"}
	if got := viewLines(t, r); strings.Join(got, "\n") != strings.Join(want, "\n") || r.body["time_zone"] != "America/New_York" {
		t.Fatalf("New York day:\n%s", strings.Join(got, "\n"))
	}

	// A reader with a colour of their own; a free/busy viewer sees busy
	// times only.
	readerTok, reader := f.register(t, "rita")
	fbTok, fb := f.register(t, "fred")
	for _, share := range []struct{ id, role string }{{reader["id"].(string), "reader"}, {fb["id"].(string), "freebusy"}} {
		if r := f.do(t, "POST", "/calendars/"+f.cal+"/share", f.tok, `{"user_id":"`+share.id+`","role":"`+share.role+`"}`); r.status != 201 {
			t.Fatalf("share: %d %s", r.status, r.raw)
		}
	}
	f.do(t, "PATCH", "/calendars/"+f.cal, readerTok, `{"color":"#aa0000"}`)
	r = f.do(t, "GET", "/calendars/"+f.cal+"/view?view_type=day&date=2026-03-05&tz=Europe/Berlin", readerTok, "")
	if got := viewLines(t, r); len(got) != 2 || !strings.Contains(got[1], "Maybe #aa0000") || r.body["role"] != "reader" {
		t.Fatalf("reader's day: %v", got)
	}
	r = f.do(t, "GET", "/calendars/"+f.cal+"/view?view_type=week&date=2026-03-04&tz=Europe/Berlin", fbTok, "")
	want = []string{
		"2026-03-03T09:00:00+01:00 2026-03-03T10:00:00+01:00 busy",
		"2026-03-05T15:00:00+01:00 2026-03-05T16:00:00+01:00 tentative",
		"2026-03-08T23:30:00+01:00 2026-03-09T00:30:00+01:00 busy",
	}
	if got := viewLines(t, r); strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Fatalf("free/busy week:\n%s", strings.Join(got, "\n"))
	}
	if strings.Contains(r.raw, "Timed") || strings.Contains(r.raw, "event_id") {
		t.Fatalf("free/busy viewer sees details: %s", r.raw)
	}
	strangerTok, _ := f.register(t, "sam")
	if r := f.do(t, "GET", "/calendars/"+f.cal+"/view?view_type=day", strangerTok, ""); r.status != 404 {
		t.Fatalf("stranger: %d", r.status)
	}
	if r := f.do(t, "GET", "/events?calendar_id="+f.cal+"&start_time=2026-03-01T00:00:00Z&end_time=2026-03-10T00:00:00Z", fbTok, ""); r.status != 403 {
		t.Fatalf("free/busy viewer listing events: %d", r.status)
	}
}

// TestFreeBusy merges busy time across calendars and users.
func TestFreeBusy(t *testing.T) {
	f := newEventFixture(t)
	f.create(t, f.event("A", "2026-03-03T09:00:00", "2026-03-03T10:00:00", ""))
	f.create(t, f.event("B", "2026-03-03T09:30:00", "2026-03-03T11:00:00", ""))
	f.create(t, f.event("Tentative", "2026-03-03T10:30:00", "2026-03-03T12:00:00", `,"status":"tentative"`))
	f.create(t, f.event("Free", "2026-03-03T13:00:00", "2026-03-03T14:00:00", `,"transparency":"transparent"`))
	f.create(t, f.event("Cancelled", "2026-03-03T15:00:00", "2026-03-03T16:00:00", `,"status":"cancelled"`))
	r := f.do(t, "POST", "/calendars", f.tok, `{"display_name":"Private"}`)
	private := r.body["id"].(string)
	f.do(t, "POST", "/events", f.tok, `{"calendar_id":"`+private+`","start":{"date_time":"2026-03-03T17:00:00Z"},"end":{"date_time":"2026-03-03T18:00:00Z"}}`)

	viewerTok, viewer := f.register(t, "vic")
	f.do(t, "POST", "/calendars/"+f.cal+"/share", f.tok, `{"user_id":"`+viewer["id"].(string)+`","role":"freebusy"}`)
	// Out of the directory, the user's busy time is what they share.
	f.do(t, "PATCH", "/users/me", f.tok, `{"free_busy_visible":false}`)
	body := `{"start_time":"2026-03-03T00:00:00Z","end_time":"2026-03-04T00:00:00Z","calendars":["` + f.cal + `","` + private + `","junk"],"users":["` + f.user["id"].(string) + `"]}`
	r = f.do(t, "POST", "/freebusy", viewerTok, body)
	if r.status != 200 {
		t.Fatalf("freebusy: %d %s", r.status, r.raw)
	}
	busy := func(entry any) string {
		var parts []string
		for _, p := range entry.(map[string]any)["busy"].([]any) {
			m := p.(map[string]any)
			parts = append(parts, fmt.Sprintf("%s-%s %s", m["start"].(string)[11:16], m["end"].(string)[11:16], m["type"]))
		}
		return strings.Join(parts, ", ")
	}
	cals := r.body["calendars"].(map[string]any)
	if got, want := busy(cals[f.cal]), "08:00-10:00 busy, 10:00-11:00 tentative"; got != want {
		t.Fatalf("calendar: %s, want %s", got, want)
	}
	if cals[private].(map[string]any)["error"] != "not-found" || cals["junk"].(map[string]any)["error"] != "not-found" {
		t.Fatalf("calendars the viewer may not see: %v", cals)
	}
	// The user's free-busy covers only the calendars the viewer may see.
	if got := busy(r.body["users"].(map[string]any)[f.user["id"].(string)]); got != "08:00-10:00 busy, 10:00-11:00 tentative" {
		t.Fatalf("user as the viewer sees them: %s", got)
	}
	r = f.do(t, "POST", "/freebusy", f.tok, body)
	if got := busy(r.body["users"].(map[string]any)[f.user["id"].(string)]); got != "08:00-10:00 busy, 10:00-11:00 tentative, 17:00-18:00 busy" {
		t.Fatalf("user as the owner sees them: %s", got)
	}
}

// TestListEvents pages through instances and events, and lists a user's
// events as another user may see them.
func TestListEvents(t *testing.T) {
	f := newEventFixture(t)
	series := f.create(t, f.event("Daily", "2026-03-02T08:00:00", "2026-03-02T08:30:00", `,"recurrence":["RRULE:FREQ=DAILY;COUNT=4"]`))
	for i := range 3 {
		f.create(t, f.event(fmt.Sprint("One ", i), fmt.Sprintf("2026-03-0%dT12:00:00", 2+i), fmt.Sprintf("2026-03-0%dT13:00:00", 2+i), ""))
	}
	base := "/events?calendar_id=" + f.cal + "&start_time=2026-03-01T00:00:00Z&end_time=2026-04-01T00:00:00Z&max_results=3"
	var titles []string
	path := base
	for pages := 0; ; pages++ {
		if pages > 5 {
			t.Fatal("paging does not end")
		}
		r := f.do(t, "GET", path, f.tok, "")
		if r.status != 200 {
			t.Fatalf("page: %d %s", r.status, r.raw)
		}
		for _, it := range r.body["items"].([]any) {
			ev := it.(map[string]any)
			titles = append(titles, ev["start"].(map[string]any)["date_time"].(string)[8:10]+" "+ev["title"].(string))
		}
		tok, _ := r.body["next_page_token"].(string)
		if tok == "" {
			break
		}
		path = base + "&page_token=" + tok
	}
	want := "02 Daily|02 One 0|03 Daily|03 One 1|04 Daily|04 One 2|05 Daily"
	if strings.Join(titles, "|") != want {
		t.Fatalf("pages: %v", titles)
	}
	r := f.do(t, "GET", "/events?calendar_id="+f.cal+"&start_time=2026-03-03T00:00:00Z&end_time=2026-04-01T00:00:00Z&single_events=false", f.tok, "")
	items := r.body["items"].([]any)
	if len(items) != 3 || items[0].(map[string]any)["id"] != series || items[0].(map[string]any)["recurrence"] == nil {
		t.Fatalf("series listing: %s", r.raw)
	}
	r = f.do(t, "GET", "/calendars/"+f.cal+"/events?max_results=2", f.tok, "")
	if len(r.body["items"].([]any)) != 2 || r.body["next_page_token"] == nil {
		t.Fatalf("unranged listing: %s", r.raw)
	}
	r = f.do(t, "GET", "/calendars/"+f.cal+"/events?max_results=2&page_token="+r.body["next_page_token"].(string), f.tok, "")
	if len(r.body["items"].([]any)) != 2 || r.body["next_page_token"] != nil {
		t.Fatalf("unranged second page: %s", r.raw)
	}

	// Bob reads Alice's work calendar and sees free/busy of another: her
	// events as Bob lists them come from the first only.
	bobTok, bob := f.register(t, "bob")
	r = f.do(t, "POST", "/calendars", f.tok, `{"display_name":"Private"}`)
	private := r.body["id"].(string)
	f.do(t, "POST", "/events", f.tok, `{"calendar_id":"`+private+`","title":"Secret","start":{"date_time":"2026-03-03T17:00:00Z"},"end":{"date_time":"2026-03-03T18:00:00Z"}}`)
	f.do(t, "POST", "/calendars/"+f.cal+"/share", f.tok, `{"user_id":"`+bob["id"].(string)+`","role":"reader"}`)
	f.do(t, "POST", "/calendars/"+private+"/share", f.tok, `{"user_id":"`+bob["id"].(string)+`","role":"freebusy"}`)
	userPath := "/events?user_id=" + f.user["id"].(string) + "&start_time=2026-03-01T00:00:00Z&end_time=2026-04-01T00:00:00Z"
	r = f.do(t, "GET", userPath, bobTok, "")
	if r.status != 200 || len(r.body["items"].([]any)) != 7 || strings.Contains(r.raw, "Secret") {
		t.Fatalf("Alice's events as Bob sees them: %d %s", r.status, r.raw)
	}
	if r := f.do(t, "GET", userPath, f.tok, ""); len(r.body["items"].([]any)) != 8 {
		t.Fatalf("Alice's own events: %s", r.raw)
	}
	strangerTok, _ := f.register(t, "sue")
	if r := f.do(t, "GET", userPath, strangerTok, ""); r.status != 404 {
		t.Fatalf("a stranger listing Alice's events: %d", r.status)
	}
	if r := f.do(t, "GET", "/events?user_id="+bob["id"].(string)+"&start_time=2026-03-01T00:00:00Z&end_time=2026-04-01T00:00:00Z", f.tok, ""); r.status != 404 {
		t.Fatalf("a user with no calendars Alice sees: %d", r.status)
	}
}

// TestViewCacheNeverStale views a week, changes what it shows in every way
// that matters, and views it again.
func TestViewCacheNeverStale(t *testing.T) {
	f := newEventFixture(t)
	id := f.create(t, f.event("Before", "2026-03-03T09:00:00", "2026-03-03T10:00:00", ""))
	path := "/calendars/" + f.cal + "/view?view_type=week&date=2026-03-04"
	first := viewLines(t, f.do(t, "GET", path, f.tok, ""))
	if again := viewLines(t, f.do(t, "GET", path, f.tok, "")); strings.Join(again, "|") != strings.Join(first, "|") {
		t.Fatalf("the same view twice: %v, %v", first, again)
	}
	f.do(t, "PATCH", "/events/"+id, f.tok, `{"title":"After"}`)
	if got := viewLines(t, f.do(t, "GET", path, f.tok, "")); len(got) != 1 || !strings.Contains(got[0], "After") {
		t.Fatalf("after an edit: %v", got)
	}
	f.do(t, "PATCH", "/calendars/"+f.cal, f.tok, `{"color":"#112233"}`)
	if got := viewLines(t, f.do(t, "GET", path, f.tok, "")); len(got) != 1 || !strings.Contains(got[0], "#112233") {
		t.Fatalf("after a colour change: %v", got)
	}
	if got := viewLines(t, f.do(t, "GET", path+"&tz=Asia/Tokyo", f.tok, "")); len(got) != 1 || !strings.Contains(got[0], "+09:00") {
		t.Fatalf("in another zone: %v", got)
	}
	otherTok, other := f.register(t, "olga")
	f.do(t, "POST", "/calendars/"+f.cal+"/share", f.tok, `{"user_id":"`+other["id"].(string)+`","role":"reader"}`)
	if got := viewLines(t, f.do(t, "GET", path+"&tz=Europe/Berlin", otherTok, "")); len(got) != 1 || !strings.Contains(got[0], "After") {
		t.Fatalf("as a reader: %v", got)
	}
	f.do(t, "PUT", "/calendars/"+f.cal+"/collaborators/"+other["id"].(string), f.tok, `{"role":"freebusy"}`)
	if got := viewLines(t, f.do(t, "GET", path+"&tz=Europe/Berlin", otherTok, "")); len(got) != 1 || strings.Contains(got[0], "After") {
		t.Fatalf("after the role went down to free/busy: %v", got)
	}
}
