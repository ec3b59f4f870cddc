// Package caldav is the CalDAV and WebDAV front end (RFC 4918, RFC 4791,
// RFC 6578, RFC 5689, RFC 3253 §3.8, RFC 3744 in part, RFC 5397). It maps
// requests onto the calendar domain service and the store and translates
// their errors into DAV statuses and precondition elements in errors.go.
//
// URL layout, resolved in resolve.go:
//
//	/.well-known/caldav                       redirect to /dav/
//	/dav/                                     root: current-user-principal
//	/dav/principals/                          principal collection
//	/dav/principals/{user}/                   a user's principal
//	/dav/calendars/{user}/                    calendar home
//	/dav/calendars/{user}/{calendar}/         calendar collection
//	/dav/calendars/{user}/{calendar}/{object} calendar object resource
//	/dav/scheduling/{user}/inbox/             schedule inbox (RFC 6638 §2.2)
//	/dav/scheduling/{user}/outbox/            schedule outbox (RFC 6638 §2.1)
package caldav

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"strconv"
	"strings"

	"github.com/almanac/almanac/account"
	"github.com/almanac/almanac/calendar"
	"github.com/almanac/almanac/httpserver"
	"github.com/almanac/almanac/scheduling"
	"github.com/almanac/almanac/store"
	"github.com/go-chi/chi/v5"
)

// Prefix is where the handler is mounted.
const Prefix = "/dav"

func init() {
	// chi rejects methods it does not know before any route sees them.
	for _, m := range []string{"PROPFIND", "PROPPATCH", "MKCALENDAR", "MKCOL", "REPORT", "MOVE", "COPY", "LOCK", "UNLOCK", "ACL"} {
		chi.RegisterMethod(m)
	}
}

// Options configure the handler.
type Options struct {
	// Logger is used for errors outside a request; requests log through
	// httpserver.Logger.
	Logger *slog.Logger
	// Scheduler answers free-busy requests POSTed to the outbox (nil: the
	// outbox refuses them).
	Scheduler *scheduling.Scheduler
	// ReportCacheBytes bounds the cache of report answers (0: 64 MiB;
	// negative: no cache).
	ReportCacheBytes int64
}

// Handler serves CalDAV.
type Handler struct {
	sched    *scheduling.Scheduler
	accounts *account.Service
	cals     *calendar.Service
	st       *store.Store
	log      *slog.Logger
	reports  *reportCache
}

// New returns a handler over the account and calendar services.
func New(accounts *account.Service, cals *calendar.Service, opt Options) *Handler {
	if opt.Logger == nil {
		opt.Logger = slog.Default()
	}
	if opt.ReportCacheBytes == 0 {
		opt.ReportCacheBytes = 64 << 20
	}
	return &Handler{sched: opt.Scheduler, accounts: accounts, cals: cals, st: cals.Store(), log: opt.Logger,
		reports: newReportCache(opt.ReportCacheBytes)}
}

// Routes returns the handler for everything under Prefix; mount it there.
// Every route is listed here; each resolves its target in resolve.go and
// dispatches on the method in methods.go.
func (h *Handler) Routes() http.Handler {
	r := chi.NewRouter()
	r.Use(collapseSlashes, h.authenticate)
	r.HandleFunc("/", h.serve(kindRoot))
	r.HandleFunc("/principals", h.serve(kindPrincipals))
	r.HandleFunc("/principals/", h.serve(kindPrincipals))
	r.HandleFunc("/principals/{user}", h.serve(kindPrincipal))
	r.HandleFunc("/principals/{user}/", h.serve(kindPrincipal))
	r.HandleFunc("/calendars", h.serve(kindHomes))
	r.HandleFunc("/calendars/", h.serve(kindHomes))
	r.HandleFunc("/calendars/{user}", h.serve(kindHome))
	r.HandleFunc("/calendars/{user}/", h.serve(kindHome))
	r.HandleFunc("/calendars/{user}/{calendar}", h.serve(kindCalendar))
	r.HandleFunc("/calendars/{user}/{calendar}/", h.serve(kindCalendar))
	r.HandleFunc("/calendars/{user}/{calendar}/{object}", h.serve(kindObject))
	r.HandleFunc("/calendars/{user}/{calendar}/{object}/", h.serve(kindNested))
	r.HandleFunc("/calendars/{user}/{calendar}/{object}/*", h.serve(kindNested))
	r.HandleFunc("/scheduling/{user}/inbox", h.serve(kindInbox))
	r.HandleFunc("/scheduling/{user}/inbox/", h.serve(kindInbox))
	r.HandleFunc("/scheduling/{user}/inbox/{item}", h.serve(kindInboxItem))
	r.HandleFunc("/scheduling/{user}/outbox", h.serve(kindOutbox))
	r.HandleFunc("/scheduling/{user}/outbox/", h.serve(kindOutbox))
	r.NotFound(func(w http.ResponseWriter, r *http.Request) { writeError(w, r, store.ErrNotFound) })
	return r
}

// collapseSlashes routes a path with repeated slashes ("/dav/calendars//",
// as clients that join a base ending in '/' with one starting with it
// write) as the path with single ones (RFC 3986 leaves empty segments to
// the server; none of ours means anything).
func collapseSlashes(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if rctx := chi.RouteContext(r.Context()); rctx != nil && strings.Contains(rctx.RoutePath, "//") {
			p := rctx.RoutePath
			for strings.Contains(p, "//") {
				p = strings.ReplaceAll(p, "//", "/")
			}
			rctx.RoutePath = p
		}
		next.ServeHTTP(w, r)
	})
}

type ctxKey int

const userKey ctxKey = 0

// authenticate checks HTTP Basic credentials on every request. Clients
// send them preemptively after the first 401.
func (h *Handler) authenticate(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		login, password, ok := r.BasicAuth()
		if !ok {
			unauthorized(w)
			return
		}
		u, err := h.accounts.BasicAuth(r.Context(), login, password, clientAddr(r))
		if err != nil {
			var rl *account.RateLimitedError
			switch {
			case errors.As(err, &rl):
				w.Header().Set("Retry-After", strconv.Itoa(int(rl.RetryAfter.Seconds())+1))
				http.Error(w, "too many failed logins; try again later", http.StatusTooManyRequests)
			case errors.Is(err, account.ErrInvalidCredentials):
				unauthorized(w)
			default:
				writeError(w, r, err)
			}
			return
		}
		next.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), userKey, u)))
	})
}

func unauthorized(w http.ResponseWriter) {
	w.Header().Set("WWW-Authenticate", `Basic realm="Almanac", charset="UTF-8"`)
	http.Error(w, "authentication required", http.StatusUnauthorized)
}

// caller is the authenticated user.
func caller(r *http.Request) *store.User {
	u, _ := r.Context().Value(userKey).(*store.User)
	return u
}

func clientAddr(r *http.Request) string { return httpserver.ClientIP(r) }
