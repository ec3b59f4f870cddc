package caldav

import (
	"context"
	"errors"
	"net/http"

	"github.com/almanac/almanac/calendar"
	"github.com/almanac/almanac/store"
)

// maxMultigetHrefs bounds one calendar-multiget; clients ask in batches.
const maxMultigetHrefs = 10_000

// calendarMultiget answers calendar-multiget (RFC 4791 §7.9): the named
// objects with the properties asked for; hrefs that name nothing get 404.
func (h *Handler) calendarMultiget(w http.ResponseWriter, r *http.Request, t *target, root *node) error {
	if !t.role.Can(calendar.ActRead) {
		return calendar.ErrForbidden
	}
	op, err := parseObjectProps(root)
	if err != nil {
		return err
	}
	hrefs, err := multigetHrefs(root)
	if err != nil {
		return err
	}
	ctx := r.Context()
	byHref, err := h.objectsAt(ctx, t, op, hrefs)
	if err != nil {
		return err
	}
	occs, err := h.occurrencesByObject(ctx, t, op.occurrenceRange(), calendarZone(t.cal))
	if err != nil {
		return err
	}
	ms := newMultistatus(w, r)
	for _, href := range hrefs {
		o := byHref[href]
		if o == nil {
			ms.status(href, http.StatusNotFound)
			continue
		}
		if err := h.writeObject(ctx, ms, t, op, o, occs[o.ID]); err != nil {
			abort(r, err)
		}
	}
	return ms.close("")
}

func multigetHrefs(root *node) ([]string, error) {
	var hrefs []string
	for _, c := range root.Children {
		if c.is(nsDAV, "href") {
			hrefs = append(hrefs, c.Text)
		}
	}
	switch {
	case len(hrefs) == 0:
		return nil, badXML("calendar-multiget needs at least one DAV:href")
	case len(hrefs) > maxMultigetHrefs:
		return nil, davStatus(http.StatusRequestEntityTooLarge, "too many hrefs in one calendar-multiget")
	}
	return hrefs, nil
}

// objectsAt reads the objects the hrefs name in the target calendar, in one
// query; hrefs elsewhere name nothing here.
func (h *Handler) objectsAt(ctx context.Context, t *target, op *objectProps, hrefs []string) (map[string]*store.Object, error) {
	names := make([]string, 0, len(hrefs))
	nameOf := make(map[string]string, len(hrefs))
	for _, href := range hrefs {
		calName, objName, ok := parseHref(t.user, href)
		if ok && calName == t.calName && objName != "" {
			names = append(names, objName)
			nameOf[href] = objName
		}
	}
	var objs []*store.Object
	var err error
	if op.direct() {
		objs, err = h.st.GetObjectHeads(ctx, t.cal.ID, names, op.data != nil)
	} else {
		objs, err = h.st.GetObjectsByName(ctx, t.cal.ID, names)
	}
	if err == nil {
		err = h.cals.ViewObjects(ctx, t.user, t.cal, objs)
	}
	if err != nil {
		return nil, err
	}
	byName := make(map[string]*store.Object, len(objs))
	for _, o := range objs {
		byName[o.Name] = o
	}
	out := make(map[string]*store.Object, len(hrefs))
	for href, name := range nameOf {
		if o := byName[name]; o != nil {
			out[href] = o
		}
	}
	return out, nil
}

// homeMultiget answers calendar-multiget on a calendar home (RFC 4791
// §7.9: the resources named, from within the collection the request
// targets, at any depth): each href is read from its own calendar.
func (h *Handler) homeMultiget(w http.ResponseWriter, r *http.Request, t *target, root *node) error {
	op, err := parseObjectProps(root)
	if err != nil {
		return err
	}
	hrefs, err := multigetHrefs(root)
	if err != nil {
		return err
	}
	ctx := r.Context()
	type found struct {
		t *target
		o *store.Object
	}
	byHref := make(map[string]found, len(hrefs))
	for calName, list := range hrefsByCalendar(t.user, hrefs) {
		ct, err := h.calendarTarget(ctx, t.user, calName)
		if errors.Is(err, store.ErrNotFound) || errors.Is(err, calendar.ErrForbidden) {
			continue
		} else if err != nil {
			return err
		}
		objs, err := h.objectsAt(ctx, ct, op, list)
		if err != nil {
			return err
		}
		for href, o := range objs {
			byHref[href] = found{ct, o}
		}
	}
	ms := newMultistatus(w, r)
	for _, href := range hrefs {
		f, ok := byHref[href]
		if !ok {
			ms.status(href, http.StatusNotFound)
			continue
		}
		if err := h.writeObject(ctx, ms, f.t, op, f.o, nil); err != nil {
			abort(r, err)
		}
	}
	return ms.close("")
}

// hrefsByCalendar groups hrefs in the caller's home by calendar name.
func hrefsByCalendar(u *store.User, hrefs []string) map[string][]string {
	out := map[string][]string{}
	for _, href := range hrefs {
		if calName, objName, ok := parseHref(u, href); ok && objName != "" {
			out[calName] = append(out[calName], href)
		}
	}
	return out
}

// calendarTarget resolves a calendar of the caller's home, their own or
// one shared with them, that they may read.
func (h *Handler) calendarTarget(ctx context.Context, u *store.User, name string) (*target, error) {
	t := &target{kind: kindCalendar, user: u, owner: u, calName: name}
	cal, role, err := h.cals.CalendarAt(ctx, u, u.ID, name, calendar.ActRead)
	if errors.Is(err, store.ErrNotFound) {
		cal, role, t.share, err = h.sharedAt(ctx, u, name)
		if err == nil && !role.Can(calendar.ActRead) {
			err = calendar.ErrForbidden
		}
	}
	if err != nil {
		return nil, err
	}
	t.cal, t.role = cal, role
	return t, nil
}
