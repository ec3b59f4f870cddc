package calendar

import (
	"encoding/json"
	"unicode/utf8"

	"github.com/almanac/almanac/icalendar"
)

// Summary is what a calendar view draws of one component of an object,
// besides what the time-range index holds (times, status, transparency).
// It is derived when the object is written and stored with it, so that a
// view never parses iCalendar (DESIGN.md §5).
type Summary struct {
	Title    string `json:"t,omitempty"`
	Location string `json:"l,omitempty"`
	Color    string `json:"c,omitempty"` // COLOR (RFC 7986 §5.9), as written
}

// summaryTextMax bounds each text of a summary: a view draws a line of it,
// and the whole value is one GET away.
const summaryTextMax = 512

// summarize encodes the summaries of obj's components, in the order of the
// data, as the store keeps them (a compact JSON array).
func summarize(obj *icalendar.Object) string {
	list := make([]Summary, len(obj.Components))
	for i, c := range obj.Components {
		list[i] = Summary{
			Title:    clip(c.Summary()),
			Location: clip(c.Text("LOCATION")),
			Color:    clip(c.Text("COLOR")),
		}
	}
	b, _ := json.Marshal(list) // strings only: cannot fail
	return string(b)
}

// DecodeSummaries reads what summarize wrote; an empty value (an object
// stored before summaries existed) gives nil.
func DecodeSummaries(s string) ([]Summary, error) {
	if s == "" {
		return nil, nil
	}
	var list []Summary
	err := json.Unmarshal([]byte(s), &list)
	return list, err
}

// clip shortens s to at most summaryTextMax bytes without splitting a UTF-8
// sequence.
func clip(s string) string {
	if len(s) <= summaryTextMax {
		return s
	}
	cut := summaryTextMax
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut]
}
