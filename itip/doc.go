// Package itip builds and reads scheduling messages: iTIP (RFC 5546), the
// METHOD-carrying iCalendar objects that organizers and attendees exchange,
// and iMIP (RFC 6047), their e-mail form. It does no I/O.
//
// Calendar user addresses are compared as RFC 6638 §2.4.1 suggests for
// mailto: URIs: the scheme and the address case-insensitively. Messages are
// ordered by SEQUENCE, then DTSTAMP (RFC 5546 §2.1.5). Builders start from
// the organizer's (or attendee's) stored calendar object resource and keep
// only what the recipient may see: the components they are invited to,
// without alarms or the server's scheduling parameters.
package itip
