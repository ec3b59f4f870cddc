package scheduling

import (
	"context"
	"strings"
	"testing"

	"github.com/almanac/almanac/calendar"
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
		for _, n := range []string{"alice", "bob", "carol", "dave"} {
			u := &store.User{Name: n, Email: n + "@almanac.test"}
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
