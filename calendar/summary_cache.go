package calendar

import (
	"context"
	"sync"

	"github.com/almanac/almanac/store"
)

// summaryCache keeps what views need of objects (public id and summaries)
// per calendar, valid at one revision of the calendar. Every write to a
// calendar raises its revision and logs the resource it changed
// (store.PutObject, DeleteObject, MoveObject), and a view reads the
// calendar row first. When a view finds the calendar newer than its entry,
// the entry moves to the new revision by forgetting the objects the change
// log names since, so a write costs the views after it one object to read
// again, not the whole calendar. Each node has its own; none needs telling.
type summaryCache struct {
	mu sync.Mutex
	// By the calendar's public id, not its row id: SQLite gives a
	// calendar made after the newest was deleted the same id again.
	cals map[string]*calSummaries
}

type calSummaries struct {
	rev    int64
	objs   map[int64]objectInfo
	byUUID map[string]int64 // the change log names objects by public id
}

// objectInfo is the cached part of an object.
type objectInfo struct {
	uuid string
	sums Summaries // nil for an object stored before summaries existed
}

// Bounds on the cache: calendars kept, objects kept per calendar, and the
// changes a view replays to bring an entry up to date (past that, reading
// the objects again is no dearer).
const (
	cacheCalendars = 2048
	cacheObjects   = 50_000
	cacheReplay    = 500
)

func newSummaryCache() *summaryCache { return &summaryCache{cals: map[string]*calSummaries{}} }

// revision returns the revision the calendar's entry is valid at, 0 when
// there is none.
func (c *summaryCache) revision(cal string) int64 {
	c.mu.Lock()
	defer c.mu.Unlock()
	if cs := c.cals[cal]; cs != nil {
		return cs.rev
	}
	return 0
}

// advance moves the calendar's entry from revision from to rev, forgetting
// the objects changed in between. Nothing happens if the entry is no
// longer at from (another view moved it meanwhile).
func (c *summaryCache) advance(cal string, from, rev int64, changed []store.Change) {
	c.mu.Lock()
	defer c.mu.Unlock()
	cs := c.cals[cal]
	if cs == nil || cs.rev != from {
		return
	}
	for _, ch := range changed {
		if id, ok := cs.byUUID[ch.UUID]; ok {
			delete(cs.objs, id)
			delete(cs.byUUID, ch.UUID)
		}
	}
	cs.rev = rev
}

// lookup fills found with what the cache holds of ids for the calendar at
// rev and returns the ids it does not hold.
func (c *summaryCache) lookup(cal string, rev int64, ids []int64, found map[int64]objectInfo) []int64 {
	c.mu.Lock()
	defer c.mu.Unlock()
	cs := c.cals[cal]
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
// an older revision; infos read for an older revision than the entry's
// are dropped.
func (c *summaryCache) store(cal string, rev int64, infos map[int64]objectInfo) {
	c.mu.Lock()
	defer c.mu.Unlock()
	cs := c.cals[cal]
	if cs != nil && cs.rev > rev {
		return
	}
	if cs == nil || cs.rev != rev {
		if cs == nil && len(c.cals) >= cacheCalendars {
			for id := range c.cals { // evict one, any
				delete(c.cals, id)
				break
			}
		}
		cs = &calSummaries{rev: rev, objs: make(map[int64]objectInfo, len(infos)), byUUID: make(map[string]int64, len(infos))}
		c.cals[cal] = cs
	}
	for id, info := range infos {
		if len(cs.objs) >= cacheObjects {
			return
		}
		cs.objs[id] = info
		cs.byUUID[info.uuid] = id
	}
}

// refresh brings the cache's entry for cal up to cal's revision from the
// change log, where the entry is older and the log is short enough.
func (s *Service) refresh(ctx context.Context, cal *store.Calendar) {
	from := s.cache.revision(cal.UUID)
	if from == 0 || from >= cal.Revision {
		return
	}
	changed, _, err := s.st.ChangesSince(ctx, cal.ID, from, cacheReplay+1)
	if err != nil || len(changed) > cacheReplay {
		return // the entry stays behind and is replaced when the view stores
	}
	s.cache.advance(cal.UUID, from, cal.Revision, changed)
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
		s.refresh(ctx, cals[calID].cal)
		missing = append(missing, s.cache.lookup(cals[calID].cal.UUID, cals[calID].cal.Revision, ids, found)...)
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
		s.cache.store(cals[calID].cal.UUID, cals[calID].cal.Revision, infos)
	}
	return found, nil
}
