package jsonapi

import (
	"bytes"
	"encoding/json"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/almanac/almanac/calendar"
)

// TestAppendViewMatchesEncodingJSON checks that the hand-written encoder
// writes what encoding/json writes, including awkward strings.
func TestAppendViewMatchesEncodingJSON(t *testing.T) {
	at := time.Date(2026, 3, 2, 8, 0, 0, 0, time.UTC)
	v := &View{CalendarID: "c", ViewType: "week", Date: "2026-03-02", TimeZone: "Europe/Berlin", WeekStart: 1,
		Start: "2026-03-02T00:00:00+01:00", End: "2026-03-09T00:00:00+01:00", Role: "owner", Color: "#3366ff",
		Instances: []ViewInstance{
			{ID: "e_20260302T080000Z", EventID: "e", Title: "Quotes \" and \\ <b>&</b>\n\ttab\x01 é ✓ \u2028 \xff end",
				Location: "Room", Color: "#008080", Start: "2026-03-02T09:00:00+01:00", End: "2026-03-02T10:00:00+01:00",
				StartUTC: at, EndUTC: at.Add(time.Hour), Status: "confirmed", Transparency: "opaque", Recurring: true, Override: true},
			{Start: "2026-03-03", End: "2026-03-04", StartUTC: at, EndUTC: at.Add(24 * time.Hour), AllDay: true, Busy: "busy"},
		}}
	var want bytes.Buffer
	if err := json.NewEncoder(&want).Encode(v); err != nil {
		t.Fatal(err)
	}
	if got := appendView(nil, v); !bytes.Equal(got, want.Bytes()) {
		t.Fatalf("got\n%s\nwant\n%s", got, want.Bytes())
	}
	empty := &View{Instances: []ViewInstance{}}
	want.Reset()
	_ = json.NewEncoder(&want).Encode(empty)
	if got := appendView(nil, empty); !bytes.Equal(got, want.Bytes()) {
		t.Fatalf("empty: got %s want %s", got, want.Bytes())
	}
}

// TestWriteViewMatchesViewInstance checks the appending encoder against
// the plain description of a view instance (viewInstance and
// encoding/json), for each role and kind of instance.
func TestWriteViewMatchesViewInstance(t *testing.T) {
	berlin, _ := time.LoadLocation("Europe/Berlin")
	at := time.Date(2026, 3, 2, 8, 0, 0, 0, time.UTC)
	items := []calendar.Item{
		{Occurrence: calendar.Occurrence{Start: at, End: at.Add(time.Hour)}, ObjectUUID: "u1",
			Summary: calendar.Summary{Title: "Plain <&> \"quoted\"", Location: "Room\n2", Color: "Teal"}},
		{Occurrence: calendar.Occurrence{Start: at, End: at.Add(time.Hour), RecurrenceID: at.Add(-time.Hour), Override: true,
			Status: "TENTATIVE", Transparent: true}, ObjectUUID: "u2", Summary: calendar.Summary{Title: "Moved", Color: "#abcdef"}},
		{Occurrence: calendar.Occurrence{Start: at.Add(-8 * time.Hour), End: at.Add(16 * time.Hour), AllDay: true, Floating: true,
			RecurrenceID: time.Date(2026, 3, 2, 0, 0, 0, 0, time.UTC)}, ObjectUUID: "u3", Summary: calendar.Summary{Title: "Day"}},
		{Occurrence: calendar.Occurrence{Start: at, End: at, Floating: true, RecurrenceID: time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC),
			Status: "CANCELLED"}, ObjectUUID: "u4"},
		{Occurrence: calendar.Occurrence{Start: at, End: at.Add(time.Minute), RecurrenceID: at, Truncated: true},
			ObjectUUID: "u5", Summary: calendar.Summary{Title: "Cut"}},
	}
	for _, role := range []calendar.Role{calendar.RoleFreeBusy, calendar.RoleReader} {
		v := View{CalendarID: "c", ViewType: "day", Date: "2026-03-02", TimeZone: "Europe/Berlin", Role: role.String(),
			Color: "#3366ff", Truncated: true, Instances: []ViewInstance{}}
		for _, it := range items {
			if vi, ok := viewInstance(it, role, v.Color, berlin); ok {
				v.Instances = append(v.Instances, vi)
			}
		}
		var want bytes.Buffer
		_ = json.NewEncoder(&want).Encode(v)
		rec := httptest.NewRecorder()
		drawn, cut := viewWriter{role: role, calColor: "#3366ff", zone: berlin}.appendItems(nil, items)
		writeView(rec, &View{CalendarID: "c", ViewType: "day", Date: "2026-03-02", TimeZone: "Europe/Berlin",
			Role: role.String(), Color: "#3366ff", Truncated: cut}, drawn)
		if got := rec.Body.Bytes(); !bytes.Equal(got, want.Bytes()) {
			t.Errorf("%s:\ngot  %s\nwant %s", role, got, want.Bytes())
		}
	}
}
