package scheduling_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/almanac/almanac/account"
	"github.com/almanac/almanac/caldav"
	"github.com/almanac/almanac/icalendar"
	"github.com/almanac/almanac/itip"
	"github.com/almanac/almanac/jsonapi"
	"github.com/almanac/almanac/store"
	"github.com/almanac/almanac/store/storetest"
	"github.com/go-chi/chi/v5"
)

// dav serves CalDAV over the server's calendars, as cmd/almanac mounts it.
func (s *server) dav(t *testing.T) func(user, method, path, body string) (int, string) {
	t.Helper()
	acc := account.New(s.st, account.Options{})
	r := chi.NewRouter()
	r.Mount(caldav.Prefix, caldav.New(acc, s.cals, caldav.Options{Scheduler: s.sched}).Routes())
	srv := httptest.NewServer(r)
	t.Cleanup(srv.Close)
	return func(user, method, path, body string) (int, string) {
		t.Helper()
		req, _ := http.NewRequest(method, srv.URL+path, strings.NewReader(body))
		req.SetBasicAuth(user, "correct horse "+user)
		if body != "" {
			req.Header.Set("Content-Type", "text/calendar")
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
}

// mailAnswer reads, from the newest mail in the sink, the method and
// the attendee's PARTSTAT and RSVP in the event's master.
func mailAnswer(t *testing.T, file, addr string) string {
	t.Helper()
	raw, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	in, err := itip.ParseMail(bytes.NewReader(raw))
	if err != nil {
		t.Fatal(err)
	}
	c := in.Message.Components[0]
	p := itip.FindAttendee(c.Component, itip.MailtoOf(addr))
	if p == nil {
		return in.Message.Method + " without " + addr
	}
	return in.Message.Method + " " + itip.PartStat(c.Component, itip.MailtoOf(addr)) + ";RSVP=" + p.Params.Get("RSVP")
}

// TestAnswersAcrossChanges drives the rules of "Answers across changes"
// through the front ends: invitations made over JSON ask for a reply; a
// move over JSON and a new room over CalDAV (without a new SEQUENCE) ask
// everyone again, in the organizer's copy, the attendee's and the mail; an
// alarm sends nothing; someone removed and invited again starts
// unanswered; an occurrence the attendee deletes over CalDAV is declined
// to the organizer.
func TestAnswersAcrossChanges(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		relay, maildir := startSink(t)
		s := startServer(t, st, relay)
		dav := s.dav(t)
		ctx := context.Background()
		code, body := s.api("POST", "/calendars", "alice", `{"display_name":"Work"}`)
		if code != 201 {
			t.Fatalf("calendar: %d %s", code, body)
		}
		var cal struct {
			ID        string `json:"id"`
			CalDAVURL string `json:"caldav_url"`
		}
		json.Unmarshal(body, &cal)

		// Invited over JSON: Bob and Carol asked to reply, Dave not.
		code, body = s.api("POST", "/events", "alice", `{"calendar_id":"`+cal.ID+`","uid":"answers@almanac.test","title":"Planning",
			"start":{"date_time":"2026-03-02T09:00:00","time_zone":"Europe/Berlin"},"end":{"date_time":"2026-03-02T10:00:00","time_zone":"Europe/Berlin"},
			"recurrence":["RRULE:FREQ=WEEKLY;COUNT=4"],
			"attendees":[{"email":"bob@almanac.test"},{"email":"carol@example.net"},{"email":"dave@example.net","rsvp":false}]}`)
		if code != 201 {
			t.Fatalf("create: %d %s", code, body)
		}
		var ev jsonapi.Event
		json.Unmarshal(body, &ev)
		rsvp := map[string]string{}
		for _, a := range ev.Attendees {
			if a.RSVP != nil {
				rsvp[a.Email] = map[bool]string{true: "true", false: "false"}[*a.RSVP]
			}
		}
		if rsvp["bob@almanac.test"] != "true" || rsvp["carol@example.net"] != "true" || rsvp["dave@example.net"] != "false" {
			t.Errorf("rsvp as created: %v", rsvp)
		}
		eventually(t, "the invitations by mail", 10*time.Second, func() bool { return len(mails(t, maildir)) == 2 })
		for _, f := range mails(t, maildir) {
			got := mailAnswer(t, f, "carol@example.net") + " " + mailAnswer(t, f, "dave@example.net")
			if got != "REQUEST NEEDS-ACTION;RSVP=TRUE REQUEST NEEDS-ACTION;RSVP=FALSE" {
				t.Errorf("invitation mail: %s", got)
			}
		}
		eventually(t, "bob's copy", 5*time.Second, func() bool { return s.partstat("bob", "answers@almanac.test", "bob@almanac.test") != "" })

		// Bob accepts over JSON.
		code, body = s.api("GET", "/invitations?status=pending", "bob", "")
		var pending []jsonapi.Invitation
		json.Unmarshal(body, &pending)
		if code != 200 || len(pending) != 1 {
			t.Fatalf("bob's invitations: %d %s", code, body)
		}
		if code, body = s.api("PUT", "/invitations/"+pending[0].EventID+"/"+pending[0].ID, "bob", `{"status":"ACCEPTED"}`); code != 200 {
			t.Fatalf("bob's answer: %d %s", code, body)
		}
		eventually(t, "bob's answer at alice", 5*time.Second, func() bool { return s.partstat("alice", "answers@almanac.test", "bob@almanac.test") == "ACCEPTED" })

		// Alice moves the meeting over JSON: the answer she gets shows
		// Bob asked again, and so do his copy and Carol's update.
		code, body = s.api("PATCH", "/events/"+ev.ID, "alice", `{"start":{"date_time":"2026-03-02T11:00:00","time_zone":"Europe/Berlin"},"end":{"date_time":"2026-03-02T12:00:00","time_zone":"Europe/Berlin"}}`)
		if code != 200 {
			t.Fatalf("move: %d %s", code, body)
		}
		var moved jsonapi.Event
		json.Unmarshal(body, &moved)
		for _, a := range moved.Attendees {
			if a.Email == "bob@almanac.test" && (a.Status != "needs-action" || a.RSVP == nil || !*a.RSVP) {
				t.Errorf("bob in the moved event: %+v", a)
			}
		}
		eventually(t, "bob asked again", 5*time.Second, func() bool { return s.partstat("bob", "answers@almanac.test", "bob@almanac.test") == "NEEDS-ACTION" })
		eventually(t, "the updates by mail", 10*time.Second, func() bool { return len(mails(t, maildir)) == 4 })

		// A new room over CalDAV, by a client that leaves SEQUENCE alone.
		if code, body = s.api("PUT", "/invitations/"+pending[0].EventID+"/"+pending[0].ID, "bob", `{"status":"ACCEPTED"}`); code != 200 {
			t.Fatalf("bob's second answer: %d %s", code, body)
		}
		eventually(t, "bob's second answer at alice", 5*time.Second, func() bool { return s.partstat("alice", "answers@almanac.test", "bob@almanac.test") == "ACCEPTED" })
		href := cal.CalDAVURL + "answers@almanac.test.ics"
		code, ics := dav("alice", "GET", href, "")
		if code != 200 {
			t.Fatalf("GET over CalDAV: %d %s", code, ics)
		}
		relocated := strings.Replace(ics, "END:VEVENT", "LOCATION:Room 7\r\nEND:VEVENT", 1)
		if code, out := dav("alice", "PUT", href, relocated); code != 204 {
			t.Fatalf("PUT over CalDAV: %d %s", code, out)
		}
		eventually(t, "bob asked again after the new room", 5*time.Second, func() bool { return s.partstat("bob", "answers@almanac.test", "bob@almanac.test") == "NEEDS-ACTION" })
		if ps := s.partstat("alice", "answers@almanac.test", "bob@almanac.test"); ps != "NEEDS-ACTION" {
			t.Errorf("bob in alice's copy after the new room: %s", ps)
		}
		eventually(t, "the room by mail", 10*time.Second, func() bool { return len(mails(t, maildir)) == 6 })
		roomMails := 0
		for _, f := range mails(t, maildir) {
			raw, _ := os.ReadFile(f)
			in, err := itip.ParseMail(bytes.NewReader(raw))
			if err != nil {
				t.Fatal(err)
			}
			if loc := in.Message.Components[0].Props.Get("LOCATION"); loc == nil || loc.Value != "Room 7" {
				continue
			}
			if got := mailAnswer(t, f, "carol@example.net"); got == "REQUEST NEEDS-ACTION;RSVP=TRUE" {
				roomMails++
			} else if !strings.HasSuffix(got, "without carol@example.net") {
				t.Errorf("carol's update for the new room: %s", got)
			}
		}
		if roomMails == 0 {
			t.Error("no update for the new room asks carol again")
		}

		// An alarm of her own sends nothing: the write queues no message.
		before, _ := st.ListOutbox(ctx, "", 1)
		_, ics = dav("alice", "GET", href, "")
		alarm := strings.Replace(ics, "END:VEVENT", "BEGIN:VALARM\r\nACTION:DISPLAY\r\nDESCRIPTION:Planning\r\nTRIGGER:-PT10M\r\nEND:VALARM\r\nEND:VEVENT", 1)
		if code, out := dav("alice", "PUT", href, alarm); code != 204 {
			t.Fatalf("alarm over CalDAV: %d %s", code, out)
		}
		if after, _ := st.ListOutbox(ctx, "", 1); len(after) != 1 || len(before) != 1 || after[0].ID != before[0].ID {
			t.Errorf("an alarm queued a message: %+v", after)
		}

		// Removed over JSON, then invited again with his old answer.
		if code, body = s.api("PATCH", "/events/"+ev.ID, "alice", `{"attendees":[{"email":"carol@example.net"},{"email":"dave@example.net","rsvp":false}]}`); code != 200 {
			t.Fatalf("remove bob: %d %s", code, body)
		}
		eventually(t, "bob's copy cancelled", 5*time.Second, func() bool {
			objs, _ := st.ObjectsByUID(ctx, s.users["bob"].ID, "answers@almanac.test")
			obj, _ := icalendar.ParseObject(objs[0].Data, icalendar.Options{})
			return obj.Master() != nil && obj.Master().Status() == "CANCELLED"
		})
		if code, body = s.api("PATCH", "/events/"+ev.ID, "alice", `{"attendees":[{"email":"bob@almanac.test","status":"accepted"},{"email":"carol@example.net"},{"email":"dave@example.net","rsvp":false}]}`); code != 200 {
			t.Fatalf("invite bob again: %d %s", code, body)
		}
		eventually(t, "bob invited again", 5*time.Second, func() bool {
			objs, _ := st.ObjectsByUID(ctx, s.users["bob"].ID, "answers@almanac.test")
			obj, _ := icalendar.ParseObject(objs[0].Data, icalendar.Options{})
			return obj.Master() != nil && obj.Master().Status() != "CANCELLED"
		})
		for _, who := range []string{"alice", "bob"} {
			if ps := s.partstat(who, "answers@almanac.test", "bob@almanac.test"); ps != "NEEDS-ACTION" {
				t.Errorf("bob invited again, in %s's copy: %s", who, ps)
			}
		}
		// Bob deletes the third week in his CalDAV client (EXDATE).
		objs, _ := st.ObjectsByUID(ctx, s.users["bob"].ID, "answers@almanac.test")
		bobHref := "/dav/calendars/bob/calendar/" + objs[0].Name
		code, ics = dav("bob", "GET", bobHref, "")
		if code != 200 {
			t.Fatalf("bob's GET: %d", code)
		}
		without := strings.Replace(ics, "RRULE:FREQ=WEEKLY", "EXDATE;TZID=Europe/Berlin:20260316T110000\r\nRRULE:FREQ=WEEKLY", 1)
		if code, out := dav("bob", "PUT", bobHref, without); code != 204 {
			t.Fatalf("bob's PUT: %d %s", code, out)
		}
		eventually(t, "the deleted week declined at alice", 5*time.Second, func() bool {
			objs, _ := st.ObjectsByUID(ctx, s.users["alice"].ID, "answers@almanac.test")
			obj, _ := icalendar.ParseObject(objs[0].Data, icalendar.Options{})
			c := itip.Component(obj, "20260316T100000Z")
			return c != nil && itip.PartStat(c.Component, "mailto:bob@almanac.test") == "DECLINED"
		})

	})
}
