package jsonapi

import (
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/almanac/almanac/calendar"
	"github.com/almanac/almanac/icalendar"
)

// A year view holds thousands of instances; encoding/json spends most of
// its time on reflection for them, and building ViewInstance values first
// costs an allocation per string. The view is written by appending
// instead, straight from the calendar's items: the same JSON as
// encoding/json writes for View (the tests compare the two).

// viewWriter writes a view's items as they are drawn for one viewer.
type viewWriter struct {
	role     calendar.Role
	calColor string
	zone     *time.Location
}

// writeView answers with the view v whose instances are drawn, the JSON
// of its instances (appendItems).
func writeView(w http.ResponseWriter, v *View, drawn []byte) {
	head := appendView(make([]byte, 0, 512), v)
	head = head[:len(head)-3] // reopen the empty instance list: "]}\n"
	const tail = "]}\n"
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Content-Length", strconv.Itoa(len(head)+len(drawn)+len(tail)))
	w.WriteHeader(http.StatusOK)
	// drawn may be megabytes, shared with the cache: written as it is,
	// not copied after the head.
	_, _ = w.Write(head)
	_, _ = w.Write(drawn)
	_, _ = io.WriteString(w, tail)
}

// appendItems writes the items the viewer sees, separated by commas, and
// reports whether one of them belongs to a series the view cut.
func (vw viewWriter) appendItems(b []byte, items []calendar.Item) ([]byte, bool) {
	first, cut := true, false
	for i := range items {
		if vw.visible(&items[i]) {
			if !first {
				b = append(b, ',')
			}
			first = false
			cut = cut || items[i].Truncated
			b = vw.appendItem(b, &items[i])
		}
	}
	return b, cut
}

func appendView(b []byte, v *View) []byte {
	b = append(b, `{"calendar_id":`...)
	b = appendString(b, v.CalendarID)
	b = append(b, `,"view_type":`...)
	b = appendString(b, v.ViewType)
	b = append(b, `,"date":`...)
	b = appendString(b, v.Date)
	b = append(b, `,"time_zone":`...)
	b = appendString(b, v.TimeZone)
	b = append(b, `,"week_start":`...)
	b = strconv.AppendInt(b, int64(v.WeekStart), 10)
	b = append(b, `,"start":`...)
	b = appendString(b, v.Start)
	b = append(b, `,"end":`...)
	b = appendString(b, v.End)
	b = append(b, `,"role":`...)
	b = appendString(b, v.Role)
	b = append(b, `,"color":`...)
	b = appendString(b, v.Color)
	if v.Truncated {
		b = append(b, `,"truncated":true`...)
	}
	b = append(b, `,"instances":[`...)
	for i := range v.Instances {
		if i > 0 {
			b = append(b, ',')
		}
		b = appendViewInstance(b, &v.Instances[i])
	}
	return append(b, "]}\n"...)
}

func appendViewInstance(b []byte, in *ViewInstance) []byte {
	b = append(b, '{')
	opt := func(b []byte, key, v string) []byte {
		if v == "" {
			return b
		}
		b = append(b, '"')
		b = append(b, key...)
		b = append(b, `":`...)
		b = appendString(b, v)
		return append(b, ',')
	}
	b = opt(b, "id", in.ID)
	b = opt(b, "event_id", in.EventID)
	b = opt(b, "title", in.Title)
	b = opt(b, "location", in.Location)
	b = opt(b, "color", in.Color)
	b = append(b, `"start":`...)
	b = appendString(b, in.Start)
	b = append(b, `,"end":`...)
	b = appendString(b, in.End)
	b = append(b, `,"start_utc":"`...)
	b = in.StartUTC.AppendFormat(b, time.RFC3339Nano)
	b = append(b, `","end_utc":"`...)
	b = in.EndUTC.AppendFormat(b, time.RFC3339Nano)
	b = append(b, `","all_day":`...)
	b = strconv.AppendBool(b, in.AllDay)
	b = append(b, ',')
	b = opt(b, "status", in.Status)
	b = opt(b, "transparency", in.Transparency)
	if in.Recurring {
		b = append(b, `"recurring":true,`...)
	}
	if in.Override {
		b = append(b, `"override":true,`...)
	}
	if in.Truncated {
		b = append(b, `"truncated":true,`...)
	}
	b = opt(b, "busy", in.Busy)
	b[len(b)-1] = '}' // replaces the last comma
	return b
}

const hexDigits = "0123456789abcdef"

// appendString writes s as a JSON string the way encoding/json does: HTML
// characters and U+2028/U+2029 escaped, invalid UTF-8 replaced.
func appendString(b []byte, s string) []byte {
	b = append(b, '"')
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if c >= 0x20 && c != '"' && c != '\\' && c != '<' && c != '>' && c != '&' {
				i++
				continue
			}
			b = append(b, s[start:i]...)
			switch c {
			case '"', '\\':
				b = append(b, '\\', c)
			case '\n':
				b = append(b, '\\', 'n')
			case '\r':
				b = append(b, '\\', 'r')
			case '\t':
				b = append(b, '\\', 't')
			default:
				b = append(b, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xf])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 || r == '\u2028' || r == '\u2029' {
			b = append(b, s[start:i]...)
			switch r {
			case utf8.RuneError:
				b = append(b, `\ufffd`...)
			default:
				b = append(b, '\\', 'u', '2', '0', '2', hexDigits[r&0xf])
			}
			i += size
			start = i
			continue
		}
		i += size
	}
	b = append(b, s[start:]...)
	return append(b, '"')
}

// visible reports whether the viewer sees the item at all: free/busy
// viewers see busy time only (RFC 5545 §3.8.2.7, RFC 4791 §7.10:
// transparent and cancelled instances make nobody busy).
func (vw viewWriter) visible(it *calendar.Item) bool {
	return vw.role >= calendar.RoleReader || !it.Transparent && it.Status != "CANCELLED"
}

// appendItem writes what viewInstance describes, without building it.
func (vw viewWriter) appendItem(b []byte, it *calendar.Item) []byte {
	b = append(b, '{')
	full := vw.role >= calendar.RoleReader
	if full {
		b = append(b, `"id":"`...)
		b = append(b, it.ObjectUUID...)
		if !it.RecurrenceID.IsZero() {
			b = append(b, '_')
			b = appendRID(b, it.RecurrenceID, itemKind(*it))
		}
		b = append(b, `","event_id":"`...)
		b = append(b, it.ObjectUUID...)
		b = append(b, `",`...)
		b = appendField(b, "title", it.Summary.Title)
		b = appendField(b, "location", it.Summary.Location)
		b = appendField(b, "color", viewColor(it.Summary.Color, vw.calColor))
	}
	start, end := it.Start.In(vw.zone), it.End.In(vw.zone)
	layout := time.RFC3339
	if it.AllDay {
		layout = dateLayout
	}
	b = append(b, `"start":"`...)
	b = start.AppendFormat(b, layout)
	b = append(b, `","end":"`...)
	b = end.AppendFormat(b, layout)
	b = append(b, `","start_utc":"`...)
	b = it.Start.UTC().AppendFormat(b, time.RFC3339Nano)
	b = append(b, `","end_utc":"`...)
	b = it.End.UTC().AppendFormat(b, time.RFC3339Nano)
	b = append(b, `","all_day":`...)
	b = strconv.AppendBool(b, it.AllDay)
	if !full {
		if it.Truncated {
			b = append(b, `,"truncated":true`...)
		}
		b = append(b, `,"busy":"`...)
		if it.Status == "TENTATIVE" {
			b = append(b, `tentative"}`...)
		} else {
			b = append(b, `busy"}`...)
		}
		return b
	}
	b = append(b, `,"status":"`...)
	if it.Status == "" {
		b = append(b, "confirmed"...)
	} else {
		b = append(b, strings.ToLower(it.Status)...)
	}
	b = append(b, `","transparency":"`...)
	if it.Transparent {
		b = append(b, `transparent"`...)
	} else {
		b = append(b, `opaque"`...)
	}
	if !it.RecurrenceID.IsZero() {
		b = append(b, `,"recurring":true`...)
	}
	if it.Override {
		b = append(b, `,"override":true`...)
	}
	if it.Truncated {
		b = append(b, `,"truncated":true`...)
	}
	return append(b, '}')
}

// appendField writes "key":value, for a non-empty value.
func appendField(b []byte, key, v string) []byte {
	if v == "" {
		return b
	}
	b = append(b, '"')
	b = append(b, key...)
	b = append(b, `":`...)
	b = appendString(b, v)
	return append(b, ',')
}

// appendRID writes the original-start part of an instance id.
func appendRID(b []byte, rid time.Time, kind icalendar.Kind) []byte {
	switch kind {
	case icalendar.Date:
		return rid.AppendFormat(b, ridDate)
	case icalendar.Floating:
		return rid.AppendFormat(b, ridFloating)
	}
	return rid.UTC().AppendFormat(b, ridUTC)
}
