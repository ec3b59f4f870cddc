package icalendar

import (
	"bytes"
)

// SameContent reports whether two iCalendar texts say the same thing,
// apart from their DTSTAMP properties, line ends and folding. Feeds and
// exports that are generated on demand (Google's, for one) stamp every
// component with the time of the download (RFC 5545 §3.8.7.2 makes
// DTSTAMP that time when there is no METHOD); such a change alone is not
// a change of the event.
func SameContent(a, b []byte) bool {
	la, lb := contentLines(a), contentLines(b)
	for {
		x, okA := la()
		y, okB := lb()
		if !okA || !okB {
			return okA == okB
		}
		if !bytes.Equal(x, y) {
			return false
		}
	}
}

// contentLines iterates over the unfolded lines of data, skipping blank
// lines and DTSTAMP.
func contentLines(data []byte) func() ([]byte, bool) {
	var buf []byte
	return func() ([]byte, bool) {
		for len(data) > 0 {
			buf = buf[:0]
			for first := true; len(data) > 0 && (first || data[0] == ' ' || data[0] == '\t'); first = false {
				line := data
				if i := bytes.IndexByte(data, '\n'); i >= 0 {
					line, data = data[:i], data[i+1:]
				} else {
					data = nil
				}
				line = bytes.TrimSuffix(line, []byte("\r"))
				if !first {
					line = line[1:]
				}
				buf = append(buf, line...)
			}
			if len(bytes.TrimSpace(buf)) == 0 || isStamp(buf) {
				continue
			}
			return buf, true
		}
		return nil, false
	}
}

func isStamp(line []byte) bool {
	const name = "DTSTAMP"
	return len(line) > len(name) && bytes.EqualFold(line[:len(name)], []byte(name)) &&
		(line[len(name)] == ':' || line[len(name)] == ';')
}
