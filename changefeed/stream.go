package changefeed

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"sync"

	"github.com/almanac/almanac/calendar"
	"github.com/almanac/almanac/store"
)

// Event is one message for a client, in Server-Sent Events terms.
type Event struct {
	ID   string // the stream position after this event (for Last-Event-ID)
	Type string // "change", "access", "resync" or "reminder" (payload: reminders.Reminder)
	Data []byte // JSON
}

// Change is the JSON payload of a "change" event.
type Change struct {
	Kind       string `json:"kind"` // created, updated, deleted, calendar-updated, calendar-deleted
	CalendarID string `json:"calendar_id"`
	EventID    string `json:"event_id,omitempty"`
	ETag       string `json:"etag,omitempty"`
	Revision   int64  `json:"revision,omitempty"`
}

// Access is the payload of an "access" event: a calendar joined or left
// the set the user may read. A "resync" event has the same payload and asks
// the client to reload that calendar (or everything, without calendar_id).
type Access struct {
	Kind       string `json:"kind"`
	CalendarID string `json:"calendar_id,omitempty"`
}

// buffer is how many events may wait for a slow client before the stream
// gives up on it with a resync.
const buffer = 256

// catchUpMax bounds how many missed changes of one calendar a resuming
// stream replays; beyond it the client is told to reload the calendar.
const catchUpMax = 200

// remindersMax bounds how many missed reminders a resuming stream replays:
// the latest ones, when more went out while the client was away.
const remindersMax = 100

// reminderKey names the reminder feed's part of a stream position; the
// calendars' parts are hexadecimal, so it is never one of them.
const reminderKey = "r"

// Stream is one client's view of the changes it may see. Events wait in a
// queue that grows only while the client is behind, so an idle stream costs
// little memory.
type Stream struct {
	f     *Feed
	user  *store.User
	ready chan struct{} // signalled when events are queued or the stream ends

	mu      sync.Mutex
	queue   []Event
	emitted int // events queued so far
	cals    map[int64]*position
	// reminders is the id, in the store's reminder feed, of the latest
	// reminder the stream has sent (or of the latest when it began).
	reminders int64
	overflow  bool
	closed    bool
	// stale is set while the stream may have missed bus messages; until
	// it has caught up from the change logs it ignores calendar changes
	// from the bus, so that its positions stay where the gap begins.
	stale bool
}

type position struct {
	uuid     string
	pos      int64 // highest revision delivered
	caughtUp int64 // revisions up to here came from the change log
}

// Ready is signalled when Take has something to return.
func (s *Stream) Ready() <-chan struct{} { return s.ready }

// Take returns the queued events, and whether the stream is still open
// (after a client fell too far behind it ends with a resync event).
func (s *Stream) Take() ([]Event, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	evs := s.queue
	s.queue = nil
	return evs, !s.closed
}

// Open starts a stream of the changes to every calendar u may see. With
// lastEventID (a position from an earlier stream), the changes made since
// are replayed first from the change logs.
func (f *Feed) Open(ctx context.Context, u *store.User, lastEventID string) (*Stream, error) {
	s := &Stream{f: f, user: u, ready: make(chan struct{}, 1), cals: make(map[int64]*position)}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.stale = f.register(s)
	if err := f.attach(f.subj.user(u.ID), s); err != nil {
		s.closeLocked()
		return nil, err
	}
	visible, err := f.cals.Calendars(ctx, u)
	if err != nil {
		s.closeLocked()
		return nil, err
	}
	// Subscribe before reading the logs: a change committed in between is
	// then both replayed and received, and the revision check drops the
	// second copy.
	for _, v := range visible {
		if err := s.add(v.Calendar); err != nil {
			s.closeLocked()
			return nil, err
		}
	}
	from := decodePosition(lastEventID)
	resume := s.placeReminders(ctx, from)
	if lastEventID != "" {
		s.catchUp(ctx, from)
	}
	if resume {
		if err := s.replayReminders(ctx); err != nil {
			s.f.log.Warn("replaying reminders", "user", s.user.ID, "err", err)
		}
	}
	return s, nil
}

// placeReminders places the stream in the user's reminder feed, and
// reports whether it resumes there. A client resuming from a position
// that has a place is sent the reminders that went out since, read from
// the store, so that it does not matter which node delivered them or
// whether this one was listening; any other starts after the latest. The
// user's subject is followed already, so a reminder going out meanwhile is
// both replayed and received, and the id check in receive drops the
// second copy.
func (s *Stream) placeReminders(ctx context.Context, from map[string]int64) bool {
	if since, ok := from[reminderKey]; ok {
		s.reminders = since
		return true
	}
	last, err := s.f.cals.Store().LastFedReminder(ctx, s.user.ID)
	if err != nil {
		s.f.log.Warn("reading the reminder feed", "user", s.user.ID, "err", err)
	}
	s.reminders = last
	return false
}

// replayReminders queues the user's reminders after the stream's place in
// the feed.
func (s *Stream) replayReminders(ctx context.Context) error {
	list, err := s.f.cals.Store().RemindersFedSince(ctx, s.user.ID, s.reminders, remindersMax)
	if err != nil {
		return err
	}
	for _, r := range list {
		s.reminders = max(s.reminders, r.ID)
		s.emit("reminder", json.RawMessage(r.Payload))
	}
	return nil
}

// register adds s to the streams being served and reports whether the bus
// is down (then s starts stale).
func (f *Feed) register(s *Stream) bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.streams[s] = struct{}{}
	return f.down
}

func (f *Feed) unregister(s *Stream) {
	f.mu.Lock()
	defer f.mu.Unlock()
	delete(f.streams, s)
}

// add starts following cal, from its current revision.
func (s *Stream) add(cal *store.Calendar) error {
	if err := s.f.attach(s.f.subj.calendar(cal.ID), s); err != nil {
		return fmt.Errorf("subscribing to calendar %d: %w", cal.ID, err)
	}
	s.cals[cal.ID] = &position{uuid: cal.UUID, pos: cal.Revision, caughtUp: cal.Revision}
	return nil
}

// drop stops following calendar id and tells the client why.
func (s *Stream) drop(id int64, kind calendar.ChangeKind) {
	p := s.cals[id]
	if p == nil {
		return
	}
	delete(s.cals, id)
	s.f.detach(s.f.subj.calendar(id), s)
	s.emit("access", Access{Kind: string(kind), CalendarID: p.uuid})
}

// Close detaches the stream from the feed.
func (s *Stream) Close() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.closeLocked()
}

func (s *Stream) closeLocked() {
	if s.closed {
		return
	}
	s.closed = true
	s.f.unregister(s)
	s.f.detach(s.f.subj.user(s.user.ID), s)
	for id := range s.cals {
		s.f.detach(s.f.subj.calendar(id), s)
	}
	s.signal()
}

func (s *Stream) signal() {
	select {
	case s.ready <- struct{}{}:
	default:
	}
}

// catchUp replays what each calendar logged after the client's position.
func (s *Stream) catchUp(ctx context.Context, from map[string]int64) {
	for id, p := range s.cals {
		since, ok := from[shortID(p.uuid)]
		if !ok || since >= p.pos {
			continue
		}
		if err := s.replay(ctx, id, p, since); err != nil {
			s.f.log.Warn("replaying changes", "calendar", id, "err", err)
			s.emit("resync", Access{Kind: "resync", CalendarID: p.uuid})
		}
	}
}

// resume catches a stale stream up: it re-reads which calendars the user
// may see and replays what each logged after the stream's position. The
// lock is held throughout, as in Open, so that bus messages wait and are
// then checked against the new positions. The stream stays stale while
// the bus is down. It returns how many events it queued.
func (s *Stream) resume(ctx context.Context) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed || !s.stale {
		return 0, nil
	}
	before := s.emitted
	if err := s.refreshAccess(ctx); err != nil {
		return s.emitted - before, err
	}
	for id, p := range s.cals {
		if err := s.replay(ctx, id, p, p.pos); err != nil {
			return s.emitted - before, err
		}
	}
	if err := s.replayReminders(ctx); err != nil {
		return s.emitted - before, err
	}
	s.stale = s.f.isDown()
	return s.emitted - before, nil
}

// refreshAccess brings the stream's calendars in line with what the user
// may see now, telling the client about each one gained or lost.
func (s *Stream) refreshAccess(ctx context.Context) error {
	visible, err := s.f.cals.Calendars(ctx, s.user)
	if err != nil {
		return fmt.Errorf("listing the calendars of user %d: %w", s.user.ID, err)
	}
	now := make(map[int64]bool, len(visible))
	for _, v := range visible {
		now[v.ID] = true
		if s.cals[v.ID] != nil {
			continue
		}
		if err := s.add(v.Calendar); err != nil {
			return err
		}
		s.emit("access", Access{Kind: string(calendar.AccessGranted), CalendarID: v.UUID})
	}
	for id := range s.cals {
		if now[id] {
			continue
		}
		kind := calendar.AccessRevoked
		if _, err := s.f.cals.Store().GetCalendar(ctx, id); errors.Is(err, store.ErrNotFound) {
			kind = calendar.CalendarDeleted
		}
		s.drop(id, kind)
	}
	return nil
}

// replay queues what calendar id logged after since. Each event carries
// the position just after it, so a client that drops mid-replay resumes
// where it stopped. A calendar whose log no longer reaches back to since,
// or that has more than catchUpMax changes, gets a resync event instead:
// the client reloads it.
func (s *Stream) replay(ctx context.Context, id int64, p *position, since int64) error {
	changes, rev, err := s.f.cals.Store().ChangesSince(ctx, id, since, catchUpMax+1)
	switch {
	case errors.Is(err, store.ErrNotFound):
		s.drop(id, calendar.CalendarDeleted)
		return nil
	case errors.Is(err, store.ErrInvalidSyncToken), err == nil && len(changes) > catchUpMax:
		p.pos, p.caughtUp = max(p.pos, rev), max(p.caughtUp, rev)
		s.emit("resync", Access{Kind: "resync", CalendarID: p.uuid})
		return nil
	case err != nil:
		return fmt.Errorf("reading the changes of calendar %d: %w", id, err)
	}
	p.pos = since
	contiguous := true
	for _, c := range changes {
		kind := "updated"
		if c.Deleted {
			kind = "deleted"
		}
		contiguous = contiguous && c.Revision == p.pos+1
		p.pos = c.Revision
		s.emit("change", Change{Kind: kind, CalendarID: p.uuid, EventID: c.UUID, Revision: c.Revision})
	}
	// The log keeps one row per resource and none for the calendar's own
	// properties, so a revision it does not show may have been a change
	// of those: the client re-reads the calendar to be sure.
	if rev > p.pos || !contiguous {
		p.pos = max(p.pos, rev)
		s.emit("change", Change{Kind: string(calendar.CalendarUpdated), CalendarID: p.uuid, Revision: p.pos})
	}
	p.pos = max(p.pos, p.caughtUp)
	p.caughtUp = p.pos
	return nil
}

// receive handles a change from the bus.
func (s *Stream) receive(c calendar.Change) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return
	}
	switch c.Kind {
	case calendar.Reminder:
		// A stale stream leaves reminders to resume, which reads them from
		// the feed; one it has sent already (replayed) is not sent again.
		if c.UserID != s.user.ID || s.stale || (c.Revision != 0 && c.Revision <= s.reminders) {
			return
		}
		s.reminders = max(s.reminders, c.Revision)
		s.emit("reminder", c.Payload)
	case calendar.AccessGranted:
		s.grant(c)
	case calendar.AccessRevoked, calendar.CalendarDeleted:
		s.drop(c.CalendarID, c.Kind)
	default:
		p := s.cals[c.CalendarID]
		if p == nil || s.stale || (c.Revision != 0 && c.Revision <= p.caughtUp) {
			return
		}
		p.pos = max(p.pos, c.Revision)
		s.emit("change", Change{Kind: string(c.Kind), CalendarID: p.uuid, EventID: c.ObjectUUID, ETag: c.ETag, Revision: c.Revision})
	}
}

// grant adds a calendar the user may now read, after checking that they
// still may (a revocation may have overtaken the grant).
func (s *Stream) grant(c calendar.Change) {
	if _, ok := s.cals[c.CalendarID]; ok {
		return
	}
	ctx := context.Background()
	cal, err := s.f.cals.Store().GetCalendar(ctx, c.CalendarID)
	if err != nil {
		return
	}
	if role, err := s.f.cals.RoleOf(ctx, s.user, cal); err != nil || role == calendar.RoleNone {
		return
	}
	if err := s.add(cal); err != nil {
		s.f.log.Warn("following a calendar", "err", err)
		return
	}
	s.emit("access", Access{Kind: string(c.Kind), CalendarID: cal.UUID})
}

// emit queues an event without blocking; a client too slow to keep up gets
// a final resync and its stream ends.
func (s *Stream) emit(typ string, payload any) {
	if s.overflow || s.closed {
		return
	}
	data, _ := json.Marshal(payload)
	ev := Event{ID: s.positionLocked(), Type: typ, Data: data}
	if len(s.queue) >= buffer-1 {
		s.overflow = true
		ev = Event{ID: ev.ID, Type: "resync", Data: []byte(`{"kind":"resync"}`)}
	}
	s.queue = append(s.queue, ev)
	s.emitted++
	if s.overflow {
		s.closeLocked()
	}
	s.signal()
}

// positionLocked encodes every calendar's position as
// "prefix:revision.prefix:revision…", where prefix is the start of the
// calendar's public id, and the reminder feed's as "r:id": compact, and it
// reveals nothing the user cannot see.
func (s *Stream) positionLocked() string {
	parts := make([]string, 0, len(s.cals)+1)
	for _, p := range s.cals {
		parts = append(parts, shortID(p.uuid)+":"+strconv.FormatInt(p.pos, 10))
	}
	parts = append(parts, reminderKey+":"+strconv.FormatInt(s.reminders, 10))
	slices.Sort(parts)
	return strings.Join(parts, ".")
}

func shortID(uuid string) string {
	id := strings.ReplaceAll(uuid, "-", "")
	return id[:min(len(id), 12)]
}

func decodePosition(s string) map[string]int64 {
	out := make(map[string]int64)
	for _, part := range strings.Split(s, ".") {
		id, rev, ok := strings.Cut(part, ":")
		n, err := strconv.ParseInt(rev, 10, 64)
		if ok && err == nil && n >= 0 {
			out[id] = n
		}
	}
	return out
}
