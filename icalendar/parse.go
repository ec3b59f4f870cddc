package icalendar

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/emersion/go-ical"
)

// Fix names a leniency applied to data that was accepted although it does
// not follow RFC 5545 to the letter. The server keeps such data byte for
// byte; a Fix tells it what it may want to correct when it writes its own.
type Fix string

// Leniencies reported in Calendar.Fixes.
const (
	FixBOM              Fix = "bom"               // a UTF-8 byte order mark was skipped
	FixBareLF           Fix = "bare-lf"           // lines end in LF instead of CRLF (RFC 5545 §3.1)
	FixInvalidUTF8      Fix = "invalid-utf8"      // the text is not UTF-8 (RFC 5545 §3.1.4)
	FixMissingProdID    Fix = "missing-prodid"    // VCALENDAR has no PRODID (RFC 5545 §3.6)
	FixMissingVersion   Fix = "missing-version"   // VCALENDAR has no VERSION (RFC 5545 §3.6)
	FixMissingDTStamp   Fix = "missing-dtstamp"   // a component has no DTSTAMP (RFC 5545 §3.6.1)
	FixMissingVTimezone Fix = "missing-vtimezone" // a TZID known by name has no VTIMEZONE (RFC 5545 §3.2.19)
	FixImplicitDate     Fix = "implicit-date"     // an 8-digit value without VALUE=DATE was read as a DATE

	// The leniencies of the normalisation step (normalize.go), which
	// also rewrite the parsed values into their canonical shape.
	FixSloppyDuration       Fix = "sloppy-duration"        // a DURATION such as P1DT or P1H (RFC 5545 §3.3.6)
	FixDateStamp            Fix = "date-dtstamp"           // DTSTAMP as a DATE (RFC 5545 §3.8.7.2)
	FixBadSequence          Fix = "bad-sequence"           // SEQUENCE not a non-negative integer (RFC 5545 §3.8.7.4)
	FixUnknownStatus        Fix = "unknown-status"         // a STATUS the component does not define (RFC 5545 §3.8.1.11)
	FixUnknownTransp        Fix = "unknown-transp"         // TRANSP neither OPAQUE nor TRANSPARENT (RFC 5545 §3.8.2.7)
	FixEndAndDuration       Fix = "end-and-duration"       // DTEND or DUE together with DURATION (RFC 5545 §3.6.1, §3.6.2)
	FixDurationWithoutStart Fix = "duration-without-start" // DURATION without DTSTART (RFC 5545 §3.6.2)
	FixEndValueType         Fix = "end-value-type"         // DTEND or DUE of another value type than DTSTART (RFC 5545 §3.8.2.2, §3.8.2.3)
	FixEndBeforeStart       Fix = "end-before-start"       // an end before the start, or a negative DURATION (RFC 5545 §3.8.2.2, §3.8.2.5)
	FixDateDuration         Fix = "date-duration"          // a DURATION in hours with a DATE DTSTART (RFC 5545 §3.8.2.5)
	FixRecurWithoutStart    Fix = "recur-without-dtstart"  // RRULE or RDATE without DTSTART (RFC 5545 §3.8.5.3)
)

// Limits of the lexer, which keep parsing linear in the size of the data.
const (
	maxDepth      = 10      // component nesting; VCALENDAR/VEVENT/VALARM is 3
	maxParamValue = 8 << 10 // octets in one parameter value
)

// Calendar is a parsed VCALENDAR. The go-ical tree gives generic access to
// every component and property; Components and the typed accessors of
// Component give checked access to the ones the server interprets. A
// Calendar caches what it resolves and is not safe for concurrent use.
type Calendar struct {
	*ical.Component        // the VCALENDAR
	Raw             []byte // the data as given, byte for byte (not copied; all of it, for each calendar of ParseAll)
	Fixes           []Fix  // leniencies applied, each listed once

	defs  map[string]*ical.Component // VTIMEZONE by TZID
	zones map[string]zoneEntry
	comps []*Component
}

// Parse parses data holding exactly one VCALENDAR. It never panics. It
// checks the syntax only; Validate and ParseObject check the content.
//
// Accepted leniently: a UTF-8 byte order mark, LF line ends, blank lines,
// any letter case in names, spaces after BEGIN and END values. Errors are
// *Error values with the precondition ValidCalendarData and, for syntax
// errors, the line.
func Parse(data []byte) (*Calendar, error) {
	cals, err := ParseAll(data)
	if err != nil {
		return nil, err
	}
	if len(cals) != 1 {
		return nil, &Error{Precondition: ValidCalendarData,
			Msg: fmt.Sprintf("expected one VCALENDAR, found %d", len(cals))}
	}
	return cals[0], nil
}

// ParseAll parses data holding one or more VCALENDARs, as an import file
// may.
func ParseAll(data []byte) ([]*Calendar, error) {
	lx := lexer{data: data}
	norm, err := lx.run()
	if err != nil {
		return nil, err
	}
	comps, err := decode(norm)
	if err != nil {
		return nil, err
	}
	if len(comps) == 0 {
		return nil, &Error{Precondition: ValidCalendarData, Msg: "no VCALENDAR in the data"}
	}
	cals := make([]*Calendar, len(comps))
	for i, c := range comps {
		decodeRFC6868(c)
		cals[i] = newCalendar(c, data, lx.fixes)
	}
	return cals, nil
}

// decode runs go-ical's decoder on text the lexer has checked and
// normalised. The lexer rules out the inputs known to make go-ical panic;
// recover turns any other panic into an error.
func decode(norm []byte) (comps []*ical.Component, err error) {
	defer func() {
		if p := recover(); p != nil {
			comps, err = nil, &Error{Precondition: ValidCalendarData, Msg: fmt.Sprintf("malformed data: %v", p)}
		}
	}()
	dec := ical.NewDecoder(bytes.NewReader(norm))
	for {
		cal, err := dec.Decode()
		if errors.Is(err, io.EOF) {
			return comps, nil
		}
		if err != nil {
			return nil, &Error{Precondition: ValidCalendarData, Msg: err.Error()}
		}
		comps = append(comps, cal.Component)
	}
}

func newCalendar(c *ical.Component, raw []byte, fixes []Fix) *Calendar {
	cal := &Calendar{Component: c, Raw: raw, Fixes: slices.Clone(fixes)}
	cal.defs = map[string]*ical.Component{}
	for _, child := range c.Children {
		if child.Name != ical.CompTimezone {
			continue
		}
		if p := child.Props.Get(ical.PropTimezoneID); p != nil {
			// TZID is TEXT: "Pacific Time (US & Canada)\, Tijuana" is what
			// a TZID parameter quotes as "Pacific Time (US & Canada), Tijuana".
			cal.defs[strings.TrimSpace(UnescapeText(p.Value))] = child
		}
	}
	return cal
}

func (c *Calendar) addFix(f Fix) {
	if !slices.Contains(c.Fixes, f) {
		c.Fixes = append(c.Fixes, f)
	}
}

// lexer splits data into content lines, unfolds them and checks their
// syntax (RFC 5545 §3.1), with line numbers in its errors. It writes the
// normalised lines, CRLF-terminated and unfolded, for go-ical.
type lexer struct {
	data  []byte
	pos   int
	line  int // physical line of the last line read
	out   bytes.Buffer
	fixes []Fix
	stack []open
}

type open struct {
	name string
	line int
}

func (lx *lexer) fix(f Fix) {
	if !slices.Contains(lx.fixes, f) {
		lx.fixes = append(lx.fixes, f)
	}
}

func (lx *lexer) run() ([]byte, error) {
	if bytes.HasPrefix(lx.data, []byte("\xef\xbb\xbf")) {
		lx.pos = 3
		lx.fix(FixBOM)
	}
	if !utf8.Valid(lx.data) {
		lx.fix(FixInvalidUTF8)
	}
	for {
		text, line, ok, err := lx.next()
		if err != nil {
			return nil, err
		}
		if !ok {
			break
		}
		if strings.TrimSpace(text) == "" {
			continue
		}
		if err := lx.content(text, line); err != nil {
			return nil, err
		}
	}
	if n := len(lx.stack); n > 0 {
		top := lx.stack[n-1]
		return nil, syntaxError(top.line, "BEGIN:%s has no matching END:%s", top.name, top.name)
	}
	return lx.out.Bytes(), nil
}

// physical returns the next physical line without its line end.
func (lx *lexer) physical() (string, bool, error) {
	if lx.pos >= len(lx.data) {
		return "", false, nil
	}
	lx.line++
	rest := lx.data[lx.pos:]
	end := bytes.IndexByte(rest, '\n')
	if end < 0 {
		end = len(rest)
		lx.pos = len(lx.data)
	} else {
		lx.pos += end + 1
	}
	l := rest[:end]
	if len(l) > 0 && l[len(l)-1] == '\r' {
		l = l[:len(l)-1]
	} else if end < len(rest) {
		lx.fix(FixBareLF)
	}
	if i := bytes.IndexAny(l, "\r\x00"); i >= 0 {
		if l[i] == 0 {
			return "", false, syntaxError(lx.line, "NUL character in content line")
		}
		return "", false, syntaxError(lx.line, "carriage return not followed by a line feed")
	}
	return string(l), true, nil
}

// next returns the next logical line, unfolded (RFC 5545 §3.1): a physical
// line starting with a space or tab continues the previous one.
func (lx *lexer) next() (string, int, bool, error) {
	first, ok, err := lx.physical()
	if !ok || err != nil {
		return "", 0, false, err
	}
	line := lx.line
	var b strings.Builder
	b.WriteString(first)
	for lx.pos < len(lx.data) && (lx.data[lx.pos] == ' ' || lx.data[lx.pos] == '\t') {
		cont, _, err := lx.physical()
		if err != nil {
			return "", 0, false, err
		}
		b.WriteString(cont[1:])
	}
	return b.String(), line, true, nil
}

// content checks one content line and tracks component nesting.
func (lx *lexer) content(text string, line int) error {
	name, value, err := splitContentLine(text)
	if err != nil {
		return syntaxError(line, "%v", err)
	}
	name = strings.ToUpper(name)
	switch {
	case name == "BEGIN":
		return lx.begin(strings.ToUpper(strings.TrimSpace(value)), line)
	case name == "END":
		return lx.end(strings.ToUpper(strings.TrimSpace(value)), line)
	case len(lx.stack) == 0:
		return syntaxError(line, "property %s outside of BEGIN:VCALENDAR ... END:VCALENDAR", name)
	}
	lx.out.WriteString(text)
	lx.out.WriteString("\r\n")
	return nil
}

func (lx *lexer) begin(comp string, line int) error {
	switch {
	case !isName(comp):
		return syntaxError(line, "BEGIN:%q is not a valid component name", comp)
	case len(lx.stack) == 0 && comp != ical.CompCalendar:
		return syntaxError(line, "expected BEGIN:VCALENDAR, found BEGIN:%s", comp)
	case len(lx.stack) > 0 && comp == ical.CompCalendar:
		return syntaxError(line, "BEGIN:VCALENDAR inside %s", lx.stack[len(lx.stack)-1].name)
	case len(lx.stack) >= maxDepth:
		return syntaxError(line, "components nested more than %d deep", maxDepth)
	}
	lx.stack = append(lx.stack, open{comp, line})
	lx.out.WriteString("BEGIN:" + comp + "\r\n")
	return nil
}

func (lx *lexer) end(comp string, line int) error {
	n := len(lx.stack)
	if n == 0 {
		return syntaxError(line, "END:%s without BEGIN", comp)
	}
	if top := lx.stack[n-1]; top.name != comp {
		return syntaxError(line, "END:%s does not match BEGIN:%s on line %d", comp, top.name, top.line)
	}
	lx.stack = lx.stack[:n-1]
	lx.out.WriteString("END:" + comp + "\r\n")
	return nil
}

// splitContentLine checks the syntax of an unfolded content line
// (RFC 5545 §3.1: name *(";" param) ":" value) and returns its name and
// value.
func splitContentLine(s string) (name, value string, err error) {
	i := strings.IndexAny(s, ";:")
	if i < 0 {
		return "", "", fmt.Errorf("content line %.40q has no ':' between name and value", s)
	}
	name = s[:i]
	if !isName(name) {
		return "", "", fmt.Errorf("%.40q is not a valid property name (letters, digits and '-')", name)
	}
	for i < len(s) && s[i] == ';' {
		if i, err = skipParam(s, i+1); err != nil {
			return "", "", fmt.Errorf("property %s: %v", name, err)
		}
	}
	if i >= len(s) || s[i] != ':' {
		return "", "", fmt.Errorf("property %s: expected ':' after the parameters", name)
	}
	return name, s[i+1:], nil
}

// skipParam checks one parameter starting at s[i] (after its ';') and
// returns the index just past it: RFC 5545 §3.2 param-name "=" param-value
// *("," param-value), values optionally quoted.
func skipParam(s string, i int) (int, error) {
	eq := strings.IndexByte(s[i:], '=')
	if eq < 0 {
		return 0, fmt.Errorf("parameter %.40q has no '='", s[i:])
	}
	if pname := s[i : i+eq]; !isName(pname) {
		return 0, fmt.Errorf("%.40q is not a valid parameter name", pname)
	}
	i += eq + 1
	for {
		start := i
		if i < len(s) && s[i] == '"' {
			end := strings.IndexByte(s[i+1:], '"')
			if end < 0 {
				return 0, fmt.Errorf("unterminated quoted parameter value")
			}
			i += end + 2
		} else {
			for i < len(s) && !strings.ContainsRune(";,:\"", rune(s[i])) {
				i++
			}
			if i < len(s) && s[i] == '"' {
				return 0, fmt.Errorf("'\"' inside an unquoted parameter value")
			}
		}
		if i-start > maxParamValue {
			return 0, fmt.Errorf("a parameter value is longer than %d octets", maxParamValue)
		}
		if i >= len(s) || s[i] != ',' {
			break
		}
		i++
	}
	switch {
	case i >= len(s):
		return 0, fmt.Errorf("the line ends inside the parameters: a ':' must separate them from the value")
	case s[i] != ';' && s[i] != ':':
		return 0, fmt.Errorf("expected ';' or ':' after a parameter value")
	}
	return i, nil
}

// isName reports whether s is an iana-token or x-name (RFC 5545 §3.1),
// accepting '_' as some producers write it.
func isName(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-' || c == '_') {
			return false
		}
	}
	return true
}

// decodeRFC6868 decodes the ^-escapes of parameter values (RFC 6868 §3) in
// c and its children: ^n is a newline, ^' a double quote, ^^ a caret.
func decodeRFC6868(c *ical.Component) {
	for _, props := range c.Props {
		for _, p := range props {
			for name, vals := range p.Params {
				for i, v := range vals {
					if strings.IndexByte(v, '^') >= 0 {
						vals[i] = unescapeParam(v)
					}
				}
				p.Params[name] = vals
			}
		}
	}
	for _, child := range c.Children {
		decodeRFC6868(child)
	}
}

func unescapeParam(v string) string {
	var b strings.Builder
	for i := 0; i < len(v); i++ {
		if v[i] == '^' && i+1 < len(v) {
			switch v[i+1] {
			case 'n', 'N':
				b.WriteByte('\n')
				i++
				continue
			case '\'':
				b.WriteByte('"')
				i++
				continue
			case '^':
				b.WriteByte('^')
				i++
				continue
			}
		}
		b.WriteByte(v[i])
	}
	return b.String()
}
