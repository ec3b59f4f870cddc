package caldav

import (
	"errors"
	"net/http"
	"net/url"
	"strings"

	"github.com/almanac/almanac/calendar"
	"github.com/almanac/almanac/store"
	"github.com/go-chi/chi/v5"
)

// kind is what a URL names.
type kind int

const (
	kindRoot kind = iota
	kindPrincipals
	kindHomes // /dav/calendars/, the collection of calendar homes
	kindPrincipal
	kindHome
	kindCalendar
	kindObject
	// Scheduling collections (RFC 6638 §2), in schedule.go.
	kindInbox
	kindInboxItem
	kindOutbox
	// kindNested is a path below a calendar object resource: nothing lives
	// there, and no collection can be made there.
	kindNested
)

// target is the resolved request URL. Everything the handlers know about
// where a request points comes from resolve, so that later layouts (shared
// calendars in a sharee's home, scheduling inbox and outbox) change one
// place.
type target struct {
	kind    kind
	user    *store.User     // the caller
	owner   *store.User     // the {user} of the URL
	cal     *store.Calendar // nil when the calendar does not exist (yet)
	role    calendar.Role   // the caller's role on cal
	share   *store.Share    // set when cal is another user's, shared with the caller
	calName string
	objName string
	// path is the request path of the server root when it is asked at
	// "/" rather than at Prefix+"/" (clients given the server's URL).
	path string
}

// resolve maps the route's parameters to a target. Calendars the caller may
// not know exist resolve like missing ones: the answer is 404, never 403.
func (h *Handler) resolve(r *http.Request, k kind) (*target, error) {
	t := &target{kind: k, user: caller(r)}
	switch k {
	case kindRoot:
		if r.URL.Path == "/" {
			t.path = "/"
		}
		return t, nil
	case kindPrincipals, kindHomes:
		return t, nil
	}
	name, err := param(r, "user")
	if err != nil {
		return nil, err
	}
	// A user's principal and calendar home are theirs alone for now.
	if name != t.user.Name {
		return nil, store.ErrNotFound
	}
	t.owner = t.user
	if k == kindPrincipal || k == kindHome || k == kindInbox || k == kindOutbox {
		return t, nil
	}
	if k == kindInboxItem {
		t.objName, err = param(r, "item")
		return t, err
	}
	if t.calName, err = param(r, "calendar"); err != nil {
		return nil, err
	}
	if k == kindObject || k == kindNested {
		if t.objName, err = param(r, "object"); err != nil {
			return nil, err
		}
	}
	cal, role, err := h.cals.CalendarAt(r.Context(), t.user, t.owner.ID, t.calName, calendar.ActFreeBusy)
	if errors.Is(err, store.ErrNotFound) {
		cal, role, t.share, err = h.sharedAt(r.Context(), t.user, t.calName)
	}
	switch {
	case errors.Is(err, store.ErrNotFound):
		if k == kindObject {
			return nil, err
		}
	case err != nil:
		return nil, err
	default:
		t.cal, t.role = cal, role
	}
	return t, nil
}

// param returns a route parameter decoded once. chi matches the escaped
// path when the request has one that differs from the decoded path
// (URL.RawPath, e.g. for "%2F"), and the decoded path otherwise: only
// then are its parameters still escaped. Unescaping always would turn a
// name sent as "2%2520a.ics" ("2%20a.ics") into "2 a.ics".
func param(r *http.Request, name string) (string, error) {
	v := chi.URLParam(r, name)
	if r.URL.RawPath != "" {
		var err error
		if v, err = url.PathUnescape(v); err != nil {
			return "", store.ErrNotFound
		}
	}
	if v == "" || strings.Contains(v, "/") {
		return "", store.ErrNotFound
	}
	return v, nil
}

// Hrefs. Segments are escaped, so names with spaces or '@' round-trip.

func rootHref() string                 { return Prefix + "/" }
func principalsHref() string           { return Prefix + "/principals/" }
func homesHref() string                { return Prefix + "/calendars/" }
func principalHref(user string) string { return Prefix + "/principals/" + url.PathEscape(user) + "/" }
func homeHref(user string) string      { return Prefix + "/calendars/" + url.PathEscape(user) + "/" }
func calendarHref(user, cal string) string {
	return homeHref(user) + url.PathEscape(cal) + "/"
}
func objectHref(user, cal, obj string) string { return calendarHref(user, cal) + url.PathEscape(obj) }

// href is the canonical URL of the target (collections end in '/').
func (t *target) href() string {
	switch t.kind {
	case kindRoot:
		if t.path != "" {
			return t.path
		}
		return rootHref()
	case kindPrincipals:
		return principalsHref()
	case kindHomes:
		return homesHref()
	case kindPrincipal:
		return principalHref(t.owner.Name)
	case kindHome:
		return homeHref(t.owner.Name)
	case kindCalendar:
		return calendarHref(t.owner.Name, t.calName)
	case kindInbox:
		return inboxHref(t.owner.Name)
	case kindInboxItem:
		return inboxHref(t.owner.Name) + url.PathEscape(t.objName)
	case kindOutbox:
		return outboxHref(t.owner.Name)
	}
	return objectHref(t.owner.Name, t.calName, t.objName)
}

// parseHref resolves an href from a request body (multiget, Destination)
// to a calendar name and object name in the caller's home, decoding each
// segment once (RFC 3986 §2.1). It accepts absolute URLs and paths.
func parseHref(user *store.User, href string) (calName, objName string, ok bool) {
	p := href
	if u, err := url.Parse(href); err == nil {
		p = u.EscapedPath()
	}
	rest, found := strings.CutPrefix(p, homeHref(user.Name))
	if !found {
		// Clients may escape the user name differently.
		d, err := url.PathUnescape(p)
		if err != nil {
			return "", "", false
		}
		if rest, found = strings.CutPrefix(d, Prefix+"/calendars/"+user.Name+"/"); !found {
			return "", "", false
		}
		return splitCalObj(rest, false)
	}
	return splitCalObj(rest, true)
}

func splitCalObj(rest string, escaped bool) (string, string, bool) {
	cal, obj, _ := strings.Cut(rest, "/")
	if escaped {
		var err1, err2 error
		cal, err1 = url.PathUnescape(cal)
		obj, err2 = url.PathUnescape(obj)
		if err1 != nil || err2 != nil {
			return "", "", false
		}
	}
	if cal == "" || strings.Contains(obj, "/") {
		return "", "", false
	}
	return cal, obj, true
}
