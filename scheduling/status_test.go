package scheduling

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"

	"github.com/almanac/almanac/itip"
	"github.com/almanac/almanac/outbox"
	"github.com/almanac/almanac/store"
	"github.com/almanac/almanac/store/storetest"
)

// SCHEDULE-STATUS follows the mail (RFC 6638 §3.2.9): 1.0 while the
// message is queued or being retried, 1.1 once the relay took it, 5.1
// when it was given up on, and 1.1 again when a retry of the dead message
// went through. Each change is a new ETag of the organizer's copy with
// the same Schedule-Tag, and sends nothing.
func TestScheduleStatusFollowsMail(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		e := newEnv(t, st)
		ctx := context.Background()
		const carol = "mailto:carol@example.net"
		var mu sync.Mutex
		attempts := 0
		release := make(chan struct{})
		permanent := false
		e.fail = func(to string) error {
			if to != "carol@example.net" {
				return nil
			}
			mu.Lock()
			attempts++
			n, perm := attempts, permanent
			mu.Unlock()
			switch {
			case perm:
				return &outbox.PermanentError{Err: errors.New("550 no such user")}
			case n == 1:
				return errors.New("421 try again later")
			}
			<-release // the second attempt waits until the test has looked
			return nil
		}
		status := func() (string, *store.Object) {
			o, obj := e.copyOf("alice", "status-1")
			return itip.FindAttendee(obj.Master().Component, carol).Params.Get("SCHEDULE-STATUS"), o
		}
		e.put(e.users["alice"], e.work, "s.ics", event("status-1", 0, "", "carol@example.net"), store.Conditions{IfNoneMatch: true})
		e.eventually("the second attempt", func() bool { mu.Lock(); defer mu.Unlock(); return attempts == 2 })
		got, pending := status()
		if got != statusPending {
			t.Fatalf("after a failed attempt, with another under way: SCHEDULE-STATUS %q, want %s", got, statusPending)
		}
		close(release)
		e.eventually("SCHEDULE-STATUS 1.1", func() bool { s, _ := status(); return s == statusSent })
		_, sent := status()
		if sent.ETag == pending.ETag || sent.ScheduleTag != pending.ScheduleTag {
			t.Errorf("ETag %s → %s, Schedule-Tag %s → %s: want a new ETag and the same Schedule-Tag",
				pending.ETag, sent.ETag, pending.ScheduleTag, sent.ScheduleTag)
		}

		// The next update fails for good, then a retry goes through.
		mu.Lock()
		permanent = true
		mu.Unlock()
		e.put(e.users["alice"], e.work, "s.ics", event("status-1", 1, "LOCATION:Room 2\r\n", "carol@example.net"), store.Conditions{})
		e.eventually("SCHEDULE-STATUS 5.1", func() bool { s, _ := status(); return s == statusFailed })
		var dead *store.OutboxMessage
		e.eventually("the update among the dead letters", func() bool {
			msgs, _ := st.OutboxByRef(ctx, sent.UUID+" "+carol)
			if len(msgs) > 0 && msgs[len(msgs)-1].Status == store.OutboxDead {
				dead = msgs[len(msgs)-1]
			}
			return dead != nil
		})
		mu.Lock()
		permanent = false
		mu.Unlock()
		if err := st.RetryOutbox(ctx, dead.ID); err != nil {
			t.Fatal(err)
		}
		e.sched.kick()
		e.eventually("SCHEDULE-STATUS 1.1 after the retry", func() bool { s, _ := status(); return s == statusSent })
		if n := len(e.mailTo("carol@example.net")); n != 2 {
			t.Errorf("carol got %d messages, want 2 (the invitation and the update)", n)
		}
	})
}

// Answers given over CalDAV, the JSON API or an RSVP link reach the
// organizer's copy as local deliveries, which the outbox may run in any
// order: of two with the same SEQUENCE, the later DTSTAMP stays (RFC 5546
// §2.1.5).
func TestLocalAnswersInOrder(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		e := newEnv(t, st)
		ctx := context.Background()
		alice := e.users["alice"]
		e.put(alice, e.work, "o.ics", event("order-1", 0, "", "bob@almanac.test"), store.Conditions{IfNoneMatch: true})
		e.eventually("bob's copy", func() bool { o, _ := e.copyOf("bob", "order-1"); return o != nil })
		reply := func(partstat, stamp string) store.OutboxMessage {
			data := "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//test//EN\r\nMETHOD:REPLY\r\nBEGIN:VEVENT\r\nUID:order-1\r\n" +
				"DTSTAMP:" + stamp + "\r\nSEQUENCE:0\r\nORGANIZER:mailto:alice@almanac.test\r\n" +
				"ATTENDEE;PARTSTAT=" + partstat + ":mailto:bob@almanac.test\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n"
			return localMessage(alice.ID, "mailto:bob@almanac.test", []byte(data), "", false)
		}
		deliver := func(m store.OutboxMessage) {
			if err := st.Enqueue(ctx, m); err != nil {
				t.Fatal(err)
			}
			e.sched.kick()
			e.eventually("the answer applied", func() bool {
				msgs, _ := st.ListOutbox(ctx, store.OutboxPending, 100)
				return len(msgs) == 0
			})
		}
		deliver(reply(itip.Declined, "20260103T100000Z")) // the later answer, delivered first
		deliver(reply(itip.Accepted, "20260103T095959Z"))
		if ps := e.partstat("alice", "order-1", "", "bob"); ps != itip.Declined {
			t.Errorf("bob's answer in alice's copy: %s, want the later DECLINED", ps)
		}
		deliver(reply(itip.Tentative, "20260103T100001Z"))
		if ps := e.partstat("alice", "order-1", "", "bob"); ps != itip.Tentative {
			t.Errorf("bob's answer in alice's copy: %s, want the latest TENTATIVE", ps)
		}
	})
}

// SCHEDULE-STATUS, the record of the latest reply and the guests'
// comments are the server's: an organizer's client that writes back an
// older copy, or one without them, does not undo them (RFC 6638 §3.2.9).
func TestServerRecordsSurviveClientWrites(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		e := newEnv(t, st)
		ctx := context.Background()
		alice := e.users["alice"]
		const carol = "mailto:carol@example.net"
		e.put(alice, e.work, "k.ics", event("keep-1", 0, "", "carol@example.net"), store.Conditions{IfNoneMatch: true})
		att := func() (status, stamp, comment string) {
			_, obj := e.copyOf("alice", "keep-1")
			c := obj.Master().Component
			p := itip.FindAttendee(c, carol)
			return p.Params.Get("SCHEDULE-STATUS"), p.Params.Get(itip.ReplyStampParam), itip.AttendeeComment(c, carol)
		}
		e.eventually("SCHEDULE-STATUS 1.1", func() bool { s, _, _ := att(); return s == statusSent })
		reply := "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//test//EN\r\nMETHOD:REPLY\r\nBEGIN:VEVENT\r\nUID:keep-1\r\n" +
			"DTSTAMP:20260103T000000Z\r\nSEQUENCE:0\r\nORGANIZER:mailto:alice@almanac.test\r\nCOMMENT:Count me in\r\n" +
			"ATTENDEE;PARTSTAT=ACCEPTED:" + carol + "\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n"
		if err := st.Enqueue(ctx, localMessage(alice.ID, carol, []byte(reply), "", false)); err != nil {
			t.Fatal(err)
		}
		e.sched.kick()
		e.eventually("carol's reply", func() bool { _, _, c := att(); return c == "Count me in" })
		// Alice's client writes the version it created, which has none of
		// it, with a new location.
		e.put(alice, e.work, "k.ics", event("keep-1", 0, "LOCATION:Room 3\r\n", "carol@example.net"), store.Conditions{})
		status, stamp, comment := att()
		if status != statusPending && status != statusSent || !strings.HasPrefix(stamp, "0/20260103T000000Z/") || comment != "Count me in" {
			t.Errorf("after the client's write: SCHEDULE-STATUS %q (the update's), reply %q, comment %q", status, stamp, comment)
		}
		e.eventually("SCHEDULE-STATUS 1.1 for the update", func() bool { s, _, _ := att(); return s == statusSent })
		// A write that sends carol nothing keeps her status as it is.
		e.put(alice, e.work, "k.ics", event("keep-1", 0, "LOCATION:Room 3\r\nCATEGORIES:Work\r\n", "carol@example.net"), store.Conditions{})
		if status, _, _ := att(); status != statusSent {
			t.Errorf("after a write that sends nothing: SCHEDULE-STATUS %q, want %s", status, statusSent)
		}
	})
}
