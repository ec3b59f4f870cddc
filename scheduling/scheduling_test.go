package scheduling

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/almanac/almanac/calendar"
	"github.com/almanac/almanac/icalendar"
	"github.com/almanac/almanac/itip"
	"github.com/almanac/almanac/mailer"
	"github.com/almanac/almanac/outbox"
	"github.com/almanac/almanac/store"
	"github.com/almanac/almanac/store/storetest"
)

// env is a server without front ends: the calendar service with the
// scheduling hook, outbox workers delivering local messages for real and
// capturing e-mail.
type env struct {
	t     *testing.T
	st    *store.Store
	cals  *calendar.Service
	sched *Scheduler
	users map[string]*store.User
	work  *store.Calendar // alice's calendar

	mu   sync.Mutex
	mail []mailer.Message
	fail func(to string) error // makes e-mail fail for some recipients
	wait time.Duration         // how long eventually waits (default 5 s)
}

// newEnv starts the env; tune changes the scheduler's options.
func newEnv(t *testing.T, st *store.Store, tune ...func(*Options)) *env {
	t.Helper()
	e := &env{t: t, st: st, users: map[string]*store.User{}}
	ctx, cancel := context.WithCancel(context.Background())
	var worker *outbox.Worker
	kick := func() { worker.Kick() }
	// Delivery between users who never dealt with each other: the server
	// takes everyone's invitations (holding them is strangers_test.go's).
	opt := Options{InvitationsDefault: store.InvitationsEveryone, MailFrom: "calendar@almanac.test", PublicURL: "http://127.0.0.1:1", Secret: []byte("0123456789abcdef0123456789abcdef"), Kick: kick}
	for _, f := range tune {
		f(&opt)
	}
	e.sched = New(st, opt)
	e.cals = calendar.New(st, calendar.Options{Hooks: []calendar.Hook{e.sched}, Kick: kick})
	capture := outbox.HandlerFunc(func(_ context.Context, m *store.OutboxMessage) error {
		var msg mailer.Message
		if err := json.Unmarshal(m.Payload, &msg); err != nil {
			return err
		}
		if e.fail != nil {
			if err := e.fail(msg.To[0]); err != nil {
				return err
			}
		}
		e.mu.Lock()
		e.mail = append(e.mail, msg)
		e.mu.Unlock()
		return nil
	})
	handlers := map[string]outbox.Handler{}
	worker = outbox.New(st, outbox.Options{Poll: 20 * time.Millisecond, BaseDelay: 10 * time.Millisecond, MaxAttempts: 2,
		Handlers: handlers})
	for k, h := range e.sched.Handlers(e.cals, capture, 2) {
		handlers[k] = h
	}
	done := make(chan struct{})
	go func() { worker.Run(ctx); close(done) }()
	t.Cleanup(func() { cancel(); <-done })
	for _, n := range []string{"alice", "bob", "dave"} {
		// Signed up, as strangers to each other: the administrator's
		// accounts know each other (TestKnownAddresses).
		u := &store.User{Name: n, Email: n + "@almanac.test", DisplayName: strings.ToUpper(n[:1]) + n[1:], SignedUp: true}
		if err := st.CreateUser(ctx, u); err != nil {
			t.Fatal(err)
		}
		e.users[n] = u
	}
	e.work = &store.Calendar{Name: "work", DisplayName: "Work"}
	if err := e.cals.CreateCalendar(ctx, e.users["alice"], e.work); err != nil {
		t.Fatal(err)
	}
	return e
}

func event(uid string, seq int, extra string, attendees ...string) []byte {
	var b strings.Builder
	b.WriteString("BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//test//EN\r\nBEGIN:VEVENT\r\n")
	fmt.Fprintf(&b, "UID:%s\r\nDTSTAMP:20260101T000000Z\r\nSEQUENCE:%d\r\nDTSTART:20260105T090000Z\r\nDTEND:20260105T100000Z\r\nSUMMARY:Planning\r\n", uid, seq)
	b.WriteString(extra)
	b.WriteString("ORGANIZER;CN=Alice:mailto:alice@almanac.test\r\nATTENDEE;PARTSTAT=ACCEPTED:mailto:alice@almanac.test\r\n")
	for _, a := range attendees {
		fmt.Fprintf(&b, "ATTENDEE;PARTSTAT=NEEDS-ACTION;RSVP=TRUE:mailto:%s\r\n", a)
	}
	b.WriteString("END:VEVENT\r\nEND:VCALENDAR\r\n")
	return []byte(b.String())
}

func (e *env) put(u *store.User, cal *store.Calendar, name string, data []byte, cond store.Conditions) *store.WriteResult {
	e.t.Helper()
	res, err := e.cals.PutObject(context.Background(), u, cal, name, data, cond)
	if err != nil {
		e.t.Fatalf("put %s: %v", name, err)
	}
	return res
}

// eventually waits for cond, which describes what it waits for.
func (e *env) eventually(what string, cond func() bool) {
	e.t.Helper()
	wait := e.wait
	if wait == 0 {
		wait = 5 * time.Second
	}
	for deadline := time.Now().Add(wait); time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
		if cond() {
			return
		}
	}
	msgs, _ := e.st.ListOutbox(context.Background(), "", 50)
	for _, m := range msgs {
		e.t.Logf("outbox %d %s %s attempts=%d ref=%q err=%q", m.ID, m.Kind, m.Status, m.Attempts, m.Ref, m.LastError)
	}
	e.t.Fatalf("timed out waiting for %s", what)
}

// copyOf returns user's copy of uid, or nil.
func (e *env) copyOf(user, uid string) (*store.Object, *icalendar.Object) {
	e.t.Helper()
	objs, err := e.st.ObjectsByUID(context.Background(), e.users[user].ID, uid)
	if err != nil {
		e.t.Fatal(err)
	}
	if len(objs) == 0 {
		return nil, nil
	}
	obj, err := icalendar.ParseObject(objs[0].Data, icalendar.Options{})
	if err != nil {
		e.t.Fatal(err)
	}
	return objs[0], obj
}

func (e *env) partstat(user, uid, key, of string) string {
	_, obj := e.copyOf(user, uid)
	if obj == nil {
		return ""
	}
	c := itip.Component(obj, key)
	if c == nil {
		c = obj.Master()
	}
	if !strings.Contains(of, "@") {
		of += "@almanac.test"
	}
	return itip.PartStat(c.Component, itip.MailtoOf(of))
}

func (e *env) mailTo(addr string) []mailer.Message {
	e.mu.Lock()
	defer e.mu.Unlock()
	var out []mailer.Message
	for _, m := range e.mail {
		if m.To[0] == addr {
			out = append(out, m)
		}
	}
	return out
}

func TestInviteReplyCancel(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		e := newEnv(t, st)
		ctx := context.Background()
		alice, bob := e.users["alice"], e.users["bob"]
		e.put(alice, e.work, "plan.ics", event("plan-1", 0, "", "bob@almanac.test", "carol@example.net"), store.Conditions{IfNoneMatch: true})

		org, orgObj := e.copyOf("alice", "plan-1")
		if org.Role != store.SchedOrganizer || org.ScheduleTag == "" {
			t.Fatalf("organizer copy: %+v", org.Scheduling)
		}
		st1 := itip.FindAttendee(orgObj.Master().Component, "mailto:bob@almanac.test").Params.Get("SCHEDULE-STATUS")
		st2 := itip.FindAttendee(orgObj.Master().Component, "mailto:carol@example.net").Params.Get("SCHEDULE-STATUS")
		if st1 != statusDelivered || st2 != statusPending && st2 != statusSent { // see TestScheduleStatusFollowsMail
			t.Errorf("SCHEDULE-STATUS bob %q carol %q", st1, st2)
		}

		// Bob gets his copy and an inbox item; Carol an e-mail.
		e.eventually("bob's copy", func() bool { o, _ := e.copyOf("bob", "plan-1"); return o != nil })
		bobCopy, _ := e.copyOf("bob", "plan-1")
		if bobCopy.Role != store.SchedAttendee || bobCopy.PartStat != itip.NeedsAction {
			t.Errorf("bob's copy: %+v", bobCopy.Scheduling)
		}
		if pend, _ := st.PendingInvitations(ctx, bob.ID); len(pend) != 1 {
			t.Errorf("bob has %d pending invitations", len(pend))
		}
		e.eventually("bob's inbox item", func() bool {
			in, _ := st.ListInbox(ctx, bob.ID)
			return len(in) == 1 && in[0].Method == itip.Request
		})
		e.eventually("carol's invitation", func() bool { return len(e.mailTo("carol@example.net")) == 1 })
		inv, err := itip.ParseMail(strings.NewReader(string(e.mailTo("carol@example.net")[0].Data)))
		if err != nil || inv.Message.Method != itip.Request {
			t.Fatalf("carol's mail: %v", err)
		}

		// Bob accepts in his copy: Alice's copy shows it, with the same
		// Schedule-Tag.
		bobCal, _ := st.GetCalendar(ctx, bobCopy.CalendarID)
		accepted := strings.Replace(string(bobCopy.Data), "PARTSTAT=NEEDS-ACTION;RSVP=TRUE:mailto:bob", "PARTSTAT=ACCEPTED:mailto:bob", 1)
		e.put(bob, bobCal, bobCopy.Name, []byte(accepted), store.Conditions{IfScheduleTagMatch: &bobCopy.ScheduleTag})
		e.eventually("bob's answer at alice", func() bool { return e.partstat("alice", "plan-1", "", "bob") == itip.Accepted })
		if o, _ := e.copyOf("alice", "plan-1"); o.ScheduleTag != org.ScheduleTag {
			t.Error("a reply changed the organizer's Schedule-Tag (RFC 6638 §3.2.10)")
		}

		// Carol answers by mail; a spoofed answer for her is refused.
		reply := func(from string) *itip.Inbound {
			o, obj := e.copyOf("alice", "plan-1")
			_ = o
			itip.SetPartStat(obj.Master().Component, "mailto:carol@example.net", itip.Declined)
			data, _ := itip.BuildReply(obj, "mailto:carol@example.net", obj.Components, time.Now())
			m, err := itip.Parse(data)
			if err != nil {
				t.Fatal(err)
			}
			return &itip.Inbound{From: from, Message: m}
		}
		mb := e.sched.MailBackend([]string{"almanac.test"})
		if err := mb.route(ctx, reply("mallory@example.net"), nil); err == nil {
			t.Error("a reply from someone else was accepted")
		}
		if err := mb.route(ctx, reply("carol@example.net"), nil); err != nil {
			t.Fatal(err)
		}
		e.eventually("carol's answer", func() bool { return e.partstat("alice", "plan-1", "", "carol@example.net") == itip.Declined })
		// Bob's copy shows the others' answers.
		e.eventually("carol's answer in bob's copy", func() bool { return e.partstat("bob", "plan-1", "", "carol@example.net") == itip.Declined })
		if o, _ := e.copyOf("bob", "plan-1"); o.PartStat != itip.Accepted {
			t.Errorf("bob's own answer became %q", o.PartStat)
		}

		// A stale Schedule-Tag is refused (RFC 6638 §3.3).
		stale := "stale"
		_, err = e.cals.PutObject(ctx, alice, e.work, "plan.ics", event("plan-1", 1, "", "bob@almanac.test"), store.Conditions{IfScheduleTagMatch: &stale})
		if !errors.Is(err, store.ErrPreconditionFailed) {
			t.Errorf("stale schedule tag: %v", err)
		}

		// Alice removes Carol: Carol gets a CANCEL.
		o, _ := e.copyOf("alice", "plan-1")
		e.put(alice, e.work, "plan.ics", event("plan-1", 1, "", "bob@almanac.test"), store.Conditions{IfScheduleTagMatch: &o.ScheduleTag})
		e.eventually("carol's cancellation", func() bool {
			for _, m := range e.mailTo("carol@example.net") {
				if strings.Contains(string(m.Data), "method=CANCEL") {
					return true
				}
			}
			return false
		})
		// Alice deletes the event: Bob's copy is cancelled.
		if err := e.cals.DeleteObject(ctx, alice, e.work, "plan.ics", store.Conditions{}); err != nil {
			t.Fatal(err)
		}
		e.eventually("bob's copy cancelled", func() bool {
			_, obj := e.copyOf("bob", "plan-1")
			return obj.Master().Status() == "CANCELLED"
		})
		// A cancelled meeting is no longer pending, says so, and cannot be
		// accepted.
		iv := e.sched.Invitations(e.cals)
		if pend, err := iv.Mine(ctx, bob, itip.NeedsAction); err != nil || len(pend) != 0 {
			t.Errorf("pending after cancellation: %+v %v", pend, err)
		}
		all, err := iv.Mine(ctx, bob, "")
		if err != nil || len(all) != 1 || !all[0].Cancelled {
			t.Fatalf("bob's invitations after cancellation: %+v %v", all, err)
		}
		if _, err := iv.Respond(ctx, bob, all[0].EventID, all[0].ID, itip.Accepted); !errors.Is(err, ErrCancelled) {
			t.Errorf("accepting a cancelled meeting: %v", err)
		}
	})
}

func TestRecurringDeclineOneInstance(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		e := newEnv(t, st)
		ctx := context.Background()
		alice, bob := e.users["alice"], e.users["bob"]
		e.put(alice, e.work, "weekly.ics", event("weekly-1", 0, "RRULE:FREQ=WEEKLY;COUNT=4\r\n", "bob@almanac.test", "dave@almanac.test"), store.Conditions{})
		e.eventually("bob's copy", func() bool { o, _ := e.copyOf("bob", "weekly-1"); return o != nil })
		o, obj := e.copyOf("bob", "weekly-1")
		// Bob accepts the series and declines the second week.
		itip.SetPartStat(obj.Master().Component, "mailto:bob@almanac.test", itip.Accepted)
		ov, err := itip.Instantiate(obj.Master(), icalendar.NewUTC(time.Date(2026, 1, 12, 9, 0, 0, 0, time.UTC)).Prop("RECURRENCE-ID"))
		if err != nil {
			t.Fatal(err)
		}
		itip.SetPartStat(ov, "mailto:bob@almanac.test", itip.Declined)
		obj.Calendar.Children = append(obj.Calendar.Children, ov)
		data, _ := icalendar.Marshal(obj.Calendar.Component)
		cal, _ := st.GetCalendar(ctx, o.CalendarID)
		e.put(bob, cal, o.Name, data, store.Conditions{IfMatch: o.ETag})

		e.eventually("the declined instance at alice", func() bool {
			return e.partstat("alice", "weekly-1", "20260112T090000Z", "bob") == itip.Declined &&
				e.partstat("alice", "weekly-1", "", "bob") == itip.Accepted
		})
		// Dave's copy shows Bob's answers, series and instance.
		e.eventually("bob's answers in dave's copy", func() bool {
			return e.partstat("dave", "weekly-1", "20260112T090000Z", "bob") == itip.Declined
		})
		// The instance is still in Alice's calendar, as an override.
		occ, err := e.cals.Instances(ctx, alice, e.work, time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC), time.Date(2026, 2, 1, 0, 0, 0, 0, time.UTC), nil)
		if err != nil || len(occ) != 4 {
			t.Errorf("alice sees %d instances (%v)", len(occ), err)
		}
	})
}

func TestFailedMailShowsInOrganizerCopy(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		e := newEnv(t, st)
		e.fail = func(to string) error {
			if to == "nobody@example.net" {
				return &outbox.PermanentError{Err: errors.New("550 no such user")}
			}
			return nil
		}
		e.put(e.users["alice"], e.work, "x.ics", event("x-1", 0, "", "nobody@example.net"), store.Conditions{})
		e.eventually("SCHEDULE-STATUS 5.1", func() bool {
			_, obj := e.copyOf("alice", "x-1")
			return itip.FindAttendee(obj.Master().Component, "mailto:nobody@example.net").Params.Get("SCHEDULE-STATUS") == statusFailed
		})
	})
}

func TestRSVPToken(t *testing.T) {
	s := New(nil, Options{Secret: []byte("0123456789abcdef0123456789abcdef")})
	r := RSVP{Object: "o1", Attendee: "mailto:carol@example.net", PartStat: itip.Accepted, Expires: time.Now().Add(time.Hour)}
	tok := s.Token(r)
	got, err := s.ParseToken(tok)
	if err != nil || got.Object != "o1" || got.PartStat != itip.Accepted {
		t.Fatalf("%+v %v", got, err)
	}
	tampered := strings.Replace(tok, tok[3:4], string(rune(tok[3]^1)), 1)
	if _, err := s.ParseToken(tampered); !errors.Is(err, ErrBadToken) {
		t.Errorf("tampered token: %v", err)
	}
	r.Expires = time.Now().Add(-time.Minute)
	if _, err := s.ParseToken(s.Token(r)); !errors.Is(err, ErrExpiredToken) {
		t.Errorf("expired token: %v", err)
	}
	other := New(nil, Options{Secret: []byte("another secret of thirty-two bytes!")})
	if _, err := other.ParseToken(tok); !errors.Is(err, ErrBadToken) {
		t.Errorf("token of another server: %v", err)
	}
}

func TestLargeMeetingFansOut(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		e := newEnv(t, st)
		var guests []string
		for i := 0; i < mailInline+5; i++ {
			guests = append(guests, fmt.Sprintf("guest%02d@example.net", i))
		}
		res := e.put(e.users["alice"], e.work, "big.ics", event("big-1", 0, "", append(guests, "bob@almanac.test")...), store.Conditions{})
		// The write queued one fan-out message, not one e-mail per guest.
		msgs, _ := st.ListOutbox(context.Background(), "", 100)
		kinds := map[string]int{}
		for _, m := range msgs {
			kinds[m.Kind]++
		}
		if kinds[FanoutKind] != 1 {
			t.Errorf("outbox after the write: %v", kinds)
		}
		e.eventually("every guest's e-mail", func() bool {
			for _, g := range guests {
				if len(e.mailTo(g)) != 1 {
					return false
				}
			}
			return true
		})
		in, err := itip.ParseMail(strings.NewReader(string(e.mailTo(guests[3])[0].Data)))
		if err != nil || in.Message.UID != "big-1" {
			t.Fatalf("a guest's mail: %v", err)
		}
		if !strings.Contains(string(e.mailTo(guests[3])[0].Data), "/rsvp/") {
			t.Error("no RSVP links")
		}
		o, _ := e.copyOf("alice", "big-1")
		if o.UUID != res.UUID {
			t.Error("fan-out refers to another object")
		}
		e.eventually("bob's copy", func() bool { o, _ := e.copyOf("bob", "big-1"); return o != nil })
	})
}

func TestFreeBusy(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		e := newEnv(t, st)
		ctx := context.Background()
		// Bob is busy from his invitation (09:00–10:00) once it lands.
		e.put(e.users["alice"], e.work, "fb.ics", event("fb-1", 0, "", "bob@almanac.test"), store.Conditions{})
		e.eventually("bob's copy", func() bool { o, _ := e.copyOf("bob", "fb-1"); return o != nil })
		req := "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:x\r\nMETHOD:REQUEST\r\nBEGIN:VFREEBUSY\r\nUID:fbq\r\nDTSTAMP:20260101T000000Z\r\n" +
			"DTSTART:20260105T000000Z\r\nDTEND:20260106T000000Z\r\nORGANIZER:mailto:alice@almanac.test\r\n" +
			"ATTENDEE:mailto:bob@almanac.test\r\nATTENDEE:mailto:carol@example.net\r\nEND:VFREEBUSY\r\nEND:VCALENDAR\r\n"
		res, err := e.sched.FreeBusy(ctx, e.cals, e.users["alice"], []byte(req))
		if err != nil || len(res) != 2 {
			t.Fatalf("%v %v", res, err)
		}
		if res[0].Status != "2.0;Success" || !strings.Contains(string(res[0].Data), "FREEBUSY;FBTYPE=BUSY:20260105T090000Z/20260105T100000Z") {
			t.Errorf("bob: %s\n%s", res[0].Status, res[0].Data)
		}
		if !strings.HasPrefix(res[1].Status, "3.7") {
			t.Errorf("carol: %s", res[1].Status)
		}
		if _, err := e.sched.FreeBusy(ctx, e.cals, e.users["bob"], []byte(req)); err == nil {
			t.Error("bob asked as alice")
		}
	})
}

func TestReplyForMissingInstanceRefused(t *testing.T) {
	st := storetest.SQLite(t)
	e := newEnv(t, st)
	e.put(e.users["alice"], e.work, "w.ics", event("w-1", 0, "RRULE:FREQ=WEEKLY;COUNT=2\r\n", "carol@example.net"), store.Conditions{})
	_, obj := e.copyOf("alice", "w-1")
	reply := func(rid string) error {
		data := "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:x\r\nMETHOD:REPLY\r\nBEGIN:VEVENT\r\nUID:w-1\r\nDTSTAMP:20260103T000000Z\r\n" +
			"RECURRENCE-ID:" + rid + "\r\nORGANIZER:mailto:alice@almanac.test\r\nATTENDEE;PARTSTAT=DECLINED:mailto:carol@example.net\r\n" +
			"END:VEVENT\r\nEND:VCALENDAR\r\n"
		m, err := itip.Parse([]byte(data))
		if err != nil {
			t.Fatal(err)
		}
		return checkInstances(obj, m)
	}
	if err := reply("20260112T090000Z"); err != nil {
		t.Errorf("second week: %v", err)
	}
	for _, rid := range []string{"20260119T090000Z", "20260112T093000Z"} {
		if err := reply(rid); err == nil {
			t.Errorf("%s is not an instance but was accepted", rid)
		}
	}
}

// TestScheduleAgentAndForceSend: SCHEDULE-AGENT=CLIENT leaves an attendee
// to the client (RFC 6638 §7.1); an unchanged event sends nothing until
// SCHEDULE-FORCE-SEND asks (§7.2), which is not stored.
func TestScheduleAgentAndForceSend(t *testing.T) {
	st := storetest.SQLite(t)
	e := newEnv(t, st)
	ctx := context.Background()
	countLocal := func() int {
		msgs, _ := st.ListOutbox(ctx, "", 100)
		n := 0
		for _, m := range msgs {
			if m.Kind == LocalKind {
				n++
			}
		}
		return n
	}
	data := event("fs-1", 0, "", "bob@almanac.test")
	data = []byte(strings.Replace(string(data), "ATTENDEE;PARTSTAT=NEEDS-ACTION;RSVP=TRUE:mailto:bob", "ATTENDEE;SCHEDULE-AGENT=CLIENT;PARTSTAT=NEEDS-ACTION;RSVP=TRUE:mailto:bob", 1))
	e.put(e.users["alice"], e.work, "fs.ics", data, store.Conditions{})
	if n := countLocal(); n != 0 {
		t.Fatalf("SCHEDULE-AGENT=CLIENT: %d messages queued", n)
	}
	plain := event("fs-1", 0, "", "bob@almanac.test")
	e.put(e.users["alice"], e.work, "fs.ics", plain, store.Conditions{})
	if n := countLocal(); n != 1 {
		t.Fatalf("the server took over bob: %d messages", n)
	}
	e.put(e.users["alice"], e.work, "fs.ics", plain, store.Conditions{})
	if n := countLocal(); n != 1 {
		t.Fatalf("an unchanged event sent again: %d messages", n)
	}
	forced := strings.Replace(string(plain), "ATTENDEE;PARTSTAT=NEEDS-ACTION;RSVP=TRUE:mailto:bob", "ATTENDEE;SCHEDULE-FORCE-SEND=REQUEST;PARTSTAT=NEEDS-ACTION;RSVP=TRUE:mailto:bob", 1)
	e.put(e.users["alice"], e.work, "fs.ics", []byte(forced), store.Conditions{})
	if n := countLocal(); n != 2 {
		t.Fatalf("SCHEDULE-FORCE-SEND: %d messages", n)
	}
	if o, _ := e.copyOf("alice", "fs-1"); strings.Contains(string(o.Data), "SCHEDULE-FORCE-SEND") {
		t.Error("SCHEDULE-FORCE-SEND was stored")
	}
}

// racer is a hook that, once, records an answer in the stored organizer's
// copy between the scheduling hook reading it and the write committing:
// the race If-Schedule-Tag-Match is about.
type racer struct {
	st   *store.Store
	done bool
}

func (r *racer) BeforePut(ctx context.Context, pc *calendar.PutContext) error {
	if r.done || pc.Name != "race.ics" {
		return nil
	}
	r.done = true
	o, err := r.st.GetObject(ctx, pc.Calendar.ID, pc.Name)
	if err != nil {
		return err
	}
	data := strings.Replace(string(o.Data), "PARTSTAT=NEEDS-ACTION;RSVP=TRUE;SCHEDULE-STATUS=1.2:mailto:bob", "PARTSTAT=ACCEPTED;SCHEDULE-STATUS=1.2:mailto:bob", 1)
	w := &store.ObjectWrite{Name: o.Name, UID: o.UID, Component: o.Component, Data: []byte(data), Sequence: o.Sequence,
		IndexedUntil: store.Forever, Scheduling: o.Scheduling}
	_, err = r.st.PutObject(ctx, pc.Calendar.ID, w, store.Conditions{IfMatch: o.ETag})
	return err
}

func (r *racer) BeforeDelete(context.Context, *calendar.DeleteContext) error { return nil }

func TestAnswerRecordedDuringOrganizerWriteIsKept(t *testing.T) {
	st := storetest.SQLite(t)
	e := newEnv(t, st)
	ctx := context.Background()
	e.put(e.users["alice"], e.work, "race.ics", event("race-1", 0, "", "bob@almanac.test"), store.Conditions{})
	o, _ := e.copyOf("alice", "race-1")
	r := &racer{st: st}
	cals := calendar.New(st, calendar.Options{Hooks: []calendar.Hook{e.sched, r}})
	// Alice's client edits the summary from its copy, in which Bob has not
	// answered yet; Bob's answer lands while the write is being prepared.
	edit := strings.Replace(string(event("race-1", 0, "", "bob@almanac.test")), "SUMMARY:Planning", "SUMMARY:Planning (room 2)", 1)
	if _, err := cals.PutObject(ctx, e.users["alice"], e.work, "race.ics", []byte(edit), store.Conditions{IfScheduleTagMatch: &o.ScheduleTag}); err != nil {
		t.Fatal(err)
	}
	if !r.done {
		t.Fatal("the race was not staged")
	}
	if ps := e.partstat("alice", "race-1", "", "bob"); ps != itip.Accepted {
		t.Errorf("bob's answer was overwritten: %s", ps)
	}
	if _, obj := e.copyOf("alice", "race-1"); obj.Master().Summary() != "Planning (room 2)" {
		t.Error("alice's edit was lost")
	}
}
