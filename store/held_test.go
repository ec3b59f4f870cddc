package store_test

import (
	"context"
	"errors"
	"testing"

	"github.com/almanac/almanac/store"
	"github.com/almanac/almanac/store/storetest"
)

// TestKnows: an address is known once remembered, by a write that names
// it or directly, and a user is known to everyone they share a calendar
// with, in either direction.
func TestKnows(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		var users []*store.User
		for _, n := range []string{"ann", "bob", "cat"} {
			u := &store.User{Name: n, Email: n + "@example.com", SignedUp: true}
			if err := st.CreateUser(ctx, u); err != nil {
				t.Fatal(err)
			}
			users = append(users, u)
		}
		ann, bob, cat := users[0], users[1], users[2]
		knows := func(u *store.User, addr string, other int64) bool {
			t.Helper()
			ok, err := st.Knows(ctx, u.ID, addr, other)
			if err != nil {
				t.Fatal(err)
			}
			return ok
		}
		if knows(ann, "mailto:bob@example.com", bob.ID) || knows(ann, "mailto:x@example.org", 0) {
			t.Fatal("known before anything happened")
		}
		// Two accounts an administrator made know each other; a sign-up
		// knows neither, nor they it.
		var staff []*store.User
		for _, n := range []string{"dan", "eve"} {
			u := &store.User{Name: n, Email: n + "@example.com"}
			if err := st.CreateUser(ctx, u); err != nil {
				t.Fatal(err)
			}
			staff = append(staff, u)
		}
		if !knows(staff[0], "mailto:eve@example.com", staff[1].ID) || knows(staff[0], "mailto:ann@example.com", ann.ID) ||
			knows(ann, "mailto:dan@example.com", staff[0].ID) {
			t.Fatal("the administrator's accounts and sign-ups")
		}
		// A write that names addresses remembers them for the calendar's owner.
		c := &store.Calendar{OwnerID: ann.ID, Name: "work", Components: []string{"VEVENT"}}
		if err := st.CreateCalendar(ctx, c); err != nil {
			t.Fatal(err)
		}
		w := &store.ObjectWrite{Name: "a.ics", UID: "a", Component: "VEVENT", Data: []byte("BEGIN:VCALENDAR\r\nEND:VCALENDAR\r\n"),
			IndexedUntil: store.Forever, Known: []string{"mailto:x@example.org", "mailto:y@example.org", "mailto:x@example.org"}}
		if _, err := st.PutObject(ctx, c.ID, w, store.Conditions{}); err != nil {
			t.Fatal(err)
		}
		if _, err := st.PutObject(ctx, c.ID, w, store.Conditions{}); err != nil { // again: no conflict
			t.Fatal(err)
		}
		if !knows(ann, "mailto:x@example.org", 0) || !knows(ann, "mailto:y@example.org", 0) || knows(bob, "mailto:x@example.org", 0) {
			t.Fatal("a write's addresses are the calendar owner's to know")
		}
		if err := st.RememberAddresses(ctx, bob.ID, "mailto:z@example.org"); err != nil {
			t.Fatal(err)
		}
		if !knows(bob, "mailto:z@example.org", 0) {
			t.Fatal("remembered address unknown")
		}
		// Ann shares a calendar with Bob: each knows the other; Cat knows neither.
		if err := st.PutShare(ctx, &store.Share{CalendarID: c.ID, UserID: bob.ID, Role: "read", Name: "ann-work"}); err != nil {
			t.Fatal(err)
		}
		if !knows(bob, "mailto:ann@example.com", ann.ID) || !knows(ann, "mailto:bob@example.com", bob.ID) {
			t.Fatal("a share makes both known")
		}
		if knows(cat, "mailto:ann@example.com", ann.ID) || knows(ann, "mailto:cat@example.com", cat.ID) {
			t.Fatal("cat shares nothing")
		}
	})
}

// TestHeldInvitations: one held copy per user and UID, updated in place
// with its public id.
func TestHeldInvitations(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		u := &store.User{Name: "u", Email: "u@example.com"}
		if err := st.CreateUser(ctx, u); err != nil {
			t.Fatal(err)
		}
		h := &store.HeldInvitation{UserID: u.ID, UID: "evt", Organizer: "mailto:o@example.org", Component: "VEVENT",
			PartStat: "NEEDS-ACTION", Data: []byte("v1")}
		if err := st.PutHeld(ctx, h); err != nil || h.UUID == "" {
			t.Fatalf("put: %q %v", h.UUID, err)
		}
		id := h.UUID
		again := &store.HeldInvitation{UserID: u.ID, UID: "evt", Organizer: "mailto:o@example.org", Component: "VEVENT",
			PartStat: "DECLINED", Data: []byte("v2")}
		if err := st.PutHeld(ctx, again); err != nil || again.UUID != id {
			t.Fatalf("update: %q (want %q) %v", again.UUID, id, err)
		}
		got, err := st.HeldByUID(ctx, u.ID, "evt")
		if err != nil || got.UUID != id || string(got.Data) != "v2" || got.PartStat != "DECLINED" {
			t.Fatalf("by uid: %+v %v", got, err)
		}
		if got, err := st.HeldByUUID(ctx, u.ID, id); err != nil || got.UID != "evt" {
			t.Fatalf("by uuid: %+v %v", got, err)
		}
		if _, err := st.HeldByUUID(ctx, u.ID+1, id); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("someone else's: %v", err)
		}
		if list, err := st.ListHeld(ctx, u.ID); err != nil || len(list) != 1 {
			t.Fatalf("list: %d %v", len(list), err)
		}
		// Once the event is in one of the user's calendars, it is no
		// longer listed as held.
		c := &store.Calendar{OwnerID: u.ID, Name: "c", Components: []string{"VEVENT"}}
		if err := st.CreateCalendar(ctx, c); err != nil {
			t.Fatal(err)
		}
		w := &store.ObjectWrite{Name: "evt.ics", UID: "evt", Component: "VEVENT", Data: []byte("v3"), IndexedUntil: store.Forever}
		if _, err := st.PutObject(ctx, c.ID, w, store.Conditions{}); err != nil {
			t.Fatal(err)
		}
		if list, err := st.ListHeld(ctx, u.ID); err != nil || len(list) != 0 {
			t.Fatalf("list with the event in a calendar: %d %v", len(list), err)
		}
		if err := st.DeleteHeld(ctx, u.ID, id); err != nil {
			t.Fatal(err)
		}
		if err := st.DeleteHeld(ctx, u.ID, id); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("second delete: %v", err)
		}
	})
}
