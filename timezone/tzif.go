package timezone

import (
	"encoding/binary"
	"fmt"
)

// This file writes TZif data (RFC 8536), the form time.LoadLocationFromTZData
// reads, so that a VTIMEZONE becomes a *time.Location like any other.

// ttype is a local time type: an offset east of UTC, whether it is daylight
// time, and its abbreviation.
type ttype struct {
	off  int
	dst  bool
	name string
}

type tzifTransition struct {
	at  int64 // Unix seconds
	idx int   // into tzifWriter.types
}

// tzifWriter accumulates transitions in time order. Type 0 is the zone
// before the first transition and is used by no transition, which is how the
// time package knows to apply it to earlier instants.
type tzifWriter struct {
	types []ttype
	tx    []tzifTransition
}

func (w *tzifWriter) base(t ttype) { w.types = append(w.types[:0], t) }

func (w *tzifWriter) currentIndex() int {
	if n := len(w.tx); n > 0 {
		return w.tx[n-1].idx
	}
	return 0
}

// current returns the type in force after the last transition.
func (w *tzifWriter) current() ttype { return w.types[w.currentIndex()] }

// transition records that t applies from at on. Transitions must come in
// order; one at the same instant as the previous replaces it (the later
// observance wins), and one that changes nothing is dropped.
func (w *tzifWriter) transition(at int64, t ttype) error {
	if n := len(w.tx); n > 0 && w.tx[n-1].at == at {
		w.tx = w.tx[:n-1]
	}
	if w.current() == t {
		return nil
	}
	idx := -1
	for i := 1; i < len(w.types); i++ {
		if w.types[i] == t {
			idx = i
			break
		}
	}
	if idx < 0 {
		// Type indexes are one byte in TZif.
		if len(w.types) == 256 {
			return fmt.Errorf("more than 255 distinct observances")
		}
		idx = len(w.types)
		w.types = append(w.types, t)
	}
	w.tx = append(w.tx, tzifTransition{at, idx})
	return nil
}

// bytes encodes version 2 TZif data. The version 1 block that must precede
// the 64-bit data is reduced to the one type RFC 8536 §4 asks of it, since
// readers of version 2 skip it. footer is the POSIX TZ string for instants
// after the last transition, possibly empty.
func (w *tzifWriter) bytes(footer string) []byte {
	var chars []byte
	charIdx := map[string]int{}
	for _, t := range w.types {
		if _, ok := charIdx[t.name]; !ok {
			charIdx[t.name] = len(chars)
			chars = append(append(chars, t.name...), 0)
		}
	}
	if len(chars) > 255 {
		// Abbreviation indexes are one byte in TZif too. Numeric names
		// are shorter; failing that, the zone goes without names.
		numeric := true
		for _, t := range w.types {
			numeric = numeric && (t.name == numericAbbrev(t.off) || t.name == "")
		}
		for i := range w.types {
			if numeric {
				w.types[i].name = ""
			} else {
				w.types[i].name = numericAbbrev(w.types[i].off)
			}
		}
		return w.bytes(footer)
	}

	b := make([]byte, 0, 128+len(w.tx)*9+len(w.types)*6+len(chars)+len(footer))
	header := func(timecnt, typecnt, charcnt int) {
		b = append(b, "TZif2"...)
		b = append(b, make([]byte, 15)...)
		for _, n := range []int{0, 0, 0, timecnt, typecnt, charcnt} { // isut, isstd, leap, time, type, char
			b = binary.BigEndian.AppendUint32(b, uint32(n))
		}
	}
	ttinfo := func(t ttype, abbr int) {
		b = binary.BigEndian.AppendUint32(b, uint32(int32(t.off)))
		dst := byte(0)
		if t.dst {
			dst = 1
		}
		b = append(b, dst, byte(abbr))
	}

	header(0, 1, 1)
	ttinfo(ttype{off: w.types[0].off}, 0)
	b = append(b, 0)

	header(len(w.tx), len(w.types), len(chars))
	for _, tx := range w.tx {
		b = binary.BigEndian.AppendUint64(b, uint64(tx.at))
	}
	for _, tx := range w.tx {
		b = append(b, byte(tx.idx))
	}
	for _, t := range w.types {
		ttinfo(t, charIdx[t.name])
	}
	b = append(b, chars...)
	b = append(b, '\n')
	b = append(b, footer...)
	b = append(b, '\n')
	return b
}
