package calendar

import (
	"context"
	"sync"

	"github.com/almanac/almanac/store"
)

// summaryCache keeps what views need of objects (public id and summaries)
// per calendar, for one revision of the calendar at a time. Every write to
// a calendar raises its revision (store.PutObject, DeleteObject,
// MoveObject), and a view reads the calendar row first, so an entry is
// never used once the calendar changed: a view sees the calendar as of
// its revision, or newer. Each node has its own; none needs telling.
type summaryCache struct {
	mu   sync.Mutex
	cals map[int64]*calSummaries
}

type calSummaries struct {
	rev  int64
	objs map[int64]objectInfo
}

// objectInfo is the cached part of an object.
type objectInfo struct {
	uuid string
	sums Summaries // nil for an object stored before summaries existed
}

// Bounds on the cache: calendars kept, and objects kept per calendar.
const (
	cacheCalendars = 2048
	cacheObjects   = 50_000
)

func newSummaryCache() *summaryCache { return &summaryCache{cals: map[int64]*calSummaries{}} }

// lookup fills found with what the cache holds of ids for the calendar at
// rev and returns the ids it does not hold.
func (c *summaryCache) lookup(calID, rev int64, ids []int64, found map[int64]objectInfo) []int64 {
	c.mu.Lock()
	defer c.mu.Unlock()
	cs := c.cals[calID]
	if cs == nil || cs.rev != rev {
		return ids
	}
	var missing []int64
	for _, id := range ids {
		if info, ok := cs.objs[id]; ok {
			found[id] = info
		} else {
			missing = append(missing, id)
		}
	}
	return missing
}

// store keeps infos for the calendar at rev, replacing what was kept for
// another revision.
func (c *summaryCache) store(calID, rev int64, infos map[int64]objectInfo) {
	c.mu.Lock()
	defer c.mu.Unlock()
	cs := c.cals[calID]
	if cs == nil || cs.rev != rev {
		if cs == nil && len(c.cals) >= cacheCalendars {
			for id := range c.cals { // evict one, any
				delete(c.cals, id)
				break
			}
		}
		cs = &calSummaries{rev: rev, objs: make(map[int64]objectInfo, len(infos))}
		c.cals[calID] = cs
	}
	for id, info := range infos {
		if len(cs.objs) >= cacheObjects {
			return
		}
		cs.objs[id] = info
	}
}

// objectInfos returns the public ids and summaries of the objects of the
// index rows, from the cache where it can and from the store otherwise.
func (s *Service) objectInfos(ctx context.Context, cals map[int64]viewCal, rows []store.IndexedInstance) (map[int64]objectInfo, error) {
	byCal := map[int64][]int64{}
	seen := map[int64]bool{}
	for _, r := range rows {
		if !seen[r.ObjectID] {
			seen[r.ObjectID] = true
			byCal[r.CalendarID] = append(byCal[r.CalendarID], r.ObjectID)
		}
	}
	found := make(map[int64]objectInfo, len(seen))
	var missing []int64
	for calID, ids := range byCal {
		missing = append(missing, s.cache.lookup(calID, cals[calID].cal.Revision, ids, found)...)
	}
	if len(missing) == 0 {
		return found, nil
	}
	list, err := s.st.ObjectSummaries(ctx, missing)
	if err != nil {
		return nil, err
	}
	fresh := map[int64]map[int64]objectInfo{} // by calendar
	calOf := map[int64]int64{}
	for calID, ids := range byCal {
		for _, id := range ids {
			calOf[id] = calID
		}
	}
	for _, o := range list {
		sums, _ := DecodeSummaries(o.Summary)
		info := objectInfo{uuid: o.UUID, sums: sums}
		found[o.ID] = info
		calID := calOf[o.ID]
		if fresh[calID] == nil {
			fresh[calID] = map[int64]objectInfo{}
		}
		fresh[calID][o.ID] = info
	}
	for calID, infos := range fresh {
		s.cache.store(calID, cals[calID].cal.Revision, infos)
	}
	return found, nil
}
