package jsonapi

import (
	"encoding/json"
	"errors"
	"net/http"
	"strconv"
	"strings"

	"github.com/almanac/almanac/account"
	"github.com/almanac/almanac/calendar"
	"github.com/almanac/almanac/httpserver"
	"github.com/almanac/almanac/scheduling"
	"github.com/almanac/almanac/store"
)

// Problem is an RFC 9457 problem document.
type Problem struct {
	Type     string         `json:"type"`
	Title    string         `json:"title"`
	Status   int            `json:"status"`
	Detail   string         `json:"detail,omitempty"`
	Instance string         `json:"instance,omitempty"`
	Errors   []FieldProblem `json:"errors,omitempty"`
	// ETag and Current describe the resource as it is now, on a failed
	// precondition (412), so that the client can merge without another
	// request.
	ETag    string `json:"etag,omitempty"`
	Current any    `json:"current,omitempty"`

	retryAfter int // seconds, for 429
}

// FieldProblem names one invalid field of a request (RFC 9457 §3.2
// extension member).
type FieldProblem struct {
	Field   string `json:"field"`
	Message string `json:"message"`
}

func (p *Problem) Error() string { return p.Title + ": " + p.Detail }

// problemBase prefixes problem type URIs; they name the kind of error and
// are documented in the OpenAPI description.
const problemBase = "https://almanac.invalid/problems/"

func newProblem(status int, kind, detail string) *Problem {
	return &Problem{Type: problemBase + kind, Title: http.StatusText(status), Status: status, Detail: detail}
}

func fieldProblem(status int, field, msg string) *Problem {
	p := newProblem(status, "invalid-field", field+" "+msg)
	p.Errors = []FieldProblem{{Field: field, Message: msg}}
	return p
}

// writeError is the one place where errors become HTTP answers: known
// errors map to their status; anything else is logged and answered 500
// without internals.
func writeError(w http.ResponseWriter, r *http.Request, err error) {
	p := toProblem(err)
	if code := httpserver.ClientFailure(r, err); p == nil && code != 0 {
		// The client broke off its request or went away: its failure, not
		// the server's, and nothing to log as an error.
		p = newProblem(code, "client-closed", "the request was not received in full")
	}
	if p == nil {
		httpserver.Logger(r.Context()).Error("internal error", "err", err, "path", r.URL.Path)
		p = newProblem(http.StatusInternalServerError, "internal", "the server failed to handle the request; it has been logged")
	}
	p.Instance = r.URL.Path
	if p.retryAfter > 0 {
		w.Header().Set("Retry-After", strconv.Itoa(p.retryAfter))
	}
	if p.Status == http.StatusUnauthorized {
		w.Header().Set("WWW-Authenticate", `Bearer realm="almanac"`)
	}
	w.Header().Set("Content-Type", "application/problem+json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(p.Status)
	_ = json.NewEncoder(w).Encode(p)
}

func toProblem(err error) *Problem {
	var (
		p   *Problem
		fe  *account.FieldError
		rle *account.RateLimitedError
		ie  *calendar.InvalidError
		oe  *calendar.ObjectError
		uce *store.UIDConflictError
		qe  *calendar.QuotaError
	)
	if p := externalProblem(err); p != nil {
		return p
	}
	switch {
	case errors.As(err, &p):
		return p
	case errors.As(err, &ie):
		return fieldProblem(http.StatusUnprocessableEntity, ie.Field, ie.Message)
	case errors.As(err, &oe):
		return objectProblem(oe)
	case errors.As(err, &uce):
		return fieldProblem(http.StatusConflict, "uid", "is already used by another event in this calendar")
	case errors.As(err, &qe):
		// 507 as CalDAV answers it (RFC 4331 §6), so that both front ends
		// say the same.
		return newProblem(http.StatusInsufficientStorage, "quota-exceeded", qe.Error())
	case errors.Is(err, calendar.ErrRangeTooWide):
		return fieldProblem(http.StatusBadRequest, "end_time", strings.TrimPrefix(err.Error(), "calendar: "))
	case errors.Is(err, calendar.ErrForbidden):
		return newProblem(http.StatusForbidden, "forbidden", "your role on this calendar does not allow this")
	case errors.Is(err, scheduling.ErrProposalDecided):
		return newProblem(http.StatusConflict, "proposal-answered", "this proposal was already accepted or declined")
	case errors.Is(err, scheduling.ErrCancelled):
		return newProblem(http.StatusConflict, "cancelled", "the organizer cancelled this event; it can no longer be answered")
	case errors.Is(err, store.ErrExists):
		return newProblem(http.StatusConflict, "exists", "a resource with that name already exists")
	case errors.As(err, &fe):
		status := http.StatusUnprocessableEntity
		if fe.Conflict {
			status = http.StatusConflict
		}
		return fieldProblem(status, fe.Field, fe.Message)
	case errors.As(err, &rle):
		p := newProblem(http.StatusTooManyRequests, "rate-limited", "too many failed attempts; try again later")
		p.retryAfter = int(rle.RetryAfter.Seconds()) + 1
		return p
	case errors.Is(err, account.ErrInvalidCredentials):
		return newProblem(http.StatusUnauthorized, "invalid-credentials", "the login or password is wrong")
	case errors.Is(err, account.ErrUnauthenticated):
		return newProblem(http.StatusUnauthorized, "unauthenticated", "sign in, or send a bearer token")
	case errors.Is(err, account.ErrRegistrationClosed):
		return newProblem(http.StatusForbidden, "registration-closed", "this server does not accept new registrations")
	case errors.Is(err, store.ErrNotFound):
		return newProblem(http.StatusNotFound, "not-found", "no such resource")
	case errors.Is(err, store.ErrPreconditionFailed):
		return newProblem(http.StatusPreconditionFailed, "precondition-failed", "the resource has changed; fetch it again")
	}
	return nil
}

// objectProblem explains why the calendar refused an object.
func objectProblem(oe *calendar.ObjectError) *Problem {
	switch oe.Precondition {
	case calendar.PreMaxResourceSize:
		return newProblem(http.StatusRequestEntityTooLarge, "too-large", oe.Message)
	case calendar.PreMaxInstances:
		return fieldProblem(http.StatusUnprocessableEntity, "recurrence", "makes too many instances: "+oe.Message)
	case calendar.PreSupportedComponent:
		return fieldProblem(http.StatusUnprocessableEntity, "calendar_id", "names a calendar that does not take events")
	case calendar.PreMaxAttendees:
		return fieldProblem(http.StatusUnprocessableEntity, "attendees", "are more than this server invites: "+oe.Message)
	case calendar.PreMinDateTime, calendar.PreMaxDateTime:
		return fieldProblem(http.StatusUnprocessableEntity, eventField(oe.Property), "is out of range: "+oe.Message)
	case calendar.PreAttendeeChange:
		return newProblem(http.StatusForbidden, "organizer-only", oe.Message)
	}
	return newProblem(http.StatusUnprocessableEntity, "invalid-calendar-data", oe.Message)
}

// eventField names the field of an Event that shows an iCalendar
// property.
func eventField(prop string) string {
	switch prop {
	case "DTEND", "DUE":
		return "end"
	case "RRULE", "RDATE", "EXDATE":
		return "recurrence"
	case "RECURRENCE-ID":
		return "original_start"
	}
	return "start"
}

// errNotFound is the answer for anything the caller may not know exists.
var errNotFound = newProblem(http.StatusNotFound, "not-found", "no such resource")
