package caldav

import (
	"bytes"
	"encoding/xml"
	"net/http"
	"slices"
	"strconv"

	"github.com/almanac/almanac/calendar"
	"github.com/almanac/almanac/store"
)

// mkcalendar answers MKCALENDAR (RFC 4791 §5.3.1).
func (h *Handler) mkcalendar(w http.ResponseWriter, r *http.Request, t *target) error {
	return h.makeCalendar(w, r, t, cdav("mkcalendar"), cdav("mkcalendar-response"))
}

// mkcol answers extended MKCOL (RFC 5689 §3); only calendars can be made.
func (h *Handler) mkcol(w http.ResponseWriter, r *http.Request, t *target) error {
	return h.makeCalendar(w, r, t, dav("mkcol"), dav("mkcol-response"))
}

func (h *Handler) makeCalendar(w http.ResponseWriter, r *http.Request, t *target, reqName, respName xml.Name) error {
	root, err := parseXML(r.Body)
	if err != nil {
		return err
	}
	if t.cal != nil {
		if reqName.Space == nsCalDAV {
			// RFC 4791 §5.3.1.2: a failed precondition, DAV:resource-must-be-null.
			return precondition(http.StatusForbidden, nsDAV, "resource-must-be-null", "a resource already exists here")
		}
		return store.ErrExists // RFC 4918 §9.3.1: 405 for MKCOL on a mapped URL
	}
	ops, err := creationProps(root, reqName)
	if err != nil {
		return err
	}
	if reqName.Space == nsDAV && !setsCalendarType(ops) {
		// RFC 5689 §3.3: DAV:valid-resourcetype; this server makes calendars only.
		return precondition(http.StatusForbidden, nsDAV, "valid-resourcetype", "only calendar collections can be created here")
	}
	// RFC 4791 §5.2.3: without supported-calendar-component-set, every type.
	e := newCalendarEdit(&store.Calendar{Name: t.calName, Components: slices.Clone(store.ComponentTypes)})
	if err := calendar.CheckCalendar(&store.Calendar{Name: t.calName, Components: e.cal.Components}); err != nil {
		return err // the URL's last segment is not a valid calendar name
	}
	for _, op := range ops {
		e.apply(op, true)
	}
	if !e.failed {
		e.check()
	}
	if e.failed {
		if reqName.Space == nsCalDAV {
			// RFC 4791 §5.3.1: the DAV:set is processed as in PROPPATCH
			// (RFC 2518 §12.13.2), whose failure is a 207 saying which
			// property failed and which were not tried; nothing is made.
			ms := newMultistatus(w, r)
			ms.response(t.href(), e.propstats()...)
			return ms.close("")
		}
		writeMkcolResponse(w, respName, e.propstats()) // RFC 5689 §3: 403
		return nil
	}
	if err := h.cals.CreateCalendarWithProperties(r.Context(), t.user, &e.cal, e.dead); err != nil {
		return err
	}
	w.Header().Set("Location", calendarHref(t.owner.Name, e.cal.Name))
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("Content-Length", "0")
	w.WriteHeader(http.StatusCreated)
	return nil
}

// mkcalendarNested refuses to make a collection inside a calendar
// collection or below one of its resources: RFC 4791 §4.2 forbids calendar
// collections at any depth of one, and it holds nothing but calendar
// object resources (CALDAV:calendar-collection-location-ok, §5.3.1.2).
func (h *Handler) mkcalendarNested(w http.ResponseWriter, r *http.Request, t *target) error {
	if t.cal == nil {
		// RFC 4918 §9.3.1: the parent collection does not exist.
		return davStatus(http.StatusConflict, "the parent collection does not exist")
	}
	return precondition(http.StatusForbidden, nsCalDAV, "calendar-collection-location-ok",
		"collections cannot be made inside a calendar collection")
}

// creationProps reads the DAV:set of a MKCALENDAR or extended MKCOL body;
// the body is optional.
func creationProps(root *node, reqName xml.Name) ([]propOp, error) {
	if root == nil {
		return nil, nil
	}
	if root.Name != reqName {
		return nil, badXML("expected %s", reqName.Local)
	}
	var ops []propOp
	for _, set := range root.Children {
		if !set.is(nsDAV, "set") {
			continue
		}
		for _, p := range set.Children {
			for _, x := range p.Children {
				ops = append(ops, propOp{prop: x})
			}
		}
	}
	return ops, nil
}

func setsCalendarType(ops []propOp) bool {
	for _, op := range ops {
		if op.prop.Name == pnResourceType {
			return true
		}
	}
	return false
}

// writeMkcolResponse reports which properties kept an extended MKCOL from
// making the collection (RFC 5689 §3.5).
func writeMkcolResponse(w http.ResponseWriter, name xml.Name, stats []propstat) {
	var b bytes.Buffer
	b.WriteString(xml.Header)
	tag := openTag(name)
	b.WriteString(tag[:len(tag)-1] + " " + rootNS + ">")
	for _, ps := range stats {
		b.WriteString("<D:propstat><D:prop>")
		for _, p := range ps.props {
			b.WriteString(emptyTag(p.name))
		}
		b.WriteString("</D:prop><D:status>HTTP/1.1 " + strconv.Itoa(ps.status) + " " + http.StatusText(ps.status) + "</D:status>")
		if ps.cond.Local != "" {
			b.WriteString("<D:error>" + emptyTag(ps.cond) + "</D:error>")
		}
		b.WriteString("</D:propstat>")
	}
	b.WriteString(closeTag(name))
	w.Header().Set("Content-Type", "application/xml; charset=utf-8")
	w.WriteHeader(http.StatusForbidden)
	_, _ = w.Write(b.Bytes())
}
