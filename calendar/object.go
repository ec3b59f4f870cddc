package calendar

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/almanac/almanac/store"
)

// ObjectError rejects a calendar object resource. Precondition names the
// CalDAV precondition that failed (RFC 4791 §5.3.2.1), so the CalDAV front
// end can answer with its XML element and the JSON API with a problem.
type ObjectError struct {
	Precondition string // e.g. "valid-calendar-data", "max-resource-size"
	Message      string
	// Property is the iCalendar property at fault (e.g. "DTSTART"), when
	// the front end can point the client at it; empty otherwise.
	Property string
}

func (e *ObjectError) Error() string { return e.Precondition + ": " + e.Message }

// CalDAV preconditions an ObjectError can name.
const (
	PreValidData             = "valid-calendar-data"
	PreValidObject           = "valid-calendar-object-resource"
	PreSupportedComponent    = "supported-calendar-component"
	PreMaxResourceSize       = "max-resource-size"
	PreMinDateTime           = "min-date-time"
	PreMaxDateTime           = "max-date-time"
	PreMaxInstances          = "max-instances"
	PreMaxAttendees          = "max-attendees-per-instance"
	PreSupportedCollation    = "supported-collation"
	PreValidFilter           = "valid-filter"
	PreSupportedFilter       = "supported-filter"
	PreSupportedCalendarData = "supported-calendar-data"
	// PreAttendeeChange refuses an attendee's change that is the
	// organizer's to make (RFC 6638 §3.2.2.1).
	PreAttendeeChange = "allowed-attendee-scheduling-object-change"
)

// PutObject validates data as a calendar object resource of cal (RFC 4791
// §4.1), derives its time-range index rows, lets the hooks take part, and
// stores it under name. It returns an *ObjectError for data the calendar
// cannot take, a *QuotaError, a *store.UIDConflictError,
// store.ErrPreconditionFailed, ErrForbidden, ErrReadOnly,
// store.ErrNotFound, or a hook's error.
func (s *Service) PutObject(ctx context.Context, u *store.User, cal *store.Calendar, name string, data []byte, cond store.Conditions) (*store.WriteResult, error) {
	role, err := s.authorize(ctx, u, cal, ActWrite)
	if err != nil {
		return nil, err
	}
	if cal.ReadOnly() {
		return nil, ErrReadOnly
	}
	if len(data) > s.lim.MaxResourceSize {
		return nil, &ObjectError{Precondition: PreMaxResourceSize, Message: fmt.Sprintf("the object is %d bytes; this server accepts up to %d", len(data), s.lim.MaxResourceSize)}
	}
	// A hook that merged the stored version into the write (scheduling
	// keeps answers the server recorded) pins it with Conditions.Stored;
	// if it changed before the write committed, the hooks run again.
	var w *store.ObjectWrite
	var res *store.WriteResult
	for attempt := 0; ; attempt++ {
		c := cond
		if w, err = s.prepare(ctx, u, cal, role, name, data, &c); err != nil {
			return nil, err
		}
		// After the hooks, which may change what is stored.
		if err := s.checkQuota(ctx, cal, name, len(w.Data)); err != nil {
			return nil, err
		}
		res, err = s.st.PutObject(ctx, cal.ID, w, c)
		if !errors.Is(err, store.ErrStale) || attempt == 4 {
			break
		}
	}
	if err != nil {
		return nil, err
	}
	kind := Updated
	if res.Created {
		kind = Created
	}
	s.notify.Changed(ctx, Change{CalendarID: cal.ID, CalendarUUID: cal.UUID, OwnerID: cal.OwnerID,
		ObjectUUID: res.UUID, Name: name, ETag: res.ETag, Revision: res.Revision, Kind: kind})
	s.afterWrite(w.Outbox)
	s.settle(ctx, w.Outbox)
	return res, nil
}

// prepare derives what a write stores and lets the hooks take part.
func (s *Service) prepare(ctx context.Context, u *store.User, cal *store.Calendar, role Role, name string, data []byte, cond *store.Conditions) (*store.ObjectWrite, error) {
	w, obj, series, err := s.derive(cal, name, data)
	if err != nil {
		return nil, err
	}
	pc := &PutContext{User: u, Calendar: cal, Role: role, Name: name, Object: obj, Series: series, Write: w, Conditions: cond, Limits: s.lim}
	if err := s.runHooks(ctx, pc); err != nil {
		return nil, err
	}
	return w, nil
}

// runHooks lets the hooks take part in a write, in order.
func (s *Service) runHooks(ctx context.Context, pc *PutContext) error {
	for _, h := range s.hooks {
		if err := h.BeforePut(ctx, pc); err != nil {
			return err
		}
		if pc.Reshaped {
			if err := s.rederive(pc); err != nil {
				return err
			}
		}
	}
	return nil
}

// rederive derives a write's instances and summary again from its data,
// after a hook reshaped the object.
func (s *Service) rederive(pc *PutContext) error {
	pc.Reshaped = false
	d, obj, series, err := s.derive(pc.Calendar, pc.Name, pc.Write.Data)
	if err != nil {
		return err
	}
	w := pc.Write
	w.Data, w.Sequence, w.Summary, w.Text = d.Data, d.Sequence, d.Summary, d.Text
	w.Instances, w.IndexedUntil = d.Instances, d.IndexedUntil
	pc.Object, pc.Series = obj, series
	return nil
}

// DeleteObject removes a resource. It returns store.ErrNotFound,
// store.ErrPreconditionFailed (cond, If-Match and If-Schedule-Tag-Match,
// does not hold), ErrForbidden or a hook's error.
func (s *Service) DeleteObject(ctx context.Context, u *store.User, cal *store.Calendar, name string, cond store.Conditions) error {
	role, err := s.authorize(ctx, u, cal, ActWrite)
	if err != nil {
		return err
	}
	if cal.ReadOnly() {
		return ErrReadOnly
	}
	obj, err := s.st.GetObject(ctx, cal.ID, name)
	if err != nil {
		return err
	}
	if cond.IfMatch, err = s.storedTag(ctx, u, cal, obj, cond.IfMatch); err != nil {
		return err
	}
	dc := &DeleteContext{User: u, Calendar: cal, Role: role, Name: name, Previous: obj}
	for _, h := range s.hooks {
		if err := h.BeforeDelete(ctx, dc); err != nil {
			return err
		}
	}
	rev, err := s.st.DeleteObjectWith(ctx, cal.ID, name, cond, dc.Outbox)
	if err != nil {
		return err
	}
	s.notify.Changed(ctx, Change{CalendarID: cal.ID, CalendarUUID: cal.UUID, OwnerID: cal.OwnerID,
		ObjectUUID: obj.UUID, Name: name, Revision: rev, Kind: Deleted})
	s.afterWrite(dc.Outbox)
	s.settle(ctx, dc.Outbox)
	return nil
}

// afterWrite wakes the outbox workers when a write queued deliveries.
func (s *Service) afterWrite(queued []store.OutboxMessage) {
	if len(queued) > 0 && s.kick != nil {
		s.kick()
	}
}

// A Settler is a hook that, after a client's write committed, waits for
// what the write queued to take effect where the client may look next
// (scheduling: the deliveries to other users of the server), within a
// bound of its own.
type Settler interface {
	Settle(ctx context.Context, queued []store.OutboxMessage)
}

// settle lets the hooks that are Settlers wait for a write's effects.
func (s *Service) settle(ctx context.Context, queued []store.OutboxMessage) {
	if len(queued) == 0 {
		return
	}
	for _, h := range s.hooks {
		if st, ok := h.(Settler); ok {
			st.Settle(ctx, queued)
		}
	}
}

// MoveObject moves a resource to another calendar (or name) the caller may
// write, if cond holds for it. The destination must accept the component
// type, and its owner's quota must have room for it (a *QuotaError).
func (s *Service) MoveObject(ctx context.Context, u *store.User, from *store.Calendar, name string, to *store.Calendar, toName string, cond store.Conditions, overwrite bool) (*store.WriteResult, error) {
	if _, err := s.authorize(ctx, u, from, ActWrite); err != nil {
		return nil, err
	}
	if _, err := s.authorize(ctx, u, to, ActWrite); err != nil {
		return nil, err
	}
	if from.ReadOnly() || to.ReadOnly() {
		return nil, ErrReadOnly
	}
	obj, err := s.st.GetObject(ctx, from.ID, name)
	if err != nil {
		return nil, err
	}
	if !to.Supports(obj.Component) {
		return nil, &ObjectError{Precondition: PreSupportedComponent, Message: fmt.Sprintf("the destination calendar does not accept %s components", obj.Component)}
	}
	// The object met the date limits when it was written, and they are
	// the same for every calendar; the quota is the destination owner's.
	if to.OwnerID != from.OwnerID {
		if err := s.checkQuota(ctx, to, toName, obj.Size); err != nil {
			return nil, err
		}
	}
	if cond.IfMatch, err = s.storedTag(ctx, u, from, obj, cond.IfMatch); err != nil {
		return nil, err
	}
	res, err := s.st.MoveObject(ctx, from.ID, name, to.ID, toName, cond, overwrite)
	if err != nil {
		return nil, err
	}
	s.notify.Changed(ctx, Change{CalendarID: from.ID, CalendarUUID: from.UUID, OwnerID: from.OwnerID,
		ObjectUUID: res.UUID, Name: name, Revision: res.Revision, Kind: Deleted})
	kind := Updated
	if res.Created {
		kind = Created
	}
	s.notify.Changed(ctx, Change{CalendarID: to.ID, CalendarUUID: to.UUID, OwnerID: to.OwnerID,
		ObjectUUID: res.UUID, Name: toName, ETag: res.ETag, Revision: res.Revision, Kind: kind})
	return res, nil
}

// GetObject returns a resource the caller may read.
func (s *Service) GetObject(ctx context.Context, u *store.User, cal *store.Calendar, name string) (*store.Object, error) {
	if _, err := s.authorize(ctx, u, cal, ActRead); err != nil {
		return nil, err
	}
	obj, err := s.st.GetObject(ctx, cal.ID, name)
	if err != nil {
		return nil, err
	}
	return obj, s.ViewObjects(ctx, u, cal, []*store.Object{obj})
}

// ErrRangeTooWide rejects a query wider than Limits.MaxQuerySpan.
var ErrRangeTooWide = errors.New("calendar: time range too wide")

// CheckRange bounds the window of a view, a list or a free-busy answer to
// another user: at most Limits.MaxQuerySpan. It returns an *InvalidError
// or ErrRangeTooWide.
func (s *Service) CheckRange(from, to time.Time) error { return s.checkRange(from, to) }

func (s *Service) checkRange(from, to time.Time) error {
	if !from.Before(to) {
		return &InvalidError{"time-range", "start must be before end"}
	}
	if to.Sub(from) > s.lim.MaxQuerySpan {
		return fmt.Errorf("%w: at most %s", ErrRangeTooWide, s.lim.MaxQuerySpan)
	}
	return nil
}

// storedTag turns an If-Match on the tag of u's view of obj (a sharee's,
// see Viewer) into the stored version's, which the store checks.
func (s *Service) storedTag(ctx context.Context, u *store.User, cal *store.Calendar, obj *store.Object, ifMatch string) (string, error) {
	if ifMatch == "" || ifMatch == "*" || ifMatch == obj.ETag {
		return ifMatch, nil
	}
	view := &store.Object{ID: obj.ID, ETag: obj.ETag}
	if err := s.ViewObjects(ctx, u, cal, []*store.Object{view}); err != nil {
		return "", err
	}
	if ifMatch == view.ETag {
		return obj.ETag, nil
	}
	return ifMatch, nil
}
