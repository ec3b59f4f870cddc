// Package web serves the browser client: a single-page application built
// from the TypeScript sources in this folder (npm run build, or make web)
// into dist/, which is committed and embedded in the binary so that a Go
// build needs no Node.js.
package web

import (
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"embed"
	"encoding/base64"
	"io/fs"
	"mime"
	"net/http"
	"path"
	"strings"
	"time"
)

//go:embed dist
var dist embed.FS

// file is one file of the build, ready to serve.
type file struct {
	name  string
	body  []byte
	gz    []byte // gzip-compressed body, when that is smaller
	ctype string
	etag  string
}

// Handler serves the client: files under /assets/ (named by their content
// hash, so they are cached for a year), other files of dist as they are,
// and index.html for every other GET, so that the client's own routes
// survive a reload. Mounted as the fallback route, it never sees the paths
// the server owns (the API, CalDAV, health and metrics).
func Handler() http.Handler {
	h := &handler{files: make(map[string]*file)}
	root, err := fs.Sub(dist, "dist")
	if err != nil {
		panic(err) // the embed directive guarantees dist exists
	}
	_ = fs.WalkDir(root, ".", func(name string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := fs.ReadFile(root, name)
		if err != nil {
			return err
		}
		h.files[name] = newFile(name, b)
		return nil
	})
	h.index = h.files["index.html"]
	if h.index == nil {
		h.index = newFile("index.html", []byte(missingBuild))
	}
	return h
}

const missingBuild = `<!doctype html><meta charset="utf-8"><title>Almanac</title>
<p>The web client has not been built: run <code>make web</code>.</p>`

// contentTypes are the types of the files a build makes; anything else
// falls back to the mime package.
var contentTypes = map[string]string{
	".html":        "text/html; charset=utf-8",
	".js":          "text/javascript; charset=utf-8",
	".css":         "text/css; charset=utf-8",
	".svg":         "image/svg+xml",
	".png":         "image/png",
	".ico":         "image/x-icon",
	".json":        "application/json",
	".webmanifest": "application/manifest+json",
	".woff2":       "font/woff2",
	".txt":         "text/plain; charset=utf-8",
}

func newFile(name string, body []byte) *file {
	ext := path.Ext(name)
	ct := contentTypes[ext]
	if ct == "" {
		ct = mime.TypeByExtension(ext)
	}
	if ct == "" {
		ct = "application/octet-stream"
	}
	sum := sha256.Sum256(body)
	f := &file{name: name, body: body, ctype: ct, etag: `"` + base64.RawURLEncoding.EncodeToString(sum[:12]) + `"`}
	if compressible(ct) && len(body) > 512 {
		var buf bytes.Buffer
		zw, _ := gzip.NewWriterLevel(&buf, gzip.BestCompression)
		_, _ = zw.Write(body)
		_ = zw.Close()
		if buf.Len() < len(body) {
			f.gz = buf.Bytes()
		}
	}
	return f
}

func compressible(ct string) bool {
	return strings.HasPrefix(ct, "text/") || strings.Contains(ct, "json") || strings.Contains(ct, "svg")
}

type handler struct {
	files map[string]*file
	index *file
}

func (h *handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		w.Header().Set("Allow", "GET, HEAD")
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return
	}
	name := strings.TrimPrefix(path.Clean("/"+r.URL.Path), "/")
	hdr := w.Header()
	hdr.Set("X-Content-Type-Options", "nosniff")
	f := h.files[name]
	switch {
	case f != nil && name != "index.html":
		if strings.HasPrefix(name, "assets/") {
			hdr.Set("Cache-Control", "public, max-age=31536000, immutable")
		} else {
			hdr.Set("Cache-Control", "no-cache")
		}
	case name != "index.html" && (name == "assets" || strings.HasPrefix(name, "assets/") || path.Ext(name) != ""):
		// A missing file, not a page of the client.
		http.NotFound(w, r)
		return
	default:
		// A client route: the application decides what to show.
		f = h.index
		hdr.Set("Cache-Control", "no-cache")
		hdr.Set("Content-Security-Policy", csp)
		hdr.Set("Referrer-Policy", "same-origin")
		hdr.Set("X-Frame-Options", "DENY")
	}
	hdr.Set("Content-Type", f.ctype)
	body, etag := f.body, f.etag
	if f.gz != nil {
		hdr.Add("Vary", "Accept-Encoding")
		if acceptsGzip(r) {
			// A different representation needs its own entity tag.
			hdr.Set("Content-Encoding", "gzip")
			body, etag = f.gz, strings.TrimSuffix(etag, `"`)+`-gz"`
		}
	}
	hdr.Set("ETag", etag)
	http.ServeContent(w, r, "", time.Time{}, bytes.NewReader(body))
}

// acceptsGzip reports whether the request's Accept-Encoding allows gzip
// (and does not refuse it with q=0).
func acceptsGzip(r *http.Request) bool {
	for _, part := range strings.Split(r.Header.Get("Accept-Encoding"), ",") {
		coding, params, _ := strings.Cut(strings.TrimSpace(part), ";")
		if strings.EqualFold(strings.TrimSpace(coding), "gzip") {
			q := strings.ReplaceAll(params, " ", "")
			return q != "q=0" && q != "q=0.0" && q != "q=0.00" && q != "q=0.000"
		}
	}
	return false
}

// csp allows only the application's own scripts and styles and
// connections to its own origin; inline styles are needed by the calendar
// grid, which positions events with style attributes.
const csp = "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; font-src 'self' data:; " +
	"connect-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'"
