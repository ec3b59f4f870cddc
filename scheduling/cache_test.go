package scheduling

import (
	"errors"
	"sync"
	"sync/atomic"
	"testing"
)

// TestFlightCacheLoadsOnce: callers asking for one key at once share one
// load; an error is not kept; the byte budget makes room by forgetting.
func TestFlightCacheLoadsOnce(t *testing.T) {
	c := &flightCache[int]{maxItems: 4, maxBytes: 100}
	var loads atomic.Int32
	gate := make(chan struct{})
	var wg sync.WaitGroup
	for range 20 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			v, err := c.get("a", func() (int, int, error) { loads.Add(1); <-gate; return 7, 10, nil })
			if v != 7 || err != nil {
				t.Errorf("got %d %v", v, err)
			}
		}()
	}
	for c.lookupPending("a") == false {
	}
	close(gate)
	wg.Wait()
	if loads.Load() != 1 {
		t.Fatalf("%d loads for one key", loads.Load())
	}
	if _, err := c.get("bad", func() (int, int, error) { return 0, 0, errors.New("no") }); err == nil {
		t.Fatal("no error")
	}
	if _, ok := c.lookup("bad"); ok {
		t.Fatal("an error was kept")
	}
	_, _ = c.get("big", func() (int, int, error) { return 1, 95, nil })
	if _, ok := c.lookup("a"); ok {
		t.Fatal("over the byte budget, the old values stay")
	}
	if v, ok := c.lookup("big"); !ok || v != 1 {
		t.Fatal("the new value is not kept")
	}
}

// lookupPending reports whether key is being made or made.
func (c *flightCache[V]) lookupPending(key string) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.m[key] != nil
}
