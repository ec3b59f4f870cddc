package httpserver

import (
	"context"
	"encoding/json"
	"net/http"
	"time"
)

// Check is one dependency the node needs to serve requests.
type Check struct {
	Name string
	Ping func(ctx context.Context) error
}

// Healthz answers 200 while the process is alive and serving HTTP.
func Healthz(w http.ResponseWriter, _ *http.Request) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	_, _ = w.Write([]byte("ok\n"))
}

// Readyz answers 200 when every check passes within two seconds and 503
// otherwise, with each check's result in a JSON body. Load balancers use it
// to send traffic only to nodes that can reach the database and the bus.
func Readyz(checks ...Check) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
		defer cancel()
		result := map[string]string{}
		status := http.StatusOK
		for _, c := range checks {
			if err := c.Ping(ctx); err != nil {
				result[c.Name] = err.Error()
				status = http.StatusServiceUnavailable
			} else {
				result[c.Name] = "ok"
			}
		}
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("Cache-Control", "no-store")
		w.WriteHeader(status)
		_ = json.NewEncoder(w).Encode(result)
	}
}
