package httpserver

import (
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/klauspost/compress/gzip"
)

// NotModified sets the validators of a representation (ETag, a strong
// tag given without quotes, and Last-Modified) and answers 304 Not
// Modified when the request's preconditions say the client's copy is
// current: If-None-Match when present, otherwise If-Modified-Since
// (RFC 9110 §13.1.2, §13.1.3, evaluated as §13.2.2 orders them). It
// reports whether it answered.
func NotModified(w http.ResponseWriter, r *http.Request, etag string, modified time.Time) bool {
	h := w.Header()
	h.Set("ETag", `"`+etag+`"`)
	if !modified.IsZero() {
		h.Set("Last-Modified", modified.UTC().Format(http.TimeFormat))
	}
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		return false
	}
	if inm := r.Header.Get("If-None-Match"); inm != "" {
		if !matchesAny(inm, etag) {
			return false
		}
	} else if ims, err := http.ParseTime(r.Header.Get("If-Modified-Since")); err != nil || modified.IsZero() ||
		modified.Truncate(time.Second).After(ims) {
		return false
	}
	h.Del("Content-Type")
	h.Del("Content-Length")
	w.WriteHeader(http.StatusNotModified)
	return true
}

// matchesAny applies the weak comparison of If-None-Match (RFC 9110
// §13.1.2) to a list of entity tags.
func matchesAny(list, etag string) bool {
	for _, t := range strings.Split(list, ",") {
		t = strings.TrimPrefix(strings.TrimSpace(t), "W/")
		if t == "*" || t == `"`+etag+`"` {
			return true
		}
	}
	return false
}

// Compressed returns a writer for the response body that gzips it when
// the client accepts that, and a function to call when the body is
// complete. It sets Content-Encoding and Vary accordingly.
func Compressed(w http.ResponseWriter, r *http.Request) (io.Writer, func() error) {
	w.Header().Add("Vary", "Accept-Encoding")
	if !acceptsGzip(r) || r.Method == http.MethodHead {
		return w, func() error { return nil }
	}
	w.Header().Set("Content-Encoding", "gzip")
	w.Header().Del("Content-Length")
	gz, _ := gzip.NewWriterLevel(w, gzip.BestSpeed)
	return gz, gz.Close
}

func acceptsGzip(r *http.Request) bool {
	for _, part := range strings.Split(r.Header.Get("Accept-Encoding"), ",") {
		enc, params, _ := strings.Cut(strings.TrimSpace(part), ";")
		if !strings.EqualFold(strings.TrimSpace(enc), "gzip") {
			continue
		}
		name, q, _ := strings.Cut(strings.TrimSpace(params), "=")
		if v, err := strconv.ParseFloat(strings.TrimSpace(q), 64); strings.TrimSpace(name) == "q" && err == nil && v == 0 {
			return false // RFC 9110 §12.5.3: q=0 means "not acceptable"
		}
		return true
	}
	return false
}

// CountingWriter counts what passes through it, so that a handler that
// streams its answer knows whether the response has started (and its
// status can no longer change) when an error comes.
type CountingWriter struct {
	W io.Writer
	N int64
}

func (c *CountingWriter) Write(p []byte) (int, error) {
	n, err := c.W.Write(p)
	c.N += int64(n)
	return n, err
}
