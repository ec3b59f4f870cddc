package calendar

import "fmt"

// CheckAttendees refuses an event that invites n attendees when that is
// more than MaxAttendees: RFC 4791 §5.3.2.1's
// CALDAV:max-attendees-per-instance precondition, whose bound CalDAV
// advertises (§5.2.9). The scheduling hook calls it for the writes that
// make the server invite people, with the distinct attendees of all the
// object's instances: each of them is sent a message, so the count that
// matters is theirs, never less than that of any one instance.
func (l Limits) CheckAttendees(n int) error {
	l = l.withDefaults()
	if n <= l.MaxAttendees {
		return nil
	}
	return &ObjectError{Precondition: PreMaxAttendees, Property: "ATTENDEE",
		Message: fmt.Sprintf("the event invites %d attendees; this server sends invitations to at most %d (invite a group address or a mailing list instead)", n, l.MaxAttendees)}
}
