package jsonapi

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/almanac/almanac/calendar"
	"github.com/almanac/almanac/store"
)

// TestLargeSeriesTruncated: an event of every minute, 50,000 times, put
// in the calendar by someone else's invitation, has more instances in
// January than one request expands. The month view, the event list and
// free/busy still answer 200, with the first instances of the series and
// the mark that it was cut; the other events of the month are all there.
func TestLargeSeriesTruncated(t *testing.T) {
	f := newEventFixture(t)
	f.create(t, f.event("Lunch", "2026-01-28T12:00:00", "2026-01-28T13:00:00", ""))
	ctx := context.Background()
	u, err := f.st.GetUserByLoginEmail(ctx, "alice@example.com")
	if err != nil {
		t.Fatal(err)
	}
	cal, _, err := f.cals.Calendar(ctx, u, f.cal, calendar.ActWrite)
	if err != nil {
		t.Fatal(err)
	}
	flood, err := os.ReadFile(filepath.Join("testdata", "every-minute.ics"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.cals.PutObject(ctx, u, cal, "flood.ics", flood, store.Conditions{}); err != nil {
		t.Fatal(err)
	}
	budget := f.cals.SeriesBudget()

	r := f.do(t, "GET", "/calendars/"+f.cal+"/view?view_type=month&date=2026-01-15", f.tok, "")
	if r.status != 200 || r.body["truncated"] != true {
		t.Fatalf("month view: %d truncated=%v %.300s", r.status, r.body["truncated"], r.raw)
	}
	var cut, lunch int
	for _, it := range r.body["instances"].([]any) {
		in := it.(map[string]any)
		if in["title"] == "Lunch" {
			lunch++
			if in["truncated"] != nil {
				t.Errorf("lunch marked truncated")
			}
		} else if in["truncated"] == true {
			cut++
		}
	}
	if cut != budget || lunch != 1 {
		t.Fatalf("month view: %d instances of the series marked (want %d), lunch %d", cut, budget, lunch)
	}

	r = f.do(t, "GET", "/calendars/"+f.cal+"/events?start_time=2026-01-01T00:00:00Z&end_time=2026-02-01T00:00:00Z&max_results=10", f.tok, "")
	if r.status != 200 || r.body["truncated"] != true {
		t.Fatalf("event list: %d %.300s", r.status, r.raw)
	}
	if ids, _ := r.body["truncated_events"].([]any); len(ids) != 1 {
		t.Fatalf("truncated_events: %v", r.body["truncated_events"])
	}

	r = f.do(t, "POST", "/freebusy", f.tok, `{"start_time":"2026-01-01T00:00:00Z","end_time":"2026-02-01T00:00:00Z","calendars":["`+f.cal+`"]}`)
	entry, _ := r.body["calendars"].(map[string]any)[f.cal].(map[string]any)
	if r.status != 200 || entry["truncated"] != true || len(entry["busy"].([]any)) == 0 {
		t.Fatalf("free/busy: %d %.300s", r.status, r.raw)
	}

	// A week the series fills less than the budget is not cut.
	r = f.do(t, "GET", "/calendars/"+f.cal+"/view?view_type=day&date=2026-01-12", f.tok, "")
	if r.status != 200 || r.body["truncated"] != nil || len(r.body["instances"].([]any)) < 24*60 {
		t.Fatalf("day view: %d truncated=%v", r.status, r.body["truncated"])
	}
}

// TestExpensiveObjectsOverJSON: the objects of many rules that CalDAV
// refuses are refused here too: the 200-RRULE object and the one that
// spends the write's expansion budget fail in an import, each with its
// precondition, and the refusal is a 422 problem wherever an event is
// written one at a time.
func TestExpensiveObjectsOverJSON(t *testing.T) {
	s := newExternalServer(t)
	token, _ := s.register(t, "alice")
	id := s.do(t, "POST", "/calendars", token, `{"display_name":"Work"}`).body["id"].(string)
	for file, pre := range map[string]string{"many-rules.ics": calendar.PreValidObject, "ten-rules.ics": calendar.PreMaxInstances} {
		data, err := os.ReadFile(filepath.Join("testdata", file))
		if err != nil {
			t.Fatal(err)
		}
		r := s.upload(t, "/calendars/"+id+"/import", token, "text/calendar", data)
		errs, _ := r.body["errors"].([]any)
		if r.status != 200 || r.body["failed"] != float64(1) || len(errs) != 1 || errs[0].(map[string]any)["precondition"] != pre {
			t.Errorf("%s: %d %s", file, r.status, r.raw)
		}
	}
	for _, pre := range []string{calendar.PreValidObject, calendar.PreMaxInstances} {
		if p := objectProblem(&calendar.ObjectError{Precondition: pre, Message: "x"}); p.Status != 422 {
			t.Errorf("%s: %d", pre, p.Status)
		}
	}
}
