package store_test

import (
	"context"
	"errors"
	"testing"

	"github.com/almanac/almanac/store"
	"github.com/almanac/almanac/store/storetest"
)

func TestCalendarWithProperties(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		u := mustUser(t, s, "alice")
		c := &store.Calendar{OwnerID: u.ID, Name: "work", DisplayName: "Work"}
		dead := []store.DeadProperty{{Namespace: "urn:x", Name: "a", XML: `<a xmlns="urn:x">1</a>`}}
		if err := s.CreateCalendarWithProperties(ctx, c, dead); err != nil {
			t.Fatal(err)
		}
		if err := s.CreateCalendarWithProperties(ctx, &store.Calendar{OwnerID: u.ID, Name: "work"}, dead); !errors.Is(err, store.ErrExists) {
			t.Fatalf("duplicate: %v", err)
		}
		rev := c.Revision
		c.DisplayName, c.Color = "Job", "#112233"
		err := s.UpdateCalendarWithProperties(ctx, c, []store.DeadProperty{
			{Namespace: "urn:x", Name: "a"},
			{Namespace: "urn:x", Name: "b", XML: `<b xmlns="urn:x"/>`},
		})
		if err != nil || c.Revision != rev+1 {
			t.Fatalf("update: %v, revision %d", err, c.Revision)
		}
		got, _ := s.GetCalendar(ctx, c.ID)
		props, _ := s.CalendarProperties(ctx, c.ID)
		if got.DisplayName != "Job" || got.Color != "#112233" || len(props) != 1 || props[0].Name != "b" {
			t.Fatalf("after update: %+v %+v", got, props)
		}
		if err := s.UpdateCalendarWithProperties(ctx, &store.Calendar{ID: 9999}, nil); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("missing calendar: %v", err)
		}
		if _, err := s.PutObject(ctx, c.ID, write("a.ics", "a"), store.Conditions{}); err != nil {
			t.Fatal(err)
		}
		all, err1 := s.Usage(ctx, u.ID, 0)
		one, err2 := s.Usage(ctx, u.ID, c.ID)
		if err1 != nil || err2 != nil || all != int64(len(event("a"))) || one != all {
			t.Fatalf("usage: %d %d %v %v", all, one, err1, err2)
		}
	})
}
