package caldav

import (
	"bytes"
	"errors"
	"io"
	"mime"
	"net/http"
	"net/url"
	"strings"

	"github.com/almanac/almanac/calendar"
	"github.com/almanac/almanac/store"
)

// get answers GET and HEAD of a calendar object resource with the bytes as
// they were stored and their strong ETag; conditional requests are handled
// by http.ServeContent (RFC 9110 §13).
func (h *Handler) get(w http.ResponseWriter, r *http.Request, t *target) error {
	obj, err := h.cals.GetObject(r.Context(), t.user, t.cal, t.objName)
	if err != nil {
		return err
	}
	hd := w.Header()
	hd.Set("ETag", quoteETag(obj.ETag))
	setScheduleTag(hd, obj.ScheduleTag)
	hd.Set("Content-Type", "text/calendar; charset=utf-8")
	hd.Set("Cache-Control", "private, no-cache")
	http.ServeContent(w, r, "", obj.ModifiedAt, bytes.NewReader(obj.Data))
	return nil
}

// conditions reads If-Match and If-None-Match (RFC 9110 §13.1).
func conditions(r *http.Request) store.Conditions {
	var c store.Conditions
	if v := strings.TrimSpace(r.Header.Get("If-Match")); v != "" {
		c.IfMatch = unquoteETag(v)
	}
	if strings.TrimSpace(r.Header.Get("If-None-Match")) == "*" {
		c.IfNoneMatch = true
	}
	scheduleTagCondition(r, &c)
	return c
}

// unquoteETag strips the quotes of a strong entity tag; a weak one cannot
// match (RFC 9110 §13.1.1 uses the strong comparison for If-Match).
func unquoteETag(v string) string {
	if v == "*" {
		return v
	}
	if strings.HasPrefix(v, "W/") {
		return "\x00weak"
	}
	return strings.Trim(v, `"`)
}

// put answers PUT of a calendar object resource (RFC 4791 §5.3.2).
func (h *Handler) put(w http.ResponseWriter, r *http.Request, t *target) error {
	if ct := r.Header.Get("Content-Type"); ct != "" {
		if mt, _, err := mime.ParseMediaType(ct); err != nil || mt != "text/calendar" {
			// RFC 4791 §5.3.2.1: CALDAV:supported-calendar-data.
			return precondition(http.StatusUnsupportedMediaType, nsCalDAV, "supported-calendar-data", "the body must be text/calendar")
		}
	}
	limit := int64(h.cals.Limits().MaxResourceSize)
	data, err := io.ReadAll(io.LimitReader(r.Body, limit+1))
	if err != nil {
		return err
	}
	res, err := h.cals.PutObject(r.Context(), t.user, t.cal, t.objName, data, conditions(r))
	if err != nil {
		return err
	}
	writeTags(w.Header(), res, data)
	w.Header().Set("Content-Length", "0")
	if res.Created {
		w.Header().Set("Location", objectHref(t.owner.Name, t.calName, t.objName))
		w.WriteHeader(http.StatusCreated)
	} else {
		w.WriteHeader(http.StatusNoContent)
	}
	return nil
}

// deleteObject answers DELETE of a calendar object resource.
func (h *Handler) deleteObject(w http.ResponseWriter, r *http.Request, t *target) error {
	if err := h.cals.DeleteObject(r.Context(), t.user, t.cal, t.objName, conditions(r).IfMatch); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// deleteCalendar answers DELETE of a calendar collection with everything
// in it.
func (h *Handler) deleteCalendar(w http.ResponseWriter, r *http.Request, t *target) error {
	if t.share != nil {
		return h.leaveShared(w, r, t)
	}
	if m := conditions(r).IfMatch; m != "" && m != "*" {
		if cur, _ := etag(&resource{kind: kindCalendar, cal: t.cal}); unquoteETag(cur) != m {
			return store.ErrPreconditionFailed
		}
	}
	if err := h.cals.DeleteCalendar(r.Context(), t.user, t.cal); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// destination resolves the Destination header of MOVE and COPY (RFC 4918
// §10.3) to a writable calendar of the caller and a resource name. A
// destination outside the caller's calendars is refused with 502 Bad
// Gateway, as RFC 4918 §9.9.4 says for another server, or 403.
func (h *Handler) destination(r *http.Request, t *target) (*store.Calendar, string, error) {
	d := r.Header.Get("Destination")
	if d == "" {
		return nil, "", davStatus(http.StatusBadRequest, "Destination header missing")
	}
	u, err := url.Parse(d)
	if err != nil {
		return nil, "", davStatus(http.StatusBadRequest, "Destination is not a URL")
	}
	if u.Host != "" && u.Host != r.Host {
		return nil, "", davStatus(http.StatusBadGateway, "Destination is on another server")
	}
	calName, objName, ok := parseHref(t.user, u.EscapedPath())
	if !ok || objName == "" {
		return nil, "", davStatus(http.StatusForbidden, "Destination must be a resource in one of your calendars")
	}
	cal, _, err := h.cals.CalendarAt(r.Context(), t.user, t.owner.ID, calName, calendar.ActWrite)
	if errors.Is(err, store.ErrNotFound) {
		// A calendar shared with the caller, in their home.
		var role calendar.Role
		if cal, role, _, err = h.sharedAt(r.Context(), t.user, calName); err == nil && !role.Can(calendar.ActWrite) {
			err = calendar.ErrForbidden
		}
	}
	if err != nil {
		return nil, "", err
	}
	return cal, objName, nil
}

// overwrite reads the Overwrite header (RFC 4918 §10.6; default T).
func overwrite(r *http.Request) bool {
	return !strings.EqualFold(strings.TrimSpace(r.Header.Get("Overwrite")), "F")
}

// move answers MOVE of an object to another calendar or name.
func (h *Handler) move(w http.ResponseWriter, r *http.Request, t *target) error {
	to, toName, err := h.destination(r, t)
	if err != nil {
		return err
	}
	res, err := h.cals.MoveObject(r.Context(), t.user, t.cal, t.objName, to, toName, conditions(r).IfMatch, overwrite(r))
	if err != nil {
		return atDestination(err, t, to)
	}
	return created(w, res.Created)
}

// copy answers COPY of an object: a PUT of the same bytes elsewhere.
func (h *Handler) copy(w http.ResponseWriter, r *http.Request, t *target) error {
	to, toName, err := h.destination(r, t)
	if err != nil {
		return err
	}
	obj, err := h.cals.GetObject(r.Context(), t.user, t.cal, t.objName)
	if err != nil {
		return err
	}
	res, err := h.cals.PutObject(r.Context(), t.user, to, toName, obj.Data, store.Conditions{IfNoneMatch: !overwrite(r)})
	if err != nil {
		return atDestination(err, t, to)
	}
	return created(w, res.Created)
}

func created(w http.ResponseWriter, isNew bool) error {
	if isNew {
		w.WriteHeader(http.StatusCreated)
	} else {
		w.WriteHeader(http.StatusNoContent)
	}
	return nil
}

// atDestination names the conflicting resource of a MOVE or COPY in the
// destination calendar.
func atDestination(err error, t *target, to *store.Calendar) error {
	var uc *store.UIDConflictError
	if errors.As(err, &uc) {
		return uidConflict(t.owner, to.Name, uc)
	}
	return err
}
