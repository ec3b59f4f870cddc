package client_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"testing"
	"time"

	"github.com/almanac/almanac/account"
	"github.com/almanac/almanac/calendar"
	"github.com/almanac/almanac/client"
	"github.com/almanac/almanac/jsonapi"
	"github.com/almanac/almanac/store"
)

func ptr[T any](v T) *T { return &v }

// newClient starts a server on an SQLite file and signs a new user in.
func newClient(t *testing.T) *client.Client {
	t.Helper()
	ctx := context.Background()
	st, err := store.Open(ctx, filepath.Join(t.TempDir(), "a.db"), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(st.Close)
	api := jsonapi.New(account.New(st, account.Options{AllowRegistration: true}), calendar.New(st, calendar.Options{}), jsonapi.Options{})
	mux := http.NewServeMux()
	mux.Handle("/api/v1/", http.StripPrefix("/api/v1", api.Routes()))
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	c := client.New(srv.URL, srv.Client())
	if _, err := c.Register(ctx, jsonapi.RegisterRequest{Name: "ann", Email: "ann@example.com", Password: "correct horse", TimeZone: "Europe/Berlin"}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Login(ctx, "ann", "correct horse"); err != nil {
		t.Fatal(err)
	}
	return c
}

// TestEventsThroughTheClient uses every event method of the client.
func TestEventsThroughTheClient(t *testing.T) {
	ctx := context.Background()
	c := newClient(t)
	cal, err := c.CreateCalendar(ctx, jsonapi.CalendarRequest{DisplayName: ptr("Work")})
	if err != nil {
		t.Fatal(err)
	}
	berlin := func(s string) *jsonapi.EventTime {
		return &jsonapi.EventTime{DateTime: s, TimeZone: "Europe/Berlin"}
	}
	ev, err := c.CreateEvent(ctx, jsonapi.EventRequest{CalendarID: &cal.ID, Title: ptr("Standup"),
		Start: berlin("2026-03-02T09:00:00"), End: berlin("2026-03-02T09:15:00"),
		Recurrence: &[]string{"RRULE:FREQ=DAILY;COUNT=3"}})
	if err != nil {
		t.Fatal(err)
	}
	inst := ev.ID + "_20260303T080000Z"
	moved, err := c.UpdateEvent(ctx, inst, jsonapi.EventRequest{Title: ptr("Moved")}, client.Change{IfMatch: ev.ETag})
	if err != nil || moved.Title != "Moved" || moved.RecurringEventID != ev.ID {
		t.Fatalf("update instance: %+v, %v", moved, err)
	}
	_, err = c.UpdateEvent(ctx, ev.ID, jsonapi.EventRequest{Title: ptr("Stale")}, client.Change{IfMatch: ev.ETag})
	var apiErr *client.Error
	if !errors.As(err, &apiErr) || apiErr.Status != 412 || apiErr.Problem.ETag != moved.ETag || apiErr.Problem.Current == nil {
		t.Fatalf("stale update: %v", err)
	}
	if err := c.DeleteEvent(ctx, ev.ID+"_20260304T080000Z", client.Change{}); err != nil {
		t.Fatal(err)
	}
	from := time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)
	list, err := c.ListEvents(ctx, client.EventQuery{CalendarID: cal.ID, Start: from, End: from.AddDate(0, 1, 0)})
	if err != nil || len(list.Items) != 2 || list.Items[1].Title != "Moved" {
		t.Fatalf("list: %+v, %v", list, err)
	}
	series, err := c.CalendarEvents(ctx, cal.ID, client.EventQuery{})
	if err != nil || len(series.Items) != 1 || len(series.Items[0].Recurrence) != 2 {
		t.Fatalf("calendar events: %+v, %v", series, err)
	}
	view, err := c.View(ctx, cal.ID, "week", "2026-03-02", "")
	if err != nil || len(view.Instances) != 2 || view.TimeZone != "Europe/Berlin" {
		t.Fatalf("view: %+v, %v", view, err)
	}
	fb, err := c.FreeBusy(ctx, jsonapi.FreeBusyRequest{StartTime: "2026-03-01T00:00:00Z", EndTime: "2026-04-01T00:00:00Z", Calendars: []string{cal.ID}})
	if err != nil || len(fb.Calendars[cal.ID].Busy) != 2 {
		t.Fatalf("free-busy: %+v, %v", fb, err)
	}
	got, err := c.GetEvent(ctx, ev.ID)
	if err != nil || got.ETag == moved.ETag || len(got.Recurrence) != 2 { // the deletion added an EXDATE
		t.Fatalf("get: %+v, %v", got, err)
	}
}
