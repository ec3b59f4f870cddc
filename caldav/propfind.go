package caldav

import (
	"context"
	"encoding/xml"
	"net/http"

	"github.com/almanac/almanac/calendar"
	"github.com/almanac/almanac/store"
)

// propRequest is what a PROPFIND (or a report's DAV:prop) asks for.
type propRequest struct {
	allprop  bool
	propname bool
	names    []xml.Name // named properties, or allprop's DAV:include
}

// parsePropfind reads a PROPFIND body; an empty body means allprop
// (RFC 4918 §9.1).
func parsePropfind(root *node) (*propRequest, error) {
	if root == nil {
		return &propRequest{allprop: true}, nil
	}
	if !root.is(nsDAV, "propfind") {
		return nil, badXML("expected DAV:propfind, got %s", root.Name.Local)
	}
	req := &propRequest{}
	kinds := 0
	for _, c := range root.Children {
		switch {
		case c.is(nsDAV, "allprop"):
			req.allprop = true
			kinds++
		case c.is(nsDAV, "propname"):
			req.propname = true
			kinds++
		case c.is(nsDAV, "prop"), c.is(nsDAV, "include"):
			if c.is(nsDAV, "prop") {
				kinds++
			}
			for _, p := range c.Children {
				req.names = append(req.names, p.Name)
			}
		}
	}
	// RFC 4918 §14.20: exactly one of propname, allprop (with an optional
	// include) or prop.
	if kinds != 1 {
		return nil, badXML("DAV:propfind needs exactly one of DAV:prop, DAV:allprop or DAV:propname")
	}
	return req, nil
}

func (p *propRequest) wants(n xml.Name) bool {
	if p.allprop || p.propname {
		return false
	}
	for _, x := range p.names {
		if x == n {
			return true
		}
	}
	return false
}

// needsDead reports whether answering needs the stored dead properties.
func (p *propRequest) needsDead() bool {
	if p.allprop || p.propname {
		return true
	}
	for _, n := range p.names {
		if _, live := liveProps[n]; !live || n == pnTimezone {
			return true
		}
	}
	return false
}

// depth reads the Depth header. A missing header means infinity (RFC 4918
// §9.1), which this server refuses on collections.
func depth(r *http.Request) string {
	switch d := r.Header.Get("Depth"); d {
	case "0", "1":
		return d
	}
	return "infinity"
}

// propfind answers PROPFIND (RFC 4918 §9.1) with Depth 0 or 1.
func (h *Handler) propfind(w http.ResponseWriter, r *http.Request, t *target) error {
	root, err := parseXML(r.Body)
	if err != nil {
		return err
	}
	req, err := parsePropfind(root)
	if err != nil {
		return err
	}
	d := depth(r)
	if d == "infinity" && t.kind != kindObject && t.kind != kindInboxItem {
		// RFC 4918 §9.1: DAV:propfind-finite-depth.
		return precondition(http.StatusForbidden, nsDAV, "propfind-finite-depth", "Depth: infinity is not supported; use 0 or 1")
	}
	self, err := h.resourceOf(r.Context(), t, req)
	if err != nil {
		return err
	}
	var members []*resource
	if d == "1" {
		if members, err = h.members(r.Context(), t, req); err != nil {
			return err
		}
	}
	ctx := r.Context()
	if d == "0" && (self.cal != nil || self.obj != nil) {
		// As CalendarServer does: the time the resource last changed, for
		// clients that keep it from a PROPFIND as they would from a GET.
		if lm, ok := lastModified(self); ok {
			w.Header().Set("Last-Modified", lm)
		}
	}
	ms := newMultistatus(w, r)
	for _, rs := range append([]*resource{self}, members...) {
		stats, err := h.props(ctx, rs, req)
		if err != nil {
			abort(r, err)
		}
		ms.response(rs.href, stats...)
	}
	return ms.close("")
}

// resourceOf turns a target into the resource its properties are read
// from.
func (h *Handler) resourceOf(ctx context.Context, t *target, req *propRequest) (*resource, error) {
	rs := &resource{kind: t.kind, href: t.href(), user: t.user, owner: t.owner, cal: t.cal, role: t.role, share: t.share}
	switch t.kind {
	case kindCalendar:
		if t.cal == nil {
			return nil, store.ErrNotFound
		}
	case kindInboxItem:
		return h.inboxItemResource(ctx, t)
	case kindObject:
		if !t.role.Can(calendar.ActRead) {
			return nil, calendar.ErrForbidden
		}
		o, err := h.st.GetObject(ctx, t.cal.ID, t.objName)
		if err == nil {
			err = h.cals.ViewObjects(ctx, t.user, t.cal, []*store.Object{o})
		}
		if err != nil {
			return nil, err
		}
		rs.obj = o
	}
	if t.kind == kindCalendar && req.needsDead() {
		if err := h.loadDead(ctx, rs); err != nil {
			return nil, err
		}
	}
	return rs, nil
}

// members lists a collection's members for Depth: 1.
func (h *Handler) members(ctx context.Context, t *target, req *propRequest) ([]*resource, error) {
	switch t.kind {
	case kindHomes:
		// Only the caller's own home: other users' are not theirs to list.
		return []*resource{{kind: kindHome, href: homeHref(t.user.Name), user: t.user, owner: t.user}}, nil
	case kindHome:
		cals, err := h.cals.Calendars(ctx, t.user)
		if err != nil {
			return nil, err
		}
		out := make([]*resource, 0, len(cals))
		for _, c := range cals {
			name, cal := c.Name, c.Calendar
			if c.Share != nil {
				name, cal = c.Share.Name, shareView(c.Calendar, c.Share)
			}
			rs := &resource{kind: kindCalendar, href: calendarHref(t.owner.Name, name), user: t.user, owner: t.owner, cal: cal, role: c.Role, share: c.Share}
			if req.needsDead() {
				if err := h.loadDead(ctx, rs); err != nil {
					return nil, err
				}
			}
			out = append(out, rs)
		}
		return out, nil
	case kindCalendar:
		if !t.role.Can(calendar.ActRead) {
			return nil, nil // free-busy readers see the collection, not its members
		}
		objs, err := h.st.ListObjects(ctx, t.cal.ID, req.wants(pnCalendarData))
		if err == nil {
			err = h.cals.ViewObjects(ctx, t.user, t.cal, objs)
		}
		if err != nil {
			return nil, err
		}
		out := make([]*resource, len(objs))
		for i, o := range objs {
			out[i] = &resource{kind: kindObject, href: objectHref(t.owner.Name, t.calName, o.Name), user: t.user, owner: t.owner, cal: t.cal, role: t.role, share: t.share, obj: o}
		}
		return out, nil
	case kindInbox:
		return h.inboxMembers(ctx, t)
	}
	return nil, nil
}

// props computes the propstats of one resource for req.
func (h *Handler) props(ctx context.Context, rs *resource, req *propRequest) ([]propstat, error) {
	ok := propstat{status: http.StatusOK}
	missing := propstat{status: http.StatusNotFound}
	if req.propname {
		for n, lp := range liveProps {
			if has(lp.kinds, rs.kind) {
				ok.props = append(ok.props, prop{name: n})
			}
		}
		for _, d := range rs.dead {
			ok.props = append(ok.props, prop{name: xml.Name{Space: d.Namespace, Local: d.Name}})
		}
		sortProps(ok.props)
		return []propstat{ok}, nil
	}
	names := req.names
	if req.allprop {
		names = append(allpropNames(rs), req.names...)
	}
	seen := make(map[xml.Name]bool, len(names))
	for _, n := range names {
		if seen[n] {
			continue
		}
		seen[n] = true
		p, found, err := h.prop(ctx, rs, n)
		if err != nil {
			return nil, err
		}
		if found {
			ok.props = append(ok.props, p)
		} else if !req.allprop || inList(req.names, n) {
			missing.props = append(missing.props, prop{name: n})
		}
	}
	return []propstat{ok, missing}, nil
}

// prop computes one property: live first, then dead.
func (h *Handler) prop(ctx context.Context, rs *resource, n xml.Name) (prop, bool, error) {
	if lp, live := liveProps[n]; live && has(lp.kinds, rs.kind) {
		inner, ok, err := lp.compute(h, ctx, rs)
		if err != nil || ok {
			return prop{name: n, inner: inner}, ok, err
		}
	}
	for _, d := range rs.dead {
		if d.Namespace == n.Space && d.Name == n.Local {
			return prop{name: n, raw: d.XML}, true, nil
		}
	}
	return prop{}, false, nil
}

// loadDead reads a calendar's dead properties. The client's own
// calendar-timezone text is kept among them under our namespace, apart from
// what clients see as dead properties.
func (h *Handler) loadDead(ctx context.Context, rs *resource) error {
	all, err := h.st.CalendarProperties(ctx, rs.cal.ID)
	if err != nil {
		return err
	}
	for _, d := range all {
		if d.Namespace == nsAlmanac {
			if d.Name == tzTextProp {
				rs.tzText = d.XML
			}
			continue
		}
		rs.dead = append(rs.dead, d)
	}
	return nil
}

func allpropNames(rs *resource) []xml.Name {
	var out []xml.Name
	for n, lp := range liveProps {
		if lp.allprop && has(lp.kinds, rs.kind) {
			out = append(out, n)
		}
	}
	for _, d := range rs.dead {
		out = append(out, xml.Name{Space: d.Namespace, Local: d.Name})
	}
	sortNames(out)
	return out
}

func inList(list []xml.Name, n xml.Name) bool {
	for _, x := range list {
		if x == n {
			return true
		}
	}
	return false
}

// abort ends a response that has already started: the client must not
// take a truncated multistatus for a complete one, so the connection is
// cut after the error is logged.
func abort(r *http.Request, err error) {
	if r.Context().Err() == nil {
		logError(r, err)
	}
	panic(http.ErrAbortHandler)
}
