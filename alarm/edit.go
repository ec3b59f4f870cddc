package alarm

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/emersion/go-ical"

	"github.com/almanac/almanac/icalendar"
)

// ErrNotFound: no alarm with that UID.
var ErrNotFound = errors.New("alarm: not found")

// Spec describes an alarm to add: minutes before the start, or an
// absolute time, and an action.
type Spec struct {
	UID           string
	Action        string // Display or Email
	MinutesBefore int    // used when At is zero
	At            time.Time
	Summary       string
	Description   string
}

// Edit changes the alarms of a calendar object resource's data. It keeps
// everything else as the data had it; the result is re-encoded.
type Edit struct {
	cal *icalendar.Calendar
	obj *icalendar.Object
}

// NewEdit parses data for editing.
func NewEdit(data []byte) (*Edit, error) {
	cal, err := icalendar.Parse(data)
	if err != nil {
		return nil, err
	}
	obj, err := cal.Object(icalendar.Options{})
	if err != nil {
		return nil, err
	}
	return &Edit{cal: cal, obj: obj}, nil
}

// Bytes encodes the edited data.
func (e *Edit) Bytes() ([]byte, error) { return icalendar.Marshal(e.cal.Component) }

// main is the component alarms are added to: the master, else the first.
func (e *Edit) main() *icalendar.Component {
	if c := e.obj.Master(); c != nil {
		return c
	}
	return e.obj.Components[0]
}

// Add appends a VALARM with a UID (RFC 9074 §4) to the master component.
func (e *Edit) Add(s Spec) error {
	v := ical.NewComponent(ical.CompAlarm)
	set := func(name, value string) {
		p := ical.NewProp(name)
		p.Value = value
		v.Props.Set(p)
	}
	set(ical.PropUID, s.UID)
	act := Display
	if s.Action == Email {
		act = Email
	}
	set(ical.PropAction, act)
	trig := ical.NewProp(ical.PropTrigger)
	if !s.At.IsZero() {
		trig.Params.Set("VALUE", "DATE-TIME")
		trig.Value = s.At.UTC().Format("20060102T150405Z")
	} else {
		trig.Value = icalendar.NewDuration(-time.Duration(s.MinutesBefore) * time.Minute).String()
	}
	v.Props.Set(trig)
	summary := s.Summary
	if summary == "" {
		summary = e.main().Summary()
	}
	// RFC 5545 §3.6.6: DISPLAY needs DESCRIPTION; EMAIL needs DESCRIPTION
	// and SUMMARY (and ATTENDEE, which the server fills in: it only ever
	// mails the reminder's owner).
	desc := s.Description
	if desc == "" {
		desc = summary
	}
	set(ical.PropDescription, icalendar.EscapeText(desc))
	if act == Email {
		set(ical.PropSummary, icalendar.EscapeText(summary))
	}
	e.main().Children = append(e.main().Children, v)
	return nil
}

// place is a VALARM in a component.
type place struct {
	c *icalendar.Component
	i int
}

// findAll returns every VALARM with uid: the master's and the copies that
// clients put in the overrides they write.
func (e *Edit) findAll(uid string) ([]place, error) {
	var out []place
	for _, c := range e.obj.Components {
		rid := ""
		if p := c.Props.Get(ical.PropRecurrenceID); p != nil {
			rid = strings.TrimSpace(p.Value)
		}
		n := 0
		for i, v := range c.Children {
			if v.Name != ical.CompAlarm {
				continue
			}
			n++
			if alarmUID(v, rid, n) == uid {
				out = append(out, place{c, i})
			}
		}
	}
	if len(out) == 0 {
		return nil, ErrNotFound
	}
	return out, nil
}

// find returns the first VALARM with uid and its component.
func (e *Edit) find(uid string) (*icalendar.Component, int, error) {
	all, err := e.findAll(uid)
	if err != nil {
		return nil, 0, err
	}
	return all[0].c, all[0].i, nil
}

// Remove deletes the alarm with uid (every copy), and the snoozes of it.
func (e *Edit) Remove(uid string) error {
	if _, err := e.findAll(uid); err != nil {
		return err
	}
	for _, c := range e.obj.Components {
		rid := ""
		if p := c.Props.Get(ical.PropRecurrenceID); p != nil {
			rid = strings.TrimSpace(p.Value)
		}
		kept := c.Children[:0]
		n := 0
		for _, v := range c.Children {
			if v.Name == ical.CompAlarm {
				n++
				if alarmUID(v, rid, n) == uid || isSnoozeOf(v, uid) {
					continue
				}
			}
			kept = append(kept, v)
		}
		c.Children = kept
	}
	return nil
}

// Acknowledge sets ACKNOWLEDGED on the alarm with uid (RFC 9074 §6), on
// every copy and on its snoozes: every trigger up to at is dealt with.
func (e *Edit) Acknowledge(uid string, at time.Time) error {
	all, err := e.findAll(uid)
	if err != nil {
		return err
	}
	for _, p := range all {
		setAck(p.c.Children[p.i], at)
	}
	for _, c := range e.obj.Components {
		for _, v := range c.Children {
			if isSnoozeOf(v, uid) {
				setAck(v, at)
			}
		}
	}
	return nil
}

// Snooze acknowledges the alarm with uid at now and adds a snooze alarm
// that triggers at until (RFC 9074 §5): a VALARM with an absolute TRIGGER
// and RELATED-TO;RELTYPE=SNOOZE naming the original. It returns the new
// alarm's UID.
func (e *Edit) Snooze(uid, snoozeUID string, now, until time.Time) error {
	c, i, err := e.find(uid)
	if err != nil {
		return err
	}
	orig := c.Children[i]
	if err := e.Acknowledge(uid, now); err != nil {
		return err
	}
	v := ical.NewComponent(ical.CompAlarm)
	for _, name := range []string{ical.PropAction, ical.PropDescription, ical.PropSummary} {
		if p := orig.Props.Get(name); p != nil {
			v.Props.Set(p)
		}
	}
	for _, name := range []string{ical.PropUID, ical.PropRelatedTo, ical.PropTrigger} {
		p := ical.NewProp(name)
		v.Props.Set(p)
	}
	v.Props.Get(ical.PropUID).Value = snoozeUID
	rel := v.Props.Get(ical.PropRelatedTo)
	rel.Value = origUID(orig, c, uid)
	rel.Params.Set("RELTYPE", "SNOOZE")
	trig := v.Props.Get(ical.PropTrigger)
	trig.Params.Set("VALUE", "DATE-TIME")
	trig.Value = until.UTC().Format("20060102T150405Z")
	c.Children = append(c.Children, v)
	return nil
}

// origUID gives the original alarm a UID property if it lacks one, so that
// RELATED-TO can name it (RFC 9074 §5 requires the UID).
func origUID(v *ical.Component, _ *icalendar.Component, uid string) string {
	if p := v.Props.Get(ical.PropUID); p == nil {
		p := ical.NewProp(ical.PropUID)
		p.Value = uid
		v.Props.Set(p)
	}
	return uid
}

func setAck(v *ical.Component, at time.Time) {
	p := ical.NewProp("ACKNOWLEDGED")
	p.Value = at.UTC().Format("20060102T150405Z")
	v.Props.Set(p)
}

func isSnoozeOf(v *ical.Component, uid string) bool {
	if v.Name != ical.CompAlarm {
		return false
	}
	for _, p := range v.Props.Values(ical.PropRelatedTo) {
		if strings.EqualFold(p.Params.Get("RELTYPE"), "SNOOZE") && strings.TrimSpace(p.Value) == uid {
			return true
		}
	}
	return false
}

// MinutesBefore returns how many minutes before the start a alarm
// triggers, when it is a plain "N minutes before" reminder.
func (a *Alarm) MinutesBefore() (int, bool) {
	if a.Related != RelStart || a.Offset.Approx() > 0 || a.Offset.Approx()%time.Minute != 0 {
		return 0, false
	}
	return int(-a.Offset.Approx() / time.Minute), true
}

// Describe returns a short human description of a's trigger.
func (a *Alarm) Describe() string {
	if a.Related == RelAbsolute {
		return "at " + a.At.Format(time.RFC3339)
	}
	if m, ok := a.MinutesBefore(); ok {
		return strconv.Itoa(m) + " minutes before"
	}
	return fmt.Sprintf("%s relative to the %s", a.Offset, strings.ToLower(a.Related))
}
