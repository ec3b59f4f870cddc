// Package outbox delivers the side effects the store recorded with the
// writes that caused them (DESIGN.md §7): e-mail, webhooks, pushes. Delivery
// is at least once: a message is leased, handed to the handler for its kind,
// and marked done only when the handler returns. Failures are retried with
// exponential backoff and become dead letters after a number of attempts;
// operators see them in metrics and with `almanac outbox`.
//
// A poisoned message must not take the node down for good: a handler that
// panics fails like one that returns an error, and a message whose node
// stopped while it was being delivered is delivered on its own next time,
// and given up on if its node stops again then.
package outbox

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"runtime/debug"
	"sync"
	"time"

	"github.com/almanac/almanac/store"
	"github.com/prometheus/client_golang/prometheus"
)

// Handler delivers messages of one kind. The message's IdempotencyKey lets
// the receiving end recognise a repeat, since a crash between delivery and
// acknowledgement causes one.
type Handler interface {
	Deliver(ctx context.Context, m *store.OutboxMessage) error
}

// HandlerFunc adapts a function to Handler.
type HandlerFunc func(ctx context.Context, m *store.OutboxMessage) error

// Deliver calls f.
func (f HandlerFunc) Deliver(ctx context.Context, m *store.OutboxMessage) error { return f(ctx, m) }

// PermanentError is a failure that retrying cannot fix (a mailbox that does
// not exist, a rejected webhook URL): the message goes straight to the dead
// letters.
type PermanentError struct{ Err error }

func (e *PermanentError) Error() string { return "permanent: " + e.Err.Error() }
func (e *PermanentError) Unwrap() error { return e.Err }

// Options configure a worker.
type Options struct {
	Handlers    map[string]Handler
	MaxAttempts int           // attempts before a message is dead (default 8)
	BaseDelay   time.Duration // first retry delay, doubled each time (default 30 s)
	MaxDelay    time.Duration // longest retry delay (default 6 h)
	Lease       time.Duration // how long a claim lasts (default 2 min)
	Batch       int           // messages claimed at once (default 200)
	Concurrency int           // deliveries in parallel (default 32)
	Poll        time.Duration // longest wait between looks for due messages (default 500 ms)
	Registerer  prometheus.Registerer
	Logger      *slog.Logger
}

func (o *Options) defaults() {
	def := func(d *time.Duration, v time.Duration) {
		if *d == 0 {
			*d = v
		}
	}
	def(&o.BaseDelay, 30*time.Second)
	def(&o.MaxDelay, 6*time.Hour)
	def(&o.Lease, 2*time.Minute)
	def(&o.Poll, 500*time.Millisecond)
	if o.MaxAttempts == 0 {
		o.MaxAttempts = 8
	}
	// Sized for reminders, which come due by the thousand at the same
	// second (almanac-bench reminders): fewer, larger leases and enough
	// hand-offs in flight keep SQLite's single writer from queueing.
	if o.Batch == 0 {
		o.Batch = 200
	}
	if o.Concurrency == 0 {
		o.Concurrency = 32
	}
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
}

// Worker leases and delivers messages.
type Worker struct {
	st   *store.Store
	opt  Options
	wake chan struct{}
	m    *metrics
	done chan int64 // delivered message ids, recorded by completer
	// alone is held for reading by every delivery and for writing by one
	// delivered on its own (see deliverAlone).
	alone sync.RWMutex
}

// New returns a worker over st.
func New(st *store.Store, opt Options) *Worker {
	opt.defaults()
	return &Worker{st: st, opt: opt, wake: make(chan struct{}, 1), m: newMetrics(opt.Registerer)}
}

// Kick asks the worker to look for messages now, e.g. right after a write
// enqueued one.
func (w *Worker) Kick() {
	select {
	case w.wake <- struct{}{}:
	default:
	}
}

// Run delivers messages until ctx ends, then waits for deliveries in
// flight (a message whose delivery is cut short stays leased and is tried
// again after its lease).
func (w *Worker) Run(ctx context.Context) {
	sem := make(chan struct{}, w.opt.Concurrency)
	var wg, cwg sync.WaitGroup
	w.done = make(chan int64, w.opt.Batch)
	cwg.Add(1)
	go func() {
		defer cwg.Done()
		w.completer()
	}()
	defer cwg.Wait()
	defer close(w.done) // after the deliveries in flight (deferred below)
	defer wg.Wait()
	t := time.NewTimer(w.opt.Poll)
	defer t.Stop()
	for {
		full := w.round(ctx, sem, &wg)
		if full {
			continue // more may be due right away
		}
		t.Reset(w.untilNext(ctx))
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		case <-w.wake:
		}
	}
}

// untilNext is how long to wait before the next round: until the earliest
// message queued for later comes due (reminders are queued ahead of their
// time), at most Poll, and never so short that the worker spins while its
// deliveries are in flight.
func (w *Worker) untilNext(ctx context.Context) time.Duration {
	at, ok, err := w.st.NextOutboxDue(ctx)
	if err != nil || !ok {
		return w.opt.Poll
	}
	return min(max(at.Sub(w.st.Clock()), minWait), w.opt.Poll)
}

// minWait is the shortest wait between rounds.
const minWait = 5 * time.Millisecond

// round leases one batch and starts its deliveries; it reports whether the
// batch was full.
func (w *Worker) round(ctx context.Context, sem chan struct{}, wg *sync.WaitGroup) bool {
	if ctx.Err() != nil {
		return false
	}
	msgs, err := w.st.LeaseOutbox(ctx, w.opt.Batch, w.opt.Lease)
	if err != nil {
		if ctx.Err() == nil {
			w.opt.Logger.Warn("leasing outbox messages", "err", err)
		}
		return false
	}
	for i, m := range msgs {
		select {
		case sem <- struct{}{}:
		case <-ctx.Done():
			w.release(msgs[i:])
			return false
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			w.deliver(context.WithoutCancel(ctx), m)
		}()
	}
	return len(msgs) == w.opt.Batch
}

// release gives back messages leased but never started, so that
// stopping does not count as an attempt nor make them look interrupted.
func (w *Worker) release(msgs []*store.OutboxMessage) {
	ids := make([]int64, len(msgs))
	for i, m := range msgs {
		ids[i] = m.ID
	}
	if err := w.st.ReleaseOutbox(context.Background(), ids); err != nil {
		w.opt.Logger.Warn("giving back leased outbox messages", "count", len(ids), "err", err)
	}
}

func (w *Worker) deliver(ctx context.Context, m *store.OutboxMessage) {
	var err error
	switch m.LastError {
	case store.OutboxCrashed:
		// Its node stopped while delivering it and nothing else: running
		// it again would most likely stop this one.
		err = &PermanentError{errors.New("gave up: the node stopped twice while delivering it, the second time with nothing else running")}
	case store.OutboxInterrupted:
		err = w.deliverAlone(ctx, m)
	default:
		w.alone.RLock()
		err = w.run(ctx, m)
		w.alone.RUnlock()
	}
	w.outcome(ctx, m, err)
}

// deliverAlone delivers a message whose node stopped during an earlier
// attempt, with no other delivery of this worker running, and records
// that it does: if the node stops again, the next lease finds the mark
// and the message is given up on instead of stopping the node in a loop.
// Messages leased together with the culprit come here too, once each.
func (w *Worker) deliverAlone(ctx context.Context, m *store.OutboxMessage) error {
	w.alone.Lock()
	defer w.alone.Unlock()
	if err := w.st.IsolateOutbox(ctx, m.ID); err != nil {
		return fmt.Errorf("marking an interrupted message: %w", err)
	}
	return w.run(ctx, m)
}

// run hands m to its handler within its time budget: three quarters of
// the lease, so that it ends before another worker may claim it. A
// handler still running an eighth of the lease after its context ended
// has failed the attempt; it is left to finish on its own, so that it
// holds neither a place among the deliveries in flight nor the worker
// (see deliverAlone).
func (w *Worker) run(ctx context.Context, m *store.OutboxMessage) error {
	h := w.opt.Handlers[m.Kind]
	if h == nil {
		return errors.New("no handler for kind " + m.Kind)
	}
	w.m.lag.WithLabelValues(m.Kind).Observe(time.Since(m.NextAttemptAt).Seconds())
	budget := w.opt.Lease * 3 / 4
	dctx, cancel := context.WithTimeout(ctx, budget)
	defer cancel()
	res := make(chan error, 1)
	go func() { res <- w.call(dctx, h, m) }()
	select {
	case err := <-res:
		return err
	case <-dctx.Done():
	}
	select {
	case err := <-res:
		return err
	case <-time.After(w.opt.Lease / 8):
		w.opt.Logger.Error("delivery overran its time budget and was left running", "id", m.ID, "kind", m.Kind, "budget", budget)
		return fmt.Errorf("exceeded its time budget of %s", budget)
	}
}

// call runs the handler. A panic is the handler's failure, not the
// node's: it is logged with its stack and counts as a failed attempt.
func (w *Worker) call(ctx context.Context, h Handler, m *store.OutboxMessage) (err error) {
	defer func() {
		if r := recover(); r != nil {
			w.m.panics.WithLabelValues(m.Kind).Inc()
			w.opt.Logger.Error("delivery panicked", "id", m.ID, "kind", m.Kind, "panic", r, "stack", string(debug.Stack()))
			err = fmt.Errorf("panic: %v", r)
		}
	}()
	return h.Deliver(ctx, m)
}

// outcome records what became of a delivery.
func (w *Worker) outcome(ctx context.Context, m *store.OutboxMessage, err error) {
	if err == nil {
		w.m.delivered.WithLabelValues(m.Kind).Inc()
		w.done <- m.ID
		return
	}
	var perm *PermanentError
	dead := errors.As(err, &perm) || m.Attempts >= w.opt.MaxAttempts
	w.m.failures.WithLabelValues(m.Kind).Inc()
	if dead {
		w.m.dead.WithLabelValues(m.Kind).Inc()
	}
	w.opt.Logger.Warn("delivery failed", "id", m.ID, "kind", m.Kind, "attempt", m.Attempts, "dead", dead, "err", err)
	if ferr := w.st.FailOutbox(ctx, m.ID, err.Error(), time.Now().Add(w.backoff(m.Attempts)), dead); ferr != nil {
		w.opt.Logger.Error("recording a failed delivery", "id", m.ID, "err", ferr)
	}
}

// completer marks delivered messages done, as many per statement as have
// queued up while the previous one ran: no delay when deliveries are few,
// batches when they come by the thousand. A crash in between delivers
// them again, which their idempotency keys allow for.
func (w *Worker) completer() {
	ids := make([]int64, 0, w.opt.Batch)
	for id := range w.done {
		ids = append(ids[:0], id)
		open := w.drain(&ids)
		if err := w.st.CompleteOutboxBatch(context.Background(), ids); err != nil {
			w.opt.Logger.Error("recording deliveries", "count", len(ids), "err", err)
		}
		if !open {
			return
		}
	}
}

// drain adds the ids already waiting, up to a batch, without waiting for
// more; it reports whether the channel is still open.
func (w *Worker) drain(ids *[]int64) bool {
	for len(*ids) < w.opt.Batch {
		select {
		case id, ok := <-w.done:
			if !ok {
				return false
			}
			*ids = append(*ids, id)
		default:
			return true
		}
	}
	return true
}

// backoff is the delay before attempt n+1: doubling from BaseDelay, capped
// at MaxDelay, with ±20% jitter so that failures do not retry in lockstep.
func (w *Worker) backoff(attempt int) time.Duration {
	d := w.opt.BaseDelay << min(attempt-1, 30)
	if d > w.opt.MaxDelay || d <= 0 {
		d = w.opt.MaxDelay
	}
	return time.Duration(float64(d) * (0.8 + 0.4*rand.Float64()))
}

type metrics struct {
	delivered, failures, dead, panics *prometheus.CounterVec
	lag                               *prometheus.HistogramVec
}

func newMetrics(reg prometheus.Registerer) *metrics {
	m := &metrics{
		delivered: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "almanac_outbox_delivered_total", Help: "Outbox messages delivered, by kind."}, []string{"kind"}),
		failures:  prometheus.NewCounterVec(prometheus.CounterOpts{Name: "almanac_outbox_failures_total", Help: "Failed delivery attempts, by kind."}, []string{"kind"}),
		dead:      prometheus.NewCounterVec(prometheus.CounterOpts{Name: "almanac_outbox_dead_total", Help: "Messages given up on (dead letters), by kind."}, []string{"kind"}),
		panics:    prometheus.NewCounterVec(prometheus.CounterOpts{Name: "almanac_outbox_panics_total", Help: "Deliveries whose handler panicked (each also counts as a failure), by kind."}, []string{"kind"}),
		lag: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "almanac_outbox_lag_seconds", Help: "Time from a message being due to its hand-off to the channel.",
			Buckets: []float64{.01, .05, .1, .25, .5, 1, 2, 5, 10, 30, 60, 300},
		}, []string{"kind"}),
	}
	if reg != nil {
		reg.MustRegister(m.delivered, m.failures, m.dead, m.panics, m.lag)
	}
	return m
}
