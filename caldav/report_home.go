package caldav

import (
	"context"
	"net/http"

	"github.com/almanac/almanac/calendar"
	"github.com/almanac/almanac/store"
)

// Reports on a calendar home apply to the calendars in it (RFC 4791
// §7.1: on a collection that is not a calendar, a report covers the
// calendar collections within the scope of its Depth), each read in its
// own zone.

// homeCalendars lists the calendars of the caller's home that a report
// with the request's Depth covers: none for Depth 0.
func (h *Handler) homeCalendars(ctx context.Context, r *http.Request, t *target, act calendar.Action) ([]*target, error) {
	if r.Header.Get("Depth") == "0" {
		return nil, nil
	}
	_, cals, err := h.homeEntries(ctx, t.user)
	if err != nil {
		return nil, err
	}
	var out []*target
	for _, c := range cals {
		if c.target.role.Can(act) {
			out = append(out, c.target)
		}
	}
	return out, nil
}

// homeQuery answers calendar-query on a calendar home: the matching
// objects of each calendar in it.
func (h *Handler) homeQuery(w http.ResponseWriter, r *http.Request, t *target, root *node) error {
	op, err := parseObjectProps(root)
	if err != nil {
		return err
	}
	f, err := parseFilter(root.child(nsCalDAV, "filter"))
	if err != nil {
		return err
	}
	ctx := r.Context()
	cals, err := h.homeCalendars(ctx, r, t, calendar.ActRead)
	if err != nil {
		return err
	}
	plans := make([]*queryPlan, 0, len(cals))
	for _, ct := range cals {
		p, err := h.planQuery(ctx, ct, root, op, f)
		if err != nil {
			return err
		}
		plans = append(plans, p)
	}
	ms := newMultistatus(w, r)
	for _, p := range plans {
		if err := h.writeQuery(ctx, ms, p); err != nil {
			abort(r, err)
		}
	}
	return ms.close("")
}

// homeFreeBusy answers free-busy-query on a calendar home: the busy time
// of all the calendars in it the caller may see free/busy of, merged.
func (h *Handler) homeFreeBusy(w http.ResponseWriter, r *http.Request, t *target, root *node) error {
	tr, err := freeBusyRange(root)
	if err != nil {
		return err
	}
	cals, err := h.homeCalendars(r.Context(), r, t, calendar.ActFreeBusy)
	if err != nil {
		return err
	}
	busy := map[string][]period{}
	for _, ct := range cals {
		if err := h.addBusy(r.Context(), busy, ct.user, ct.cal, tr); err != nil {
			return err
		}
	}
	writeFreeBusy(w, tr, busy)
	return nil
}

// addBusy adds a calendar's busy periods within tr, by FBTYPE.
func (h *Handler) addBusy(ctx context.Context, busy map[string][]period, u *store.User, cal *store.Calendar, tr *timeRange) error {
	occs, err := h.cals.Instances(ctx, u, cal, tr.from(), tr.to(), calendarZone(cal))
	if err != nil {
		return err
	}
	comps, err := h.st.ComponentsOf(ctx, cal.ID, objectIDs(occs))
	if err != nil {
		return err
	}
	for _, o := range occs {
		fbtype, ok := fbType(o, comps[o.ObjectID])
		if !ok {
			continue
		}
		p := period{maxTime(o.Start, tr.from()), minTime(o.End, tr.to())}
		if p.end.After(p.start) {
			busy[fbtype] = append(busy[fbtype], p)
		}
	}
	return nil
}
