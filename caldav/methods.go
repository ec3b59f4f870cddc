package caldav

import (
	"context"
	"encoding/xml"
	"net/http"
	"sort"
	"strings"

	"github.com/almanac/almanac/httpserver"
	"github.com/almanac/almanac/store"
)

const targetKey ctxKey = 1

type method func(h *Handler, w http.ResponseWriter, r *http.Request, t *target) error

// methods says which methods each kind of resource answers; Allow and
// DAV:supported-method-set are read from it.
var methods map[kind]map[string]method

func init() {
	methods = map[kind]map[string]method{
		kindRoot:       {"OPTIONS": (*Handler).options, "PROPFIND": (*Handler).propfind, "REPORT": (*Handler).report},
		kindPrincipals: {"OPTIONS": (*Handler).options, "PROPFIND": (*Handler).propfind, "REPORT": (*Handler).report},
		kindHomes:      {"OPTIONS": (*Handler).options, "PROPFIND": (*Handler).propfind, "REPORT": (*Handler).report},
		kindNested:     {"MKCALENDAR": (*Handler).mkcalendarNested, "MKCOL": (*Handler).mkcalendarNested},
		kindPrincipal:  {"OPTIONS": (*Handler).options, "PROPFIND": (*Handler).propfind, "PROPPATCH": (*Handler).proppatch, "REPORT": (*Handler).report},
		kindHome:       {"OPTIONS": (*Handler).options, "PROPFIND": (*Handler).propfind, "PROPPATCH": (*Handler).proppatch, "REPORT": (*Handler).report},
		kindCalendar: {"OPTIONS": (*Handler).options, "PROPFIND": (*Handler).propfind, "PROPPATCH": (*Handler).proppatch,
			"MKCALENDAR": (*Handler).mkcalendar, "MKCOL": (*Handler).mkcol, "DELETE": (*Handler).deleteCalendar,
			"REPORT": (*Handler).report, "POST": (*Handler).postCalendar, "GET": (*Handler).getCalendar, "HEAD": (*Handler).getCalendar,
			"MOVE": (*Handler).moveCalendar},
		kindObject: {"OPTIONS": (*Handler).options, "PROPFIND": (*Handler).propfind, "PROPPATCH": (*Handler).proppatch,
			"GET": (*Handler).get, "HEAD": (*Handler).get, "PUT": (*Handler).put, "DELETE": (*Handler).deleteObject,
			"MOVE": (*Handler).move, "COPY": (*Handler).copy, "REPORT": (*Handler).report},
		kindInbox:     {"OPTIONS": (*Handler).options, "PROPFIND": (*Handler).propfind, "REPORT": (*Handler).report},
		kindInboxItem: {"OPTIONS": (*Handler).options, "PROPFIND": (*Handler).propfind, "GET": (*Handler).getInboxItem, "HEAD": (*Handler).getInboxItem, "DELETE": (*Handler).deleteInboxItem},
		kindOutbox:    {"OPTIONS": (*Handler).options, "PROPFIND": (*Handler).propfind, "POST": (*Handler).postOutbox},
	}
}

// allowed lists the methods of a kind, for the Allow header.
func allowed(k kind) string {
	var list []string
	for m := range methods[k] {
		list = append(list, m)
	}
	sort.Strings(list)
	return strings.Join(list, ", ")
}

// serve resolves the target of a request and runs its method.
func (h *Handler) serve(k kind) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		t, err := h.resolve(r, k)
		if err != nil {
			writeError(w, r, err)
			return
		}
		r = r.WithContext(context.WithValue(r.Context(), targetKey, t))
		// Nothing is there: only a method that makes a collection applies.
		if (k == kindCalendar && t.cal == nil || k == kindNested) && !makesCollection(r.Method) {
			writeError(w, r, store.ErrNotFound)
			return
		}
		m, ok := methods[k][r.Method]
		if !ok {
			w.Header().Set("Allow", allowed(k))
			writeError(w, r, davStatus(http.StatusMethodNotAllowed, r.Method+" is not allowed here"))
			return
		}
		if err := m(h, w, r, t); err != nil {
			writeError(w, r, err)
		}
	}
}

// makesCollection tells the methods that may name a calendar that does not
// exist yet; every other method on it answers 404.
func makesCollection(method string) bool {
	return method == "MKCALENDAR" || method == "MKCOL"
}

// options answers OPTIONS with the DAV compliance classes this server
// really implements (RFC 4918 §10.1, RFC 4791 §5.1) and the methods of the
// resource.
func (h *Handler) options(w http.ResponseWriter, r *http.Request, t *target) error {
	// RFC 6638 §2: calendar-auto-schedule, the server schedules.
	w.Header().Set("DAV", "1, 3, calendar-access, extended-mkcol, calendar-auto-schedule")
	w.Header().Set("Allow", allowed(t.kind))
	w.Header().Set("Content-Length", "0")
	w.WriteHeader(http.StatusOK)
	return nil
}

func logError(r *http.Request, err error) {
	httpserver.Logger(r.Context()).Error("internal error", "err", err, "method", r.Method, "path", r.URL.Path)
}

func sortProps(ps []prop) {
	sort.Slice(ps, func(i, j int) bool { return nameLess(ps[i].name, ps[j].name) })
}

func sortNames(ns []xml.Name) {
	sort.Slice(ns, func(i, j int) bool { return nameLess(ns[i], ns[j]) })
}

func nameLess(a, b xml.Name) bool {
	if a.Space != b.Space {
		return a.Space < b.Space
	}
	return a.Local < b.Local
}
