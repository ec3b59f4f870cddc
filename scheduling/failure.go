package scheduling

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"

	"github.com/almanac/almanac/calendar"
	"github.com/almanac/almanac/icalendar"
	"github.com/almanac/almanac/itip"
	"github.com/almanac/almanac/mailer"
	"github.com/almanac/almanac/outbox"
	"github.com/almanac/almanac/store"
	"github.com/emersion/go-ical"
)

// statusWriteTries bounds how often a status is written again when
// another write changed the copy in between (the deliveries of one
// meeting's messages finish side by side).
const statusWriteTries = 8

// MailHandler wraps the e-mail handler so that the sender's copy tells
// what became of each message (RFC 6638 §3.2.9), on the ATTENDEE in the
// organizer's copy and on the ORGANIZER in an attendee's: 1.0 (pending)
// from the write until the relay takes the message, 1.1 (sent) once it
// has — all an e-mail sender can know, as iMIP has no delivery receipt —
// and 5.1 (could not be delivered) when the relay refuses it for good or
// after maxAttempts tries. A message retried after that and delivered
// goes back to 1.1. Failures are also counted in the metrics.
func (s *Scheduler) MailHandler(next outbox.Handler, cals *calendar.Service, maxAttempts int) outbox.Handler {
	return outbox.HandlerFunc(func(ctx context.Context, m *store.OutboxMessage) error {
		err := next.Deliver(ctx, m)
		if m.Ref == "" {
			return err
		}
		var perm *outbox.PermanentError
		status := statusSent
		switch {
		case err == nil:
		case errors.As(err, &perm) || m.Attempts >= maxAttempts:
			status = statusFailed
			s.m.failed.WithLabelValues("email").Inc()
		default:
			return err // to be tried again: still pending
		}
		if serr := s.recordStatus(ctx, cals, m.Ref, status); serr != nil {
			s.opt.Logger.Warn("recording what became of a message", "ref", m.Ref, "status", status, "err", serr)
		}
		return err
	})
}

// statusBook gathers the statuses to record, by object, so that one
// write records all that arrived for a copy while the previous write was
// under way: the messages of a meeting are delivered many at a time, and
// one write each would contend for the same copy.
type statusBook struct {
	mu      sync.Mutex
	pending map[string]map[string]string // object UUID → address → status
	writing map[string]bool              // objects a delivery is writing
}

// recordStatus sets SCHEDULE-STATUS status for the recipient named in
// ref ("object-uuid address") in the sender's copy. The write is the
// server's: it keeps the Schedule-Tag and sends nothing (the copy's
// scheduling data did not change), but it gives the copy a new ETag, so
// that clients fetch it. When another delivery is already writing the
// copy, the status is left for it to write next; a copy changed in
// between is read again.
func (s *Scheduler) recordStatus(ctx context.Context, cals *calendar.Service, ref, status string) error {
	objUUID, addr, ok := strings.Cut(ref, " ")
	if !ok {
		return nil
	}
	b := &s.statuses
	b.mu.Lock()
	if b.pending == nil {
		b.pending, b.writing = map[string]map[string]string{}, map[string]bool{}
	}
	if b.pending[objUUID] == nil {
		b.pending[objUUID] = map[string]string{}
	}
	b.pending[objUUID][addr] = status
	if b.writing[objUUID] {
		b.mu.Unlock()
		return nil
	}
	b.writing[objUUID] = true
	var errs []error
	for len(b.pending[objUUID]) > 0 {
		batch := b.pending[objUUID]
		delete(b.pending, objUUID)
		b.mu.Unlock()
		errs = append(errs, s.writeStatuses(ctx, cals, objUUID, batch))
		b.mu.Lock()
	}
	delete(b.writing, objUUID)
	b.mu.Unlock()
	return errors.Join(errs...)
}

// writeStatuses writes statuses (address → status) into the copy,
// reading it again when another write came in between.
func (s *Scheduler) writeStatuses(ctx context.Context, cals *calendar.Service, objUUID string, statuses map[string]string) error {
	for range statusWriteTries {
		err := s.writeStatus(ctx, cals, objUUID, statuses)
		if !errors.Is(err, store.ErrPreconditionFailed) {
			return err
		}
	}
	return fmt.Errorf("the copy kept changing: %w", store.ErrPreconditionFailed)
}

func (s *Scheduler) writeStatus(ctx context.Context, cals *calendar.Service, objUUID string, statuses map[string]string) error {
	o, err := s.st.GetObjectByUUID(ctx, objUUID)
	if errors.Is(err, store.ErrNotFound) || err == nil && o.Role != store.SchedOrganizer && o.Role != store.SchedAttendee {
		return nil
	} else if err != nil {
		return err
	}
	cal, err := s.st.GetCalendar(ctx, o.CalendarID)
	if err != nil {
		return err
	}
	owner, err := s.st.GetUser(ctx, cal.OwnerID)
	if err != nil {
		return err
	}
	obj, err := icalendar.ParseObject(o.Data, icalendar.Options{Components: cal.Components})
	if err != nil {
		return nil
	}
	changed := false
	for addr, status := range statuses {
		if o.Role == store.SchedOrganizer {
			changed = setScheduleStatus(obj, addr, status) || changed
		} else {
			changed = setOrganizerStatus(obj, addr, status) || changed
		}
	}
	if !changed {
		return nil
	}
	data, err := icalendar.Marshal(obj.Calendar.Component)
	if err != nil {
		return err
	}
	sctx := withServerWrite(ctx, &serverWrite{sched: o.Scheduling})
	_, err = cals.PutObject(sctx, owner, cal, o.Name, data, store.Conditions{IfMatch: o.ETag})
	return err
}

// setOrganizerStatus sets SCHEDULE-STATUS on the ORGANIZER properties of
// an attendee's copy when addr is its organizer.
func setOrganizerStatus(obj *icalendar.Object, addr, status string) bool {
	changed := false
	for _, c := range obj.Components {
		if p := c.Props.Get(ical.PropOrganizer); p != nil && itip.SameAddress(p.Value, addr) && p.Params.Get("SCHEDULE-STATUS") != status {
			p.Params.Set("SCHEDULE-STATUS", status)
			changed = true
		}
	}
	return changed
}

// Handlers returns the outbox handlers scheduling needs, by kind: local
// deliveries, the steps of a large meeting's fan-out and the e-mails they
// queue, and e-mail itself (mail, wrapped to report what became of each
// message to its sender).
func (s *Scheduler) Handlers(cals *calendar.Service, mail outbox.Handler, maxAttempts int) map[string]outbox.Handler {
	return map[string]outbox.Handler{
		LocalKind:   s.LocalHandler(cals),
		FanoutKind:  s.FanoutHandler(),
		InviteKind:  s.MailHandler(s.InviteHandler(mail), cals, maxAttempts),
		mailer.Kind: s.MailHandler(mail, cals, maxAttempts),
	}
}
