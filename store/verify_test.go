package store_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/almanac/almanac/store"
	"github.com/almanac/almanac/store/storetest"
)

// Addresses are matched only once verified; confirming a link moves a
// pending address in and takes it from an account that had not verified
// it; expired links do nothing. On both stores.
func TestEmailVerificationStore(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		squat := &store.User{Name: "squat", Email: "b@example.com", EmailUnverified: true}
		owner := &store.User{Name: "owner", Email: "o@example.com"}
		for _, u := range []*store.User{squat, owner} {
			if err := st.CreateUser(ctx, u); err != nil {
				t.Fatal(err)
			}
		}
		if _, err := st.GetUserByEmail(ctx, "b@example.com"); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("unverified address matched: %v", err)
		}
		if got, err := st.GetUserByLoginEmail(ctx, "b@example.com"); err != nil || got.ID != squat.ID || !got.EmailUnverified {
			t.Fatalf("sign-in lookup: %+v %v", got, err)
		}
		owner.PendingEmail = "b@example.com"
		if err := st.UpdateUser(ctx, owner); err != nil {
			t.Fatal(err)
		}
		if err := st.SetEmailToken(ctx, owner.ID, "d1", time.Now().Add(-time.Minute)); err != nil {
			t.Fatal(err)
		}
		if _, err := st.ConfirmEmail(ctx, "d1"); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("expired link: %v", err)
		}
		if err := st.SetEmailToken(ctx, owner.ID, "d2", time.Now().Add(time.Hour)); err != nil {
			t.Fatal(err)
		}
		if u, exp, err := st.EmailTokenUser(ctx, "d2"); err != nil || u.ID != owner.ID || exp.Before(time.Now()) {
			t.Fatalf("EmailTokenUser: %v %v %v", u, exp, err)
		}
		got, err := st.ConfirmEmail(ctx, "d2")
		if err != nil || got.Email != "b@example.com" || got.EmailUnverified || got.PendingEmail != "" {
			t.Fatalf("confirm: %+v %v", got, err)
		}
		if u, err := st.GetUserByEmail(ctx, "b@example.com"); err != nil || u.ID != owner.ID {
			t.Fatalf("after confirming: %v %v", u, err)
		}
		s, _ := st.GetUser(ctx, squat.ID)
		if s.Email == "b@example.com" {
			t.Fatal("the squatter kept the address")
		}
		users, err := st.UsersByEmail(ctx, []string{"b@example.com", s.Email})
		if err != nil || len(users) != 1 {
			t.Fatalf("UsersByEmail: %v %v", users, err)
		}
	})
}
