package jsonapi

import (
	"net/http"
	"strings"
	"time"

	"github.com/almanac/almanac/calendar"
	"github.com/almanac/almanac/icalendar"
	"github.com/almanac/almanac/store"
)

// View is a calendar's day, week, month or year as the viewer draws it:
// the period computed in the viewer's time zone, and the instances in it
// with what is needed to draw them. A free/busy viewer gets busy times
// only.
type View struct {
	CalendarID string `json:"calendar_id"`
	ViewType   string `json:"view_type"`
	Date       string `json:"date"`
	TimeZone   string `json:"time_zone"`
	WeekStart  int    `json:"week_start"`
	// Start and End bound the period: local midnights, RFC 3339.
	Start string `json:"start"`
	End   string `json:"end"`
	Role  string `json:"role"`
	Color string `json:"color"`
	// Truncated is set when a series had more instances in the period
	// than one request expands (calendar.Service.SeriesBudget): its first
	// ones are given, marked truncated, and the rest left out.
	Truncated bool           `json:"truncated,omitempty"`
	Instances []ViewInstance `json:"instances"`
}

// ViewInstance is one instance in a view. Start and End are local to the
// viewer (RFC 3339 with offset; dates for all-day instances, the end
// exclusive); StartUTC and EndUTC are the same instants in UTC.
type ViewInstance struct {
	ID           string    `json:"id,omitempty"`
	EventID      string    `json:"event_id,omitempty"`
	Title        string    `json:"title,omitempty"`
	Location     string    `json:"location,omitempty"`
	Color        string    `json:"color,omitempty"`
	Start        string    `json:"start"`
	End          string    `json:"end"`
	StartUTC     time.Time `json:"start_utc"`
	EndUTC       time.Time `json:"end_utc"`
	AllDay       bool      `json:"all_day"`
	Status       string    `json:"status,omitempty"`
	Transparency string    `json:"transparency,omitempty"`
	Recurring    bool      `json:"recurring,omitempty"`
	Override     bool      `json:"override,omitempty"`
	// Truncated marks the instances of a series the view cut (see
	// View.Truncated).
	Truncated bool `json:"truncated,omitempty"`
	// Busy is busy or tentative, for free/busy viewers (who get nothing
	// else).
	Busy string `json:"busy,omitempty"`
}

var viewTypes = []string{"day", "week", "month", "year"}

// view serves GET /calendars/{id}/view?view_type=…&date=….
func (a *API) view(w http.ResponseWriter, r *http.Request) {
	v, err := a.calendarParam(r, calendar.ActFreeBusy)
	if err != nil {
		writeError(w, r, err)
		return
	}
	u := caller(r)
	q := r.URL.Query()
	zone, err := viewerZone(q, u)
	if err != nil {
		writeError(w, r, err)
		return
	}
	kind := q.Get("view_type")
	if !contains(viewTypes, kind) {
		writeError(w, r, fieldProblem(http.StatusBadRequest, "view_type", "must be day, week, month or year"))
		return
	}
	day := a.store.Clock().In(zone)
	if d := q.Get("date"); d != "" {
		if day, err = time.Parse(dateLayout, d); err != nil {
			writeError(w, r, fieldProblem(http.StatusBadRequest, "date", "must be a date, YYYY-MM-DD"))
			return
		}
	}
	first, next := period(kind, day, time.Weekday(u.WeekStart))
	from, to := icalendar.InZone(first, zone), icalendar.InZone(next, zone)
	out := View{CalendarID: v.UUID, ViewType: kind, Date: day.Format(dateLayout), TimeZone: zone.String(),
		WeekStart: u.WeekStart, Start: from.In(zone).Format(time.RFC3339), End: to.In(zone).Format(time.RFC3339),
		Role: v.Role.String(), Color: v.Color, Instances: []ViewInstance{}}
	if v.Share != nil {
		out.Color = v.Share.Color
	}
	key := viewKey{cal: v.UUID, rev: v.Revision, user: u.ID, role: v.Role, color: out.Color, zone: zone.String(),
		from: from.UnixMicro(), to: to.UnixMicro()}
	drawn, ok := a.views.get(key)
	if !ok || a.opt.NoViewCache {
		items, err := a.cals.Items(r.Context(), u, []*store.Calendar{v.Calendar}, from, to, zone)
		if err != nil {
			writeError(w, r, err)
			return
		}
		// ~370 bytes an instance: one allocation, not a dozen copies as it grows.
		drawn.items, drawn.truncated = viewWriter{role: v.Role, calColor: out.Color, zone: zone}.appendItems(make([]byte, 0, 384*len(items)), items)
		a.views.put(key, drawn)
	}
	out.Truncated = drawn.truncated
	writeView(w, &out, drawn.items)
}

// period returns the first day of the view containing day and the first
// day after it, as dates (midnight, UTC-labelled wall clocks).
func period(kind string, day time.Time, weekStart time.Weekday) (first, next time.Time) {
	y, m, d := day.Date()
	switch kind {
	case "day":
		first = time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
		return first, first.AddDate(0, 0, 1)
	case "week":
		back := (int(day.Weekday()) - int(weekStart) + 7) % 7
		first = time.Date(y, m, d-back, 0, 0, 0, 0, time.UTC)
		return first, first.AddDate(0, 0, 7)
	case "month":
		first = time.Date(y, m, 1, 0, 0, 0, 0, time.UTC)
		return first, first.AddDate(0, 1, 0)
	}
	first = time.Date(y, 1, 1, 0, 0, 0, 0, time.UTC)
	return first, first.AddDate(1, 0, 0)
}

// viewInstance is how a view draws an item.
func viewInstance(it calendar.Item, role calendar.Role, calColor string, zone *time.Location) (ViewInstance, bool) {
	vi := ViewInstance{StartUTC: it.Start.UTC(), EndUTC: it.End.UTC(), AllDay: it.AllDay}
	if it.AllDay {
		vi.Start, vi.End = it.Start.In(zone).Format(dateLayout), it.End.In(zone).Format(dateLayout)
	} else {
		vi.Start, vi.End = it.Start.In(zone).Format(time.RFC3339), it.End.In(zone).Format(time.RFC3339)
	}
	if role < calendar.RoleReader {
		// RFC 5545 §3.8.2.7, RFC 4791 §7.10: transparent and cancelled
		// instances do not make anyone busy.
		if it.Transparent || it.Status == "CANCELLED" {
			return vi, false
		}
		vi.Busy, vi.Truncated = "busy", it.Truncated
		if it.Status == "TENTATIVE" {
			vi.Busy = "tentative"
		}
		return vi, true
	}
	vi.EventID, vi.ID = it.ObjectUUID, it.ObjectUUID
	if !it.RecurrenceID.IsZero() {
		vi.ID, vi.Recurring = instanceID(it.ObjectUUID, it.RecurrenceID, itemKind(it)), true
	}
	vi.Title, vi.Location = it.Summary.Title, it.Summary.Location
	vi.Color = viewColor(it.Summary.Color, calColor)
	vi.Status, vi.Override, vi.Truncated = "confirmed", it.Override, it.Truncated
	if it.Status != "" {
		vi.Status = strings.ToLower(it.Status)
	}
	vi.Transparency = "opaque"
	if it.Transparent {
		vi.Transparency = "transparent"
	}
	return vi, true
}

// itemKind is the kind of the series' DTSTART, which its instance ids
// follow.
func itemKind(it calendar.Item) icalendar.Kind {
	switch {
	case it.AllDay:
		return icalendar.Date
	case it.Floating:
		return icalendar.Floating
	}
	return icalendar.UTC
}
