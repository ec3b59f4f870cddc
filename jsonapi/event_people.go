package jsonapi

import (
	"fmt"
	"strings"
	"time"

	"github.com/emersion/go-ical"

	"github.com/almanac/almanac/account"
	"github.com/almanac/almanac/icalendar"
	"github.com/almanac/almanac/store"
)

// Values of the ATTENDEE parameters the JSON form shows (RFC 5545 §3.2.3,
// §3.2.12, §3.2.16), lower case.
var (
	attendeeRoles    = []string{"chair", "req-participant", "opt-participant", "non-participant"}
	attendeeStatuses = []string{"needs-action", "accepted", "declined", "tentative", "delegated"}
	attendeeTypes    = []string{"individual", "group", "resource", "room", "unknown"}
	reminderMethods  = []string{"display", "email", "audio"}
)

// people sets ORGANIZER and the ATTENDEEs. Attendees are matched to the
// existing properties by address, and only the parameters the request
// names change: SCHEDULE-STATUS, DELEGATED-FROM and whatever else another
// client or the scheduling code wrote stay.
func (e *editor) people(c *ical.Component) error {
	in := e.in
	if in.has("organizer", e.replace) {
		if in.Organizer == nil {
			c.Props.Del(ical.PropOrganizer)
		} else {
			addr, err := address("organizer", in.Organizer.Email, in.Organizer.URI)
			if err != nil {
				return err
			}
			p := sameAddress(c.Props.Values(ical.PropOrganizer), addr, ical.PropOrganizer)
			setParam(p, ical.ParamCommonName, in.Organizer.Name)
			c.Props.Set(p)
		}
	}
	if in.has("attendees", e.replace) {
		if err := e.attendees(c); err != nil {
			return err
		}
	}
	// RFC 5545 §3.8.4.3: a component with attendees names its organizer;
	// the user making the change is the one.
	if c.Props.Get(ical.PropAttendee) != nil && c.Props.Get(ical.PropOrganizer) == nil && e.user != nil {
		p := ical.NewProp(ical.PropOrganizer)
		p.Value = "mailto:" + e.user.Email
		setParam(p, ical.ParamCommonName, e.user.DisplayName)
		c.Props.Set(p)
	}
	return nil
}

func (e *editor) attendees(c *ical.Component) error {
	old := c.Props.Values(ical.PropAttendee)
	out := make([]ical.Prop, 0, len(list(e.in.Attendees)))
	seen := map[string]bool{}
	for i, a := range list(e.in.Attendees) {
		field := fmt.Sprintf("attendees[%d]", i)
		addr, err := address(field, a.Email, a.URI)
		if err != nil {
			return err
		}
		if seen[strings.ToLower(addr)] {
			return invalid(field, "repeats an attendee")
		}
		seen[strings.ToLower(addr)] = true
		p := sameAddress(old, addr, ical.PropAttendee)
		for _, f := range []struct {
			name, param, v string
			allowed        []string
		}{
			{"role", ical.ParamRole, a.Role, attendeeRoles},
			{"status", ical.ParamParticipationStatus, a.Status, attendeeStatuses},
			{"type", ical.ParamCalendarUserType, a.Type, attendeeTypes},
		} {
			v := strings.ToLower(f.v)
			if v != "" && !contains(f.allowed, v) {
				return invalid(field+"."+f.name, "must be one of %s", strings.Join(f.allowed, ", "))
			}
			setParam(p, f.param, strings.ToUpper(v))
		}
		setParam(p, ical.ParamCommonName, a.Name)
		if a.RSVP != nil {
			setParam(p, ical.ParamRSVP, strings.ToUpper(fmt.Sprint(*a.RSVP)))
		}
		out = append(out, *p)
	}
	c.Props.Del(ical.PropAttendee)
	if len(out) > 0 {
		c.Props[ical.PropAttendee] = out
	}
	return nil
}

// address is the calendar user address (RFC 5545 §3.3.3) of an e-mail
// address or a URI.
func address(field, email, uri string) (string, error) {
	switch {
	case email != "" && uri != "":
		return "", invalid(field+".email", "and uri are exclusive")
	case email != "":
		norm, err := account.NormalizeEmail(email)
		if err != nil {
			return "", invalid(field+".email", "is not an e-mail address")
		}
		return "mailto:" + norm, nil
	case uri != "":
		if i := strings.IndexByte(uri, ':'); i <= 0 || strings.ContainsAny(uri, " \t\r\n\"") {
			return "", invalid(field+".uri", "is not a URI")
		}
		return uri, nil
	}
	return "", invalid(field+".email", "is required")
}

// sameAddress returns a copy of the property among list with the address,
// or a new one.
func sameAddress(list []ical.Prop, addr, name string) *ical.Prop {
	for _, p := range list {
		if strings.EqualFold(strings.TrimSpace(p.Value), addr) {
			cp := p
			cp.Params = make(ical.Params, len(p.Params))
			for k, v := range p.Params {
				cp.Params[k] = append([]string(nil), v...)
			}
			return &cp
		}
	}
	p := ical.NewProp(name)
	p.Value = addr
	return p
}

// setParam sets a parameter when the request gives a value; an empty one
// leaves what the data has.
func setParam(p *ical.Prop, name, v string) {
	if v != "" {
		p.Params.Set(name, v)
	}
}

// reminders replaces the VALARMs with the requested ones. An alarm the
// request repeats unchanged is kept as it is, with its UID,
// ACKNOWLEDGED and whatever else clients gave it (RFC 9074).
func (e *editor) reminders(c *ical.Component) error {
	if !e.in.has("reminders", e.replace) {
		return nil
	}
	var alarms, others []*ical.Component
	for _, ch := range c.Children {
		if ch.Name == ical.CompAlarm {
			alarms = append(alarms, ch)
		} else {
			others = append(others, ch)
		}
	}
	used := make([]bool, len(alarms))
	for i, r := range list(e.in.Reminders) {
		want, err := normReminder(fmt.Sprintf("reminders[%d]", i), r)
		if err != nil {
			return err
		}
		found := false
		for j, a := range alarms {
			if !used[j] && sameReminder(reminderOf(a), want) {
				used[j], found = true, true
				others = append(others, a)
				break
			}
		}
		if !found {
			others = append(others, e.newAlarm(c, want))
		}
	}
	c.Children = others
	return nil
}

// normReminder checks a reminder and brings it to the form reminderOf
// reads from the data.
func normReminder(field string, r Reminder) (Reminder, error) {
	r.Method = strings.ToLower(r.Method)
	if !contains(reminderMethods, r.Method) {
		return r, invalid(field+".method", "must be one of %s", strings.Join(reminderMethods, ", "))
	}
	switch {
	case r.At != "" && (r.Minutes != nil || r.RelativeTo != ""):
		return r, invalid(field+".at", "excludes minutes and relative_to")
	case r.At != "":
		t, err := time.Parse(time.RFC3339, r.At)
		if err != nil {
			return r, invalid(field+".at", "must be an RFC 3339 time with offset")
		}
		r.At = t.UTC().Truncate(time.Second).Format(time.RFC3339)
	case r.Minutes == nil:
		return r, invalid(field+".minutes", "or at is required")
	case *r.Minutes > 4*7*24*60 || *r.Minutes < -4*7*24*60:
		return r, invalid(field+".minutes", "must be within four weeks of the event")
	case r.RelativeTo != "" && r.RelativeTo != "start" && r.RelativeTo != "end":
		return r, invalid(field+".relative_to", "must be start or end")
	}
	if r.RelativeTo == "start" {
		r.RelativeTo = ""
	}
	return r, nil
}

func sameReminder(a, b Reminder) bool {
	same := a.Method == b.Method && a.At == b.At && a.RelativeTo == b.RelativeTo
	switch {
	case a.Minutes == nil || b.Minutes == nil:
		return same && a.Minutes == nil && b.Minutes == nil
	}
	return same && *a.Minutes == *b.Minutes
}

// newAlarm writes a VALARM with what RFC 5545 §3.6.6 requires of its
// action, and a UID (RFC 9074 §4).
func (e *editor) newAlarm(c *ical.Component, r Reminder) *ical.Component {
	a := ical.NewComponent(ical.CompAlarm)
	set := func(name, v string) {
		p := ical.NewProp(name)
		p.Value = v
		a.Props.Set(p)
	}
	set(ical.PropUID, store.NewUUID())
	set(ical.PropAction, strings.ToUpper(r.Method))
	trig := ical.NewProp(ical.PropTrigger)
	if r.At != "" {
		t, _ := time.Parse(time.RFC3339, r.At)
		trig.Params.Set(ical.ParamValue, "DATE-TIME")
		trig.Value = t.UTC().Format("20060102T150405Z")
	} else {
		trig.Value = icalendar.NewDuration(-time.Duration(*r.Minutes) * time.Minute).String()
		if r.RelativeTo == "end" {
			trig.Params.Set(ical.ParamRelated, "END")
		}
	}
	a.Props.Set(trig)
	title := "Reminder"
	if p := c.Props.Get(ical.PropSummary); p != nil && p.Value != "" {
		title = p.Value // already escaped
	}
	if r.Method != "audio" {
		set(ical.PropDescription, title)
	}
	if r.Method == "email" && e.user != nil {
		set(ical.PropSummary, title)
		set(ical.PropAttendee, "mailto:"+e.user.Email)
	}
	return a
}
