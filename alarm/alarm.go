// Package alarm reads the alarms of calendar components (VALARM, RFC 5545
// §3.6.6, with the extensions of RFC 9074) and computes when they trigger
// on the instances of a series. It does no I/O: the reminders service
// stores what it computes and delivers what comes due.
package alarm

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/emersion/go-ical"

	"github.com/almanac/almanac/icalendar"
)

// Actions the server delivers. AUDIO alarms are delivered as DISPLAY ones:
// a server cannot play a sound, but it can tell the user's devices.
const (
	Display = "DISPLAY"
	Email   = "EMAIL"
)

// Related says what a relative trigger is measured from.
const (
	RelStart    = "START"
	RelEnd      = "END"
	RelAbsolute = "" // TRIGGER;VALUE=DATE-TIME
)

// MaxRepeat bounds REPEAT: RFC 5545 sets no limit, but a reminder repeated
// more than this is a mistake or an attack on the delivery queue.
const MaxRepeat = 100

// Alarm is one VALARM of one component of a calendar object resource.
type Alarm struct {
	// UID identifies the alarm: its UID property (RFC 9074 §4) when it has
	// one, else a digest of its position and content, stable as long as
	// the alarm does not change.
	UID string `json:"uid"`
	// Component is the alarm's component index in Object.Components, and
	// ComponentRID its RECURRENCE-ID ("" for the master).
	Component    int    `json:"component"`
	ComponentRID string `json:"rid,omitempty"`
	Action       string `json:"action"`
	Related      string `json:"related,omitempty"`
	// Offset is the relative trigger (nominal days, exact clock).
	Offset icalendar.Duration `json:"offset"`
	// At is an absolute trigger.
	At time.Time `json:"at,omitzero"`
	// Repeat more times, Interval apart, after the first trigger.
	Repeat   int                `json:"repeat,omitempty"`
	Interval icalendar.Duration `json:"interval"`
	// Acknowledged is RFC 9074 §6 ACKNOWLEDGED: triggers at or before it
	// have been dealt with on some device and are not delivered.
	Acknowledged time.Time `json:"ack,omitzero"`
	// SnoozeOf is the UID of the alarm this one snoozes (RFC 9074 §5,
	// RELATED-TO;RELTYPE=SNOOZE).
	SnoozeOf    string `json:"snooze_of,omitempty"`
	Summary     string `json:"summary,omitempty"`
	Description string `json:"description,omitempty"`
	// Recurring is set when the alarm applies to every instance of a
	// recurring master, so that its later triggers need the series.
	Recurring bool `json:"recurring,omitempty"`
	// Default is set for an alarm that comes from a user's or calendar's
	// default reminders rather than from the data.
	Default bool `json:"default,omitempty"`
}

// Key identifies the alarm within its object: its UID, qualified by the
// RECURRENCE-ID of an override, since clients copy the master's VALARMs,
// UIDs and all, into the overrides they write.
func (a *Alarm) Key() string {
	if a.ComponentRID == "" {
		return a.UID
	}
	return a.UID + "/" + a.ComponentRID
}

// Error is an alarm the server cannot interpret.
type Error struct {
	UID string
	Msg string
}

func (e *Error) Error() string {
	if e.UID != "" {
		return "VALARM " + e.UID + ": " + e.Msg
	}
	return "VALARM: " + e.Msg
}

// Parse returns the alarms of every component of obj. Alarms with a
// PROXIMITY (RFC 9074 §8, location-based) are skipped: they trigger on a
// device's position, which the server does not know.
func Parse(obj *icalendar.Object) ([]Alarm, error) {
	var out []Alarm
	for i, c := range obj.Components {
		list, err := FromComponent(c, i)
		if err != nil {
			return nil, err
		}
		out = append(out, list...)
	}
	return out, nil
}

// FromComponent returns the alarms of component c, whose index in its
// object is index.
func FromComponent(c *icalendar.Component, index int) ([]Alarm, error) {
	rid := ""
	if p := c.Props.Get(ical.PropRecurrenceID); p != nil {
		rid = strings.TrimSpace(p.Value)
	}
	recurring := rid == "" && (c.Props.Get(ical.PropRecurrenceRule) != nil || c.Props.Get(ical.PropRecurrenceDates) != nil)
	lastAck, snooze := mozillaState(c)
	var out []Alarm
	n := 0
	for _, v := range c.Children {
		if v.Name != ical.CompAlarm {
			continue
		}
		n++
		if v.Props.Get("PROXIMITY") != nil {
			continue
		}
		a, err := fromVALARM(v, rid, n)
		if err != nil {
			return nil, err
		}
		a.Component, a.ComponentRID, a.Recurring = index, rid, recurring && a.Related != RelAbsolute
		if a.Summary == "" {
			a.Summary = c.Summary()
		}
		if lastAck.After(a.Acknowledged) {
			a.Acknowledged = lastAck
		}
		out = append(out, a)
	}
	if !snooze.IsZero() && len(out) > 0 {
		s := out[0]
		s.UID, s.SnoozeOf, s.Related, s.At, s.Repeat, s.Recurring = out[0].UID+"-snooze", out[0].UID, RelAbsolute, snooze, 0, false
		s.Acknowledged = lastAck
		out = append(out, s)
	}
	return out, nil
}

// mozillaState reads how Thunderbird and Lightning record dismissing and
// snoozing, which predate RFC 9074: X-MOZ-LASTACK on the component (every
// trigger up to then is dealt with) and X-MOZ-SNOOZE-TIME (remind again
// then). The per-instance X-MOZ-SNOOZE-TIME-<id> of recurring events is
// not read.
func mozillaState(c *icalendar.Component) (lastAck, snooze time.Time) {
	if p := c.Props.Get("X-MOZ-LASTACK"); p != nil {
		lastAck, _ = parseUTC(p.Value)
	}
	if p := c.Props.Get("X-MOZ-SNOOZE-TIME"); p != nil {
		if t, err := parseUTC(p.Value); err == nil && t.After(lastAck) {
			snooze = t
		}
	}
	return lastAck, snooze
}

func fromVALARM(v *ical.Component, rid string, n int) (Alarm, error) {
	a := Alarm{UID: alarmUID(v, rid, n), Action: action(v)}
	if err := a.readTrigger(v.Props.Get(ical.PropTrigger)); err != nil {
		return a, err
	}
	if err := a.readRepeat(v); err != nil {
		return a, err
	}
	if p := v.Props.Get("ACKNOWLEDGED"); p != nil {
		t, err := parseUTC(p.Value)
		if err != nil {
			return a, &Error{a.UID, "ACKNOWLEDGED must be a UTC DATE-TIME (RFC 9074 §6): " + err.Error()}
		}
		a.Acknowledged = t
	}
	for _, p := range v.Props.Values(ical.PropRelatedTo) {
		if strings.EqualFold(p.Params.Get("RELTYPE"), "SNOOZE") {
			a.SnoozeOf = strings.TrimSpace(p.Value)
		}
	}
	a.Summary = text(v, ical.PropSummary)
	a.Description = text(v, ical.PropDescription)
	return a, nil
}

// action maps ACTION to what the server delivers; AUDIO and unknown
// (x-name) actions are shown like DISPLAY.
func action(v *ical.Component) string {
	if p := v.Props.Get(ical.PropAction); p != nil && strings.EqualFold(strings.TrimSpace(p.Value), Email) {
		return Email
	}
	return Display
}

// alarmUID is the alarm's UID (RFC 9074 §4), or a digest of where it is
// and what it says, for alarms written by clients that do not set one.
func alarmUID(v *ical.Component, rid string, n int) string {
	if p := v.Props.Get(ical.PropUID); p != nil && strings.TrimSpace(p.Value) != "" {
		return strings.TrimSpace(p.Value)
	}
	h := sha256.New()
	fmt.Fprintf(h, "%s\x00%d", rid, n)
	for _, name := range []string{ical.PropAction, ical.PropTrigger, ical.PropRepeat, ical.PropDuration} {
		if p := v.Props.Get(name); p != nil {
			fmt.Fprintf(h, "\x00%s;%s=%s", name, p.Params.Get("RELATED"), p.Value)
		}
	}
	return "x-" + hex.EncodeToString(h.Sum(nil)[:12])
}

// readTrigger reads TRIGGER (RFC 5545 §3.8.6.3): a DURATION relative to
// the start (default) or end of the instance, or an absolute DATE-TIME,
// which must be in UTC.
func (a *Alarm) readTrigger(p *ical.Prop) error {
	if p == nil {
		return &Error{a.UID, "TRIGGER is required (RFC 5545 §3.6.6)"}
	}
	if strings.EqualFold(p.Params.Get("VALUE"), "DATE-TIME") {
		t, err := parseUTC(p.Value)
		if err != nil {
			return &Error{a.UID, "an absolute TRIGGER must be a UTC DATE-TIME (RFC 5545 §3.8.6.3): " + err.Error()}
		}
		a.At, a.Related = t, RelAbsolute
		return nil
	}
	d, err := icalendar.ParseDuration(p.Value)
	if err != nil {
		return &Error{a.UID, "TRIGGER: " + err.Error()}
	}
	a.Offset, a.Related = d, RelStart
	switch r := strings.ToUpper(strings.TrimSpace(p.Params.Get("RELATED"))); r {
	case "", RelStart:
	case RelEnd:
		a.Related = RelEnd
	default:
		return &Error{a.UID, fmt.Sprintf("TRIGGER;RELATED=%s: expected START or END (RFC 5545 §3.2.14)", r)}
	}
	return nil
}

// readRepeat reads REPEAT and DURATION, which RFC 5545 §3.6.6 requires
// together: "if one occurs, so MUST the other".
func (a *Alarm) readRepeat(v *ical.Component) error {
	rp, dp := v.Props.Get(ical.PropRepeat), v.Props.Get(ical.PropDuration)
	if rp == nil && dp == nil {
		return nil
	}
	if rp == nil || dp == nil {
		return &Error{a.UID, "REPEAT and DURATION must both be present or both absent (RFC 5545 §3.6.6)"}
	}
	n, err := strconv.Atoi(strings.TrimSpace(rp.Value))
	if err != nil || n < 0 {
		return &Error{a.UID, fmt.Sprintf("REPEAT %q: expected a count of zero or more (RFC 5545 §3.8.6.2)", rp.Value)}
	}
	if n > MaxRepeat {
		return &Error{a.UID, fmt.Sprintf("REPEAT %d: this server repeats an alarm at most %d times", n, MaxRepeat)}
	}
	d, err := icalendar.ParseDuration(dp.Value)
	if err != nil {
		return &Error{a.UID, "DURATION: " + err.Error()}
	}
	if n > 0 && (d.Negative || d.IsZero()) {
		return &Error{a.UID, "the DURATION between repetitions must be positive"}
	}
	a.Repeat, a.Interval = n, d
	return nil
}

func parseUTC(v string) (time.Time, error) {
	return time.Parse("20060102T150405Z", strings.TrimSpace(v))
}

func text(v *ical.Component, name string) string {
	if p := v.Props.Get(name); p != nil {
		return icalendar.UnescapeText(p.Value)
	}
	return ""
}
