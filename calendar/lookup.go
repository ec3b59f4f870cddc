package calendar

import (
	"context"

	"github.com/almanac/almanac/store"
)

// ObjectByUUID returns the resource with the public id, with its calendar
// and the caller's role on it, if the caller may do act there. It returns
// store.ErrNotFound when the resource does not exist or the caller may not
// know that it does, and ErrForbidden when the role falls short of act.
func (s *Service) ObjectByUUID(ctx context.Context, u *store.User, uuid string, act Action) (*store.Object, *store.Calendar, Role, error) {
	obj, err := s.st.GetObjectByUUID(ctx, uuid)
	if err != nil {
		return nil, nil, RoleNone, err
	}
	cal, err := s.st.GetCalendar(ctx, obj.CalendarID)
	if err != nil {
		return nil, nil, RoleNone, err
	}
	role, err := s.authorize(ctx, u, cal, act)
	if err != nil {
		return nil, nil, role, err
	}
	return obj, cal, role, nil
}
