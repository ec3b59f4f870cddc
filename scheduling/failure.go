package scheduling

import (
	"context"
	"errors"
	"strings"

	"github.com/almanac/almanac/calendar"
	"github.com/almanac/almanac/icalendar"
	"github.com/almanac/almanac/mailer"
	"github.com/almanac/almanac/outbox"
	"github.com/almanac/almanac/store"
)

// MailHandler wraps the e-mail handler so that an invitation given up on
// shows in the organizer's copy: SCHEDULE-STATUS 5.1 on the attendee
// (RFC 6638 §3.2.9), and in the metrics. A message is given up on when
// the relay refuses it for good or after maxAttempts tries.
func (s *Scheduler) MailHandler(next outbox.Handler, cals *calendar.Service, maxAttempts int) outbox.Handler {
	return outbox.HandlerFunc(func(ctx context.Context, m *store.OutboxMessage) error {
		err := next.Deliver(ctx, m)
		var perm *outbox.PermanentError
		if err == nil || m.Ref == "" || !errors.As(err, &perm) && m.Attempts < maxAttempts {
			return err
		}
		s.m.failed.WithLabelValues("email").Inc()
		if ferr := s.reportFailure(ctx, cals, m.Ref); ferr != nil {
			s.opt.Logger.Warn("recording a failed invitation", "ref", m.Ref, "err", ferr)
		}
		return err
	})
}

// reportFailure sets SCHEDULE-STATUS 5.1 for the attendee named in ref
// ("object-uuid address") in the organizer's copy, keeping its
// Schedule-Tag: the organizer's data did not change.
func (s *Scheduler) reportFailure(ctx context.Context, cals *calendar.Service, ref string) error {
	objUUID, addr, ok := strings.Cut(ref, " ")
	if !ok {
		return nil
	}
	o, err := s.st.GetObjectByUUID(ctx, objUUID)
	if errors.Is(err, store.ErrNotFound) || err == nil && o.Role != store.SchedOrganizer {
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
	if err != nil || !setScheduleStatus(obj, addr, statusFailed) {
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

// Handlers returns the outbox handlers scheduling needs, by kind: local
// deliveries, the steps of a large meeting's fan-out and the e-mails they
// queue, and e-mail itself (mail, wrapped to report failures to the
// organizer).
func (s *Scheduler) Handlers(cals *calendar.Service, mail outbox.Handler, maxAttempts int) map[string]outbox.Handler {
	return map[string]outbox.Handler{
		LocalKind:   s.LocalHandler(cals),
		FanoutKind:  s.FanoutHandler(),
		InviteKind:  s.MailHandler(s.InviteHandler(mail), cals, maxAttempts),
		mailer.Kind: s.MailHandler(mail, cals, maxAttempts),
	}
}
