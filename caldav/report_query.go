package caldav

import (
	"context"
	"errors"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/almanac/almanac/calendar"
	"github.com/almanac/almanac/icalendar"
	"github.com/almanac/almanac/store"
	"github.com/almanac/almanac/timezone"
)

// calendarQuery answers the calendar-query REPORT (RFC 4791 §7.8). A
// time-range on the top-level VEVENT is answered from the time-range index;
// objects are parsed only when the filter tests more than that.
func (h *Handler) calendarQuery(w http.ResponseWriter, r *http.Request, t *target, root *node) error {
	if !t.role.Can(calendar.ActRead) {
		return calendar.ErrForbidden
	}
	op, err := parseObjectProps(root)
	if err != nil {
		return err
	}
	f, err := parseFilter(root.child(nsCalDAV, "filter"))
	if err != nil {
		return err
	}
	if sub, ok := f.indexable(); ok && sub.simple() && op.direct() {
		tz, err := h.queryZone(root, t.cal)
		if err != nil {
			return err
		}
		return h.streamQuery(w, r, t, op, sub, tz)
	}
	p, err := h.planQuery(r.Context(), t, root, op, f)
	if err != nil {
		return err
	}
	ms := newMultistatus(w, r)
	if err := h.writeQuery(r.Context(), ms, p); err != nil {
		abort(r, err)
	}
	return ms.close("")
}

// queryPlan is a calendar-query on one calendar, ready to write: the
// candidate objects, their occurrences when calendar-data asks for them,
// and the test each object must pass.
type queryPlan struct {
	t    *target
	op   *objectProps
	ids  []int64
	occs map[int64][]calendar.Occurrence
	keep func(*store.Object) (bool, error)
}

// planQuery finds what a calendar-query on t may answer, before anything
// is written, so that an error is still a proper answer.
func (h *Handler) planQuery(ctx context.Context, t *target, root *node, op *objectProps, f *compFilter) (*queryPlan, error) {
	tz, err := h.queryZone(root, t.cal)
	if err != nil {
		return nil, err
	}
	ids, skip, err := h.candidates(ctx, t, f, tz)
	if err != nil {
		return nil, err
	}
	occs, err := h.occurrencesByObject(ctx, t, op.occurrenceRange(), tz)
	if err != nil {
		return nil, err
	}
	return &queryPlan{t: t, op: op, ids: ids, occs: occs, keep: h.queryFilter(f, skip, tz)}, nil
}

func (h *Handler) writeQuery(ctx context.Context, ms *multistatus, p *queryPlan) error {
	return h.writeObjects(ctx, ms, p.t, p.op, p.ids, p.occs, p.keep)
}

// streamQuery answers the most common calendar-query, a time-range on
// VEVENT asking for ETags and data, straight from one index scan joined
// with the objects: rows are written to the client as they are read, and
// nothing is parsed.
func (h *Handler) streamQuery(w http.ResponseWriter, r *http.Request, t *target, op *objectProps, sub *compFilter, tz *time.Location) error {
	from, to := h.clamp(sub.timeRange)
	var ms *multistatus
	err := h.cals.EachOverlapping(r.Context(), t.user, t.cal, from, to, tz, func(o *store.Object) error {
		if ms == nil {
			ms = newMultistatus(w, r)
		}
		if o.Component == sub.name {
			ms.objectResponse(objectHref(t.owner.Name, t.calName, o.Name), o, op.req.names)
		}
		return nil
	})
	switch {
	case err != nil && ms == nil:
		return err // nothing written yet: a proper error answer
	case err != nil:
		abort(r, err)
	case ms == nil:
		ms = newMultistatus(w, r)
	}
	return ms.close("")
}

// candidates returns the ids of the objects that may match: from the index
// when the filter's time-range allows, else every object of the calendar.
// skip is the component filter whose time-range the index has answered.
func (h *Handler) candidates(ctx context.Context, t *target, f *compFilter, tz *time.Location) ([]int64, *compFilter, error) {
	if sub, ok := f.indexable(); ok {
		from, to := h.clamp(sub.timeRange)
		ids, err := h.cals.ObjectsOverlapping(ctx, t.user, t.cal, from, to, tz)
		if err != nil {
			return nil, nil, err
		}
		return ids, sub, nil
	}
	objs, err := h.st.ListObjects(ctx, t.cal.ID, false)
	if err != nil {
		return nil, nil, err
	}
	ids := make([]int64, 0, len(objs))
	for _, o := range objs {
		if componentMayMatch(f, o.Component) {
			ids = append(ids, o.ID)
		}
	}
	return ids, nil, nil
}

// clamp bounds an open-ended time-range (DAVx5 sends a start only) to the
// widest window the service answers, counted from the bound that is given.
func (h *Handler) clamp(tr *timeRange) (time.Time, time.Time) {
	span := h.cals.Limits().MaxQuerySpan
	from, to := tr.from(), tr.to()
	switch {
	case to.Sub(from) <= span:
	case tr.end.IsZero() && !tr.start.IsZero():
		to = from.Add(span)
	case tr.start.IsZero() && !tr.end.IsZero():
		from = to.Add(-span)
	}
	return from, to
}

// componentMayMatch rules out objects by their component type alone.
func componentMayMatch(f *compFilter, comp string) bool {
	for _, c := range f.comps {
		if !c.notDefined && c.name != comp && c.name != "VTIMEZONE" {
			return false
		}
	}
	return true
}

// queryFilter returns the per-object test, or nil when the candidates
// need no further test (the index and the component type decided).
func (h *Handler) queryFilter(f *compFilter, skip *compFilter, tz *time.Location) func(*store.Object) (bool, error) {
	return func(o *store.Object) (bool, error) {
		if !componentMayMatch(f, o.Component) {
			return false, nil
		}
		if skip != nil && skip.simple() {
			return true, nil
		}
		if skip == nil && trivial(f) {
			return true, nil
		}
		// The index answered the time-range, but the other tests must hold
		// for an instance in it (RFC 4791 §9.7.1): all are tested again.
		return matchObject(f, o.Data, tz, h.cals.RecurrenceLimits()), nil
	}
}

// trivial reports whether the filter only names component types, which
// componentMayMatch has checked.
func trivial(f *compFilter) bool {
	if len(f.props) > 0 {
		return false
	}
	for _, c := range f.comps {
		if c.notDefined || c.timeRange != nil || !c.simple() {
			return false
		}
	}
	return true
}

// queryZone is the zone for floating and all-day values: the query's
// CALDAV:timezone (RFC 4791 §9.8) or timezone-id (RFC 7809 §5.2), else the
// calendar's, else UTC. A zone the server cannot use is refused rather
// than silently replaced, which would move every floating instance: RFC
// 4791 §7.8 names CALDAV:valid-calendar-data for a CALDAV:timezone that is
// not "a valid iCalendar object containing a single valid VTIMEZONE
// component", and RFC 7809 §5.2 CALDAV:valid-timezone for a timezone-id
// the server does not know; both are preconditions, so 403 (RFC 4791
// §1.3).
func (h *Handler) queryZone(root *node, cal *store.Calendar) (*time.Location, error) {
	if n := root.child(nsCalDAV, "timezone"); n != nil {
		loc, err := timezoneElement(n.Text)
		if err != nil {
			return nil, precondition(http.StatusForbidden, nsCalDAV, "valid-calendar-data", "CALDAV:timezone: "+err.Error())
		}
		return loc, nil
	}
	if n := root.child(nsCalDAV, "timezone-id"); n != nil {
		name := strings.TrimSpace(n.Text)
		loc, ok := timezone.Lookup(name)
		if !ok {
			return nil, precondition(http.StatusForbidden, nsCalDAV, "valid-timezone", "CALDAV:timezone-id: unknown time zone "+strconv.Quote(name))
		}
		return loc, nil
	}
	return calendarZone(cal), nil
}

// timezoneElement reads the zone of a CALDAV:timezone: a VCALENDAR that
// passes strict validation and holds one VTIMEZONE and nothing else, whose
// TZID is a known name (IANA, Windows, Mozilla prefixes) or whose
// definition gives a usable zone, as for TZIDs in stored data.
func timezoneElement(text string) (*time.Location, error) {
	c, err := icalendar.Parse([]byte(text))
	if err != nil {
		return nil, err
	}
	if err := c.Validate(icalendar.Options{Strict: true}); err != nil {
		return nil, err
	}
	if len(c.Children) != 1 || c.Children[0].Name != "VTIMEZONE" {
		return nil, errors.New("must hold exactly one VTIMEZONE and no other component")
	}
	for tzid := range c.Timezones() {
		return c.Location(tzid)
	}
	return nil, errors.New("the VTIMEZONE has no TZID")
}
