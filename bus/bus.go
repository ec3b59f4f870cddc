// Package bus connects Almanac nodes through NATS: change notifications
// travel on it between nodes (and to the SSE streams of open clients). By
// default the NATS server runs inside the process, with JetStream and no
// network listener; given a URL, the node joins an external NATS cluster.
package bus

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"path/filepath"
	"sync"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
)

// Options configure the bus.
type Options struct {
	URL     string // external NATS; empty: run an embedded server
	DataDir string // JetStream storage of the embedded server
	Name    string // client name shown by the NATS server
	Logger  *slog.Logger
}

// Bus is a connection to NATS, and the embedded server when there is one.
type Bus struct {
	nc  *nats.Conn
	srv *server.Server
	log *slog.Logger

	mu       sync.Mutex
	watchers []func(up bool)
}

// Open starts the embedded server if needed and connects to it.
func Open(ctx context.Context, opt Options) (*Bus, error) {
	if opt.Logger == nil {
		opt.Logger = slog.Default()
	}
	b := &Bus{log: opt.Logger}
	copts := []nats.Option{
		nats.Name(opt.Name),
		nats.MaxReconnects(-1),
		nats.DisconnectErrHandler(func(nc *nats.Conn, err error) {
			// Closing the connection also ends up here; that is no outage.
			if nc.IsClosed() {
				return
			}
			b.log.Warn("bus disconnected; reconnecting", "err", err)
			b.tell(false)
		}),
		nats.ReconnectHandler(func(nc *nats.Conn) {
			b.log.Info("bus reconnected", "url", nc.ConnectedUrl())
			b.tell(true)
		}),
	}
	url := opt.URL
	if url == "" {
		srv, err := startEmbedded(opt.DataDir)
		if err != nil {
			return nil, err
		}
		b.srv = srv
		copts = append(copts, nats.InProcessServer(srv))
	} else {
		copts = append(copts, nats.RetryOnFailedConnect(false), nats.Timeout(5*time.Second))
	}
	nc, err := nats.Connect(url, copts...)
	if err != nil {
		b.shutdownServer()
		return nil, fmt.Errorf("bus: connect %s: %w", url, err)
	}
	b.nc = nc
	return b, nil
}

func startEmbedded(dataDir string) (*server.Server, error) {
	srv, err := server.NewServer(&server.Options{
		ServerName: "almanac-embedded",
		DontListen: true,
		JetStream:  true,
		StoreDir:   filepath.Join(dataDir, "nats"),
		NoSigs:     true,
		NoLog:      true,
	})
	if err != nil {
		return nil, fmt.Errorf("bus: embedded server: %w", err)
	}
	srv.Start()
	if !srv.ReadyForConnections(10 * time.Second) {
		srv.Shutdown()
		return nil, errors.New("bus: embedded server did not start")
	}
	return srv, nil
}

// Embedded reports whether the NATS server runs in this process.
func (b *Bus) Embedded() bool { return b.srv != nil }

// Conn is the NATS connection, for publishers and subscribers.
func (b *Bus) Conn() *nats.Conn { return b.nc }

// Connected reports whether the connection to NATS is up.
func (b *Bus) Connected() bool { return b.nc.IsConnected() }

// Watch registers fn to hear when the connection to NATS is lost (up is
// false) and when it is back (true), in that order. Messages published
// while it was lost never reach this node, so a watcher recovers them from
// the store. fn is called from the connection's callback goroutine, which
// may run a little after messages of the new connection are delivered, and
// must return quickly.
func (b *Bus) Watch(fn func(up bool)) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.watchers = append(b.watchers, fn)
}

func (b *Bus) tell(up bool) {
	b.mu.Lock()
	ws := b.watchers
	b.mu.Unlock()
	for _, fn := range ws {
		fn(up)
	}
}

// Ping checks that the server answers a round trip.
func (b *Bus) Ping(ctx context.Context) error {
	if !b.nc.IsConnected() {
		return fmt.Errorf("bus: not connected (%s)", b.nc.Status())
	}
	if _, ok := ctx.Deadline(); !ok {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, 2*time.Second)
		defer cancel()
	}
	return b.nc.FlushWithContext(ctx)
}

// Close drains subscriptions, so messages already received are handled,
// and stops the embedded server.
func (b *Bus) Close() {
	if err := b.nc.Drain(); err != nil {
		b.nc.Close()
	}
	for i := 0; i < 100 && !b.nc.IsClosed(); i++ {
		time.Sleep(20 * time.Millisecond)
	}
	b.shutdownServer()
}

func (b *Bus) shutdownServer() {
	if b.srv != nil {
		b.srv.Shutdown()
		b.srv.WaitForShutdown()
	}
}
