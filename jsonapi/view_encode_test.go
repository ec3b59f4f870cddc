package jsonapi

import (
	"bytes"
	"encoding/json"
	"testing"
	"time"
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
