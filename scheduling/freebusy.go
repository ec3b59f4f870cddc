package scheduling

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/almanac/almanac/calendar"
	"github.com/almanac/almanac/icalendar"
	"github.com/almanac/almanac/itip"
	"github.com/almanac/almanac/store"
	"github.com/emersion/go-ical"
)

// FreeBusyResult is the answer for one recipient of a free-busy request
// (RFC 6638 §5.1, CALDAV:response in a schedule-response).
type FreeBusyResult struct {
	Recipient string // calendar user address, as asked
	Status    string // REQUEST-STATUS: "2.0;Success", "3.7;Invalid calendar user" …
	Data      []byte // METHOD:REPLY with one VFREEBUSY, for status 2.0
}

// ErrBadFreeBusy is a free-busy request the server cannot answer; the
// message says why.
type ErrBadFreeBusy struct{ Reason string }

func (e *ErrBadFreeBusy) Error() string { return "free-busy request: " + e.Reason }

// maxFreeBusySpan bounds the period one request may ask about.
const maxFreeBusySpan = 366 * 24 * time.Hour

// ErrNoFreeBusy says that the asker may learn nothing of the user's busy
// time. Front ends answer it exactly as they answer an unknown user (RFC
// 6638 §5.1: REQUEST-STATUS 3.7, "invalid calendar user"), so that it does
// not tell which addresses exist.
var ErrNoFreeBusy = errors.New("scheduling: no free-busy information for this user")

// FreeBusyCalendars is the one rule for whose busy time a user may learn,
// for CalDAV's schedule outbox and the JSON API alike. It returns the
// target's calendars to read busy time from (as the target), or
// ErrNoFreeBusy:
//   - one's own: every calendar that takes events;
//   - another user's, when both have a verified address and the target has
//     not opted out (the server's users as one directory, as Google does
//     within a domain): every calendar of theirs that takes events;
//   - otherwise the target's calendars shared with the asker, at any role
//     (free/busy included): a share is consent whatever the directory says.
//
// Only busy periods are ever disclosed, never what fills them.
func FreeBusyCalendars(ctx context.Context, cals *calendar.Service, asker, target *store.User) ([]*store.Calendar, error) {
	if asker.ID == target.ID || inDirectory(asker, target) {
		own, err := cals.Store().ListCalendars(ctx, target.ID)
		if err != nil {
			return nil, err
		}
		return eventCalendars(own), nil
	}
	visible, err := cals.Calendars(ctx, asker)
	if err != nil {
		return nil, err
	}
	var shared []*store.Calendar
	for _, v := range visible {
		if v.OwnerID == target.ID && v.Role >= calendar.RoleFreeBusy {
			shared = append(shared, v.Calendar)
		}
	}
	if len(shared) == 0 {
		return nil, ErrNoFreeBusy
	}
	return eventCalendars(shared), nil
}

// inDirectory says whether asker sees target's busy time without a share.
// An unverified account is nobody's colleague yet: the address could be
// anyone's.
func inDirectory(asker, target *store.User) bool {
	return !target.FreeBusyHidden && asker.VerifiedEmail() != "" && target.VerifiedEmail() != ""
}

func eventCalendars(list []*store.Calendar) []*store.Calendar {
	out := list[:0:0]
	for _, c := range list {
		if c.Supports(ical.CompEvent) {
			out = append(out, c)
		}
	}
	return out
}

// FreeBusy answers a VFREEBUSY REQUEST that u POSTed to their schedule
// outbox (RFC 6638 §5, RFC 5546 §3.3.2): the busy time of every attendee
// who is a user here, as FreeBusyCalendars allows.
func (s *Scheduler) FreeBusy(ctx context.Context, cals *calendar.Service, u *store.User, data []byte) ([]FreeBusyResult, error) {
	cal, err := icalendar.Parse(data)
	if err != nil {
		return nil, &ErrBadFreeBusy{err.Error()}
	}
	if cal.Method() != itip.Request {
		return nil, &ErrBadFreeBusy{"METHOD must be REQUEST"}
	}
	var fb *icalendar.Component
	for _, c := range cal.Components() {
		if c.Name == ical.CompFreeBusy {
			if fb != nil {
				return nil, &ErrBadFreeBusy{"one VFREEBUSY per request"}
			}
			fb = c
		}
	}
	if fb == nil {
		return nil, &ErrBadFreeBusy{"no VFREEBUSY component"}
	}
	// RFC 6638 §5.1: the ORGANIZER is the owner of the outbox.
	if !itip.SameAddress(itip.OrganizerOf(fb), itip.MailtoOf(u.VerifiedEmail())) {
		return nil, &ErrBadFreeBusy{"ORGANIZER must be your own address"}
	}
	from, to, err := freeBusyRange(fb, s.askerZone(ctx, u))
	if err != nil {
		return nil, err
	}
	var out []FreeBusyResult
	for _, p := range fb.Props.Values(ical.PropAttendee) {
		r, err := s.freeBusyOf(ctx, cals, u, fb, p.Value, from, to)
		if err != nil {
			return nil, err
		}
		out = append(out, r)
	}
	return out, nil
}

// freeBusyRange reads the window asked about. RFC 5546 §3.3.2 has it in
// UTC; a client's floating or all-day values are read in the asker's
// zone (loc), and DURATION in place of DTEND is taken as CalendarServer
// takes it, rather than refusing a request whose meaning is plain.
func freeBusyRange(fb *icalendar.Component, loc *time.Location) (time.Time, time.Time, error) {
	st, err1 := fb.Start()
	en, err2 := fb.End()
	dur, hasDur, err3 := fb.Duration()
	if err1 != nil || err2 != nil || err3 != nil || st.IsZero() || en.IsZero() && !hasDur {
		return time.Time{}, time.Time{}, &ErrBadFreeBusy{"DTSTART and DTEND (or DURATION) are required"}
	}
	from := st.In(loc)
	to := dur.AddTo(from)
	if !en.IsZero() {
		to = en.In(loc)
	}
	from, to = from.UTC(), to.UTC()
	if !from.Before(to) || to.Sub(from) > maxFreeBusySpan {
		return from, to, &ErrBadFreeBusy{"DTEND must follow DTSTART, by at most a year"}
	}
	return from, to, nil
}

// askerZone is the zone of u's default calendar for events, else UTC.
func (s *Scheduler) askerZone(ctx context.Context, u *store.User) *time.Location {
	c, err := DefaultCalendarOf(ctx, s.st, u, ical.CompEvent)
	if err != nil {
		return time.UTC
	}
	return calendar.Zone(c)
}

// freeBusyOf computes one attendee's busy periods. An address that is no
// user's, and a user whose busy time asker may not see, get the same
// answer (RFC 6638 §5.1, 3.7).
func (s *Scheduler) freeBusyOf(ctx context.Context, cals *calendar.Service, asker *store.User, req *icalendar.Component, addr string, from, to time.Time) (FreeBusyResult, error) {
	r := FreeBusyResult{Recipient: addr, Status: "3.7;Invalid calendar user"}
	email := itip.Email(addr)
	users, err := s.st.UsersByEmail(ctx, []string{email})
	if err != nil {
		return r, err
	}
	target := users[email]
	if email == "" || target == nil {
		return r, nil
	}
	list, err := FreeBusyCalendars(ctx, cals, asker, target)
	if errors.Is(err, ErrNoFreeBusy) {
		return r, nil
	} else if err != nil {
		return r, err
	}
	periods, err := busyPeriods(ctx, cals, target, list, from, to)
	if err != nil {
		return r, err
	}
	reply := ical.NewComponent(ical.CompFreeBusy)
	for _, name := range []string{ical.PropUID, ical.PropOrganizer} {
		if v := req.Props.Values(name); len(v) > 0 {
			reply.Props[name] = slices.Clone(v)
		}
	}
	reply.Props.Set(&ical.Prop{Name: ical.PropAttendee, Params: ical.Params{}, Value: addr})
	reply.Props.SetDateTime(ical.PropDateTimeStamp, s.opt.Now().UTC())
	reply.Props.SetDateTime(ical.PropDateTimeStart, from)
	reply.Props.SetDateTime(ical.PropDateTimeEnd, to)
	for _, p := range periods {
		prop := ical.NewProp(ical.PropFreeBusy)
		prop.Params.Set("FBTYPE", p.kind)
		prop.Value = p.start.UTC().Format("20060102T150405Z") + "/" + p.end.UTC().Format("20060102T150405Z")
		reply.Props.Add(prop)
	}
	msg := ical.NewComponent(ical.CompCalendar)
	msg.Props.SetText(ical.PropVersion, "2.0")
	msg.Props.SetText(ical.PropProductID, itip.ProdID)
	msg.Props.SetText(ical.PropMethod, itip.Reply)
	msg.Children = []*ical.Component{reply}
	if r.Data, err = icalendar.Marshal(msg); err != nil {
		return r, err
	}
	r.Status = "2.0;Success"
	return r, nil
}

type busy struct {
	start, end time.Time
	kind       string // BUSY or BUSY-TENTATIVE
}

// busyPeriods merges the opaque, not cancelled instances of u's calendars
// list in [from, to) into periods (RFC 5545 §3.2.9 FBTYPE).
func busyPeriods(ctx context.Context, cals *calendar.Service, u *store.User, list []*store.Calendar, from, to time.Time) ([]busy, error) {
	// Other users ask: the window is bounded (a bad one is the asker's).
	if err := cals.CheckRange(from, to); err != nil {
		return nil, &ErrBadFreeBusy{err.Error()}
	}
	zone, _ := time.LoadLocation(u.TimeZone)
	var all []busy
	for _, c := range list {
		occ, err := cals.Instances(ctx, u, c, from, to, zone)
		if err != nil {
			return nil, fmt.Errorf("free-busy of %s: %w", u.Name, err)
		}
		for _, o := range occ {
			if o.Transparent || o.Status == "CANCELLED" || !o.End.After(o.Start) {
				continue
			}
			kind := "BUSY"
			if strings.EqualFold(o.Status, "TENTATIVE") {
				kind = "BUSY-TENTATIVE"
			}
			all = append(all, busy{maxT(o.Start, from), minT(o.End, to), kind})
		}
	}
	return mergeBusy(all), nil
}

// mergeBusy joins overlapping periods of the same kind.
func mergeBusy(in []busy) []busy {
	slices.SortFunc(in, func(a, b busy) int {
		if c := strings.Compare(a.kind, b.kind); c != 0 {
			return c
		}
		return a.start.Compare(b.start)
	})
	var out []busy
	for _, b := range in {
		if n := len(out); n > 0 && out[n-1].kind == b.kind && !b.start.After(out[n-1].end) {
			out[n-1].end = maxT(out[n-1].end, b.end)
			continue
		}
		out = append(out, b)
	}
	return out
}

func maxT(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}

func minT(a, b time.Time) time.Time {
	if a.Before(b) {
		return a
	}
	return b
}
