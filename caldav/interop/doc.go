// Package interop runs real CalDAV clients (python3-caldav, vdirsyncer
// with khal, tsdav, Apple Calendar, Thunderbird and DAVx5 request
// sequences) against a real "almanac serve", and has other programs read
// and write its iCalendar files (python3-icalendar, ical.js, curl on a
// published calendar). It holds tests only.
//
// A client that is not installed skips its test, unless
// ALMANAC_TEST_REQUIRE_CLIENTS=1 (set by .ci/run), which makes the skip a
// failure so that CI cannot pass without them.
package interop
