// Package icalendar reads, checks and writes iCalendar (RFC 5545) for a
// CalDAV server. It does no I/O.
//
// go-ical is its lexer and its data model, nothing more. Parse checks the
// syntax first (with line numbers in its errors, a bound on nesting and on
// parameter length), strips a UTF-8 byte order mark, accepts LF line ends
// and unfolds, and only then hands go-ical normalised lines, under
// recover: no input makes it panic. The original bytes are kept in
// Calendar.Raw, because the server stores and returns them verbatim.
//
// Component gives typed access to the properties the server interprets:
// DATE and DATE-TIME in their four kinds (DateTime, with RFC 5545 §3.3.5
// applied to gaps and overlaps by InZone), DURATION, PERIOD, RRULE
// (Recur), RDATE, EXDATE and RECURRENCE-ID. TZIDs are resolved by package
// timezone: known names first, then the calendar's own VTIMEZONE.
//
// Validate applies RFC 5545, Calendar.Object and ParseObject the rules of
// RFC 4791 §4.1 for a calendar object resource. Their errors are *Error
// values naming the CalDAV precondition, the component and the property.
// Where real clients are sloppy but the meaning is clear, data is accepted
// and the leniency is recorded as a Fix.
//
// Encode and Marshal write iCalendar with CRLF line ends, lines folded at
// 75 octets on UTF-8 boundaries, and properties in a stable order.
package icalendar
