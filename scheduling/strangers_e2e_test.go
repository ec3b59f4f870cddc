package scheduling_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/almanac/almanac/account"
	"github.com/almanac/almanac/caldav"
	"github.com/almanac/almanac/calendar"
	"github.com/almanac/almanac/jsonapi"
	"github.com/almanac/almanac/mailer"
	"github.com/almanac/almanac/outbox"
	"github.com/almanac/almanac/scheduling"
	"github.com/almanac/almanac/store"
	"github.com/almanac/almanac/store/storetest"
	"github.com/go-chi/chi/v5"
)

// frontEnds is the server as cmd/almanac mounts it: the JSON API and
// CalDAV over one store, scheduling with the defaults (invitations from
// someone new are held), the outbox delivering.
type frontEnds struct {
	t      *testing.T
	st     *store.Store
	url    string
	tokens map[string]string
	users  map[string]*store.User
}

func startFrontEnds(t *testing.T, st *store.Store, names ...string) *frontEnds {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	handlers := map[string]outbox.Handler{}
	worker := outbox.New(st, outbox.Options{Handlers: handlers, Poll: 20 * time.Millisecond})
	sched := scheduling.New(st, scheduling.Options{MailFrom: "calendar@almanac.test", Kick: worker.Kick})
	cals := calendar.New(st, calendar.Options{Hooks: []calendar.Hook{sched}, Kick: worker.Kick})
	mail, _ := mailer.New(mailer.Config{DropDir: t.TempDir()})
	for k, h := range sched.Handlers(cals, mail, 4) {
		handlers[k] = h
	}
	acc := account.New(st, account.Options{AllowRegistration: true})
	r := chi.NewRouter()
	r.Mount("/api/v1", jsonapi.New(acc, cals, jsonapi.Options{Scheduler: sched}).Routes())
	r.Mount(caldav.Prefix, caldav.New(acc, cals, caldav.Options{Scheduler: sched}).Routes())
	srv := httptest.NewServer(r)
	done := make(chan struct{})
	go func() { worker.Run(ctx); close(done) }()
	t.Cleanup(func() { srv.Close(); cancel(); <-done })
	f := &frontEnds{t: t, st: st, url: srv.URL, tokens: map[string]string{}, users: map[string]*store.User{}}
	for _, n := range names {
		// Guests: the administrator's own accounts would know each other.
		u, err := acc.Create(ctx, account.NewUser{Name: n, Email: n + "@almanac.test", Password: "correct horse " + n, Guest: true})
		if err != nil {
			t.Fatal(err)
		}
		sess, err := acc.Login(ctx, n, "correct horse "+n, "127.0.0.1")
		if err != nil {
			t.Fatal(err)
		}
		f.users[n], f.tokens[n] = u, sess.Token
	}
	return f
}

func (f *frontEnds) api(method, path, user, body string) (int, []byte) {
	f.t.Helper()
	req, _ := http.NewRequest(method, f.url+"/api/v1"+path, strings.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+f.tokens[user])
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	return f.send(req)
}

func (f *frontEnds) dav(method, path, user, body string, hdr ...string) (int, []byte) {
	f.t.Helper()
	req, _ := http.NewRequest(method, f.url+path, strings.NewReader(body))
	req.SetBasicAuth(user, "correct horse "+user)
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	return f.send(req)
}

func (f *frontEnds) send(req *http.Request) (int, []byte) {
	f.t.Helper()
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		f.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, b
}

// wait polls cond: deliveries run in the outbox worker.
func (f *frontEnds) wait(what string, cond func() bool) {
	f.t.Helper()
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		if cond() {
			return
		}
	}
	f.t.Fatalf("timed out waiting for %s", what)
}

// defaultCalendar is user's calendar's JSON id.
func (f *frontEnds) defaultCalendar(user string) string {
	f.t.Helper()
	code, b := f.api("GET", "/calendars", user, "")
	var list []struct {
		ID   string `json:"id"`
		Name string `json:"name"`
	}
	if code != 200 || json.Unmarshal(b, &list) != nil || len(list) == 0 {
		f.t.Fatalf("%s's calendars: %d %s", user, code, b)
	}
	return list[0].ID
}

// monthView is how many instances user's calendar shows in January 2026,
// and whether the view was cut short.
func (f *frontEnds) monthView(user string) (int, bool) {
	f.t.Helper()
	code, b := f.api("GET", "/calendars/"+f.defaultCalendar(user)+"/view?view_type=month&date=2026-01-15", user, "")
	var v struct {
		Instances []json.RawMessage `json:"instances"`
		Truncated bool              `json:"truncated"`
	}
	if code != 200 || json.Unmarshal(b, &v) != nil {
		f.t.Fatalf("%s's month view: %d %.300s", user, code, b)
	}
	return len(v.Instances), v.Truncated
}

type inboxEntry struct {
	ID      string `json:"id"`
	EventID string `json:"event_id"`
	Status  string `json:"status"`
	Summary string `json:"summary"`
	Held    bool   `json:"held"`
}

// invitation is user's invitation to the event titled summary in their
// invitations inbox, nil when there is none.
func (f *frontEnds) invitation(user, summary string) *inboxEntry {
	f.t.Helper()
	code, b := f.api("GET", "/invitations?status=all", user, "")
	var list []inboxEntry
	if code != 200 || json.Unmarshal(b, &list) != nil {
		f.t.Fatalf("%s's invitations: %d %s", user, code, b)
	}
	for _, in := range list {
		if in.Summary == summary {
			return &in
		}
	}
	return nil
}

// inCalendar tells whether user has a copy of uid in a calendar.
func (f *frontEnds) inCalendar(user, uid string) bool {
	objs, err := f.st.ObjectsByUID(context.Background(), f.users[user].ID, uid)
	if err != nil {
		f.t.Fatal(err)
	}
	return len(objs) > 0
}

func (f *frontEnds) answer(organizer, uid, attendee string) string {
	objs, _ := f.st.ObjectsByUID(context.Background(), f.users[organizer].ID, uid)
	if len(objs) == 0 {
		return ""
	}
	data := string(objs[0].Data)
	i := strings.Index(data, "mailto:"+attendee+"@")
	if i < 0 {
		return ""
	}
	line := data[strings.LastIndex(data[:i], "ATTENDEE"):i]
	for _, ps := range []string{"ACCEPTED", "DECLINED", "TENTATIVE", "NEEDS-ACTION"} {
		if strings.Contains(strings.ReplaceAll(line, "\r\n ", ""), "PARTSTAT="+ps) {
			return ps
		}
	}
	return ""
}

func invitationFrom(organizer, attendee, uid, summary, rule string) string {
	return "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//test//EN\r\nBEGIN:VEVENT\r\nUID:" + uid + "\r\nDTSTAMP:20260101T000000Z\r\n" +
		"DTSTART:20260110T000000Z\r\nDURATION:PT1M\r\n" + rule + "SUMMARY:" + summary + "\r\n" +
		"ORGANIZER:mailto:" + organizer + "@almanac.test\r\nATTENDEE;PARTSTAT=ACCEPTED:mailto:" + organizer + "@almanac.test\r\n" +
		"ATTENDEE;PARTSTAT=NEEDS-ACTION;RSVP=TRUE:mailto:" + attendee + "@almanac.test\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n"
}

// TestStrangersInvitationHeld: through the real front ends, on both
// stores. Mallory, whom Bob has never dealt with, invites him over CalDAV
// to a meeting every minute, 50,000 times: it stays out of Bob's month
// view, free/busy and CalDAV calendar, and waits in his invitations inbox
// (JSON, marked held) and schedule inbox, where an update replaces it,
// until he accepts it; then it is in his calendar, Mallory has his
// answer, and her next invitation lands directly. Alice shares a
// calendar with Bob: her invitation lands directly. Bob declines Trent's
// invitation (it stays out), then takes everyone's invitations: Eve's
// lands directly.
func TestStrangersInvitationHeld(t *testing.T) {
	flood, err := os.ReadFile(filepath.Join("testdata", "every-minute.ics"))
	if err != nil {
		t.Fatal(err)
	}
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		f := startFrontEnds(t, st, "alice", "bob", "mallory", "trent", "eve")
		if code, b := f.api("GET", "/users/me", "bob", ""); code != 200 || !strings.Contains(string(b), `"invitations":"known"`) {
			t.Fatalf("bob's setting: %d %s", code, b)
		}

		// Mallory's flood, over CalDAV.
		if code, b := f.dav("PUT", "/dav/calendars/mallory/calendar/flood.ics", "mallory", string(flood), "Content-Type", "text/calendar"); code != http.StatusCreated && code != http.StatusNoContent {
			t.Fatalf("mallory's PUT: %d %s", code, b)
		}
		f.wait("the flood in bob's invitations inbox", func() bool { return f.invitation("bob", "Every minute") != nil })
		in := f.invitation("bob", "Every minute")
		if !in.Held || in.Status != "PENDING" {
			t.Fatalf("bob's invitation: %+v", in)
		}
		if n, trunc := f.monthView("bob"); n != 0 || trunc {
			t.Fatalf("bob's month view shows %d instances (truncated %v) of a held invitation", n, trunc)
		}
		if f.inCalendar("bob", "every-minute@almanac.test") {
			t.Fatal("the held invitation is in bob's calendar")
		}
		code, b := f.api("POST", "/freebusy", "alice", `{"start_time":"2026-01-01T00:00:00Z","end_time":"2026-02-01T00:00:00Z","users":["bob@almanac.test"]}`)
		if code != 200 || strings.Contains(string(b), `"busy"`) {
			t.Fatalf("bob's free/busy shows the held invitation: %d %.300s", code, b)
		}
		code, b = f.dav("PROPFIND", "/dav/calendars/bob/calendar/", "bob", `<D:propfind xmlns:D="DAV:"><D:prop><D:getetag/></D:prop></D:propfind>`, "Depth", "1")
		if code != http.StatusMultiStatus || strings.Contains(string(b), ".ics") {
			t.Fatalf("bob's CalDAV calendar lists the held invitation: %d %s", code, b)
		}
		code, b = f.dav("PROPFIND", "/dav/scheduling/bob/inbox/", "bob", `<D:propfind xmlns:D="DAV:"><D:prop><D:getetag/></D:prop></D:propfind>`, "Depth", "1")
		if code != http.StatusMultiStatus || !strings.Contains(string(b), ".ics") {
			t.Fatalf("bob's schedule inbox: %d %s", code, b)
		}

		// Mallory changes the title: the held copy follows.
		updated := strings.Replace(string(flood), "SUMMARY:Every minute", "SUMMARY:Every minute, really", 1)
		updated = strings.Replace(updated, "DTSTAMP:20260101T000000Z", "DTSTAMP:20260102T000000Z", 1)
		if code, b := f.dav("PUT", "/dav/calendars/mallory/calendar/flood.ics", "mallory", updated, "Content-Type", "text/calendar"); code != http.StatusNoContent && code != http.StatusCreated {
			t.Fatalf("mallory's update: %d %s", code, b)
		}
		f.wait("the update of the held copy", func() bool { return f.invitation("bob", "Every minute, really") != nil })
		in = f.invitation("bob", "Every minute, really")
		if !in.Held || f.inCalendar("bob", "every-minute@almanac.test") {
			t.Fatalf("the update took the invitation into the calendar: %+v", in)
		}

		// Bob accepts from his inbox: into his calendar, REPLY to Mallory.
		code, b = f.api("PUT", "/invitations/"+in.EventID+"/"+in.ID, "bob", `{"status":"ACCEPTED"}`)
		if code != 200 || !strings.Contains(string(b), `"status":"ACCEPTED"`) || strings.Contains(string(b), `"held":true`) {
			t.Fatalf("accept: %d %s", code, b)
		}
		if n, trunc := f.monthView("bob"); n == 0 && !trunc {
			t.Fatal("the accepted invitation is not in bob's month view")
		}
		f.wait("mallory to have bob's answer", func() bool { return f.answer("mallory", "every-minute@almanac.test", "bob") == "ACCEPTED" })
		if in := f.invitation("bob", "Every minute, really"); in == nil || in.Held {
			t.Fatalf("after accepting: %+v", in)
		}
		// Mallory is known now: her next invitation lands directly.
		if code, b := f.dav("PUT", "/dav/calendars/mallory/calendar/second.ics", "mallory",
			invitationFrom("mallory", "bob", "second@almanac.test", "Second", ""), "Content-Type", "text/calendar"); code != http.StatusCreated {
			t.Fatalf("mallory's second PUT: %d %s", code, b)
		}
		f.wait("mallory's second invitation in bob's calendar", func() bool { return f.inCalendar("bob", "second@almanac.test") })

		// Alice shares a calendar with Bob, then invites him in JSON.
		code, b = f.api("POST", "/calendars/"+f.defaultCalendar("alice")+"/collaborators", "alice", `{"email":"bob@almanac.test","role":"reader"}`)
		if code/100 != 2 {
			t.Fatalf("alice shares: %d %s", code, b)
		}
		code, b = f.api("POST", "/events", "alice", `{"calendar_id":"`+f.defaultCalendar("alice")+`","title":"Planning","start":{"date_time":"2026-01-12T10:00:00","time_zone":"UTC"},"end":{"date_time":"2026-01-12T11:00:00","time_zone":"UTC"},"attendees":[{"email":"bob@almanac.test"}]}`)
		if code != http.StatusCreated {
			t.Fatalf("alice's event: %d %s", code, b)
		}
		f.wait("alice's invitation in bob's calendar", func() bool {
			in := f.invitation("bob", "Planning")
			return in != nil && !in.Held
		})

		// Trent is a stranger: Bob declines, and the invitation stays out.
		if code, b := f.dav("PUT", "/dav/calendars/trent/calendar/t.ics", "trent",
			invitationFrom("trent", "bob", "trent@almanac.test", "Offer", ""), "Content-Type", "text/calendar"); code != http.StatusCreated {
			t.Fatalf("trent's PUT: %d %s", code, b)
		}
		f.wait("trent's invitation held", func() bool { in := f.invitation("bob", "Offer"); return in != nil && in.Held })
		in = f.invitation("bob", "Offer")
		if code, b := f.api("PUT", "/invitations/"+in.EventID+"/"+in.ID, "bob", `{"status":"DECLINED"}`); code != 200 || !strings.Contains(string(b), `"held":true`) {
			t.Fatalf("decline: %d %s", code, b)
		}
		f.wait("trent to have bob's answer", func() bool { return f.answer("trent", "trent@almanac.test", "bob") == "DECLINED" })
		if f.inCalendar("bob", "trent@almanac.test") {
			t.Fatal("a declined held invitation went into the calendar")
		}

		// Bob takes everyone's invitations: Eve's lands directly.
		if code, b := f.api("PATCH", "/users/"+f.users["bob"].UUID, "bob", `{"invitations":"everyone"}`); code != 200 || !strings.Contains(string(b), `"invitations":"everyone"`) {
			t.Fatalf("bob's setting: %d %s", code, b)
		}
		if code, b := f.api("PATCH", "/users/"+f.users["bob"].UUID, "bob", `{"invitations":"nobody"}`); code != http.StatusUnprocessableEntity {
			t.Fatalf("a bad setting: %d %s", code, b)
		}
		if code, b := f.dav("PUT", "/dav/calendars/eve/calendar/e.ics", "eve",
			invitationFrom("eve", "bob", "eve@almanac.test", "Party", ""), "Content-Type", "text/calendar"); code != http.StatusCreated {
			t.Fatalf("eve's PUT: %d %s", code, b)
		}
		f.wait("eve's invitation in bob's calendar", func() bool { return f.inCalendar("bob", "eve@almanac.test") })
	})
}
