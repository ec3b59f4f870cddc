package account

import (
	"sync"
	"time"
)

// Throttle is how failed password checks of one key (an account, or a
// client address) are answered: the first Free failures at once; then the
// next attempt is held back, Delay after the failure and twice as long
// after each further one (at most MaxDelay); after LockAfter failures the
// key is refused for LockFor. Failures are forgotten one per LockFor of
// quiet, so a key that stops guessing is clear again after a while.
type Throttle struct {
	Free      int
	Delay     time.Duration
	MaxDelay  time.Duration
	LockAfter int
	LockFor   time.Duration
}

// Default throttles. Per account: at most seven guesses in the first
// minute and ten per quarter hour, whatever the addresses they come from.
// Per client address (password spraying over many accounts, or everyone
// behind one proxy): slowed to one attempt in five seconds, never refused
// for longer than that until a hundred failures.
var (
	DefaultAccountThrottle = Throttle{Free: 3, Delay: 2 * time.Second, MaxDelay: 30 * time.Second, LockAfter: 10, LockFor: 15 * time.Minute}
	DefaultAddressThrottle = Throttle{Free: 10, Delay: time.Second, MaxDelay: 5 * time.Second, LockAfter: 100, LockFor: 15 * time.Minute}
)

func (t Throttle) withDefaults(def Throttle) Throttle {
	if t.LockAfter <= 0 {
		t.LockAfter = def.LockAfter
	}
	if t.LockFor <= 0 {
		t.LockFor = def.LockFor
	}
	if t.Delay <= 0 {
		t.Delay, t.MaxDelay = def.Delay, def.MaxDelay
	}
	if t.Free <= 0 || t.Free >= t.LockAfter {
		t.Free = min(def.Free, t.LockAfter-1)
	}
	return t
}

// limiter applies a Throttle to many keys. State is per node: with several
// nodes an attacker gets at most the same budget again per node.
type limiter struct {
	mu      sync.Mutex
	t       Throttle
	entries map[string]*limitEntry
	now     func() time.Time
}

type limitEntry struct {
	failures int
	last     time.Time // of the latest failure
	pending  int       // attempts admitted and not finished
}

func newLimiter(t Throttle, now func() time.Time) *limiter {
	return &limiter{t: t, entries: make(map[string]*limitEntry), now: now}
}

// admit says when an attempt for key may be checked: now (0), after the
// returned wait, or not at all (a *RateLimitedError). Attempts admitted
// and not finished count as failures until they are, so guesses sent in
// parallel get no more than guesses sent one after another; past the free
// ones, only one attempt per key is checked at a time.
func (l *limiter) admit(key string) (time.Duration, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	now := l.now()
	e := l.entry(key, now)
	if e.failures >= l.t.LockAfter {
		if d := e.last.Add(l.t.LockFor).Sub(now); d > 0 {
			return 0, &RateLimitedError{RetryAfter: d}
		}
	}
	if e.failures+e.pending < l.t.Free {
		e.pending++
		return 0, nil
	}
	wait := max(0, e.last.Add(l.t.delay(max(e.failures, l.t.Free))).Sub(now))
	if e.pending > 0 {
		return 0, &RateLimitedError{RetryAfter: max(wait, time.Second)}
	}
	e.pending++
	return wait, nil
}

// delay is the wait after the n-th failure (n >= Free).
func (t Throttle) delay(n int) time.Duration {
	d := t.Delay << min(n-t.Free, 30)
	if d > t.MaxDelay || d <= 0 {
		d = t.MaxDelay
	}
	return d
}

// entry returns key's state, made if new, after forgetting a failure per
// LockFor of quiet.
func (l *limiter) entry(key string, now time.Time) *limitEntry {
	e := l.entries[key]
	if e == nil {
		if len(l.entries) >= 100_000 {
			l.sweep(now)
		}
		e = &limitEntry{}
		l.entries[key] = e
		return e
	}
	if quiet := int(now.Sub(e.last) / l.t.LockFor); quiet > 0 && e.failures > 0 {
		e.failures = max(0, e.failures-quiet)
		e.last = e.last.Add(time.Duration(quiet) * l.t.LockFor)
	}
	return e
}

// finish records the outcome of an admitted attempt. A success clears the
// key when clear is set (an account, not an address: an attacker's own
// account must not reset the address they guess from).
func (l *limiter) finish(key string, ok, clear bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	e := l.entries[key]
	if e == nil {
		return
	}
	e.pending = max(0, e.pending-1)
	switch {
	case ok && clear:
		delete(l.entries, key)
	case !ok:
		e.failures++
		e.last = l.now()
	case e.failures == 0 && e.pending == 0:
		delete(l.entries, key)
	}
}

// release frees a key claimed by admit without recording anything (the
// check could not be made).
func (l *limiter) release(key string) {
	l.mu.Lock()
	if e := l.entries[key]; e != nil {
		e.pending = max(0, e.pending-1)
	}
	l.mu.Unlock()
}

// sweep drops entries that are neither locked nor being checked and old
// enough to forget, so a flood of distinct keys cannot grow the map without
// bound.
func (l *limiter) sweep(now time.Time) {
	for k, e := range l.entries {
		if e.pending == 0 && now.Sub(e.last) > l.t.LockFor {
			delete(l.entries, k)
		}
	}
}

// knownFor is how long a client address stays known to an account after a
// successful login from it.
const knownFor = 30 * 24 * time.Hour

// knownAddresses remembers where each account last signed in from.
type knownAddresses struct {
	mu  sync.Mutex
	m   map[string]time.Time
	now func() time.Time
}

func newKnownAddresses(now func() time.Time) *knownAddresses {
	return &knownAddresses{m: make(map[string]time.Time), now: now}
}

func (k *knownAddresses) has(acct, addr string) bool {
	k.mu.Lock()
	defer k.mu.Unlock()
	t, ok := k.m[acct+"@"+addr]
	return ok && k.now().Sub(t) < knownFor
}

func (k *knownAddresses) add(acct, addr string) {
	k.mu.Lock()
	defer k.mu.Unlock()
	now := k.now()
	if len(k.m) >= 100_000 {
		for key, t := range k.m {
			if now.Sub(t) >= knownFor {
				delete(k.m, key)
			}
		}
		if len(k.m) >= 100_000 {
			return
		}
	}
	k.m[acct+"@"+addr] = now
}
