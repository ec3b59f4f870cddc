package caldav

import (
	"bytes"
	"context"
	"errors"
	"io"
	"mime"
	"net/http"
	"net/url"
	"strings"

	"github.com/almanac/almanac/calendar"
	"github.com/almanac/almanac/store"
)

// objectContentType is the media type of a calendar object resource, for
// GET and DAV:getcontenttype alike, written as CalendarServer writes it
// (RFC 9110 §5.6.6 allows the space after ';' or not) so that clients
// comparing the property with a stored value see no change.
const objectContentType = "text/calendar;charset=utf-8"

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
	hd.Set("Content-Type", objectContentType)
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
			// RFC 4791 §5.3.2.1: CALDAV:supported-calendar-data, a failed
			// precondition and so 403 (RFC 4918 §16), as for every other.
			return precondition(http.StatusForbidden, nsCalDAV, "supported-calendar-data", "the body must be text/calendar")
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
	// No Location: what a PUT creates is the target URI (RFC 9110 §15.3.2).
	if res.Created {
		w.WriteHeader(http.StatusCreated)
	} else {
		w.WriteHeader(http.StatusNoContent)
	}
	return nil
}

// deleteObject answers DELETE of a calendar object resource. Its
// conditions are a PUT's: If-Schedule-Tag-Match too (RFC 6638 §3.2.10,
// §8.3), which the store tests against the stored resource.
func (h *Handler) deleteObject(w http.ResponseWriter, r *http.Request, t *target) error {
	if err := h.cals.DeleteObject(r.Context(), t.user, t.cal, t.objName, conditions(r)); err != nil {
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
func (h *Handler) destination(r *http.Request, t *target) (*store.Calendar, string, string, error) {
	d := r.Header.Get("Destination")
	if d == "" {
		return nil, "", "", davStatus(http.StatusBadRequest, "Destination header missing")
	}
	u, err := url.Parse(d)
	if err != nil {
		return nil, "", "", davStatus(http.StatusBadRequest, "Destination is not a URL")
	}
	if u.Host != "" && u.Host != r.Host {
		return nil, "", "", davStatus(http.StatusBadGateway, "Destination is on another server")
	}
	calName, objName, ok := parseHref(t.user, u.EscapedPath())
	if !ok || objName == "" {
		return nil, "", "", davStatus(http.StatusForbidden, "Destination must be a resource in one of your calendars")
	}
	cal, err := h.writableCalendar(r.Context(), t, calName)
	return cal, calName, objName, err
}

// writableCalendar is a calendar of the caller's home, their own or shared
// with them, that they may write.
func (h *Handler) writableCalendar(ctx context.Context, t *target, name string) (*store.Calendar, error) {
	cal, _, err := h.cals.CalendarAt(ctx, t.user, t.owner.ID, name, calendar.ActWrite)
	if errors.Is(err, store.ErrNotFound) {
		var role calendar.Role
		if cal, role, _, err = h.sharedAt(ctx, t.user, name); err == nil && !role.Can(calendar.ActWrite) {
			err = calendar.ErrForbidden
		}
	}
	return cal, err
}

// moveCalendar answers MOVE of a calendar collection to another name in
// the same home (RFC 4918 §9.9): its objects, properties, shares and sync
// history go with it. A calendar is never overwritten: an existing
// destination answers 412 with Overwrite: F and 403 otherwise, as
// replacing a whole calendar is not something a client means to do.
func (h *Handler) moveCalendar(w http.ResponseWriter, r *http.Request, t *target) error {
	if t.share != nil {
		return calendar.ErrForbidden
	}
	d, err := url.Parse(r.Header.Get("Destination"))
	if err != nil || r.Header.Get("Destination") == "" {
		return davStatus(http.StatusBadRequest, "Destination header missing or not a URL")
	}
	if d.Host != "" && d.Host != r.Host {
		return davStatus(http.StatusBadGateway, "Destination is on another server")
	}
	name, obj, ok := parseHref(t.user, strings.TrimSuffix(d.EscapedPath(), "/")+"/")
	if !ok || obj != "" {
		// RFC 4791 §5.3.1: a calendar is never made inside another.
		return precondition(http.StatusForbidden, nsCalDAV, "calendar-collection-location-ok", "a calendar can only move to another name in your calendar home")
	}
	if _, _, err := h.cals.CalendarAt(r.Context(), t.user, t.owner.ID, name, calendar.ActFreeBusy); err == nil {
		if !overwrite(r) {
			return store.ErrPreconditionFailed
		}
		return davStatus(http.StatusForbidden, "a calendar exists at the destination; it is not replaced")
	}
	if err := h.cals.RenameCalendar(r.Context(), t.user, t.cal, name); err != nil {
		if errors.Is(err, store.ErrExists) {
			return store.ErrPreconditionFailed
		}
		return err
	}
	return created(w, r, true, calendarHref(t.owner.Name, name))
}

// overwrite reads the Overwrite header (RFC 4918 §10.6; default T).
func overwrite(r *http.Request) bool {
	return !strings.EqualFold(strings.TrimSpace(r.Header.Get("Overwrite")), "F")
}

// move answers MOVE of an object to another calendar or name. The
// conditions, If-Schedule-Tag-Match among them (RFC 6638 §3.2.10, §8.3),
// are on the source.
func (h *Handler) move(w http.ResponseWriter, r *http.Request, t *target) error {
	to, toCal, toName, err := h.destination(r, t)
	if err != nil {
		return err
	}
	res, err := h.cals.MoveObject(r.Context(), t.user, t.cal, t.objName, to, toName, conditions(r), overwrite(r))
	if err != nil {
		return atDestination(err, t, to)
	}
	return created(w, r, res.Created, objectHref(t.owner.Name, toCal, toName))
}

// copy answers COPY of an object: a PUT of the same bytes elsewhere.
func (h *Handler) copy(w http.ResponseWriter, r *http.Request, t *target) error {
	to, toCal, toName, err := h.destination(r, t)
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
	return created(w, r, res.Created, objectHref(t.owner.Name, toCal, toName))
}

// created answers a COPY or MOVE with the destination's URL in Location
// (RFC 9110 §10.2.2), whether it was made (201) or replaced (204): the
// Destination as the client wrote it when it was a URL of this server.
func created(w http.ResponseWriter, r *http.Request, isNew bool, href string) error {
	loc := absoluteURL(r, href)
	if d, err := url.Parse(r.Header.Get("Destination")); err == nil && d.Path != "" {
		loc = absoluteURL(r, d.EscapedPath())
	}
	w.Header().Set("Location", loc)
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

// absoluteURL is href on the server the request reached (through a TLS
// proxy when it says so).
func absoluteURL(r *http.Request, href string) string {
	scheme := "http"
	if r.TLS != nil || strings.EqualFold(r.Header.Get("X-Forwarded-Proto"), "https") {
		scheme = "https"
	}
	return scheme + "://" + r.Host + href
}
