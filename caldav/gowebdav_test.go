package caldav_test

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/almanac/almanac/calendar"
	"github.com/almanac/almanac/store"
	"github.com/almanac/almanac/store/storetest"
	"github.com/emersion/go-ical"
	"github.com/emersion/go-webdav"
	"github.com/emersion/go-webdav/caldav"
)

// TestGoWebDAVClient drives the server with go-webdav's CalDAV client, the
// one Almanac uses to sync from other servers: discovery, listing, PUT,
// GET, time-range query with expansion, multiget.
func TestGoWebDAVClient(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		srv := newServer(t, st, calendar.Limits{})
		ctx := context.Background()
		if r := srv.do(t, "alice", "MKCALENDAR", "/dav/calendars/alice/work/", ""); r.status != http.StatusCreated {
			t.Fatalf("MKCALENDAR: %d %s", r.status, r.body)
		}
		hc := webdav.HTTPClientWithBasicAuth(http.DefaultClient, "alice", password("alice"))
		wc, err := webdav.NewClient(hc, srv.URL+"/dav/")
		if err != nil {
			t.Fatal(err)
		}
		principal, err := wc.FindCurrentUserPrincipal(ctx)
		if err != nil || principal != "/dav/principals/alice/" {
			t.Fatalf("principal %q, %v", principal, err)
		}
		c, err := caldav.NewClient(hc, srv.URL+"/dav/")
		if err != nil {
			t.Fatal(err)
		}
		home, err := c.FindCalendarHomeSet(ctx, principal)
		if err != nil || home != "/dav/calendars/alice/" {
			t.Fatalf("home %q, %v", home, err)
		}
		cals, err := c.FindCalendars(ctx, home)
		// The account's own "calendar" and "tasks", then "work".
		if err != nil || len(cals) != 3 || cals[1].Path != "/dav/calendars/alice/work/" {
			t.Fatalf("calendars %+v, %v", cals, err)
		}
		path := "/dav/calendars/alice/work/standup.ics"
		if _, err := c.PutCalendarObject(ctx, path, standup()); err != nil {
			t.Fatalf("put: %v", err)
		}
		obj, err := c.GetCalendarObject(ctx, path)
		if err != nil || obj.ETag == "" || len(obj.Data.Children) != 1 {
			t.Fatalf("get: %+v, %v", obj, err)
		}
		start := time.Date(2026, 3, 2, 0, 0, 0, 0, time.UTC)
		objs, err := c.QueryCalendar(ctx, "/dav/calendars/alice/work/", &caldav.CalendarQuery{
			CompRequest: caldav.CalendarCompRequest{Name: "VCALENDAR", AllProps: true, AllComps: true,
				Expand: &caldav.CalendarExpandRequest{Start: start, End: start.AddDate(0, 0, 7)}},
			CompFilter: caldav.CompFilter{Name: "VCALENDAR", Comps: []caldav.CompFilter{{Name: "VEVENT", Start: start, End: start.AddDate(0, 0, 7)}}},
		})
		if err != nil || len(objs) != 1 {
			t.Fatalf("query: %d objects, %v", len(objs), err)
		}
		if n := len(objs[0].Data.Children); n != 5 {
			t.Errorf("expanded week: %d instances, want 5 (Monday to Friday)", n)
		}
		got, err := c.MultiGetCalendar(ctx, "/dav/calendars/alice/work/", &caldav.CalendarMultiGet{Paths: []string{path}})
		if err != nil || len(got) != 1 || !strings.Contains(got[0].Path, "standup.ics") {
			t.Fatalf("multiget: %+v, %v", got, err)
		}
	})
}

// standup is a weekday meeting with one override.
func standup() *ical.Calendar {
	cal := ical.NewCalendar()
	cal.Props.SetText(ical.PropVersion, "2.0")
	cal.Props.SetText(ical.PropProductID, "-//Almanac//test//EN")
	ev := ical.NewEvent()
	ev.Props.SetText(ical.PropUID, "standup@example.com")
	ev.Props.SetDateTime(ical.PropDateTimeStamp, time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))
	ev.Props.SetDateTime(ical.PropDateTimeStart, time.Date(2026, 1, 5, 9, 0, 0, 0, time.UTC))
	ev.Props.SetDateTime(ical.PropDateTimeEnd, time.Date(2026, 1, 5, 9, 15, 0, 0, time.UTC))
	ev.Props.Set(&ical.Prop{Name: ical.PropRecurrenceRule, Params: ical.Params{}, Value: "FREQ=WEEKLY;BYDAY=MO,TU,WE,TH,FR"})
	ev.Props.SetText(ical.PropSummary, "Stand-up")
	cal.Children = append(cal.Children, ev.Component)
	return cal
}
