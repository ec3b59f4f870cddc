package caldav

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"strings"

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

// syncInbox answers sync-collection on the schedule inbox (RFC 6578 §3,
// RFC 6638 §2.2): the messages delivered or deleted since the token.
func (h *Handler) syncInbox(w http.ResponseWriter, r *http.Request, t *target, root *node) error {
	since, op, err := parseSync(r, root, func(tok string) (int64, error) { return parseInboxToken(t.owner, tok) })
	if err != nil {
		return err
	}
	changes, rev, err := h.st.InboxChangesSince(r.Context(), t.owner.ID, since)
	if err != nil {
		return err
	}
	ms := newMultistatus(w, r)
	for _, c := range changes {
		name := c.Name
		if c.Deleted {
			name = "" // a tombstone: 404 without a look
		}
		if err := h.writeInboxItem(r.Context(), ms, t, op, inboxHref(t.owner.Name)+url.PathEscape(c.Name), name); err != nil {
			abort(r, err)
		}
	}
	return ms.close(inboxToken(t.owner, rev))
}

// writeInboxItem writes the inbox message name at href with the
// properties asked for, or 404 when there is none (name empty: known gone).
func (h *Handler) writeInboxItem(ctx context.Context, ms *multistatus, t *target, op *objectProps, href, name string) error {
	if name == "" {
		ms.status(href, http.StatusNotFound)
		return nil
	}
	it, err := h.st.GetInboxItem(ctx, t.owner.ID, name)
	if errors.Is(err, store.ErrNotFound) {
		ms.status(href, http.StatusNotFound)
		return nil
	} else if err != nil {
		return err
	}
	stats, err := h.props(ctx, inboxResource(t, it), op.req)
	if err != nil {
		return err
	}
	ms.responseOK(href, stats)
	return nil
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
		if err != nil || !strings.HasPrefix(p, base) || strings.Contains(name, "/") {
			name = ""
		}
		if err := h.writeInboxItem(ctx, ms, t, op, href, name); err != nil {
			abort(r, err)
		}
	}
	return ms.close("")
}
