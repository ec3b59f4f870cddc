package jsonapi

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"hash/fnv"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/almanac/almanac/calendar"
	"github.com/almanac/almanac/icalendar"
	"github.com/almanac/almanac/recurrence"
	"github.com/almanac/almanac/store"
)

// EventList is a page of events: instances ordered by start, or whole
// events (single_events=false). NextPageToken continues it.
type EventList struct {
	Items         []Event `json:"items"`
	TimeZone      string  `json:"time_zone,omitempty"`
	NextPageToken string  `json:"next_page_token,omitempty"`
	// Truncated is set when a series had more instances in the range than
	// one request expands (calendar.Service.SeriesBudget): the list holds
	// its first ones and leaves the rest out; TruncatedEvents names those
	// series. Either way the range is answered, never refused.
	Truncated       bool     `json:"truncated,omitempty"`
	TruncatedEvents []string `json:"truncated_events,omitempty"`
}

const (
	defaultPageSize = 250
	maxPageSize     = 2500
)

// listQuery is a parsed GET /events or GET /calendars/{id}/events.
type listQuery struct {
	from, to time.Time // zero: no range (a listing of whole events)
	zone     *time.Location
	single   bool
	max      int
	cursor   *cursor
	key      uint64 // identifies the query, so that a token is not used with another
}

// cursor is where the previous page ended: the last item's sort key, or
// the last resource name of an unranged listing.
type cursor struct {
	Query uint64 `json:"q"`
	Start int64  `json:"s,omitempty"`
	UUID  string `json:"u,omitempty"`
	RID   int64  `json:"r,omitempty"`
	Name  string `json:"n,omitempty"`
}

func (c cursor) token() string {
	b, _ := json.Marshal(c)
	return base64.RawURLEncoding.EncodeToString(b)
}

func parseListQuery(r *http.Request, u *store.User, scopeKey string) (*listQuery, error) {
	q := r.URL.Query()
	lq := &listQuery{single: true, max: defaultPageSize}
	var err error
	if lq.zone, err = viewerZone(q, u); err != nil {
		return nil, err
	}
	switch v := q.Get("single_events"); v {
	case "", "true":
	case "false":
		lq.single = false
	default:
		return nil, fieldProblem(http.StatusBadRequest, "single_events", "must be true or false")
	}
	if v := q.Get("order_by"); v != "" && v != "start" {
		return nil, fieldProblem(http.StatusBadRequest, "order_by", "must be start")
	}
	if v := q.Get("max_results"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > maxPageSize {
			return nil, fieldProblem(http.StatusBadRequest, "max_results", fmt.Sprintf("must be a number from 1 to %d", maxPageSize))
		}
		lq.max = n
	}
	if err := lq.parseRange(q); err != nil {
		return nil, err
	}
	h := fnv.New64a()
	fmt.Fprintf(h, "%s|%d|%d|%s|%t", scopeKey, lq.from.UnixMicro(), lq.to.UnixMicro(), lq.zone, lq.single)
	lq.key = h.Sum64()
	if v := q.Get("page_token"); v != "" {
		if lq.cursor, err = parseCursor(v, lq.key); err != nil {
			return nil, err
		}
	}
	return lq, nil
}

func (lq *listQuery) parseRange(q url.Values) error {
	s, e := q.Get("start_time"), q.Get("end_time")
	switch {
	case s == "" && e == "":
		return nil
	case s == "":
		return fieldProblem(http.StatusBadRequest, "start_time", "is required with end_time")
	case e == "":
		return fieldProblem(http.StatusBadRequest, "end_time", "is required with start_time")
	}
	var err error
	if lq.from, err = parseInstant("start_time", s); err != nil {
		return err
	}
	if lq.to, err = parseInstant("end_time", e); err != nil {
		return err
	}
	if !lq.from.Before(lq.to) {
		return fieldProblem(http.StatusBadRequest, "end_time", "must be after start_time")
	}
	return nil
}

func parseCursor(tok string, key uint64) (*cursor, error) {
	bad := fieldProblem(http.StatusBadRequest, "page_token", "is not a token this query returned")
	b, err := base64.RawURLEncoding.DecodeString(tok)
	if err != nil {
		return nil, bad
	}
	var c cursor
	if json.Unmarshal(b, &c) != nil || c.Query != key {
		return nil, bad
	}
	return &c, nil
}

// viewerZone is the zone floating and all-day events are read in: the tz
// parameter, else the user's profile zone.
func viewerZone(q url.Values, u *store.User) (*time.Location, error) {
	name := q.Get("tz")
	field := "tz"
	if name == "" {
		name, field = u.TimeZone, "time_zone"
	}
	if name == "" {
		return time.UTC, nil
	}
	loc, err := lookupZone(field, name)
	if p, ok := err.(*Problem); ok && field == "tz" {
		p.Status, p.Title = http.StatusBadRequest, http.StatusText(http.StatusBadRequest)
	}
	return loc, err
}

// listEvents serves GET /events?calendar_id=… or ?user_id=….
func (a *API) listEvents(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	calID, userID := q.Get("calendar_id"), q.Get("user_id")
	var (
		cals []*store.Calendar
		err  error
		key  string
	)
	switch {
	case (calID == "") == (userID == ""):
		err = fieldProblem(http.StatusBadRequest, "calendar_id", "or user_id is required, not both")
	case calID != "":
		key = "c" + calID
		cals, err = a.readableCalendar(r, calID)
	default:
		key = "u" + userID
		cals, err = a.userCalendars(r.Context(), caller(r), userID, calendar.RoleReader)
	}
	if err != nil {
		writeError(w, r, err)
		return
	}
	a.list(w, r, cals, key)
}

// listCalendarEvents serves GET /calendars/{id}/events.
func (a *API) listCalendarEvents(w http.ResponseWriter, r *http.Request) {
	v, err := a.calendarParam(r, calendar.ActRead)
	if err != nil {
		writeError(w, r, err)
		return
	}
	a.list(w, r, []*store.Calendar{v.Calendar}, "c"+v.UUID)
}

func (a *API) readableCalendar(r *http.Request, id string) ([]*store.Calendar, error) {
	if !isUUID(id) {
		return nil, fieldProblem(http.StatusBadRequest, "calendar_id", "is not a calendar id")
	}
	cal, _, err := a.cals.Calendar(r.Context(), caller(r), id, calendar.ActRead)
	if err != nil {
		return nil, err
	}
	return []*store.Calendar{cal}, nil
}

// userCalendars returns the calendars user id owns on which the caller has
// at least min. A user none of whose calendars the caller can see is not
// found, whether or not the account exists.
func (a *API) userCalendars(ctx context.Context, u *store.User, id string, min calendar.Role) ([]*store.Calendar, error) {
	if !isUUID(id) {
		return nil, fieldProblem(http.StatusBadRequest, "user_id", "is not a user id")
	}
	visible, err := a.cals.Calendars(ctx, u)
	if err != nil {
		return nil, err
	}
	var out []*store.Calendar
	seen := id == u.UUID
	owner, err := a.store.GetUserByUUID(ctx, id)
	if errors.Is(err, store.ErrNotFound) {
		return nil, errNotFound
	} else if err != nil {
		return nil, err
	}
	for _, v := range visible {
		if v.OwnerID != owner.ID {
			continue
		}
		seen = true
		if v.Role >= min {
			out = append(out, v.Calendar)
		}
	}
	if !seen {
		return nil, errNotFound
	}
	return out, nil
}

// list answers a listing over cals.
func (a *API) list(w http.ResponseWriter, r *http.Request, cals []*store.Calendar, key string) {
	lq, err := parseListQuery(r, caller(r), key)
	if err != nil {
		writeError(w, r, err)
		return
	}
	var out *EventList
	switch {
	case lq.from.IsZero() && len(cals) == 1:
		out, err = a.listObjects(r.Context(), caller(r), cals[0], lq)
	case lq.from.IsZero():
		err = fieldProblem(http.StatusBadRequest, "start_time", "and end_time are required for user_id")
	default:
		out, err = a.listRange(r.Context(), caller(r), cals, lq)
	}
	if err != nil {
		writeError(w, r, err)
		return
	}
	out.TimeZone = lq.zone.String()
	writeJSON(w, http.StatusOK, out)
}

// listObjects pages through a calendar's events by resource name.
func (a *API) listObjects(ctx context.Context, u *store.User, cal *store.Calendar, lq *listQuery) (*EventList, error) {
	after := ""
	if lq.cursor != nil {
		after = lq.cursor.Name
	}
	objs, err := a.store.ListObjectsAfter(ctx, cal.ID, after, lq.max+1)
	if err == nil {
		err = a.cals.ViewObjects(ctx, u, cal, objs) // a sharee's own alarms
	}
	if err != nil {
		return nil, err
	}
	out := &EventList{Items: []Event{}}
	for i, o := range objs {
		if i == lq.max {
			out.NextPageToken = cursor{Query: lq.key, Name: objs[i-1].Name}.token()
			break
		}
		if o.Component != "VEVENT" {
			continue
		}
		obj, err := icalendar.ParseObject(o.Data, icalendar.Options{})
		if err != nil {
			continue // accepted under older rules; not showable
		}
		ev, err := (&stored{obj: o, cal: cal, ical: obj}).seriesEvent()
		if err != nil {
			continue
		}
		out.Items = append(out.Items, ev)
	}
	return out, nil
}

// listRange lists the instances (or the events) overlapping the range.
func (a *API) listRange(ctx context.Context, u *store.User, cals []*store.Calendar, lq *listQuery) (*EventList, error) {
	items, err := a.cals.Items(ctx, u, cals, lq.from, lq.to, lq.zone)
	if err != nil {
		return nil, err
	}
	out := &EventList{Items: []Event{}}
	cut := map[string]bool{}
	for _, it := range items {
		if it.Truncated && !cut[it.ObjectUUID] {
			cut[it.ObjectUUID] = true
			out.Truncated, out.TruncatedEvents = true, append(out.TruncatedEvents, it.ObjectUUID)
		}
	}
	if !lq.single {
		items = firstPerObject(items)
	}
	items = lq.after(items)
	if len(items) > lq.max {
		last := items[lq.max-1]
		out.NextPageToken = cursor{Query: lq.key, Start: last.Start.UnixMicro(), UUID: last.ObjectUUID,
			RID: last.RecurrenceID.UnixMicro()}.token()
		items = items[:lq.max]
	}
	objs, err := a.parseObjects(ctx, u, items, cals)
	if err != nil {
		return nil, err
	}
	for _, it := range items {
		s := objs[it.ObjectUUID]
		if s == nil {
			continue // deleted meanwhile, or not an event
		}
		var ev Event
		if lq.single && !it.RecurrenceID.IsZero() {
			ev, err = s.instanceEvent(instanceOf(it, lq.zone))
		} else {
			ev, err = s.seriesEvent()
		}
		if err == nil {
			out.Items = append(out.Items, ev)
		}
	}
	return out, nil
}

// after drops the items up to the cursor.
func (lq *listQuery) after(items []calendar.Item) []calendar.Item {
	c := lq.cursor
	if c == nil {
		return items
	}
	for i, it := range items {
		k := it.Start.UnixMicro()
		if k > c.Start || k == c.Start && (it.ObjectUUID > c.UUID || it.ObjectUUID == c.UUID && it.RecurrenceID.UnixMicro() > c.RID) {
			return items[i:]
		}
	}
	return nil
}

// firstPerObject keeps each object's first item, for listing whole events.
func firstPerObject(items []calendar.Item) []calendar.Item {
	seen := map[string]bool{}
	out := items[:0]
	for _, it := range items {
		if !seen[it.ObjectUUID] {
			seen[it.ObjectUUID] = true
			it.RecurrenceID = time.Time{}
			out = append(out, it)
		}
	}
	return out
}

// parseObjects loads and parses the events the items belong to.
func (a *API) parseObjects(ctx context.Context, u *store.User, items []calendar.Item, cals []*store.Calendar) (map[string]*stored, error) {
	var uuids []string
	seen := map[string]bool{}
	for _, it := range items {
		if !seen[it.ObjectUUID] {
			seen[it.ObjectUUID] = true
			uuids = append(uuids, it.ObjectUUID)
		}
	}
	objs, err := a.store.GetObjectsByUUID(ctx, uuids)
	if err != nil {
		return nil, err
	}
	byID := map[int64]*store.Calendar{}
	for _, c := range cals {
		byID[c.ID] = c
	}
	if err := a.viewObjects(ctx, u, byID, objs); err != nil {
		return nil, err
	}
	out := make(map[string]*stored, len(objs))
	for _, o := range objs {
		cal := byID[o.CalendarID]
		if cal == nil || o.Component != "VEVENT" {
			continue // moved away meanwhile
		}
		if obj, err := icalendar.ParseObject(o.Data, icalendar.Options{}); err == nil {
			out[o.UUID] = &stored{obj: o, cal: cal, ical: obj}
		}
	}
	return out, nil
}

// instanceOf turns a view item back into the instance package recurrence
// would give: floating and all-day times as wall clocks labelled UTC.
func instanceOf(it calendar.Item, zone *time.Location) recurrence.Instance {
	in := recurrence.Instance{Start: it.Start, End: it.End, RecurrenceID: it.RecurrenceID,
		AllDay: it.AllDay, Floating: it.Floating, Override: it.Override, Component: it.Component}
	if it.Floating {
		in.Start, in.End = wallClock(it.Start.In(zone)), wallClock(it.End.In(zone))
	}
	return in
}

// wallClock is t's wall clock labelled UTC.
func wallClock(t time.Time) time.Time {
	return time.Date(t.Year(), t.Month(), t.Day(), t.Hour(), t.Minute(), t.Second(), t.Nanosecond(), time.UTC)
}

// viewObjects gives objects of several calendars the form u reads (a
// sharee's own alarms and transparency), calendar by calendar.
func (a *API) viewObjects(ctx context.Context, u *store.User, cals map[int64]*store.Calendar, objs []*store.Object) error {
	byCal := map[int64][]*store.Object{}
	for _, o := range objs {
		byCal[o.CalendarID] = append(byCal[o.CalendarID], o)
	}
	for id, list := range byCal {
		if cal := cals[id]; cal != nil {
			if err := a.cals.ViewObjects(ctx, u, cal, list); err != nil {
				return err
			}
		}
	}
	return nil
}
