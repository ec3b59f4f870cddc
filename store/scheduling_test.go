package store_test

import (
	"context"
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
