package caldav

import (
	"encoding/xml"
	"net/http"
	"strconv"

	"github.com/almanac/almanac/store"
)

// Properties of an object that the hot reports (calendar-query,
// multiget, sync-collection) ask for, written straight from the row.
var directProps = map[xml.Name]bool{
	pnGetETag: true, pnCalendarData: true, dav("getcontenttype"): true,
	dav("getcontentlength"): true, pnResourceType: true,
}

// direct reports whether every property asked for can be written straight
// from the stored object, without the general property machinery.
func (op *objectProps) direct() bool {
	if op.req.allprop || op.req.propname || (op.data != nil && !op.data.plain()) {
		return false
	}
	for _, n := range op.req.names {
		if !directProps[n] {
			return false
		}
	}
	return true
}

// objectResponse writes one object's response: the stored bytes escaped as
// they are copied into the output buffer.
func (m *multistatus) objectResponse(href string, o *store.Object, names []xml.Name) {
	w := m.w
	w.WriteString("<D:response><D:href>")
	writeText(w, href)
	w.WriteString("</D:href><D:propstat><D:prop>")
	for _, n := range names {
		switch n {
		case pnGetETag:
			w.WriteString(`<D:getetag>"` + o.ETag + `"</D:getetag>`)
		case pnCalendarData:
			w.WriteString("<C:calendar-data>")
			writeBytes(w, o.Data)
			w.WriteString("</C:calendar-data>")
		case pnResourceType:
			w.WriteString("<D:resourcetype/>")
		case dav("getcontentlength"):
			w.WriteString("<D:getcontentlength>" + strconv.Itoa(o.Size) + "</D:getcontentlength>")
		case dav("getcontenttype"):
			w.WriteString("<D:getcontenttype>" + objectContentType + "</D:getcontenttype>")
		}
	}
	w.WriteString("</D:prop>")
	m.statusLine(http.StatusOK)
	w.WriteString("</D:propstat></D:response>")
	m.flushSometimes()
}

// writeBytes is writeText for a byte slice, without copying it to a string
// first.
func writeBytes(w interface {
	Write([]byte) (int, error)
	WriteString(string) (int, error)
}, s []byte) {
	last := 0
	for i, c := range s {
		var esc string
		switch c {
		case '&':
			esc = "&amp;"
		case '<':
			esc = "&lt;"
		case '>':
			esc = "&gt;"
		case '\r':
			esc = "&#13;"
		default:
			if c < 0x20 && c != '\n' && c != '\t' {
				esc = "\uFFFD"
			} else {
				continue
			}
		}
		w.Write(s[last:i])
		w.WriteString(esc)
		last = i + 1
	}
	w.Write(s[last:])
}
