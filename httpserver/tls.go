package httpserver

import (
	"net/http"
	"strconv"
	"time"
)

// HSTS adds Strict-Transport-Security to every answer given over TLS, so
// that browsers use HTTPS only for maxAge (RFC 6797). Answers over plain
// HTTP never carry it: "An HSTS Host MUST NOT include the STS header field
// in HTTP responses conveyed over non-secure transport" (RFC 6797 §7.2).
// A maxAge of 0 or less adds nothing.
func HSTS(maxAge time.Duration) func(http.Handler) http.Handler {
	value := "max-age=" + strconv.FormatInt(int64(maxAge/time.Second), 10)
	return func(next http.Handler) http.Handler {
		if maxAge <= 0 {
			return next
		}
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.TLS != nil {
				w.Header().Set("Strict-Transport-Security", value)
			}
			next.ServeHTTP(w, r)
		})
	}
}
