package scheduling

import "sync"

// flightCache keeps a few values that cost much to make (a parsed version
// of a large meeting), made once however many deliveries ask for one at
// the same moment: the fifty deliveries in flight of one invitation parse
// it once, not fifty times over. It forgets everything when it would
// hold more than maxItems values or maxBytes of what they were made from.
type flightCache[V any] struct {
	maxItems, maxBytes int

	mu    sync.Mutex
	m     map[string]*flight[V]
	bytes int
}

// flight is one value, ready once its channel is closed.
type flight[V any] struct {
	ready chan struct{}
	v     V
	err   error
}

// get returns key's value, calling load to make it unless it is made or
// being made; load also says how many bytes the value stands for. Errors
// are not kept.
func (c *flightCache[V]) get(key string, load func() (V, int, error)) (V, error) {
	c.mu.Lock()
	if f := c.m[key]; f != nil {
		c.mu.Unlock()
		<-f.ready
		return f.v, f.err
	}
	if c.m == nil || len(c.m) >= c.maxItems {
		c.m, c.bytes = map[string]*flight[V]{}, 0
	}
	f := &flight[V]{ready: make(chan struct{})}
	c.m[key] = f
	c.mu.Unlock()

	v, size, err := load()
	f.v, f.err = v, err
	close(f.ready)
	c.mu.Lock()
	defer c.mu.Unlock()
	switch {
	case c.m[key] != f:
		// Forgotten meanwhile: nothing to account for.
	case err != nil:
		delete(c.m, key)
	case c.bytes+size > c.maxBytes:
		// Too much together: start again with this one only.
		c.m, c.bytes = map[string]*flight[V]{key: f}, size
	default:
		c.bytes += size
	}
	return v, err
}

// lookup returns key's value if it is made.
func (c *flightCache[V]) lookup(key string) (V, bool) {
	c.mu.Lock()
	f := c.m[key]
	c.mu.Unlock()
	if f == nil {
		var zero V
		return zero, false
	}
	select {
	case <-f.ready:
		return f.v, f.err == nil
	default:
		var zero V
		return zero, false
	}
}
