package jsonapi

import (
	"encoding/json"
	"time"
)

// Event is the JSON form of an event: a view of the stored iCalendar
// object (its master VEVENT, or one instance of it), never a copy kept
// apart from it. Properties the JSON form does not show stay in the data
// untouched when the event is edited.
type Event struct {
	// ID is the object's public id for a whole event or series, and
	// "{series id}_{RECURRENCE-ID}" for one instance (see instanceID).
	ID         string `json:"id"`
	CalendarID string `json:"calendar_id"`
	UID        string `json:"uid"`
	ETag       string `json:"etag"`

	Title        string    `json:"title"`
	Description  string    `json:"description"`
	Location     string    `json:"location"`
	Start        EventTime `json:"start"`
	End          EventTime `json:"end"`
	AllDay       bool      `json:"all_day"`
	Status       string    `json:"status"`       // confirmed, tentative, cancelled
	Transparency string    `json:"transparency"` // opaque, transparent
	Color        string    `json:"color,omitempty"`

	// Recurrence holds the series' RRULE, RDATE and EXDATE lines, as
	// Google's API writes them; empty for a single event or an instance.
	Recurrence []string `json:"recurrence,omitempty"`
	// RecurringEventID and OriginalStart are set on instances: the series
	// they belong to and their start as the series' rule has it.
	RecurringEventID string     `json:"recurring_event_id,omitempty"`
	OriginalStart    *EventTime `json:"original_start,omitempty"`

	Organizer *Person    `json:"organizer,omitempty"`
	Attendees []Attendee `json:"attendees"`
	Reminders []Reminder `json:"reminders"`

	Sequence int       `json:"sequence"`
	Created  time.Time `json:"created"`
	Updated  time.Time `json:"updated"`
}

// EventTime is when an event starts or ends: a date for all-day events, or
// a date and time with its IANA time zone. A floating time (the same wall
// clock in every zone, RFC 5545 §3.3.5 form #1) has no zone and says so.
type EventTime struct {
	// Date is YYYY-MM-DD, for all-day events.
	Date string `json:"date,omitempty"`
	// DateTime is RFC 3339. Answers carry the offset in force (none for a
	// floating time); requests may leave it out when TimeZone is given,
	// and then it is the local time there.
	DateTime string `json:"date_time,omitempty"`
	// TimeZone is an IANA name such as Europe/Berlin.
	TimeZone string `json:"time_zone,omitempty"`
	Floating bool   `json:"floating,omitempty"`
}

// Person is an organizer: a calendar user address (RFC 5545 §3.3.3) and a
// common name.
type Person struct {
	Email string `json:"email,omitempty"`
	// URI is the address when it is not a mailto: URI.
	URI  string `json:"uri,omitempty"`
	Name string `json:"name,omitempty"`
}

// Attendee is an ATTENDEE property (RFC 5545 §3.8.4.1) with the
// parameters the JSON form shows; the others are kept as they are.
type Attendee struct {
	Email string `json:"email,omitempty"`
	URI   string `json:"uri,omitempty"`
	Name  string `json:"name,omitempty"` // CN
	// Role is ROLE in lower case: chair, req-participant,
	// opt-participant, non-participant.
	Role string `json:"role,omitempty"`
	// Status is PARTSTAT in lower case: needs-action, accepted, declined,
	// tentative, delegated.
	Status string `json:"status,omitempty"`
	// RSVP asks for a reply. Left out, the server sets it on every
	// attendee it invites who has not answered; false keeps it off.
	RSVP *bool `json:"rsvp,omitempty"`
	// Type is CUTYPE in lower case: individual, group, resource, room,
	// unknown.
	Type string `json:"type,omitempty"`
}

// Reminder is a VALARM (RFC 5545 §3.6.6): how, and when relative to the
// start (or end) of the event or at a fixed time.
type Reminder struct {
	Method string `json:"method"` // display, email, audio
	// Minutes before the start (after it when negative).
	Minutes *int `json:"minutes,omitempty"`
	// RelativeTo is "end" when Minutes count from the end.
	RelativeTo string `json:"relative_to,omitempty"`
	// At is a fixed time (RFC 3339), instead of Minutes.
	At string `json:"at,omitempty"`
}

// EventRequest is the body of POST /events and PUT/PATCH /events/{id}.
// POST and PUT describe the whole event: a field left out is cleared (or
// takes its default). PATCH changes the fields it names; an empty string,
// an empty list or null clears one. Properties the JSON form does not show
// are never touched. The read-only fields of Event are accepted, so that
// a GET answer can be sent back, and ignored.
type EventRequest struct {
	CalendarID   *string     `json:"calendar_id,omitempty"`
	UID          *string     `json:"uid,omitempty"`
	Title        *string     `json:"title,omitempty"`
	Description  *string     `json:"description,omitempty"`
	Location     *string     `json:"location,omitempty"`
	Start        *EventTime  `json:"start,omitempty"`
	End          *EventTime  `json:"end,omitempty"`
	Status       *string     `json:"status,omitempty"`
	Transparency *string     `json:"transparency,omitempty"`
	Color        *string     `json:"color,omitempty"`
	Recurrence   *[]string   `json:"recurrence,omitempty"`
	Organizer    *Person     `json:"organizer,omitempty"`
	Attendees    *[]Attendee `json:"attendees,omitempty"`
	Reminders    *[]Reminder `json:"reminders,omitempty"`

	// Read-only, ignored.
	ID               json.RawMessage `json:"id,omitempty"`
	ETag             json.RawMessage `json:"etag,omitempty"`
	AllDay           json.RawMessage `json:"all_day,omitempty"`
	RecurringEventID json.RawMessage `json:"recurring_event_id,omitempty"`
	OriginalStart    json.RawMessage `json:"original_start,omitempty"`
	Sequence         json.RawMessage `json:"sequence,omitempty"`
	Created          json.RawMessage `json:"created,omitempty"`
	Updated          json.RawMessage `json:"updated,omitempty"`

	// present names the fields the body holds (null included), so that
	// PATCH can tell "leave alone" from "clear".
	present map[string]bool
}

// list returns the value of a list field, nil when absent or null.
func list[T any](v *[]T) []T {
	if v == nil {
		return nil
	}
	return *v
}

// has reports whether the request sets field: always for a whole
// replacement, only when named for a PATCH.
func (in *EventRequest) has(field string, replace bool) bool {
	return replace || in.present[field]
}
