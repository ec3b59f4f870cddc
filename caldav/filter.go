package caldav

import (
	"fmt"
	"net/http"
	"slices"
	"strings"
	"time"

	"golang.org/x/text/cases"
	"golang.org/x/text/unicode/norm"
)

// The calendar-query filter language (RFC 4791 §9.7), parsed from XML and
// evaluated against parsed components (match.go).

type compFilter struct {
	name       string
	notDefined bool
	timeRange  *timeRange
	props      []*propFilter
	comps      []*compFilter
}

type propFilter struct {
	name       string
	notDefined bool
	timeRange  *timeRange
	textMatch  *textMatch
	params     []*paramFilter
}

type paramFilter struct {
	name       string
	notDefined bool
	textMatch  *textMatch
}

type textMatch struct {
	collation string
	negate    bool
	value     string // folded for the collation
}

// timeRange is [start, end); a zero bound is open (RFC 4791 §9.9).
type timeRange struct{ start, end time.Time }

func (tr *timeRange) from() time.Time {
	if tr.start.IsZero() {
		return time.Unix(-62135596800, 0).UTC() // year 1
	}
	return tr.start
}

func (tr *timeRange) to() time.Time {
	if tr.end.IsZero() {
		return time.Date(9999, 12, 31, 0, 0, 0, 0, time.UTC)
	}
	return tr.end
}

func invalidFilter(msg string) error {
	return precondition(http.StatusForbidden, nsCalDAV, "valid-filter", msg)
}

// parseFilter reads CALDAV:filter: exactly one comp-filter, on VCALENDAR
// (RFC 4791 §9.7.1).
func parseFilter(n *node) (*compFilter, error) {
	if n == nil {
		return nil, invalidFilter("calendar-query needs a CALDAV:filter")
	}
	var top []*node
	for _, c := range n.Children {
		if c.is(nsCalDAV, "comp-filter") {
			top = append(top, c)
		}
	}
	if len(top) != 1 {
		return nil, invalidFilter("the filter must hold exactly one comp-filter")
	}
	f, err := parseCompFilter(top[0])
	if err != nil {
		return nil, err
	}
	if f.name != "VCALENDAR" {
		return nil, invalidFilter("the top comp-filter must name VCALENDAR")
	}
	if f.timeRange != nil {
		return nil, invalidFilter("time-range does not apply to VCALENDAR")
	}
	if err := checkNesting(f); err != nil {
		return nil, err
	}
	return f, nil
}

// childComponents says which components a component may hold (RFC 5545
// §3.6, RFC 7953 §3.1); a comp-filter that names another can match
// nothing, and RFC 4791 §9.7.1 makes it an invalid filter. Extension
// components (X- and IANA names the server does not know) are let through.
var childComponents = map[string][]string{
	"VCALENDAR":     {"VEVENT", "VTODO", "VJOURNAL", "VFREEBUSY", "VTIMEZONE", "VAVAILABILITY"},
	"VEVENT":        {"VALARM"},
	"VTODO":         {"VALARM"},
	"VTIMEZONE":     {"STANDARD", "DAYLIGHT"},
	"VAVAILABILITY": {"AVAILABLE"},
}

// timeRangeComponents are those a time-range may test (RFC 4791 §9.9).
var timeRangeComponents = []string{"VEVENT", "VTODO", "VJOURNAL", "VFREEBUSY", "VALARM", "VAVAILABILITY", "AVAILABLE"}

// textProperties are properties whose values are not dates: RFC 4791
// §9.7.2 allows a prop-filter's time-range only on DATE or DATE-TIME
// values (other properties, X- ones among them, are let through).
var textProperties = []string{"SUMMARY", "DESCRIPTION", "LOCATION", "COMMENT", "CATEGORIES", "UID", "STATUS",
	"CLASS", "TRANSP", "RESOURCES", "CONTACT", "ORGANIZER", "ATTENDEE", "URL", "RRULE", "SEQUENCE", "PRIORITY"}

func knownComponent(name string) bool {
	_, container := childComponents[name]
	return container || slices.Contains(timeRangeComponents, name) || name == "STANDARD" || name == "DAYLIGHT"
}

// checkNesting applies RFC 4791 §9.7.1 and §9.9 to the parsed filter.
func checkNesting(f *compFilter) error {
	for _, c := range f.comps {
		if knownComponent(c.name) && !slices.Contains(childComponents[f.name], c.name) {
			return invalidFilter(c.name + " cannot be inside " + f.name + " (RFC 4791 §9.7.1)")
		}
		if c.timeRange != nil && !slices.Contains(timeRangeComponents, c.name) {
			return invalidFilter("time-range does not apply to " + c.name + " (RFC 4791 §9.9)")
		}
		for _, p := range c.props {
			if p.timeRange != nil && slices.Contains(textProperties, p.name) {
				return invalidFilter("time-range does not apply to " + p.name + ", which is not a date (RFC 4791 §9.7.2)")
			}
		}
		if err := checkNesting(c); err != nil {
			return err
		}
	}
	return nil
}

func parseCompFilter(n *node) (*compFilter, error) {
	name, _ := n.attr("name")
	f := &compFilter{name: strings.ToUpper(name)}
	if f.name == "" {
		return nil, invalidFilter("comp-filter without a name")
	}
	for _, c := range n.Children {
		var err error
		switch {
		case c.is(nsCalDAV, "is-not-defined"):
			f.notDefined = true
		case c.is(nsCalDAV, "time-range"):
			f.timeRange, err = parseTimeRange(c)
		case c.is(nsCalDAV, "prop-filter"):
			var p *propFilter
			p, err = parsePropFilter(c)
			f.props = append(f.props, p)
		case c.is(nsCalDAV, "comp-filter"):
			var sub *compFilter
			sub, err = parseCompFilter(c)
			f.comps = append(f.comps, sub)
		}
		if err != nil {
			return nil, err
		}
	}
	return f, nil
}

func parsePropFilter(n *node) (*propFilter, error) {
	name, _ := n.attr("name")
	f := &propFilter{name: strings.ToUpper(name)}
	if f.name == "" {
		return nil, invalidFilter("prop-filter without a name")
	}
	for _, c := range n.Children {
		var err error
		switch {
		case c.is(nsCalDAV, "is-not-defined"):
			f.notDefined = true
		case c.is(nsCalDAV, "time-range"):
			f.timeRange, err = parseTimeRange(c)
		case c.is(nsCalDAV, "text-match"):
			f.textMatch, err = parseTextMatch(c)
		case c.is(nsCalDAV, "param-filter"):
			var p *paramFilter
			p, err = parseParamFilter(c)
			f.params = append(f.params, p)
		}
		if err != nil {
			return nil, err
		}
	}
	return f, nil
}

func parseParamFilter(n *node) (*paramFilter, error) {
	name, _ := n.attr("name")
	f := &paramFilter{name: strings.ToUpper(name)}
	if f.name == "" {
		return nil, invalidFilter("param-filter without a name")
	}
	for _, c := range n.Children {
		switch {
		case c.is(nsCalDAV, "is-not-defined"):
			f.notDefined = true
		case c.is(nsCalDAV, "text-match"):
			tm, err := parseTextMatch(c)
			if err != nil {
				return nil, err
			}
			f.textMatch = tm
		}
	}
	return f, nil
}

// parseTextMatch reads text-match; the default collation is
// i;ascii-casemap (RFC 4791 §9.7.5), and an unknown one fails the
// CALDAV:supported-collation precondition (§7.5.1).
func parseTextMatch(n *node) (*textMatch, error) {
	tm := &textMatch{collation: "i;ascii-casemap"}
	if c, ok := n.attr("collation"); ok {
		tm.collation = c
	}
	switch tm.collation {
	case "i;ascii-casemap", "i;octet", "i;unicode-casemap":
	default:
		return nil, precondition(http.StatusForbidden, nsCalDAV, "supported-collation", "unsupported collation "+tm.collation)
	}
	if v, ok := n.attr("negate-condition"); ok {
		switch v {
		case "yes":
			tm.negate = true
		case "no":
		default:
			return nil, invalidFilter(`negate-condition must be "yes" or "no"`)
		}
	}
	tm.value = fold(tm.collation, n.Text)
	return tm, nil
}

// fold maps s to the form in which the collation compares.
func fold(collation, s string) string {
	switch collation {
	case "i;octet":
		return s
	case "i;unicode-casemap":
		// RFC 5051: case folding of the compatibility decomposition.
		return norm.NFKD.String(cases.Fold().String(norm.NFKD.String(s)))
	}
	return asciiLower(s)
}

func asciiLower(s string) string {
	for i := 0; i < len(s); i++ {
		if c := s[i]; 'A' <= c && c <= 'Z' {
			b := []byte(s)
			for j := i; j < len(b); j++ {
				if 'A' <= b[j] && b[j] <= 'Z' {
					b[j] += 'a' - 'A'
				}
			}
			return string(b)
		}
	}
	return s
}

// matches applies the text-match (a substring test) to a value.
func (tm *textMatch) matches(value string) bool {
	return strings.Contains(fold(tm.collation, value), tm.value) != tm.negate
}

// parseTimeRange reads start and end, UTC date-times (RFC 4791 §9.9).
func parseTimeRange(n *node) (*timeRange, error) {
	tr := &timeRange{}
	var err error
	s, hasStart := n.attr("start")
	e, hasEnd := n.attr("end")
	if !hasStart && !hasEnd {
		// RFC 4791 §9.9 requires one of them: the request is malformed,
		// not a filter the server cannot apply.
		return nil, badXML("time-range needs a start or an end (RFC 4791 §9.9)")
	}
	if hasStart {
		if tr.start, err = parseUTC(s); err != nil {
			return nil, invalidFilter("time-range start " + err.Error())
		}
	}
	if hasEnd {
		if tr.end, err = parseUTC(e); err != nil {
			return nil, invalidFilter("time-range end " + err.Error())
		}
	}
	if hasStart && hasEnd && !tr.start.Before(tr.end) {
		return nil, invalidFilter("time-range start must be before end")
	}
	return tr, nil
}

// parseUTC reads a time-range bound, which RFC 4791 §9.9 makes a UTC
// DATE-TIME.
func parseUTC(s string) (time.Time, error) {
	t, err := time.Parse("20060102T150405Z", strings.TrimSpace(s))
	if err != nil {
		return t, fmt.Errorf("%q is not a UTC date-time such as 20260101T000000Z (RFC 4791 §9.9)", s)
	}
	return t, nil
}

// indexable reports whether the filter's test on the object's top-level
// component includes a time-range that the index answers, returning that
// component filter. The index materialises RFC 4791 §9.9 for VEVENT and
// VJOURNAL instances (a journal's lasts no time, or a day for a DATE);
// the VTODO and VFREEBUSY rules depend on properties the index does not
// keep, and VAVAILABILITY has no rows, so those are evaluated on the data.
func (f *compFilter) indexable() (*compFilter, bool) {
	if len(f.props) > 0 || len(f.comps) != 1 || f.notDefined {
		return nil, false
	}
	c := f.comps[0]
	return c, (c.name == "VEVENT" || c.name == "VJOURNAL") && c.timeRange != nil && !c.notDefined
}

// simple reports whether, beyond the time-range the index answers, the
// component filter tests nothing, so that no object needs parsing.
func (f *compFilter) simple() bool {
	return len(f.props) == 0 && len(f.comps) == 0
}
