package jsonapi

import (
	"sync"

	"github.com/almanac/almanac/calendar"
)

// viewCache keeps the drawn instances of recent views. The key holds the
// calendar's revision, which every change to its events raises, and
// everything else the answer depends on (the viewer and their role and
// colour for the calendar, the period, the zone), so an entry is never
// stale: the view of an unchanged calendar is the same whether its
// instances come from the index or from expansion past the horizon. The
// request reads the calendar row and authorises the viewer before looking.
type viewCache struct {
	mu    sync.Mutex
	m     map[viewKey]drawnView
	bytes int
}

// drawnView is a view's instances as JSON, and whether a series in it was
// cut (View.Truncated).
type drawnView struct {
	items     []byte
	truncated bool
}

type viewKey struct {
	cal         string // public id: SQLite may give a new calendar a deleted one's row id
	rev, user   int64
	role        calendar.Role
	color, zone string
	from, to    int64
}

// Bounds of the cache: all entries together, and the largest one kept.
const (
	viewCacheBytes = 64 << 20
	viewEntryMax   = 4 << 20
)

func newViewCache() *viewCache { return &viewCache{m: map[viewKey]drawnView{}} }

func (c *viewCache) get(k viewKey) (drawnView, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	b, ok := c.m[k]
	return b, ok
}

// put keeps d, evicting entries at random when full: older revisions of a
// calendar are never asked for again and leave this way.
func (c *viewCache) put(k viewKey, d drawnView) {
	b := d.items
	if len(b) > viewEntryMax {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	for key, old := range c.m {
		if c.bytes+len(b) <= viewCacheBytes {
			break
		}
		delete(c.m, key)
		c.bytes -= len(old.items)
	}
	if old, ok := c.m[k]; ok {
		c.bytes -= len(old.items)
	}
	c.m[k] = d
	c.bytes += len(b)
}
