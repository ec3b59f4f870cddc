package calendar

import (
	"context"
	"slices"

	"github.com/almanac/almanac/store"
)

// CreateCalendarWithProperties is CreateCalendar that also stores WebDAV
// dead properties, all in one transaction (MKCALENDAR, extended MKCOL).
func (s *Service) CreateCalendarWithProperties(ctx context.Context, u *store.User, c *store.Calendar, dead []store.DeadProperty) error {
	c.OwnerID = u.ID
	if len(c.Components) == 0 {
		c.Components = slices.Clone(store.ComponentTypes)
	}
	if err := CheckCalendar(c); err != nil {
		return err
	}
	if err := s.st.CreateCalendarWithProperties(ctx, c, dead); err != nil {
		return err
	}
	s.notify.Changed(ctx, Change{CalendarID: c.ID, CalendarUUID: c.UUID, OwnerID: c.OwnerID, Revision: c.Revision, Kind: CalendarUpdated})
	return nil
}

// UpdateCalendarWithProperties writes c's descriptive fields and its dead
// properties at once, all or nothing (PROPPATCH); the caller must be allowed
// to edit the calendar.
func (s *Service) UpdateCalendarWithProperties(ctx context.Context, u *store.User, c *store.Calendar, dead []store.DeadProperty) error {
	if _, err := s.authorize(ctx, u, c, ActEditCalendar); err != nil {
		return err
	}
	if err := CheckCalendar(c); err != nil {
		return err
	}
	if err := s.st.UpdateCalendarWithProperties(ctx, c, dead); err != nil {
		return err
	}
	s.notify.Changed(ctx, Change{CalendarID: c.ID, CalendarUUID: c.UUID, OwnerID: c.OwnerID, Revision: c.Revision, Kind: CalendarUpdated})
	return nil
}

// CalendarProperties returns the dead properties of a calendar the caller
// may read.
func (s *Service) CalendarProperties(ctx context.Context, u *store.User, c *store.Calendar) ([]store.DeadProperty, error) {
	if _, err := s.authorize(ctx, u, c, ActRead); err != nil {
		return nil, err
	}
	return s.st.CalendarProperties(ctx, c.ID)
}
