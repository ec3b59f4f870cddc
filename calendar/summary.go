package calendar

import (
	"strings"
	"unicode/utf8"

	"github.com/almanac/almanac/icalendar"
)

// Summary is what a calendar view draws of one component of an object,
// besides what the time-range index holds (times, status, transparency).
// It is derived when the object is written and stored with it, so that a
// view never parses iCalendar (DESIGN.md §5).
type Summary struct {
	Title    string
	Location string
	Color    string // COLOR (RFC 7986 §5.9), as written
}

// The stored form is one record per component, in the order of the data,
// separated by RS (0x1E), each holding title, location and colour separated
// by US (0x1F). iCalendar TEXT cannot hold control characters (RFC 5545
// §3.3.11), so the separators never clash with the content, and splitting
// is far cheaper than decoding JSON on a view of thousands of instances.
const (
	recordSep = "\x1e"
	fieldSep  = "\x1f"
)

// summaryTextMax bounds each text of a summary: a view draws a line of it,
// and the whole value is one GET away.
const summaryTextMax = 512

// summarize encodes the summaries of obj's components for the store.
func summarize(obj *icalendar.Object) string {
	var b strings.Builder
	for i, c := range obj.Components {
		if i > 0 {
			b.WriteString(recordSep)
		}
		b.WriteString(clean(c.Summary()))
		b.WriteString(fieldSep)
		b.WriteString(clean(c.Text("LOCATION")))
		b.WriteString(fieldSep)
		b.WriteString(clean(c.Text("COLOR")))
	}
	return b.String()
}

// Summaries are the decoded summaries of one object.
type Summaries []Summary

// DecodeSummaries reads what summarize wrote. An object stored before
// summaries existed has none: ok is false and the caller parses it.
func DecodeSummaries(s string) (list Summaries, ok bool) {
	if s == "" {
		return nil, false
	}
	recs := strings.Split(s, recordSep)
	list = make(Summaries, len(recs))
	for i, r := range recs {
		title, rest, _ := strings.Cut(r, fieldSep)
		loc, color, _ := strings.Cut(rest, fieldSep)
		list[i] = Summary{Title: title, Location: loc, Color: color}
	}
	return list, true
}

// Of returns the summary of component i (the master's when i is out of
// range, which only stale data could cause).
func (l Summaries) Of(i int) Summary {
	if i >= 0 && i < len(l) {
		return l[i]
	}
	if len(l) > 0 {
		return l[0]
	}
	return Summary{}
}

// clean drops the separators (which valid data never holds) and shortens
// s to at most summaryTextMax bytes without splitting a UTF-8 sequence.
func clean(s string) string {
	if strings.ContainsAny(s, recordSep+fieldSep) {
		s = strings.NewReplacer(recordSep, "", fieldSep, "").Replace(s)
	}
	if len(s) <= summaryTextMax {
		return s
	}
	cut := summaryTextMax
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut]
}
