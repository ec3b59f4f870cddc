package jsonapi

import (
	"net/http"
	"time"

	"github.com/almanac/almanac/account"
	"github.com/almanac/almanac/store"
	"github.com/go-chi/chi/v5"
)

// User is the JSON form of a user profile.
type User struct {
	ID          string    `json:"id"`
	Name        string    `json:"name"`
	Email       string    `json:"email"`
	DisplayName string    `json:"display_name"`
	TimeZone    string    `json:"time_zone"`
	WeekStart   int       `json:"week_start"`
	CreatedAt   time.Time `json:"created_at"`
	UpdatedAt   time.Time `json:"updated_at"`
	// EmailVerified says that invitations to Email reach this account;
	// PendingEmail is a new address waiting for its link to be followed.
	EmailVerified bool   `json:"email_verified"`
	PendingEmail  string `json:"pending_email,omitempty"`
	// FreeBusyVisible: other users of the server see this user's busy
	// time; false limits it to calendars shared with them.
	FreeBusyVisible bool `json:"free_busy_visible"`
	// Invitations is whose invitations go straight into the user's
	// calendar: "known" (people they have dealt with; the others wait in
	// their invitations inbox) or "everyone". Until the user chooses, the
	// server's default.
	Invitations string `json:"invitations"`
}

func (a *API) userJSON(u *store.User) User {
	out := User{ID: u.UUID, Name: u.Name, Email: u.Email, DisplayName: u.DisplayName,
		TimeZone: u.TimeZone, WeekStart: u.WeekStart, CreatedAt: u.CreatedAt, UpdatedAt: u.UpdatedAt,
		EmailVerified: !u.EmailUnverified, PendingEmail: u.PendingEmail, FreeBusyVisible: !u.FreeBusyHidden,
		Invitations: u.Invitations}
	if a.opt.Scheduler != nil {
		out.Invitations = a.opt.Scheduler.InvitationsSetting(u)
	} else if out.Invitations == "" {
		out.Invitations = store.InvitationsKnown // nothing is delivered without scheduling
	}
	return out
}

// RegisterRequest is the body of POST /users/register.
type RegisterRequest struct {
	Name        string `json:"name"`
	Email       string `json:"email"`
	Password    string `json:"password"`
	DisplayName string `json:"display_name,omitempty"`
	TimeZone    string `json:"time_zone,omitempty"`
}

func (a *API) register(w http.ResponseWriter, r *http.Request) {
	var in RegisterRequest
	if err := decode(w, r, &in); err != nil {
		writeError(w, r, err)
		return
	}
	u, err := a.accounts.Register(r.Context(), account.NewUser{Name: in.Name, Email: in.Email, Password: in.Password,
		DisplayName: in.DisplayName, TimeZone: in.TimeZone})
	if err != nil {
		writeError(w, r, err)
		return
	}
	w.Header().Set("Location", "/api/v1/users/"+u.UUID)
	writeJSON(w, http.StatusCreated, a.userJSON(u))
}

// LoginRequest is the body of POST /users/login; login is a user name or
// an e-mail address.
type LoginRequest struct {
	Login    string `json:"login"`
	Password string `json:"password"`
}

// LoginResponse carries the bearer token (also set as an HttpOnly cookie)
// and the CSRF token cookie-authenticated requests must echo.
type LoginResponse struct {
	Token     string    `json:"token"`
	CSRFToken string    `json:"csrf_token"`
	ExpiresAt time.Time `json:"expires_at"`
	User      User      `json:"user"`
}

func (a *API) login(w http.ResponseWriter, r *http.Request) {
	var in LoginRequest
	if err := decode(w, r, &in); err != nil {
		writeError(w, r, err)
		return
	}
	if in.Login == "" || in.Password == "" {
		writeError(w, r, fieldProblem(http.StatusUnprocessableEntity, "login", "and password are required"))
		return
	}
	sess, err := a.accounts.Login(r.Context(), in.Login, in.Password, clientAddr(r))
	if err != nil {
		writeError(w, r, err)
		return
	}
	http.SetCookie(w, &http.Cookie{
		Name: SessionCookie, Value: sess.Token, Path: "/", Expires: sess.Expires,
		HttpOnly: true, Secure: a.opt.SecureCookies, SameSite: http.SameSiteLaxMode,
	})
	writeJSON(w, http.StatusOK, LoginResponse{Token: sess.Token, CSRFToken: sess.CSRF, ExpiresAt: sess.Expires, User: a.userJSON(sess.User)})
}

func (a *API) logout(w http.ResponseWriter, r *http.Request) {
	if err := a.accounts.Logout(r.Context(), sessionToken(r)); err != nil {
		writeError(w, r, err)
		return
	}
	http.SetCookie(w, &http.Cookie{Name: SessionCookie, Value: "", Path: "/", MaxAge: -1, HttpOnly: true,
		Secure: a.opt.SecureCookies, SameSite: http.SameSiteLaxMode})
	w.WriteHeader(http.StatusNoContent)
}

func (a *API) getMe(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusOK, a.userJSON(caller(r)))
}

// self returns the caller when the {id} in the path is theirs. Other users'
// profiles are not visible, and a 404 does not tell whether they exist.
func self(r *http.Request) (*store.User, error) {
	u := caller(r)
	if id := chi.URLParam(r, "id"); id != u.UUID && id != "me" {
		return nil, errNotFound
	}
	return u, nil
}

func (a *API) getUser(w http.ResponseWriter, r *http.Request) {
	u, err := self(r)
	if err != nil {
		writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, a.userJSON(u))
}

// UserUpdate is the body of PUT/PATCH /users/{id}: the fields present are
// changed.
type UserUpdate struct {
	Name        *string `json:"name,omitempty"`
	Email       *string `json:"email,omitempty"`
	DisplayName *string `json:"display_name,omitempty"`
	TimeZone    *string `json:"time_zone,omitempty"`
	WeekStart   *int    `json:"week_start,omitempty"`
	Password    *string `json:"password,omitempty"`
	// FreeBusyVisible opts in (true) or out (false) of showing busy time
	// to the server's other users.
	FreeBusyVisible *bool `json:"free_busy_visible,omitempty"`
	// Invitations: "known" or "everyone" (see User).
	Invitations *string `json:"invitations,omitempty"`
	// CurrentPassword is required with a new password.
	CurrentPassword *string `json:"current_password,omitempty"`
}

func (a *API) updateUser(w http.ResponseWriter, r *http.Request) {
	u, err := self(r)
	if err != nil {
		writeError(w, r, err)
		return
	}
	var in UserUpdate
	if err := decode(w, r, &in); err != nil {
		writeError(w, r, err)
		return
	}
	u, err = a.accounts.UpdateProfile(r.Context(), u.ID, account.ProfileUpdate{Name: in.Name, Email: in.Email,
		DisplayName: in.DisplayName, TimeZone: in.TimeZone, WeekStart: in.WeekStart, Password: in.Password,
		FreeBusyVisible: in.FreeBusyVisible, Invitations: in.Invitations, CurrentPassword: in.CurrentPassword, ClientAddr: clientAddr(r),
		Session: sessionToken(r)})
	if err != nil {
		writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, a.userJSON(u))
}

func (a *API) deleteUser(w http.ResponseWriter, r *http.Request) {
	u, err := self(r)
	if err == nil {
		err = a.accounts.Delete(r.Context(), u.ID)
	}
	if err != nil {
		writeError(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

// AppPassword is an app password as listed; Secret is only present in the
// answer that created it.
type AppPassword struct {
	Name       string     `json:"name"`
	Secret     string     `json:"secret,omitempty"`
	CreatedAt  time.Time  `json:"created_at"`
	LastUsedAt *time.Time `json:"last_used_at,omitempty"`
}

func (a *API) listAppPasswords(w http.ResponseWriter, r *http.Request) {
	u, err := self(r)
	if err != nil {
		writeError(w, r, err)
		return
	}
	list, err := a.store.ListAppPasswords(r.Context(), u.ID)
	if err != nil {
		writeError(w, r, err)
		return
	}
	out := make([]AppPassword, 0, len(list))
	for _, p := range list {
		ap := AppPassword{Name: p.Name, CreatedAt: p.CreatedAt}
		if !p.LastUsedAt.IsZero() {
			ap.LastUsedAt = &p.LastUsedAt
		}
		out = append(out, ap)
	}
	writeJSON(w, http.StatusOK, out)
}

// AppPasswordRequest is the body of POST /users/{id}/app-passwords.
type AppPasswordRequest struct {
	Name string `json:"name"`
}

func (a *API) createAppPassword(w http.ResponseWriter, r *http.Request) {
	u, err := self(r)
	if err != nil {
		writeError(w, r, err)
		return
	}
	var in AppPasswordRequest
	if err := decode(w, r, &in); err != nil {
		writeError(w, r, err)
		return
	}
	secret, err := a.accounts.CreateAppPassword(r.Context(), u.ID, in.Name)
	if err != nil {
		writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusCreated, AppPassword{Name: in.Name, Secret: secret, CreatedAt: time.Now().UTC()})
}

func (a *API) deleteAppPassword(w http.ResponseWriter, r *http.Request) {
	u, err := self(r)
	if err == nil {
		err = a.store.DeleteAppPassword(r.Context(), u.ID, chi.URLParam(r, "name"))
	}
	if err != nil {
		writeError(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}
