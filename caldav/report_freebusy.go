package caldav

import (
	"errors"
	"net/http"
	"sort"
	"strings"
	"time"

	"github.com/almanac/almanac/calendar"
	"github.com/almanac/almanac/store"
)

// freeBusyQuery answers free-busy-query (RFC 4791 §7.10) from the
// time-range index: a VFREEBUSY of the busy periods in the range, merged
// by type. Free-busy readers may ask it; they see no event details.
func (h *Handler) freeBusyQuery(w http.ResponseWriter, r *http.Request, t *target, root *node) error {
	if !t.role.Can(calendar.ActFreeBusy) {
		return calendar.ErrForbidden
	}
	tr, err := freeBusyRange(root)
	if err != nil {
		return err
	}
	busy := map[string][]period{}
	if err := h.addBusy(r.Context(), busy, t.user, t.cal, tr); err != nil {
		return err
	}
	writeFreeBusy(w, tr, busy)
	return nil
}

// freeBusyRange reads the time-range of a free-busy-query. A request with
// none, or with one that is not two UTC date-times (RFC 4791 §9.9), is
// malformed: 400, as free-busy-query has no filter to be invalid.
func freeBusyRange(root *node) (*timeRange, error) {
	trn := root.child(nsCalDAV, "time-range")
	if trn == nil {
		return nil, badXML("free-busy-query needs a CALDAV:time-range")
	}
	tr, err := parseTimeRange(trn)
	var de *davError
	if errors.As(err, &de) {
		return nil, badXML("%s", de.msg)
	}
	return tr, err
}

func writeFreeBusy(w http.ResponseWriter, tr *timeRange, busy map[string][]period) {
	w.Header().Set("Content-Type", "text/calendar; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	_, _ = w.Write([]byte(vfreebusy(tr, busy)))
}

// vfreebusy prints the answer: one VFREEBUSY over the range with the
// merged busy periods of each type.
func vfreebusy(tr *timeRange, busy map[string][]period) string {
	var b strings.Builder
	b.WriteString("BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//Almanac//CalDAV//EN\r\nBEGIN:VFREEBUSY\r\n")
	b.WriteString("DTSTAMP:" + utc(time.Now()) + "\r\nDTSTART:" + utc(tr.from()) + "\r\nDTEND:" + utc(tr.to()) + "\r\n")
	for _, kind := range []string{"BUSY", "BUSY-TENTATIVE", "BUSY-UNAVAILABLE"} {
		for _, p := range merge(busy[kind]) {
			b.WriteString("FREEBUSY;FBTYPE=" + kind + ":" + utc(p.start) + "/" + utc(p.end) + "\r\n")
		}
	}
	b.WriteString("END:VFREEBUSY\r\nEND:VCALENDAR\r\n")
	return b.String()
}

// fbType maps an occurrence to its FBTYPE. RFC 4791 §7.10 counts VEVENTs,
// transparent and cancelled ones being free, and the busy periods of
// VFREEBUSY components, whose index rows carry their FBTYPE as status
// (an unknown one is BUSY, RFC 5545 §3.2.9).
func fbType(o calendar.Occurrence, comp string) (string, bool) {
	switch {
	case comp == "VFREEBUSY" && (o.Status == "BUSY-TENTATIVE" || o.Status == "BUSY-UNAVAILABLE"):
		return o.Status, true
	case comp == "VFREEBUSY":
		return "BUSY", true
	case comp != "VEVENT" || o.Transparent:
		return "", false
	}
	switch strings.ToUpper(o.Status) {
	case "CANCELLED":
		return "", false
	case "TENTATIVE":
		return "BUSY-TENTATIVE", true
	}
	return "BUSY", true
}

func objectIDs(occs []calendar.Occurrence) []int64 {
	seen := map[int64]bool{}
	var ids []int64
	for _, o := range occs {
		if !seen[o.ObjectID] {
			seen[o.ObjectID] = true
			ids = append(ids, o.ObjectID)
		}
	}
	return ids
}

type period struct{ start, end time.Time }

// merge sorts periods and joins those that overlap or touch.
func merge(ps []period) []period {
	sort.Slice(ps, func(i, j int) bool { return ps[i].start.Before(ps[j].start) })
	var out []period
	for _, p := range ps {
		if n := len(out); n > 0 && !p.start.After(out[n-1].end) {
			if p.end.After(out[n-1].end) {
				out[n-1].end = p.end
			}
			continue
		}
		out = append(out, p)
	}
	return out
}

func utc(t time.Time) string { return t.UTC().Format("20060102T150405Z") }

func maxTime(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}

func minTime(a, b time.Time) time.Time {
	if a.Before(b) {
		return a
	}
	return b
}

// calendarZone is the zone in which a calendar's floating and all-day
// events are read.
func calendarZone(cal *store.Calendar) *time.Location {
	if name := cal.TimeZone; loadable(name) {
		if loc, err := time.LoadLocation(name); err == nil {
			return loc
		}
	}
	return time.UTC
}
