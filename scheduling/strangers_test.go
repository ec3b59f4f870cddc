package scheduling

import (
	"context"
	"strings"
	"testing"

	"github.com/almanac/almanac/calendar"
	"github.com/almanac/almanac/itip"
	"github.com/almanac/almanac/store"
	"github.com/almanac/almanac/store/storetest"
)

func TestInvitationsSetting(t *testing.T) {
	tests := []struct {
		user, server, want string
	}{
		{"", "", store.InvitationsKnown}, // the default: strangers are held
		{"", store.InvitationsEveryone, store.InvitationsEveryone},
		{"", store.InvitationsKnown, store.InvitationsKnown},
		{store.InvitationsKnown, store.InvitationsEveryone, store.InvitationsKnown},
		{store.InvitationsEveryone, store.InvitationsKnown, store.InvitationsEveryone},
		{"bogus", store.InvitationsEveryone, store.InvitationsEveryone},
	}
	for _, tc := range tests {
		s := New(nil, Options{InvitationsDefault: tc.server})
		if got := s.InvitationsSetting(&store.User{Invitations: tc.user}); got != tc.want {
			t.Errorf("user %q, server %q: %q, want %q", tc.user, tc.server, got, tc.want)
		}
	}
}

// TestKnownAddresses: who becomes known to whom, by the writes the hook
// sees (no deliveries run here) and by shares.
func TestKnownAddresses(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		s := New(st, Options{})
		cals := calendar.New(st, calendar.Options{Hooks: []calendar.Hook{s}})
		users := map[string]*store.User{}
		cal := map[string]*store.Calendar{}
		for _, n := range []string{"alice", "bob", "carol", "dave", "erin", "finn"} {
			// Erin and Finn are the administrator's; the others signed up.
			u := &store.User{Name: n, Email: n + "@almanac.test", SignedUp: n < "e"}
			if err := st.CreateUser(ctx, u); err != nil {
				t.Fatal(err)
			}
			users[n] = u
			cal[n] = &store.Calendar{Name: "calendar"}
			if err := cals.CreateCalendar(ctx, u, cal[n]); err != nil {
				t.Fatal(err)
			}
		}
		put := func(user, name string, data []byte) {
			t.Helper()
			if _, err := cals.PutObject(ctx, users[user], cal[user], name, data, store.Conditions{}); err != nil {
				t.Fatalf("%s puts %s: %v", user, name, err)
			}
		}
		// Alice invites Bob and someone outside.
		put("alice", "plan.ics", event("plan", 0, "", "bob@almanac.test", "ext@example.org"))
		// Carol answers, in her own copy, an invitation from outside.
		answer := strings.ReplaceAll(string(event("ext", 0, "", "carol@almanac.test")), "alice@almanac.test", "out@example.org")
		answer = strings.Replace(answer, "PARTSTAT=NEEDS-ACTION;RSVP=TRUE:mailto:carol", "PARTSTAT=ACCEPTED:mailto:carol", 1)
		put("carol", "ext.ics", []byte(answer))
		// Dave shares his calendar with Carol.
		if err := cals.Share(ctx, users["dave"], cal["dave"], users["carol"], calendar.RoleReader); err != nil {
			t.Fatal(err)
		}
		tests := []struct {
			user, addr string
			want       bool
		}{
			{"alice", "mailto:bob@almanac.test", true},  // she invited him
			{"alice", "mailto:ext@example.org", true},   // also outside the server
			{"bob", "mailto:alice@almanac.test", false}, // being invited is not knowing
			{"carol", "mailto:out@example.org", true},   // she answered their invitation
			{"carol", "mailto:dave@almanac.test", true}, // he shares a calendar with her
			{"dave", "mailto:carol@almanac.test", true}, // and the other way round
			{"dave", "MAILTO:Carol@Almanac.test", true}, // addresses compare normalised
			{"bob", "mailto:dave@almanac.test", false},
			{"bob", "mailto:ext@example.org", false},
			{"erin", "mailto:finn@almanac.test", true}, // the server's own people
			{"erin", "mailto:bob@almanac.test", false}, // a sign-up is not one of them
			{"bob", "mailto:erin@almanac.test", false},
		}
		for _, tc := range tests {
			got, err := s.Knows(ctx, users[tc.user], tc.addr)
			if err != nil {
				t.Fatal(err)
			}
			if got != tc.want {
				t.Errorf("%s knows %s: %v, want %v", tc.user, tc.addr, got, tc.want)
			}
		}
	})
}

// TestHeldAndNeverHeld, with the default setting: a new invitation from
// someone the attendee does not know is held, and the organizer's
// CANCEL marks the held copy; a change to an event already in the
// attendee's calendar is applied there even though they do not know its
// organizer (RFC 5546 §3.2.2: it updates their copy).
func TestHeldAndNeverHeld(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		e := newEnv(t, st, func(o *Options) { o.InvitationsDefault = "" }) // known
		bob := e.users["bob"]
		// Bob's client stored a copy of Alice's meeting without answering:
		// he does not know her.
		bobCal, err := DefaultCalendar(ctx, e.cals, bob, "VEVENT")
		if err != nil {
			t.Fatal(err)
		}
		e.put(bob, bobCal, "kept.ics", event("kept", 0, "", "bob@almanac.test"), store.Conditions{})
		if ok, err := e.sched.Knows(ctx, bob, "mailto:alice@almanac.test"); err != nil || ok {
			t.Fatalf("bob knows alice: %v %v", ok, err)
		}
		// Her new invitation is held.
		e.put(e.users["alice"], e.work, "fresh.ics", event("fresh", 0, "", "bob@almanac.test"), store.Conditions{})
		e.eventually("the held invitation", func() bool {
			h, err := st.HeldByUID(ctx, bob.ID, "fresh")
			return err == nil && h.PartStat == "NEEDS-ACTION"
		})
		// Her change to the one he has lands in his calendar (which makes
		// her known from then on).
		e.put(e.users["alice"], e.work, "kept.ics", event("kept", 1, "LOCATION:Room 2\r\n", "bob@almanac.test"), store.Conditions{})
		e.eventually("the change in bob's copy", func() bool {
			_, obj := e.copyOf("bob", "kept")
			if obj == nil {
				return false
			}
			p := masterOrFirst(obj).Props.Get("LOCATION")
			return p != nil && p.Value == "Room 2"
		})
		if ok, err := e.sched.Knows(ctx, bob, "mailto:alice@almanac.test"); err != nil || !ok {
			t.Fatalf("bob does not know alice, whose event is in his calendar: %v %v", ok, err)
		}
		if o, _ := e.copyOf("bob", "fresh"); o != nil {
			t.Fatal("a new invitation from someone new is in bob's calendar")
		}
		if o, _ := e.copyOf("bob", "kept"); o == nil {
			t.Fatal("bob's copy is gone")
		} else if h, err := st.HeldByUID(ctx, bob.ID, "kept"); err == nil {
			t.Fatalf("the update of a copy in the calendar was held: %s", h.UUID)
		}
		// Alice cancels the held one: the held copy says so.
		e.put(e.users["alice"], e.work, "fresh.ics", event("fresh", 1, "STATUS:CANCELLED\r\n", "bob@almanac.test"), store.Conditions{})
		e.eventually("the cancelled held copy", func() bool {
			h, err := st.HeldByUID(ctx, bob.ID, "fresh")
			return err == nil && strings.Contains(string(h.Data), "STATUS:CANCELLED")
		})
		list, err := e.sched.Invitations(e.cals).Mine(ctx, bob, "NEEDS-ACTION")
		if err != nil {
			t.Fatal(err)
		}
		for _, in := range list {
			if in.Held {
				t.Fatalf("a cancelled held invitation is pending: %+v", in)
			}
		}
	})
}

// TestHeldByMail: an invitation by e-mail (RFC 6047) from someone the
// attendee never dealt with is held like any other; once Bob answered
// one of Erin's, her next one lands in his calendar.
func TestHeldByMail(t *testing.T) {
	st := storetest.SQLite(t)
	ctx := context.Background()
	e := newEnv(t, st, func(o *Options) { o.InvitationsDefault = store.InvitationsKnown })
	bob := e.users["bob"]
	mb := e.sched.MailBackend([]string{"almanac.test"})
	invite := func(uid string) {
		t.Helper()
		data := strings.ReplaceAll(string(event(uid, 0, "", "bob@almanac.test")), "alice@almanac.test", "erin@example.org")
		data = strings.Replace(data, "BEGIN:VEVENT", "METHOD:REQUEST\r\nBEGIN:VEVENT", 1)
		msg, err := itip.Parse([]byte(data))
		if err != nil {
			t.Fatal(err)
		}
		if err := mb.route(ctx, &itip.Inbound{From: "erin@example.org", Message: msg}, []string{"bob@almanac.test"}); err != nil {
			t.Fatal(err)
		}
	}
	invite("mail-1")
	e.eventually("erin's invitation held", func() bool { _, err := st.HeldByUID(ctx, bob.ID, "mail-1"); return err == nil })
	if o, _ := e.copyOf("bob", "mail-1"); o != nil {
		t.Fatal("erin's invitation is in bob's calendar")
	}
	iv := e.sched.Invitations(e.cals)
	list, err := iv.Mine(ctx, bob, "")
	if err != nil || len(list) != 1 || !list[0].Held {
		t.Fatalf("bob's invitations: %+v %v", list, err)
	}
	in, err := iv.Respond(ctx, bob, list[0].EventID, list[0].ID, itip.Tentative)
	if err != nil || in.Held || in.PartStat != itip.Tentative {
		t.Fatalf("tentative: %+v %v", in, err)
	}
	if o, _ := e.copyOf("bob", "mail-1"); o == nil {
		t.Fatal("the accepted invitation is not in bob's calendar")
	}
	e.eventually("the REPLY to erin", func() bool { return len(e.mailTo("erin@example.org")) == 1 })
	invite("mail-2")
	e.eventually("erin's second invitation in bob's calendar", func() bool { o, _ := e.copyOf("bob", "mail-2"); return o != nil })
}
