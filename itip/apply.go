package itip

import (
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/almanac/almanac/icalendar"
	"github.com/emersion/go-ical"
)

// RecurrenceKey names the instance a component describes: "" for the
// master, else its RECURRENCE-ID as a UTC instant (or a date), so that
// the same instance matches whichever time zone each side wrote it in.
func RecurrenceKey(c *icalendar.Component) string {
	p := c.Props.Get(ical.PropRecurrenceID)
	if p == nil {
		return ""
	}
	rid, err := c.RecurrenceID()
	if err != nil {
		return "invalid:" + strings.TrimSpace(p.Value)
	}
	if rid.IsDate() {
		return rid.String()
	}
	return rid.In(time.UTC).UTC().Format("20060102T150405Z")
}

// PartStat returns addr's PARTSTAT in c: NEEDS-ACTION when the attendee
// has none (RFC 5545 §3.2.12), "" when addr is not an attendee.
func PartStat(c *ical.Component, addr string) string {
	p := FindAttendee(c, addr)
	if p == nil {
		return ""
	}
	if v := strings.ToUpper(p.Params.Get("PARTSTAT")); v != "" {
		return v
	}
	return NeedsAction
}

// SetPartStat sets addr's PARTSTAT in c and reports whether it changed.
func SetPartStat(c *ical.Component, addr, partstat string) bool {
	p := FindAttendee(c, addr)
	if p == nil || PartStat(c, addr) == partstat && p.Params.Get("PARTSTAT") != "" {
		return false
	}
	p.Params.Set("PARTSTAT", partstat)
	if partstat != NeedsAction {
		p.Params.Del("RSVP") // answered
	}
	return true
}

// ValidPartStat reports whether v is a participation status an attendee
// may reply with for an event (RFC 5545 §3.2.12).
func ValidPartStat(v string) bool {
	switch v {
	case NeedsAction, Accepted, Declined, Tentative, Delegated:
		return true
	}
	return false
}

// Component returns the component of obj for the instance key
// (RecurrenceKey), or nil.
func Component(obj *icalendar.Object, key string) *icalendar.Component {
	for _, c := range obj.Components {
		if RecurrenceKey(c) == key {
			return c
		}
	}
	return nil
}

// Instantiate returns an override of master for the instance whose
// RECURRENCE-ID property is rid: the master's properties without its
// recurrence rules, starting at the instance's start (RFC 5545 §3.8.4.4).
func Instantiate(master *icalendar.Component, rid *ical.Prop) (*ical.Component, error) {
	start, err := master.Start()
	if err != nil {
		return nil, err
	}
	ridVal, err := icalendar.ParseDateTime(rid.Value, rid.Params, master.Calendar().Location)
	if err != nil {
		return nil, err
	}
	inst := ridVal.In(time.UTC)
	var dt icalendar.DateTime
	switch {
	case start.IsDate():
		dt = icalendar.NewDate(ridVal.Time)
	case start.Kind == icalendar.Zoned:
		dt = icalendar.NewZoned(inst.In(start.Time.Location()), start.TZID, start.Time.Location())
	case start.Kind == icalendar.Floating:
		dt = icalendar.NewFloating(ridVal.Time)
	default:
		dt = icalendar.NewUTC(inst)
	}
	o := Clone(master.Component)
	for _, name := range []string{ical.PropRecurrenceRule, ical.PropRecurrenceDates, ical.PropExceptionDates} {
		o.Props.Del(name)
	}
	o.Props.Set(dt.Prop(ical.PropRecurrenceID))
	o.Props.Set(dt.Prop(ical.PropDateTimeStart))
	if end, err := master.End(); err == nil && !end.IsZero() {
		shift := end.In(time.UTC).Sub(start.In(time.UTC))
		var e icalendar.DateTime
		switch dt.Kind {
		case icalendar.Date:
			e = icalendar.NewDate(dt.Time.Add(shift))
		case icalendar.Zoned:
			e = icalendar.NewZoned(dt.Time.Add(shift).In(dt.Time.Location()), dt.TZID, dt.Time.Location())
		case icalendar.Floating:
			e = icalendar.NewFloating(dt.Time.Add(shift))
		default:
			e = icalendar.NewUTC(dt.Time.Add(shift))
		}
		o.Props.Set(e.Prop(ical.PropDateTimeEnd))
	}
	return o, nil
}

// ReplyOutcome says what applying a REPLY did.
type ReplyOutcome struct {
	Changed   bool
	Instances []string // recurrence keys whose status changed ("" = master)
	// Stamped says that the copy recorded the reply's SEQUENCE and
	// DTSTAMP (ReplyStampParam), or its comment, without a change of
	// status.
	Stamped bool
	// Stale lists the recurrence keys the reply answered with an older
	// DTSTAMP than an answer already recorded, and so left alone.
	Stale []string
}

// ReplyStampParam is the ATTENDEE parameter of the organizer's copy that
// records the SEQUENCE and DTSTAMP of the latest reply applied from that
// attendee, as "SEQUENCE/DTSTAMP" (DTSTAMP in UTC). It is the server's
// bookkeeping, removed from every message sent.
const ReplyStampParam = "X-ALMANAC-REPLY-STAMP"

// ApplyReply records a REPLY in the organizer's copy obj (RFC 5546 §3.2.3,
// RFC 6638 §3.2.2): only the PARTSTAT of the replying attendee changes,
// and only in the components the reply names. An instance without its own
// component gets an override made from the master. The replying attendee
// must be sender and must already be invited; anything else is an Error.
// RFC 5546 §2.1.5: of two replies with the same SEQUENCE, the one with the
// later DTSTAMP wins, so a component answered by an older reply than the
// one recorded is left as it is (Stale); replies sent over e-mail, or
// queued one after the other, may arrive in either order.
func ApplyReply(obj *icalendar.Object, reply *Message, sender string) (ReplyOutcome, error) {
	var out ReplyOutcome
	att := reply.Attendee()
	if !strings.Contains(sender, ":") {
		sender = MailtoOf(sender) // a bare e-mail address
	}
	if !SameAddress(att, sender) {
		return out, errorf("the reply answers for %s but comes from %s", att, Address(sender))
	}
	for _, rc := range reply.Components {
		ps := strings.ToUpper(PartStat(rc.Component, att))
		if !ValidPartStat(ps) {
			return out, errorf("PARTSTAT %q is not valid in a reply", ps)
		}
		target, err := replyTarget(obj, rc, att)
		if err != nil {
			return out, err
		}
		stamp := replyStamp(rc, reply)
		p := FindAttendee(target, att)
		if olderStamp(stamp, p.Params.Get(ReplyStampParam)) {
			out.Stale = append(out.Stale, RecurrenceKey(rc))
			continue
		}
		if SetPartStat(target, att, ps) {
			out.Changed = true
			out.Instances = append(out.Instances, RecurrenceKey(rc))
		}
		if p := FindAttendee(target, att); p.Params.Get(ReplyStampParam) != stamp {
			p.Params.Set(ReplyStampParam, stamp)
			out.Stamped = true
		}
		if SetAttendeeComment(target, att, Comment(rc.Component)) {
			out.Stamped = true
		}
	}
	return out, nil
}

// AttendeeCommentProp holds, in the organizer's copy, the COMMENT of an
// attendee's latest reply (RFC 5546 §3.2.3 lets a REPLY carry one), one
// property per attendee, named by its attendeeRefParam. The names are
// those Apple's calendar server uses for the same purpose, so that
// clients that know them can show the comment. The property is removed
// from every message sent.
const (
	AttendeeCommentProp = "X-CALENDARSERVER-ATTENDEE-COMMENT"
	attendeeRefParam    = "X-CALENDARSERVER-ATTENDEE-REF"
)

// Comment returns the text of c's first COMMENT, or "".
func Comment(c *ical.Component) string {
	if p := c.Props.Get(ical.PropComment); p != nil {
		if t, err := p.Text(); err == nil {
			return strings.TrimSpace(t)
		}
	}
	return ""
}

// AttendeeComment returns the comment addr's latest reply left in c.
func AttendeeComment(c *ical.Component, addr string) string {
	for _, p := range c.Props[AttendeeCommentProp] {
		if SameAddress(p.Params.Get(attendeeRefParam), addr) {
			t, _ := p.Text()
			return t
		}
	}
	return ""
}

// SetAttendeeComment records addr's comment in c ("" removes it) and
// reports whether c changed.
func SetAttendeeComment(c *ical.Component, addr, comment string) bool {
	if AttendeeComment(c, addr) == comment {
		return false
	}
	list := slices.DeleteFunc(c.Props[AttendeeCommentProp], func(p ical.Prop) bool {
		return SameAddress(p.Params.Get(attendeeRefParam), addr)
	})
	if comment != "" {
		p := ical.NewProp(AttendeeCommentProp)
		p.Params.Set(attendeeRefParam, addr)
		p.SetText(comment)
		list = append(list, *p)
	}
	if len(list) == 0 {
		delete(c.Props, AttendeeCommentProp)
	} else {
		c.Props[AttendeeCommentProp] = list
	}
	return true
}

// replyStamp is the "SEQUENCE/DTSTAMP" of a reply's component (the
// message's when the component has none), with "/Arrival" when known.
func replyStamp(rc *icalendar.Component, reply *Message) string {
	seq, err := rc.Sequence()
	if err != nil || rc.Props.Get(ical.PropSequence) == nil {
		seq = reply.Sequence
	}
	st := stampOf(rc)
	if st.IsZero() {
		st = reply.Stamp
	}
	s := strconv.Itoa(seq) + "/" + st.UTC().Format("20060102T150405Z")
	if reply.Arrival > 0 {
		s += "/" + strconv.FormatInt(reply.Arrival, 10)
	}
	return s
}

// olderStamp reports whether the reply stamp a is older than the recorded
// stamp b: a lower SEQUENCE, or the same and an earlier DTSTAMP, or both
// the same and an earlier arrival when both know theirs. A missing or
// unreadable record is older than any reply.
func olderStamp(a, b string) bool {
	as, at, aa := splitStamp(a)
	bs, bt, ba := splitStamp(b)
	if as < 0 || bs < 0 {
		return false
	}
	switch {
	case as != bs:
		return as < bs
	case at != bt:
		return at < bt
	}
	return aa > 0 && ba > 0 && aa < ba
}

// splitStamp reads a reply stamp: SEQUENCE (-1 when unreadable), DTSTAMP
// and arrival (0 when not recorded).
func splitStamp(s string) (seq int, stamp string, arrival int64) {
	parts := strings.SplitN(s, "/", 3)
	if len(parts) < 2 {
		return -1, "", 0
	}
	seq, err := strconv.Atoi(parts[0])
	if err != nil {
		return -1, "", 0
	}
	if len(parts) == 3 {
		arrival, _ = strconv.ParseInt(parts[2], 10, 64)
	}
	return seq, parts[1], arrival
}

// replyTarget finds, or makes, the organizer's component a reply
// component refers to.
func replyTarget(obj *icalendar.Object, rc *icalendar.Component, att string) (*ical.Component, error) {
	key := RecurrenceKey(rc)
	if c := Component(obj, key); c != nil {
		if !Invited(c.Component, att) {
			return nil, errorf("%s is not an attendee of this event", att)
		}
		return c.Component, nil
	}
	master := obj.Master()
	if key == "" || master == nil || !Invited(master.Component, att) {
		return nil, errorf("%s is not an attendee of this event or instance", att)
	}
	o, err := Instantiate(master, rc.Props.Get(ical.PropRecurrenceID))
	if err != nil {
		return nil, &Error{err.Error()}
	}
	obj.Add(o)
	return o, nil
}

// Copy builds an attendee's new copy from a REQUEST: the organizer's
// components and time zones, without METHOD. From the attendee's
// previous copy (nil for a new invitation) it keeps their alarms and,
// for each instance whose SEQUENCE the organizer did not raise, their own
// answer, since a change of equal sequence does not ask them again (RFC
// 5546 §2.1.5). A rescheduled instance (a new SEQUENCE) takes the
// organizer's NEEDS-ACTION (RFC 6638 §3.2.8), and so does an instance
// they are invited to again after its cancellation: an answer to the
// cancelled invitation is not one to the new.
func Copy(req *Message, prev *icalendar.Object, me string) *ical.Component {
	cal := ical.NewComponent(ical.CompCalendar)
	cal.Props.SetText(ical.PropVersion, "2.0")
	cal.Props.SetText(ical.PropProductID, ProdID)
	for _, tz := range req.Calendar.Timezones() {
		cal.Children = append(cal.Children, tz)
	}
	slices.SortFunc(cal.Children, func(a, b *ical.Component) int {
		return strings.Compare(a.Props.Get(ical.PropTimezoneID).Value, b.Props.Get(ical.PropTimezoneID).Value)
	})
	for _, c := range req.Components {
		n := Clone(c.Component)
		if prev != nil {
			keepOwn(n, c, Component(prev, RecurrenceKey(c)), me)
		}
		cal.Children = append(cal.Children, n)
	}
	return cal
}

// keepOwn carries into n, the new copy of an instance, what the
// attendee's previous copy old holds of their own: alarms, TRANSP, their
// answer unless the organizer asks again, and how their reply went.
func keepOwn(n *ical.Component, cur, old *icalendar.Component, me string) {
	if old == nil {
		return
	}
	for _, ch := range old.Children {
		if ch.Name == ical.CompAlarm {
			n.Children = append(n.Children, ch)
		}
	}
	// RFC 6638 §3.2.2.1: TRANSP is each attendee's own, like their alarms
	// (whether the meeting blocks their time).
	if t := old.Props.Get(ical.PropTransparency); t != nil {
		cp := icalendar.CloneProp(*t)
		n.Props.Set(&cp)
	}
	// RFC 6638 §7.3: SCHEDULE-STATUS on ORGANIZER tells the attendee how
	// their last reply went; an update from the organizer does not change
	// that.
	if was, org := old.Props.Get(ical.PropOrganizer), n.Props.Get(ical.PropOrganizer); was != nil && org != nil &&
		was.Params.Get("SCHEDULE-STATUS") != "" && SameAddress(was.Value, org.Value) {
		org.Params.Set("SCHEDULE-STATUS", was.Params.Get("SCHEDULE-STATUS"))
	}
	oldSeq, _ := old.Sequence()
	curSeq, _ := cur.Sequence()
	reinvited := strings.EqualFold(old.Status(), "CANCELLED") && !strings.EqualFold(cur.Status(), "CANCELLED")
	if ps := PartStat(old.Component, me); curSeq <= oldSeq && !reinvited && ps != "" {
		SetPartStat(n, me, ps)
	}
}

// ApplyCancel marks obj, or the instances cancel names, cancelled in an
// attendee's copy (RFC 5546 §3.2.5). Instances without a component of
// their own get an override.
func ApplyCancel(obj *icalendar.Object, cancel *Message) error {
	for _, cc := range cancel.Components {
		key := RecurrenceKey(cc)
		if key == "" {
			// The copy takes the cancellation's SEQUENCE and DTSTAMP, so
			// that an older REQUEST still on its way cannot revive it
			// (RFC 5546 §2.1.5), while one made after it can (Reinvites).
			for _, c := range obj.Components {
				c.Props.SetText(ical.PropStatus, "CANCELLED")
				raiseSequence(c, cancel.Sequence)
				if !cancel.Stamp.IsZero() && cancel.Stamp.After(stampOf(c)) {
					c.Props.SetDateTime(ical.PropDateTimeStamp, cancel.Stamp.UTC())
				}
			}
			continue
		}
		c := Component(obj, key)
		if c == nil {
			master := obj.Master()
			if master == nil {
				continue
			}
			o, err := Instantiate(master, cc.Props.Get(ical.PropRecurrenceID))
			if err != nil {
				return &Error{err.Error()}
			}
			c = obj.Add(o)
		}
		c.Props.SetText(ical.PropStatus, "CANCELLED")
		raiseSequence(c, cancel.Sequence)
	}
	return nil
}

// Reinvites reports whether a REQUEST makes a cancelled event again: the
// copy is cancelled as a whole and the request was made after the
// cancellation, or in the same second. An organizer's client that deleted
// an event and creates it again with the same UID starts over at
// SEQUENCE 0 (RFC 5545 §3.8.7.4 counts revisions of one event, and the
// deleted one is gone), so SEQUENCE alone would leave the attendee with
// the cancelled copy.
func (m *Message) Reinvites(copy *icalendar.Object) bool {
	master := copy.Master()
	if master == nil || master.Status() != "CANCELLED" || m.Method != Request {
		return false
	}
	for _, c := range m.Components {
		if RecurrenceKey(c) == "" && c.Status() == "CANCELLED" {
			return false
		}
	}
	return !m.Stamp.Before(Stamp(copy)) // DTSTAMP has whole seconds: a tie is the later message
}

func raiseSequence(c *icalendar.Component, seq int) {
	if cur, _ := c.Sequence(); seq > cur {
		setSequence(c.Component, seq)
	}
}

// setSequence writes SEQUENCE as the INTEGER it is (RFC 5545 §3.8.7.4):
// Props.SetText would label it VALUE=TEXT, which makes it invalid.
func setSequence(c *ical.Component, seq int) {
	p := ical.NewProp(ical.PropSequence)
	p.Value = strconv.Itoa(seq)
	c.Props.Set(p)
}
