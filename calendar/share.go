package calendar

import (
	"context"
	"errors"

	"github.com/almanac/almanac/store"
)

// Collaborator is a user with a role on a calendar.
type Collaborator struct {
	User  *store.User
	Role  Role
	Owner bool // the user who owns the calendar
}

// Share gives target the role on cal (or changes their role). The caller
// needs the owner role; nobody can share a calendar with its owner, and the
// role must be between free/busy and owner.
func (s *Service) Share(ctx context.Context, u *store.User, cal *store.Calendar, target *store.User, role Role) error {
	if _, err := s.authorize(ctx, u, cal, ActShare); err != nil {
		return err
	}
	if role < RoleFreeBusy || role > RoleOwner {
		return &InvalidError{"role", "must be one of freebusy, reader, writer, owner"}
	}
	if target.ID == cal.OwnerID {
		return &InvalidError{"user", "owns the calendar already"}
	}
	sh := &store.Share{CalendarID: cal.ID, UserID: target.ID, Role: role.String(), Name: cal.UUID,
		DisplayName: cal.DisplayName, Color: cal.Color, Order: cal.Order}
	if err := s.st.PutShare(ctx, sh); err != nil {
		return err
	}
	s.accessChanged(ctx, cal, target.ID, AccessGranted)
	return nil
}

// Unshare revokes target's access to cal. Owners may revoke anyone's
// access; anyone may revoke their own (leave the calendar).
func (s *Service) Unshare(ctx context.Context, u *store.User, cal *store.Calendar, target *store.User) error {
	if target.ID != u.ID {
		if _, err := s.authorize(ctx, u, cal, ActShare); err != nil {
			return err
		}
	}
	if err := s.st.DeleteShare(ctx, cal.ID, target.ID); err != nil {
		return err
	}
	s.accessChanged(ctx, cal, target.ID, AccessRevoked)
	return nil
}

// Collaborators lists who has access to cal: its owner first. Any reader
// of the calendar may see the list.
func (s *Service) Collaborators(ctx context.Context, u *store.User, cal *store.Calendar) ([]Collaborator, error) {
	if _, err := s.authorize(ctx, u, cal, ActRead); err != nil {
		return nil, err
	}
	owner, err := s.st.GetUser(ctx, cal.OwnerID)
	if err != nil {
		return nil, err
	}
	out := []Collaborator{{User: owner, Role: RoleOwner, Owner: true}}
	shares, err := s.st.ListShares(ctx, cal.ID)
	if err != nil {
		return nil, err
	}
	for _, sh := range shares {
		usr, err := s.st.GetUser(ctx, sh.UserID)
		if errors.Is(err, store.ErrNotFound) {
			continue // deleted concurrently
		} else if err != nil {
			return nil, err
		}
		role, _ := ParseRole(sh.Role)
		out = append(out, Collaborator{User: usr, Role: role})
	}
	return out, nil
}

// UpdateView changes how a sharee sees a calendar shared with them: their
// own display name, colour and order. Owners change the calendar itself.
func (s *Service) UpdateView(ctx context.Context, u *store.User, cal *store.Calendar, displayName, color string, order int) error {
	sh, err := s.st.GetShare(ctx, cal.ID, u.ID)
	if err != nil {
		return err
	}
	check := store.Calendar{Name: "x", DisplayName: displayName, Color: color, Components: []string{"VEVENT"}}
	if err := CheckCalendar(&check); err != nil {
		return err
	}
	sh.DisplayName, sh.Color, sh.Order = displayName, color, order
	return s.st.UpdateShareView(ctx, sh)
}

func (s *Service) accessChanged(ctx context.Context, cal *store.Calendar, userID int64, kind ChangeKind) {
	s.notify.Changed(ctx, Change{CalendarID: cal.ID, CalendarUUID: cal.UUID, OwnerID: cal.OwnerID, Kind: kind, UserID: userID})
}
