package main

import (
	"context"
	"log/slog"
	"sync"
	"time"

	"github.com/almanac/almanac/calendar"
	"github.com/almanac/almanac/external"
	"github.com/almanac/almanac/outbox"
	"github.com/almanac/almanac/reminders"
	"github.com/almanac/almanac/store"
)

// inboxRetention is how long scheduling messages stay in a user's inbox
// unless their client deletes them first.
const inboxRetention = 90 * 24 * time.Hour

// reminderFeedRetention is how long a reminder stays in the feed that
// reconnecting streams replay: a client away longer is not shown it.
const reminderFeedRetention = 24 * time.Hour

// startWorkers runs the node's background jobs until ctx ends; Wait on the
// result returns when each has finished its current round.
func startWorkers(ctx context.Context, log *slog.Logger, st *store.Store, cals *calendar.Service, deliveries *outbox.Worker, sources *external.Service, rem *reminders.Service) *sync.WaitGroup {
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		rem.Run(ctx)
	}()
	wg.Add(1)
	go func() {
		defer wg.Done()
		// Objects stored before search existed get their search text once.
		if n, err := cals.IndexSearchText(ctx); err != nil && ctx.Err() == nil {
			log.Warn("indexing events for search", "err", err)
		} else if n > 0 {
			log.Info("indexed events for search", "objects", n)
		}
	}()
	every(ctx, &wg, time.Hour, func(ctx context.Context) {
		if n, err := cals.ExtendIndex(ctx); err != nil && ctx.Err() == nil {
			log.Warn("extending the time-range index", "err", err)
		} else if n > 0 {
			log.Info("extended the time-range index", "objects", n)
		}
	})
	wg.Add(1)
	go func() {
		defer wg.Done()
		deliveries.Run(ctx)
	}()
	every(ctx, &wg, time.Hour, func(ctx context.Context) {
		if n, err := st.PurgeOutbox(ctx, time.Now().Add(-7*24*time.Hour)); err != nil {
			log.Warn("purging delivered outbox messages", "err", err)
		} else if n > 0 {
			log.Info("purged delivered outbox messages", "count", n)
		}
	})
	every(ctx, &wg, time.Hour, func(ctx context.Context) {
		if n, err := st.PurgeReminderFeed(ctx, time.Now().Add(-reminderFeedRetention)); err != nil {
			log.Warn("purging the reminder feed", "err", err)
		} else if n > 0 {
			log.Info("purged reminders streams no longer replay", "count", n)
		}
	})
	every(ctx, &wg, time.Hour, func(ctx context.Context) {
		if n, err := st.PurgeInbox(ctx, time.Now().Add(-inboxRetention)); err != nil {
			log.Warn("purging schedule inboxes", "err", err)
		} else if n > 0 {
			log.Info("purged old schedule inbox messages", "count", n)
		}
	})
	every(ctx, &wg, time.Hour, func(ctx context.Context) {
		n, err := st.PurgeExpiredSessions(ctx)
		if err != nil {
			log.Warn("purging expired sessions", "err", err)
		} else if n > 0 {
			log.Info("purged expired sessions", "count", n)
		}
	})
	// Subscriptions and mirrors: each source knows when it is due; the
	// workers of every node look for due ones every minute.
	every(ctx, &wg, time.Minute, func(ctx context.Context) {
		if n, err := sources.RunDue(ctx); err != nil && ctx.Err() == nil {
			log.Warn("refreshing calendar sources", "err", err)
		} else if n > 0 {
			log.Debug("refreshed calendar sources", "count", n)
		}
	})
	return &wg
}

// every runs job now and then every period until ctx ends.
func every(ctx context.Context, wg *sync.WaitGroup, period time.Duration, job func(context.Context)) {
	wg.Add(1)
	go func() {
		defer wg.Done()
		t := time.NewTicker(period)
		defer t.Stop()
		for {
			job(ctx)
			select {
			case <-ctx.Done():
				return
			case <-t.C:
			}
		}
	}()
}
