package icalendar

import (
	"bufio"
	"bytes"
	"cmp"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/almanac/almanac/timezone"
)

// SplitLimits bound what Split accepts, so that a gigantic or hostile file
// costs bounded memory: Split keeps offsets, never the data itself.
type SplitLimits struct {
	MaxComponents    int   // top-level components in the whole stream; default 1,000,000
	MaxComponentSize int64 // bytes of one component; default 4 MiB
}

func (l SplitLimits) withDefaults() SplitLimits {
	if l.MaxComponents <= 0 {
		l.MaxComponents = 1_000_000
	}
	if l.MaxComponentSize <= 0 {
		l.MaxComponentSize = 4 << 20
	}
	return l
}

// Split is a stream of one or more VCALENDARs cut into calendar object
// resources (RFC 4791 §4.1): the components that share a UID, the master
// with its overrides wherever they appear in the stream, each with the
// VTIMEZONEs it references. It reads the stream once to find where every
// component is and reads each resource's parts again when asked for its
// data, so a file of any size is split in memory proportional to the
// number of its components.
type Split struct {
	Props     CalendarProps
	Resources []*Resource
	// Warnings describe what was skipped or tolerated in the stream as a
	// whole (components that cannot be stored, a missing END:VCALENDAR).
	Warnings []string

	src       io.ReaderAt
	zones     []map[string]span // VTIMEZONE by TZID, per VCALENDAR
	generated map[string][]byte
}

// CalendarProps are the properties of the (first) VCALENDAR that describe
// the calendar as a whole, as Google, Outlook and Apple export them. Values
// are unescaped.
type CalendarProps struct {
	ProdID      string
	CalScale    string
	Method      string
	Name        string // NAME (RFC 7986 §5.1), else X-WR-CALNAME
	Description string // DESCRIPTION (RFC 7986 §5.2), else X-WR-CALDESC
	TimeZone    string // X-WR-TIMEZONE
	Color       string // X-APPLE-CALENDAR-COLOR (#RRGGBB), else COLOR (RFC 7986 §5.9)
	// Refresh is the feed's suggested polling interval: REFRESH-INTERVAL
	// (RFC 7986 §5.7) or X-PUBLISHED-TTL; zero when absent.
	Refresh time.Duration
}

// Resource is one calendar object resource of a split stream.
type Resource struct {
	UID  string // empty until Data when the components have none
	Type string // the first component's name: VEVENT, VTODO …
	Line int    // line of the first component in the stream
	// Err is set when a component of the resource is structurally broken
	// (a BEGIN without its END); Data returns it.
	Err error

	parts []span
	cal   int // the VCALENDAR of the first component
	tzids []string
	noUID bool
}

// TZIDs returns the TZIDs the resource's components reference, in order
// of first use.
func (r *Resource) TZIDs() []string { return r.tzids }

type span struct {
	off, end int64
	line     int
}

// storable lists the components a calendar object resource may hold; the
// calendar decides which of them it accepts.
var storable = []string{"VEVENT", "VTODO", "VJOURNAL", "VFREEBUSY"}

// topLevelOnly components cannot nest: a BEGIN of one of them inside
// another component means the other lacks its END.
var topLevelOnly = append(slices.Clone(storable), "VTIMEZONE", "VAVAILABILITY")

// SplitBytes splits data held in memory.
func SplitBytes(data []byte, lim SplitLimits) (*Split, error) {
	return SplitStream(bytes.NewReader(data), int64(len(data)), lim)
}

// SplitStream reads the stream of size bytes from src. It is lenient with what
// real exports contain: a byte order mark, LF line ends, blank lines,
// METHOD (dropped: RFC 4791 §4.1), several VCALENDARs, a missing
// END:VCALENDAR, components without UID (given one derived from their
// content, so that importing the same file again finds them). A component
// that is broken is reported on its resource, and splitting goes on with
// the next one; only a stream that is not iCalendar at all, or exceeds the
// limits, is an error (an *Error for the former).
func SplitStream(src io.ReaderAt, size int64, lim SplitLimits) (*Split, error) {
	sp := &Split{src: src}
	st := &splitter{out: sp, lim: lim.withDefaults(), byKey: map[string]*Resource{}}
	st.sc = newLineScanner(io.NewSectionReader(src, 0, size), size)
	if err := st.run(); err != nil {
		return nil, err
	}
	return sp, nil
}

// splitter is the state of one Split.
type splitter struct {
	out   *Split
	lim   SplitLimits
	sc    *lineScanner
	stack []string
	cur   *part
	byKey map[string]*Resource
	count int
	cals  int // VCALENDARs seen
	done  int // VCALENDARs closed
}

// part is the top-level component being read.
type part struct {
	name  string
	uid   string
	tzid  string // a VTIMEZONE's own TZID
	tzids []string
	start int64
	line  int
	err   error
}

func (st *splitter) run() error {
	for {
		ll, err := st.sc.next()
		if err == io.EOF {
			return st.finish()
		}
		if err != nil {
			return err
		}
		if len(bytes.TrimSpace(ll.text)) == 0 {
			continue
		}
		if err := st.line(ll); err != nil {
			return err
		}
		if st.count > st.lim.MaxComponents {
			return &Error{Precondition: ValidCalendarData, Line: ll.line,
				Msg: fmt.Sprintf("the data holds more than %d components; split it into several files", st.lim.MaxComponents)}
		}
	}
}

func (st *splitter) finish() error {
	if st.cur != nil {
		st.broken(fmt.Sprintf("BEGIN:%s has no END:%s before the end of the data", st.cur.name, st.cur.name))
		st.close(st.sc.off)
	}
	if st.cals == 0 {
		return &Error{Precondition: ValidCalendarData, Msg: "no BEGIN:VCALENDAR in the data: this is not an iCalendar file"}
	}
	if len(st.stack) > 0 {
		st.warn("the data ends without END:VCALENDAR")
	}
	return nil
}

func (st *splitter) warn(format string, args ...any) {
	if len(st.out.Warnings) < 100 {
		st.out.Warnings = append(st.out.Warnings, fmt.Sprintf(format, args...))
	}
}

// line handles one unfolded content line.
func (st *splitter) line(ll logicalLine) error {
	name, params, value, ok := cutContentLine(ll.text)
	if !ok {
		return st.noise(ll, "is not a content line (NAME:value)")
	}
	switch strings.ToUpper(name) {
	case "BEGIN":
		return st.begin(strings.ToUpper(strings.TrimSpace(value)), ll)
	case "END":
		return st.end(strings.ToUpper(strings.TrimSpace(value)), ll)
	}
	switch {
	case len(st.stack) == 0:
		return st.noise(ll, "is outside BEGIN:VCALENDAR … END:VCALENDAR")
	case len(st.stack) == 1:
		st.calendarProp(strings.ToUpper(name), params, value)
	case st.cur != nil:
		st.componentProp(strings.ToUpper(name), params, value)
	}
	return nil
}

// noise tolerates junk around complete calendars (mail footers, a
// trailing line) but not a file that does not start as iCalendar.
func (st *splitter) noise(ll logicalLine, what string) error {
	if st.cur != nil {
		st.broken(fmt.Sprintf("line %d %s", ll.line, what))
		return nil
	}
	if st.done == 0 && len(st.stack) == 0 {
		return syntaxError(ll.line, "%.40q %s: this is not an iCalendar file (it must start with BEGIN:VCALENDAR)", string(ll.text), what)
	}
	st.warn("line %d %s; skipped", ll.line, what)
	return nil
}

func (st *splitter) begin(comp string, ll logicalLine) error {
	if !isName(comp) {
		return st.noise(ll, "is a BEGIN without a valid component name")
	}
	depth := len(st.stack)
	if depth >= 2 && (comp == "VCALENDAR" || slices.Contains(topLevelOnly, comp)) {
		// The component being read lacks its END: close it here, broken,
		// and read what follows as the next one.
		st.broken(fmt.Sprintf("BEGIN:%s has no END:%s (line %d starts another %s)", st.cur.name, st.cur.name, ll.line, comp))
		st.close(ll.start)
		st.stack = st.stack[:1]
		depth = 1
	}
	switch {
	case depth == 0 && comp != "VCALENDAR":
		return st.noise(ll, "begins a component outside VCALENDAR")
	case depth == 0 || comp == "VCALENDAR":
		if depth == 1 {
			st.warn("line %d: BEGIN:VCALENDAR before the previous one ended", ll.line)
		}
		st.stack = []string{"VCALENDAR"}
		st.cals++
		st.out.zones = append(st.out.zones, map[string]span{})
		return nil
	case depth == 1:
		st.cur = &part{name: comp, start: ll.start, line: ll.line}
	case depth >= maxDepth:
		st.broken(fmt.Sprintf("components nested more than %d deep", maxDepth))
	}
	st.stack = append(st.stack, comp)
	return nil
}

func (st *splitter) end(comp string, ll logicalLine) error {
	i := -1
	for j := len(st.stack) - 1; j >= 0; j-- { // the innermost match
		if st.stack[j] == comp {
			i = j
			break
		}
	}
	switch {
	case i < 0 && st.cur != nil:
		st.broken(fmt.Sprintf("line %d: END:%s without BEGIN:%s", ll.line, comp, comp))
	case i < 0:
		st.warn("line %d: END:%s without BEGIN:%s; skipped", ll.line, comp, comp)
	case i == 0:
		if st.cur != nil {
			st.broken(fmt.Sprintf("BEGIN:%s has no END:%s before END:VCALENDAR", st.cur.name, st.cur.name))
			st.close(ll.start)
		}
		st.stack = st.stack[:0]
		st.done++
	case i == 1:
		st.close(ll.end)
		st.stack = st.stack[:1]
	default:
		st.stack = st.stack[:i]
	}
	return nil
}

func (st *splitter) broken(msg string) {
	if st.cur != nil && st.cur.err == nil {
		st.cur.err = &Error{Precondition: ValidCalendarData, Line: st.cur.line, Component: st.cur.name, Msg: msg}
	}
}

// calendarProp records the VCALENDAR properties of the first calendar.
func (st *splitter) calendarProp(name, params, value string) {
	if st.cals > 1 {
		return
	}
	p := &st.out.Props
	text := strings.TrimSpace(UnescapeText(value))
	switch name {
	case "PRODID":
		p.ProdID = text
	case "CALSCALE":
		p.CalScale = text
	case "METHOD":
		p.Method = strings.ToUpper(text)
	case "NAME":
		p.Name = text
	case "X-WR-CALNAME":
		p.Name = cmp.Or(p.Name, text)
	case "DESCRIPTION":
		p.Description = text
	case "X-WR-CALDESC":
		p.Description = cmp.Or(p.Description, text)
	case "X-WR-TIMEZONE":
		p.TimeZone = text
	case "X-APPLE-CALENDAR-COLOR":
		p.Color = text
	case "COLOR":
		p.Color = cmp.Or(p.Color, text)
	case "REFRESH-INTERVAL", "X-PUBLISHED-TTL":
		if d, err := ParseDuration(text); err == nil && !d.Negative && (p.Refresh == 0 || name == "REFRESH-INTERVAL") {
			p.Refresh = d.Approx()
		}
	}
}

func (st *splitter) componentProp(name, params, value string) {
	c := st.cur
	top := len(st.stack) == 2
	switch {
	case top && name == "UID" && c.uid == "":
		c.uid = strings.TrimSpace(value)
	case top && name == "TZID" && c.name == "VTIMEZONE":
		c.tzid = strings.TrimSpace(UnescapeText(value))
	case c.name != "VTIMEZONE" && params != "":
		if tz := tzidParam(params); tz != "" && !slices.Contains(c.tzids, tz) {
			c.tzids = append(c.tzids, tz)
		}
	}
}

// close ends the current component at offset end and files it.
func (st *splitter) close(end int64) {
	c := st.cur
	st.cur = nil
	sp := span{off: c.start, end: end, line: c.line}
	if end-c.start > st.lim.MaxComponentSize && c.err == nil {
		c.err = &Error{Precondition: ValidCalendarData, Line: c.line, Component: c.name,
			Msg: fmt.Sprintf("the component is %d bytes; at most %d are accepted", end-c.start, st.lim.MaxComponentSize)}
	}
	if c.name == "VTIMEZONE" {
		zones := st.out.zones[len(st.out.zones)-1]
		if _, dup := zones[c.tzid]; c.tzid != "" && !dup && c.err == nil {
			zones[c.tzid] = sp
		}
		return
	}
	if !slices.Contains(storable, c.name) {
		st.warn("line %d: %s is not a calendar component this server stores; skipped", c.line, c.name)
		return
	}
	st.file(c, sp)
}

// file adds a component to the resource of its UID.
func (st *splitter) file(c *part, sp span) {
	st.count++
	key := c.uid
	if key == "" {
		key = "\x00" + strconv.FormatInt(c.start, 10)
	}
	r := st.byKey[key]
	if r == nil {
		r = &Resource{UID: c.uid, Type: c.name, Line: c.line, cal: len(st.out.zones) - 1, noUID: c.uid == ""}
		st.byKey[key] = r
		st.out.Resources = append(st.out.Resources, r)
	}
	r.parts = append(r.parts, sp)
	for _, tz := range c.tzids {
		if !slices.Contains(r.tzids, tz) {
			r.tzids = append(r.tzids, tz)
		}
	}
	if c.err != nil && r.Err == nil {
		r.Err = c.err
	}
}

// tzidParam returns the TZID parameter in the parameter text of a content
// line (";A=b;TZID=c"), unquoted, RFC 6868-decoded and trimmed.
func tzidParam(params string) string {
	for params != "" {
		params = params[1:] // the ';'
		end := paramEnd(params)
		p := params[:end]
		params = params[end:]
		name, val, ok := strings.Cut(p, "=")
		if !ok || !strings.EqualFold(strings.TrimSpace(name), "TZID") {
			continue
		}
		val = strings.TrimSpace(val)
		if len(val) >= 2 && val[0] == '"' && val[len(val)-1] == '"' {
			val = val[1 : len(val)-1]
		}
		return strings.TrimSpace(unescapeParam(val))
	}
	return ""
}

// paramEnd finds the ';' that ends a parameter, outside quotes.
func paramEnd(s string) int {
	quoted := false
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case '"':
			quoted = !quoted
		case ';':
			if !quoted {
				return i
			}
		}
	}
	return len(s)
}

// cutContentLine splits name, parameters (with their leading ';') and
// value at the first ':' outside quotes.
func cutContentLine(text []byte) (name, params, value string, ok bool) {
	s := string(text)
	i := strings.IndexAny(s, ";:")
	if i <= 0 {
		return "", "", "", false
	}
	name = s[:i]
	if s[i] == ':' {
		return name, "", s[i+1:], true
	}
	quoted := false
	for j := i; j < len(s); j++ {
		switch s[j] {
		case '"':
			quoted = !quoted
		case ':':
			if !quoted {
				return name, s[i:j], s[j+1:], true
			}
		}
	}
	return "", "", "", false
}

// Data returns the resource as a calendar object resource: a VCALENDAR
// with the stream's PRODID and CALSCALE, the VTIMEZONEs its components
// reference, and its components, with CRLF line ends. A TZID that the
// stream uses without defining it (RFC 5545 §3.2.19 requires the
// definition) gets a VTIMEZONE generated from the time zone database when
// the name is known. The bytes depend only on the stream, so splitting the
// same stream again gives the same data.
func (s *Split) Data(r *Resource) ([]byte, error) {
	if r.Err != nil {
		return nil, r.Err
	}
	comps, err := s.ComponentData(r)
	if err != nil {
		return nil, err
	}
	var b bytes.Buffer
	b.Grow(len(comps) + 512)
	b.WriteString("BEGIN:VCALENDAR\r\nVERSION:2.0\r\n")
	prodID := s.Props.ProdID
	if prodID == "" {
		prodID = "-//Almanac//Import//EN"
	}
	foldInto(&b, "PRODID:"+EscapeText(prodID))
	if s.Props.CalScale != "" {
		foldInto(&b, "CALSCALE:"+s.Props.CalScale)
	}
	for _, tzid := range r.tzids {
		tz, err := s.TimezoneData(r.cal, tzid)
		if err != nil {
			return nil, err
		}
		b.Write(tz)
	}
	b.Write(comps)
	b.WriteString("END:VCALENDAR\r\n")
	return b.Bytes(), nil
}

// ComponentData returns the resource's components only, with CRLF line
// ends; a component without UID gets one derived from its content.
func (s *Split) ComponentData(r *Resource) ([]byte, error) {
	if r.Err != nil {
		return nil, r.Err
	}
	var b bytes.Buffer
	for _, p := range r.parts {
		raw, err := s.read(p)
		if err != nil {
			return nil, err
		}
		if r.noUID {
			raw = withUID(raw, r)
		}
		b.Write(raw)
	}
	return b.Bytes(), nil
}

// withUID inserts a UID after the BEGIN line of a component that has
// none. The UID is a digest of the component, so the same component gets
// the same UID every time it is imported.
func withUID(raw []byte, r *Resource) []byte {
	if r.UID == "" {
		sum := sha256.Sum256(raw)
		r.UID = "import-" + hex.EncodeToString(sum[:12])
	}
	i := bytes.Index(raw, []byte("\r\n")) + 2
	out := make([]byte, 0, len(raw)+len(r.UID)+6)
	out = append(out, raw[:i]...)
	out = append(out, "UID:"+r.UID+"\r\n"...)
	return append(out, raw[i:]...)
}

// TimezoneData returns the VTIMEZONE for tzid as the stream defines it
// (in VCALENDAR number cal when it does there, else in any other), or as
// generated for a known name; nil when neither exists.
func (s *Split) TimezoneData(cal int, tzid string) ([]byte, error) {
	sp, ok := s.zones[cal][tzid]
	for i := 0; !ok && i < len(s.zones); i++ {
		sp, ok = s.zones[i][tzid]
	}
	if ok {
		return s.read(sp)
	}
	if def, ok := s.generated[tzid]; ok {
		return def, nil
	}
	def := GenerateVTIMEZONE(tzid)
	if s.generated == nil {
		s.generated = map[string][]byte{}
	}
	s.generated[tzid] = def
	return def, nil
}

// Timezones returns the TZIDs defined by VTIMEZONEs in VCALENDAR cal.
func (s *Split) Timezones(cal int) []string {
	var out []string
	for tzid := range s.zones[cal] {
		out = append(out, tzid)
	}
	slices.Sort(out)
	return out
}

// Cal returns the VCALENDAR the resource came from, for TimezoneData.
func (r *Resource) Cal() int { return r.cal }

// GenerateVTIMEZONE describes a known time zone (IANA, Windows or another
// name the timezone package knows) as a VTIMEZONE whose TZID is tzid
// exactly, valid from 1970 to 2100; nil when the name is not known.
func GenerateVTIMEZONE(tzid string) []byte {
	loc, ok := timezone.Lookup(tzid)
	if !ok {
		return nil
	}
	vtz := timezone.VTIMEZONE(loc, time.Date(1970, 1, 1, 0, 0, 0, 0, time.UTC), time.Date(2100, 1, 1, 0, 0, 0, 0, time.UTC))
	vtz.Props.SetText("TZID", tzid)
	out, err := Marshal(vtz)
	if err != nil {
		return nil
	}
	return out
}

// read returns a span of the stream with CRLF line ends.
func (s *Split) read(sp span) ([]byte, error) {
	raw := make([]byte, sp.end-sp.off)
	if _, err := s.src.ReadAt(raw, sp.off); err != nil && err != io.EOF {
		return nil, err
	}
	return crlf(raw), nil
}

// crlf makes every line end CRLF, and the last line end too.
func crlf(b []byte) []byte {
	n := bytes.Count(b, []byte("\n")) - bytes.Count(b, []byte("\r\n"))
	if n == 0 && bytes.HasSuffix(b, []byte("\r\n")) {
		return b
	}
	out := make([]byte, 0, len(b)+n+2)
	for i := 0; i < len(b); i++ {
		if b[i] == '\n' && (i == 0 || b[i-1] != '\r') {
			out = append(out, '\r')
		}
		out = append(out, b[i])
	}
	if !bytes.HasSuffix(out, []byte("\r\n")) {
		out = append(out, '\r', '\n')
	}
	return out
}

// foldInto writes a content line folded at 75 octets (RFC 5545 §3.1).
func foldInto(b *bytes.Buffer, line string) {
	w := bufio.NewWriter(b)
	writeFolded(w, line)
	_ = w.Flush()
}

// logicalLine is an unfolded content line with where it lies in the
// stream: [start, end) covers its physical lines and their line ends.
type logicalLine struct {
	text       []byte // unfolded; at most maxInspect bytes are kept
	start, end int64
	line       int
}

// maxInspect bounds the part of a long line the splitter keeps: it reads
// names, parameters and short values only.
const maxInspect = 16 << 10

// lineScanner reads logical lines from a stream, tracking offsets.
type lineScanner struct {
	br   *bufio.Reader
	off  int64 // offset of the next unread byte
	line int
	buf  []byte
}

func newLineScanner(r io.Reader, size int64) *lineScanner {
	// A small object needs a small buffer: exports split every stored
	// object.
	sc := &lineScanner{br: bufio.NewReaderSize(r, int(min(max(size+1, 512), 64<<10)))}
	if b, err := sc.br.Peek(3); err == nil && string(b) == "\xef\xbb\xbf" {
		_, _ = sc.br.Discard(3)
		sc.off = 3
	}
	return sc
}

// physical appends the next physical line without its line end to buf,
// keeping at most maxInspect bytes of it.
func (sc *lineScanner) physical() (int64, error) {
	start := sc.off
	kept := 0
	for {
		chunk, err := sc.br.ReadSlice('\n')
		sc.off += int64(len(chunk))
		body := bytes.TrimRight(chunk, "\r\n")
		if room := maxInspect - kept; room > 0 {
			n := min(room, len(body))
			sc.buf = append(sc.buf, body[:n]...)
			kept += n
		}
		switch {
		case err == bufio.ErrBufferFull:
			continue
		case err == io.EOF && sc.off > start:
			sc.line++
			return start, nil
		case err != nil:
			return start, err
		}
		sc.line++
		return start, nil
	}
}

// next returns the next logical line (RFC 5545 §3.1: a line starting with
// a space or tab continues the previous one).
func (sc *lineScanner) next() (logicalLine, error) {
	sc.buf = sc.buf[:0]
	start, err := sc.physical()
	if err != nil {
		return logicalLine{}, err
	}
	ll := logicalLine{start: start, line: sc.line}
	for {
		b, err := sc.br.Peek(1)
		if err != nil || (b[0] != ' ' && b[0] != '\t') {
			break
		}
		_, _ = sc.br.Discard(1)
		sc.off++
		if _, err := sc.physical(); err != nil {
			break
		}
	}
	ll.text, ll.end = sc.buf, sc.off
	return ll, nil
}
