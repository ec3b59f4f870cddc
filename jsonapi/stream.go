package jsonapi

import (
	"fmt"
	"net/http"
	"time"
)

// keepAlive is how often an idle stream sends a comment, so that proxies
// and browsers do not time it out.
const keepAlive = 25 * time.Second

// stream serves GET /stream: Server-Sent Events carrying every change to
// the calendars the caller may see, from any front end and any node. A
// reconnecting client sends Last-Event-ID (browsers do it themselves) and
// first receives what it missed.
func (a *API) stream(w http.ResponseWriter, r *http.Request) {
	if a.feed == nil {
		writeError(w, r, newProblem(http.StatusServiceUnavailable, "unavailable", "change streams are not enabled on this node"))
		return
	}
	last := r.Header.Get("Last-Event-ID")
	if last == "" {
		last = r.URL.Query().Get("last_event_id")
	}
	s, err := a.feed.Open(r.Context(), caller(r), last)
	if err != nil {
		writeError(w, r, err)
		return
	}
	defer s.Close()
	rc := http.NewResponseController(w)
	h := w.Header()
	h.Set("Content-Type", "text/event-stream")
	h.Set("Cache-Control", "no-store")
	h.Set("X-Accel-Buffering", "no")
	w.WriteHeader(http.StatusOK)
	fmt.Fprint(w, ": almanac change stream\nretry: 3000\n\n")
	_ = rc.Flush()
	tick := time.NewTicker(keepAlive)
	defer tick.Stop()
	for {
		select {
		case <-r.Context().Done():
			return
		case <-a.opt.Shutdown:
			return
		case <-tick.C:
			fmt.Fprint(w, ": keep-alive\n\n")
		case <-s.Ready():
			evs, open := s.Take()
			for _, ev := range evs {
				fmt.Fprintf(w, "id: %s\nevent: %s\ndata: %s\n\n", ev.ID, ev.Type, ev.Data)
			}
			if !open {
				_ = rc.Flush()
				return
			}
		}
		if err := rc.Flush(); err != nil {
			return
		}
	}
}
