package changefeed

import (
	"context"
	"encoding/json"
	"errors"
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

// Stream is one client's view of the changes it may see. Events wait in a
// queue that grows only while the client is behind, so an idle stream costs
// little memory.
type Stream struct {
	f     *Feed
	user  *store.User
	ready chan struct{} // signalled when events are queued or the stream ends

	mu       sync.Mutex
	queue    []Event
	cals     map[int64]*position
	overflow bool
	closed   bool
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
	if err := f.attach(userSubject(u.ID), s); err != nil {
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
		if err := f.attach(calendarSubject(v.ID), s); err != nil {
			s.closeLocked()
			return nil, err
		}
		s.cals[v.ID] = &position{uuid: v.UUID, pos: v.Revision, caughtUp: v.Revision}
	}
	if lastEventID != "" {
		s.catchUp(ctx, decodePosition(lastEventID))
	}
	return s, nil
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
	s.f.detach(userSubject(s.user.ID), s)
	for id := range s.cals {
		s.f.detach(calendarSubject(id), s)
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
		changes, _, err := s.f.cals.Store().ChangesSince(ctx, id, since, catchUpMax+1)
		if err != nil || len(changes) > catchUpMax {
			if err != nil && !errors.Is(err, store.ErrInvalidSyncToken) {
				s.f.log.Warn("replaying changes", "calendar", id, "err", err)
			}
			s.emit("resync", Access{Kind: "resync", CalendarID: p.uuid})
			continue
		}
		// Each replayed event carries the position just after it, so a
		// client that drops mid-replay resumes where it stopped.
		p.pos = since
		for _, c := range changes {
			kind := "updated"
			if c.Deleted {
				kind = "deleted"
			}
			p.pos = c.Revision
			s.emit("change", Change{Kind: kind, CalendarID: p.uuid, EventID: c.UUID, Revision: c.Revision})
		}
		p.pos = max(p.pos, p.caughtUp)
	}
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
		if c.UserID == s.user.ID {
			s.emit("reminder", c.Payload)
		}
	case calendar.AccessGranted:
		s.grant(c)
	case calendar.AccessRevoked, calendar.CalendarDeleted:
		if p := s.cals[c.CalendarID]; p != nil {
			delete(s.cals, c.CalendarID)
			s.f.detach(calendarSubject(c.CalendarID), s)
			s.emit("access", Access{Kind: string(c.Kind), CalendarID: p.uuid})
		}
	default:
		p := s.cals[c.CalendarID]
		if p == nil || (c.Revision != 0 && c.Revision <= p.caughtUp) {
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
	if err := s.f.attach(calendarSubject(cal.ID), s); err != nil {
		s.f.log.Warn("subscribing to a calendar", "calendar", cal.ID, "err", err)
		return
	}
	s.cals[cal.ID] = &position{uuid: cal.UUID, pos: cal.Revision, caughtUp: cal.Revision}
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
	if s.overflow {
		s.closeLocked()
	}
	s.signal()
}

// positionLocked encodes every calendar's position as
// "prefix:revision.prefix:revision…", where prefix is the start of the
// calendar's public id: compact, and it reveals nothing the user cannot see.
func (s *Stream) positionLocked() string {
	parts := make([]string, 0, len(s.cals))
	for _, p := range s.cals {
		parts = append(parts, shortID(p.uuid)+":"+strconv.FormatInt(p.pos, 10))
	}
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
