package jsonapi

import (
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/almanac/almanac/calendar"
	"github.com/almanac/almanac/store"
	"github.com/go-chi/chi/v5"
)

// Calendar is the JSON form of a calendar as the caller sees it: for a
// calendar shared with them, the display name, colour and order are their
// own.
type Calendar struct {
	ID          string   `json:"id"`
	DisplayName string   `json:"display_name"`
	Description string   `json:"description"`
	Color       string   `json:"color"`
	Order       int      `json:"order"`
	TimeZone    string   `json:"time_zone"`
	Components  []string `json:"components"`
	Role        string   `json:"role"`
	Owner       UserRef  `json:"owner"`
	Revision    int64    `json:"revision"`
	CalDAVURL   string   `json:"caldav_url"`
	// Source is "ics" for a subscription and "caldav" for a mirror of
	// another server; such calendars are read-only.
	Source    string    `json:"source,omitempty"`
	ReadOnly  bool      `json:"read_only"`
	CreatedAt time.Time `json:"created_at"`
	UpdatedAt time.Time `json:"updated_at"`
	// ETag identifies this representation (as the ETag header does);
	// If-Match with it makes a change conditional.
	ETag string `json:"etag"`
}

// withETag sets c's entity tag: a digest of the representation, which for
// a calendar shared with the caller includes their own view of it, so it
// changes whenever what they see changes.
func (c Calendar) withETag() Calendar {
	c.ETag = ""
	b, _ := json.Marshal(c)
	c.ETag = quoteETag(store.ETagOf(b))
	return c
}

// UserRef names a user where another resource refers to one.
type UserRef struct {
	ID          string `json:"id"`
	Name        string `json:"name"`
	DisplayName string `json:"display_name"`
	Email       string `json:"email"`
}

func userRef(u *store.User) UserRef {
	return UserRef{ID: u.UUID, Name: u.Name, DisplayName: u.DisplayName, Email: u.Email}
}

// calDAVURL is a calendar's path over CalDAV, its segments escaped as the
// CalDAV handler writes them.
func calDAVURL(user, name string) string {
	return "/dav/calendars/" + url.PathEscape(user) + "/" + url.PathEscape(name) + "/"
}

func (a *API) calendarJSON(r *http.Request, v calendar.Visible) (Calendar, error) {
	owner, err := a.store.GetUser(r.Context(), v.OwnerID)
	if err != nil {
		return Calendar{}, err
	}
	c := Calendar{ID: v.UUID, DisplayName: v.DisplayName, Description: v.Description, Color: v.Color,
		Order: v.Order, TimeZone: v.TimeZone, Components: v.Components, Role: v.Role.String(),
		Owner: userRef(owner), Revision: v.Revision, CreatedAt: v.CreatedAt, UpdatedAt: v.UpdatedAt,
		CalDAVURL: calDAVURL(owner.Name, v.Name), Source: v.Calendar.Source, ReadOnly: v.ReadOnly()}
	if v.Share != nil {
		c.DisplayName, c.Color, c.Order = v.Share.DisplayName, v.Share.Color, v.Share.Order
		c.CalDAVURL = calDAVURL(caller(r).Name, v.Share.Name)
	}
	if v.Role < calendar.RoleReader {
		c.Description = "" // free/busy viewers see busy times only
	}
	return c.withETag(), nil
}

// checkCalendarMatch applies If-Match to a calendar (RFC 9110 §13.1.1).
func (a *API) checkCalendarMatch(w http.ResponseWriter, r *http.Request, v calendar.Visible) bool {
	im := r.Header.Get("If-Match")
	if im == "" {
		return true
	}
	cur, err := a.calendarJSON(r, v)
	if err != nil {
		writeError(w, r, err)
		return false
	}
	if etagListHas(im, strings.Trim(cur.ETag, `"`), false) {
		return true
	}
	p := newProblem(http.StatusPreconditionFailed, "precondition-failed",
		"the calendar has changed since you read it; its current version is in current")
	p.ETag, p.Current = cur.ETag, cur
	w.Header().Set("ETag", cur.ETag)
	writeError(w, r, p)
	return false
}

// writeCalendar answers with a calendar and its ETag.
func writeCalendar(w http.ResponseWriter, status int, c Calendar) {
	w.Header().Set("ETag", c.ETag)
	writeJSON(w, status, c)
}

func (a *API) listCalendars(w http.ResponseWriter, r *http.Request) {
	list, err := a.cals.Calendars(r.Context(), caller(r))
	if err != nil {
		writeError(w, r, err)
		return
	}
	out := make([]Calendar, 0, len(list))
	for _, v := range list {
		c, err := a.calendarJSON(r, v)
		if err != nil {
			writeError(w, r, err)
			return
		}
		out = append(out, c)
	}
	writeJSON(w, http.StatusOK, out)
}

// CalendarRequest is the body of POST /calendars and PUT/PATCH
// /calendars/{id}; absent fields keep their value (or default).
type CalendarRequest struct {
	DisplayName *string   `json:"display_name,omitempty"`
	Description *string   `json:"description,omitempty"`
	Color       *string   `json:"color,omitempty"`
	Order       *int      `json:"order,omitempty"`
	TimeZone    *string   `json:"time_zone,omitempty"`
	Components  *[]string `json:"components,omitempty"`
}

func (in *CalendarRequest) apply(c *store.Calendar) {
	set := func(dst *string, v *string) {
		if v != nil {
			*dst = strings.TrimSpace(*v)
		}
	}
	set(&c.DisplayName, in.DisplayName)
	set(&c.Description, in.Description)
	set(&c.Color, in.Color)
	set(&c.TimeZone, in.TimeZone)
	if in.Order != nil {
		c.Order = *in.Order
	}
	if in.Components != nil {
		c.Components = *in.Components
	}
}

func (a *API) createCalendar(w http.ResponseWriter, r *http.Request) {
	var in CalendarRequest
	if err := decode(w, r, &in); err != nil {
		writeError(w, r, err)
		return
	}
	if in.DisplayName == nil || strings.TrimSpace(*in.DisplayName) == "" {
		writeError(w, r, fieldProblem(http.StatusUnprocessableEntity, "display_name", "is required"))
		return
	}
	c := &store.Calendar{UUID: store.NewUUID()} // named after its display name by CreateCalendar
	in.apply(c)
	if err := a.cals.CreateCalendar(r.Context(), caller(r), c); err != nil {
		writeError(w, r, err)
		return
	}
	out, err := a.calendarJSON(r, calendar.Visible{Calendar: c, Role: calendar.RoleOwner})
	if err != nil {
		writeError(w, r, err)
		return
	}
	w.Header().Set("Location", "/api/v1/calendars/"+c.UUID)
	writeCalendar(w, http.StatusCreated, out)
}

// calendarParam loads the calendar named by {id} for act.
func (a *API) calendarParam(r *http.Request, act calendar.Action) (calendar.Visible, error) {
	id := chi.URLParam(r, "id")
	if !isUUID(id) {
		return calendar.Visible{}, errNotFound
	}
	c, role, err := a.cals.Calendar(r.Context(), caller(r), id, act)
	if err != nil {
		return calendar.Visible{}, err
	}
	v := calendar.Visible{Calendar: c, Role: role}
	if c.OwnerID != caller(r).ID {
		if v.Share, err = a.store.GetShare(r.Context(), c.ID, caller(r).ID); err != nil {
			return calendar.Visible{}, err
		}
	}
	return v, nil
}

func (a *API) getCalendar(w http.ResponseWriter, r *http.Request) {
	v, err := a.calendarParam(r, calendar.ActFreeBusy)
	if err != nil {
		writeError(w, r, err)
		return
	}
	out, err := a.calendarJSON(r, v)
	if err != nil {
		writeError(w, r, err)
		return
	}
	writeCalendar(w, http.StatusOK, out)
}

// updateCalendar changes the calendar for its owner; for a sharee it
// changes their own view of it (display name, colour, order) only.
func (a *API) updateCalendar(w http.ResponseWriter, r *http.Request) {
	v, err := a.calendarParam(r, calendar.ActFreeBusy)
	if err != nil {
		writeError(w, r, err)
		return
	}
	var in CalendarRequest
	if err := decode(w, r, &in); err != nil {
		writeError(w, r, err)
		return
	}
	if !a.checkCalendarMatch(w, r, v) {
		return
	}
	if v.Share != nil && (in.Description != nil || in.TimeZone != nil || in.Components != nil) && !v.Role.Can(calendar.ActEditCalendar) {
		writeError(w, r, calendar.ErrForbidden)
		return
	}
	if v.Share != nil {
		view := store.Calendar{DisplayName: v.Share.DisplayName, Color: v.Share.Color, Order: v.Share.Order}
		in.apply(&view)
		err = a.cals.UpdateView(r.Context(), caller(r), v.Calendar, view.DisplayName, view.Color, view.Order)
		if err == nil {
			v.Share, err = a.store.GetShare(r.Context(), v.ID, caller(r).ID)
		}
	} else {
		in.apply(v.Calendar)
		err = a.cals.UpdateCalendar(r.Context(), caller(r), v.Calendar)
	}
	if err != nil {
		writeError(w, r, err)
		return
	}
	out, err := a.calendarJSON(r, v)
	if err != nil {
		writeError(w, r, err)
		return
	}
	writeCalendar(w, http.StatusOK, out)
}

// deleteCalendar deletes the caller's own calendar, or takes a shared one
// out of their list.
func (a *API) deleteCalendar(w http.ResponseWriter, r *http.Request) {
	v, err := a.calendarParam(r, calendar.ActFreeBusy)
	if err == nil && !a.checkCalendarMatch(w, r, v) {
		return
	}
	if err == nil {
		if v.Share != nil {
			err = a.cals.Unshare(r.Context(), caller(r), v.Calendar, caller(r))
		} else {
			err = a.cals.DeleteCalendar(r.Context(), caller(r), v.Calendar)
		}
	}
	if err != nil {
		writeError(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

// isUUID checks the shape of a public id before it reaches the database.
func isUUID(s string) bool {
	if len(s) != 36 {
		return false
	}
	for i, c := range s {
		switch {
		case i == 8 || i == 13 || i == 18 || i == 23:
			if c != '-' {
				return false
			}
		case !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f'):
			return false
		}
	}
	return true
}
