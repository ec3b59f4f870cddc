package httpserver

import (
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"sync"
	"time"
)

// Check is one dependency of the node. Without a required one (the
// database) it cannot serve requests; without an optional one (the bus)
// it serves them degraded.
type Check struct {
	Name     string
	Ping     func(ctx context.Context) error
	Optional bool
}

// The states /readyz reports, overall and for each check.
const (
	stateOK          = "ok"
	stateDegraded    = "degraded"    // an optional check fails
	stateDown        = "down"        // a required check fails
	stateUnavailable = "unavailable" // overall, when a required check fails
)

// checkTimeout bounds each readiness check.
const checkTimeout = 2 * time.Second

// Healthz answers 200 while the process is alive and serving HTTP.
func Healthz(w http.ResponseWriter, _ *http.Request) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	_, _ = w.Write([]byte("ok\n"))
}

// Readyz answers 200 while every required check passes within two
// seconds, and 503 otherwise: a load balancer sends traffic to the node
// exactly when it can serve requests. A failing optional check makes the
// answer "degraded" but leaves it 200. The body names each check and its
// state and nothing else, since anyone may ask: why a check fails goes to
// the log, once when it starts failing.
func Readyz(log *slog.Logger, checks ...Check) http.HandlerFunc {
	rd := &readiness{checks: checks, log: log, failing: make(map[string]bool)}
	return rd.serve
}

// readiness remembers which checks failed last time, so that the log has
// a line when one starts failing and when it recovers, not one per probe.
type readiness struct {
	checks []Check
	log    *slog.Logger

	mu      sync.Mutex
	failing map[string]bool
}

type readyBody struct {
	Status string            `json:"status"`
	Checks map[string]string `json:"checks"`
}

func (rd *readiness) serve(w http.ResponseWriter, r *http.Request) {
	// A prober that hangs up early must not make the checks look failed.
	errs := rd.run(context.WithoutCancel(r.Context()))
	body := readyBody{Status: stateOK, Checks: make(map[string]string, len(rd.checks))}
	code := http.StatusOK
	for i, c := range rd.checks {
		switch {
		case errs[i] == nil:
			body.Checks[c.Name] = stateOK
		case c.Optional:
			body.Checks[c.Name] = stateDegraded
			if code == http.StatusOK {
				body.Status = stateDegraded
			}
		default:
			body.Checks[c.Name] = stateDown
			body.Status, code = stateUnavailable, http.StatusServiceUnavailable
		}
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(code)
	_ = json.NewEncoder(w).Encode(body)
}

// run runs the checks side by side, so that a slow one does not eat the
// others' time, and logs the changes of their state.
func (rd *readiness) run(ctx context.Context) []error {
	errs := make([]error, len(rd.checks))
	var wg sync.WaitGroup
	for i, c := range rd.checks {
		wg.Go(func() {
			cctx, cancel := context.WithTimeout(ctx, checkTimeout)
			defer cancel()
			errs[i] = c.Ping(cctx)
		})
	}
	wg.Wait()
	rd.mu.Lock()
	defer rd.mu.Unlock()
	for i, c := range rd.checks {
		failed := errs[i] != nil
		switch {
		case failed && !rd.failing[c.Name]:
			rd.log.Warn("readiness check failing", "check", c.Name, "required", !c.Optional, "err", errs[i])
		case !failed && rd.failing[c.Name]:
			rd.log.Info("readiness check passing again", "check", c.Name)
		}
		rd.failing[c.Name] = failed
	}
	return errs
}
