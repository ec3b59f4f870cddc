package scheduling

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"time"

	"github.com/almanac/almanac/calendar"
	"github.com/almanac/almanac/icalendar"
	"github.com/almanac/almanac/itip"
	"github.com/almanac/almanac/outbox"
	"github.com/almanac/almanac/recurrence"
	"github.com/almanac/almanac/store"
	"github.com/emersion/go-ical"
)

// Deliverer is the outbox handler of itip-local messages: it applies an
// iTIP message to a local user's calendar and adds it to their schedule
// inbox (RFC 6638 §4). Applying the same message twice changes nothing
// the second time, so at-least-once delivery is safe.
type Deliverer struct {
	s    *Scheduler
	cals *calendar.Service
}

// LocalHandler returns the itip-local handler, which writes through cals.
func (s *Scheduler) LocalHandler(cals *calendar.Service) *Deliverer {
	return &Deliverer{s: s, cals: cals}
}

// delivery is one message being applied for one user.
type delivery struct {
	*Deliverer
	user *store.User
	me   string
	msg  *itip.Message
	p    localPayload
	key  string
	// version is the ETag of the organizer's copy a reference message was
	// built from ("" for a message that carries its data).
	version string
}

// Deliver implements outbox.Handler.
func (d *Deliverer) Deliver(ctx context.Context, m *store.OutboxMessage) error {
	var p localPayload
	if err := json.Unmarshal(m.Payload, &p); err != nil {
		return &outbox.PermanentError{Err: fmt.Errorf("malformed itip-local payload: %v", err)}
	}
	u, err := d.s.st.GetUser(ctx, p.To)
	if errors.Is(err, store.ErrNotFound) {
		return nil // the recipient's account is gone
	} else if err != nil {
		return err
	}
	// A write by the user (or another delivery) between reading the copy
	// and storing it fails the precondition: read and apply again.
	var dv *delivery
	for try := 0; try < 5; try++ {
		if dv, err = d.delivery(ctx, m, p, u); err != nil || dv == nil {
			return err
		}
		if err = dv.apply(ctx); !errors.Is(err, store.ErrPreconditionFailed) {
			break
		}
	}
	var ie *itip.Error
	if errors.As(err, &ie) {
		d.s.opt.Logger.Warn("scheduling message refused", "to", u.Name, "from", p.From, "method", dv.msg.Method, "uid", dv.msg.UID, "reason", ie.Reason)
		return &outbox.PermanentError{Err: err}
	}
	return err
}

// delivery prepares one attempt: the message, read from the payload or,
// for a reference, built from the organizer's copy as it is now (nil when
// there is nothing left to deliver).
func (d *Deliverer) delivery(ctx context.Context, m *store.OutboxMessage, p localPayload, u *store.User) (*delivery, error) {
	dv := &delivery{Deliverer: d, user: u, me: itip.MailtoOf(u.Email), p: p, key: m.IdempotencyKey}
	var err error
	switch {
	case p.Source != "":
		if dv.p.Data, err = d.fromJob(ctx, p.Source, dv.me, m); err != nil || dv.p.Data == nil {
			return nil, err
		}
		if dv.msg, err = itip.Parse(dv.p.Data); err != nil {
			return nil, &outbox.PermanentError{Err: err}
		}
	case len(p.Data) == 0:
		if dv.msg, dv.version, err = d.currentRequest(ctx, p, u); err != nil || dv.msg == nil {
			return nil, err
		}
		dv.p.Data = dv.msg.Data()
	default:
		if dv.msg, err = itip.Parse(p.Data); err != nil {
			return nil, &outbox.PermanentError{Err: err}
		}
		// Messages are queued in the order they were made: replies alike
		// to the second are applied in that order, whichever is delivered
		// first (RFC 5546 §2.1.5).
		dv.msg.Arrival = m.ID
	}
	return dv, nil
}

// fromJob builds the message a fan-out job (a CANCEL) has for me; nil
// when the version it cancels does not invite them.
func (d *Deliverer) fromJob(ctx context.Context, jobKey, me string, m *store.OutboxMessage) ([]byte, error) {
	j, err := d.s.fanoutJob(ctx, jobKey)
	if err != nil {
		return nil, err
	}
	if j.p.method() != itip.Cancel {
		return nil, &outbox.PermanentError{Err: fmt.Errorf("fan-out job %s sends %s, which local deliveries take from the organizer's copy", jobKey, j.p.method())}
	}
	return j.cancelFor(me, m)
}

// stillCurrent reports, for a delivery built from the organizer's copy,
// whether that copy is still the version it was built from: an attendee's
// copy must not go back to an older version another delivery replaced.
func (dv *delivery) stillCurrent(ctx context.Context) (bool, error) {
	if dv.version == "" {
		return true, nil
	}
	etag, err := dv.s.st.ObjectETag(ctx, dv.p.Object)
	if errors.Is(err, store.ErrNotFound) {
		return false, nil
	}
	return err == nil && etag == dv.version, err
}

// currentRequest builds the REQUEST a reference message stands for from
// the organizer's copy as it is now; nil when the event is gone or no
// longer invites u (its CANCEL is on its way).
func (d *Deliverer) currentRequest(ctx context.Context, p localPayload, u *store.User) (*itip.Message, string, error) {
	etag, err := d.s.st.ObjectETag(ctx, p.Object)
	if errors.Is(err, store.ErrNotFound) {
		return nil, "", nil
	} else if err != nil {
		return nil, "", err
	}
	v := d.s.versions.lookup(p.Object, etag)
	if v == nil {
		// Not parsed yet: read the version with its data.
		o, err := d.s.st.GetObjectByUUID(ctx, p.Object)
		if errors.Is(err, store.ErrNotFound) {
			return nil, "", nil
		} else if err != nil {
			return nil, "", err
		}
		if v, err = d.s.versions.get(o); err != nil || v == nil {
			return nil, "", err
		}
		etag = o.ETag
	}
	if v.organizer != itip.Address(p.From) {
		return nil, "", &outbox.PermanentError{Err: errors.New("the referenced event has another organizer")}
	}
	msg, err := v.message(itip.MailtoOf(u.Email))
	return msg, etag, err
}

func (dv *delivery) apply(ctx context.Context) error {
	switch dv.msg.Method {
	case itip.Request, itip.Add:
		return dv.request(ctx)
	case itip.Cancel:
		return dv.cancel(ctx)
	case itip.Reply:
		return dv.reply(ctx)
	case itip.Refresh:
		return dv.refresh(ctx)
	case itip.Counter:
		return dv.counter(ctx) // kept for the organizer to accept or decline
	case itip.DeclineCounter:
		return dv.inbox(ctx) // shown to the user; nothing changes by itself
	}
	return &itip.Error{Reason: "method " + dv.msg.Method + " is not delivered"}
}

// copyOf finds the user's copy of the message's UID.
func (dv *delivery) copyOf(ctx context.Context) (*store.Object, *icalendar.Object, *store.Calendar, error) {
	objs, err := dv.s.st.ObjectsByUID(ctx, dv.user.ID, dv.msg.UID)
	if err != nil || len(objs) == 0 {
		return nil, nil, nil, err
	}
	o := objs[0]
	cal, err := dv.s.st.GetCalendar(ctx, o.CalendarID)
	if err != nil {
		return nil, nil, nil, err
	}
	obj, err := icalendar.ParseObject(o.Data, icalendar.Options{Components: cal.Components})
	if err != nil {
		return nil, nil, nil, fmt.Errorf("scheduling: stored copy of %s: %w", dv.msg.UID, err)
	}
	return o, obj, cal, nil
}

// request stores or updates the attendee's copy (RFC 6638 §3.2.1, RFC
// 5546 §3.2.2). A message older than the copy changes nothing, and an
// event that someone else organizes is not taken over.
func (dv *delivery) request(ctx context.Context) error {
	if !itip.SameAddress(dv.p.From, dv.msg.Organizer) {
		return &itip.Error{Reason: "a REQUEST must come from the organizer " + dv.msg.Organizer}
	}
	if !slices.ContainsFunc(dv.msg.Components, func(c *icalendar.Component) bool { return itip.Invited(c.Component, dv.me) }) {
		return &itip.Error{Reason: "the request does not invite " + dv.me}
	}
	o, obj, cal, err := dv.copyOf(ctx)
	if err != nil {
		return err
	}
	if o != nil {
		if organizer(obj) != dv.msg.Organizer {
			return &itip.Error{Reason: "UID " + dv.msg.UID + " belongs to another organizer's event"}
		}
		if !dv.msg.Newer(masterSequence(obj), itip.Stamp(obj)) && !dv.msg.Reinvites(obj) {
			dv.s.opt.Logger.Info("older scheduling message ignored", "to", dv.user.Name, "uid", dv.msg.UID, "sequence", dv.msg.Sequence)
			return nil
		}
	}
	if ok, err := dv.stillCurrent(ctx); err != nil || !ok {
		if err == nil {
			err = store.ErrPreconditionFailed // build it again from the new version
		}
		return err
	}
	if o == nil {
		// An invitation that is not in the calendar yet: held when it is
		// held already or comes from someone new (strangers.go); an
		// update of an event in the calendar never is.
		h, prev, err := dv.held(ctx)
		if err != nil {
			return err
		}
		welcome := false
		if h == nil {
			if welcome, err = dv.welcome(ctx); err != nil {
				return err
			}
		}
		if !welcome {
			return dv.hold(ctx, h, prev)
		}
	}
	tree := itip.Copy(dv.msg, obj, dv.me)
	data, err := icalendar.Marshal(tree)
	if err != nil {
		return &itip.Error{Reason: err.Error()}
	}
	tag := newTag()
	if dv.p.Quiet && o != nil {
		tag = o.ScheduleTag // other attendees' answers only (RFC 6638 §3.2.10)
	}
	partstat := ownAnswer(tree, dv.me)
	// The organizer of an event in the attendee's calendar is someone
	// they know from now on.
	if err := dv.writeKnown(ctx, o, cal, data, store.Scheduling{ScheduleTag: tag, Role: store.SchedAttendee, PartStat: partstat}, []string{dv.msg.Organizer}); err != nil {
		return err
	}
	if dv.p.Quiet {
		return nil
	}
	return dv.inbox(ctx)
}

// cancel marks the attendee's copy, or the cancelled instances, as
// CANCELLED (RFC 5546 §3.2.5); the copy stays so that they see it.
func (dv *delivery) cancel(ctx context.Context) error {
	if !itip.SameAddress(dv.p.From, dv.msg.Organizer) {
		return &itip.Error{Reason: "a CANCEL must come from the organizer " + dv.msg.Organizer}
	}
	o, obj, cal, err := dv.copyOf(ctx)
	if err != nil {
		return err
	}
	if o == nil {
		h, held, err := dv.held(ctx)
		var ie *itip.Error
		if errors.As(err, &ie) || err == nil && h == nil {
			return dv.inbox(ctx) // nothing to cancel; the message still informs
		} else if err != nil {
			return err
		}
		return dv.cancelHeld(ctx, h, held)
	}
	if organizer(obj) != dv.msg.Organizer {
		return dv.inbox(ctx) // nothing to cancel; the message still informs
	}
	if dv.msg.Sequence < masterSequence(obj) {
		return nil // older than the copy (RFC 5546 §2.1.5)
	}
	if err := itip.ApplyCancel(obj, dv.msg); err != nil {
		return err
	}
	data, err := icalendar.Marshal(obj.Calendar.Component)
	if err != nil {
		return err
	}
	sc := store.Scheduling{ScheduleTag: newTag(), Role: store.SchedAttendee, PartStat: o.PartStat}
	if err := dv.write(ctx, o, cal, data, sc, nil); err != nil {
		return err
	}
	return dv.inbox(ctx)
}

// reply records an attendee's answer in the organizer's copy (RFC 5546
// §3.2.3): only the PARTSTAT of the attendee who sent it, only if it is
// not older than the copy, and only for an event this user organizes.
// The Schedule-Tag stays (RFC 6638 §3.2.10); the other local attendees'
// copies are updated quietly so that they see the answer too.
func (dv *delivery) reply(ctx context.Context) error {
	o, obj, cal, err := dv.copyOf(ctx)
	if err != nil {
		return err
	}
	if o == nil || organizer(obj) != dv.me {
		dv.s.opt.Logger.Info("reply for an unknown event ignored", "to", dv.user.Name, "uid", dv.msg.UID, "from", dv.p.From)
		return nil
	}
	if dv.msg.Sequence < masterSequence(obj) {
		dv.s.opt.Logger.Info("reply to an older version ignored", "uid", dv.msg.UID, "sequence", dv.msg.Sequence)
		return nil
	}
	if err := checkInstances(obj, dv.msg); err != nil {
		return err
	}
	res, err := itip.ApplyReply(obj, dv.msg, dv.p.From)
	if err != nil {
		return err
	}
	if len(res.Stale) > 0 {
		// RFC 5546 §2.1.5: a later answer of the same SEQUENCE is recorded.
		dv.s.opt.Logger.Info("reply older than the answer recorded ignored", "uid", dv.msg.UID, "from", dv.p.From, "instances", res.Stale)
	}
	if !res.Changed && !res.Stamped {
		return nil
	}
	data, err := icalendar.Marshal(obj.Calendar.Component)
	if err != nil {
		return err
	}
	if !res.Changed { // only the record of the latest reply
		return dv.write(ctx, o, cal, data, o.Scheduling, nil)
	}
	quiet, err := dv.statusUpdates(ctx, obj, o.UUID)
	if err != nil {
		return err
	}
	if err := dv.write(ctx, o, cal, data, o.Scheduling, quiet); err != nil {
		return err
	}
	return dv.inbox(ctx)
}

// checkInstances refuses a reply for an instance the event does not have:
// an answer must not add occurrences to the organizer's calendar.
func checkInstances(obj *icalendar.Object, reply *itip.Message) error {
	var series *recurrence.Series
	for _, rc := range reply.Components {
		key := itip.RecurrenceKey(rc)
		if key == "" || itip.Component(obj, key) != nil {
			continue
		}
		rid, err := rc.RecurrenceID()
		if err != nil {
			return &itip.Error{Reason: err.Error()}
		}
		if series == nil {
			if series, err = recurrence.NewSeries(obj, recurrence.Options{}); err != nil {
				return &itip.Error{Reason: "the event cannot be expanded: " + err.Error()}
			}
		}
		at := rid.In(time.UTC)
		list, err := series.Expand(at.Add(-time.Second), at.Add(time.Second))
		if err != nil {
			return &itip.Error{Reason: err.Error()}
		}
		if !slices.ContainsFunc(list, func(in recurrence.Instance) bool { return in.RecurrenceID.Equal(at) }) {
			return &itip.Error{Reason: "the reply is for an instance (" + key + ") the event does not have"}
		}
	}
	return nil
}

// statusUpdates are the quiet REQUESTs that show the new answer in the
// other local attendees' copies. Each refers to the organizer's copy,
// built at delivery like an invitation, rather than carrying it: every
// answer to a meeting with many local attendees queues one small message
// for each of them, not a copy of the event.
func (dv *delivery) statusUpdates(ctx context.Context, obj *icalendar.Object, objUUID string) ([]store.OutboxMessage, error) {
	w := &write{me: dv.me}
	var emails []string
	for _, a := range w.attendees(obj) {
		if !itip.SameAddress(a, dv.p.From) && itip.Email(a) != "" {
			emails = append(emails, itip.Email(a))
		}
	}
	users, err := dv.s.st.UsersByEmail(ctx, emails)
	if err != nil {
		return nil, err
	}
	var out []store.OutboxMessage
	stamp := []byte(objUUID + "@quiet@" + dv.s.opt.Now().Format(time.RFC3339Nano))
	for _, e := range emails {
		u := users[e]
		if u == nil {
			continue
		}
		p, _ := json.Marshal(localPayload{To: u.ID, From: dv.me, Object: objUUID, Quiet: true})
		out = append(out, store.OutboxMessage{Kind: LocalKind, IdempotencyKey: key(LocalKind, u.ID, stamp), Payload: p,
			Ref: objUUID + " " + itip.MailtoOf(e)})
	}
	return out, nil
}

// refresh answers an attendee's REFRESH with the current REQUEST (RFC
// 5546 §3.2.6).
func (dv *delivery) refresh(ctx context.Context) error {
	o, obj, _, err := dv.copyOf(ctx)
	if err != nil || o == nil || organizer(obj) != dv.me {
		return err
	}
	att := dv.msg.Attendee()
	if !itip.SameAddress(att, dv.p.From) || !invitedAnywhere(obj, att) {
		return &itip.Error{Reason: "REFRESH from someone who is not an attendee"}
	}
	msgs, _, err := dv.s.prepare(ctx, dv.me, o.UUID, []send{{to: att, method: itip.Request, obj: obj}})
	if err != nil {
		return err
	}
	return dv.s.st.Enqueue(ctx, msgs...)
}

// write stores a copy through the calendar service (index, change log,
// notifications) as the user's own write, marked as the server's so that
// the hook sends nothing of its own.
func (dv *delivery) write(ctx context.Context, o *store.Object, cal *store.Calendar, data []byte, sc store.Scheduling, outbox []store.OutboxMessage) error {
	return dv.put(ctx, o, cal, data, &serverWrite{sched: sc, outbox: outbox})
}

// writeKnown is write, adding the addresses known to the user's known
// addresses with the copy.
func (dv *delivery) writeKnown(ctx context.Context, o *store.Object, cal *store.Calendar, data []byte, sc store.Scheduling, known []string) error {
	return dv.put(ctx, o, cal, data, &serverWrite{sched: sc, known: known})
}

func (dv *delivery) put(ctx context.Context, o *store.Object, cal *store.Calendar, data []byte, sw *serverWrite) error {
	cond := store.Conditions{IfNoneMatch: true}
	name := ""
	if o != nil {
		cond = store.Conditions{IfMatch: o.ETag}
		name = o.Name
	} else {
		var err error
		if cal, err = dv.defaultCalendar(ctx); err != nil {
			return err
		}
		name = resourceName(dv.msg.UID)
	}
	sctx := withServerWrite(ctx, sw)
	_, err := dv.cals.PutObject(sctx, dv.user, cal, name, data, cond)
	if o == nil && errors.Is(err, store.ErrPreconditionFailed) {
		// Another event already has the name made from the UID.
		_, err = dv.cals.PutObject(sctx, dv.user, cal, digestName(dv.msg.UID), data, cond)
	}
	var oe *calendar.ObjectError
	if errors.As(err, &oe) {
		return &itip.Error{Reason: "the event cannot be stored: " + oe.Error()}
	}
	return err // a precondition failure is retried: someone wrote meanwhile
}

// defaultCalendar is where new invitations land (RFC 6638 §9.2,
// schedule-default-calendar-URL): the user's first calendar that takes
// the component, made on demand.
func (dv *delivery) defaultCalendar(ctx context.Context) (*store.Calendar, error) {
	return DefaultCalendar(ctx, dv.cals, dv.user, dv.msg.Type)
}

// DefaultCalendarOf returns the calendar that receives u's invitations of
// component type comp (RFC 6638 §9.2): their oldest calendar that takes
// it. It returns store.ErrNotFound when they have none yet.
func DefaultCalendarOf(ctx context.Context, st *store.Store, u *store.User, comp string) (*store.Calendar, error) {
	list, err := st.ListCalendars(ctx, u.ID)
	if err != nil {
		return nil, err
	}
	var best *store.Calendar
	for _, c := range list {
		if c.Supports(comp) && (best == nil || c.ID < best.ID) {
			best = c
		}
	}
	if best == nil {
		return nil, store.ErrNotFound
	}
	return best, nil
}

// DefaultCalendar is DefaultCalendarOf, creating "calendar" when u has
// none that takes comp.
func DefaultCalendar(ctx context.Context, cals *calendar.Service, u *store.User, comp string) (*store.Calendar, error) {
	c, err := DefaultCalendarOf(ctx, cals.Store(), u, comp)
	if !errors.Is(err, store.ErrNotFound) {
		return c, err
	}
	c = &store.Calendar{Name: "calendar", DisplayName: "Calendar"}
	if err := cals.CreateCalendar(ctx, u, c); errors.Is(err, store.ErrExists) {
		c.Name = "invitations"
		err = cals.CreateCalendar(ctx, u, c)
		if err != nil {
			return nil, err
		}
	} else if err != nil {
		return nil, err
	}
	return c, nil
}

var safeName = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._@+-]{0,100}$`)

// resourceName names a new copy after its UID when that is a safe URL
// segment, else after its digest.
func resourceName(uid string) string {
	if safeName.MatchString(uid) {
		return uid + ".ics"
	}
	return digestName(uid)
}

func digestName(uid string) string {
	sum := sha256.Sum256([]byte(uid))
	return hex.EncodeToString(sum[:16]) + ".ics"
}

// inbox adds the message to the user's schedule inbox, once per delivery.
func (dv *delivery) inbox(ctx context.Context) error {
	sum := sha256.Sum256([]byte(dv.key))
	_, err := dv.s.st.PutInboxItem(ctx, &store.InboxItem{UserID: dv.user.ID, Name: hex.EncodeToString(sum[:16]) + ".ics",
		UID: dv.msg.UID, Method: dv.msg.Method, Sender: dv.p.From, Data: dv.p.Data})
	return err
}

// ownAnswer is me's PARTSTAT in the master (or first) component of a
// copy's tree.
func ownAnswer(tree *ical.Component, me string) string {
	var first *ical.Component
	for _, c := range tree.Children {
		if c.Name == ical.CompTimezone {
			continue
		}
		if c.Props.Get(ical.PropRecurrenceID) == nil {
			return itip.PartStat(c, me)
		}
		if first == nil {
			first = c
		}
	}
	if first == nil {
		return ""
	}
	return itip.PartStat(first, me)
}
