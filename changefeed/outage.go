package changefeed

import (
	"context"
	"time"
)

// While the node's bus connection is lost, changes published by any node
// (this one included: its own streams hear its writes through the bus too)
// never reach its streams, and NATS does not keep them for later. The
// change logs have them all, so the feed treats the streams as stale: it
// marks them when the connection drops, they ignore the calendar changes
// the bus brings until they have caught up, and Run replays what each
// calendar logged after each stream's position, every poll while the bus
// is down and once more when it is back. Catching up also re-reads which
// calendars the user may see, since grants and revocations went missing
// too.

// retryEvery is how soon a catch-up that failed (the database did not
// answer) is tried again when no poll interval is set.
const retryEvery = 2 * time.Second

// BusChanged is told when the bus connection is lost (up false) and when
// it is back; it fits bus.Bus.Watch.
func (f *Feed) BusChanged(up bool) {
	f.mu.Lock()
	f.down = !up
	if up {
		// The streams were marked when the connection dropped; the
		// messages of the new connection need not mark them again.
		f.reconnects = f.nc.Stats().Reconnects
	}
	f.mu.Unlock()
	if !up {
		f.markStale()
	}
	f.signal()
}

// signal wakes Run without waiting for it.
func (f *Feed) signal() {
	select {
	case f.wake <- struct{}{}:
	default:
	}
}

// noticeReconnect marks the streams stale if the connection was re-made
// and they have not been marked yet: the disconnect callback runs on
// another goroutine and may come after the first messages of the new
// connection, which would move the streams' positions past what they
// missed.
func (f *Feed) noticeReconnect() {
	n := f.nc.Stats().Reconnects
	f.mu.Lock()
	seen := f.reconnects
	f.reconnects = n
	f.mu.Unlock()
	if n != seen {
		f.markStale()
		f.signal()
	}
}

func (f *Feed) isDown() bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.down
}

// openStreams returns the streams being served.
func (f *Feed) openStreams() []*Stream {
	f.mu.Lock()
	defer f.mu.Unlock()
	out := make([]*Stream, 0, len(f.streams))
	for s := range f.streams {
		out = append(out, s)
	}
	return out
}

func (f *Feed) markStale() {
	for _, s := range f.openStreams() {
		s.mu.Lock()
		s.stale = true
		s.mu.Unlock()
	}
}

// Run catches stale streams up from the change logs until ctx ends: when
// the bus is back, and every poll while it is down (0: only when it is
// back). A catch-up that fails is retried.
func (f *Feed) Run(ctx context.Context, poll time.Duration) {
	again := poll
	if again <= 0 {
		again = retryEvery
	}
	t := time.NewTimer(again)
	t.Stop()
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-f.wake:
		case <-t.C:
		}
		down := f.isDown()
		if down && poll <= 0 {
			t.Stop()
			continue
		}
		if !f.catchUp(ctx) || down {
			t.Reset(again)
		} else {
			t.Stop()
		}
	}
}

// catchUp resumes every stale stream and reports whether all succeeded.
func (f *Feed) catchUp(ctx context.Context) bool {
	ok := true
	streams, events := 0, 0
	for _, s := range f.openStreams() {
		n, err := s.resume(ctx)
		if err != nil {
			if ctx.Err() == nil {
				f.log.Warn("catching a change stream up", "user", s.user.ID, "err", err)
			}
			ok = false
		}
		if n > 0 {
			streams++
			events += n
		}
	}
	if events > 0 {
		f.log.Info("change streams caught up from the change logs", "streams", streams, "events", events, "bus_down", f.isDown())
	}
	return ok
}
