package itip

import (
	"fmt"
	"strings"
	"time"

	"github.com/almanac/almanac/icalendar"
	"github.com/emersion/go-ical"
)

// iTIP methods (RFC 5546 §1.4).
const (
	Publish        = "PUBLISH"
	Request        = "REQUEST"
	Reply          = "REPLY"
	Add            = "ADD"
	Cancel         = "CANCEL"
	Refresh        = "REFRESH"
	Counter        = "COUNTER"
	DeclineCounter = "DECLINECOUNTER"
)

// Participation statuses of an ATTENDEE (RFC 5545 §3.2.12).
const (
	NeedsAction = "NEEDS-ACTION"
	Accepted    = "ACCEPTED"
	Declined    = "DECLINED"
	Tentative   = "TENTATIVE"
	Delegated   = "DELEGATED"
)

// MaxSize bounds the iCalendar text of one message.
const MaxSize = 1 << 20

// Message is a parsed iTIP message: one METHOD and the components of one
// UID (RFC 5546 §1.3).
type Message struct {
	Method     string
	Calendar   *icalendar.Calendar
	UID        string
	Type       string // VEVENT or VTODO
	Components []*icalendar.Component
	Organizer  string // normalised address
	Sequence   int    // highest SEQUENCE of the components
	Stamp      time.Time
	// Arrival is the order in which this server took the message in (its
	// outbox id), 0 when unknown. Two replies with the same SEQUENCE and
	// DTSTAMP (whole seconds) are told apart by it: the later one wins.
	Arrival int64
}

// Error is a message that cannot be processed, with the reason.
type Error struct{ Reason string }

func (e *Error) Error() string { return "itip: " + e.Reason }

func errorf(format string, args ...any) *Error { return &Error{fmt.Sprintf(format, args...)} }

// Parse reads an iTIP message and applies the restrictions of RFC 5546 §3
// that the server relies on: a known METHOD, one UID and one component type,
// an ORGANIZER, and for REPLY and REFRESH exactly one ATTENDEE per
// component (§3.2.3, §3.2.6).
func Parse(data []byte) (*Message, error) {
	if len(data) > MaxSize {
		return nil, errorf("the calendar is %d bytes; at most %d are accepted", len(data), MaxSize)
	}
	cal, err := icalendar.Parse(data)
	if err != nil {
		return nil, &Error{"malformed iCalendar: " + err.Error()}
	}
	m := &Message{Method: cal.Method(), Calendar: cal}
	if !knownMethod(m.Method) {
		return nil, errorf("METHOD %q is not an iTIP method (RFC 5546 §1.4)", m.Method)
	}
	if err := m.readComponents(); err != nil {
		return nil, err
	}
	return m, m.check()
}

func knownMethod(m string) bool {
	switch m {
	case Publish, Request, Reply, Add, Cancel, Refresh, Counter, DeclineCounter:
		return true
	}
	return false
}

func (m *Message) readComponents() error {
	for _, c := range m.Calendar.Components() {
		switch c.Name {
		case ical.CompEvent, ical.CompToDo:
		case ical.CompFreeBusy:
			return errorf("VFREEBUSY messages are not processed by e-mail")
		default:
			continue // VALARM-free extras such as VAVAILABILITY are ignored
		}
		if m.Type == "" {
			m.Type, m.UID = c.Name, c.UID()
		}
		if c.Name != m.Type || c.UID() != m.UID {
			return errorf("a message carries one UID and one component type (RFC 5546 §1.3)")
		}
		seq, err := c.Sequence()
		if err != nil {
			return &Error{err.Error()}
		}
		m.Sequence = max(m.Sequence, seq)
		if st := stampOf(c); st.After(m.Stamp) {
			m.Stamp = st
		}
		m.Components = append(m.Components, c)
	}
	if len(m.Components) == 0 {
		return errorf("the message has no VEVENT or VTODO")
	}
	if m.UID == "" {
		return errorf("UID is required (RFC 5546 §3.2)")
	}
	return nil
}

// check applies the per-method rules of RFC 5546 §3.2 and §3.4.
func (m *Message) check() error {
	for _, c := range m.Components {
		org := OrganizerOf(c)
		if org == "" && m.Method != Publish {
			return errorf("%s requires ORGANIZER (RFC 5546 §3.2)", m.Method)
		}
		if m.Organizer == "" {
			m.Organizer = org
		} else if org != "" && org != m.Organizer {
			return errorf("components name different organizers")
		}
		n := len(c.Props.Values(ical.PropAttendee))
		switch m.Method {
		case Reply, Refresh, Counter:
			// RFC 5546 §3.2.3, §3.2.6: exactly one ATTENDEE, the sender.
			if m.Method != Counter && n != 1 {
				return errorf("%s must name exactly one ATTENDEE, found %d (RFC 5546 §3.2.3)", m.Method, n)
			}
		case Request:
			if n == 0 {
				return errorf("REQUEST without ATTENDEE (RFC 5546 §3.2.2)")
			}
		}
	}
	return nil
}

// Clone returns a deep copy of m that shares nothing mutable with it, for
// use by another goroutine.
func (m *Message) Clone() *Message {
	c := &Message{Method: m.Method, Calendar: m.Calendar.Clone()}
	_ = c.readComponents() // m passed the same checks
	c.Organizer = m.Organizer
	return c
}

// Attendee returns the one attendee of a REPLY or REFRESH.
func (m *Message) Attendee() string {
	for _, c := range m.Components {
		if p := c.Props.Get(ical.PropAttendee); p != nil {
			return Address(p.Value)
		}
	}
	return ""
}

// Newer reports whether m supersedes a stored version with sequence seq
// and stamp st: a higher SEQUENCE, or the same SEQUENCE and a later
// DTSTAMP (RFC 5546 §2.1.5).
func (m *Message) Newer(seq int, st time.Time) bool {
	return m.Sequence > seq || m.Sequence == seq && !m.Stamp.Before(st)
}

// OrganizerOf returns the normalised ORGANIZER of a component, or "".
func OrganizerOf(c *icalendar.Component) string {
	if p := c.Props.Get(ical.PropOrganizer); p != nil {
		return Address(p.Value)
	}
	return ""
}

func stampOf(c *icalendar.Component) time.Time {
	d, err := c.DateTime(ical.PropDateTimeStamp)
	if err != nil || d.IsZero() {
		return time.Time{}
	}
	return d.In(time.UTC)
}

// Stamp returns the latest DTSTAMP of a stored object's components.
func Stamp(o *icalendar.Object) time.Time {
	var t time.Time
	for _, c := range o.Components {
		if st := stampOf(c); st.After(t) {
			t = st
		}
	}
	return t
}

// Data returns the iCalendar text of the message.
func (m *Message) Data() []byte { return m.Calendar.Raw }

// Summary returns the SUMMARY of the master (or first) component.
func (m *Message) Summary() string {
	return strings.TrimSpace(m.Components[0].Summary())
}
