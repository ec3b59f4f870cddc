package calendar

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"regexp"
	"runtime"
	"slices"
	"sync"

	"github.com/almanac/almanac/icalendar"
	"github.com/almanac/almanac/recurrence"
	"github.com/almanac/almanac/store"
)

// ErrReadOnly refuses a change to the contents of a calendar that mirrors
// data from elsewhere (a subscription or a CalDAV mirror).
var ErrReadOnly = errors.New("calendar: the calendar is read-only: its events come from elsewhere")

// BatchItem is one calendar object resource of a batch write.
type BatchItem struct {
	Data []byte
	// Name is the resource name the item must have; empty: the name of
	// the resource already holding its UID, or one derived from the UID.
	Name string
	// Ref says where the item came from (a line of a file, a remote
	// href), for reports.
	Ref string
	// UID is the UID the source says the item has, if known: when the
	// item turns out invalid, a replacing sync keeps the resource that
	// holds this UID rather than deleting it.
	UID string
}

// ItemStatus is what a batch did with one item.
type ItemStatus string

const (
	ItemCreated   ItemStatus = "created"
	ItemUpdated   ItemStatus = "updated"
	ItemUnchanged ItemStatus = "unchanged"
	ItemFailed    ItemStatus = "failed"
)

// ItemResult is the outcome of one item of a batch.
type ItemResult struct {
	Ref       string
	UID       string
	Name      string
	Status    ItemStatus
	ETag      string
	Instances int   // index rows it has
	Err       error // for ItemFailed: an *ObjectError, *store.UIDConflictError, … or a hook's error
}

// Origin says who causes a write, for hooks: a client's own write, or data
// brought in from elsewhere, which must not, for example, send invitations
// on the user's behalf (RFC 6638 implicit scheduling is for changes the
// user makes).
type Origin string

const (
	OriginClient       Origin = ""
	OriginImport       Origin = "import"
	OriginSubscription Origin = store.SourceICS
	OriginMirror       Origin = store.SourceCalDAV
)

// batchOptions tune writeBatch.
type batchOptions struct {
	origin Origin
	// replace makes the batch the calendar's whole content: resources it
	// neither writes nor keeps unchanged are deleted.
	replace bool
	// keep lists resources the replacement keeps although no item names
	// them (the previous versions of items that failed).
	keep    []string
	deletes []string
	// maxInstances bounds the index rows of all the items together (0:
	// no bound): a feed over it is refused before anything is written.
	maxInstances int
}

// prepared is an item on its way to the store.
type prepared struct {
	res    *ItemResult
	write  *store.ObjectWrite
	obj    *icalendar.Object
	series *recurrence.Series
	force  bool             // written without preconditions
	cond   store.Conditions // as the hooks left them
	prev   int              // bytes of the resource the write replaces
}

// writeBatch validates, derives and writes items to cal in one store
// transaction (see store.PutObjects), as user u with role: an item that
// is invalid, or that a hook or a precondition refuses, fails on its own;
// the others are written. Items whose content is unchanged (apart from
// DTSTAMP) are not written at all.
func (s *Service) writeBatch(ctx context.Context, u *store.User, cal *store.Calendar, role Role, items []BatchItem, opt batchOptions) ([]ItemResult, error) {
	return s.storeBatch(ctx, u, cal, role, s.deriveBatch(cal, items), opt)
}

// derivedBatch is a batch whose items are validated and expanded, ready
// for the store: the CPU-bound half of writeBatch, which an import runs
// for the next batch while the store writes the current one.
type derivedBatch struct {
	items   []BatchItem
	results []ItemResult
	preps   []*prepared
}

func (s *Service) deriveBatch(cal *store.Calendar, items []BatchItem) *derivedBatch {
	b := &derivedBatch{items: items, results: make([]ItemResult, len(items))}
	b.preps = s.deriveAll(cal, items, b.results)
	return b
}

// storeBatch names the items of a derived batch, lets the hooks take part
// and writes it.
func (s *Service) storeBatch(ctx context.Context, u *store.User, cal *store.Calendar, role Role, db *derivedBatch, opt batchOptions) ([]ItemResult, error) {
	preps := db.preps
	if err := checkInstances(preps, opt.maxInstances); err != nil {
		return nil, err
	}
	if err := s.name(ctx, cal, preps); err != nil {
		return nil, err
	}
	batch := &store.Batch{DeleteOthers: opt.replace, Keep: opt.keep, Deletes: opt.deletes}
	if opt.replace {
		keep, err := s.keepFailed(ctx, cal, db.items, db.results)
		if err != nil {
			return nil, err
		}
		batch.Keep = append(batch.Keep, keep...)
	}
	quota, err := s.quotaFor(ctx, cal, opt.origin)
	if err != nil {
		return nil, err
	}
	var written []*prepared
	for _, p := range preps {
		if p.res.Status == ItemFailed {
			continue
		}
		if p.res.Status == ItemUnchanged {
			batch.Keep = append(batch.Keep, p.res.Name)
			continue
		}
		if err := s.beforePut(ctx, u, cal, role, p, opt.origin); err != nil {
			p.res.Status, p.res.Err = ItemFailed, err
			continue
		}
		if err := quota.take(len(p.write.Data), p.prev); err != nil {
			p.res.Status, p.res.Err = ItemFailed, err
			continue
		}
		batch.Writes = append(batch.Writes, store.BatchWrite{ObjectWrite: p.write, Conditions: p.cond})
		written = append(written, p)
	}
	out, err := s.st.PutObjects(ctx, cal.ID, batch)
	if err != nil {
		return nil, err
	}
	s.committed(ctx, cal, written, out)
	return db.results, nil
}

// deriveAll validates and expands the items on every core. Items that
// fail are marked in results and left out.
func (s *Service) deriveAll(cal *store.Calendar, items []BatchItem, results []ItemResult) []*prepared {
	preps := make([]*prepared, len(items))
	var wg sync.WaitGroup
	next := make(chan int)
	for range runtime.GOMAXPROCS(0) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				preps[i] = s.prepareItem(cal, items[i], &results[i])
			}
		}()
	}
	for i := range items {
		next <- i
	}
	close(next)
	wg.Wait()
	return slices.DeleteFunc(preps, func(p *prepared) bool { return p == nil })
}

func (s *Service) prepareItem(cal *store.Calendar, it BatchItem, res *ItemResult) *prepared {
	res.Ref, res.Name = it.Ref, it.Name
	if len(it.Data) > s.lim.MaxResourceSize {
		res.Status, res.Err = ItemFailed, &ObjectError{Precondition: PreMaxResourceSize,
			Message: fmt.Sprintf("the object is %d bytes; this server accepts up to %d", len(it.Data), s.lim.MaxResourceSize)}
		return nil
	}
	w, obj, series, err := s.derive(cal, it.Name, it.Data)
	if err != nil {
		res.Status, res.Err = ItemFailed, err
		return nil
	}
	res.UID, res.Instances = w.UID, len(w.Instances)
	return &prepared{res: res, write: w, obj: obj, series: series}
}

func checkInstances(preps []*prepared, max int) error {
	if max <= 0 {
		return nil
	}
	n := 0
	for _, p := range preps {
		n += len(p.write.Instances)
	}
	if n > max {
		return &ObjectError{Precondition: PreMaxInstances, Message: fmt.Sprintf("the events have %d instances in the index horizon; at most %d are accepted", n, max)}
	}
	return nil
}

// name gives every item its resource name: the one it was given, else
// the name of the resource already holding its UID (so that importing
// again updates it), else one derived from the UID. It marks items whose
// content is unchanged.
func (s *Service) name(ctx context.Context, cal *store.Calendar, preps []*prepared) error {
	existing, err := s.existing(ctx, cal, preps)
	if err != nil {
		return err
	}
	var fresh []*prepared
	seenUID, seenName := map[string]string{}, map[string]bool{}
	for _, p := range preps {
		cur := existing[p.write.UID]
		if other, dup := seenUID[p.write.UID]; dup {
			p.res.Status, p.res.Err = ItemFailed, &store.UIDConflictError{UID: p.write.UID, Name: other}
			continue
		}
		switch {
		case p.res.Name != "":
			// A source that names its resources is authoritative: its
			// write replaces whatever the name holds.
			p.force = true
			if cur != nil && cur.Name == p.res.Name {
				p.prev = cur.Size
				if icalendar.SameContent(cur.Data, p.write.Data) {
					p.res.Status = ItemUnchanged
				}
			}
		case cur != nil:
			p.res.Name, p.res.ETag, p.prev = cur.Name, cur.ETag, cur.Size
			if icalendar.SameContent(cur.Data, p.write.Data) {
				p.res.Status = ItemUnchanged
			}
		default:
			p.res.Name = ResourceName(p.write.UID)
			fresh = append(fresh, p)
		}
		p.write.Name = p.res.Name
		if seenName[p.res.Name] {
			p.res.Status, p.res.Err = ItemFailed, fmt.Errorf("two items of the batch are named %s", p.res.Name)
			continue
		}
		seenUID[p.write.UID], seenName[p.res.Name] = p.res.Name, true
	}
	return s.avoidTakenNames(ctx, cal, fresh)
}

// existing returns the calendar's resources that hold the items' UIDs.
func (s *Service) existing(ctx context.Context, cal *store.Calendar, preps []*prepared) (map[string]*store.Object, error) {
	uids := make([]string, len(preps))
	for i, p := range preps {
		uids[i] = p.write.UID
	}
	out := map[string]*store.Object{}
	for part := range slices.Chunk(uids, 500) {
		objs, err := s.st.GetObjectsByUID(ctx, cal.ID, part)
		if err != nil {
			return nil, err
		}
		for _, o := range objs {
			out[o.UID] = o
		}
	}
	return out, nil
}

// keepFailed names the existing resources that items which failed stood
// for, so that a replacing sync keeps their previous version.
func (s *Service) keepFailed(ctx context.Context, cal *store.Calendar, items []BatchItem, results []ItemResult) ([]string, error) {
	var uids []string
	for i, r := range results {
		if r.Status == ItemFailed && items[i].UID != "" {
			uids = append(uids, items[i].UID)
		}
	}
	var keep []string
	for part := range slices.Chunk(uids, 500) {
		objs, err := s.st.GetObjectsByUID(ctx, cal.ID, part)
		if err != nil {
			return nil, err
		}
		for _, o := range objs {
			keep = append(keep, o.Name)
		}
	}
	return keep, nil
}

// avoidTakenNames renames new items whose derived name another resource
// (with another UID, written by a client) already has.
func (s *Service) avoidTakenNames(ctx context.Context, cal *store.Calendar, fresh []*prepared) error {
	names := make([]string, len(fresh))
	for i, p := range fresh {
		names[i] = p.res.Name
	}
	taken := map[string]bool{}
	for part := range slices.Chunk(names, 500) {
		objs, err := s.st.GetObjectsByName(ctx, cal.ID, part)
		if err != nil {
			return err
		}
		for _, o := range objs {
			taken[o.Name] = true
		}
	}
	for _, p := range fresh {
		if taken[p.res.Name] {
			p.res.Name = hashedName(p.write.UID)
			p.write.Name = p.res.Name
		}
	}
	return nil
}

var plainUID = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._~@+-]{0,199}$`)

// ResourceName is the resource name an imported object gets: its UID when
// that is a safe URL segment, else a digest of the UID. Either way the
// same UID always gets the same name.
func ResourceName(uid string) string {
	if plainUID.MatchString(uid) {
		return uid + ".ics"
	}
	return hashedName(uid)
}

func hashedName(uid string) string {
	sum := sha256.Sum256([]byte(uid))
	return "uid-" + hex.EncodeToString(sum[:16]) + ".ics"
}

// conditions make the write fail if another writer changed the resource
// since name looked at it.
func (p *prepared) conditions() store.Conditions {
	if p.force {
		return store.Conditions{}
	}
	if p.res.ETag != "" {
		return store.Conditions{IfMatch: p.res.ETag}
	}
	return store.Conditions{IfNoneMatch: true}
}

func (s *Service) beforePut(ctx context.Context, u *store.User, cal *store.Calendar, role Role, p *prepared, origin Origin) error {
	p.cond = p.conditions()
	pc := &PutContext{User: u, Calendar: cal, Role: role, Name: p.res.Name, Object: p.obj, Series: p.series,
		Write: p.write, Conditions: &p.cond, Origin: origin, Limits: s.lim}
	return s.runHooks(ctx, pc)
}

// committed records the store's answer in the results and tells the
// listeners what changed.
func (s *Service) committed(ctx context.Context, cal *store.Calendar, written []*prepared, out *store.BatchResult) {
	var queued []store.OutboxMessage
	for i, p := range written {
		r := out.Writes[i]
		if r.Err != nil {
			p.res.Status, p.res.Err = ItemFailed, r.Err
			continue
		}
		kind := Updated
		p.res.Status = ItemUpdated
		if r.Created {
			kind, p.res.Status = Created, ItemCreated
		}
		p.res.ETag = r.ETag
		queued = append(queued, p.write.Outbox...)
		s.notify.Changed(ctx, Change{CalendarID: cal.ID, CalendarUUID: cal.UUID, OwnerID: cal.OwnerID,
			ObjectUUID: r.UUID, Name: p.res.Name, ETag: r.ETag, Revision: r.Revision, Kind: kind})
	}
	for _, d := range out.Deleted {
		s.notify.Changed(ctx, Change{CalendarID: cal.ID, CalendarUUID: cal.UUID, OwnerID: cal.OwnerID,
			ObjectUUID: d.UUID, Name: d.Name, Revision: d.Revision, Kind: Deleted})
	}
	s.afterWrite(queued)
}

// PutObjects writes items to cal for user u, who must be allowed to write
// it, in one transaction: the batched form of PutObject for imports. Each
// item succeeds or fails on its own (see ItemResult); the error is for
// the batch as a whole (ErrForbidden, ErrReadOnly, store.ErrNotFound, a
// database failure), when nothing was written.
func (s *Service) PutObjects(ctx context.Context, u *store.User, cal *store.Calendar, items []BatchItem, origin Origin) ([]ItemResult, error) {
	role, err := s.authorize(ctx, u, cal, ActWrite)
	if err != nil {
		return nil, err
	}
	if cal.ReadOnly() {
		return nil, ErrReadOnly
	}
	return s.writeBatch(ctx, u, cal, role, items, batchOptions{origin: origin})
}

// SyncOptions say how SyncSource applies what a source sent.
type SyncOptions struct {
	// Replace makes the items the calendar's whole content: every other
	// resource is deleted, except those in Keep.
	Replace bool
	Keep    []string
	// Deletes names resources the source removed.
	Deletes []string
	// MaxInstances bounds the index rows of all the items together.
	MaxInstances int
}

// SyncSource writes what a calendar's source (a subscribed feed, a
// mirrored CalDAV collection) holds into that read-only calendar, in one
// transaction, as the server itself: readers see the previous state or the
// new one, never a mix. Hooks see the calendar's owner as the user and the
// source as the origin; deletions run no hooks (the objects left the
// source, not the user's hands).
func (s *Service) SyncSource(ctx context.Context, cal *store.Calendar, items []BatchItem, opt SyncOptions) ([]ItemResult, error) {
	if !cal.ReadOnly() {
		return nil, fmt.Errorf("calendar: %s has no source to sync", cal.UUID)
	}
	owner, err := s.st.GetUser(ctx, cal.OwnerID)
	if err != nil {
		return nil, err
	}
	return s.writeBatch(ctx, owner, cal, RoleOwner, items, batchOptions{origin: Origin(cal.Source),
		replace: opt.Replace, keep: opt.Keep, deletes: opt.Deletes, maxInstances: opt.MaxInstances})
}
