package store_test

import (
	"context"
	"errors"
	"testing"

	"github.com/almanac/almanac/store"
	"github.com/almanac/almanac/store/storetest"
)

func TestShares(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		owner, bob := mustUser(t, s, "owner"), mustUser(t, s, "bob")
		cal := mustCalendar(t, s, owner, "team")
		other := mustCalendar(t, s, owner, "other")
		sh := &store.Share{CalendarID: cal.ID, UserID: bob.ID, Role: "reader", Name: "team-owner", DisplayName: "Team"}
		if err := s.PutShare(ctx, sh); err != nil {
			t.Fatal(err)
		}
		if err := s.PutShare(ctx, &store.Share{CalendarID: other.ID, UserID: bob.ID, Role: "reader", Name: "team-owner"}); !errors.Is(err, store.ErrExists) {
			t.Fatalf("two shares at one name: %v", err)
		}
		sh.Role, sh.DisplayName = "writer", "ignored on update"
		if err := s.PutShare(ctx, sh); err != nil {
			t.Fatal(err)
		}
		got, err := s.GetShareByName(ctx, bob.ID, "team-owner")
		if err != nil || got.Role != "writer" || got.DisplayName != "Team" {
			t.Fatalf("GetShareByName: %+v %v", got, err)
		}
		got.Color, got.DisplayName = "#00ff00", "Our team"
		if err := s.UpdateShareView(ctx, got); err != nil {
			t.Fatal(err)
		}
		list, err := s.SharesOfUser(ctx, bob.ID)
		if err != nil || len(list) != 1 || list[0].Color != "#00ff00" {
			t.Fatalf("SharesOfUser: %+v %v", list, err)
		}
		if list, _ := s.ListShares(ctx, cal.ID); len(list) != 1 {
			t.Fatalf("ListShares: %d", len(list))
		}
		c, _ := s.GetCalendar(ctx, cal.ID)
		if c.Revision != 2 {
			t.Errorf("sharing did not bump the revision: %d", c.Revision)
		}
		if err := s.DeleteShare(ctx, cal.ID, bob.ID); err != nil {
			t.Fatal(err)
		}
		if _, err := s.GetShare(ctx, cal.ID, bob.ID); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("revoked share: %v", err)
		}
		if err := s.DeleteShare(ctx, cal.ID, bob.ID); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("second revoke: %v", err)
		}
	})
}
