package jsonapi

import (
	"errors"
	"net/http"
	"slices"
	"time"

	"github.com/almanac/almanac/calendar"
	"github.com/almanac/almanac/scheduling"
	"github.com/almanac/almanac/store"
)

// FreeBusyRequest is the body of POST /freebusy: calendars (those the
// caller may see at least free/busy of) and users (as
// scheduling.FreeBusyCalendars allows), and a time range.
type FreeBusyRequest struct {
	StartTime string   `json:"start_time"`
	EndTime   string   `json:"end_time"`
	TimeZone  string   `json:"time_zone,omitempty"` // where all-day and floating events are read; default the caller's
	Calendars []string `json:"calendars,omitempty"`
	Users     []string `json:"users,omitempty"`
}

// FreeBusy answers POST /freebusy, per calendar and per user.
type FreeBusy struct {
	StartTime time.Time                `json:"start_time"`
	EndTime   time.Time                `json:"end_time"`
	Calendars map[string]FreeBusyEntry `json:"calendars"`
	Users     map[string]FreeBusyEntry `json:"users"`
}

// FreeBusyEntry is the busy time of one calendar or user, or why there is
// none to tell (not-found covers whatever the caller may not see).
type FreeBusyEntry struct {
	Busy  []BusyPeriod `json:"busy,omitempty"`
	Error string       `json:"error,omitempty"`
	// Truncated is set when a series had more instances in the range than
	// one request expands: the busy time holds its first ones only.
	Truncated bool `json:"truncated,omitempty"`
}

// BusyPeriod is a merged stretch of busy time (RFC 5545 §3.2.9 FBTYPE:
// busy, or tentative where only tentative events fall).
type BusyPeriod struct {
	Start time.Time `json:"start"`
	End   time.Time `json:"end"`
	Type  string    `json:"type"`
}

// maxFreeBusyItems bounds the calendars and users of one request.
const maxFreeBusyItems = 50

func (a *API) freeBusy(w http.ResponseWriter, r *http.Request) {
	var in FreeBusyRequest
	if err := decode(w, r, &in); err != nil {
		writeError(w, r, err)
		return
	}
	out, err := a.computeFreeBusy(r, &in)
	if err != nil {
		writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, out)
}

func (a *API) computeFreeBusy(r *http.Request, in *FreeBusyRequest) (*FreeBusy, error) {
	ctx, u := r.Context(), caller(r)
	from, to, zone, err := freeBusyRange(in, u)
	if err != nil {
		return nil, err
	}
	if len(in.Calendars)+len(in.Users) == 0 {
		return nil, invalid("calendars", "or users must name at least one")
	}
	if len(in.Calendars)+len(in.Users) > maxFreeBusyItems {
		return nil, invalid("calendars", "and users together may name at most %d", maxFreeBusyItems)
	}
	out := &FreeBusy{StartTime: from, EndTime: to, Calendars: map[string]FreeBusyEntry{}, Users: map[string]FreeBusyEntry{}}
	calsOf := map[string][]*store.Calendar{} // by request key
	byID := map[int64]*store.Calendar{}
	for _, id := range in.Calendars {
		var cal *store.Calendar
		if isUUID(id) {
			cal, _, err = a.cals.Calendar(ctx, u, id, calendar.ActFreeBusy)
		}
		if cal == nil || err != nil {
			out.Calendars[id] = FreeBusyEntry{Error: "not-found"}
			continue
		}
		calsOf["c"+id], byID[cal.ID] = []*store.Calendar{cal}, cal
	}
	for _, id := range in.Users {
		e, err := a.userBusy(r, u, id, from, to, zone)
		if err != nil {
			return nil, err
		}
		out.Users[id] = e
	}
	all := make([]*store.Calendar, 0, len(byID))
	for _, c := range byID {
		all = append(all, c)
	}
	items, err := a.cals.Items(ctx, u, all, from, to, zone)
	if err != nil {
		return nil, err
	}
	for key, cals := range calsOf {
		e := busyEntry(items, cals, from, to)
		if key[0] == 'c' {
			out.Calendars[key[1:]] = e
		} else {
			out.Users[key[1:]] = e
		}
	}
	return out, nil
}

// userBusy is one user's busy time, from the calendars the rule of
// scheduling.FreeBusyCalendars allows, read as their owner. An unknown
// user and one whose busy time the caller may not see are both
// not-found, as the CalDAV outbox answers both 3.7.
func (a *API) userBusy(r *http.Request, u *store.User, id string, from, to time.Time, zone *time.Location) (FreeBusyEntry, error) {
	missing := FreeBusyEntry{Error: "not-found"}
	if !isUUID(id) {
		return missing, nil
	}
	target, err := a.store.GetUserByUUID(r.Context(), id)
	if errors.Is(err, store.ErrNotFound) {
		return missing, nil
	} else if err != nil {
		return missing, err
	}
	cals, err := scheduling.FreeBusyCalendars(r.Context(), a.cals, u, target)
	if errors.Is(err, scheduling.ErrNoFreeBusy) {
		return missing, nil
	} else if err != nil {
		return missing, err
	}
	items, err := a.cals.Items(r.Context(), target, cals, from, to, zone)
	if err != nil {
		return missing, err
	}
	return busyEntry(items, cals, from, to), nil
}

// busyEntry is the busy time of cals' items within [from, to), marked
// truncated when a series among them was cut.
func busyEntry(items []calendar.Item, cals []*store.Calendar, from, to time.Time) FreeBusyEntry {
	e := FreeBusyEntry{Busy: busyPeriods(items, cals, from, to)}
	want := map[int64]bool{}
	for _, c := range cals {
		want[c.ID] = true
	}
	for _, it := range items {
		if it.Truncated && want[it.CalendarID] {
			e.Truncated = true
			break
		}
	}
	return e
}

func freeBusyRange(in *FreeBusyRequest, u *store.User) (from, to time.Time, zone *time.Location, err error) {
	if from, err = requiredInstant("start_time", in.StartTime); err != nil {
		return
	}
	if to, err = requiredInstant("end_time", in.EndTime); err != nil {
		return
	}
	if !from.Before(to) {
		err = invalid("end_time", "must be after start_time")
		return
	}
	name := in.TimeZone
	if name == "" {
		name = u.TimeZone
	}
	zone = time.UTC
	if name != "" {
		zone, err = lookupZone("time_zone", name)
	}
	return
}

func requiredInstant(field, v string) (time.Time, error) {
	if v == "" {
		return time.Time{}, invalid(field, "is required")
	}
	t, err := time.Parse(time.RFC3339, v)
	if err != nil {
		return t, invalid(field, "must be an RFC 3339 time with offset")
	}
	return t.UTC(), nil
}

type busySpan struct{ start, end time.Time }

// busyPeriods merges the busy time of cals' items within [from, to).
// Transparent and cancelled instances are free (RFC 5545 §3.8.2.7, RFC
// 4791 §7.10); tentative ones are busy-tentative except where something
// firm overlaps them.
func busyPeriods(items []calendar.Item, cals []*store.Calendar, from, to time.Time) []BusyPeriod {
	want := map[int64]bool{}
	for _, c := range cals {
		want[c.ID] = true
	}
	var busy, tentative []busySpan
	for _, it := range items {
		if !want[it.CalendarID] || it.Transparent || it.Status == "CANCELLED" {
			continue
		}
		p := busySpan{maxTime(it.Start, from), minTime(it.End, to)}
		if !p.end.After(p.start) {
			continue // zero length: takes no time
		}
		if it.Status == "TENTATIVE" {
			tentative = append(tentative, p)
		} else {
			busy = append(busy, p)
		}
	}
	busy = union(busy)
	out := make([]BusyPeriod, 0, len(busy))
	for _, p := range busy {
		out = append(out, BusyPeriod{p.start.UTC(), p.end.UTC(), "busy"})
	}
	for _, p := range subtract(union(tentative), busy) {
		out = append(out, BusyPeriod{p.start.UTC(), p.end.UTC(), "tentative"})
	}
	slices.SortFunc(out, func(a, b BusyPeriod) int { return a.Start.Compare(b.Start) })
	return out
}

// union merges overlapping and touching periods.
func union(list []busySpan) []busySpan {
	slices.SortFunc(list, func(a, b busySpan) int { return a.start.Compare(b.start) })
	var out []busySpan
	for _, p := range list {
		if n := len(out); n > 0 && !p.start.After(out[n-1].end) {
			out[n-1].end = maxTime(out[n-1].end, p.end)
			continue
		}
		out = append(out, p)
	}
	return out
}

// subtract removes the sorted, disjoint periods cut from the sorted,
// disjoint periods list.
func subtract(list, cut []busySpan) []busySpan {
	var out []busySpan
	for _, p := range list {
		for _, c := range cut {
			if !c.end.After(p.start) || !c.start.Before(p.end) {
				continue
			}
			if c.start.After(p.start) {
				out = append(out, busySpan{p.start, c.start})
			}
			p.start = c.end
			if !p.start.Before(p.end) {
				break
			}
		}
		if p.start.Before(p.end) {
			out = append(out, p)
		}
	}
	return out
}

func minTime(a, b time.Time) time.Time {
	if a.Before(b) {
		return a
	}
	return b
}
