package calendar

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/almanac/almanac/store"
	"github.com/almanac/almanac/store/storetest"
)

const withOverride = `BEGIN:VEVENT
UID:ov
DTSTAMP:20260101T000000Z
DTSTART:20260106T090000Z
DTEND:20260106T100000Z
RRULE:FREQ=DAILY;COUNT=3
SUMMARY:Daily
LOCATION:Room 1
COLOR:teal
END:VEVENT
BEGIN:VEVENT
UID:ov
DTSTAMP:20260101T000000Z
RECURRENCE-ID:20260107T090000Z
DTSTART:20260107T140000Z
DTEND:20260107T150000Z
SUMMARY:Moved
END:VEVENT
`

const allDay = `BEGIN:VEVENT
UID:day
DTSTAMP:20260101T000000Z
DTSTART;VALUE=DATE:20260108
SUMMARY:Holiday
END:VEVENT
`

// TestItems checks the view query: summaries per component (overrides
// have their own), the weekly series continued past its horizon, all-day
// events read in the viewer's zone, and free/busy viewers given no titles.
func TestItems(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		f := newFixture(t, st)
		for name, body := range map[string]string{"weekly.ics": weeklyBerlin, "ov.ics": withOverride, "day.ics": allDay} {
			if _, err := f.s.PutObject(ctx, f.owner, f.cal, name, ics(body), store.Conditions{}); err != nil {
				t.Fatal(err)
			}
		}
		tokyo, _ := time.LoadLocation("Asia/Tokyo")
		from := time.Date(2026, 1, 5, 0, 0, 0, 0, time.UTC)
		got := f.items(t, f.owner, from, from.AddDate(0, 0, 5), tokyo)
		want := []string{
			"01-05T09:00Z Standup",
			"01-06T09:00Z Daily|Room 1|teal",
			"01-07T14:00Z Moved",
			"01-07T15:00Z Holiday", // 8 January starts at 15:00 UTC the day before in Tokyo
			"01-08T09:00Z Daily|Room 1|teal",
		}
		if strings.Join(got, "\n") != strings.Join(want, "\n") {
			t.Fatalf("got\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
		}

		// Past the 60-day horizon the weekly series is expanded on the fly,
		// with the summary parsed from the data.
		far := time.Date(2026, 6, 1, 0, 0, 0, 0, time.UTC)
		if got := f.items(t, f.owner, far, far.AddDate(0, 0, 7), nil); fmt.Sprint(got) != "[06-01T08:00Z Standup]" {
			t.Fatalf("past the horizon: %v", got)
		}

		// A free/busy viewer sees the times and nothing else.
		viewer := &store.User{Name: "fb", Email: "fb@example.com"}
		if err := st.CreateUser(ctx, viewer); err != nil {
			t.Fatal(err)
		}
		if err := f.s.Share(ctx, f.owner, f.cal, viewer, RoleFreeBusy); err != nil {
			t.Fatal(err)
		}
		for _, line := range f.items(t, viewer, from, from.AddDate(0, 0, 5), tokyo) {
			if strings.Contains(line, " ") && !strings.HasSuffix(line, " ") {
				t.Fatalf("free/busy viewer sees %q", line)
			}
		}
		stranger := &store.User{Name: "st", Email: "st@example.com"}
		if err := st.CreateUser(ctx, stranger); err != nil {
			t.Fatal(err)
		}
		if _, err := f.s.Items(ctx, stranger, []*store.Calendar{f.cal}, from, far, nil); err == nil {
			t.Fatal("a stranger got items")
		}
	})
}

func (f *fixture) items(t *testing.T, u *store.User, from, to time.Time, zone *time.Location) []string {
	t.Helper()
	list, err := f.s.Items(context.Background(), u, []*store.Calendar{f.cal}, from, to, zone)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, it := range list {
		s := it.Summary.Title
		if it.Summary.Location != "" || it.Summary.Color != "" {
			s += "|" + it.Summary.Location + "|" + it.Summary.Color
		}
		out = append(out, it.Start.UTC().Format("01-02T15:04Z")+" "+s)
	}
	return out
}

func TestSummaryEncoding(t *testing.T) {
	long := strings.Repeat("é", 400)
	tests := []struct {
		in   string
		want Summaries
	}{
		{"a\x1fb\x1fc", Summaries{{"a", "b", "c"}}},
		{"a\x1f\x1f\x1ex\x1fy\x1f", Summaries{{"a", "", ""}, {"x", "y", ""}}},
		{"\x1f\x1f", Summaries{{}}},
	}
	for _, tt := range tests {
		got, ok := DecodeSummaries(tt.in)
		if !ok || fmt.Sprint(got) != fmt.Sprint(tt.want) {
			t.Errorf("DecodeSummaries(%q) = %v, want %v", tt.in, got, tt.want)
		}
	}
	if _, ok := DecodeSummaries(""); ok {
		t.Error("empty summary decoded")
	}
	if c := clean(long); len(c) > summaryTextMax || !strings.HasPrefix(long, c) {
		t.Errorf("clean cut %d bytes badly", len(c))
	}
	if c := clean("a\x1eb\x1fc"); c != "abc" {
		t.Errorf("clean kept separators: %q", c)
	}
}

// TestSummaryCacheFollowsChanges checks that a write to a calendar costs
// its cached summaries only the object it changed: the entry moves to the
// new revision through the change log.
func TestSummaryCacheFollowsChanges(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		f := newFixture(t, st)
		event := func(uid, title string) []byte {
			return ics("BEGIN:VEVENT\nUID:" + uid + "\nDTSTAMP:20260101T000000Z\nDTSTART:20260106T090000Z\nDTEND:20260106T100000Z\nSUMMARY:" + title + "\nEND:VEVENT\n")
		}
		put := func(name, title string) {
			if _, err := f.s.PutObject(ctx, f.owner, f.cal, name+".ics", event(name, title), store.Conditions{}); err != nil {
				t.Fatal(err)
			}
		}
		titles := func() string {
			cal, err := st.GetCalendar(ctx, f.cal.ID)
			if err != nil {
				t.Fatal(err)
			}
			list, err := f.s.Items(ctx, f.owner, []*store.Calendar{cal}, f.now.AddDate(0, 0, -10), f.now.AddDate(0, 0, 10), nil)
			if err != nil {
				t.Fatal(err)
			}
			var out []string
			for _, it := range list {
				out = append(out, it.Summary.Title)
			}
			slices.Sort(out)
			return strings.Join(out, ",")
		}
		cached := func() int {
			cal, _ := st.GetCalendar(ctx, f.cal.ID)
			f.s.refresh(ctx, cal)
			f.s.cache.mu.Lock()
			defer f.s.cache.mu.Unlock()
			cs := f.s.cache.cals[cal.UUID]
			if cs == nil || cs.rev != cal.Revision {
				t.Fatalf("no entry at revision %d", cal.Revision)
			}
			return len(cs.objs)
		}
		put("a", "Alpha")
		put("b", "Beta")
		if got := titles(); got != "Alpha,Beta" {
			t.Fatalf("titles %q", got)
		}
		put("a", "Alpha 2")
		if n := cached(); n != 1 {
			t.Fatalf("after changing one of two objects, %d cached; want 1", n)
		}
		if got := titles(); got != "Alpha 2,Beta" {
			t.Fatalf("after the change: titles %q", got)
		}
		cal, _ := st.GetCalendar(ctx, f.cal.ID)
		if err := f.s.DeleteObject(ctx, f.owner, cal, "b.ics", store.Conditions{}); err != nil {
			t.Fatal(err)
		}
		if n := cached(); n != 1 {
			t.Fatalf("after deleting one of two objects, %d cached; want 1", n)
		}
		if got := titles(); got != "Alpha 2" {
			t.Fatalf("after the deletion: titles %q", got)
		}
	})
}
