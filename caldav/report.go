package caldav

import (
	"context"
	"net/http"
	"slices"
	"sort"
	"time"

	"github.com/almanac/almanac/calendar"
	"github.com/almanac/almanac/store"
)

// report dispatches REPORT on the request body's root element; each report
// has its own file.
func (h *Handler) report(w http.ResponseWriter, r *http.Request, t *target) error {
	body, err := readXMLBody(r.Body)
	if err != nil {
		return err
	}
	root, err := parseXMLBytes(body)
	if err != nil {
		return err
	}
	if root == nil {
		return badXML("REPORT needs a body")
	}
	onCalendar := t.kind == kindCalendar
	if onCalendar && (root.is(nsCalDAV, "calendar-query") || root.is(nsCalDAV, "calendar-multiget") ||
		root.is(nsCalDAV, "free-busy-query")) {
		return h.cachedReport(w, r, t, root, body)
	}
	switch {
	case root.is(nsDAV, "sync-collection") && onCalendar:
		return h.syncCollection(w, r, t, root)
	case root.is(nsDAV, "sync-collection") && t.kind == kindInbox:
		return h.syncInbox(w, r, t, root)
	case root.is(nsCalDAV, "calendar-multiget") && t.kind == kindInbox:
		return h.inboxMultiget(w, r, t, root)
	case root.is(nsCalDAV, "calendar-multiget") && t.kind == kindHome:
		return h.homeMultiget(w, r, t, root)
	case root.is(nsCalDAV, "calendar-query") && t.kind == kindHome:
		return h.homeQuery(w, r, t, root)
	case root.is(nsCalDAV, "free-busy-query") && t.kind == kindHome:
		return h.homeFreeBusy(w, r, t, root)
	case root.is(nsCalDAV, "calendar-multiget") && t.kind == kindObject:
		// RFC 4791 §7.9: on a resource, the multiget reads that resource.
		return h.calendarMultiget(w, r, t, root)
	case root.is(nsDAV, "expand-property"):
		return h.expandProperty(w, r, t, root)
	case root.is(nsDAV, "principal-property-search"):
		return h.principalPropertySearch(w, r, t, root)
	case root.is(nsDAV, "principal-search-property-set"):
		return h.principalSearchPropertySet(w, r, t)
	}
	// RFC 3253 §3.6: DAV:supported-report.
	return precondition(http.StatusForbidden, nsDAV, "supported-report", "this report is not supported on this resource")
}

// cachedReport answers a calendar report from the report cache, or runs it
// and keeps the answer.
func (h *Handler) cachedReport(w http.ResponseWriter, r *http.Request, t *target, root *node, body []byte) error {
	key := reportKey(t, r, body)
	if a, ok := h.reports.get(key); ok {
		a.replay(w)
		return nil
	}
	rec := &recorder{ResponseWriter: w}
	var err error
	switch {
	case root.is(nsCalDAV, "calendar-query"):
		err = h.calendarQuery(rec, r, t, root)
	case root.is(nsCalDAV, "calendar-multiget"):
		err = h.calendarMultiget(rec, r, t, root)
	default:
		err = h.freeBusyQuery(rec, r, t, root)
	}
	if a, ok := rec.answer(key); ok && err == nil {
		h.reports.put(a)
	}
	return err
}

// objectProps is the DAV:prop of a calendar report: the properties to
// return for each object, with calendar-data's options apart.
type objectProps struct {
	req  *propRequest
	data *dataRequest // nil: calendar-data not asked for
}

func parseObjectProps(root *node) (*objectProps, error) {
	op := &objectProps{req: &propRequest{}}
	switch {
	case root.child(nsDAV, "allprop") != nil:
		op.req.allprop = true
	case root.child(nsDAV, "propname") != nil:
		op.req.propname = true
	}
	for _, p := range root.child(nsDAV, "prop").childrenOrNil() {
		op.req.names = append(op.req.names, p.Name)
		if p.is(nsCalDAV, "calendar-data") {
			d, err := parseDataRequest(p)
			if err != nil {
				return nil, err
			}
			op.data = d
		}
	}
	return op, nil
}

func (n *node) childrenOrNil() []*node {
	if n == nil {
		return nil
	}
	return n.Children
}

// occurrenceRange is the window whose occurrences calendar-data needs.
func (op *objectProps) occurrenceRange() *timeRange {
	if op.data == nil {
		return nil
	}
	if op.data.expand != nil {
		return op.data.expand
	}
	return op.data.limitRecur
}

// writeObjects streams one response per object, fetching their data in
// batches so that memory stays bounded whatever the size of the answer.
// keep, when set, decides on each object after it is read.
func (h *Handler) writeObjects(ctx context.Context, ms *multistatus, t *target, op *objectProps, ids []int64,
	occs map[int64][]calendar.Occurrence, keep func(*store.Object) (bool, error)) error {
	sort.Slice(ids, func(i, j int) bool { return ids[i] < ids[j] })
	const batch = 500
	for len(ids) > 0 {
		n := min(batch, len(ids))
		var objs []*store.Object
		var err error
		if op.direct() {
			objs, err = h.st.GetObjectBodies(ctx, t.cal.ID, ids[:n])
		} else {
			objs, err = h.st.GetObjectsByID(ctx, ids[:n])
		}
		if err == nil {
			err = h.cals.ViewObjects(ctx, t.user, t.cal, objs)
		}
		if err != nil {
			return err
		}
		ids = ids[n:]
		sort.Slice(objs, func(i, j int) bool { return objs[i].ID < objs[j].ID })
		for _, o := range objs {
			if o.CalendarID != t.cal.ID {
				continue
			}
			if keep != nil {
				ok, err := keep(o)
				if err != nil {
					return err
				}
				if !ok {
					continue
				}
			}
			if err := h.writeObject(ctx, ms, t, op, o, occs[o.ID]); err != nil {
				return err
			}
		}
	}
	return nil
}

// writeObject writes the response of one object.
func (h *Handler) writeObject(ctx context.Context, ms *multistatus, t *target, op *objectProps, o *store.Object, occs []calendar.Occurrence) error {
	href := objectHref(t.owner.Name, t.calName, o.Name)
	if op.direct() {
		ms.objectResponse(href, o, op.req.names)
		return nil
	}
	rs := &resource{kind: kindObject, href: href, user: t.user, owner: t.owner, cal: t.cal, role: t.role, obj: o}
	if op.data == nil || op.data.plain() {
		stats, err := h.props(ctx, rs, op.req)
		if err != nil {
			return err
		}
		ms.response(rs.href, stats...)
		return nil
	}
	rest := &propRequest{allprop: op.req.allprop, propname: op.req.propname}
	for _, n := range op.req.names {
		if n != pnCalendarData {
			rest.names = append(rest.names, n)
		}
	}
	stats, err := h.props(ctx, rs, rest)
	if err != nil {
		return err
	}
	if slices.ContainsFunc(occs, func(oc calendar.Occurrence) bool { return oc.Truncated }) {
		// The series has more instances in the range than the server
		// expands for one request (calendar.Service.SeriesBudget). RFC 4791
		// §9.6.5 and §9.6.6 leave no room for part of a recurrence set
		// passed off as all of it, so this resource's calendar-data fails
		// with CALDAV:max-instances, the bound of §5.2.8, as a 403
		// propstat (RFC 4918 §9.1, §14.5): the rest of the answer stands,
		// and the same query without expand returns the whole resource.
		stats = append(stats, propstat{status: http.StatusForbidden, props: []prop{{name: pnCalendarData}}, cond: cdav("max-instances")})
		ms.response(rs.href, stats...)
		return nil
	}
	text, err := op.data.render(o.Data, occs)
	if err != nil {
		return err
	}
	stats[0].props = append(stats[0].props, prop{name: pnCalendarData, inner: escapeText(text)})
	ms.response(rs.href, stats...)
	return nil
}

// occurrencesByObject returns the calendar's occurrences in tr grouped by
// object, for expand and limit-recurrence-set. Those of a series cut by
// the server's bound are marked Truncated (see writeObject).
func (h *Handler) occurrencesByObject(ctx context.Context, t *target, tr *timeRange, tz *time.Location) (map[int64][]calendar.Occurrence, error) {
	if tr == nil {
		return nil, nil
	}
	list, err := h.cals.Instances(ctx, t.user, t.cal, tr.from(), tr.to(), tz)
	if err != nil {
		return nil, err
	}
	out := map[int64][]calendar.Occurrence{}
	for _, o := range list {
		out[o.ObjectID] = append(out[o.ObjectID], o)
	}
	return out, nil
}
