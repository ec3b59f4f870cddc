package caldav

import (
	"encoding/xml"
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/almanac/almanac/calendar"
	"github.com/almanac/almanac/httpserver"
	"github.com/almanac/almanac/store"
)

// davError is a DAV answer with a status and, for a failed precondition or
// postcondition, its XML element (RFC 4918 §16). It is the only error type
// that reaches the client as is; writeError turns every other known error
// into one.
type davError struct {
	status int
	cond   xml.Name // zero: no condition element
	inner  string   // XML inside the condition element (e.g. an href)
	msg    string   // human-readable detail
}

func (e *davError) Error() string {
	return fmt.Sprintf("%d %s: %s", e.status, e.cond.Local, e.msg)
}

func precondition(status int, space, local, msg string) *davError {
	return &davError{status: status, cond: xml.Name{Space: space, Local: local}, msg: msg}
}

func davStatus(status int, msg string) *davError { return &davError{status: status, msg: msg} }

// toDAV is the one place where domain and store errors become DAV
// statuses. It returns nil for errors the client must not see.
func toDAV(err error, t *target) *davError {
	var (
		de  *davError
		bx  *errBadXML
		oe  *calendar.ObjectError
		uc  *store.UIDConflictError
		inv *calendar.InvalidError
		qe  *calendar.QuotaError
	)
	switch {
	case errors.As(err, &de):
		return de
	case errors.As(err, &bx):
		return davStatus(http.StatusBadRequest, bx.msg)
	case errors.Is(err, errTooLarge):
		return davStatus(http.StatusRequestEntityTooLarge, "the request body is too large")
	case errors.As(err, &oe):
		return objectError(oe)
	case errors.As(err, &uc):
		if t != nil && t.owner != nil {
			return uidConflict(t.owner, t.calName, uc)
		}
		return uidConflict(nil, "", uc)
	case errors.As(err, &inv):
		return davStatus(http.StatusForbidden, inv.Error())
	case errors.As(err, &qe):
		// RFC 4331 §6
		return precondition(http.StatusInsufficientStorage, nsDAV, "quota-not-exceeded", qe.Error())
	case errors.Is(err, calendar.ErrReadOnly):
		return readOnly(t)
	case errors.Is(err, calendar.ErrForbidden):
		return precondition(http.StatusForbidden, nsDAV, "need-privileges", "you may not do this")
	case errors.Is(err, store.ErrNotFound):
		return davStatus(http.StatusNotFound, "no such resource")
	case errors.Is(err, store.ErrPreconditionFailed):
		return davStatus(http.StatusPreconditionFailed, "the resource has changed or exists; fetch it again")
	case errors.Is(err, store.ErrInvalidSyncToken):
		// RFC 6578 §3.2
		return precondition(http.StatusForbidden, nsDAV, "valid-sync-token", "the sync token is no longer valid; sync again from scratch")
	case errors.Is(err, store.ErrExists):
		// RFC 4791 §5.3.1.1, RFC 5689 §3.1
		return precondition(http.StatusMethodNotAllowed, nsDAV, "resource-must-be-null", "a resource already exists here")
	case errors.Is(err, calendar.ErrRangeTooWide):
		return precondition(http.StatusForbidden, nsCalDAV, "valid-filter", err.Error())
	}
	return nil
}

// readOnly refuses a change to a calendar whose events come from a
// subscription or another server: RFC 3744 §7.1.1's DAV:need-privileges,
// naming the resource and the privilege the calendar does not grant.
func readOnly(t *target) *davError {
	e := precondition(http.StatusForbidden, nsDAV, "need-privileges",
		"this calendar is read-only: its events come from a subscription or another server")
	if t != nil && t.owner != nil {
		e.inner = "<D:resource>" + hrefXML(t.href()) + "<D:privilege><D:write-content/></D:privilege></D:resource>"
	}
	return e
}

// uidConflict answers a UID held by another resource of calendar calName
// of owner: RFC 4791 §5.3.2.1's CALDAV:no-uid-conflict names that resource.
// 403 like every other failed CalDAV precondition, whichever of PUT, COPY
// or MOVE ran into it.
func uidConflict(owner *store.User, calName string, uc *store.UIDConflictError) *davError {
	e := precondition(http.StatusForbidden, nsCalDAV, "no-uid-conflict", fmt.Sprintf("UID %q is already used by %s", uc.UID, uc.Name))
	if owner != nil {
		e.inner = "<D:href>" + escapeText(objectHref(owner.Name, calName, uc.Name)) + "</D:href>"
	}
	return e
}

// objectError maps the domain's rejection of a calendar object resource to
// its CalDAV precondition (RFC 4791 §5.3.2.1, §7.8 for REPORT filters):
// 403, as RFC 4918 §16 has failed preconditions answered.
func objectError(oe *calendar.ObjectError) *davError {
	return precondition(http.StatusForbidden, nsCalDAV, oe.Precondition, oe.Message)
}

// writeError answers err. Unknown errors are logged here, once, and
// answered 500 without internals. A cancelled request gets no answer.
func writeError(w http.ResponseWriter, r *http.Request, err error) {
	t, _ := r.Context().Value(targetKey).(*target)
	e := toDAV(err, t)
	if code := httpserver.ClientFailure(r, err); e == nil && code != 0 {
		// The client broke off its request or went away: its failure, not
		// the server's (nobody may be left to read this).
		w.WriteHeader(code)
		return
	}
	if e == nil {
		httpserver.Logger(r.Context()).Error("internal error", "err", err, "method", r.Method, "path", r.URL.Path)
		e = davStatus(http.StatusInternalServerError, "the server failed to handle the request; it has been logged")
	}
	h := w.Header()
	h.Set("Cache-Control", "no-store")
	if e.cond.Local == "" {
		h.Set("Content-Type", "text/plain; charset=utf-8")
		w.WriteHeader(e.status)
		fmt.Fprintln(w, e.msg)
		return
	}
	h.Set("Content-Type", "application/xml; charset=utf-8")
	w.WriteHeader(e.status)
	var b strings.Builder
	b.WriteString(xml.Header)
	b.WriteString(`<D:error ` + rootNS + `>`)
	if e.inner == "" {
		b.WriteString(emptyTag(e.cond))
	} else {
		b.WriteString(openTag(e.cond) + e.inner + closeTag(e.cond))
	}
	if e.msg != "" {
		// The DAV:error holds the condition element (RFC 4918 §16); strict
		// clients compare its children with the conditions they know, so the
		// human-readable text goes in the element CalendarServer uses for it,
		// which they skip.
		b.WriteString(`<E:error-description xmlns:E="` + nsErrorDescription + `">`)
		writeText(&b, e.msg)
		b.WriteString(`</E:error-description>`)
	}
	b.WriteString("</D:error>\n")
	_, _ = w.Write([]byte(b.String()))
}

// nsAlmanac holds our own elements, such as the stored calendar-timezone
// text.
const nsAlmanac = "https://almanac.invalid/ns/"

// nsErrorDescription is the namespace of the error-description element
// that carries the text of a DAV:error (CalendarServer's, which clients
// and test suites know to set apart from the condition).
const nsErrorDescription = "http://twistedmatrix.com/xml_namespace/dav/"
