package store_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/almanac/almanac/store"
	"github.com/almanac/almanac/store/storetest"
)

func TestScheduleInbox(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		u := &store.User{Name: "u", Email: "u@example.com"}
		if err := st.CreateUser(ctx, u); err != nil {
			t.Fatal(err)
		}
		it := &store.InboxItem{UserID: u.ID, Name: "a.ics", UID: "x", Method: "REQUEST", Sender: "mailto:o@example.com", Data: []byte("BEGIN:VCALENDAR\r\nEND:VCALENDAR\r\n")}
		for i, want := range []bool{true, false} { // a repeated delivery adds nothing
			if isNew, err := st.PutInboxItem(ctx, it); err != nil || isNew != want {
				t.Fatalf("put %d: %v %v", i, isNew, err)
			}
		}
		got, err := st.GetInboxItem(ctx, u.ID, "a.ics")
		if err != nil || got.ETag != store.ETagOf(it.Data) || got.Method != "REQUEST" {
			t.Fatalf("%+v %v", got, err)
		}
		if n, _ := st.PurgeInbox(ctx, time.Now().Add(-time.Hour)); n != 0 {
			t.Errorf("purged a new item")
		}
		if err := st.DeleteInboxItem(ctx, u.ID, "a.ics"); err != nil {
			t.Fatal(err)
		}
		if err := st.DeleteInboxItem(ctx, u.ID, "a.ics"); err != store.ErrNotFound {
			t.Errorf("second delete: %v", err)
		}
		users, err := st.UsersByEmail(ctx, []string{"u@example.com", "nobody@example.com"})
		if err != nil || len(users) != 1 || users["u@example.com"].ID != u.ID {
			t.Errorf("UsersByEmail: %v %v", users, err)
		}
	})
}

// TestInboxSync follows the inbox's revision and change log through
// deliveries, a deletion and a purge (RFC 6578 on the schedule inbox).
func TestInboxSync(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		u := &store.User{Name: "u", Email: "u@example.com"}
		if err := st.CreateUser(ctx, u); err != nil {
			t.Fatal(err)
		}
		put := func(name string) {
			it := &store.InboxItem{UserID: u.ID, Name: name, UID: name, Method: "REQUEST", Sender: "mailto:o@example.com", Data: []byte(name)}
			if _, err := st.PutInboxItem(ctx, it); err != nil {
				t.Fatal(err)
			}
		}
		changes := func(since int64) (string, int64) {
			t.Helper()
			list, rev, err := st.InboxChangesSince(ctx, u.ID, since)
			if err != nil {
				t.Fatal(err)
			}
			var s []string
			for _, c := range list {
				if c.Deleted {
					s = append(s, "-"+c.Name)
				} else {
					s = append(s, c.Name)
				}
			}
			return strings.Join(s, ","), rev
		}
		if got, rev := changes(0); got != "" || rev != 0 {
			t.Fatalf("empty inbox: %q at %d", got, rev)
		}
		put("a")
		put("b")
		put("a") // a repeat changes nothing
		got, rev := changes(0)
		if got != "a,b" || rev != 2 {
			t.Fatalf("after two deliveries: %q at %d", got, rev)
		}
		if err := st.DeleteInboxItem(ctx, u.ID, "a"); err != nil {
			t.Fatal(err)
		}
		if got, now := changes(rev); got != "-a" || now != 3 {
			t.Errorf("since %d: %q at %d", rev, got, now)
		}
		if got, _ := changes(0); got != "b" {
			t.Errorf("full sync after a deletion: %q", got)
		}
		if r, err := st.InboxRevision(ctx, u.ID); err != nil || r != 3 {
			t.Errorf("InboxRevision: %d %v", r, err)
		}
		if _, _, err := st.InboxChangesSince(ctx, u.ID, 9); err != store.ErrInvalidSyncToken {
			t.Errorf("a token from the future: %v", err)
		}
		if n, err := st.PurgeInbox(ctx, time.Now().Add(time.Hour)); err != nil || n != 1 {
			t.Fatalf("purge: %d %v", n, err)
		}
		if _, _, err := st.InboxChangesSince(ctx, u.ID, 3); err != store.ErrInvalidSyncToken {
			t.Errorf("a token from before the purge: %v", err)
		}
		if got, rev := changes(0); got != "" || rev != 4 {
			t.Errorf("after the purge: %q at %d", got, rev)
		}
	})
}
