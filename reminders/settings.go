package reminders

import (
	"context"
	"sync"
	"time"

	"github.com/almanac/almanac/store"
)

// settingsTTL is how long a node reuses the reminder settings that bear on
// a calendar. Every write reads them, and an import writes thousands a
// second; a change of default reminders recomputes the calendar's events
// right away anyway (Recompute), so only writes racing with it on other
// nodes can miss it, for this long.
const settingsTTL = 2 * time.Second

type settingsEntry struct {
	sets []store.ReminderSettings
	at   time.Time
}

// settingsCache keeps each calendar's reminder settings for settingsTTL.
type settingsCache struct {
	now func() time.Time
	mu  sync.Mutex
	m   map[int64]settingsEntry
}

func newSettingsCache(now func() time.Time) *settingsCache {
	return &settingsCache{now: now, m: map[int64]settingsEntry{}}
}

func (c *settingsCache) get(ctx context.Context, st *store.Store, cal *store.Calendar) ([]store.ReminderSettings, error) {
	now := c.now()
	c.mu.Lock()
	e, ok := c.m[cal.ID]
	c.mu.Unlock()
	if ok && now.Sub(e.at) < settingsTTL && now.Sub(e.at) >= 0 {
		return e.sets, nil
	}
	sets, err := st.CalendarReminderSettings(ctx, cal.ID, cal.OwnerID)
	if err != nil {
		return nil, err
	}
	c.mu.Lock()
	if len(c.m) > 10000 {
		clear(c.m) // bounded: the entries are cheap to read again
	}
	c.m[cal.ID] = settingsEntry{sets: sets, at: now}
	c.mu.Unlock()
	return sets, nil
}

// forget drops what is kept about a calendar (0: about every calendar).
func (c *settingsCache) forget(calID int64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if calID == 0 {
		clear(c.m)
		return
	}
	delete(c.m, calID)
}
