// Package recurrence expands calendar object resources into instances: the
// recurrence set of RFC 5545 §3.8.5 (DTSTART, RRULE, RDATE, less EXDATE),
// overridden instances (RECURRENCE-ID, with RANGE=THISANDFUTURE), and the
// start and end of each, as the time-range index and calendar views need
// them. It does no I/O.
//
// Rules of DAILY and longer periods are expanded by rrule-go, which no
// other package calls, with its defects corrected here:
//
//   - the rule runs on wall clocks, which are then read in DTSTART's zone
//     with RFC 5545 §3.3.5 (a time in the spring-forward gap moves forward
//     by the gap, a time in the fall-back overlap is the first one);
//   - rules are parsed by package icalendar, which accepts lower case,
//     empty parts, RSCALE=GREGORIAN and SKIP=OMIT (RFC 7529);
//   - the parts DTSTART implies are written out before expansion, so that
//     the expansion can start at any period of the rule: a window far from
//     DTSTART seeks instead of iterating from it, and COUNT is turned into
//     a bound once;
//   - UNTIL as a DATE includes its day; a UTC UNTIL is compared with the
//     instants of a zoned rule; repeated BYxxx values are dropped;
//   - with BYWEEKNO and INTERVAL > 1, yearly periods are week-numbering
//     years, as libical counts them; a yearly rule with BYMONTHDAY alone
//     takes DTSTART's month, and one with BYWEEKNO alone DTSTART's
//     weekday (RFC 5545 §3.3.10: what the rule does not say comes from
//     DTSTART).
//
// HOURLY, MINUTELY and SECONDLY rules are expanded by this package in
// elapsed time: see subDaily for the semantics across daylight saving
// changes.
//
// DTSTART is always the first instance of a series (RFC 5545 §3.8.5.3) and
// counts toward COUNT (§3.3.10) even when the rule would not produce it. A
// recurring VTODO without DTSTART recurs from its DUE; a VFREEBUSY or
// VAVAILABILITY has no instances.
// Floating and all-day instances carry their wall clock, labelled UTC; the
// reader anchors them in its zone.
//
// Every expansion is bounded by Limits, which cap instances rather than
// refuse rules by their frequency; see LimitError.
package recurrence
