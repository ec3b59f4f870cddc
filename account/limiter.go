package account

import (
	"sync"
	"time"
)

// limiter slows down password guessing. Each key (an account or a client
// address) may fail a few times freely; after that every further failure
// blocks the key for twice as long as the previous one, up to a maximum. A
// success clears the key. State is per node: with several nodes an attacker
// gets at most a few more guesses per node.
type limiter struct {
	mu      sync.Mutex
	free    int
	base    time.Duration
	max     time.Duration
	forget  time.Duration
	entries map[string]*limitEntry
	now     func() time.Time
}

type limitEntry struct {
	failures int
	blocked  time.Time // blocked until
	last     time.Time
}

func newLimiter(free int, base, max time.Duration, now func() time.Time) *limiter {
	return &limiter{free: free, base: base, max: max, forget: 24 * time.Hour,
		entries: make(map[string]*limitEntry), now: now}
}

// wait returns how long key must wait before its next attempt (0: go ahead).
func (l *limiter) wait(key string) time.Duration {
	l.mu.Lock()
	defer l.mu.Unlock()
	e := l.entries[key]
	if e == nil {
		return 0
	}
	if d := e.blocked.Sub(l.now()); d > 0 {
		return d
	}
	return 0
}

// fail records a failed attempt.
func (l *limiter) fail(key string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	now := l.now()
	e := l.entries[key]
	if e == nil || now.Sub(e.last) > l.forget {
		e = &limitEntry{}
		l.entries[key] = e
	}
	e.failures++
	e.last = now
	if over := e.failures - l.free; over > 0 {
		d := l.base << min(over-1, 30)
		if d > l.max || d <= 0 {
			d = l.max
		}
		e.blocked = now.Add(d)
	}
	if len(l.entries) > 100_000 {
		l.sweep(now)
	}
}

// succeed clears key.
func (l *limiter) succeed(key string) {
	l.mu.Lock()
	delete(l.entries, key)
	l.mu.Unlock()
}

// sweep drops entries that are no longer blocked and old enough to forget,
// so a flood of distinct keys cannot grow the map without bound.
func (l *limiter) sweep(now time.Time) {
	for k, e := range l.entries {
		if now.After(e.blocked) && now.Sub(e.last) > time.Minute {
			delete(l.entries, k)
		}
	}
}
