package jsonapi

import (
	"context"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"

	"github.com/almanac/almanac/account"
	"github.com/almanac/almanac/calendar"
	"github.com/almanac/almanac/reminders"
	"github.com/almanac/almanac/store"
)

func newReminderServer(t *testing.T) (*testServer, *calendar.Service) {
	t.Helper()
	st, err := store.Open(context.Background(), filepath.Join(t.TempDir(), "a.db"), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(st.Close)
	acc := account.New(st, account.Options{AllowRegistration: true})
	rem := reminders.New(st, reminders.Options{})
	cals := calendar.New(st, calendar.Options{Hooks: []calendar.Hook{rem.Hook()}, Viewer: rem})
	mux := http.NewServeMux()
	mux.Handle("/api/v1/", http.StripPrefix("/api/v1", New(acc, cals, Options{Reminders: rem}).Routes()))
	srv := httptest.NewServer(newOpenAPICheck(t).wrap(mux))
	t.Cleanup(srv.Close)
	return &testServer{srv, st, acc, cals}, cals
}

const remindedEvent = "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//test//EN\r\nBEGIN:VEVENT\r\nUID:ev\r\nDTSTAMP:20260101T000000Z\r\n" +
	"DTSTART:20990601T120000Z\r\nDURATION:PT1H\r\nSUMMARY:Launch\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n"

func TestReminders(t *testing.T) {
	s, cals := newReminderServer(t)
	ctx := context.Background()
	alice, _ := s.register(t, "alice")
	bob, bobUser := s.register(t, "bob")
	carol, _ := s.register(t, "carol")
	cal := s.do(t, "POST", "/calendars", alice, `{"display_name":"Work"}`)
	calID := cal.body["id"].(string)
	if r := s.do(t, "POST", "/calendars/"+calID+"/share", alice, `{"user_id":"`+bobUser["id"].(string)+`","role":"reader"}`); r.status >= 300 {
		t.Fatalf("share: %d %s", r.status, r.raw)
	}
	owner, _ := s.st.GetUserByName(ctx, "alice")
	c, _ := s.st.GetCalendarByUUID(ctx, calID)
	res, err := cals.PutObject(ctx, owner, c, "ev.ics", []byte(remindedEvent), store.Conditions{})
	if err != nil {
		t.Fatal(err)
	}
	ev := "/reminders/" + res.UUID

	r := s.do(t, "POST", ev, alice, `{"minutes":30,"method":"email"}`)
	if r.status != 201 || r.body["minutes"] != 30.0 || r.body["method"] != "email" || r.body["next_trigger_at"] != "2099-06-01T11:30:00Z" {
		t.Fatalf("create: %d %s", r.status, r.raw)
	}
	id := r.body["id"].(string)
	if loc := r.header.Get("Location"); loc != "/api/v1"+ev+"/"+id {
		t.Errorf("Location %q", loc)
	}
	obj, _ := s.st.GetObject(ctx, c.ID, "ev.ics")
	if !strings.Contains(string(obj.Data), "UID:"+id) || !strings.Contains(string(obj.Data), "TRIGGER:-PT30M") {
		t.Errorf("not stored as a VALARM with its UID:\n%s", obj.Data)
	}
	if r := s.do(t, "GET", ev+"/"+id, alice, ""); r.status != 200 || r.body["id"] != id {
		t.Errorf("get: %d %s", r.status, r.raw)
	}
	if r := s.do(t, "POST", ev+"/"+id+"/dismiss", alice, ""); r.status != 200 || r.body["acknowledged"] == nil {
		t.Errorf("dismiss: %d %s", r.status, r.raw)
	}
	if r := s.do(t, "POST", ev+"/"+id+"/snooze", alice, `{"minutes":10}`); r.status != 201 || r.body["snooze_of"] != id || r.body["at"] == nil {
		t.Errorf("snooze: %d %s", r.status, r.raw)
	}

	// Bob only reads the calendar, yet keeps a reminder of his own.
	r = s.do(t, "POST", ev, bob, `{"at":"2099-06-01T08:00:00Z"}`)
	if r.status != 201 || r.body["method"] != "display" {
		t.Fatalf("sharee's reminder: %d %s", r.status, r.raw)
	}
	bobs := r.body["id"].(string)
	if l := s.do(t, "GET", ev, bob, ""); len(l.body["reminders"].([]any)) != 1 {
		t.Errorf("bob sees %s", l.raw)
	}
	if l := s.do(t, "GET", ev, alice, ""); strings.Contains(l.raw, bobs) || len(l.body["reminders"].([]any)) != 2 {
		t.Errorf("alice sees %s", l.raw)
	}
	if r := s.do(t, "DELETE", ev+"/"+bobs, bob, ""); r.status != 204 {
		t.Errorf("sharee delete: %d %s", r.status, r.raw)
	}
	if r := s.do(t, "DELETE", ev+"/"+id, alice, ""); r.status != 204 {
		t.Errorf("delete: %d %s", r.status, r.raw)
	}
	if r := s.do(t, "GET", ev+"/"+id, alice, ""); r.status != 404 {
		t.Errorf("deleted reminder: %d", r.status)
	}

	for _, bad := range []struct{ body, want string }{
		{`{"minutes":-1}`, "minutes"},
		{`{"minutes":50000}`, "minutes"},
		{`{"minutes":1,"method":"sms"}`, "method"},
		{`{}`, "minutes"},
		{`{"minutes":1,"at":"2099-01-01T00:00:00Z"}`, "either"},
	} {
		if r := s.do(t, "POST", ev, alice, bad.body); r.status != 422 || !strings.Contains(r.raw, bad.want) {
			t.Errorf("%s: %d %s", bad.body, r.status, r.raw)
		}
	}
	if r := s.do(t, "GET", ev, carol, ""); r.status != 404 {
		t.Errorf("a stranger sees reminders: %d", r.status)
	}
	if r := s.do(t, "GET", "/reminders/nope", alice, ""); r.status != 404 {
		t.Errorf("unknown event: %d", r.status)
	}
}

func TestReminderSettings(t *testing.T) {
	s, cals := newReminderServer(t)
	tok, _ := s.register(t, "dora")
	for _, bad := range []string{"http://127.0.0.1/hook", "http://localhost:8080/", "https://10.1.2.3/x", "ftp://example.com/", "https://user:pw@example.com/", "http://[::1]/"} {
		if r := s.do(t, "PUT", "/reminder-settings", tok, `{"webhook_url":"`+bad+`"}`); r.status != 422 || !strings.Contains(r.raw, "webhook_url") {
			t.Errorf("%s: %d %s", bad, r.status, r.raw)
		}
	}
	r := s.do(t, "PUT", "/reminder-settings", tok, `{"webhook_url":"https://hooks.example.com/almanac","default_reminders":[{"minutes":10,"method":"display"}]}`)
	if r.status != 200 || !strings.HasPrefix(r.body["webhook_secret"].(string), "whsec_") {
		t.Fatalf("settings: %d %s", r.status, r.raw)
	}
	r = s.do(t, "GET", "/reminder-settings", tok, "")
	if r.status != 200 || r.body["webhook_secret"] != nil || !strings.Contains(r.raw, `"method":"popup"`) {
		t.Errorf("read back: %d %s", r.status, r.raw)
	}
	if r := s.do(t, "PUT", "/reminder-settings", tok, `{"default_reminders":[{"minutes":1},{"minutes":2},{"minutes":3},{"minutes":4},{"minutes":5},{"minutes":6}]}`); r.status != 422 {
		t.Errorf("six defaults: %d", r.status)
	}
	cal := s.do(t, "POST", "/calendars", tok, `{"display_name":"Home"}`)
	ctx := context.Background()
	dora, _ := s.st.GetUserByName(ctx, "dora")
	c, _ := s.st.GetCalendarByUUID(ctx, cal.body["id"].(string))
	res, err := cals.PutObject(ctx, dora, c, "ev.ics", []byte(remindedEvent), store.Conditions{})
	if err != nil {
		t.Fatal(err)
	}
	path := "/calendars/" + cal.body["id"].(string) + "/default-reminders"
	if r := s.do(t, "PUT", path, tok, `{"default_reminders":[{"minutes":60,"method":"email"}]}`); r.status != 200 {
		t.Errorf("calendar defaults: %d %s", r.status, r.raw)
	}
	if r := s.do(t, "GET", path, tok, ""); !strings.Contains(r.raw, `"minutes":60`) {
		t.Errorf("calendar defaults read back: %s", r.raw)
	}
	// The event written before the change has the new default now.
	rows, _ := s.st.AlarmsOf(ctx, res.ObjectID)
	if len(rows) != 1 || store.FromMicro(rows[0].NextAt).Format("15:04") != "11:00" {
		t.Errorf("rows after the defaults changed: %+v", rows)
	}
}
