package caldav

import (
	"encoding/xml"
	"errors"
	"net/http"
	"slices"
	"strconv"
	"strings"

	"github.com/almanac/almanac/calendar"
	"github.com/almanac/almanac/icalendar"
	"github.com/almanac/almanac/store"
)

// propOp is one set or remove of a PROPPATCH, in document order.
type propOp struct {
	remove bool
	prop   *node
}

func parsePropertyUpdate(root *node) ([]propOp, error) {
	if !root.is(nsDAV, "propertyupdate") {
		return nil, badXML("expected DAV:propertyupdate")
	}
	var ops []propOp
	for _, c := range root.Children {
		remove := c.is(nsDAV, "remove")
		if !remove && !c.is(nsDAV, "set") {
			continue
		}
		for _, p := range c.Children {
			if !p.is(nsDAV, "prop") {
				continue
			}
			for _, x := range p.Children {
				ops = append(ops, propOp{remove: remove, prop: x})
			}
		}
	}
	if len(ops) == 0 {
		return nil, badXML("DAV:propertyupdate sets or removes nothing")
	}
	return ops, nil
}

// calendarEdit collects the changes a PROPPATCH or MKCALENDAR makes to a
// calendar, so that they are validated first and written at once.
type calendarEdit struct {
	cal     store.Calendar
	dead    []store.DeadProperty
	results []propResult
	failed  bool
}

type propResult struct {
	name   xml.Name
	status int
	cond   xml.Name
}

func newCalendarEdit(c *store.Calendar) *calendarEdit {
	e := &calendarEdit{cal: *c}
	e.cal.Components = append([]string(nil), c.Components...)
	return e
}

func (e *calendarEdit) result(n xml.Name, status int, cond xml.Name) {
	e.results = append(e.results, propResult{n, status, cond})
	if status != http.StatusOK {
		e.failed = true
	}
}

var protectedCond = dav("cannot-modify-protected-property")

// apply records one property change; creating says whether the calendar is
// being created (MKCALENDAR may set what PROPPATCH may not).
func (e *calendarEdit) apply(op propOp, creating bool) {
	p := op.prop
	n := p.Name
	text := strings.TrimSpace(p.Text)
	if op.remove {
		text = ""
	}
	switch n {
	case pnDisplayName:
		e.cal.DisplayName = text
	case pnDescription:
		e.cal.Description = text
	case pnColor:
		e.cal.Color = text // Apple sends #RRGGBBAA, others #RRGGBB; both are kept
	case pnOrder:
		if text == "" {
			e.cal.Order = 0
		} else if v, err := strconv.Atoi(text); err == nil {
			e.cal.Order = v
		} else {
			e.result(n, http.StatusConflict, xml.Name{})
			return
		}
	case pnTimezone:
		if !e.setTimezone(p.Text, op.remove) {
			// RFC 4791 §5.2.2: one VCALENDAR with exactly one VTIMEZONE.
			e.result(n, http.StatusForbidden, cdav("valid-calendar-data"))
			return
		}
	case pnComponentSet, pnResourceType:
		if !creating || !e.setCreationOnly(p, op.remove) {
			e.result(n, http.StatusForbidden, protectedCond)
			return
		}
	default:
		if _, live := liveProps[n]; live || n.Space == nsAlmanac {
			e.result(n, http.StatusForbidden, protectedCond)
			return
		}
		d := store.DeadProperty{Namespace: n.Space, Name: n.Local}
		if !op.remove {
			var b strings.Builder
			p.serialize(&b)
			d.XML = b.String()
		}
		e.dead = append(e.dead, d)
	}
	e.result(n, http.StatusOK, xml.Name{})
}

// setTimezone takes a calendar-timezone value: the IANA zone of its TZID
// becomes the calendar's zone, and the text is kept to be returned as sent.
func (e *calendarEdit) setTimezone(text string, remove bool) bool {
	d := store.DeadProperty{Namespace: nsAlmanac, Name: tzTextProp}
	if remove {
		e.cal.TimeZone = ""
		e.dead = append(e.dead, d)
		return true
	}
	tzid, ok := vtimezoneID(text)
	if !ok {
		return false
	}
	if zone := ianaZone(text, tzid); zone != "" {
		e.cal.TimeZone = zone
	}
	d.XML = text
	e.dead = append(e.dead, d)
	return true
}

// ianaZone names the IANA zone a calendar-timezone stands for: its TZID
// when that is one, else what the timezone package maps it to (Windows
// names, Mozilla prefixes); "" when the definition matches no known zone.
func ianaZone(text, tzid string) string {
	if loadable(tzid) {
		return tzid
	}
	c, err := icalendar.Parse([]byte(text))
	if err != nil {
		return ""
	}
	if loc, err := c.Location(tzid); err == nil && loadable(loc.String()) {
		return loc.String()
	}
	return ""
}

// setCreationOnly handles the properties MKCALENDAR and extended MKCOL may
// set: the component set (RFC 4791 §5.3.1) and the resource type (RFC 5689).
func (e *calendarEdit) setCreationOnly(p *node, remove bool) bool {
	if remove {
		return false
	}
	if p.Name == pnResourceType {
		return p.child(nsDAV, "collection") != nil && p.child(nsCalDAV, "calendar") != nil
	}
	var comps []string
	for _, c := range p.Children {
		if c.is(nsCalDAV, "comp") {
			name, _ := c.attr("name")
			comps = append(comps, strings.ToUpper(name))
		}
	}
	if len(comps) == 0 {
		return false
	}
	e.cal.Components = comps
	return true
}

// check validates the edited calendar and marks the property at fault.
func (e *calendarEdit) check() {
	err := calendar.CheckCalendar(&e.cal)
	var inv *calendar.InvalidError
	if !errors.As(err, &inv) {
		return
	}
	fields := map[string]xml.Name{"display_name": pnDisplayName, "description": pnDescription,
		"color": pnColor, "time_zone": pnTimezone, "components": pnComponentSet}
	if n, ok := fields[inv.Field]; ok {
		for i := range e.results {
			if e.results[i].name == n {
				e.results[i].status = http.StatusConflict
				e.failed = true
				return
			}
		}
	}
	e.result(xml.Name{Space: nsAlmanac, Local: inv.Field}, http.StatusConflict, xml.Name{})
}

// propstats groups the results; after a failure every property that would
// have succeeded gets 424 Failed Dependency (RFC 4918 §9.2.1).
func (e *calendarEdit) propstats() []propstat {
	var out []propstat
	for _, r := range e.results {
		status := r.status
		if e.failed && status == http.StatusOK {
			status = http.StatusFailedDependency
		}
		i := slices.IndexFunc(out, func(ps propstat) bool { return ps.status == status && ps.cond == r.cond })
		if i < 0 {
			out = append(out, propstat{status: status, cond: r.cond})
			i = len(out) - 1
		}
		out[i].props = append(out[i].props, prop{name: r.name})
	}
	return out
}

// proppatch answers PROPPATCH (RFC 4918 §9.2): all changes or none.
func (h *Handler) proppatch(w http.ResponseWriter, r *http.Request, t *target) error {
	root, err := parseXML(r.Body)
	if err != nil {
		return err
	}
	if root == nil {
		return badXML("PROPPATCH needs a body")
	}
	ops, err := parsePropertyUpdate(root)
	if err != nil {
		return err
	}
	if t.kind == kindCalendar && t.cal == nil {
		return store.ErrNotFound
	}
	if t.share != nil {
		return h.sharedProppatch(w, r, t, ops)
	}
	if t.kind != kindCalendar || !t.role.Can(calendar.ActEditCalendar) {
		// Only calendars keep properties; elsewhere every change is refused.
		e := &calendarEdit{}
		for _, op := range ops {
			e.result(op.prop.Name, http.StatusForbidden, xml.Name{Space: nsDAV, Local: "need-privileges"})
		}
		ms := newMultistatus(w, r)
		ms.response(t.href(), e.propstats()...)
		return ms.close("")
	}
	e := newCalendarEdit(t.cal)
	for _, op := range ops {
		e.apply(op, false)
	}
	if !e.failed {
		e.check()
	}
	if !e.failed {
		if err := h.cals.UpdateCalendarWithProperties(r.Context(), t.user, &e.cal, e.dead); err != nil {
			return err
		}
	}
	ms := newMultistatus(w, r)
	ms.response(t.href(), e.propstats()...)
	return ms.close("")
}
