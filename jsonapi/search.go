package jsonapi

import (
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"time"

	"github.com/emersion/go-ical"

	"github.com/almanac/almanac/calendar"
	"github.com/almanac/almanac/icalendar"
	"github.com/almanac/almanac/recurrence"
	"github.com/almanac/almanac/store"
)

const (
	defaultSearchResults = 50
	maxSearchResults     = 250
)

// listOrSearchEvents serves GET /events: a search when q is given, a
// listing of a calendar's or a user's events otherwise.
func (a *API) listOrSearchEvents(w http.ResponseWriter, r *http.Request) {
	if r.URL.Query().Has("q") {
		a.searchEvents(w, r)
		return
	}
	a.listEvents(w, r)
}

// searchEvents serves GET /events?q=…: the events of every calendar the
// caller may read (own and shared, not free/busy only) whose title,
// location, description or people hold a word beginning with each word of
// q. Each comes as its next instance (or the one under way); an event
// that is over, as its last one. Events to come are listed first, then
// past ones, the latest first.
func (a *API) searchEvents(w http.ResponseWriter, r *http.Request) {
	ctx, u, q := r.Context(), caller(r), r.URL.Query()
	for _, p := range []string{"calendar_id", "user_id", "start_time", "end_time", "page_token"} {
		if q.Has(p) {
			writeError(w, r, fieldProblem(http.StatusBadRequest, p, "does not go with q: a search covers every calendar you can read"))
			return
		}
	}
	words := calendar.SearchWords(q.Get("q"))
	if len(words) == 0 {
		writeError(w, r, fieldProblem(http.StatusBadRequest, "q", "needs a word (letters or digits) to look for"))
		return
	}
	limit := defaultSearchResults
	if v := q.Get("max_results"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > maxSearchResults {
			writeError(w, r, fieldProblem(http.StatusBadRequest, "max_results", fmt.Sprintf("must be a number from 1 to %d with q", maxSearchResults)))
			return
		}
		limit = n
	}
	zone, err := viewerZone(q, u)
	if err != nil {
		writeError(w, r, err)
		return
	}
	visible, err := a.cals.Calendars(ctx, u)
	if err != nil {
		writeError(w, r, err)
		return
	}
	cals := map[int64]*store.Calendar{}
	var ids []int64
	for _, v := range visible {
		if v.Role >= calendar.RoleReader && (len(v.Components) == 0 || slices.Contains(v.Components, "VEVENT")) {
			cals[v.ID] = v.Calendar
			ids = append(ids, v.ID)
		}
	}
	now := a.store.Clock()
	hits, err := a.store.SearchObjects(ctx, ids, words, store.Micro(now), limit)
	if err != nil {
		writeError(w, r, err)
		return
	}
	uuids := make([]string, len(hits))
	for i, h := range hits {
		uuids[i] = h.UUID
	}
	objs, err := a.store.GetObjectsByUUID(ctx, uuids)
	if err == nil {
		err = a.viewObjects(ctx, u, cals, objs) // a sharee's own alarms
	}
	if err != nil {
		writeError(w, r, err)
		return
	}
	byUUID := make(map[string]*store.Object, len(objs))
	for _, o := range objs {
		byUUID[o.UUID] = o
	}
	out := &EventList{Items: []Event{}, TimeZone: zone.String()}
	for _, h := range hits {
		o := byUUID[h.UUID]
		if o == nil || cals[o.CalendarID] == nil {
			continue // deleted or moved meanwhile
		}
		obj, err := icalendar.ParseObject(o.Data, icalendar.Options{})
		if err != nil {
			continue
		}
		if ev, err := nearestEvent(&stored{obj: o, cal: cals[o.CalendarID], ical: obj}, now, zone); err == nil {
			out.Items = append(out.Items, ev)
		}
	}
	writeJSON(w, http.StatusOK, out)
}

// nearestEvent is the JSON form of the instance of s a search shows: the
// one under way or next, else the last; for a single event, the event.
func nearestEvent(s *stored, now time.Time, zone *time.Location) (Event, error) {
	m := s.ical.Master()
	if m == nil || len(s.ical.Components) == 1 && m.Props.Get(ical.PropRecurrenceRule) == nil && m.Props.Get(ical.PropRecurrenceDates) == nil {
		return s.seriesEvent() // one event, nothing to expand
	}
	series, err := recurrence.NewSeries(s.ical, recurrence.Options{FloatingZone: zone})
	if err != nil {
		return s.seriesEvent()
	}
	pick := func(in recurrence.Instance) (Event, error) {
		if in.RecurrenceID.IsZero() {
			return s.seriesEvent()
		}
		return s.instanceEvent(in)
	}
	next, _ := series.Expand(now, now.AddDate(2, 0, 0))
	if len(next) > 0 {
		return pick(next[0])
	}
	past, _ := series.Materialize(now)
	if n := len(past.Instances); n > 0 {
		return pick(past.Instances[n-1])
	}
	return s.seriesEvent()
}
