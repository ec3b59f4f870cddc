package reminders

import (
	"context"
	"errors"
	"time"

	"github.com/almanac/almanac/alarm"
	"github.com/almanac/almanac/calendar"
	"github.com/almanac/almanac/store"
)

// hook keeps the alarms table in step with every object write.
type hook struct{ s *Service }

// BeforePut computes the object's alarm rows, stored with the write.
func (h hook) BeforePut(ctx context.Context, p *calendar.PutContext) error {
	s := h.s
	prev, err := h.previous(ctx, p)
	if err != nil {
		return err
	}
	// The rows (and a sharee's split) are computed from this version: if
	// another write lands first, the calendar service runs the hooks again.
	if p.Conditions.Stored == nil {
		stored := ""
		if prev != nil {
			stored = prev.ETag
		}
		p.Conditions.Stored = &stored
	}
	sub := &subject{cal: p.Calendar, obj: p.Object, series: p.Series}
	var per *store.PerUserData
	if p.User != nil && p.User.ID != p.Calendar.OwnerID {
		if per, err = s.splitSharee(ctx, p, prev, sub); err != nil {
			return err
		}
	}
	sub.zones = alarm.ZonesOf(sub.obj, calendarZone(p.Calendar))
	var objectID int64
	var uuid string
	if prev != nil {
		objectID, uuid = prev.ID, prev.UUID
	}
	if err := s.loadSubject(ctx, sub, objectID, uuid); err != nil {
		return err
	}
	rows, err := s.rows(sub)
	if err != nil {
		return invalid(err)
	}
	p.Write.Alarms = &store.AlarmSet{Rows: rows, PerUser: per}
	return nil
}

// previous reads the stored version the write replaces: nil for a
// create (If-None-Match, as every new object of an import is written).
func (h hook) previous(ctx context.Context, p *calendar.PutContext) (*store.Object, error) {
	if p.Conditions.IfNoneMatch {
		return nil, nil
	}
	prev, err := h.s.st.GetObject(ctx, p.Calendar.ID, p.Name)
	if errors.Is(err, store.ErrNotFound) {
		return nil, nil
	}
	return prev, err
}

// BeforeDelete has nothing to add: the alarm rows go with the object and
// the store withdraws the deliveries nobody has tried yet.
func (hook) BeforeDelete(context.Context, *calendar.DeleteContext) error { return nil }

// invalid reports an alarm the server cannot interpret as invalid
// calendar data (RFC 4791 §5.3.2.1, CALDAV:valid-calendar-data).
func invalid(err error) error {
	var ae *alarm.Error
	if errors.As(err, &ae) {
		return &calendar.ObjectError{Precondition: calendar.PreValidData, Message: ae.Error()}
	}
	return err
}

// calendarZone is where floating events of cal are read for reminders.
func calendarZone(cal *store.Calendar) *time.Location {
	if cal.TimeZone != "" {
		if loc, err := time.LoadLocation(cal.TimeZone); err == nil {
			return loc
		}
	}
	return time.UTC
}
