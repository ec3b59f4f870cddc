package scheduling_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"net"
	"net/http"
	"net/http/httptest"
	"net/textproto"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/almanac/almanac/account"
	"github.com/almanac/almanac/calendar"
	"github.com/almanac/almanac/icalendar"
	"github.com/almanac/almanac/itip"
	"github.com/almanac/almanac/jsonapi"
	"github.com/almanac/almanac/mailer"
	"github.com/almanac/almanac/outbox"
	"github.com/almanac/almanac/scheduling"
	"github.com/almanac/almanac/store"
	"github.com/almanac/almanac/store/storetest"
)

// requireTool returns the path of an external program the test needs. A
// missing one skips the test, unless ALMANAC_TEST_REQUIRE_CLIENTS=1 (CI),
// where it fails it.
func requireTool(t *testing.T, path string, args ...string) string {
	t.Helper()
	if _, err := exec.LookPath(path); err == nil {
		if err := exec.Command(path, args...).Run(); err == nil {
			return path
		}
	}
	if os.Getenv("ALMANAC_TEST_REQUIRE_CLIENTS") == "1" {
		t.Fatalf("%s %v is required (ALMANAC_TEST_REQUIRE_CLIENTS=1)", path, args)
	}
	t.Skipf("%s %v is not available", path, args)
	return ""
}

func freePort(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

func waitPort(t *testing.T, addr string) {
	t.Helper()
	for i := 0; i < 100; i++ {
		if c, err := net.Dial("tcp", addr); err == nil {
			c.Close()
			return
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("nothing listens on %s", addr)
}

// startSink runs aiosmtpd, Debian's SMTP server, storing what it
// receives in a Maildir.
func startSink(t *testing.T) (addr, maildir string) {
	t.Helper()
	py := requireTool(t, "/usr/bin/python3", "-c", "import aiosmtpd, icalendar")
	addr, maildir = freePort(t), filepath.Join(t.TempDir(), "Maildir")
	cmd := exec.Command(py, "-m", "aiosmtpd", "-n", "-l", addr, "-c", "aiosmtpd.handlers.Mailbox", maildir)
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
	waitPort(t, addr)
	return addr, maildir
}

// readInvite has python3-icalendar read the calendar part of a received
// mail, as a third party would.
const readInvite = `
import email, json, sys, re
from icalendar import Calendar
msg = email.message_from_binary_file(open(sys.argv[1], 'rb'))
out = {'to': msg['To'], 'subject': str(msg['Subject']), 'links': [], 'parts': []}
for part in msg.walk():
    ct = part.get_content_type()
    out['parts'].append(ct)
    if ct == 'text/plain':
        out['links'] = re.findall(r'https?://\S+/rsvp/\S+', part.get_payload(decode=True).decode())
    if ct == 'text/calendar' and 'method' not in out:
        out['methodparam'] = part.get_param('method')
        cal = Calendar.from_ical(part.get_payload(decode=True))
        out['method'] = str(cal['METHOD'])
        ev = [c for c in cal.walk('VEVENT')]
        out['uid'] = str(ev[0]['UID'])
        out['summary'] = str(ev[0]['SUMMARY'])
        out['attendees'] = [str(a) for e in ev for a in (e.get('ATTENDEE') if isinstance(e.get('ATTENDEE'), list) else [e.get('ATTENDEE')])]
json.dump(out, sys.stdout)
`

type invite struct {
	To, Subject, Method, MethodParam, UID, Summary string
	Links, Parts, Attendees                        []string
}

// server is the scheduling stack with its real delivery paths.
type server struct {
	t      *testing.T
	st     *store.Store
	cals   *calendar.Service
	sched  *scheduling.Scheduler
	http   *httptest.Server
	smtpIn string
	users  map[string]*store.User
	tokens map[string]string
}

func startServer(t *testing.T, st *store.Store, relay string) *server {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	host, port, _ := net.SplitHostPort(relay)
	var portN int
	fmt.Sscan(port, &portN)
	mail, err := mailer.New(mailer.Config{Host: host, Port: portN, Security: "none"})
	if err != nil {
		t.Fatal(err)
	}
	handlers := map[string]outbox.Handler{}
	worker := outbox.New(st, outbox.Options{Handlers: handlers, Poll: 50 * time.Millisecond})
	ln, _ := net.Listen("tcp", "127.0.0.1:0")
	s := &server{t: t, st: st, users: map[string]*store.User{}, tokens: map[string]string{}}
	// Delivery between users who never dealt with each other: the server
	// takes everyone's invitations (holding them is strangers_test.go's).
	s.sched = scheduling.New(st, scheduling.Options{InvitationsDefault: store.InvitationsEveryone, MailFrom: "calendar@almanac.test", PublicURL: "http://" + ln.Addr().String(),
		Secret: []byte("e2e secret e2e secret e2e secret!"), Kick: worker.Kick})
	s.cals = calendar.New(st, calendar.Options{Hooks: []calendar.Hook{s.sched}, Kick: worker.Kick})
	for k, h := range s.sched.Handlers(s.cals, mail, 8) {
		handlers[k] = h
	}
	acc := account.New(st, account.Options{AllowRegistration: true})
	api := jsonapi.New(acc, s.cals, jsonapi.Options{Scheduler: s.sched})
	mux := http.NewServeMux()
	mux.Handle("/api/v1/", http.StripPrefix("/api/v1", api.Routes()))
	mux.Handle("/rsvp/", http.StripPrefix("/rsvp", api.RSVPRoutes()))
	s.http = &httptest.Server{Listener: ln, Config: &http.Server{Handler: mux}}
	s.http.Start()
	smtpLn, _ := net.Listen("tcp", "127.0.0.1:0")
	s.smtpIn = smtpLn.Addr().String()
	srv := s.sched.MailBackend([]string{"almanac.test"}).NewServer(false)
	go func() { _ = srv.Serve(smtpLn) }()
	done := make(chan struct{})
	go func() { worker.Run(ctx); close(done) }()
	t.Cleanup(func() { srv.Close(); s.http.Close(); cancel(); <-done })
	for _, n := range []string{"alice", "bob"} {
		u, err := acc.Create(ctx, account.NewUser{Name: n, Email: n + "@almanac.test", Password: "correct horse " + n, DisplayName: strings.ToUpper(n[:1]) + n[1:]})
		if err != nil {
			t.Fatal(err)
		}
		s.users[n] = u
		sess, err := acc.Login(ctx, n, "correct horse "+n, "127.0.0.1")
		if err != nil {
			t.Fatal(err)
		}
		s.tokens[n] = sess.Token
	}
	return s
}

func (s *server) api(method, path, user, body string) (int, []byte) {
	s.t.Helper()
	req, _ := http.NewRequest(method, s.http.URL+"/api/v1"+path, strings.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+s.tokens[user])
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		s.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, b
}

func (s *server) partstat(user, uid, who string) string {
	objs, _ := s.st.ObjectsByUID(context.Background(), s.users[user].ID, uid)
	if len(objs) == 0 {
		return ""
	}
	obj, err := icalendar.ParseObject(objs[0].Data, icalendar.Options{})
	if err != nil {
		s.t.Fatal(err)
	}
	return itip.PartStat(obj.Master().Component, itip.MailtoOf(who))
}

// invitationStates maps each attendee of the organizer's copy objUUID to
// "status/delivery" as Alice sees them over JSON.
func (s *server) invitationStates(objUUID string) (map[string]string, []byte) {
	s.t.Helper()
	code, body := s.api("GET", "/invitations/"+objUUID, "alice", "")
	if code != 200 {
		s.t.Fatalf("alice's invitations: %d %s", code, body)
	}
	var list []jsonapi.Invitation
	json.Unmarshal(body, &list)
	got := map[string]string{}
	for _, in := range list {
		got[in.Email] = in.Status + "/" + in.Delivery
	}
	return got, body
}

func eventually(t *testing.T, what string, within time.Duration, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(within); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		if cond() {
			return
		}
	}
	t.Fatalf("timed out waiting for %s", what)
}

func mails(t *testing.T, maildir string) []string {
	t.Helper()
	files, _ := filepath.Glob(filepath.Join(maildir, "new", "*"))
	return files
}

const meeting = "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//e2e//EN\r\nBEGIN:VEVENT\r\nUID:e2e-weekly@almanac.test\r\n" +
	"DTSTAMP:20260101T000000Z\r\nDTSTART:20260105T090000Z\r\nDTEND:20260105T100000Z\r\nRRULE:FREQ=WEEKLY;COUNT=4\r\n" +
	"SUMMARY:Design review\r\nORGANIZER;CN=Alice:mailto:alice@almanac.test\r\n" +
	"ATTENDEE;PARTSTAT=ACCEPTED:mailto:alice@almanac.test\r\n" +
	"ATTENDEE;CN=Bob;PARTSTAT=NEEDS-ACTION;RSVP=TRUE:mailto:bob@almanac.test\r\n" +
	"ATTENDEE;CN=Carol;PARTSTAT=NEEDS-ACTION;RSVP=TRUE:mailto:carol@example.net\r\n" +
	"ATTENDEE;CN=Dave;PARTSTAT=NEEDS-ACTION;RSVP=TRUE:mailto:dave@example.net\r\n" +
	"END:VEVENT\r\nEND:VCALENDAR\r\n"

// TestEndToEnd invites two people by e-mail and one local user. The
// invitations go out through a real SMTP server (aiosmtpd) and are read by
// python3-icalendar; Carol answers by mail (swaks into our SMTP listener),
// Dave with the link in his mail, Bob through the JSON API.
func TestEndToEnd(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		relay, maildir := startSink(t)
		swaks := requireTool(t, "swaks", "--version")
		s := startServer(t, st, relay)
		ctx := context.Background()
		work := &store.Calendar{Name: "work", DisplayName: "Work"}
		if err := s.cals.CreateCalendar(ctx, s.users["alice"], work); err != nil {
			t.Fatal(err)
		}
		if _, err := s.cals.PutObject(ctx, s.users["alice"], work, "review.ics", []byte(meeting), store.Conditions{IfNoneMatch: true}); err != nil {
			t.Fatal(err)
		}
		eventually(t, "two invitations in the sink", 10*time.Second, func() bool { return len(mails(t, maildir)) == 2 })
		invites := map[string]invite{}
		for _, f := range mails(t, maildir) {
			out, err := exec.Command("/usr/bin/python3", "-c", readInvite, f).Output()
			if err != nil {
				t.Fatalf("python3-icalendar could not read %s: %v", f, err)
			}
			var in invite
			if err := json.Unmarshal(out, &in); err != nil {
				t.Fatal(err)
			}
			invites[strings.Trim(in.To, "<>")] = in
		}
		dave := invites["dave@example.net"]
		if dave.Method != "REQUEST" || dave.MethodParam != "REQUEST" || dave.UID != "e2e-weekly@almanac.test" || len(dave.Links) != 3 {
			t.Fatalf("dave's invitation as python3-icalendar reads it: %+v", dave)
		}
		t.Logf("invitation parts: %v, subject %q", dave.Parts, dave.Subject)

		// Carol accepts by mail, as her calendar program would.
		reply := strings.NewReplacer("BEGIN:VEVENT", "METHOD:REPLY\r\nBEGIN:VEVENT").Replace(meeting)
		reply = keepAttendee(reply, "carol@example.net", "ACCEPTED")
		file := filepath.Join(t.TempDir(), "reply.ics")
		os.WriteFile(file, []byte(reply), 0o644)
		send := func(from string, extra ...string) error {
			args := append([]string{"--server", s.smtpIn, "--from", from, "--to", "alice@almanac.test",
				"--header", "Subject: Accepted: Design review", "--attach-type", "text/calendar; method=REPLY", "--attach", "@" + file}, extra...)
			out, err := exec.Command(swaks, args...).CombinedOutput()
			if err != nil {
				return fmt.Errorf("%v: %s", err, lastLines(string(out)))
			}
			return nil
		}
		if err := send("mallory@example.net"); err == nil {
			t.Error("a reply for carol from mallory was accepted")
		} else {
			t.Logf("spoofed reply refused: %v", err)
		}
		if err := send("carol@example.net"); err != nil {
			t.Fatal(err)
		}
		eventually(t, "carol's answer", 5*time.Second, func() bool { return s.partstat("alice", "e2e-weekly@almanac.test", "carol@example.net") == "ACCEPTED" })

		// Then she declines the second week only.
		week2 := strings.Replace(keepAttendee(reply, "carol@example.net", "DECLINED"), "RRULE:FREQ=WEEKLY;COUNT=4", "RECURRENCE-ID:20260112T090000Z", 1)
		os.WriteFile(file, []byte(week2), 0o644)
		if err := send("carol@example.net"); err != nil {
			t.Fatal(err)
		}
		eventually(t, "carol's declined week", 5*time.Second, func() bool {
			objs, _ := st.ObjectsByUID(ctx, s.users["alice"].ID, "e2e-weekly@almanac.test")
			obj, _ := icalendar.ParseObject(objs[0].Data, icalendar.Options{})
			c := itip.Component(obj, "20260112T090000Z")
			return c != nil && itip.PartStat(c.Component, "mailto:carol@example.net") == "DECLINED"
		})
		if ps := s.partstat("alice", "e2e-weekly@almanac.test", "carol@example.net"); ps != "ACCEPTED" {
			t.Errorf("declining one week changed the series answer to %s", ps)
		}

		// Dave follows his "No" link: GET only shows the page; the form's
		// POST answers. A tampered link is refused.
		no := dave.Links[2]
		resp, err := http.Get(no)
		if err != nil || resp.StatusCode != 200 {
			t.Fatalf("GET link: %v %v", resp, err)
		}
		time.Sleep(200 * time.Millisecond)
		if ps := s.partstat("alice", "e2e-weekly@almanac.test", "dave@example.net"); ps != "NEEDS-ACTION" {
			t.Fatalf("GET changed the answer to %s", ps)
		}
		if resp, _ := http.PostForm(no[:len(no)-3]+"abc", url.Values{}); resp.StatusCode != 400 {
			t.Errorf("tampered link: %d", resp.StatusCode)
		}
		if resp, err := http.PostForm(no, url.Values{}); err != nil || resp.StatusCode != 200 {
			t.Fatalf("POST link: %v %v", resp, err)
		}
		eventually(t, "dave's answer", 5*time.Second, func() bool { return s.partstat("alice", "e2e-weekly@almanac.test", "dave@example.net") == "DECLINED" })

		// Bob answers over JSON.
		code, body := s.api("GET", "/invitations?status=pending", "bob", "")
		var pending []jsonapi.Invitation
		json.Unmarshal(body, &pending)
		if code != 200 || len(pending) != 1 {
			t.Fatalf("bob's pending invitations: %d %s", code, body)
		}
		start := time.Now()
		code, body = s.api("PUT", "/invitations/"+pending[0].EventID+"/"+pending[0].ID, "bob", `{"status":"TENTATIVE"}`)
		if code != 200 {
			t.Fatalf("bob's answer: %d %s", code, body)
		}
		eventually(t, "bob's answer", time.Second, func() bool { return s.partstat("alice", "e2e-weekly@almanac.test", "bob@almanac.test") == "TENTATIVE" })
		t.Logf("bob's JSON answer reached alice's copy in %v", time.Since(start))

		// Alice sees all answers and the delivery state. The update that
		// shows Dave's answer in Bob's copy may still be queued for a
		// moment: the last message to Bob is what his state shows.
		orgObjs, _ := st.ObjectsByUID(ctx, s.users["alice"].ID, "e2e-weekly@almanac.test")
		want := map[string]string{"bob@almanac.test": "TENTATIVE/delivered", "carol@example.net": "ACCEPTED/sent", "dave@example.net": "DECLINED/sent"}
		var got map[string]string
		for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
			if got, body = s.invitationStates(orgObjs[0].UUID); maps.Equal(got, want) {
				break
			}
		}
		for k, v := range want {
			if got[k] != v {
				t.Errorf("%s: %s, want %s (%s)", k, got[k], v, body)
			}
		}

		// A message too large for the listener is refused.
		big := filepath.Join(t.TempDir(), "big.txt")
		os.WriteFile(big, []byte(strings.Repeat(strings.Repeat("x", 70)+"\n", itip.MaxMailSize/70+100)), 0o644)
		out, err := exec.Command(swaks, "--server", s.smtpIn, "--from", "carol@example.net", "--to", "alice@almanac.test", "--body", "@"+big).CombinedOutput()
		if err == nil || !strings.Contains(string(out), "552") {
			t.Errorf("a huge message: %v %s", err, lastLines(string(out)))
		}
	})
}

// keepAttendee turns the meeting into attendee's REPLY with partstat.
func keepAttendee(ics, email, partstat string) string {
	var out []string
	for _, line := range strings.Split(ics, "\r\n") {
		if strings.HasPrefix(line, "ATTENDEE") {
			if !strings.HasSuffix(line, ":mailto:"+email) {
				continue
			}
			line = "ATTENDEE;PARTSTAT=" + partstat + ":mailto:" + email
		}
		out = append(out, line)
	}
	return strings.Join(out, "\r\n")
}

func lastLines(s string) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	if len(lines) > 4 {
		lines = lines[len(lines)-4:]
	}
	return strings.Join(lines, " | ")
}

// TestLMTP delivers an external organizer's invitation to a local user
// over LMTP, as Postfix would, with swaks.
func TestLMTP(t *testing.T) {
	swaks := requireTool(t, "swaks", "--version")
	st := storetest.SQLite(t)
	s := startServer(t, st, "127.0.0.1:1")
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := s.sched.MailBackend([]string{"almanac.test"}).NewServer(true)
	go func() { _ = srv.Serve(ln) }()
	t.Cleanup(func() { srv.Close() })
	req := "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//Google Inc//Google Calendar 70.9054//EN\r\nMETHOD:REQUEST\r\n" +
		"BEGIN:VEVENT\r\nUID:ext-1@google.test\r\nDTSTAMP:20260101T000000Z\r\nDTSTART:20260110T150000Z\r\nDTEND:20260110T160000Z\r\n" +
		"SUMMARY:Coffee\r\nORGANIZER;CN=Erin:mailto:erin@example.org\r\n" +
		"ATTENDEE;PARTSTAT=NEEDS-ACTION;RSVP=TRUE:mailto:bob@almanac.test\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n"
	file := filepath.Join(t.TempDir(), "invite.ics")
	os.WriteFile(file, []byte(req), 0o644)
	deliver := func(from string) error {
		out, err := exec.Command(swaks, "--server", ln.Addr().String(), "--protocol", "LMTP", "--from", from, "--to", "bob@almanac.test",
			"--header", "Subject: Invitation: Coffee", "--attach-type", "text/calendar; method=REQUEST", "--attach", "@"+file).CombinedOutput()
		if err != nil {
			return fmt.Errorf("%v: %s", err, lastLines(string(out)))
		}
		return nil
	}
	if err := deliver("mallory@example.org"); err == nil {
		t.Error("an invitation not from its organizer was accepted")
	}
	if err := deliver("erin@example.org"); err != nil {
		t.Fatal(err)
	}
	eventually(t, "bob's copy of erin's invitation", 5*time.Second, func() bool {
		return s.partstat("bob", "ext-1@google.test", "bob@almanac.test") == "NEEDS-ACTION"
	})
	// Erin cancels: Bob's copy says so.
	cancel := strings.Replace(strings.Replace(req, "METHOD:REQUEST", "METHOD:CANCEL", 1), "SUMMARY:Coffee", "SUMMARY:Coffee\r\nSEQUENCE:1\r\nSTATUS:CANCELLED", 1)
	cfile := filepath.Join(t.TempDir(), "cancel.ics")
	os.WriteFile(cfile, []byte(cancel), 0o644)
	defer func() {
		out, err := exec.Command(swaks, "--server", ln.Addr().String(), "--protocol", "LMTP", "--from", "erin@example.org", "--to", "bob@almanac.test",
			"--attach-type", "text/calendar; method=CANCEL", "--attach", "@"+cfile).CombinedOutput()
		if err != nil {
			t.Fatalf("cancel: %v %s", err, lastLines(string(out)))
		}
		eventually(t, "the cancellation", 5*time.Second, func() bool {
			objs, _ := st.ObjectsByUID(context.Background(), s.users["bob"].ID, "ext-1@google.test")
			return len(objs) == 1 && strings.Contains(string(objs[0].Data), "STATUS:CANCELLED")
		})
		// The inbox item is written after the copy.
		eventually(t, "the request and the cancellation in bob's inbox", 5*time.Second, func() bool {
			in, _ := st.ListInbox(context.Background(), s.users["bob"].ID)
			return len(in) == 2
		})
	}()
	// Bob accepts over JSON: the REPLY goes to Erin by e-mail (to the
	// relay, which is not there: it stays queued, and nothing is lost).
	code, body := s.api("GET", "/invitations", "bob", "")
	var pending []jsonapi.Invitation
	json.Unmarshal(body, &pending)
	if code != 200 || len(pending) != 1 || pending[0].Organizer != "erin@example.org" {
		t.Fatalf("bob's invitations: %d %s", code, body)
	}
	code, body = s.api("PUT", "/invitations/"+pending[0].EventID+"/"+pending[0].ID, "bob", `{"status":"ACCEPTED"}`)
	if code != 200 {
		t.Fatalf("answer: %d %s", code, body)
	}
	msgs, _ := st.ListOutbox(context.Background(), "", 10)
	found := false
	for _, m := range msgs {
		found = found || m.Kind == mailer.Kind && strings.Contains(string(m.Payload), "erin@example.org")
	}
	if !found {
		t.Error("no REPLY e-mail to the external organizer was queued")
	}
}

// TestBadInput: invalid requests are refused with a reason and change
// nothing.
func TestBadInput(t *testing.T) {
	st := storetest.SQLite(t)
	s := startServer(t, st, "127.0.0.1:1")
	ctx := context.Background()
	work := &store.Calendar{Name: "work", DisplayName: "Work"}
	if err := s.cals.CreateCalendar(ctx, s.users["alice"], work); err != nil {
		t.Fatal(err)
	}
	plain := strings.Replace(meeting, "ORGANIZER", "X-ORG", 1)
	plain = keepAttendee(plain, "nobody@example.net", "ACCEPTED")
	res, err := s.cals.PutObject(ctx, s.users["alice"], work, "plain.ics", []byte(plain), store.Conditions{})
	if err != nil {
		t.Fatal(err)
	}
	ev := res.UUID
	cases := []struct {
		method, path, user, body string
		status                   int
	}{
		{"POST", "/invitations/" + ev, "alice", `{"email":"not an address"}`, 422},
		{"POST", "/invitations/" + ev, "alice", `{}`, 422},
		{"POST", "/invitations/" + ev, "alice", `{"user_id":"00000000-0000-4000-8000-000000000000"}`, 422},
		{"POST", "/invitations/" + ev, "bob", `{"email":"x@example.net"}`, 404}, // bob cannot see alice's calendar
		{"POST", "/invitations/not-a-uuid", "alice", `{"email":"x@example.net"}`, 404},
		{"GET", "/invitations?status=maybe", "bob", ``, 400},
	}
	for _, c := range cases {
		if code, body := s.api(c.method, c.path, c.user, c.body); code != c.status {
			t.Errorf("%s %s as %s: %d, want %d (%s)", c.method, c.path, c.user, code, c.status, body)
		}
	}
	// Invite Bob by user id: the event becomes a scheduling object with
	// Alice as organizer.
	code, body := s.api("POST", "/invitations/"+ev, "alice", `{"user_id":"`+s.users["bob"].UUID+`"}`)
	var inv jsonapi.Invitation
	json.Unmarshal(body, &inv)
	if code != 201 || inv.Status != "PENDING" || inv.Email != "bob@almanac.test" {
		t.Fatalf("invite bob: %d %s", code, body)
	}
	eventually(t, "bob's copy", 5*time.Second, func() bool { return s.partstat("bob", "e2e-weekly@almanac.test", "bob@almanac.test") != "" })
	for _, c := range []struct {
		user, id, body string
		status         int
	}{
		{"bob", inv.ID, `{"status":"MAYBE"}`, 422},
		{"bob", inv.ID, `{"status":"ACCEPTED","extra":1}`, 400},
		{"alice", inv.ID, `{"status":"DECLINED"}`, 403}, // only Bob answers for Bob
	} {
		if code, body := s.api("PUT", "/invitations/"+ev+"/"+c.id, c.user, c.body); code != c.status {
			t.Errorf("PUT as %s %s: %d, want %d (%s)", c.user, c.body, code, c.status, body)
		}
	}
	if ps := s.partstat("alice", "e2e-weekly@almanac.test", "bob@almanac.test"); ps != "NEEDS-ACTION" {
		t.Errorf("bad requests changed bob's answer to %s", ps)
	}
	// Resend queues the invitation again; an unknown invitation is 404.
	if code, body := s.api("POST", "/invitations/"+ev+"/"+inv.ID+"/resend", "alice", ""); code != 202 {
		t.Errorf("resend: %d %s", code, body)
	}
	if code, _ := s.api("POST", "/invitations/"+ev+"/0000/resend", "alice", ""); code != 404 {
		t.Errorf("resend of nothing: %d", code)
	}
	// RSVP links: forged, expired and for someone not invited.
	link := func(r scheduling.RSVP) int {
		resp, err := http.PostForm(s.http.URL+"/rsvp/"+s.sched.Token(r), url.Values{})
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	exp := time.Now().Add(time.Hour)
	if c := link(scheduling.RSVP{Object: ev, Attendee: "mailto:bob@almanac.test", PartStat: "ACCEPTED", Expires: time.Now().Add(-time.Hour)}); c != 410 {
		t.Errorf("expired link: %d", c)
	}
	if c := link(scheduling.RSVP{Object: ev, Attendee: "mailto:eve@example.net", PartStat: "ACCEPTED", Expires: exp}); c != 404 {
		t.Errorf("link for someone not invited: %d", c)
	}
	resp, _ := http.Get(s.http.URL + "/rsvp/bm90IGEgdG9rZW4.AAAA")
	if resp.StatusCode != 400 {
		t.Errorf("forged link: %d", resp.StatusCode)
	}
	if ps := s.partstat("alice", "e2e-weekly@almanac.test", "bob@almanac.test"); ps != "NEEDS-ACTION" {
		t.Errorf("bad links changed bob's answer to %s", ps)
	}
	// Mail without a calendar, or for a domain not served, is refused.
	c, err := textproto.Dial("tcp", s.smtpIn)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	talk := func(line string) string {
		if line != "" {
			if err := c.PrintfLine("%s", line); err != nil {
				t.Fatal(err)
			}
		}
		code, msg, _ := c.ReadResponse(0)
		return fmt.Sprintf("%d %s", code, msg)
	}
	talk("")
	talk("EHLO test")
	talk("MAIL FROM:<carol@example.net>")
	if r := talk("RCPT TO:<someone@elsewhere.example>"); !strings.HasPrefix(r, "550") {
		t.Errorf("relay attempt: %q", r)
	}
	talk("RCPT TO:<alice@almanac.test>")
	talk("DATA")
	if r := talk("From: carol@example.net\r\nSubject: hi\r\n\r\nno calendar here\r\n."); !strings.HasPrefix(r, "554") || !strings.Contains(r, "text/calendar") {
		t.Errorf("mail without a calendar: %q", r)
	}
}
