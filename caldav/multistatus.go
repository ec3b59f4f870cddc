package caldav

import (
	"bufio"
	"encoding/xml"
	"net/http"
	"strconv"
	"strings"
	"sync"

	"github.com/klauspost/compress/gzip"
)

// gzipWriters keeps compressors from one answer to the next: making one
// allocates and clears several hundred kilobytes, far more than writing a
// typical multistatus (a sync with no change) costs.
var gzipWriters = sync.Pool{New: func() any {
	gz, _ := gzip.NewWriterLevel(nil, gzip.BestSpeed)
	return gz
}}

// prefixes of the namespaces declared on every multistatus and error body.
var prefixes = map[string]string{nsDAV: "D", nsCalDAV: "C", nsCS: "CS", nsApple: "I"}

const rootNS = `xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:ns:caldav" xmlns:CS="http://calendarserver.org/ns/" xmlns:I="http://apple.com/ns/ical/"`

// openTag returns the start tag of an element; names outside the declared
// namespaces carry their own declaration.
func openTag(n xml.Name) string {
	if p, ok := prefixes[n.Space]; ok {
		return "<" + p + ":" + n.Local + ">"
	}
	return `<X:` + n.Local + ` xmlns:X="` + escapeAttr(n.Space) + `">`
}

func closeTag(n xml.Name) string {
	if p, ok := prefixes[n.Space]; ok {
		return "</" + p + ":" + n.Local + ">"
	}
	return "</X:" + n.Local + ">"
}

func emptyTag(n xml.Name) string {
	t := openTag(n)
	return t[:len(t)-1] + "/>"
}

// prop is one property of a response: its name and its value as XML
// content (already escaped).
type prop struct {
	name  xml.Name
	inner string
	raw   string // the whole element, for dead properties stored verbatim
}

// propstat groups properties that share a status.
type propstat struct {
	status int
	props  []prop
	cond   xml.Name // error element (RFC 4918 §14.5), for 403/409 answers
}

// multistatus writes a 207 response as it goes, so large answers are never
// held in memory. The body is gzip-compressed when the client accepts it.
type multistatus struct {
	w       *bufio.Writer
	out     *msSink
	count   int
	minimal bool // leave out 404 propstats (RFC 8144 §2.1, Brief: t)
}

// gzipMin is the smallest answer worth compressing: below it, gzip's
// header and the work cost more than they save (a sync poll that finds
// nothing is a few hundred bytes).
const gzipMin = 1024

// msSink is where a multistatus's buffer goes. It sends the status line
// with the first bytes, so that an answer complete in the buffer when it
// closes can still be sent uncompressed.
type msSink struct {
	hw      http.ResponseWriter
	gzipOK  bool // the client accepts gzip
	gz      *gzip.Writer
	started bool
	closing bool // the buffer now holds the end of the answer
}

func (s *msSink) Write(p []byte) (int, error) {
	if !s.started {
		s.started = true
		if s.gzipOK && (!s.closing || len(p) >= gzipMin) {
			s.hw.Header().Set("Content-Encoding", "gzip")
			s.gz = gzipWriters.Get().(*gzip.Writer)
			s.gz.Reset(s.hw)
		}
		s.hw.WriteHeader(http.StatusMultiStatus)
	}
	if s.gz != nil {
		return s.gz.Write(p)
	}
	return s.hw.Write(p)
}

func (s *msSink) flush() error {
	if s.gz != nil {
		return s.gz.Flush()
	}
	return nil
}

// close ends the compressed stream, if any.
func (s *msSink) close() error {
	if !s.started {
		s.closing = true
		if _, err := s.Write(nil); err != nil {
			return err
		}
	}
	if s.gz == nil {
		return nil
	}
	err := s.gz.Close()
	gzipWriters.Put(s.gz)
	s.gz = nil
	return err
}

func newMultistatus(w http.ResponseWriter, r *http.Request) *multistatus {
	h := w.Header()
	h.Set("Content-Type", "application/xml; charset=utf-8")
	h.Set("Cache-Control", "no-store")
	m := &multistatus{out: &msSink{hw: w, gzipOK: acceptsGzip(r)}, minimal: wantsMinimal(r)}
	if m.minimal && r.Header.Get("Prefer") != "" {
		h.Set("Preference-Applied", "return=minimal")
	}
	h.Add("Vary", "Brief, Prefer")
	if m.out.gzipOK {
		h.Add("Vary", "Accept-Encoding")
	}
	m.w = bufio.NewWriterSize(m.out, 32<<10)
	m.w.WriteString(xml.Header)
	m.w.WriteString(`<D:multistatus ` + rootNS + `>`)
	return m
}

// wantsMinimal reports whether the client asked to be spared the
// properties a resource does not have: "Prefer: return=minimal" (RFC 8144)
// or the older "Brief: t" that Apple's clients send.
func wantsMinimal(r *http.Request) bool {
	if strings.EqualFold(strings.TrimSpace(r.Header.Get("Brief")), "t") {
		return true
	}
	for _, p := range r.Header.Values("Prefer") {
		for _, v := range strings.Split(p, ",") {
			if strings.EqualFold(strings.TrimSpace(v), "return=minimal") {
				return true
			}
		}
	}
	return false
}

func acceptsGzip(r *http.Request) bool {
	for _, part := range strings.Split(r.Header.Get("Accept-Encoding"), ",") {
		enc, params, _ := strings.Cut(strings.TrimSpace(part), ";")
		if !strings.EqualFold(strings.TrimSpace(enc), "gzip") {
			continue
		}
		// RFC 9110 §12.5.3: a weight of zero refuses gzip, any other
		// accepts it (q=0.5 as much as none).
		name, q, _ := strings.Cut(strings.TrimSpace(params), "=")
		v, err := strconv.ParseFloat(strings.TrimSpace(q), 64)
		return !(strings.EqualFold(strings.TrimSpace(name), "q") && err == nil && v == 0)
	}
	return false
}

// response writes one DAV:response with its propstats; empty propstats are
// left out.
func (m *multistatus) response(href string, stats ...propstat) {
	w := m.w
	w.WriteString("<D:response><D:href>")
	writeText(w, href)
	w.WriteString("</D:href>")
	for _, ps := range stats {
		if len(ps.props) == 0 || (m.minimal && ps.status == http.StatusNotFound) {
			continue
		}
		w.WriteString("<D:propstat><D:prop>")
		for _, p := range ps.props {
			if p.raw != "" {
				w.WriteString(p.raw)
				continue
			}
			if p.inner == "" {
				w.WriteString(emptyTag(p.name))
				continue
			}
			w.WriteString(openTag(p.name))
			w.WriteString(p.inner)
			w.WriteString(closeTag(p.name))
		}
		w.WriteString("</D:prop>")
		m.statusLine(ps.status)
		if ps.cond.Local != "" {
			w.WriteString("<D:error>" + emptyTag(ps.cond) + "</D:error>")
		}
		w.WriteString("</D:propstat>")
	}
	w.WriteString("</D:response>")
	m.flushSometimes()
}

// responseOK is response for a member that must appear even when none of
// the properties asked for is there (an empty DAV:prop in a sync report):
// its propstat is then an empty one with 200.
func (m *multistatus) responseOK(href string, stats []propstat) {
	for _, ps := range stats {
		if len(ps.props) > 0 && !(m.minimal && ps.status == http.StatusNotFound) {
			m.response(href, stats...)
			return
		}
	}
	m.w.WriteString("<D:response><D:href>")
	writeText(m.w, href)
	m.w.WriteString("</D:href><D:propstat><D:prop/>")
	m.statusLine(http.StatusOK)
	m.w.WriteString("</D:propstat></D:response>")
	m.flushSometimes()
}

// status writes a DAV:response that carries only a status, such as the 404
// of a deleted member in a sync report (RFC 6578 §3.5).
func (m *multistatus) status(href string, code int) {
	m.w.WriteString("<D:response><D:href>")
	writeText(m.w, href)
	m.w.WriteString("</D:href>")
	m.statusLine(code)
	m.w.WriteString("</D:response>")
	m.flushSometimes()
}

func (m *multistatus) statusLine(code int) {
	m.w.WriteString("<D:status>HTTP/1.1 ")
	m.w.WriteString(strconv.Itoa(code))
	m.w.WriteString(" ")
	m.w.WriteString(http.StatusText(code))
	m.w.WriteString("</D:status>")
}

// flushSometimes sends what is buffered now and then, so a long answer
// reaches the client while it is being written.
func (m *multistatus) flushSometimes() {
	m.count++
	if m.count%256 == 0 {
		m.w.Flush()
		m.out.flush()
	}
}

// close ends the document, with DAV:sync-token when token is set.
func (m *multistatus) close(syncToken string) error {
	if syncToken != "" {
		m.w.WriteString("<D:sync-token>")
		writeText(m.w, syncToken)
		m.w.WriteString("</D:sync-token>")
	}
	m.w.WriteString("</D:multistatus>\n")
	m.out.closing = true
	err := m.w.Flush()
	if cerr := m.out.close(); err == nil {
		err = cerr
	}
	return err
}

func statusText(code int) string { return strconv.Itoa(code) + " " + http.StatusText(code) }
