package calendar

import (
	"context"
	"fmt"

	"github.com/almanac/almanac/store"
)

// QuotaError refuses a write that would take the data of a calendar's
// owner past Limits.QuotaBytes (RFC 4331; CalDAV answers 507 with
// DAV:quota-not-exceeded, §6).
type QuotaError struct {
	Quota int64 // bytes the owner may hold
	Used  int64 // bytes they hold
	Grow  int64 // bytes the write would add
}

func (e *QuotaError) Error() string {
	return fmt.Sprintf("the write needs %d more bytes, and %d of the %d bytes of the calendar owner's quota are used",
		e.Grow, e.Used, e.Quota)
}

// checkQuota refuses a write of size bytes to resource name of cal that
// would take the owner's calendars past the quota. A write that does not
// grow the data passes even over quota, so that someone over a lowered
// quota can still edit and tidy up.
//
// The usage is read before the write, outside its transaction: writes
// racing to different calendars of one user can each pass and overshoot
// the quota by one resource (Limits.MaxResourceSize) each. Making them
// wait for each other would take a lock on the user for every write,
// which costs more than the overshoot.
func (s *Service) checkQuota(ctx context.Context, cal *store.Calendar, name string, size int) error {
	if s.lim.QuotaBytes <= 0 {
		return nil
	}
	used, replaced, err := s.st.UsageReplacing(ctx, cal.OwnerID, cal.ID, name)
	if err != nil {
		return err
	}
	q := batchQuota{limited: true, quota: s.lim.QuotaBytes, room: s.lim.QuotaBytes - used}
	return q.take(size, int(replaced))
}

// batchQuota tracks the room left in the owner's quota through a batch
// write, checked before it like checkQuota; take holds the rule for both.
type batchQuota struct {
	limited bool
	quota   int64
	room    int64 // may be negative: over a lowered quota
}

// quotaFor returns the quota a batch to cal from origin is held to. What
// a calendar's source brings in (a subscription, a mirror) is not: the
// server fetches it within the feed limits, and a refresh that left
// events out to fit would show a calendar that silently differs from its
// source.
func (s *Service) quotaFor(ctx context.Context, cal *store.Calendar, origin Origin) (*batchQuota, error) {
	if s.lim.QuotaBytes <= 0 || origin == OriginSubscription || origin == OriginMirror {
		return &batchQuota{}, nil
	}
	used, err := s.st.Usage(ctx, cal.OwnerID, 0)
	if err != nil {
		return nil, err
	}
	return &batchQuota{limited: true, quota: s.lim.QuotaBytes, room: s.lim.QuotaBytes - used}, nil
}

// take counts a write of size bytes that replaces prev bytes, or refuses
// it when it would not fit.
func (q *batchQuota) take(size, prev int) error {
	if !q.limited {
		return nil
	}
	grow := int64(size - prev)
	if grow > 0 && grow > q.room {
		return &QuotaError{Quota: q.quota, Used: q.quota - q.room, Grow: grow}
	}
	q.room -= grow
	return nil
}
