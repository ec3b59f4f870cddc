package caldav

import (
	"context"
	"encoding/xml"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/almanac/almanac/calendar"
	"github.com/almanac/almanac/store"
)

func dav(local string) xml.Name    { return xml.Name{Space: nsDAV, Local: local} }
func cdav(local string) xml.Name   { return xml.Name{Space: nsCalDAV, Local: local} }
func cs(local string) xml.Name     { return xml.Name{Space: nsCS, Local: local} }
func apple(local string) xml.Name  { return xml.Name{Space: nsApple, Local: local} }
func hrefXML(href string) string   { return "<D:href>" + escapeText(href) + "</D:href>" }
func quoteETag(etag string) string { return `"` + etag + `"` }

// Property names used in more than one place.
var (
	pnResourceType   = dav("resourcetype")
	pnDisplayName    = dav("displayname")
	pnGetETag        = dav("getetag")
	pnSyncToken      = dav("sync-token")
	pnCTag           = cs("getctag")
	pnCalendarData   = cdav("calendar-data")
	pnDescription    = cdav("calendar-description")
	pnTimezone       = cdav("calendar-timezone")
	pnComponentSet   = cdav("supported-calendar-component-set")
	pnColor          = apple("calendar-color")
	pnOrder          = apple("calendar-order")
	pnCurrentUserPri = dav("current-user-principal")
)

// resource is what properties are computed from: a resolved target, or a
// member of one listed with Depth: 1.
type resource struct {
	kind  kind
	href  string
	user  *store.User // the caller
	owner *store.User
	cal   *store.Calendar
	role  calendar.Role
	share *store.Share  // the caller's share when cal is another user's
	obj   *store.Object // for objects; Data may be nil
	dead  []store.DeadProperty
	// tzText is the calendar-timezone the client set, verbatim.
	tzText string
}

// tzTextProp names the stored calendar-timezone text (namespace nsAlmanac).
const tzTextProp = "calendar-timezone-text"

// liveProp computes one live property. ok false means the resource does not
// have it (404 in the propstat).
type liveProp struct {
	kinds    []kind
	allprop  bool // returned by allprop (RFC 4918 §9.1: not the expensive ones)
	compute  func(h *Handler, ctx context.Context, rs *resource) (inner string, ok bool, err error)
	writable bool // set by PROPPATCH (see proppatch.go); others are protected
}

var everything = []kind{kindRoot, kindPrincipals, kindHomes, kindPrincipal, kindHome, kindCalendar, kindObject}

func constant(s string) func(*Handler, context.Context, *resource) (string, bool, error) {
	return func(*Handler, context.Context, *resource) (string, bool, error) { return s, true, nil }
}

func fromResource(f func(rs *resource) (string, bool)) func(*Handler, context.Context, *resource) (string, bool, error) {
	return func(_ *Handler, _ context.Context, rs *resource) (string, bool, error) {
		s, ok := f(rs)
		return s, ok, nil
	}
}

// liveProps is every live property, with the resources that have it.
var liveProps map[xml.Name]liveProp

func init() {
	liveProps = map[xml.Name]liveProp{
		pnResourceType:                    {everything, true, fromResource(resourceType), false},
		pnDisplayName:                     {everything, true, fromResource(displayName), true},
		pnCurrentUserPri:                  {everything, false, fromResource(func(rs *resource) (string, bool) { return hrefXML(principalHref(rs.user.Name)), true }), false},
		dav("principal-URL"):              {[]kind{kindPrincipal}, true, fromResource(func(rs *resource) (string, bool) { return hrefXML(principalHref(rs.owner.Name)), true }), false},
		dav("principal-collection-set"):   {everything, false, constant(hrefXML(principalsHref())), false},
		dav("owner"):                      {[]kind{kindPrincipal, kindHome, kindCalendar, kindObject}, true, ownerProp, false},
		dav("alternate-URI-set"):          {[]kind{kindPrincipal}, false, constant(""), false},
		dav("group-membership"):           {[]kind{kindPrincipal}, false, constant(""), false},
		cdav("calendar-home-set"):         {[]kind{kindPrincipal}, false, fromResource(func(rs *resource) (string, bool) { return hrefXML(homeHref(rs.owner.Name)), true }), false},
		cdav("calendar-user-address-set"): {[]kind{kindPrincipal}, false, fromResource(userAddresses), false},
		cs("email-address-set"): {[]kind{kindPrincipal}, false, fromResource(func(rs *resource) (string, bool) {
			if rs.owner.VerifiedEmail() == "" {
				return "", true
			}
			return "<CS:email-address>" + escapeText(rs.owner.Email) + "</CS:email-address>", true
		}), false},
		cdav("calendar-user-type"):        {[]kind{kindPrincipal}, false, constant("INDIVIDUAL"), false},
		dav("supported-report-set"):       {everything, false, fromResource(supportedReports), false},
		dav("current-user-privilege-set"): {everything, false, fromResource(privileges), false},
		dav("getetag"):                    {[]kind{kindCalendar, kindObject}, true, fromResource(etag), false},
		// RFC 4918 §15.5: the Content-Type a GET returns.
		dav("getcontenttype"):           {[]kind{kindObject}, true, constant(objectContentType), false},
		dav("getcontentlength"):         {everything, true, fromResource(contentLength), false},
		dav("getlastmodified"):          {[]kind{kindCalendar, kindObject}, true, fromResource(lastModified), false},
		dav("creationdate"):             {[]kind{kindCalendar, kindObject}, true, fromResource(creationDate), false},
		pnSyncToken:                     {[]kind{kindCalendar, kindInbox}, true, collectionToken, false},
		pnCTag:                          {[]kind{kindCalendar, kindHome, kindInbox}, true, collectionToken, false},
		pnDescription:                   {[]kind{kindCalendar}, true, fromResource(description), true},
		pnTimezone:                      {[]kind{kindCalendar}, false, fromResource(calendarTimezone), true},
		pnColor:                         {[]kind{kindCalendar}, true, fromResource(func(rs *resource) (string, bool) { return escapeText(rs.cal.Color), rs.cal.Color != "" }), true},
		pnOrder:                         {[]kind{kindCalendar}, true, fromResource(func(rs *resource) (string, bool) { return strconv.Itoa(rs.cal.Order), true }), true},
		pnComponentSet:                  {[]kind{kindCalendar}, true, fromResource(componentSet), false},
		cdav("supported-calendar-data"): {[]kind{kindCalendar}, false, constant(`<C:calendar-data content-type="text/calendar" version="2.0"/>`), false},
		cdav("supported-collation-set"): {[]kind{kindCalendar}, false, constant(collationSet), false},
		cdav("max-resource-size"): {[]kind{kindCalendar}, false, func(h *Handler, _ context.Context, _ *resource) (string, bool, error) {
			return strconv.Itoa(h.cals.Limits().MaxResourceSize), true, nil
		}, false},
		// RFC 4791 §5.2.8: the bound behind the max-instances precondition.
		cdav("max-instances"): {[]kind{kindCalendar}, false, func(h *Handler, _ context.Context, _ *resource) (string, bool, error) {
			return strconv.Itoa(h.cals.RecurrenceLimits().MaxInstances), true, nil
		}, false},
		// RFC 4791 §5.2.9: the bound behind the max-attendees-per-instance
		// precondition, which the server holds the events it schedules to.
		// The inbox shows it too: it is where scheduling clients look.
		cdav("max-attendees-per-instance"): {[]kind{kindCalendar, kindInbox}, false, func(h *Handler, _ context.Context, _ *resource) (string, bool, error) {
			return strconv.Itoa(h.cals.Limits().MaxAttendees), true, nil
		}, false},
		// RFC 4791 §5.2.6, §5.2.7: the bounds behind the min-date-time and
		// max-date-time preconditions.
		cdav("min-date-time"): {[]kind{kindCalendar}, false, func(h *Handler, _ context.Context, _ *resource) (string, bool, error) {
			return h.cals.Limits().MinDateTime.UTC().Format(utcDateTime), true, nil
		}, false},
		cdav("max-date-time"): {[]kind{kindCalendar}, false, func(h *Handler, _ context.Context, _ *resource) (string, bool, error) {
			return h.cals.Limits().MaxDateTime.UTC().Format(utcDateTime), true, nil
		}, false},
		dav("quota-used-bytes"):          {[]kind{kindHome, kindCalendar}, false, quotaUsed, false},
		dav("quota-available-bytes"):     {[]kind{kindHome, kindCalendar}, false, quotaAvailable, false},
		pnCalendarData:                   {[]kind{kindObject}, false, calendarData, false},
		cdav("schedule-calendar-transp"): {[]kind{kindCalendar}, false, constant("<C:opaque/>"), false},
		dav("supported-method-set"):      {everything, false, fromResource(func(rs *resource) (string, bool) { return methodSet(rs.kind), true }), false},
	}
	registerSchedulingProps()
	registerSharingProps()
}

// utcDateTime is the UTC DATE-TIME form (RFC 5545 §3.3.5) of
// CALDAV:min-date-time and CALDAV:max-date-time.
const utcDateTime = "20060102T150405Z"

const collationSet = `<C:supported-collation>i;ascii-casemap</C:supported-collation><C:supported-collation>i;octet</C:supported-collation><C:supported-collation>i;unicode-casemap</C:supported-collation>`

func has(kinds []kind, k kind) bool {
	for _, x := range kinds {
		if x == k {
			return true
		}
	}
	return false
}

func resourceType(rs *resource) (string, bool) {
	switch rs.kind {
	case kindPrincipal:
		return "<D:collection/><D:principal/>", true
	case kindCalendar:
		if rs.share != nil {
			return "<D:collection/><C:calendar/><CS:shared/>", true
		}
		return "<D:collection/><C:calendar/>", true
	case kindObject, kindInboxItem:
		return "", true
	case kindInbox:
		return "<D:collection/><C:schedule-inbox/>", true
	case kindOutbox:
		return "<D:collection/><C:schedule-outbox/>", true
	}
	return "<D:collection/>", true
}

// description is the owner's text about the calendar; free/busy viewers
// see busy times only, not it.
func description(rs *resource) (string, bool) {
	if rs.cal.Description == "" || !rs.role.Can(calendar.ActRead) {
		return "", false
	}
	return escapeText(rs.cal.Description), true
}

func displayName(rs *resource) (string, bool) {
	switch rs.kind {
	case kindPrincipal:
		name := rs.owner.DisplayName
		if name == "" {
			name = rs.owner.Name
		}
		return escapeText(name), true
	case kindCalendar:
		name := rs.cal.DisplayName
		if name == "" {
			name = rs.cal.Name
		}
		return escapeText(name), true
	case kindHome:
		return escapeText(rs.owner.Name), true
	}
	return "", false
}

func supportedReports(rs *resource) (string, bool) {
	var names []xml.Name
	switch rs.kind {
	case kindCalendar, kindObject:
		names = []xml.Name{cdav("calendar-query"), cdav("calendar-multiget"), cdav("free-busy-query")}
		if rs.kind == kindCalendar {
			names = append(names, dav("sync-collection"))
		}
	case kindHome:
		names = []xml.Name{cdav("calendar-query"), cdav("calendar-multiget"), cdav("free-busy-query")}
	case kindInbox:
		names = []xml.Name{cdav("calendar-multiget"), dav("sync-collection")}
	}
	names = append(names, dav("expand-property"), dav("principal-property-search"), dav("principal-search-property-set"))
	var b strings.Builder
	for _, n := range names {
		b.WriteString("<D:supported-report><D:report>" + emptyTag(n) + "</D:report></D:supported-report>")
	}
	return b.String(), true
}

// privileges lists the caller's privileges from their real role (RFC 3744
// §5.4); read-free-busy is CalDAV's (RFC 4791 §6.1.1).
func privileges(rs *resource) (string, bool) {
	role := rs.role
	if rs.kind != kindCalendar && rs.kind != kindObject {
		role = calendar.RoleOwner // the caller's own home and principal
		if rs.kind == kindRoot || rs.kind == kindPrincipals || rs.kind == kindHomes {
			role = calendar.RoleReader
		}
	}
	var b strings.Builder
	for _, p := range role.Privileges() {
		if rs.cal != nil && rs.cal.ReadOnly() && writesContent(p) {
			continue
		}
		ns := "D"
		if p == calendar.PrivReadFreeBusy {
			ns = "C"
		}
		b.WriteString("<D:privilege><" + ns + ":" + string(p) + "/></D:privilege>")
	}
	return b.String(), true
}

// writesContent reports whether a privilege lets its holder change a
// calendar's objects, which nobody may in a read-only calendar.
func writesContent(p calendar.Privilege) bool {
	switch p {
	case calendar.PrivAll, calendar.PrivWriteContent, calendar.PrivBind, calendar.PrivUnbind:
		return true
	}
	return false
}

func etag(rs *resource) (string, bool) {
	if rs.kind == kindCalendar {
		return escapeText(quoteETag(rs.cal.UUID + "-" + strconv.FormatInt(rs.cal.Revision, 10))), true
	}
	return escapeText(quoteETag(rs.obj.ETag)), true
}

// contentLength is an object's size. A collection has no body of its own
// (a calendar's GET is an export made on demand), so it says 0, as
// CalendarServer does: clients ask every resource for the property.
func contentLength(rs *resource) (string, bool) {
	if rs.obj == nil {
		return "0", true
	}
	return strconv.Itoa(rs.obj.Size), true
}

func lastModified(rs *resource) (string, bool) {
	if rs.obj == nil && rs.cal == nil {
		return "", false
	}
	var t time.Time
	if rs.obj != nil {
		t = rs.obj.ModifiedAt
	} else {
		t = rs.cal.UpdatedAt
	}
	return t.UTC().Format(http.TimeFormat), true
}

func creationDate(rs *resource) (string, bool) {
	t := rs.cal.CreatedAt
	if rs.kind == kindObject {
		t = rs.obj.CreatedAt
	}
	return t.UTC().Format(time.RFC3339), true
}

func componentSet(rs *resource) (string, bool) {
	var b strings.Builder
	for _, c := range rs.cal.Components {
		b.WriteString(`<C:comp name="` + escapeAttr(c) + `"/>`)
	}
	return b.String(), true
}

// calendarTimezone returns the VTIMEZONE the client set, verbatim, or one
// made from the calendar's IANA zone.
func calendarTimezone(rs *resource) (string, bool) {
	if rs.tzText != "" {
		return escapeText(rs.tzText), true
	}
	if rs.cal.TimeZone == "" {
		return "", false
	}
	return escapeText(vtimezone(rs.cal.TimeZone)), true
}

func quotaUsed(h *Handler, ctx context.Context, rs *resource) (string, bool, error) {
	var calID int64
	if rs.kind == kindCalendar {
		calID = rs.cal.ID
	}
	n, err := h.st.Usage(ctx, rs.owner.ID, calID)
	return strconv.FormatInt(n, 10), err == nil, err
}

// quotaAvailable is what the quota of the user whose data the resource
// holds (the calendar's owner, for a calendar shared with the caller)
// leaves (RFC 4331 §4). Without a quota there is no figure to give, and
// §3 lets the property be absent.
func quotaAvailable(h *Handler, ctx context.Context, rs *resource) (string, bool, error) {
	quota := h.cals.Limits().QuotaBytes
	if quota <= 0 {
		return "", false, nil
	}
	owner := rs.owner.ID
	if rs.kind == kindCalendar {
		owner = rs.cal.OwnerID
	}
	used, err := h.st.Usage(ctx, owner, 0)
	return strconv.FormatInt(max(quota-used, 0), 10), err == nil, err
}

func calendarData(h *Handler, ctx context.Context, rs *resource) (string, bool, error) {
	if rs.obj.Data == nil {
		o, err := h.st.GetObject(ctx, rs.cal.ID, rs.obj.Name)
		if err == nil {
			err = h.cals.ViewObjects(ctx, rs.user, rs.cal, []*store.Object{o})
		}
		if err != nil {
			return "", false, err
		}
		rs.obj = o
	}
	return escapeText(string(rs.obj.Data)), true, nil
}

func methodSet(k kind) string {
	var b strings.Builder
	for _, m := range strings.Split(allowed(k), ", ") {
		b.WriteString(`<D:supported-method name="` + m + `"/>`)
	}
	return b.String()
}

// userAddresses is a principal's CALDAV:calendar-user-address-set (RFC
// 6638 §2.4.1): its URL, and its e-mail address once verified, since the
// server schedules for an address only then.
func userAddresses(rs *resource) (string, bool) {
	set := hrefXML(principalHref(rs.owner.Name))
	if e := rs.owner.VerifiedEmail(); e != "" {
		set = hrefXML("mailto:"+e) + set
	}
	return set, true
}
