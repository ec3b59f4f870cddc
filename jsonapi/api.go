// Package jsonapi is the JSON REST API under /api/v1: the resources of the
// seed design (users, calendars, events, invitations, reminders) as views of
// the same store the CalDAV front end serves. Errors are RFC 9457 problem
// documents.
package jsonapi

import (
	"context"
	"net/http"
	"strings"

	"github.com/almanac/almanac/account"
	"github.com/almanac/almanac/calendar"
	"github.com/almanac/almanac/changefeed"
	"github.com/almanac/almanac/external"
	"github.com/almanac/almanac/httpserver"
	"github.com/almanac/almanac/reminders"
	"github.com/almanac/almanac/scheduling"
	"github.com/almanac/almanac/store"
)

// Options configure the API.
type Options struct {
	// SecureCookies marks the session cookie Secure (set it when clients
	// reach the server over HTTPS, directly or through a proxy).
	SecureCookies bool
	// Feed serves GET /stream; nil disables it.
	Feed *changefeed.Feed
	// Shutdown is closed when the server stops, ending open streams.
	Shutdown <-chan struct{}
	// External serves subscriptions and mirrors; nil disables them.
	External *external.Service
	// MaxImportBytes bounds an uploaded import (default 64 MiB).
	MaxImportBytes int64
	// PublicURL is the server's URL as its users reach it, for the links
	// of published calendars (default: taken from each request).
	PublicURL string
	// NoViewCache computes every view afresh, to measure the query path.
	NoViewCache bool
	// Scheduler serves /invitations and the RSVP links; nil disables them.
	Scheduler *scheduling.Scheduler
	// WebhookAllowPrivate accepts reminder webhook URLs on loopback and
	// private addresses (the operator's --webhook-allow-private).
	WebhookAllowPrivate bool
	// Reminders keeps sharees' own reminders; nil: only owners and
	// writers change reminders, in the event itself.
	Reminders *reminders.Service
}

// API serves the JSON front end.
type API struct {
	accounts *account.Service
	cals     *calendar.Service
	store    *store.Store
	feed     *changefeed.Feed
	views    *viewCache
	opt      Options
}

// New returns the API over the given services.
func New(accounts *account.Service, cals *calendar.Service, opt Options) *API {
	if opt.MaxImportBytes <= 0 {
		opt.MaxImportBytes = 64 << 20
	}
	return &API{accounts: accounts, cals: cals, store: cals.Store(), feed: opt.Feed, views: newViewCache(), opt: opt}
}

// SessionCookie is the name of the web client's session cookie.
const SessionCookie = "almanac_session"

type ctxKey int

const (
	userKey ctxKey = iota
	sessionKey
)

// authenticate resolves the caller from "Authorization: Bearer" or the
// session cookie. Cookie-authenticated requests that change state must
// carry the session's CSRF token in X-CSRF-Token: a browser sends the
// cookie on cross-site requests too, but no other site can read the token.
func (a *API) authenticate(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		token, fromCookie := bearer(r)
		u, sess, err := a.accounts.Authenticate(r.Context(), token)
		if err != nil {
			writeError(w, r, err)
			return
		}
		if fromCookie && !safeMethod(r.Method) && r.Header.Get("X-CSRF-Token") != sess.CSRF {
			writeError(w, r, newProblem(http.StatusForbidden, "csrf", "cookie-authenticated requests that change data need the X-CSRF-Token header from login"))
			return
		}
		ctx := context.WithValue(r.Context(), userKey, u)
		ctx = context.WithValue(ctx, sessionKey, token)
		next.ServeHTTP(w, r.WithContext(ctx))
	})
}

func bearer(r *http.Request) (token string, fromCookie bool) {
	if h := r.Header.Get("Authorization"); h != "" {
		if scheme, tok, ok := strings.Cut(h, " "); ok && strings.EqualFold(scheme, "Bearer") {
			return strings.TrimSpace(tok), false
		}
		return "", false
	}
	if c, err := r.Cookie(SessionCookie); err == nil {
		return c.Value, true
	}
	return "", false
}

func safeMethod(m string) bool {
	return m == http.MethodGet || m == http.MethodHead || m == http.MethodOptions
}

// sessionToken is the session token the request was authenticated with.
func sessionToken(r *http.Request) string {
	token, _ := r.Context().Value(sessionKey).(string)
	return token
}

// caller is the authenticated user of the request.
func caller(r *http.Request) *store.User { return ctxUser(r.Context()) }

// ctxUser is the authenticated user of a request's context.
func ctxUser(ctx context.Context) *store.User {
	u, _ := ctx.Value(userKey).(*store.User)
	return u
}

// clientAddr is the address login throttling counts failures against:
// the client's, behind a trusted proxy too (see httpserver.ClientAddress).
func clientAddr(r *http.Request) string { return httpserver.ClientIP(r) }
