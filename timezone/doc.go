// Package timezone turns the TZIDs found in iCalendar data into
// *time.Location values and back into VTIMEZONE components.
//
// Clients name time zones in many ways: IANA names in any case and with
// links such as US/Eastern, Windows zone IDs and display names from Outlook
// and Exchange, Mozilla- and libical-style "/vendor/version/Area/City"
// prefixes, and names of their own invention backed only by the VTIMEZONE
// they send (RFC 5545 §3.6.5). Lookup handles the names, FromVTIMEZONE the
// definitions, Resolve chooses between the two, and VTIMEZONE writes the
// definitions the server sends itself.
//
// The IANA database is embedded (time/tzdata), so the package works on hosts
// without zoneinfo files. Like time.LoadLocation, it still prefers the host's
// files when they exist, which lets operating system updates of the rules
// take effect without a rebuild.
package timezone

import _ "time/tzdata" // the server must not depend on the host's zoneinfo

//go:generate go run gen_windows.go
//go:generate go run gen_names.go
