package caldav

import (
	"bytes"
	"context"
	"encoding/xml"
	"errors"
	"io"
	"mime"
	"net/http"
	"net/url"
	"strings"

	"github.com/almanac/almanac/httpserver"
	"github.com/almanac/almanac/scheduling"
	"github.com/almanac/almanac/store"
)

// Scheduling (RFC 6638): each user's schedule inbox, where the server
// files the iTIP messages it delivered to them (they may read and delete
// them), and schedule outbox, which takes free-busy requests. Invitations
// themselves need no client action: the server schedules every write
// (calendar-auto-schedule).

func inboxHref(user string) string { return Prefix + "/scheduling/" + url.PathEscape(user) + "/inbox/" }
func outboxHref(user string) string {
	return Prefix + "/scheduling/" + url.PathEscape(user) + "/outbox/"
}

var schedulingKinds = []kind{kindInbox, kindInboxItem, kindOutbox}

// registerSchedulingProps adds the scheduling collections to the live
// properties every resource has, and the properties of RFC 6638 §2 and §9.
func registerSchedulingProps() {
	for _, n := range []xml.Name{pnResourceType, pnCurrentUserPri, dav("principal-collection-set"), dav("owner"),
		dav("supported-report-set"), dav("supported-method-set")} {
		addKinds(n, schedulingKinds...)
	}
	for _, n := range []xml.Name{pnGetETag, dav("getcontenttype"), dav("getcontentlength"), pnCalendarData} {
		addKinds(n, kindInboxItem)
	}
	privs := liveProps[dav("current-user-privilege-set")]
	inner := privs.compute
	privs.kinds = append(privs.kinds, schedulingKinds...)
	privs.compute = func(h *Handler, ctx context.Context, rs *resource) (string, bool, error) {
		switch rs.kind {
		case kindInbox, kindInboxItem:
			// RFC 6638 §6.1: the owner reads and deletes; the server delivers.
			return priv("D", "read") + priv("D", "unbind") + priv("C", "schedule-deliver"), true, nil
		case kindOutbox:
			return priv("D", "read") + priv("C", "schedule-send"), true, nil
		}
		return inner(h, ctx, rs)
	}
	liveProps[dav("current-user-privilege-set")] = privs
	principal := []kind{kindPrincipal}
	liveProps[cdav("schedule-inbox-URL")] = liveProp{principal, false, fromResource(func(rs *resource) (string, bool) {
		return hrefXML(inboxHref(rs.owner.Name)), true
	}), false}
	liveProps[cdav("schedule-outbox-URL")] = liveProp{principal, false, fromResource(func(rs *resource) (string, bool) {
		return hrefXML(outboxHref(rs.owner.Name)), true
	}), false}
	liveProps[cdav("schedule-default-calendar-URL")] = liveProp{[]kind{kindInbox}, false, defaultCalendarURL, false}
	liveProps[cdav("schedule-tag")] = liveProp{[]kind{kindObject}, false, fromResource(func(rs *resource) (string, bool) {
		return escapeText(quoteETag(rs.obj.ScheduleTag)), rs.obj.ScheduleTag != ""
	}), false}
}

func addKinds(n xml.Name, kinds ...kind) {
	p := liveProps[n]
	p.kinds = append(p.kinds, kinds...)
	liveProps[n] = p
}

func priv(ns, name string) string { return "<D:privilege><" + ns + ":" + name + "/></D:privilege>" }

// defaultCalendarURL is where invitations land (RFC 6638 §9.2). A user
// without a calendar has none yet; the first invitation makes one.
func defaultCalendarURL(h *Handler, ctx context.Context, rs *resource) (string, bool, error) {
	c, err := scheduling.DefaultCalendarOf(ctx, h.st, rs.owner, "VEVENT")
	if errors.Is(err, store.ErrNotFound) {
		return "", false, nil
	} else if err != nil {
		return "", false, err
	}
	return hrefXML(calendarHref(rs.owner.Name, c.Name)), true, nil
}

// inboxResource turns an inbox message into the resource its properties
// are read from.
func inboxResource(t *target, it *store.InboxItem) *resource {
	comp := "VEVENT"
	if bytes.Contains(it.Data, []byte("BEGIN:VTODO")) {
		comp = "VTODO"
	}
	o := &store.Object{Name: it.Name, UID: it.UID, Component: comp, Data: it.Data, ETag: it.ETag, Size: len(it.Data),
		CreatedAt: it.CreatedAt, ModifiedAt: it.CreatedAt}
	return &resource{kind: kindInboxItem, href: inboxHref(t.owner.Name) + url.PathEscape(it.Name), user: t.user, owner: t.owner, obj: o}
}

func (h *Handler) inboxItemResource(ctx context.Context, t *target) (*resource, error) {
	it, err := h.st.GetInboxItem(ctx, t.owner.ID, t.objName)
	if err != nil {
		return nil, err
	}
	return inboxResource(t, it), nil
}

func (h *Handler) inboxMembers(ctx context.Context, t *target) ([]*resource, error) {
	items, err := h.st.ListInbox(ctx, t.owner.ID)
	if err != nil {
		return nil, err
	}
	out := make([]*resource, len(items))
	for i, it := range items {
		out[i] = inboxResource(t, it)
	}
	return out, nil
}

// getInboxItem answers GET of a scheduling message.
func (h *Handler) getInboxItem(w http.ResponseWriter, r *http.Request, t *target) error {
	it, err := h.st.GetInboxItem(r.Context(), t.owner.ID, t.objName)
	if err != nil {
		return err
	}
	w.Header().Set("ETag", quoteETag(it.ETag))
	w.Header().Set("Content-Type", "text/calendar; charset=utf-8")
	w.Header().Set("Cache-Control", "private, no-cache")
	http.ServeContent(w, r, "", it.CreatedAt, bytes.NewReader(it.Data))
	return nil
}

// deleteInboxItem lets the client discard a message it has seen (RFC 6638
// §4.2: the server has already applied it).
func (h *Handler) deleteInboxItem(w http.ResponseWriter, r *http.Request, t *target) error {
	if err := h.st.DeleteInboxItem(r.Context(), t.owner.ID, t.objName); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// postOutbox answers a free-busy request (RFC 6638 §5) with a
// CALDAV:schedule-response naming each recipient's status and busy time.
func (h *Handler) postOutbox(w http.ResponseWriter, r *http.Request, t *target) error {
	if h.sched == nil {
		return davStatus(http.StatusForbidden, "this server does not answer free-busy requests")
	}
	if mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type")); err != nil || mt != "text/calendar" {
		// RFC 6638 §5.1.1: CALDAV:supported-calendar-data.
		return precondition(http.StatusUnsupportedMediaType, nsCalDAV, "supported-calendar-data", "POST a text/calendar VFREEBUSY request")
	}
	data, err := io.ReadAll(io.LimitReader(r.Body, int64(h.cals.Limits().MaxResourceSize)+1))
	if err != nil {
		return err
	}
	results, err := h.sched.FreeBusy(r.Context(), h.cals, t.user, data)
	var bad *scheduling.ErrBadFreeBusy
	if errors.As(err, &bad) {
		// RFC 6638 §5.1.1: CALDAV:valid-scheduling-message, a failed
		// precondition and so 403 (RFC 4791 §1.3).
		return precondition(http.StatusForbidden, nsCalDAV, "valid-scheduling-message", bad.Reason)
	} else if err != nil {
		return err
	}
	var b strings.Builder
	b.WriteString(xml.Header + `<C:schedule-response xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:ns:caldav">`)
	for _, res := range results {
		b.WriteString("<C:response><C:recipient>" + hrefXML(res.Recipient) + "</C:recipient>")
		b.WriteString("<C:request-status>" + escapeText(res.Status) + "</C:request-status>")
		if res.Data != nil {
			b.WriteString("<C:calendar-data>" + escapeText(string(res.Data)) + "</C:calendar-data>")
		}
		b.WriteString("</C:response>")
	}
	b.WriteString("</C:schedule-response>")
	w.Header().Set("Content-Type", "application/xml; charset=utf-8")
	w.WriteHeader(http.StatusOK)
	if _, err := io.WriteString(w, b.String()); err != nil {
		httpserver.Logger(r.Context()).Debug("writing a schedule-response", "err", err)
	}
	return nil
}

// scheduleTagCondition reads If-Schedule-Tag-Match (RFC 6638 §3.3): the
// write goes ahead when the stored Schedule-Tag matches, even if the
// server has meanwhile merged answers into the resource.
func scheduleTagCondition(r *http.Request, c *store.Conditions) {
	if v := strings.TrimSpace(r.Header.Get("If-Schedule-Tag-Match")); v != "" {
		tag := strings.Trim(v, `"`)
		c.IfScheduleTagMatch = &tag
	}
}

func setScheduleTag(h http.Header, tag string) {
	if tag != "" {
		h.Set("Schedule-Tag", quoteETag(tag))
	}
}

// writeTags sets the ETag only when the server stored the bytes the client
// sent (RFC 4791 §5.3.4; scheduling adds SCHEDULE-STATUS and may keep
// answers, RFC 6638 §3.2.10), and the Schedule-Tag of a scheduling object.
func writeTags(h http.Header, res *store.WriteResult, sent []byte) {
	if res.ETag == store.ETagOf(sent) {
		h.Set("ETag", quoteETag(res.ETag))
	}
	setScheduleTag(h, res.ScheduleTag)
}
