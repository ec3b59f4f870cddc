package icalendar

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/emersion/go-ical"
)

// propRank orders the properties the server writes: identity first, then
// time, then description; everything else follows alphabetically, and
// extension (X-) properties come last. One list serves every component
// because the names it orders do not clash.
var propRank = rankOf(
	"VERSION", "PRODID", "CALSCALE", "METHOD",
	"TZID", "UID", "ACTION", "TRIGGER", "DTSTAMP", "RECURRENCE-ID", "SEQUENCE",
	"DTSTART", "TZOFFSETFROM", "TZOFFSETTO", "TZNAME", "DTEND", "DUE", "DURATION", "REPEAT",
	"RRULE", "RDATE", "EXDATE", "SUMMARY", "LOCATION", "DESCRIPTION", "STATUS", "TRANSP",
	"CLASS", "PRIORITY", "ORGANIZER", "ATTENDEE",
)

func rankOf(names ...string) map[string]int {
	m := make(map[string]int, len(names))
	for i, n := range names {
		m[n] = i + 1
	}
	return m
}

// Marshal returns comp as iCalendar text; see Encode.
func Marshal(comp *ical.Component) ([]byte, error) {
	var b bytes.Buffer
	if err := Encode(&b, comp); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}

// MarshalDecoded is Marshal for a component that go-ical decoded itself
// (as go-webdav's client does), rather than Parse: go-ical leaves the
// ^-escapes of parameter values (RFC 6868) as they were, so they are
// decoded first, or Marshal would escape them twice.
func MarshalDecoded(comp *ical.Component) ([]byte, error) {
	if comp == nil {
		return nil, fmt.Errorf("icalendar: no data")
	}
	decodeRFC6868(comp)
	return Marshal(comp)
}

// Encode writes comp and its children as iCalendar text (RFC 5545 §3.1):
// CRLF line ends, lines folded at 75 octets without splitting a UTF-8
// sequence, properties and parameters in a stable order, and parameter
// values quoted or ^-escaped (RFC 6868) as needed. Properties of one name
// keep their relative order. It fails on a property value holding a line
// break, which must be escaped in the value itself.
func Encode(w io.Writer, comp *ical.Component) error {
	bw := bufio.NewWriter(w)
	if err := encodeComponent(bw, comp); err != nil {
		return err
	}
	return bw.Flush()
}

func encodeComponent(w *bufio.Writer, c *ical.Component) error {
	writeFolded(w, "BEGIN:"+c.Name)
	for _, name := range sortedNames(c.Props) {
		for _, p := range c.Props[name] {
			line, err := contentLine(&p)
			if err != nil {
				return fmt.Errorf("icalendar: %s %s: %w", c.Name, name, err)
			}
			writeFolded(w, line)
		}
	}
	for _, child := range c.Children {
		if err := encodeComponent(w, child); err != nil {
			return err
		}
	}
	writeFolded(w, "END:"+c.Name)
	return nil
}

func sortedNames(props ical.Props) []string {
	names := make([]string, 0, len(props))
	for n := range props {
		names = append(names, n)
	}
	slices.SortFunc(names, func(a, b string) int {
		ra, rb := propRank[a], propRank[b]
		switch {
		case ra != 0 && rb != 0:
			return ra - rb
		case ra != 0:
			return -1
		case rb != 0:
			return 1
		}
		xa, xb := strings.HasPrefix(a, "X-"), strings.HasPrefix(b, "X-")
		if xa != xb {
			if xa {
				return 1
			}
			return -1
		}
		return strings.Compare(a, b)
	})
	return names
}

// contentLine renders one unfolded content line.
func contentLine(p *ical.Prop) (string, error) {
	if strings.ContainsAny(p.Value, "\r\n") {
		return "", fmt.Errorf("value contains a line break")
	}
	var b strings.Builder
	b.WriteString(p.Name)
	for _, name := range paramNames(p.Params) {
		b.WriteByte(';')
		b.WriteString(name)
		b.WriteByte('=')
		for i, v := range p.Params[name] {
			if i > 0 {
				b.WriteByte(',')
			}
			writeParamValue(&b, v)
		}
	}
	b.WriteByte(':')
	b.WriteString(p.Value)
	return b.String(), nil
}

// paramNames orders parameters: VALUE, then TZID, then alphabetically.
func paramNames(params ical.Params) []string {
	names := make([]string, 0, len(params))
	for n := range params {
		names = append(names, n)
	}
	rank := func(n string) int {
		switch n {
		case "VALUE":
			return 0
		case "TZID":
			return 1
		}
		return 2
	}
	slices.SortFunc(names, func(a, b string) int {
		if ra, rb := rank(a), rank(b); ra != rb {
			return ra - rb
		}
		return strings.Compare(a, b)
	})
	return names
}

// writeParamValue writes v quoted when it holds a separator, with RFC 6868
// escapes for what a parameter value cannot hold.
func writeParamValue(b *strings.Builder, v string) {
	if strings.ContainsAny(v, "^\n\"") {
		v = strings.NewReplacer("^", "^^", "\n", "^n", "\"", "^'").Replace(v)
	}
	if strings.ContainsAny(v, ";:,") {
		b.WriteByte('"')
		b.WriteString(v)
		b.WriteByte('"')
		return
	}
	b.WriteString(v)
}

// writeFolded writes line with CRLF, folded so that no physical line is
// longer than 75 octets (RFC 5545 §3.1). A fold never splits a UTF-8
// sequence; the continuation's leading space counts toward its 75.
func writeFolded(w *bufio.Writer, line string) {
	const max = 75
	limit := max
	for len(line) > limit {
		cut := limit
		for cut > 0 && !utf8.RuneStart(line[cut]) {
			cut--
		}
		if cut == 0 {
			cut = limit // not UTF-8: any cut is as good as another
		}
		w.WriteString(line[:cut])
		w.WriteString("\r\n ")
		line = line[cut:]
		limit = max - 1
	}
	w.WriteString(line)
	w.WriteString("\r\n")
}
