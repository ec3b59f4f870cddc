package caldav

import (
	"context"
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
