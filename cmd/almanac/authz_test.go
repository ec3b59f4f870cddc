package main

import (
	"context"

	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/almanac/almanac/calendar"
	"github.com/almanac/almanac/jsonapi"
	"github.com/go-chi/chi/v5"
)

// The authorization matrix: every JSON route and every CalDAV method and
// report, tried by each kind of caller on a calendar of alice's, against a
// real server. A caller who may not know the calendar exists gets the same
// 404 as for one that does not; a free/busy viewer never sees a title.

// Callers, in the order of the want arrays.
const (
	owner = iota
	writer
	reader
	freebusy
	stranger
	anonymous
	nRoles
)

var roleNames = [nRoles]string{"owner", "writer", "reader", "freebusy", "stranger", "anonymous"}

// The users behind the roles; anonymous has none.
var roleUsers = [nRoles]string{"alice", "bob", "carol", "dave", "erin", ""}

const hidden = "Secret-Title-7f3a" // in alice's event: must not leak

type authzEnv struct {
	t      *testing.T
	url    string
	tokens map[string]string
	ids    map[string]string // user name → public id
	feed   string            // an ICS feed on loopback, for subscriptions
}

// fixture is a fresh calendar of alice's, shared with bob (writer), carol
// (reader) and dave (free/busy), holding one event with an invitation.
type fixture struct {
	calID, calName, eventID, invID string
	subID, subName                 string // a subscribed calendar, shared the same way
	remID                          string // alice's reminder of the event
}

// davEvent is the resource name of the event alice writes over CalDAV in
// every fixture.
const davEvent = "hidden.ics"

func TestAuthorizationMatrix(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the binary")
	}
	feed := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/calendar")
		_, _ = io.WriteString(w, "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//t//EN\r\nBEGIN:VEVENT\r\nUID:feed-1\r\nDTSTAMP:20260101T000000Z\r\nDTSTART:20260612T100000Z\r\nSUMMARY:"+hidden+"\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n")
	}))
	defer feed.Close()
	bin := buildBinary(t)
	dataDir := t.TempDir()
	n := startNode(t, bin, []string{"ALMANAC_DATA_DIR=" + dataDir, "ALMANAC_ALLOW_PRIVATE_FETCH=true"})
	env := &authzEnv{t: t, url: n.url, tokens: map[string]string{}, ids: map[string]string{}, feed: feed.URL + "/feed.ics"}
	for _, u := range append(roleUsers[:anonymous:anonymous], "frank") {
		code, body := env.json("", "POST", "/users/register", `{"name":"`+u+`","email":"`+u+`@example.com","password":"correct horse"}`)
		if code != 201 {
			t.Fatalf("register %s: %d %s", u, code, body)
		}
		verifyByMail(t, n.url, dataDir, u+"@example.com")
		_, body = env.json("", "POST", "/users/login", `{"login":"`+u+`","password":"correct horse"}`)
		var m struct {
			Token string `json:"token"`
			User  struct {
				ID string `json:"id"`
			} `json:"user"`
		}
		_ = json.Unmarshal([]byte(body), &m)
		env.tokens[u], env.ids[u] = m.Token, m.User.ID
	}
	shared := env.newFixture()
	t.Run("json", func(t *testing.T) {
		for _, c := range jsonCases {
			for role := range nRoles {
				f := shared
				if c.mutates {
					f = env.newFixture()
				}
				env.checkJSON(t, c, role, f)
			}
		}
	})
	t.Run("caldav", func(t *testing.T) {
		for _, c := range davCases {
			for role := range nRoles {
				f := shared
				if c.mutates {
					f = env.newFixture()
				}
				env.checkDAV(t, c, role, f)
			}
		}
	})
	n.stop(t)
}

// json sends a JSON API request as user ("" for nobody).
func (e *authzEnv) json(user, method, path, body string, hdr ...string) (int, string) {
	return e.send(method, e.url+"/api/v1"+path, body, "application/json", e.tokens[user], "", hdr...)
}

// dav sends a CalDAV request as user with HTTP Basic.
func (e *authzEnv) dav(user, method, path, body string, hdr ...string) (int, string) {
	return e.send(method, e.url+path, body, "application/xml; charset=utf-8", "", user, hdr...)
}

func (e *authzEnv) send(method, url, body, ctype, token, basicUser string, hdr ...string) (int, string) {
	e.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, method, url, strings.NewReader(body))
	if body != "" {
		req.Header.Set("Content-Type", ctype)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	if basicUser != "" {
		req.SetBasicAuth(basicUser, "correct horse")
	}
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		e.t.Fatalf("%s %s: %v", method, url, err)
	}
	defer resp.Body.Close()
	// A stream answers 200 and stays open: read only what is there.
	if strings.HasPrefix(resp.Header.Get("Content-Type"), "text/event-stream") {
		return resp.StatusCode, ""
	}
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

func (e *authzEnv) newFixture() fixture {
	t := e.t
	t.Helper()
	var f fixture
	_, body := e.json("alice", "POST", "/calendars", `{"display_name":"Team","description":"`+hidden+`"}`)
	f.calID = field(body, "id")
	f.calName = lastSegment(field(body, "caldav_url")) // named after its display name; sharees find it under its id
	code, body := e.json("alice", "POST", "/subscriptions", `{"url":"`+e.feed+`","display_name":"Feed"}`)
	var sub struct {
		Calendar struct {
			ID        string `json:"id"`
			CalDAVURL string `json:"caldav_url"`
		} `json:"calendar"`
	}
	_ = json.Unmarshal([]byte(body), &sub)
	f.subName = lastSegment(sub.Calendar.CalDAVURL)
	if f.subID = sub.Calendar.ID; code != 201 || f.subID == "" {
		t.Fatalf("subscribe: %d %s", code, body)
	}
	for _, id := range []string{f.calID, f.subID} {
		for user, role := range map[string]string{"bob": "writer", "carol": "reader", "dave": "freebusy"} {
			if code, body := e.json("alice", "POST", "/calendars/"+id+"/share", `{"user_id":"`+e.ids[user]+`","role":"`+role+`"}`); code != 201 {
				t.Fatalf("share %s with %s: %d %s", id, user, code, body)
			}
		}
	}
	code, body = e.json("alice", "POST", "/events", `{"calendar_id":"`+f.calID+`","title":"`+hidden+`","description":"`+hidden+`",
		"start":{"date_time":"2026-06-10T10:00:00","time_zone":"Europe/Berlin"},"end":{"date_time":"2026-06-10T11:00:00","time_zone":"Europe/Berlin"}}`)
	if code != 201 {
		t.Fatalf("event: %d %s", code, body)
	}
	f.eventID = field(body, "id")
	code, body = e.json("alice", "POST", "/invitations/"+f.eventID, `{"email":"zed@example.org"}`)
	if code != 201 {
		t.Fatalf("invitation: %d %s", code, body)
	}
	f.invID = field(body, "id")
	code, body = e.json("alice", "POST", "/reminders/"+f.eventID, `{"minutes":10}`)
	if code != 201 {
		t.Fatalf("reminder: %d %s", code, body)
	}
	f.remID = field(body, "id")
	ev := "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//t//EN\r\nBEGIN:VEVENT\r\nUID:dav-hidden\r\nDTSTAMP:20260101T000000Z\r\n" +
		"DTSTART:20260611T100000Z\r\nDTEND:20260611T110000Z\r\nSUMMARY:" + hidden + "\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n"
	if code, body := e.dav("alice", "PUT", davCalendar(owner, f.calName, f.calID)+davEvent, ev, "Content-Type", "text/calendar"); code != 201 {
		t.Fatalf("CalDAV event: %d %s", code, body)
	}
	return f
}

func field(body, name string) string {
	var m map[string]any
	_ = json.Unmarshal([]byte(body), &m)
	s, _ := m[name].(string)
	return s
}

// lastSegment is the calendar's name in a CalDAV URL such as
// /dav/calendars/alice/team-2/.
func lastSegment(u string) string {
	u = strings.TrimSuffix(u, "/")
	return u[strings.LastIndexByte(u, '/')+1:]
}

// fill puts the fixture's ids into a path or body.
func (e *authzEnv) fill(s string, f fixture, role int) string {
	r := strings.NewReplacer("{cal}", f.calID, "{event}", f.eventID, "{inv}", f.invID, "{sub}", f.subID, "{rem}", f.remID,
		"{prop}", "6b1f5c2e-0d6a-4f43-9a51-3f0e8f1c2d7a",
		"{carol}", e.ids["carol"], "{alice}", e.ids["alice"], "{frank}", e.ids["frank"],
		"{home}", davHome(role), "{feed}", e.feed, "{calpath}", davCalendar(role, f.calName, f.calID), "{subpath}", davCalendar(role, f.subName, f.subID))
	return r.Replace(s)
}

// davHome is the caller's own calendar home.
func davHome(role int) string {
	u := roleUsers[role]
	if u == "" {
		u = "alice"
	}
	return "/dav/calendars/" + u + "/"
}

// davCalendar is where the caller finds alice's calendar: in alice's home
// under its name for her, in their own home under its id (the name of a
// share) for those it is shared with, and in alice's home (where they
// cannot reach it) for everyone else.
func davCalendar(role int, name, id string) string {
	switch role {
	case writer, reader, freebusy:
		return davHome(role) + id + "/"
	}
	return "/dav/calendars/alice/" + name + "/"
}

type authzCase struct {
	name    string
	method  string
	path    string
	body    string
	hdr     []string
	mutates bool
	want    [nRoles]int
}

func (e *authzEnv) checkJSON(t *testing.T, c authzCase, role int, f fixture) {
	t.Helper()
	if c.want[role] == 0 {
		return // covered elsewhere: it would end the fixture's sessions or users
	}
	code, body := e.json(roleUsers[role], c.method, e.fill(c.path, f, role), e.fill(c.body, f, role), c.hdr...)
	e.verdict(t, c, role, code, body)
}

func (e *authzEnv) checkDAV(t *testing.T, c authzCase, role int, f fixture) {
	t.Helper()
	var hdr []string
	for _, h := range c.hdr {
		hdr = append(hdr, e.fill(h, f, role))
	}
	code, body := e.dav(roleUsers[role], c.method, e.fill(c.path, f, role), e.fill(c.body, f, role), hdr...)
	e.verdict(t, c, role, code, body)
}

func (e *authzEnv) verdict(t *testing.T, c authzCase, role, code int, body string) {
	t.Helper()
	if role == stranger && placeholderRE.MatchString(c.path+c.body) {
		e.sameAsMissing(t, c, code, body)
	}
	if code != c.want[role] {
		t.Errorf("%s as %s: status %d, want %d\n%s", c.name, roleNames[role], code, c.want[role], trim(body))
	}
	if role >= freebusy && strings.Contains(body, hidden) {
		t.Errorf("%s as %s: the answer shows what this caller may not see:\n%s", c.name, roleNames[role], trim(body))
	}
}

func trim(s string) string {
	if len(s) > 600 {
		return s[:600] + "…"
	}
	return s
}

// row builds a want array: owner, writer, reader, free/busy, stranger,
// anonymous.
func row(o, w, r, f, s, a int) [nRoles]int { return [nRoles]int{o, w, r, f, s, a} }

var jsonCases = []authzCase{
	{name: "list calendars", method: "GET", path: "/calendars", want: row(200, 200, 200, 200, 200, 401)},
	{name: "create calendar", method: "POST", path: "/calendars", body: `{"display_name":"Mine"}`, want: row(201, 201, 201, 201, 201, 401)},
	{name: "get calendar", method: "GET", path: "/calendars/{cal}", want: row(200, 200, 200, 200, 404, 401)},
	{name: "edit calendar", method: "PATCH", path: "/calendars/{cal}", body: `{"description":"changed"}`, mutates: true, want: row(200, 403, 403, 403, 404, 401)},
	{name: "replace calendar", method: "PUT", path: "/calendars/{cal}", body: `{"description":"changed"}`, mutates: true, want: row(200, 403, 403, 403, 404, 401)},
	{name: "recolour own view", method: "PATCH", path: "/calendars/{cal}", body: `{"color":"#123456"}`, mutates: true, want: row(200, 200, 200, 200, 404, 401)},
	{name: "delete or leave calendar", method: "DELETE", path: "/calendars/{cal}", mutates: true, want: row(204, 204, 204, 204, 404, 401)},
	{name: "share", method: "POST", path: "/calendars/{cal}/share", body: `{"user_id":"{frank}","role":"reader"}`, mutates: true, want: row(201, 403, 403, 403, 404, 401)},
	{name: "list collaborators", method: "GET", path: "/calendars/{cal}/collaborators", want: row(200, 200, 200, 403, 404, 401)},
	{name: "add collaborator", method: "POST", path: "/calendars/{cal}/collaborators", body: `{"user_id":"{frank}","role":"reader"}`, mutates: true, want: row(201, 403, 403, 403, 404, 401)},
	{name: "change role", method: "PUT", path: "/calendars/{cal}/collaborators/{carol}", body: `{"role":"writer"}`, mutates: true, want: row(200, 403, 403, 403, 404, 401)},
	{name: "change role (patch)", method: "PATCH", path: "/calendars/{cal}/collaborators/{carol}", body: `{"role":"writer"}`, mutates: true, want: row(200, 403, 403, 403, 404, 401)},
	// Carol (the reader) may take herself off; nobody else but the owner may.
	{name: "remove collaborator", method: "DELETE", path: "/calendars/{cal}/collaborators/{carol}", mutates: true, want: row(204, 403, 204, 403, 404, 401)},
	{name: "calendar's events", method: "GET", path: "/calendars/{cal}/events", want: row(200, 200, 200, 403, 404, 401)},
	{name: "calendar view", method: "GET", path: "/calendars/{cal}/view?view_type=month&date=2026-06-15", want: row(200, 200, 200, 200, 404, 401)},
	{name: "events of a calendar", method: "GET", path: "/events?calendar_id={cal}&start_time=2026-06-01T00:00:00Z&end_time=2026-07-01T00:00:00Z", want: row(200, 200, 200, 403, 404, 401)},
	// A user none of whose calendars the caller sees is like no user at all.
	{name: "events of a user", method: "GET", path: "/events?user_id={alice}&start_time=2026-06-01T00:00:00Z&end_time=2026-07-01T00:00:00Z", want: row(200, 200, 200, 200, 404, 401)},
	// A calendar_id the caller cannot see is a field error, as for one that
	// does not exist (the stranger check below compares the two).
	{name: "create event", method: "POST", path: "/events", body: `{"calendar_id":"{cal}","title":"New","start":{"date":"2026-06-20"},"end":{"date":"2026-06-21"}}`, mutates: true, want: row(201, 201, 403, 403, 422, 401)},
	{name: "get event", method: "GET", path: "/events/{event}", want: row(200, 200, 200, 403, 404, 401)},
	{name: "edit event", method: "PATCH", path: "/events/{event}", body: `{"location":"Room 2"}`, mutates: true, want: row(200, 200, 403, 403, 404, 401)},
	{name: "replace event", method: "PUT", path: "/events/{event}", body: `{"title":"Replaced","start":{"date":"2026-06-20"},"end":{"date":"2026-06-21"}}`, mutates: true, want: row(200, 200, 403, 403, 404, 401)},
	{name: "delete event", method: "DELETE", path: "/events/{event}", mutates: true, want: row(204, 204, 403, 403, 404, 401)},
	// Free-busy answers per calendar; one the caller cannot see is reported
	// like one that does not exist.
	{name: "free-busy", method: "POST", path: "/freebusy", body: `{"calendars":["{cal}"],"start_time":"2026-06-01T00:00:00Z","end_time":"2026-07-01T00:00:00Z"}`, want: row(200, 200, 200, 200, 200, 401)},
	{name: "my invitations", method: "GET", path: "/invitations", want: row(200, 200, 200, 200, 200, 401)},
	{name: "invite", method: "POST", path: "/invitations/{event}", body: `{"email":"yan@example.org"}`, mutates: true, want: row(201, 201, 403, 404, 404, 401)},
	{name: "event's invitations", method: "GET", path: "/invitations/{event}", want: row(200, 200, 200, 404, 404, 401)},
	{name: "get invitation", method: "GET", path: "/invitations/{event}/{inv}", want: row(200, 200, 200, 404, 404, 401)},
	// Only the invitee answers; zed is outside the server.
	{name: "answer invitation", method: "PUT", path: "/invitations/{event}/{inv}", body: `{"status":"ACCEPTED"}`, mutates: true, want: row(403, 403, 403, 404, 404, 401)},
	{name: "remove invitation", method: "DELETE", path: "/invitations/{event}/{inv}", mutates: true, want: row(204, 204, 403, 404, 404, 401)},
	{name: "resend invitation", method: "POST", path: "/invitations/{event}/{inv}/resend", mutates: true, want: row(202, 202, 403, 404, 404, 401)},
	// The fixture's event has no proposals: those who may answer them learn
	// that one does not exist, a reader that they may not.
	{name: "event's proposals", method: "GET", path: "/events/{event}/proposals", want: row(200, 200, 403, 404, 404, 401)},
	{name: "accept proposal", method: "POST", path: "/events/{event}/proposals/{prop}/accept", mutates: true, want: row(404, 404, 403, 404, 404, 401)},
	{name: "decline proposal", method: "POST", path: "/events/{event}/proposals/{prop}/decline", mutates: true, want: row(404, 404, 403, 404, 404, 401)},
	// Reminders are each caller's own: sharees who may read the event keep
	// theirs (per-user data) and do not see alice's.
	{name: "event's reminders", method: "GET", path: "/reminders/{event}", want: row(200, 200, 200, 404, 404, 401)},
	{name: "add reminder", method: "POST", path: "/reminders/{event}", body: `{"minutes":5}`, mutates: true, want: row(201, 201, 201, 404, 404, 401)},
	{name: "get reminder", method: "GET", path: "/reminders/{event}/{rem}", want: row(200, 404, 404, 404, 404, 401)},
	{name: "remove reminder", method: "DELETE", path: "/reminders/{event}/{rem}", mutates: true, want: row(204, 404, 404, 404, 404, 401)},
	{name: "dismiss reminder", method: "POST", path: "/reminders/{event}/{rem}/dismiss", mutates: true, want: row(200, 404, 404, 404, 404, 401)},
	{name: "snooze reminder", method: "POST", path: "/reminders/{event}/{rem}/snooze", body: `{"minutes":5}`, mutates: true, want: row(201, 404, 404, 404, 404, 401)},
	{name: "reminder settings", method: "GET", path: "/reminder-settings", want: row(200, 200, 200, 200, 200, 401)},
	{name: "set reminder settings", method: "PUT", path: "/reminder-settings", body: `{"default_reminders":[{"minutes":10}]}`, want: row(200, 200, 200, 200, 200, 401)},
	{name: "default reminders", method: "GET", path: "/calendars/{cal}/default-reminders", want: row(200, 200, 200, 403, 404, 401)},
	{name: "set default reminders", method: "PUT", path: "/calendars/{cal}/default-reminders", body: `{"default_reminders":[{"minutes":15}]}`, mutates: true, want: row(200, 200, 200, 403, 404, 401)},
	{name: "import", method: "POST", path: "/calendars/{cal}/import", body: "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//t//EN\r\nBEGIN:VEVENT\r\nUID:imp-1\r\nDTSTAMP:20260101T000000Z\r\nDTSTART:20260615T100000Z\r\nSUMMARY:Imported\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n", hdr: []string{"Content-Type", "text/calendar"}, mutates: true, want: row(200, 200, 403, 403, 404, 401)},
	// Free/busy viewers get the busy periods only.
	{name: "export", method: "GET", path: "/calendars/{cal}/export.ics", want: row(200, 200, 200, 200, 404, 401)},
	{name: "get publication", method: "GET", path: "/calendars/{cal}/publication", want: row(404, 403, 403, 403, 404, 401)},
	{name: "publish", method: "PUT", path: "/calendars/{cal}/publication", body: `{"level":"busy"}`, mutates: true, want: row(201, 403, 403, 403, 404, 401)},
	{name: "unpublish", method: "DELETE", path: "/calendars/{cal}/publication", mutates: true, want: row(404, 403, 403, 403, 404, 401)},
	{name: "rotate publication", method: "POST", path: "/calendars/{cal}/publication/rotate", mutates: true, want: row(404, 403, 403, 403, 404, 401)},
	{name: "subscribe", method: "POST", path: "/subscriptions", body: `{"url":"{feed}"}`, want: row(201, 201, 201, 201, 201, 401)},
	{name: "get source", method: "GET", path: "/calendars/{sub}/source", want: row(200, 403, 403, 403, 404, 401)},
	{name: "edit source", method: "PATCH", path: "/calendars/{sub}/source", body: `{"refresh_interval":"PT2H"}`, mutates: true, want: row(200, 403, 403, 403, 404, 401)},
	{name: "refresh source", method: "POST", path: "/calendars/{sub}/source/refresh", mutates: true, want: row(200, 403, 403, 403, 404, 401)},
	{name: "write to a subscription", method: "POST", path: "/events", body: `{"calendar_id":"{sub}","title":"x","start":{"date":"2026-06-20"},"end":{"date":"2026-06-21"}}`, mutates: true, want: row(403, 403, 403, 403, 422, 401)},
	{name: "alice's profile", method: "GET", path: "/users/{alice}", want: row(200, 404, 404, 404, 404, 401)},
	{name: "edit alice's profile", method: "PATCH", path: "/users/{alice}", body: `{"display_name":"A"}`, want: row(200, 404, 404, 404, 404, 401)},
	{name: "alice's app passwords", method: "GET", path: "/users/{alice}/app-passwords", want: row(200, 404, 404, 404, 404, 401)},
	{name: "replace alice's profile", method: "PUT", path: "/users/{alice}", body: `{"display_name":"A"}`, want: row(200, 404, 404, 404, 404, 401)},
	{name: "delete alice", method: "DELETE", path: "/users/{alice}", want: row(0, 404, 404, 404, 404, 401)},
	{name: "make alice an app password", method: "POST", path: "/users/{alice}/app-passwords", body: `{"name":"x"}`, want: row(201, 404, 404, 404, 404, 401)},
	{name: "revoke alice's app password", method: "DELETE", path: "/users/{alice}/app-passwords/x", want: row(204, 404, 404, 404, 404, 401)},
	// Alice's own request depends on when her last link went out
	// (jsonapi's TestEmailVerification covers it).
	{name: "send alice a verification link", method: "POST", path: "/users/{alice}/email-verification", want: row(0, 404, 404, 404, 404, 401)},
	{name: "me", method: "GET", path: "/users/me", want: row(200, 200, 200, 200, 200, 401)},
	{name: "log out", method: "POST", path: "/users/logout", want: row(0, 0, 0, 0, 0, 401)},
	{name: "stream", method: "GET", path: "/stream", want: row(200, 200, 200, 200, 200, 401)},
}

// public routes need no caller; the matrix has nothing to decide for them.
var publicRoutes = map[string]bool{"GET /openapi.json": true, "POST /users/register": true, "POST /users/login": true,
	"POST /users/verify-email": true}

// TestAuthorizationMatrixCoversEveryRoute fails when a route of the JSON
// API has no row in the matrix.
func TestAuthorizationMatrixCoversEveryRoute(t *testing.T) {
	covered := map[string]bool{}
	for _, c := range jsonCases {
		covered[c.method+" "+routeOf(c.path)] = true
	}
	api := jsonapi.New(nil, calendar.New(nil, calendar.Options{}), jsonapi.Options{})
	err := chi.Walk(api.Routes().(chi.Routes), func(method, route string, _ http.Handler, _ ...func(http.Handler) http.Handler) error {
		key := method + " " + strings.TrimSuffix(route, "/")
		if !covered[key] && !publicRoutes[key] {
			t.Errorf("%s has no row in the authorization matrix", key)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// routeOf turns a matrix path back into the route pattern it exercises.
func routeOf(path string) string {
	path, _, _ = strings.Cut(path, "?")
	if strings.HasPrefix(path, "/invitations/") || strings.HasPrefix(path, "/reminders/") {
		path = strings.Replace(path, "{event}", "{event_id}", 1)
	}
	return strings.NewReplacer("{prop}", "{proposal_id}", "{rem}", "{id}", "{cal}", "{id}", "{sub}", "{id}", "{event}", "{id}", "{inv}", "{id}",
		"{alice}", "{id}", "{carol}", "{user_id}", "/app-passwords/x", "/app-passwords/{name}").Replace(path)
}

const (
	propfindCal = `<?xml version="1.0"?><D:propfind xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:ns:caldav"><D:prop><D:displayname/><C:calendar-description/><D:current-user-privilege-set/><D:getetag/></D:prop></D:propfind>`
	queryBody   = `<?xml version="1.0"?><C:calendar-query xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:ns:caldav"><D:prop><D:getetag/><C:calendar-data/></D:prop><C:filter><C:comp-filter name="VCALENDAR"><C:comp-filter name="VEVENT"><C:time-range start="20260601T000000Z" end="20260701T000000Z"/></C:comp-filter></C:comp-filter></C:filter></C:calendar-query>`
	multiget    = `<?xml version="1.0"?><C:calendar-multiget xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:ns:caldav"><D:prop><D:getetag/><C:calendar-data/></D:prop><D:href>{calpath}hidden.ics</D:href></C:calendar-multiget>`
	syncBody    = `<?xml version="1.0"?><D:sync-collection xmlns:D="DAV:"><D:sync-token/><D:sync-level>1</D:sync-level><D:prop><D:getetag/></D:prop></D:sync-collection>`
	freeBusy    = `<?xml version="1.0"?><C:free-busy-query xmlns:C="urn:ietf:params:xml:ns:caldav"><C:time-range start="20260601T000000Z" end="20260701T000000Z"/></C:free-busy-query>`
	patchName   = `<?xml version="1.0"?><D:propertyupdate xmlns:D="DAV:"><D:set><D:prop><D:displayname>Mine</D:displayname></D:prop></D:set></D:propertyupdate>`
	shareBody   = `<?xml version="1.0"?><CS:share xmlns:D="DAV:" xmlns:CS="http://calendarserver.org/ns/"><CS:set><D:href>mailto:frank@example.com</D:href><CS:read/></CS:set></CS:share>`
	newEvent    = "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//t//EN\r\nBEGIN:VEVENT\r\nUID:dav-new\r\nDTSTAMP:20260101T000000Z\r\nDTSTART:20260616T100000Z\r\nSUMMARY:New\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n"
)

// davCases use the event alice wrote over CalDAV (davEvent).
var davCases = []authzCase{
	{name: "OPTIONS calendar", method: "OPTIONS", path: "{calpath}", want: row(200, 200, 200, 200, 404, 401)},
	{name: "PROPFIND calendar", method: "PROPFIND", path: "{calpath}", body: propfindCal, hdr: []string{"Depth", "0"}, want: row(207, 207, 207, 207, 404, 401)},
	{name: "PROPFIND members", method: "PROPFIND", path: "{calpath}", body: propfindCal, hdr: []string{"Depth", "1"}, want: row(207, 207, 207, 207, 404, 401)},
	{name: "PROPFIND home", method: "PROPFIND", path: "{home}", body: propfindCal, hdr: []string{"Depth", "1"}, want: row(207, 207, 207, 207, 207, 401)},
	{name: "PROPPATCH name", method: "PROPPATCH", path: "{calpath}", body: patchName, mutates: true, want: row(207, 207, 207, 207, 404, 401)},
	{name: "share by POST", method: "POST", path: "{calpath}", body: shareBody, mutates: true, want: row(200, 403, 403, 403, 404, 401)},
	{name: "GET event", method: "GET", path: "{calpath}hidden.ics", want: row(200, 200, 200, 403, 404, 401)},
	{name: "PUT new event", method: "PUT", path: "{calpath}new.ics", body: newEvent, hdr: []string{"Content-Type", "text/calendar"}, mutates: true, want: row(201, 201, 403, 403, 404, 401)},
	{name: "DELETE event", method: "DELETE", path: "{calpath}hidden.ics", mutates: true, want: row(204, 204, 403, 403, 404, 401)},
	{name: "MOVE event", method: "MOVE", path: "{calpath}hidden.ics", hdr: []string{"Destination", "{calpath}moved.ics"}, mutates: true, want: row(201, 201, 403, 403, 404, 401)},
	{name: "calendar-query", method: "REPORT", path: "{calpath}", body: queryBody, hdr: []string{"Depth", "1"}, want: row(207, 207, 207, 403, 404, 401)},
	{name: "calendar-multiget", method: "REPORT", path: "{calpath}", body: multiget, want: row(207, 207, 207, 403, 404, 401)},
	{name: "sync-collection", method: "REPORT", path: "{calpath}", body: syncBody, want: row(207, 207, 207, 403, 404, 401)},
	{name: "free-busy-query", method: "REPORT", path: "{calpath}", body: freeBusy, want: row(200, 200, 200, 200, 404, 401)},
	{name: "PUT to a subscription", method: "PUT", path: "{subpath}new.ics", body: newEvent, hdr: []string{"Content-Type", "text/calendar"}, mutates: true, want: row(403, 403, 403, 403, 404, 401)},
	{name: "DELETE calendar", method: "DELETE", path: "{calpath}", mutates: true, want: row(204, 204, 204, 204, 404, 401)},
}

// sameAsMissing checks that what a stranger gets for alice's calendar is
// what anyone gets for a calendar that does not exist: same status, same
// answer once the ids are blanked out.
func (e *authzEnv) sameAsMissing(t *testing.T, c authzCase, code int, body string) {
	t.Helper()
	missing := fixture{calID: "00000000-0000-4000-8000-000000000000", calName: "00000000-0000-4000-8000-000000000000",
		eventID: "00000000-0000-4000-8000-000000000001", invID: "00000000000000000000", remID: "00000000000000000000",
		subID: "00000000-0000-4000-8000-000000000003", subName: "00000000-0000-4000-8000-000000000003"}
	var code2 int
	var body2 string
	if strings.HasPrefix(c.path, "/dav/") || strings.HasPrefix(c.path, "{") {
		var hdr []string
		for _, h := range c.hdr {
			hdr = append(hdr, e.fill(h, missing, stranger))
		}
		code2, body2 = e.dav("erin", c.method, e.fill(c.path, missing, stranger), e.fill(c.body, missing, stranger), hdr...)
	} else {
		code2, body2 = e.json("erin", c.method, e.fill(c.path, missing, stranger), e.fill(c.body, missing, stranger), c.hdr...)
	}
	if code2 != code || blankIDs(body2) != blankIDs(body) {
		t.Errorf("%s: a stranger can tell alice's calendar from a missing one:\n%d %s\n%d %s", c.name, code, trim(body), code2, trim(body2))
	}
}

var (
	uuidRE        = regexp.MustCompile(`[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}|[0-9a-f]{16,}`)
	placeholderRE = regexp.MustCompile(`\{(cal|event|inv|rem|sub|calpath|subpath)\}`)
)

func blankIDs(s string) string { return uuidRE.ReplaceAllString(s, "ID") }
