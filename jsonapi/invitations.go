package jsonapi

import (
	"errors"
	"net/http"
	"strings"
	"time"

	"github.com/almanac/almanac/calendar"
	"github.com/almanac/almanac/itip"
	"github.com/almanac/almanac/scheduling"
	"github.com/go-chi/chi/v5"
)

// Invitation is the JSON form of one attendee of one event. Status is the
// attendee's answer; Delivery says what became of the latest message sent
// to them (queued, delivered, sent or failed, with the error).
type Invitation struct {
	ID             string     `json:"id"`
	EventID        string     `json:"event_id"`
	Email          string     `json:"email"`
	Name           string     `json:"name,omitempty"`
	User           *UserRef   `json:"user,omitempty"`
	Status         string     `json:"status"`
	Role           string     `json:"role"`
	Organizer      string     `json:"organizer"`
	Summary        string     `json:"summary"`
	Start          *time.Time `json:"start,omitempty"`
	AllDay         bool       `json:"all_day,omitempty"`
	ScheduleStatus string     `json:"schedule_status,omitempty"`
	Delivery       string     `json:"delivery,omitempty"`
	DeliveryError  string     `json:"delivery_error,omitempty"`
	Cancelled      bool       `json:"cancelled,omitempty"`
	Comment        string     `json:"comment,omitempty"`
	// Held: from someone new, kept out of the calendar until accepted.
	Held bool `json:"held,omitempty"`
}

// statusNames maps PARTSTAT to the API's statuses and back.
var statusNames = map[string]string{
	itip.NeedsAction: "PENDING", itip.Accepted: "ACCEPTED", itip.Declined: "DECLINED",
	itip.Tentative: "TENTATIVE", itip.Delegated: "DELEGATED",
}

func partstatOf(status string) (string, bool) {
	status = strings.ToUpper(strings.TrimSpace(status))
	for ps, name := range statusNames {
		if name == status && ps != itip.Delegated {
			return ps, true
		}
	}
	return "", false
}

func (a *API) invitationJSON(r *http.Request, in scheduling.Invitation) Invitation {
	out := Invitation{ID: in.ID, EventID: in.EventID, Email: in.Email, Name: in.Name, Role: in.Role,
		Organizer: in.Organizer, Summary: in.Summary, AllDay: in.AllDay, ScheduleStatus: in.ScheduleStatus,
		Delivery: in.Delivery, DeliveryError: in.DeliveryError, Status: statusNames[in.PartStat], Cancelled: in.Cancelled,
		Comment: in.Comment, Held: in.Held}
	if out.Status == "" {
		out.Status = in.PartStat
	}
	if !in.Start.IsZero() {
		out.Start = &in.Start
	}
	if in.Email != "" {
		if u, err := a.store.GetUserByEmail(r.Context(), in.Email); err == nil {
			ref := userRef(u)
			out.User = &ref
		}
	}
	return out
}

// invitationError gives a write refused by calendar validation its status
// here; other errors go to writeError as they are.
func invitationError(err error) error {
	var oe *calendar.ObjectError
	if errors.As(err, &oe) && oe.Precondition == calendar.PreMaxAttendees {
		return objectProblem(oe) // as an event write with that many says it
	}
	if errors.As(err, &oe) {
		return newProblem(http.StatusUnprocessableEntity, "invalid-event", oe.Error())
	}
	return err
}

func (a *API) invitations(w http.ResponseWriter, r *http.Request) (*scheduling.Invitations, bool) {
	if a.opt.Scheduler == nil {
		writeError(w, r, newProblem(http.StatusNotImplemented, "no-scheduling", "scheduling is not enabled on this server"))
		return nil, false
	}
	return a.opt.Scheduler.Invitations(a.cals), true
}

// eventParam is {event_id}, an object's public id.
func eventParam(r *http.Request) (string, error) {
	id := chi.URLParam(r, "event_id")
	if !isUUID(id) {
		return "", errNotFound
	}
	return id, nil
}

// InviteRequest is the body of POST /invitations/{event_id}: the invitee
// by user id or by e-mail address.
type InviteRequest struct {
	UserID string `json:"user_id,omitempty"`
	Email  string `json:"email,omitempty"`
	Name   string `json:"name,omitempty"`
}

func (a *API) invite(w http.ResponseWriter, r *http.Request) {
	iv, ok := a.invitations(w, r)
	if !ok {
		return
	}
	ev, err := eventParam(r)
	if err != nil {
		writeError(w, r, err)
		return
	}
	var in InviteRequest
	if err := decode(w, r, &in); err != nil {
		writeError(w, r, err)
		return
	}
	email, name, err := a.invitee(r, in)
	if err != nil {
		writeError(w, r, err)
		return
	}
	inv, err := iv.Invite(r.Context(), caller(r), ev, email, name)
	if err != nil {
		writeError(w, r, invitationError(err))
		return
	}
	w.Header().Set("Location", "/api/v1/invitations/"+inv.EventID+"/"+inv.ID)
	writeJSON(w, http.StatusCreated, a.invitationJSON(r, *inv))
}

// invitee resolves the invitee of a request to an address and a name.
func (a *API) invitee(r *http.Request, in InviteRequest) (email, name string, err error) {
	switch {
	case in.UserID != "" && in.Email != "":
		return "", "", fieldProblem(http.StatusUnprocessableEntity, "user_id", "give user_id or email, not both")
	case in.UserID != "":
		if !isUUID(in.UserID) {
			return "", "", fieldProblem(http.StatusUnprocessableEntity, "user_id", "is not a user id")
		}
		u, err := a.store.GetUserByUUID(r.Context(), in.UserID)
		if err != nil {
			return "", "", fieldProblem(http.StatusUnprocessableEntity, "user_id", "names no user")
		}
		name = u.DisplayName
		if in.Name != "" {
			name = in.Name
		}
		return u.Email, name, nil
	case in.Email != "":
		e := strings.ToLower(strings.TrimSpace(in.Email))
		if itip.Email("mailto:"+e) == "" {
			return "", "", fieldProblem(http.StatusUnprocessableEntity, "email", "is not an e-mail address")
		}
		return e, in.Name, nil
	}
	return "", "", fieldProblem(http.StatusUnprocessableEntity, "email", "is required (or user_id)")
}

func (a *API) listEventInvitations(w http.ResponseWriter, r *http.Request) {
	iv, ok := a.invitations(w, r)
	if !ok {
		return
	}
	ev, err := eventParam(r)
	if err != nil {
		writeError(w, r, err)
		return
	}
	list, err := iv.List(r.Context(), caller(r), ev)
	if err != nil {
		writeError(w, r, err)
		return
	}
	a.writeInvitations(w, r, list)
}

func (a *API) writeInvitations(w http.ResponseWriter, r *http.Request, list []scheduling.Invitation) {
	out := make([]Invitation, 0, len(list))
	for _, in := range list {
		out = append(out, a.invitationJSON(r, in))
	}
	writeJSON(w, http.StatusOK, out)
}

func (a *API) getInvitation(w http.ResponseWriter, r *http.Request) {
	iv, ok := a.invitations(w, r)
	if !ok {
		return
	}
	ev, err := eventParam(r)
	if err != nil {
		writeError(w, r, err)
		return
	}
	inv, err := iv.Get(r.Context(), caller(r), ev, chi.URLParam(r, "id"))
	if err != nil {
		writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, a.invitationJSON(r, *inv))
}

// RSVPRequest is the body of PUT /invitations/{event_id}/{id}.
type RSVPRequest struct {
	Status string `json:"status"`
}

// respond records the caller's own answer.
func (a *API) respond(w http.ResponseWriter, r *http.Request) {
	iv, ok := a.invitations(w, r)
	if !ok {
		return
	}
	ev, err := eventParam(r)
	if err != nil {
		writeError(w, r, err)
		return
	}
	var in RSVPRequest
	if err := decode(w, r, &in); err != nil {
		writeError(w, r, err)
		return
	}
	ps, ok := partstatOf(in.Status)
	if !ok {
		writeError(w, r, fieldProblem(http.StatusUnprocessableEntity, "status", "must be ACCEPTED, DECLINED, TENTATIVE or PENDING"))
		return
	}
	inv, err := iv.Respond(r.Context(), caller(r), ev, chi.URLParam(r, "id"), ps)
	if err != nil {
		writeError(w, r, invitationError(err))
		return
	}
	writeJSON(w, http.StatusOK, a.invitationJSON(r, *inv))
}

func (a *API) removeInvitation(w http.ResponseWriter, r *http.Request) {
	iv, ok := a.invitations(w, r)
	if !ok {
		return
	}
	ev, err := eventParam(r)
	if err != nil {
		writeError(w, r, err)
		return
	}
	if err := iv.Remove(r.Context(), caller(r), ev, chi.URLParam(r, "id")); err != nil {
		writeError(w, r, invitationError(err))
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

func (a *API) resendInvitation(w http.ResponseWriter, r *http.Request) {
	iv, ok := a.invitations(w, r)
	if !ok {
		return
	}
	ev, err := eventParam(r)
	if err != nil {
		writeError(w, r, err)
		return
	}
	inv, err := iv.Resend(r.Context(), caller(r), ev, chi.URLParam(r, "id"))
	if err != nil {
		writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusAccepted, a.invitationJSON(r, *inv))
}

// myInvitations lists the caller's invitations from others:
// ?status=pending (the default), accepted, declined, tentative or all.
func (a *API) myInvitations(w http.ResponseWriter, r *http.Request) {
	iv, ok := a.invitations(w, r)
	if !ok {
		return
	}
	status := r.URL.Query().Get("status")
	ps := ""
	switch strings.ToLower(status) {
	case "", "pending":
		ps = itip.NeedsAction
	case "all":
	default:
		var ok bool
		if ps, ok = partstatOf(status); !ok {
			writeError(w, r, fieldProblem(http.StatusBadRequest, "status", "must be pending, accepted, declined, tentative or all"))
			return
		}
	}
	list, err := iv.Mine(r.Context(), caller(r), ps)
	if err != nil {
		writeError(w, r, err)
		return
	}
	a.writeInvitations(w, r, list)
}
