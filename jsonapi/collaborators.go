package jsonapi

import (
	"errors"
	"net/http"

	"github.com/almanac/almanac/account"
	"github.com/almanac/almanac/calendar"
	"github.com/almanac/almanac/store"
	"github.com/go-chi/chi/v5"
)

// Collaborator is a user with a role on a calendar.
type Collaborator struct {
	User  UserRef `json:"user"`
	Role  string  `json:"role"`
	Owner bool    `json:"owner"`
}

// ShareRequest is the body of POST /calendars/{id}/share and POST
// /calendars/{id}/collaborators: the user by id or by e-mail address, and
// the role to give them.
type ShareRequest struct {
	UserID string `json:"user_id,omitempty"`
	Email  string `json:"email,omitempty"`
	Role   string `json:"role"`
}

// RoleRequest is the body of PUT/PATCH /calendars/{id}/collaborators/{user_id}.
type RoleRequest struct {
	Role string `json:"role"`
}

func (a *API) listCollaborators(w http.ResponseWriter, r *http.Request) {
	v, err := a.calendarParam(r, calendar.ActRead)
	if err != nil {
		writeError(w, r, err)
		return
	}
	list, err := a.cals.Collaborators(r.Context(), caller(r), v.Calendar)
	if err != nil {
		writeError(w, r, err)
		return
	}
	out := make([]Collaborator, 0, len(list))
	for _, c := range list {
		out = append(out, Collaborator{User: userRef(c.User), Role: c.Role.String(), Owner: c.Owner})
	}
	writeJSON(w, http.StatusOK, out)
}

func (a *API) share(w http.ResponseWriter, r *http.Request) {
	var in ShareRequest
	if err := decode(w, r, &in); err != nil {
		writeError(w, r, err)
		return
	}
	v, err := a.calendarParam(r, calendar.ActShare)
	if err != nil {
		writeError(w, r, err)
		return
	}
	target, err := a.shareTarget(r, in)
	if err != nil {
		writeError(w, r, err)
		return
	}
	a.setRole(w, r, v.Calendar, target, in.Role, http.StatusCreated)
}

func (a *API) changeRole(w http.ResponseWriter, r *http.Request) {
	var in RoleRequest
	if err := decode(w, r, &in); err != nil {
		writeError(w, r, err)
		return
	}
	v, err := a.calendarParam(r, calendar.ActShare)
	if err != nil {
		writeError(w, r, err)
		return
	}
	target, err := a.collaboratorParam(r, v.Calendar)
	if err != nil {
		writeError(w, r, err)
		return
	}
	a.setRole(w, r, v.Calendar, target, in.Role, http.StatusOK)
}

func (a *API) setRole(w http.ResponseWriter, r *http.Request, cal *store.Calendar, target *store.User, roleName string, status int) {
	role, ok := calendar.ParseRole(roleName)
	if !ok || role == calendar.RoleNone {
		writeError(w, r, fieldProblem(http.StatusUnprocessableEntity, "role", "must be one of freebusy, reader, writer, owner"))
		return
	}
	if err := a.cals.Share(r.Context(), caller(r), cal, target, role); err != nil {
		writeError(w, r, err)
		return
	}
	writeJSON(w, status, Collaborator{User: userRef(target), Role: role.String()})
}

func (a *API) removeCollaborator(w http.ResponseWriter, r *http.Request) {
	v, err := a.calendarParam(r, calendar.ActFreeBusy)
	if err != nil {
		writeError(w, r, err)
		return
	}
	target, err := a.collaboratorParam(r, v.Calendar)
	if err == nil {
		err = a.cals.Unshare(r.Context(), caller(r), v.Calendar, target)
	}
	if err != nil {
		writeError(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

// shareTarget finds the user a share names, by id or by e-mail address.
func (a *API) shareTarget(r *http.Request, in ShareRequest) (*store.User, error) {
	var (
		u   *store.User
		err error
	)
	switch {
	case in.UserID != "" && in.Email != "":
		return nil, fieldProblem(http.StatusUnprocessableEntity, "user_id", "and email are exclusive: name the user one way")
	case in.UserID != "":
		if !isUUID(in.UserID) {
			return nil, fieldProblem(http.StatusUnprocessableEntity, "user_id", "is not a user id")
		}
		u, err = a.store.GetUserByUUID(r.Context(), in.UserID)
	case in.Email != "":
		email, nerr := account.NormalizeEmail(in.Email)
		if nerr != nil {
			return nil, nerr
		}
		u, err = a.store.GetUserByEmail(r.Context(), email)
	default:
		return nil, fieldProblem(http.StatusUnprocessableEntity, "user_id", "or email is required")
	}
	if errors.Is(err, store.ErrNotFound) {
		return nil, fieldProblem(http.StatusUnprocessableEntity, "user_id", "names no user of this server")
	}
	return u, err
}

// collaboratorParam loads the user named by {user_id}.
func (a *API) collaboratorParam(r *http.Request, cal *store.Calendar) (*store.User, error) {
	id := chi.URLParam(r, "user_id")
	if !isUUID(id) {
		return nil, errNotFound
	}
	return a.store.GetUserByUUID(r.Context(), id)
}
