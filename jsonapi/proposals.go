package jsonapi

import (
	"context"
	"net/http"
	"time"

	"github.com/almanac/almanac/scheduling"
	"github.com/almanac/almanac/store"
	"github.com/go-chi/chi/v5"
)

// Proposal is the JSON form of a new time an attendee proposed for one of
// the caller's events (a COUNTER, RFC 5546 §3.2.7).
type Proposal struct {
	ID           string    `json:"id"`
	EventID      string    `json:"event_id"`
	Email        string    `json:"email"`
	Name         string    `json:"name,omitempty"`
	User         *UserRef  `json:"user,omitempty"`
	RecurrenceID string    `json:"recurrence_id,omitempty"`
	Start        time.Time `json:"start"`
	End          time.Time `json:"end,omitzero"`
	AllDay       bool      `json:"all_day,omitempty"`
	Comment      string    `json:"comment,omitempty"`
	Status       string    `json:"status"` // pending, accepted or declined
	ReceivedAt   time.Time `json:"received_at"`
}

func (a *API) proposalJSON(r *http.Request, p scheduling.Proposal) Proposal {
	out := Proposal{ID: p.ID, EventID: p.EventID, Email: p.Attendee, Name: p.Name, RecurrenceID: p.RecurrenceID,
		Start: p.Start, End: p.End, AllDay: p.AllDay, Comment: p.Comment, Status: p.State, ReceivedAt: p.ReceivedAt}
	if u, err := a.store.GetUserByEmail(r.Context(), p.Attendee); err == nil {
		ref := userRef(u)
		out.User = &ref
	}
	return out
}

// proposalEvent is the {id} of a proposals route: a whole event, since a
// proposal names the instance it is about itself.
func proposalEvent(r *http.Request) (string, error) {
	id, ok := parseEventID(chi.URLParam(r, "id"))
	if !ok || id.instance() {
		return "", errNotFound
	}
	return id.uuid, nil
}

// listProposals answers GET /events/{id}/proposals: the COUNTERs the
// event's organizer received, oldest first.
func (a *API) listProposals(w http.ResponseWriter, r *http.Request) {
	iv, ok := a.invitations(w, r)
	if !ok {
		return
	}
	ev, err := proposalEvent(r)
	if err != nil {
		writeError(w, r, err)
		return
	}
	list, err := iv.Proposals(r.Context(), caller(r), ev)
	if err != nil {
		writeError(w, r, err)
		return
	}
	out := make([]Proposal, 0, len(list))
	for _, p := range list {
		out = append(out, a.proposalJSON(r, p))
	}
	writeJSON(w, http.StatusOK, out)
}

// acceptProposal answers POST /events/{id}/proposals/{proposal_id}/accept:
// the event takes the proposed time and the attendees get the update.
func (a *API) acceptProposal(w http.ResponseWriter, r *http.Request) {
	a.decideProposal(w, r, (*scheduling.Invitations).AcceptProposal)
}

// declineProposal answers POST /events/{id}/proposals/{proposal_id}/decline:
// the event stays and the proposer gets a DECLINECOUNTER.
func (a *API) declineProposal(w http.ResponseWriter, r *http.Request) {
	a.decideProposal(w, r, (*scheduling.Invitations).DeclineProposal)
}

func (a *API) decideProposal(w http.ResponseWriter, r *http.Request,
	decide func(*scheduling.Invitations, context.Context, *store.User, string, string) (*scheduling.Proposal, error)) {
	iv, ok := a.invitations(w, r)
	if !ok {
		return
	}
	ev, err := proposalEvent(r)
	if err != nil {
		writeError(w, r, err)
		return
	}
	id := chi.URLParam(r, "proposal_id")
	if !isUUID(id) {
		writeError(w, r, errNotFound)
		return
	}
	p, err := decide(iv, r.Context(), caller(r), ev, id)
	if err != nil {
		writeError(w, r, invitationError(err))
		return
	}
	writeJSON(w, http.StatusOK, a.proposalJSON(r, *p))
}
