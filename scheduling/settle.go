package scheduling

import (
	"context"
	"time"

	"github.com/almanac/almanac/store"
)

// settleMax is the most deliveries to users of this server a write waits
// for: a large meeting's invitations are the outbox's to spread out, and
// the organizer's request does not hold on to them.
const settleMax = 32

// Settle waits, at most Options.SettleWait, until the deliveries to users
// of this server that a committed write queued have been tried once. A
// client that reads right after its write then finds what a server that
// delivers within the request would show: the attendees' copies and inbox
// items, the organizer's copy updated, and a SCHEDULE-STATUS of 1.2
// ("delivered", RFC 6638 §3.2.9) that is true. Mail is not waited for:
// its status says so (1.0, then 1.1).
func (s *Scheduler) Settle(ctx context.Context, queued []store.OutboxMessage) {
	if s.opt.SettleWait <= 0 || serverWriteOf(ctx) != nil {
		return // a delivery's own write does not hold a worker for others
	}
	var keys []string
	for _, m := range queued {
		if m.Kind == LocalKind {
			keys = append(keys, m.IdempotencyKey)
		}
	}
	if len(keys) == 0 || len(keys) > settleMax {
		return
	}
	ctx, cancel := context.WithTimeout(ctx, s.opt.SettleWait)
	defer cancel()
	for wait := time.Millisecond; ; wait = min(2*wait, 20*time.Millisecond) {
		n, err := s.st.OutboxUntried(ctx, keys)
		if err != nil || n == 0 {
			return
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(wait):
		}
	}
}
