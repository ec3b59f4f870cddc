package scheduling

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/almanac/almanac/calendar"
	"github.com/almanac/almanac/itip"
	"github.com/almanac/almanac/mailer"
	"github.com/almanac/almanac/outbox"
	"github.com/almanac/almanac/store"
	"github.com/almanac/almanac/store/storetest"
)

// largeMeeting invites the most attendees the server allows besides
// Alice: local users first (made here), external guests for the rest.
func largeMeeting(t *testing.T, st *store.Store, uid string, locals int) (data []byte, guests, users []string) {
	t.Helper()
	for i := range locals {
		u := &store.User{Name: fmt.Sprintf("local%03d", i), Email: fmt.Sprintf("local%03d@almanac.test", i)}
		if err := st.CreateUser(context.Background(), u); err != nil {
			t.Fatal(err)
		}
		users = append(users, u.Email)
	}
	for i := len(users); i < calendar.DefaultMaxAttendees; i++ {
		guests = append(guests, fmt.Sprintf("guest%03d@example.net", i))
	}
	return event(uid, 0, "", append(append([]string{}, users...), guests...)...), guests, users
}

// TestFanoutStepIsBounded: a meeting with the most attendees allowed
// queues one fan-out job in the write's transaction, and each step of
// the job queues at most fanoutBatch small messages and the next step,
// whatever the size of the meeting; a step run twice queues nothing
// twice, and the steps together give every recipient one message.
func TestFanoutStepIsBounded(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		// Delivery between users who never dealt with each other: the server
		// takes everyone's invitations (holding them is strangers_test.go's).
		sched := New(st, Options{InvitationsDefault: store.InvitationsEveryone, MailFrom: "calendar@almanac.test", Secret: []byte("0123456789abcdef0123456789abcdef")})
		cals := calendar.New(st, calendar.Options{Hooks: []calendar.Hook{sched}})
		alice := &store.User{Name: "alice", Email: "alice@almanac.test"}
		if err := st.CreateUser(ctx, alice); err != nil {
			t.Fatal(err)
		}
		work := &store.Calendar{Name: "work"}
		if err := cals.CreateCalendar(ctx, alice, work); err != nil {
			t.Fatal(err)
		}
		data, guests, locals := largeMeeting(t, st, "huge-1", 5)
		if _, err := cals.PutObject(ctx, alice, work, "huge.ics", data, store.Conditions{}); err != nil {
			t.Fatal(err)
		}
		queued, _ := st.ListOutbox(ctx, "", 10_000)
		var jobs []*store.OutboxMessage
		size := 0
		for _, m := range queued {
			size += len(m.Payload)
			if m.Kind == FanoutKind {
				jobs = append(jobs, m)
			}
		}
		// The write: the local invitations (references) and one job
		// naming the guests, some tens of bytes each.
		if len(jobs) != 1 || len(queued) != len(locals)+1 || size > 100*calendar.DefaultMaxAttendees {
			t.Fatalf("the write queued %d messages (%d jobs), %d bytes", len(queued), len(jobs), size)
		}
		step := sched.FanoutHandler()
		got := map[string]int{}
		for n := 0; len(jobs) > 0; n++ {
			job := jobs[0]
			jobs = jobs[1:]
			before := lastID(t, st)
			for range 2 { // a step run again after its node stopped
				if err := step.Deliver(ctx, job); err != nil {
					t.Fatal(err)
				}
			}
			var made []*store.OutboxMessage
			for _, m := range newSince(t, st, before) {
				switch m.Kind {
				case FanoutKind:
					jobs = append(jobs, m)
				case InviteKind:
					var p recipientPayload
					if err := json.Unmarshal(m.Payload, &p); err != nil {
						t.Fatal(err)
					}
					got[itip.Email(p.To)]++
					made = append(made, m)
				default:
					t.Fatalf("step %d queued a %s", n, m.Kind)
				}
				if len(m.Payload) > 400 {
					t.Errorf("step %d queued %d bytes for one message", n, len(m.Payload))
				}
			}
			if len(made) > fanoutBatch || len(made) == 0 {
				t.Fatalf("step %d queued %d messages; at most %d", n, len(made), fanoutBatch)
			}
		}
		for _, g := range guests {
			if got[g] != 1 {
				t.Errorf("%s: %d messages", g, got[g])
			}
		}
		if len(got) != len(guests) {
			t.Errorf("%d recipients, want %d", len(got), len(guests))
		}
	})
}

func lastID(t *testing.T, st *store.Store) int64 {
	t.Helper()
	msgs, err := st.ListOutbox(context.Background(), "", 1)
	if err != nil || len(msgs) == 0 {
		t.Fatalf("outbox: %v", err)
	}
	return msgs[0].ID
}

func newSince(t *testing.T, st *store.Store, id int64) []*store.OutboxMessage {
	t.Helper()
	msgs, err := st.ListOutbox(context.Background(), "", 10_000)
	if err != nil {
		t.Fatal(err)
	}
	var out []*store.OutboxMessage
	for _, m := range msgs {
		if m.ID > id {
			out = append(out, m)
		}
	}
	return out
}

// TestLargestMeetingEveryoneOnce invites the most attendees allowed, then
// deletes the meeting: every guest gets exactly one invitation and one
// cancellation by e-mail, every local attendee their copy, then its
// cancellation. Nothing in the outbox holds a rendered e-mail of the
// meeting: what is stored stays linear in the number of attendees.
func TestLargestMeetingEveryoneOnce(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		e := newEnv(t, st)
		e.wait = time.Minute // a thousand deliveries, on a busy machine
		ctx := context.Background()
		data, guests, locals := largeMeeting(t, st, "huge-2", 8)
		e.put(e.users["alice"], e.work, "huge.ics", data, store.Conditions{})
		// Each mail is read once, outside the lock the deliveries take.
		counts, read := map[string]map[string]int{itip.Request: {}, itip.Cancel: {}}, 0
		count := func(method string) map[string]int {
			e.mu.Lock()
			mail := e.mail[read:]
			e.mu.Unlock()
			for _, m := range mail {
				for meth, n := range counts {
					if strings.Contains(string(m.Data), "method="+meth) {
						n[m.To[0]]++
					}
				}
			}
			read += len(mail)
			return counts[method]
		}
		everyone := func(method string) bool {
			n := count(method)
			for _, g := range guests {
				if n[g] != 1 {
					return false
				}
			}
			return len(n) == len(guests)
		}
		t0 := time.Now()
		e.eventually("every guest's invitation", func() bool { return everyone(itip.Request) })
		t.Logf("invitations: %s", time.Since(t0))
		for _, l := range locals {
			u, err := st.GetUserByName(ctx, strings.TrimSuffix(l, "@almanac.test"))
			if err != nil {
				t.Fatal(err)
			}
			e.users[u.Name] = u
		}
		e.eventually("every local copy", func() bool {
			for _, l := range locals {
				if o, _ := e.copyOf(strings.TrimSuffix(l, "@almanac.test"), "huge-2"); o == nil {
					return false
				}
			}
			return true
		})
		msgs, _ := st.ListOutbox(ctx, "", 10_000)
		for _, m := range msgs {
			if len(m.Payload) > 100*calendar.DefaultMaxAttendees {
				t.Errorf("a %s message of %d bytes", m.Kind, len(m.Payload))
			}
		}
		if err := e.cals.DeleteObject(ctx, e.users["alice"], e.work, "huge.ics", store.Conditions{}); err != nil {
			t.Fatal(err)
		}
		t0 = time.Now()
		e.eventually("every guest's cancellation", func() bool { return everyone(itip.Cancel) })
		t.Logf("cancellations: %s", time.Since(t0))
		e.eventually("every local copy cancelled", func() bool {
			for _, l := range locals {
				if _, obj := e.copyOf(strings.TrimSuffix(l, "@almanac.test"), "huge-2"); obj.Master().Status() != "CANCELLED" {
					return false
				}
			}
			return true
		})
		if n := count(itip.Request); len(n) != len(guests) {
			t.Errorf("%d invitations after the cancellation", len(n))
		}
	})
}

// TestFanoutJobOfEarlierVersions: a job queued before the fan-out went in
// steps (every guest's bare address, no method) is run a batch at a time
// too, and its e-mails are invitations to the meeting.
func TestFanoutJobOfEarlierVersions(t *testing.T) {
	st := storetest.SQLite(t)
	ctx := context.Background()
	// Delivery between users who never dealt with each other: the server
	// takes everyone's invitations (holding them is strangers_test.go's).
	sched := New(st, Options{InvitationsDefault: store.InvitationsEveryone, MailFrom: "calendar@almanac.test"})
	cals := calendar.New(st, calendar.Options{Hooks: []calendar.Hook{sched}})
	alice := &store.User{Name: "alice", Email: "alice@almanac.test"}
	if err := st.CreateUser(ctx, alice); err != nil {
		t.Fatal(err)
	}
	work := &store.Calendar{Name: "work"}
	if err := cals.CreateCalendar(ctx, alice, work); err != nil {
		t.Fatal(err)
	}
	var guests []string
	for i := range 150 {
		guests = append(guests, fmt.Sprintf("guest%03d@example.net", i))
	}
	res, err := cals.PutObject(ctx, alice, work, "old.ics", event("old-1", 0, "", guests...), store.Conditions{})
	if err != nil {
		t.Fatal(err)
	}
	payload, _ := json.Marshal(map[string]any{"object": res.UUID, "from": "mailto:alice@almanac.test", "to": guests})
	legacy := store.OutboxMessage{Kind: FanoutKind, IdempotencyKey: "imip-fanout/legacy", Payload: payload, Ref: res.UUID}
	if err := st.Enqueue(ctx, legacy); err != nil {
		t.Fatal(err)
	}
	job, err := st.OutboxByKey(ctx, legacy.IdempotencyKey)
	if err != nil {
		t.Fatal(err)
	}
	var mail []string
	capture := outbox.HandlerFunc(func(_ context.Context, m *store.OutboxMessage) error {
		var msg mailer.Message
		if err := json.Unmarshal(m.Payload, &msg); err != nil {
			return err
		}
		in, err := itip.ParseMail(bytes.NewReader(msg.Data))
		if err != nil || in.Message.Method != itip.Request || in.Message.UID != "old-1" {
			return fmt.Errorf("not an invitation to old-1: %v", err)
		}
		mail = append(mail, msg.To[0])
		return nil
	})
	invite := sched.InviteHandler(capture)
	for steps := 0; job != nil; steps++ {
		before := lastID(t, st)
		if err := sched.FanoutHandler().Deliver(ctx, job); err != nil {
			t.Fatal(err)
		}
		job = nil
		for _, m := range newSince(t, st, before) {
			switch {
			case m.Kind == FanoutKind:
				job = m
			case strings.HasPrefix(m.IdempotencyKey, legacy.IdempotencyKey+"/"):
				if err := invite.Deliver(ctx, m); err != nil {
					t.Fatal(err)
				}
			}
		}
		if steps > 1 {
			t.Fatal("more steps than 150 guests need")
		}
	}
	if len(mail) != len(guests) {
		t.Fatalf("%d e-mails for %d guests", len(mail), len(guests))
	}
}

// TestStaleInvitationNotSent: an invitation of a fan-out is built when it
// is delivered; if the meeting was cancelled or deleted meanwhile, it
// sends nothing (the cancellation has its own messages).
func TestStaleInvitationNotSent(t *testing.T) {
	st := storetest.SQLite(t)
	ctx := context.Background()
	// Delivery between users who never dealt with each other: the server
	// takes everyone's invitations (holding them is strangers_test.go's).
	sched := New(st, Options{InvitationsDefault: store.InvitationsEveryone, MailFrom: "calendar@almanac.test"})
	cals := calendar.New(st, calendar.Options{Hooks: []calendar.Hook{sched}})
	alice := &store.User{Name: "alice", Email: "alice@almanac.test"}
	if err := st.CreateUser(ctx, alice); err != nil {
		t.Fatal(err)
	}
	work := &store.Calendar{Name: "work"}
	if err := cals.CreateCalendar(ctx, alice, work); err != nil {
		t.Fatal(err)
	}
	var guests []string
	for i := range 20 {
		guests = append(guests, fmt.Sprintf("guest%02d@example.net", i))
	}
	if _, err := cals.PutObject(ctx, alice, work, "m.ics", event("m-1", 0, "", guests...), store.Conditions{}); err != nil {
		t.Fatal(err)
	}
	// The job's first step has run; its e-mails wait to be delivered.
	msgs, _ := st.ListOutbox(ctx, "", 10)
	if len(msgs) != 1 || msgs[0].Kind != FanoutKind {
		t.Fatalf("queued: %+v", msgs)
	}
	before := msgs[0].ID
	if err := sched.FanoutHandler().Deliver(ctx, msgs[0]); err != nil {
		t.Fatal(err)
	}
	pending := newSince(t, st, before)
	sent := 0
	invite := sched.InviteHandler(outbox.HandlerFunc(func(context.Context, *store.OutboxMessage) error { sent++; return nil }))
	if err := invite.Deliver(ctx, pending[0]); err != nil || sent != 1 {
		t.Fatalf("the first invitation: %d sent (%v)", sent, err)
	}
	cancelled := event("m-1", 1, "STATUS:CANCELLED\r\n", guests...)
	if _, err := cals.PutObject(ctx, alice, work, "m.ics", cancelled, store.Conditions{}); err != nil {
		t.Fatal(err)
	}
	if err := invite.Deliver(ctx, pending[1]); err != nil || sent != 1 {
		t.Fatalf("after the cancellation: %d sent (%v)", sent, err)
	}
	if err := cals.DeleteObject(ctx, alice, work, "m.ics", store.Conditions{}); err != nil {
		t.Fatal(err)
	}
	if err := invite.Deliver(ctx, pending[2]); err != nil || sent != 1 {
		t.Fatalf("after the deletion: %d sent (%v)", sent, err)
	}
}
