// Package publish serves published calendars: a calendar its owner chose
// to publish is readable by anyone who has its secret URL,
// /ical/{token}.ics, at the level of detail the owner chose (busy periods,
// titles and locations, or everything). webcal:// links and subscribing
// clients (Google Calendar, Outlook, Apple Calendar) fetch it like any
// published feed, conditionally: ETag and Last-Modified let them skip
// unchanged calendars with a 304.
package publish

import (
	"errors"
	"net/http"
	"strings"
	"time"

	"github.com/almanac/almanac/calendar"
	"github.com/almanac/almanac/httpserver"
	"github.com/almanac/almanac/store"
	"github.com/go-chi/chi/v5"
)

// Prefix is where the handler is mounted.
const Prefix = "/ical"

// Refresh is the polling interval suggested to subscribers (RFC 7986
// §5.7 REFRESH-INTERVAL).
const Refresh = time.Hour

// Handler serves published calendars.
type Handler struct {
	cals *calendar.Service
}

// New returns the handler.
func New(cals *calendar.Service) *Handler { return &Handler{cals: cals} }

// Routes returns the routes to mount at Prefix.
func (h *Handler) Routes() http.Handler {
	r := chi.NewRouter()
	r.Get("/{token}", h.serve)
	r.Head("/{token}", h.serve)
	return r
}

func (h *Handler) serve(w http.ResponseWriter, r *http.Request) {
	httpserver.SecretPath(r.Context())
	token, ok := strings.CutSuffix(chi.URLParam(r, "token"), ".ics")
	if !ok {
		http.NotFound(w, r)
		return
	}
	cal, pub, err := h.cals.Published(r.Context(), token)
	if errors.Is(err, store.ErrNotFound) {
		http.Error(w, "no calendar is published here (the link may have been revoked)", http.StatusNotFound)
		return
	} else if err != nil {
		h.internal(w, r, err)
		return
	}
	level := calendar.Level(pub.Level)
	modified := cal.UpdatedAt
	if pu := store.FromMicro(pub.UpdatedAt); pu.After(modified) {
		modified = pu
	}
	etag := calendar.ExportETag(cal, level, pub.Digest+pub.Level)
	w.Header().Set("Cache-Control", "no-cache")
	if httpserver.NotModified(w, r, etag, modified) {
		return
	}
	w.Header().Set("Content-Type", "text/calendar; charset=utf-8")
	w.Header().Set("Content-Disposition", `inline; filename="calendar.ics"`)
	if r.Method == http.MethodHead {
		return
	}
	body, finish := httpserver.Compressed(w, r)
	cw := &httpserver.CountingWriter{W: body}
	opt := calendar.ExportOptions{Refresh: Refresh}
	if err := h.cals.ExportPublished(r.Context(), cal, level, opt, cw); err != nil {
		if cw.N == 0 {
			w.Header().Del("Content-Encoding")
			h.internal(w, r, err)
			return
		}
		// The answer has started: it can only be cut short.
		httpserver.Logger(r.Context()).Error("publishing a calendar", "calendar", cal.UUID, "err", err)
		return
	}
	_ = finish()
}

func (h *Handler) internal(w http.ResponseWriter, r *http.Request, err error) {
	httpserver.Logger(r.Context()).Error("internal error", "err", err, "route", Prefix+"/{token}")
	http.Error(w, "the server failed to handle the request; it has been logged", http.StatusInternalServerError)
}
