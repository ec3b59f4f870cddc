package scheduling_test

import (
	"context"
	"encoding/json"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/almanac/almanac/icalendar"
	"github.com/almanac/almanac/itip"
	"github.com/almanac/almanac/jsonapi"
	"github.com/almanac/almanac/scheduling"
	"github.com/almanac/almanac/store"
	"github.com/almanac/almanac/store/storetest"
)

// answer is testdata/answers/reply.ics for who, with the given PARTSTAT,
// DTSTAMP and COMMENT.
func answer(t *testing.T, who, partstat, stamp, comment string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", "answers", "reply.ics"))
	if err != nil {
		t.Fatal(err)
	}
	return strings.NewReplacer("{{WHO}}", who, "{{PARTSTAT}}", partstat, "{{STAMP}}", stamp, "{{COMMENT}}", comment).Replace(string(b))
}

// TestAnswersByMail sends replies into the SMTP and LMTP listeners with
// swaks: one from someone who is not an attendee is refused during the
// dialogue with 550 5.7.1 (RFC 5546 §3.2.3), one for an event the
// organizer does not have with 554; and of two replies of the same
// SEQUENCE, the one with the later DTSTAMP stays, whatever the order they
// came in (RFC 5546 §2.1.5).
func TestAnswersByMail(t *testing.T) {
	swaks := requireTool(t, "swaks", "--version")
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		s := startServer(t, st, "127.0.0.1:1")
		ctx := context.Background()
		lmtpLn, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		lmtp := s.sched.MailBackend([]string{"almanac.test"}).NewServer(true)
		go func() { _ = lmtp.Serve(lmtpLn) }()
		t.Cleanup(func() { lmtp.Close() })
		work := &store.Calendar{Name: "work", DisplayName: "Work"}
		if err := s.cals.CreateCalendar(ctx, s.users["alice"], work); err != nil {
			t.Fatal(err)
		}
		if _, err := s.cals.PutObject(ctx, s.users["alice"], work, "review.ics", []byte(meeting), store.Conditions{IfNoneMatch: true}); err != nil {
			t.Fatal(err)
		}
		dir := t.TempDir()
		send := func(server string, lmtp bool, from, ics string) (string, error) {
			file := filepath.Join(dir, "reply.ics")
			if err := os.WriteFile(file, []byte(ics), 0o644); err != nil {
				t.Fatal(err)
			}
			args := []string{"--server", server, "--from", from, "--to", "alice@almanac.test",
				"--header", "Subject: Re: Design review", "--attach-type", "text/calendar; method=REPLY", "--attach", "@" + file}
			if lmtp {
				args = append(args, "--protocol", "LMTP")
			}
			out, err := exec.Command(swaks, args...).CombinedOutput()
			return string(out), err
		}
		for _, l := range []struct {
			name string
			addr string
			lmtp bool
		}{{"SMTP", s.smtpIn, false}, {"LMTP", lmtpLn.Addr().String(), true}} {
			out, err := send(l.addr, l.lmtp, "erin@example.org", answer(t, "erin@example.org", "ACCEPTED", "20260102T000000Z", "hi"))
			if err == nil || !strings.Contains(out, "550 5.7.1") || !strings.Contains(out, "not an attendee") {
				t.Errorf("%s: a reply from someone not invited: %v\n%s", l.name, err, lastLines(out))
			}
			unknown := strings.Replace(answer(t, "carol@example.net", "ACCEPTED", "20260102T000000Z", "hi"), "UID:e2e-weekly", "UID:no-such-event", 1)
			out, err = send(l.addr, l.lmtp, "carol@example.net", unknown)
			if err == nil || !strings.Contains(out, "554 5.6.0") {
				t.Errorf("%s: a reply for an unknown event: %v\n%s", l.name, err, lastLines(out))
			}
		}
		if ps := s.partstat("alice", "e2e-weekly@almanac.test", "erin@example.org"); ps != "" {
			t.Errorf("erin became an attendee (%s)", ps)
		}

		// Carol's calendar program sends "yes", then an older "no" arrives.
		if out, err := send(s.smtpIn, false, "carol@example.net", answer(t, "carol@example.net", "ACCEPTED", "20260103T000000Z", "See you there")); err != nil {
			t.Fatalf("%v\n%s", err, lastLines(out))
		}
		eventually(t, "carol's answer", 5*time.Second, func() bool {
			return s.partstat("alice", "e2e-weekly@almanac.test", "carol@example.net") == "ACCEPTED"
		})
		if out, err := send(s.smtpIn, false, "carol@example.net", answer(t, "carol@example.net", "DECLINED", "20260102T000000Z", "Sorry")); err != nil {
			t.Fatalf("%v\n%s", err, lastLines(out))
		}
		eventually(t, "the older reply processed", 5*time.Second, func() bool { return applied(t, st) })
		if ps := s.partstat("alice", "e2e-weekly@almanac.test", "carol@example.net"); ps != "ACCEPTED" {
			t.Errorf("after an older reply: %s, want ACCEPTED", ps)
		}
		// A later one is taken.
		if out, err := send(s.smtpIn, false, "carol@example.net", answer(t, "carol@example.net", "TENTATIVE", "20260104T000000Z", "Maybe")); err != nil {
			t.Fatalf("%v\n%s", err, lastLines(out))
		}
		eventually(t, "carol's later answer", 5*time.Second, func() bool {
			return s.partstat("alice", "e2e-weekly@almanac.test", "carol@example.net") == "TENTATIVE"
		})
		objs, _ := st.ObjectsByUID(ctx, s.users["alice"].ID, "e2e-weekly@almanac.test")
		obj, _ := icalendar.ParseObject(objs[0].Data, icalendar.Options{})
		if p := itip.FindAttendee(obj.Master().Component, "mailto:carol@example.net"); !strings.HasPrefix(p.Params.Get(itip.ReplyStampParam), "0/20260104T000000Z/") {
			t.Errorf("recorded reply %q", p.Params.Get(itip.ReplyStampParam))
		}
	})
}

// applied reports whether no itip-local delivery is waiting.
func applied(t *testing.T, st *store.Store) bool {
	t.Helper()
	msgs, err := st.ListOutbox(context.Background(), "", 100)
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range msgs {
		if m.Kind == scheduling.LocalKind && m.Status == store.OutboxPending {
			return false
		}
	}
	return true
}

// readMethod has python3-icalendar print the recipient and the METHOD of
// a received mail's calendar part.
const readMethod = `
import email, sys
from icalendar import Calendar
msg = email.message_from_binary_file(open(sys.argv[1], 'rb'))
for part in msg.walk():
    if part.get_content_type() == 'text/calendar':
        print(msg['To'], Calendar.from_ical(part.get_payload(decode=True))['METHOD'])
        break
`

// counter is testdata/answers/counter.ics: who proposes start–end.
func counter(t *testing.T, who, start, end, comment string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", "answers", "counter.ics"))
	if err != nil {
		t.Fatal(err)
	}
	return strings.NewReplacer("{{WHO}}", who, "{{STAMP}}", "20260102T000000Z", "{{START}}", start, "{{END}}", end,
		"{{COMMENT}}", comment).Replace(string(b))
}

// TestProposalsByMail: an attendee's COUNTER, sent by mail into the SMTP
// listener, reaches the organizer in the JSON API (RFC 5546 §3.2.7);
// declining it mails a DECLINECOUNTER (§3.2.8), accepting another
// reschedules the event and mails the update; a reply's COMMENT shows in
// the attendee's invitation.
func TestProposalsByMail(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		relay, maildir := startSink(t)
		swaks := requireTool(t, "swaks", "--version")
		s := startServer(t, st, relay)
		ctx := context.Background()
		work := &store.Calendar{Name: "work", DisplayName: "Work"}
		if err := s.cals.CreateCalendar(ctx, s.users["alice"], work); err != nil {
			t.Fatal(err)
		}
		res, err := s.cals.PutObject(ctx, s.users["alice"], work, "review.ics", []byte(meeting), store.Conditions{IfNoneMatch: true})
		if err != nil {
			t.Fatal(err)
		}
		eventually(t, "two invitations in the sink", 10*time.Second, func() bool { return len(mails(t, maildir)) == 2 })
		dir := t.TempDir()
		send := func(method, ics string) {
			t.Helper()
			file := filepath.Join(dir, "msg.ics")
			if err := os.WriteFile(file, []byte(ics), 0o644); err != nil {
				t.Fatal(err)
			}
			out, err := exec.Command(swaks, "--server", s.smtpIn, "--from", "carol@example.net", "--to", "alice@almanac.test",
				"--header", "Subject: Design review", "--attach-type", "text/calendar; method="+method, "--attach", "@"+file).CombinedOutput()
			if err != nil {
				t.Fatalf("%s: %v\n%s", method, err, lastLines(string(out)))
			}
		}
		proposals := func() []jsonapi.Proposal {
			t.Helper()
			code, body := s.api("GET", "/events/"+res.UUID+"/proposals", "alice", "")
			if code != 200 {
				t.Fatalf("proposals: %d %s", code, body)
			}
			var list []jsonapi.Proposal
			if err := json.Unmarshal(body, &list); err != nil {
				t.Fatal(err)
			}
			return list
		}
		methodsTo := func(addr string) []string {
			var out []string
			for _, f := range mails(t, maildir) {
				got, err := exec.Command("/usr/bin/python3", "-c", readMethod, f).Output()
				if err != nil {
					t.Fatalf("python3-icalendar could not read %s: %v", f, err)
				}
				to, method, _ := strings.Cut(strings.TrimSpace(string(got)), " ")
				if strings.Contains(to, addr) {
					out = append(out, method)
				}
			}
			return out
		}

		send("COUNTER", counter(t, "carol@example.net", "20260105T140000Z", "20260105T150000Z", "Afternoons suit me better"))
		eventually(t, "carol's proposal", 5*time.Second, func() bool { return len(proposals()) == 1 })
		p := proposals()[0]
		if p.Email != "carol@example.net" || p.Status != "pending" || p.Comment != "Afternoons suit me better" ||
			!p.Start.Equal(time.Date(2026, 1, 5, 14, 0, 0, 0, time.UTC)) {
			t.Fatalf("carol's proposal: %+v", p)
		}
		if code, body := s.api("GET", "/events/"+res.UUID+"/proposals", "bob", ""); code != 404 && code != 403 {
			t.Errorf("bob read alice's proposals: %d %s", code, body)
		}
		code, body := s.api("POST", "/events/"+res.UUID+"/proposals/"+p.ID+"/decline", "alice", "")
		if code != 200 || !strings.Contains(string(body), `"status":"declined"`) {
			t.Fatalf("decline: %d %s", code, body)
		}
		eventually(t, "the DECLINECOUNTER to carol", 10*time.Second, func() bool {
			return slices.Contains(methodsTo("carol@example.net"), "DECLINECOUNTER")
		})

		send("COUNTER", counter(t, "carol@example.net", "20260105T160000Z", "20260105T170000Z", "Or later?"))
		eventually(t, "carol's second proposal", 5*time.Second, func() bool { return len(proposals()) == 2 })
		p = proposals()[1]
		code, body = s.api("POST", "/events/"+res.UUID+"/proposals/"+p.ID+"/accept", "alice", "")
		if code != 200 || !strings.Contains(string(body), `"status":"accepted"`) {
			t.Fatalf("accept: %d %s", code, body)
		}
		code, body = s.api("GET", "/events/"+res.UUID, "alice", "")
		if code != 200 || !strings.Contains(string(body), `"start":{"date_time":"2026-01-05T16:00:00Z"`) {
			t.Errorf("the event after accepting: %d %s", code, body)
		}
		eventually(t, "the update to carol", 10*time.Second, func() bool {
			n := 0
			for _, m := range methodsTo("carol@example.net") {
				if m == "REQUEST" {
					n++
				}
			}
			return n == 2
		})
		code, body = s.api("POST", "/events/"+res.UUID+"/proposals/"+p.ID+"/decline", "alice", "")
		if code != 409 || !strings.Contains(string(body), "proposal-answered") {
			t.Errorf("declining an accepted proposal: %d %s", code, body)
		}

		// Carol accepts the new time, with a word for Alice.
		send("REPLY", strings.Replace(answer(t, "carol@example.net", "ACCEPTED", "20260106T000000Z", "Thanks\\, see you then"), "SEQUENCE:0", "SEQUENCE:1", 1))
		eventually(t, "carol's comment", 5*time.Second, func() bool {
			code, body := s.api("GET", "/invitations/"+res.UUID, "alice", "")
			return code == 200 && strings.Contains(string(body), `"comment":"Thanks, see you then"`)
		})
	})
}
