package jsonapi

import (
	"errors"
	"net/http"

	"github.com/almanac/almanac/account"
	"github.com/almanac/almanac/httpserver"
	"github.com/go-chi/chi/v5"
)

// Address verification: the link in the mail leads to a page (GET only
// shows it, so that mail scanners following links confirm nothing; its
// button POSTs), and the JSON API can ask for a new link and confirm a
// token itself.

// VerifyRoutes serves the links of verification mail, to be mounted at
// account.VerifyPath without its trailing slash.
func (a *API) VerifyRoutes() http.Handler {
	r := chi.NewRouter()
	r.Get("/{token}", a.verifyPage)
	r.Post("/{token}", a.verifyConfirm)
	return r
}

func (a *API) verifyPage(w http.ResponseWriter, r *http.Request) {
	u, addr, err := a.accounts.VerificationTarget(r.Context(), chi.URLParam(r, "token"))
	if err != nil {
		a.verifyFailed(w, r, err)
		return
	}
	writeRSVP(w, http.StatusOK, rsvpView{Title: "Confirm your address",
		Message: "Use " + addr + " as the address of the calendar account \"" + u.Name + "\"? Invitations sent to it will then reach that account. Confirm only if you made that account.",
		Button:  "Confirm", Form: true})
}

func (a *API) verifyConfirm(w http.ResponseWriter, r *http.Request) {
	u, err := a.accounts.ConfirmEmail(r.Context(), chi.URLParam(r, "token"))
	if err != nil {
		a.verifyFailed(w, r, err)
		return
	}
	writeRSVP(w, http.StatusOK, rsvpView{Title: "Address confirmed",
		Message: u.Email + " is now the address of the calendar account \"" + u.Name + "\"."})
}

func (a *API) verifyFailed(w http.ResponseWriter, r *http.Request, err error) {
	var fe *account.FieldError
	switch {
	case errors.Is(err, account.ErrInvalidToken):
		writeRSVP(w, http.StatusGone, rsvpView{Title: "This link does not work",
			Message: "It was used already, replaced by a newer one, or it has expired. Ask for a new one in your account settings."})
	case errors.As(err, &fe):
		writeRSVP(w, http.StatusConflict, rsvpView{Title: "Address taken",
			Message: "Another account has confirmed this address first."})
	default:
		httpserver.Logger(r.Context()).Error("verification link", "err", err)
		writeRSVP(w, http.StatusInternalServerError, rsvpView{Title: "Something went wrong", Message: "Please try again later."})
	}
}

// requestVerification answers POST /users/{id}/email-verification: a new
// link to the address that waits for one.
func (a *API) requestVerification(w http.ResponseWriter, r *http.Request) {
	u, err := self(r)
	if err == nil {
		err = a.accounts.RequestVerification(r.Context(), u.ID)
	}
	if err != nil {
		writeError(w, r, err)
		return
	}
	w.WriteHeader(http.StatusAccepted)
}

// VerifyEmailRequest is the body of POST /users/verify-email.
type VerifyEmailRequest struct {
	Token string `json:"token"`
}

// confirmVerification answers POST /users/verify-email: the token from
// the link is the authority, so no sign-in is needed.
func (a *API) confirmVerification(w http.ResponseWriter, r *http.Request) {
	var in VerifyEmailRequest
	if err := decode(w, r, &in); err != nil {
		writeError(w, r, err)
		return
	}
	u, err := a.accounts.ConfirmEmail(r.Context(), in.Token)
	if errors.Is(err, account.ErrInvalidToken) {
		err = fieldProblem(http.StatusUnprocessableEntity, "token", "is invalid, used or expired")
	}
	if err != nil {
		writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, VerifyEmailResponse{Email: u.Email})
}

// VerifyEmailResponse names the address just verified.
type VerifyEmailResponse struct {
	Email string `json:"email"`
}
