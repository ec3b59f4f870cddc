package calendar

import (
	"context"
	"errors"
	"testing"

	"github.com/almanac/almanac/store"
	"github.com/almanac/almanac/store/storetest"
)

func TestRolesAndPrivileges(t *testing.T) {
	for _, tc := range []struct {
		role Role
		can  []Action
		not  []Action
	}{
		{RoleNone, nil, []Action{ActFreeBusy, ActRead}},
		{RoleFreeBusy, []Action{ActFreeBusy}, []Action{ActRead, ActWrite}},
		{RoleReader, []Action{ActFreeBusy, ActRead}, []Action{ActWrite, ActEditCalendar}},
		{RoleWriter, []Action{ActRead, ActWrite}, []Action{ActEditCalendar, ActShare, ActDeleteCalendar}},
		{RoleOwner, []Action{ActWrite, ActEditCalendar, ActShare, ActDeleteCalendar}, nil},
	} {
		for _, a := range tc.can {
			if !tc.role.Can(a) {
				t.Errorf("%s cannot do %d", tc.role, a)
			}
		}
		for _, a := range tc.not {
			if tc.role.Can(a) {
				t.Errorf("%s can do %d", tc.role, a)
			}
		}
		if r, ok := ParseRole(tc.role.String()); !ok || r != tc.role {
			t.Errorf("ParseRole(%s) = %v", tc.role, r)
		}
	}
	if p := RoleFreeBusy.Privileges(); len(p) != 1 || p[0] != PrivReadFreeBusy {
		t.Errorf("free/busy privileges: %v", p)
	}
}

func TestAuthorizeHidesCalendars(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		s := New(st, Options{})
		mk := func(name string) *store.User {
			u := &store.User{Name: name, Email: name + "@example.com"}
			if err := st.CreateUser(ctx, u); err != nil {
				t.Fatal(err)
			}
			return u
		}
		owner, fb, stranger := mk("owner"), mk("fb"), mk("stranger")
		cal := &store.Calendar{Name: "c", DisplayName: "C"}
		if err := s.CreateCalendar(ctx, owner, cal); err != nil {
			t.Fatal(err)
		}
		if err := s.Share(ctx, owner, cal, fb, RoleFreeBusy); err != nil {
			t.Fatal(err)
		}
		if _, _, err := s.Calendar(ctx, stranger, cal.UUID, ActFreeBusy); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("stranger: %v, want not found", err)
		}
		if _, _, err := s.Calendar(ctx, nil, cal.UUID, ActFreeBusy); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("anonymous: %v, want not found", err)
		}
		if _, _, err := s.Calendar(ctx, fb, cal.UUID, ActRead); !errors.Is(err, ErrForbidden) {
			t.Errorf("free/busy reading: %v, want forbidden", err)
		}
		if _, role, err := s.Calendar(ctx, fb, cal.UUID, ActFreeBusy); err != nil || role != RoleFreeBusy {
			t.Errorf("free/busy query: %v %v", role, err)
		}
		if err := s.Share(ctx, fb, cal, stranger, RoleReader); !errors.Is(err, ErrForbidden) {
			t.Errorf("sharee shares: %v", err)
		}
		if err := s.Share(ctx, owner, cal, owner, RoleReader); err == nil {
			t.Error("shared with its owner")
		}
		if err := s.DeleteCalendar(ctx, fb, cal); !errors.Is(err, ErrForbidden) {
			t.Errorf("sharee deletes: %v", err)
		}
		list, err := s.Calendars(ctx, fb)
		if err != nil || len(list) != 1 || list[0].Role != RoleFreeBusy || list[0].Share == nil {
			t.Fatalf("sharee's calendars: %+v %v", list, err)
		}
	})
}
