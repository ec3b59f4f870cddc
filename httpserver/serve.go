package httpserver

import (
	"context"
	"errors"
	"log/slog"
	"net"
	"net/http"
	"time"
)

// Limits bound what one connection may hold: the time to send a
// request's header, and its size. Bodies have budgets of their own, per
// kind of request (RequestBodies), as an import may rightly take minutes
// and a stream of events stays open for hours.
type Limits struct {
	ReadHeaderTimeout time.Duration
	MaxHeaderBytes    int
}

// DefaultLimits: ten seconds for a header of at most 64 KiB, plenty for
// any client (net/http's own default is 1 MiB and no time limit).
var DefaultLimits = Limits{ReadHeaderTimeout: 10 * time.Second, MaxHeaderBytes: 64 << 10}

// Serve serves h on ln with DefaultLimits until ctx is cancelled, then
// stops accepting connections and waits up to grace for requests in
// flight to finish.
func Serve(ctx context.Context, ln net.Listener, h http.Handler, grace time.Duration, log *slog.Logger) error {
	return ServeLimited(ctx, ln, h, grace, DefaultLimits, log)
}

// ServeLimited is Serve with the given limits.
func ServeLimited(ctx context.Context, ln net.Listener, h http.Handler, grace time.Duration, lim Limits, log *slog.Logger) error {
	if lim.ReadHeaderTimeout <= 0 {
		lim.ReadHeaderTimeout = DefaultLimits.ReadHeaderTimeout
	}
	if lim.MaxHeaderBytes <= 0 {
		lim.MaxHeaderBytes = DefaultLimits.MaxHeaderBytes
	}
	srv := &http.Server{
		Handler:           h,
		ReadHeaderTimeout: lim.ReadHeaderTimeout,
		MaxHeaderBytes:    lim.MaxHeaderBytes,
		IdleTimeout:       2 * time.Minute,
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelWarn),
		BaseContext:       func(net.Listener) context.Context { return context.WithoutCancel(ctx) },
	}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	log.Info("shutting down HTTP server", "grace", grace)
	sctx, cancel := context.WithTimeout(context.Background(), grace)
	defer cancel()
	err := srv.Shutdown(sctx)
	if errors.Is(err, context.DeadlineExceeded) {
		log.Warn("requests still running after the grace period; closing them")
		_ = srv.Close()
	}
	if serr := <-errc; serr != nil && !errors.Is(serr, http.ErrServerClosed) {
		return serr
	}
	return err
}
