package icalendar

import "bytes"

// StripControls removes the control characters RFC 5545 §3.1 and §3.3.11
// forbid in content lines (every C0 control but HTAB, CR and LF, and DEL),
// returning data itself when it holds none. Outlook and other producers
// do write them, most often in SUMMARY and DESCRIPTION; refusing such an
// object would stop that client's sync, and keeping them would break every
// CalDAV answer that carries the object, since XML 1.0 cannot hold them
// even as character references. CR and LF are left to the lexer, which
// knows lines.
func StripControls(data []byte) []byte {
	i := bytes.IndexFunc(data, isStrippedControl)
	if i < 0 {
		return data
	}
	out := make([]byte, 0, len(data))
	out = append(out, data[:i]...)
	for _, b := range data[i:] {
		if !isStrippedControl(rune(b)) {
			out = append(out, b)
		}
	}
	return out
}

func isStrippedControl(r rune) bool {
	return (r < 0x20 && r != '\t' && r != '\r' && r != '\n') || r == 0x7f
}
