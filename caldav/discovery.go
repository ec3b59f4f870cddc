package caldav

import (
	"net/http"
	"strings"

	"github.com/go-chi/chi/v5"
)

// Discovery: the URLs a client may be given instead of Prefix.

// Register mounts the handler at Prefix on r with the discovery URLs
// around it: /.well-known/caldav (RFC 6764 §5), /.well-known/ itself, and
// the WebDAV methods on "/"; every other request to "/" goes to root.
func (h *Handler) Register(r chi.Router, root http.Handler) {
	r.Mount(Prefix, h.Routes())
	r.Handle("/.well-known/caldav", http.HandlerFunc(h.WellKnown))
	r.Handle("/.well-known/caldav/", http.HandlerFunc(h.WellKnown))
	r.Handle("/.well-known/", http.HandlerFunc(h.WellKnownIndex))
	r.Handle("/", h.ServerRoot(root))
}

// WellKnown redirects /.well-known/caldav, with or without a trailing
// slash and whatever the method, to the root (RFC 6764 §5: "a server MUST
// redirect to the actual context path").
func (h *Handler) WellKnown(w http.ResponseWriter, r *http.Request) {
	http.Redirect(w, r, Prefix+"/", http.StatusMovedPermanently)
}

// WellKnownIndex answers /.well-known/ itself as a small public collection
// (RFC 8615 leaves it undefined): clients that walk up from
// /.well-known/caldav/ find a collection rather than the web client's page.
func (h *Handler) WellKnownIndex(w http.ResponseWriter, r *http.Request) {
	switch r.Method {
	case http.MethodGet, http.MethodHead:
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		w.Header().Set("Cache-Control", "public, max-age=3600")
		_, _ = w.Write([]byte("caldav\n"))
	case http.MethodOptions:
		w.Header().Set("Allow", "GET, HEAD, OPTIONS, PROPFIND")
		w.Header().Set("Content-Length", "0")
	case "PROPFIND":
		ms := newMultistatus(w, r)
		ms.response(r.URL.Path, propstat{status: http.StatusOK, props: []prop{{name: pnResourceType, inner: "<D:collection/>"}}})
		_ = ms.close("")
	default:
		w.Header().Set("Allow", "GET, HEAD, OPTIONS, PROPFIND")
		writeError(w, r, davStatus(http.StatusMethodNotAllowed, r.Method+" is not allowed here"))
	}
}

// ServerRoot serves the WebDAV methods that discovery sends to the
// server's own URL ("/") as the CalDAV root: a client given only the host
// asks it for DAV:current-user-principal (RFC 6764 §6, RFC 5397 §3). Every
// other request goes to next (the web client).
func (h *Handler) ServerRoot(next http.Handler) http.Handler {
	dav := h.authenticate(h.serve(kindRoot))
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch strings.ToUpper(r.Method) {
		case "PROPFIND", "REPORT":
			dav.ServeHTTP(w, r)
		default:
			next.ServeHTTP(w, r)
		}
	})
}
