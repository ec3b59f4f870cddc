package calendar

import (
	"bufio"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"

	"github.com/emersion/go-ical"

	"github.com/almanac/almanac/icalendar"
	"github.com/almanac/almanac/store"
)

// Level is how much of a calendar an export shows.
type Level string

const (
	// LevelBusy shows busy periods only: events reduced to their times,
	// recurrence and status, titled "Busy" (Outlook's "Availability
	// only").
	LevelBusy Level = "busy"
	// LevelTitles adds titles and locations ("Limited details").
	LevelTitles Level = "titles"
	// LevelFull shows everything but the owner's alarms ("Full details").
	LevelFull Level = "full"
	// levelOwner is an export for someone who may read the calendar: the
	// objects exactly as stored.
	levelOwner Level = ""
)

// ParseLevel reads a level name.
func ParseLevel(s string) (Level, bool) {
	switch l := Level(s); l {
	case LevelBusy, LevelTitles, LevelFull:
		return l, true
	}
	return "", false
}

// exportPage is how many objects an export reads at a time.
const exportPage = 500

// ExportOptions add publishing properties to an export.
type ExportOptions struct {
	// Publish marks the export as a published feed: METHOD:PUBLISH
	// (RFC 5546 §3.2.1) and a suggested refresh interval for subscribers
	// (RFC 7986 §5.7).
	Publish bool
	Refresh time.Duration
	// Source is the feed's own URL (RFC 7986 §5.8).
	Source string
}

// Export writes every object of cal to w as one VCALENDAR, with each
// VTIMEZONE the objects use written once, before the components that use
// it. Readers of the calendar get the objects as stored; free/busy
// viewers get busy periods only. The calendar is read a page at a time,
// so the export never holds all of it.
func (s *Service) Export(ctx context.Context, u *store.User, cal *store.Calendar, w io.Writer) error {
	role, err := s.authorize(ctx, u, cal, ActFreeBusy)
	if err != nil {
		return err
	}
	level := levelOwner
	if !role.Can(ActRead) {
		level = LevelBusy
	}
	return s.export(ctx, cal, level, ExportOptions{}, w)
}

// ExportPublished writes cal at a publication's level. The caller has
// checked the publication's token: that is the authorisation.
func (s *Service) ExportPublished(ctx context.Context, cal *store.Calendar, level Level, opt ExportOptions, w io.Writer) error {
	if level == levelOwner {
		return fmt.Errorf("calendar: a publication needs a level")
	}
	opt.Publish = true
	return s.export(ctx, cal, level, opt, w)
}

func (s *Service) export(ctx context.Context, cal *store.Calendar, level Level, opt ExportOptions, w io.Writer) error {
	bw := bufio.NewWriterSize(w, 64<<10)
	zones, order, err := s.exportZones(ctx, cal)
	if err != nil {
		return err
	}
	writeExportHeader(bw, cal, level, opt)
	for _, tzid := range order {
		bw.Write(zones[tzid])
	}
	after := ""
	for {
		page, err := s.st.ObjectsAfter(ctx, cal.ID, after, exportPage, true)
		if err != nil {
			return err
		}
		for _, obj := range page {
			if err := exportObject(bw, obj, level, zones); err != nil {
				return err
			}
		}
		if len(page) < exportPage {
			break
		}
		after = page[len(page)-1].Name
		if err := bw.Flush(); err != nil {
			return err
		}
	}
	bw.WriteString("END:VCALENDAR\r\n")
	return bw.Flush()
}

// exportZones reads the calendar once to collect the VTIMEZONEs its
// objects use, so that they can be written first, each once: some readers
// cannot resolve a TZID defined after its use. The first definition of a
// TZID wins; a TZID used without one gets a generated definition when its
// name is known.
func (s *Service) exportZones(ctx context.Context, cal *store.Calendar) (map[string][]byte, []string, error) {
	zones := map[string][]byte{}
	after := ""
	for {
		page, err := s.st.ObjectsAfter(ctx, cal.ID, after, exportPage, true)
		if err != nil {
			return nil, nil, err
		}
		for _, obj := range page {
			addZones(zones, obj.Data)
		}
		if len(page) < exportPage {
			break
		}
		after = page[len(page)-1].Name
	}
	order := make([]string, 0, len(zones))
	for tzid, def := range zones {
		if def != nil {
			order = append(order, tzid)
		}
	}
	slices.Sort(order)
	return zones, order, nil
}

func addZones(zones map[string][]byte, data []byte) {
	sp, err := icalendar.SplitBytes(data, icalendar.SplitLimits{})
	if err != nil {
		return
	}
	for _, r := range sp.Resources {
		for _, tzid := range r.TZIDs() {
			if _, ok := zones[tzid]; !ok {
				zones[tzid], _ = sp.TimezoneData(r.Cal(), tzid)
			}
		}
	}
}

func writeExportHeader(w *bufio.Writer, cal *store.Calendar, level Level, opt ExportOptions) {
	line := func(s string) { writeLine(w, s) }
	line("BEGIN:VCALENDAR")
	line("VERSION:2.0")
	line("PRODID:-//Almanac//Almanac Calendar//EN")
	line("CALSCALE:GREGORIAN")
	if opt.Publish {
		line("METHOD:PUBLISH")
	}
	if name := cal.DisplayName; name != "" {
		line("NAME:" + icalendar.EscapeText(name)) // RFC 7986 §5.1
		line("X-WR-CALNAME:" + icalendar.EscapeText(name))
	}
	// The description is the owner's words about the calendar: free/busy
	// viewers and published calendars do not get it.
	if cal.Description != "" && !opt.Publish && level != LevelBusy {
		line("DESCRIPTION:" + icalendar.EscapeText(cal.Description)) // RFC 7986 §5.2
		line("X-WR-CALDESC:" + icalendar.EscapeText(cal.Description))
	}
	if cal.TimeZone != "" {
		line("X-WR-TIMEZONE:" + cal.TimeZone)
	}
	if cal.Color != "" {
		line("X-APPLE-CALENDAR-COLOR:" + cal.Color)
	}
	if opt.Refresh > 0 {
		d := icalendar.NewDuration(opt.Refresh).String()
		line("REFRESH-INTERVAL;VALUE=DURATION:" + d) // RFC 7986 §5.7
		line("X-PUBLISHED-TTL:" + d)
	}
	if opt.Source != "" {
		line("SOURCE;VALUE=URI:" + opt.Source) // RFC 7986 §5.8
	}
}

// writeLine writes a content line folded at 75 octets (RFC 5545 §3.1).
func writeLine(w *bufio.Writer, s string) {
	for len(s) > 75 {
		cut := 75
		for cut > 0 && s[cut]&0xC0 == 0x80 { // never inside a UTF-8 sequence
			cut--
		}
		w.WriteString(s[:cut])
		w.WriteString("\r\n ")
		s = s[cut:]
	}
	w.WriteString(s)
	w.WriteString("\r\n")
}

// exportObject writes one stored object's components: as stored for the
// owner's export, filtered for a publication. A TZID that the first pass
// did not see (an object written in between) gets its VTIMEZONE here.
func exportObject(w *bufio.Writer, obj *store.Object, level Level, zones map[string][]byte) error {
	sp, err := icalendar.SplitBytes(obj.Data, icalendar.SplitLimits{})
	if err != nil {
		return nil // stored data was validated; nothing sensible to write
	}
	for _, r := range sp.Resources {
		for _, tzid := range r.TZIDs() {
			if _, seen := zones[tzid]; !seen {
				zones[tzid], _ = sp.TimezoneData(r.Cal(), tzid)
				w.Write(zones[tzid])
			}
		}
		if level == levelOwner {
			data, err := sp.ComponentData(r)
			if err != nil {
				return err
			}
			w.Write(data)
			continue
		}
		if err := writeFiltered(w, sp, r, level); err != nil {
			return err
		}
	}
	return nil
}

func writeFiltered(w io.Writer, sp *icalendar.Split, r *icalendar.Resource, level Level) error {
	data, err := sp.Data(r)
	if err != nil {
		return err
	}
	cal, err := icalendar.Parse(data)
	if err != nil {
		return nil
	}
	for _, c := range cal.Children {
		if out := Published(c, level); out != nil {
			if err := icalendar.Encode(w, out); err != nil {
				return err
			}
		}
	}
	return nil
}

// busyProps are what a busy period keeps: when, how it repeats, and
// whether it blocks time (RFC 5545 §3.8.2.7 TRANSP, §3.8.1.11 STATUS).
var busyProps = []string{"DTSTAMP", "DTSTART", "DTEND", "DURATION", "RRULE", "RDATE", "EXDATE",
	"RECURRENCE-ID", "SEQUENCE", "STATUS", "TRANSP", "CLASS"}

// Published returns the part of a component that a publication at level
// shows, or nil when it shows none of it. Alarms are the owner's and never
// published; events marked CLASS:PRIVATE or CONFIDENTIAL (RFC 5545
// §3.8.1.3) show as busy periods whatever the level.
func Published(c *ical.Component, level Level) *ical.Component {
	if c.Name == ical.CompTimezone {
		return nil
	}
	class := ""
	if p := c.Props.Get(ical.PropClass); p != nil {
		class = strings.ToUpper(strings.TrimSpace(p.Value))
	}
	if class == "PRIVATE" || class == "CONFIDENTIAL" {
		level = LevelBusy
	}
	switch {
	case level == LevelFull:
		return withoutAlarms(c)
	case c.Name != ical.CompEvent:
		return nil // tasks and journals are published in full only
	case level == LevelTitles:
		out := busy(c)
		copyProps(out, c, "SUMMARY", "LOCATION")
		return out
	}
	return busy(c)
}

func withoutAlarms(c *ical.Component) *ical.Component {
	out := &ical.Component{Name: c.Name, Props: c.Props}
	for _, child := range c.Children {
		if child.Name != ical.CompAlarm {
			out.Children = append(out.Children, child)
		}
	}
	return out
}

// busy reduces an event to a busy period. Its UID is replaced by a digest,
// the same for the master and its overrides, so that subscribers still
// group them and the real UID (often naming people or systems) stays
// private.
func busy(c *ical.Component) *ical.Component {
	out := &ical.Component{Name: c.Name, Props: ical.Props{}}
	copyProps(out, c, busyProps...)
	uid := ""
	if p := c.Props.Get(ical.PropUID); p != nil {
		uid = strings.TrimSpace(p.Value)
	}
	sum := sha256.Sum256([]byte("almanac-busy\x00" + uid))
	out.Props.SetText(ical.PropUID, hex.EncodeToString(sum[:16])+"@busy.almanac.invalid")
	title, status := "Busy", "BUSY"
	if p := c.Props.Get(ical.PropStatus); p != nil && strings.EqualFold(strings.TrimSpace(p.Value), "TENTATIVE") {
		title, status = "Tentative", "TENTATIVE"
	}
	if p := c.Props.Get(ical.PropTransparency); p != nil && strings.EqualFold(strings.TrimSpace(p.Value), "TRANSPARENT") {
		title, status = "Free", "FREE"
	}
	out.Props.SetText(ical.PropSummary, title)
	// Outlook reads the busy status from here rather than from TRANSP.
	out.Props.Set(&ical.Prop{Name: "X-MICROSOFT-CDO-BUSYSTATUS", Params: ical.Params{}, Value: status})
	return out
}

func copyProps(dst, src *ical.Component, names ...string) {
	for _, n := range names {
		if ps := src.Props.Values(n); len(ps) > 0 {
			dst.Props[n] = ps
		}
	}
}

// ExportETag is the entity tag of an export at a level: it changes with
// every change to the calendar (its revision) and with the level.
func ExportETag(cal *store.Calendar, level Level, extra string) string {
	sum := sha256.Sum256(fmt.Appendf(nil, "%s\x00%d\x00%s\x00%s", cal.UUID, cal.Revision, level, extra))
	return hex.EncodeToString(sum[:16])
}
