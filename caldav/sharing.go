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

// Calendar sharing over CalDAV.
//
// A calendar shared with a user appears in that user's calendar home under
// the name the share gives it (store.Share.Name), with the owner's events
// and the sharee's own display name, colour and order. Two protocols
// describe sharing, and clients use one or the other:
//
//   - CalendarServer's sharing extension (caldav-sharing, the
//     "calendarserver.org" namespace), which Apple Calendar uses: the
//     CS:invite and CS:allowed-sharing-modes properties, CS:shared in the
//     sharee's resourcetype, and a POST of CS:share to the calendar to add
//     and remove sharees.
//   - draft-pot-webdav-resource-sharing: the DAV:share-access and DAV:invite
//     properties, and a POST of DAV:share-resource.
//
// Both are served. Shares take effect at once, as in Google Calendar: the
// invitation round trip of both protocols (invite notifications and
// replies) is not needed, so CS:invite reports every sharee as accepted.
// Deleting the shared collection from the sharee's home leaves the share.

// sharedAt finds the calendar shared with u under name in u's home.
func (h *Handler) sharedAt(ctx context.Context, u *store.User, name string) (*store.Calendar, calendar.Role, *store.Share, error) {
	sh, err := h.st.GetShareByName(ctx, u.ID, name)
	if err != nil {
		return nil, calendar.RoleNone, nil, err
	}
	cal, err := h.st.GetCalendar(ctx, sh.CalendarID)
	if err != nil {
		return nil, calendar.RoleNone, nil, err
	}
	role, err := h.cals.RoleOf(ctx, u, cal)
	if err != nil || role == calendar.RoleNone {
		return nil, calendar.RoleNone, nil, store.ErrNotFound
	}
	return shareView(cal, sh), role, sh, nil
}

// shareView is the calendar as the sharee sees it: their own name, colour
// and order for it. It is a copy; the owner's calendar is not changed.
func shareView(cal *store.Calendar, sh *store.Share) *store.Calendar {
	v := *cal
	v.DisplayName, v.Color, v.Order = sh.DisplayName, sh.Color, sh.Order
	return &v
}

// ownerProp is DAV:owner: the owner of the calendar, which for a shared
// calendar is not the owner of the home it appears in.
func ownerProp(h *Handler, ctx context.Context, rs *resource) (string, bool, error) {
	if rs.share == nil || rs.cal == nil {
		return hrefXML(principalHref(rs.owner.Name)), true, nil
	}
	o, err := h.st.GetUser(ctx, rs.cal.OwnerID)
	if err != nil {
		return "", false, err
	}
	return hrefXML(principalHref(o.Name)), true, nil
}

func registerSharingProps() {
	onCalendars := []kind{kindCalendar}
	liveProps[cs("allowed-sharing-modes")] = liveProp{onCalendars, false, fromResource(func(rs *resource) (string, bool) {
		if rs.share != nil || !rs.role.Can(calendar.ActShare) {
			return "", true
		}
		return "<CS:can-be-shared/>", true
	}), false}
	liveProps[cs("invite")] = liveProp{onCalendars, false, csInvite, false}
	liveProps[dav("invite")] = liveProp{onCalendars, false, davInvite, false}
	liveProps[dav("share-access")] = liveProp{onCalendars, false, shareAccess, false}
}

// sharee is one user a calendar is shared with, for the properties.
type sharee struct {
	user *store.User
	role calendar.Role
}

// sharees lists who a calendar is shared with; only its readers may know.
func (h *Handler) sharees(ctx context.Context, rs *resource) (owner *store.User, list []sharee, err error) {
	if rs.cal == nil || !rs.role.Can(calendar.ActRead) {
		return nil, nil, nil
	}
	collab, err := h.cals.Collaborators(ctx, rs.user, rs.cal)
	if err != nil {
		return nil, nil, err
	}
	for _, c := range collab {
		if c.Owner {
			owner = c.User
		} else {
			list = append(list, sharee{c.User, c.Role})
		}
	}
	return owner, list, nil
}

func commonName(u *store.User) string {
	if u.DisplayName != "" {
		return u.DisplayName
	}
	return u.Name
}

// csInvite is CalendarServer's CS:invite: the owner and every sharee with
// their access. Free/busy sharees are listed as readers, which is the
// closest the extension has, marked with an Almanac element.
func csInvite(h *Handler, ctx context.Context, rs *resource) (string, bool, error) {
	owner, list, err := h.sharees(ctx, rs)
	if err != nil || owner == nil || len(list) == 0 {
		return "", err == nil && owner != nil, err
	}
	var b strings.Builder
	b.WriteString("<CS:organizer>" + hrefXML("mailto:"+owner.Email) + "<CS:common-name>" + escapeText(commonName(owner)) + "</CS:common-name></CS:organizer>")
	for _, s := range list {
		access := "<CS:read/>"
		if s.role.Can(calendar.ActWrite) {
			access = "<CS:read-write/>"
		}
		b.WriteString("<CS:user>" + hrefXML("mailto:"+s.user.Email) + "<CS:common-name>" + escapeText(commonName(s.user)) +
			"</CS:common-name><CS:invite-accepted/><CS:access>" + access + "</CS:access>")
		if s.role == calendar.RoleFreeBusy {
			b.WriteString(`<A:free-busy-only xmlns:A="` + nsAlmanac + `"/>`)
		}
		b.WriteString("</CS:user>")
	}
	return b.String(), true, nil
}

// davInvite is draft-pot-webdav-resource-sharing's DAV:invite.
func davInvite(h *Handler, ctx context.Context, rs *resource) (string, bool, error) {
	owner, list, err := h.sharees(ctx, rs)
	if err != nil || owner == nil {
		return "", false, err
	}
	var b strings.Builder
	for _, s := range list {
		b.WriteString("<D:sharee>" + hrefXML("mailto:"+s.user.Email) + "<D:prop><D:displayname>" +
			escapeText(commonName(s.user)) + "</D:displayname></D:prop><D:share-access>" + accessElem(s.role) +
			"</D:share-access><D:invite-accepted/></D:sharee>")
	}
	return b.String(), true, nil
}

// shareAccess is DAV:share-access: how the caller holds the calendar.
func shareAccess(h *Handler, ctx context.Context, rs *resource) (string, bool, error) {
	if rs.share != nil {
		return accessElem(rs.role), true, nil
	}
	shares, err := h.st.ListShares(ctx, rs.cal.ID)
	if err != nil {
		return "", false, err
	}
	if len(shares) == 0 {
		return "<D:not-shared/>", true, nil
	}
	return "<D:shared-owner/>", true, nil
}

func accessElem(role calendar.Role) string {
	switch {
	case role.Can(calendar.ActWrite):
		return "<D:read-write/>"
	case role.Can(calendar.ActRead):
		return "<D:read/>"
	}
	return "<D:no-access/>"
}

// postCalendar answers POST to a calendar: a sharing request in either
// protocol. Everyone named must be a user of this server; the request is
// checked whole before anything changes.
func (h *Handler) postCalendar(w http.ResponseWriter, r *http.Request, t *target) error {
	if !t.role.Can(calendar.ActShare) || t.share != nil {
		return calendar.ErrForbidden
	}
	root, err := parseXML(r.Body)
	if err != nil {
		return err
	}
	var changes []shareChange
	switch {
	case root == nil:
		return badXML("POST needs a sharing request")
	case root.is(nsCS, "share"):
		changes, err = h.csShareChanges(r.Context(), root)
	case root.is(nsDAV, "share-resource"):
		changes, err = h.davShareChanges(r.Context(), root)
	default:
		return davStatus(http.StatusUnsupportedMediaType, "POST takes CS:share or DAV:share-resource")
	}
	if err != nil {
		return err
	}
	for _, c := range changes {
		if c.role == calendar.RoleNone {
			err = h.cals.Unshare(r.Context(), t.user, t.cal, c.user)
			if errors.Is(err, store.ErrNotFound) {
				err = nil // not shared with them: nothing to remove
			}
		} else {
			err = h.cals.Share(r.Context(), t.user, t.cal, c.user, c.role)
		}
		if err != nil {
			return err
		}
	}
	w.WriteHeader(http.StatusOK)
	return nil
}

// shareChange gives a user a role (RoleNone: takes their share away).
type shareChange struct {
	user *store.User
	role calendar.Role
}

// csShareChanges reads CS:share: CS:set with CS:read or CS:read-write, and
// CS:remove.
func (h *Handler) csShareChanges(ctx context.Context, root *node) ([]shareChange, error) {
	var out []shareChange
	for _, c := range root.Children {
		if !c.is(nsCS, "set") && !c.is(nsCS, "remove") {
			continue
		}
		u, err := h.shareeUser(ctx, c.child(nsDAV, "href"))
		if err != nil {
			return nil, err
		}
		role := calendar.RoleNone
		switch {
		case c.is(nsCS, "remove"):
		case c.child(nsCS, "read-write") != nil:
			role = calendar.RoleWriter
		default:
			role = calendar.RoleReader
		}
		out = append(out, shareChange{u, role})
	}
	return out, nil
}

// davShareChanges reads DAV:share-resource: DAV:sharee elements with a
// DAV:share-access of read, read-write or no-access.
func (h *Handler) davShareChanges(ctx context.Context, root *node) ([]shareChange, error) {
	var out []shareChange
	for _, c := range root.Children {
		if !c.is(nsDAV, "sharee") {
			continue
		}
		u, err := h.shareeUser(ctx, c.child(nsDAV, "href"))
		if err != nil {
			return nil, err
		}
		role := calendar.RoleNone
		if acc := c.child(nsDAV, "share-access"); acc != nil {
			switch {
			case acc.child(nsDAV, "read-write") != nil:
				role = calendar.RoleWriter
			case acc.child(nsDAV, "read") != nil:
				role = calendar.RoleReader
			}
		}
		out = append(out, shareChange{u, role})
	}
	return out, nil
}

// shareeUser finds the user a sharing request names: a mailto: address or
// a principal URL of this server.
func (h *Handler) shareeUser(ctx context.Context, href *node) (*store.User, error) {
	if href == nil {
		return nil, badXML("each sharee needs a DAV:href")
	}
	v := strings.TrimSpace(href.Text)
	var (
		u   *store.User
		err error
	)
	if addr, ok := cutPrefixFold(v, "mailto:"); ok {
		u, err = h.st.GetUserByEmail(ctx, strings.ToLower(addr))
	} else if p, perr := url.Parse(v); perr == nil {
		name, found := strings.CutPrefix(strings.TrimSuffix(p.Path, "/"), Prefix+"/principals/")
		if !found {
			return nil, precondition(http.StatusForbidden, nsCS, "valid-sharee", v+" is not a user of this server")
		}
		u, err = h.st.GetUserByName(ctx, name)
	}
	if errors.Is(err, store.ErrNotFound) || (err == nil && u == nil) {
		return nil, precondition(http.StatusForbidden, nsCS, "valid-sharee", v+" is not a user of this server")
	}
	return u, err
}

func cutPrefixFold(s, prefix string) (string, bool) {
	if len(s) >= len(prefix) && strings.EqualFold(s[:len(prefix)], prefix) {
		return s[len(prefix):], true
	}
	return s, false
}

// sharedProppatch changes what a sharee may change of a calendar shared
// with them: their own display name, colour and order. Everything else is
// the owner's and refused; as for every PROPPATCH, all or nothing.
func (h *Handler) sharedProppatch(w http.ResponseWriter, r *http.Request, t *target, ops []propOp) error {
	e := newCalendarEdit(t.cal)
	for _, op := range ops {
		switch op.prop.Name {
		case pnDisplayName, pnColor, pnOrder:
			e.apply(op, false)
		default:
			e.result(op.prop.Name, http.StatusForbidden, dav("need-privileges"))
		}
	}
	if !e.failed {
		if err := h.cals.UpdateView(r.Context(), t.user, t.cal, e.cal.DisplayName, e.cal.Color, e.cal.Order); err != nil {
			return err
		}
	}
	ms := newMultistatus(w, r)
	ms.response(t.href(), e.propstats()...)
	return ms.close("")
}

// leaveShared answers DELETE of a shared calendar in the sharee's home:
// the share ends; the owner's calendar stays.
func (h *Handler) leaveShared(w http.ResponseWriter, r *http.Request, t *target) error {
	if err := h.cals.Unshare(r.Context(), t.user, t.cal, t.user); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}
