package scheduling

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/almanac/almanac/itip"
	"github.com/almanac/almanac/store"
	"github.com/almanac/almanac/store/storetest"
)

// counterFrom is who's COUNTER for event uid proposing 14:00–15:00 UTC on
// 5 January 2026, with a comment.
func counterFrom(who, uid, comment string) []byte {
	return []byte("BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//test//EN\r\nMETHOD:COUNTER\r\nBEGIN:VEVENT\r\nUID:" + uid + "\r\n" +
		"DTSTAMP:20260102T000000Z\r\nSEQUENCE:0\r\nDTSTART:20260105T140000Z\r\nDTEND:20260105T150000Z\r\nSUMMARY:Planning\r\n" +
		"COMMENT:" + comment + "\r\nORGANIZER:mailto:alice@almanac.test\r\n" +
		"ATTENDEE;PARTSTAT=NEEDS-ACTION:mailto:" + who + "\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n")
}

// A COUNTER reaches the organizer as a proposal (RFC 5546 §3.2.7), not
// only as an inbox item; accepting it reschedules the event and sends the
// update, declining it sends a DECLINECOUNTER (§3.2.8). A COUNTER from
// someone not invited is refused, and an attendee's reply COMMENT shows
// in their invitation but in nobody else's message.
func TestProposals(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		e := newEnv(t, st)
		ctx := context.Background()
		alice, bob := e.users["alice"], e.users["bob"]
		res := e.put(alice, e.work, "p.ics", event("prop-1", 0, "", "bob@almanac.test", "carol@example.net"), store.Conditions{IfNoneMatch: true})
		objUUID := res.UUID
		e.eventually("bob's copy", func() bool { o, _ := e.copyOf("bob", "prop-1"); return o != nil })
		iv := e.sched.Invitations(e.cals)
		deliver := func(m store.OutboxMessage) {
			t.Helper()
			if err := st.Enqueue(ctx, m); err != nil {
				t.Fatal(err)
			}
			e.sched.kick()
			e.eventually("the delivery", func() bool {
				msgs, _ := st.ListOutbox(ctx, store.OutboxPending, 100)
				return len(msgs) == 0
			})
		}
		// Carol (by mail, as the listener queues it) and Dave, who is not
		// invited, propose a new time.
		deliver(localMessage(alice.ID, "mailto:carol@example.net", counterFrom("carol@example.net", "prop-1", "Mornings are hard"), "", false))
		deliver(localMessage(alice.ID, "mailto:dave@almanac.test", counterFrom("dave@almanac.test", "prop-1", "Me too"), "", false))
		list, err := iv.Proposals(ctx, alice, objUUID)
		if err != nil || len(list) != 1 {
			t.Fatalf("proposals: %+v %v", list, err)
		}
		p := list[0]
		if p.Attendee != "carol@example.net" || p.Comment != "Mornings are hard" || p.State != store.ProposalPending ||
			!p.Start.Equal(time.Date(2026, 1, 5, 14, 0, 0, 0, time.UTC)) || !p.End.Equal(time.Date(2026, 1, 5, 15, 0, 0, 0, time.UTC)) {
			t.Fatalf("carol's proposal: %+v", p)
		}
		if _, err := iv.Proposals(ctx, bob, objUUID); err == nil {
			t.Error("an attendee read the organizer's proposals")
		}

		// Alice accepts: her copy moves, with a new SEQUENCE, and the
		// attendees are told.
		before := len(e.mailTo("carol@example.net"))
		got, err := iv.AcceptProposal(ctx, alice, objUUID, p.ID)
		if err != nil || got.State != store.ProposalAccepted {
			t.Fatalf("accept: %+v %v", got, err)
		}
		_, obj := e.copyOf("alice", "prop-1")
		start, _ := obj.Master().Start()
		if seq, _ := obj.Master().Sequence(); !start.In(time.UTC).Equal(p.Start) || seq != 1 {
			t.Errorf("alice's copy: start %v, SEQUENCE %d", start, seq)
		}
		e.eventually("bob's copy moved", func() bool {
			_, obj := e.copyOf("bob", "prop-1")
			s, _ := obj.Master().Start()
			return s.In(time.UTC).Equal(p.Start)
		})
		e.eventually("carol's update", func() bool { return len(e.mailTo("carol@example.net")) > before })
		if _, err := iv.AcceptProposal(ctx, alice, objUUID, p.ID); !errors.Is(err, ErrProposalDecided) {
			t.Errorf("accepting twice: %v", err)
		}

		// Bob proposes another time; Alice declines: he gets a
		// DECLINECOUNTER and the event stays.
		deliver(localMessage(alice.ID, "mailto:bob@almanac.test", counterFrom("bob@almanac.test", "prop-1", "Later?"), "", false))
		list, _ = iv.Proposals(ctx, alice, objUUID)
		if len(list) != 2 || list[1].Attendee != "bob@almanac.test" {
			t.Fatalf("proposals: %+v", list)
		}
		got, err = iv.DeclineProposal(ctx, alice, objUUID, list[1].ID)
		if err != nil || got.State != store.ProposalDeclined {
			t.Fatalf("decline: %+v %v", got, err)
		}
		e.eventually("bob's DECLINECOUNTER", func() bool {
			in, _ := st.ListInbox(ctx, bob.ID)
			for _, it := range in {
				if it.Method == itip.DeclineCounter {
					return true
				}
			}
			return false
		})
		_, obj = e.copyOf("alice", "prop-1")
		if seq, _ := obj.Master().Sequence(); seq != 1 {
			t.Errorf("declining changed the event: SEQUENCE %d", seq)
		}

		// Carol answers with a comment: the organizer sees it; the next
		// message to Bob does not carry it.
		reply := "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//test//EN\r\nMETHOD:REPLY\r\nBEGIN:VEVENT\r\nUID:prop-1\r\n" +
			"DTSTAMP:20260103T000000Z\r\nSEQUENCE:1\r\nORGANIZER:mailto:alice@almanac.test\r\nCOMMENT:Works for me\\, thanks\r\n" +
			"ATTENDEE;PARTSTAT=ACCEPTED:mailto:carol@example.net\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n"
		deliver(localMessage(alice.ID, "mailto:carol@example.net", []byte(reply), "", false))
		inv, err := iv.Get(ctx, alice, objUUID, InvitationID("mailto:carol@example.net"))
		if err != nil || inv.Comment != "Works for me, thanks" || inv.PartStat != itip.Accepted {
			t.Fatalf("carol's invitation: %+v %v", inv, err)
		}
		_, obj = e.copyOf("alice", "prop-1")
		data, err := itip.BuildRequest(obj, "mailto:bob@almanac.test", time.Now())
		if err != nil || strings.Contains(string(data), "Works for me") {
			t.Errorf("the request to bob carries carol's comment: %v\n%s", err, data)
		}
	})
}
