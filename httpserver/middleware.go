// Package httpserver is the HTTP plumbing every front end shares: request
// ids, structured access logs, Prometheus metrics, panic recovery, health
// and readiness endpoints, and graceful shutdown.
package httpserver

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"encoding/hex"
	"fmt"
	"log/slog"
	"net/http"
	"runtime/debug"
	"strconv"
	"time"

	"github.com/go-chi/chi/v5"
	"github.com/prometheus/client_golang/prometheus"
)

type ctxKey int

const (
	loggerKey ctxKey = iota
	secretKey
)

// SecretPath marks the request's path as a secret (a capability URL,
// such as a published calendar's): the access log shows its route only.
func SecretPath(ctx context.Context) {
	if flag, ok := ctx.Value(secretKey).(*bool); ok {
		*flag = true
	}
}

// Secret marks every path under it as a secret (capability URLs: RSVP and
// verification links), whether or not a handler is reached, so that no
// token reaches the access log.
func Secret(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		SecretPath(r.Context())
		next.ServeHTTP(w, r)
	})
}

// RequireBearer serves h only to requests with "Authorization: Bearer
// token" (compared in constant time); others get 401.
func RequireBearer(token string, h http.Handler) http.Handler {
	want := []byte("Bearer " + token)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if subtle.ConstantTimeCompare([]byte(r.Header.Get("Authorization")), want) != 1 {
			w.Header().Set("WWW-Authenticate", `Bearer realm="metrics"`)
			http.Error(w, "authentication required", http.StatusUnauthorized)
			return
		}
		h.ServeHTTP(w, r)
	})
}

// Logger returns the request's logger, which carries its request id.
func Logger(ctx context.Context) *slog.Logger {
	if l, ok := ctx.Value(loggerKey).(*slog.Logger); ok {
		return l
	}
	return slog.Default()
}

// WithLogger returns ctx carrying l, for work started outside a request.
func WithLogger(ctx context.Context, l *slog.Logger) context.Context {
	return context.WithValue(ctx, loggerKey, l)
}

// Metrics are the HTTP server's Prometheus collectors.
type Metrics struct {
	requests *prometheus.CounterVec
	duration *prometheus.HistogramVec
	inflight prometheus.Gauge
}

// NewMetrics registers the HTTP collectors with reg.
func NewMetrics(reg prometheus.Registerer) *Metrics {
	m := &Metrics{
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "almanac_http_requests_total", Help: "HTTP requests by method, route and status code.",
		}, []string{"method", "route", "code"}),
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "almanac_http_request_duration_seconds",
			Help:    "HTTP request latency by method and route.",
			Buckets: []float64{.0005, .001, .002, .005, .01, .02, .05, .1, .2, .5, 1, 2, 5},
		}, []string{"method", "route"}),
		inflight: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "almanac_http_requests_in_flight", Help: "HTTP requests being served.",
		}),
	}
	reg.MustRegister(m.requests, m.duration, m.inflight)
	return m
}

// statusWriter records the status code and size of a response.
type statusWriter struct {
	http.ResponseWriter
	status int
	bytes  int64
}

func (w *statusWriter) WriteHeader(code int) {
	if w.status == 0 {
		w.status = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	n, err := w.ResponseWriter.Write(b)
	w.bytes += int64(n)
	return n, err
}

// Unwrap lets http.ResponseController reach Flush on the real writer.
func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// Flush passes streaming responses through.
func (w *statusWriter) Flush() {
	if f, ok := w.ResponseWriter.(http.Flusher); ok {
		if w.status == 0 {
			w.status = http.StatusOK
		}
		f.Flush()
	}
}

// Observe gives each request an id (X-Request-Id, taken from the client if
// it is sane), a logger carrying it, an access-log line, metrics, and turns
// a panic into a logged 500 instead of a dropped connection.
func Observe(base *slog.Logger, m *Metrics) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			start := time.Now()
			id := requestID(r.Header.Get("X-Request-Id"))
			w.Header().Set("X-Request-Id", id)
			log := base.With("request_id", id)
			sw := &statusWriter{ResponseWriter: w}
			secret := new(bool)
			m.inflight.Inc()
			defer func() {
				m.inflight.Dec()
				if p := recover(); p != nil {
					if p == http.ErrAbortHandler {
						panic(p)
					}
					log.Error("panic", "panic", fmt.Sprint(p), "stack", string(debug.Stack()))
					if sw.status == 0 {
						http.Error(sw, "internal server error", http.StatusInternalServerError)
					}
				}
				route := "unmatched"
				if rc := chi.RouteContext(r.Context()); rc != nil && rc.RoutePattern() != "" {
					route = rc.RoutePattern()
				}
				if sw.status == 0 {
					sw.status = http.StatusOK
				}
				d := time.Since(start)
				m.requests.WithLabelValues(r.Method, route, strconv.Itoa(sw.status)).Inc()
				m.duration.WithLabelValues(r.Method, route).Observe(d.Seconds())
				level := slog.LevelDebug
				if sw.status >= 500 {
					level = slog.LevelWarn
				}
				path := r.URL.Path
				if *secret {
					path = route
				}
				log.Log(r.Context(), level, "request", "method", r.Method, "path", path,
					"route", route, "status", sw.status, "bytes", sw.bytes, "duration", d, "remote", r.RemoteAddr, "client", ClientIP(r))
			}()
			ctx := context.WithValue(WithLogger(r.Context(), log), secretKey, secret)
			next.ServeHTTP(sw, r.WithContext(ctx))
		})
	}
}

// requestID keeps a client's id when it is short and printable; otherwise
// it makes a new one.
func requestID(given string) string {
	if n := len(given); n > 0 && n <= 64 {
		ok := true
		for _, c := range given {
			if c < '!' || c > '~' {
				ok = false
				break
			}
		}
		if ok {
			return given
		}
	}
	var b [8]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}
