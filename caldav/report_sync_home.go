package caldav

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"strings"

	"github.com/almanac/almanac/calendar"
	"github.com/almanac/almanac/store"
)

// collectionToken is DAV:sync-token (RFC 6578 §4) and CS:getctag of a
// calendar, a calendar home or a schedule inbox: each changes whenever a
// member does.
func collectionToken(h *Handler, ctx context.Context, rs *resource) (string, bool, error) {
	switch rs.kind {
	case kindCalendar:
		return escapeText(calendarToken(rs.cal, rs.cal.Revision)), true, nil
	case kindInbox:
		rev, err := h.st.InboxRevision(ctx, rs.owner.ID)
		return escapeText(inboxToken(rs.owner, rev)), err == nil, err
	}
	entries, _, err := h.homeEntries(ctx, rs.user)
	return escapeText(homeToken(entries)), err == nil, err
}

// homeCalendar is a calendar as it appears in the caller's home.
type homeCalendar struct {
	target *target
	entry  homeEntry
}

// homeEntries lists the calendars of the caller's home (their own and
// those shared with them, under the share's name).
func (h *Handler) homeEntries(ctx context.Context, u *store.User) ([]homeEntry, []homeCalendar, error) {
	vis, err := h.cals.Calendars(ctx, u)
	if err != nil {
		return nil, nil, err
	}
	entries := make([]homeEntry, 0, len(vis))
	cals := make([]homeCalendar, 0, len(vis))
	for _, v := range vis {
		t := &target{kind: kindCalendar, user: u, owner: u, cal: v.Calendar, role: v.Role, share: v.Share, calName: v.Name}
		if v.Share != nil {
			t.calName, t.cal = v.Share.Name, shareView(v.Calendar, v.Share)
		}
		e := homeEntry{uuid: v.UUID, rev: v.Revision, name: t.calName}
		entries = append(entries, e)
		cals = append(cals, homeCalendar{target: t, entry: e})
	}
	return entries, cals, nil
}

// syncHome answers sync-collection on a calendar home (RFC 6578 §3):
// calendars made, changed or removed since the token; with sync-level
// infinite also the objects changed in each, as each calendar's own sync
// would report them. A calendar whose only changes are to its objects is
// not itself reported at that level.
func (h *Handler) syncHome(w http.ResponseWriter, r *http.Request, t *target, root *node) error {
	infinite, err := syncLevel(r, root)
	if err != nil {
		return err
	}
	prev, err := parseHomeToken(root.child(nsDAV, "sync-token").textOr(""))
	if err != nil {
		return err
	}
	op, err := parseObjectProps(root)
	if err != nil {
		return err
	}
	ctx := r.Context()
	entries, cals, err := h.homeEntries(ctx, t.user)
	if err != nil {
		return err
	}
	known := make(map[string]homeEntry, len(prev))
	for _, e := range prev {
		known[e.name] = e
	}
	ms := newMultistatus(w, r)
	for _, c := range cals {
		old, had := known[c.entry.name]
		delete(known, c.entry.name)
		if err := h.syncHomeCalendar(r, ms, c, old, had, infinite, op); err != nil {
			if errors.Is(err, store.ErrInvalidSyncToken) && !ms.started() {
				return err
			}
			abort(r, err)
		}
	}
	for name := range known {
		ms.status(calendarHref(t.owner.Name, name), http.StatusNotFound)
	}
	return ms.close(homeToken(entries))
}

// syncHomeCalendar reports one calendar of a home sync, and its changed
// objects when the level is infinite. old is the calendar the token
// remembers under the same name, if had.
func (h *Handler) syncHomeCalendar(r *http.Request, ms *multistatus, c homeCalendar, old homeEntry, had, infinite bool, op *objectProps) error {
	ct := c.target
	since, fresh := old.rev, !had || old.uuid != ct.cal.UUID
	if fresh {
		since = 0 // new, or another calendar under an old name
	} else if since == ct.cal.Revision {
		return nil
	}
	var changes []store.Change
	if infinite && ct.role.Can(calendar.ActRead) {
		var err error
		if changes, _, err = h.st.ChangesSince(r.Context(), ct.cal.ID, since, 0); err != nil {
			return err
		}
	}
	// At level 1 a changed calendar is a changed member; at infinite, only
	// when something besides its objects changed (its properties).
	if fresh || !infinite || lastRevision(changes) < ct.cal.Revision {
		if err := h.writeCalendarMember(r.Context(), ms, ct, op); err != nil {
			return err
		}
	}
	return h.writeChanges(r, ms, ct, op, changes)
}

func lastRevision(changes []store.Change) int64 {
	var last int64
	for _, c := range changes {
		last = max(last, c.Revision)
	}
	return last
}

// writeCalendarMember writes a calendar's response in a home sync with
// the properties asked for (the calendar-data of a report names none of a
// collection's).
func (h *Handler) writeCalendarMember(ctx context.Context, ms *multistatus, t *target, op *objectProps) error {
	rs := &resource{kind: kindCalendar, href: calendarHref(t.owner.Name, t.calName), user: t.user, owner: t.owner,
		cal: t.cal, role: t.role, share: t.share}
	req := &propRequest{allprop: op.req.allprop, propname: op.req.propname}
	for _, n := range op.req.names {
		if n != pnCalendarData {
			req.names = append(req.names, n)
		}
	}
	if req.needsDead() {
		if err := h.loadDead(ctx, rs); err != nil {
			return err
		}
	}
	stats, err := h.props(ctx, rs, req)
	if err != nil {
		return err
	}
	ms.responseOK(rs.href, stats)
	return nil
}

// syncInbox answers sync-collection on the schedule inbox (RFC 6578 §3,
// RFC 6638 §2.2): the messages delivered or deleted since the token.
func (h *Handler) syncInbox(w http.ResponseWriter, r *http.Request, t *target, root *node) error {
	if _, err := syncLevel(r, root); err != nil {
		return err
	}
	since, err := parseInboxToken(t.owner, root.child(nsDAV, "sync-token").textOr(""))
	if err != nil {
		return err
	}
	op, err := parseObjectProps(root)
	if err != nil {
		return err
	}
	ctx := r.Context()
	changes, rev, err := h.st.InboxChangesSince(ctx, t.owner.ID, since)
	if err != nil {
		return err
	}
	ms := newMultistatus(w, r)
	for _, c := range changes {
		href := inboxHref(t.owner.Name) + url.PathEscape(c.Name)
		it, err := h.st.GetInboxItem(ctx, t.owner.ID, c.Name)
		if c.Deleted || errors.Is(err, store.ErrNotFound) {
			ms.status(href, http.StatusNotFound)
			continue
		}
		if err != nil {
			abort(r, err)
		}
		stats, err := h.props(ctx, inboxResource(t, it), op.req)
		if err != nil {
			abort(r, err)
		}
		ms.responseOK(href, stats)
	}
	return ms.close(inboxToken(t.owner, rev))
}

// inboxMultiget answers calendar-multiget on the schedule inbox (RFC 4791
// §7.9 names any collection): the messages the hrefs name.
func (h *Handler) inboxMultiget(w http.ResponseWriter, r *http.Request, t *target, root *node) error {
	op, err := parseObjectProps(root)
	if err != nil {
		return err
	}
	hrefs, err := multigetHrefs(root)
	if err != nil {
		return err
	}
	ctx := r.Context()
	ms := newMultistatus(w, r)
	base := inboxHref(t.owner.Name)
	for _, href := range hrefs {
		p := href
		if u, err := url.Parse(href); err == nil {
			p = u.EscapedPath()
		}
		name, err := url.PathUnescape(strings.TrimPrefix(p, base))
		if err != nil || !strings.HasPrefix(p, base) || name == "" || strings.Contains(name, "/") {
			ms.status(href, http.StatusNotFound)
			continue
		}
		it, err := h.st.GetInboxItem(ctx, t.owner.ID, name)
		if errors.Is(err, store.ErrNotFound) {
			ms.status(href, http.StatusNotFound)
			continue
		} else if err != nil {
			abort(r, err)
		}
		stats, err := h.props(ctx, inboxResource(t, it), op.req)
		if err != nil {
			abort(r, err)
		}
		ms.responseOK(href, stats)
	}
	return ms.close("")
}
