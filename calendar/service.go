// Package calendar is the domain of calendars and their events, shared by
// the CalDAV and JSON front ends: who may do what (roles), validation of
// what clients send, deriving the time-range index from iCalendar data, and
// telling open clients what changed. The front ends translate its errors to
// their protocols; the store keeps the data.
package calendar

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/almanac/almanac/recurrence"
	"github.com/almanac/almanac/secret"
	"github.com/almanac/almanac/store"
	"github.com/almanac/almanac/timezone"
)

// Errors returned by the service, besides the store's ErrNotFound,
// ErrPreconditionFailed and *UIDConflictError.
var (
	// ErrForbidden: the caller knows the calendar but may not do this.
	ErrForbidden = errors.New("calendar: forbidden")
)

// InvalidError is invalid input in one named field.
type InvalidError struct {
	Field   string
	Message string
}

func (e *InvalidError) Error() string { return e.Field + " " + e.Message }

// Change says that a resource of a calendar changed. It is published after
// the change is committed.
type Change struct {
	CalendarID   int64
	CalendarUUID string
	OwnerID      int64
	ObjectUUID   string // empty for a change to the calendar itself
	Name         string
	ETag         string
	// Revision is the calendar's revision after the change; for Reminder,
	// the reminder's id in the store's reminder feed.
	Revision int64
	Kind     ChangeKind
	// UserID is the user whose access changed, for AccessGranted and
	// AccessRevoked, or whose reminder came due, for Reminder.
	UserID int64
	// Payload is the reminder, for Reminder.
	Payload json.RawMessage `json:",omitempty"`
}

// ChangeKind says what happened.
type ChangeKind string

const (
	Created         ChangeKind = "created"
	Updated         ChangeKind = "updated"
	Deleted         ChangeKind = "deleted"
	CalendarUpdated ChangeKind = "calendar-updated"
	CalendarDeleted ChangeKind = "calendar-deleted"
	// AccessGranted and AccessRevoked tell a user's open clients that a
	// calendar joined or left the set they may read (created, shared with
	// them, unshared).
	AccessGranted ChangeKind = "access-granted"
	AccessRevoked ChangeKind = "access-revoked"
	// Reminder carries a reminder to the user's open clients.
	Reminder ChangeKind = "reminder"
)

// Notifier hears about committed changes (the bus, for SSE streams on every
// node). It must not block.
type Notifier interface {
	Changed(ctx context.Context, c Change)
}

// Options configure the service.
type Options struct {
	Notifier   Notifier // nil: nobody listens
	Limits     Limits
	Recurrence recurrence.Limits // zero: recurrence.DefaultLimits
	Now        func() time.Time
	// Hooks take part in every object write, in order.
	Hooks []Hook
	// Kick is called after a write queued outbox messages, to wake the
	// delivery workers (nil: they find them on their next poll).
	Kick func()
	// Secrets seals publication tokens and source passwords (nil: a
	// keyring with a random key, good for the life of the process only).
	Secrets *secret.Keyring
	// Viewer adapts what a sharee reads (their per-user data); nil: every
	// reader sees the stored bytes.
	Viewer Viewer
}

// Viewer adapts stored objects to the user who reads them: a sharee of a
// calendar sees their own alarms and transparency (per-user data), with an
// entity tag of their own. The objects are changed in place; those listed
// without data get only their entity tag.
type Viewer interface {
	View(ctx context.Context, u *store.User, cal *store.Calendar, objs []*store.Object) error
}

// Service implements the calendar domain over the store.
type Service struct {
	st     *store.Store
	notify Notifier
	lim    Limits
	recur  recurrence.Limits
	now    func() time.Time
	hooks  []Hook
	kick   func()
	keys   *secret.Keyring
	cache  *summaryCache
	viewer Viewer
}

// New returns a service over st.
func New(st *store.Store, opt Options) *Service {
	if opt.Now == nil {
		opt.Now = time.Now
	}
	if opt.Notifier == nil {
		opt.Notifier = nopNotifier{}
	}
	if opt.Recurrence == (recurrence.Limits{}) {
		opt.Recurrence = recurrence.DefaultLimits
	}
	if opt.Secrets == nil {
		opt.Secrets, _ = secret.New(secret.NewKey())
	}
	return &Service{st: st, notify: opt.Notifier, lim: opt.Limits.withDefaults(), recur: opt.Recurrence, now: opt.Now,
		hooks: opt.Hooks, kick: opt.Kick, keys: opt.Secrets, cache: newSummaryCache(),
		viewer: opt.Viewer}
}

type nopNotifier struct{}

func (nopNotifier) Changed(context.Context, Change) {}

// ViewObjects gives objs the form u reads (see Viewer). Front ends that
// read objects from the store directly call it before answering.
func (s *Service) ViewObjects(ctx context.Context, u *store.User, cal *store.Calendar, objs []*store.Object) error {
	if s.viewer == nil || u == nil || u.ID == cal.OwnerID || len(objs) == 0 {
		return nil
	}
	return s.viewer.View(ctx, u, cal, objs)
}

// Store returns the underlying store, for read paths the service does not
// wrap.
func (s *Service) Store() *store.Store { return s.st }

// Limits bound what one object or query may cost, and how much one user
// may store.
type Limits struct {
	MaxResourceSize int           // bytes of one calendar object resource
	IndexHorizon    time.Duration // how far ahead unbounded series are indexed
	MaxQuerySpan    time.Duration // widest time range one query may ask for
	// MinDateTime and MaxDateTime bound the dates and times an object may
	// hold (RFC 4791 §5.2.6, §5.2.7; see checkDateRange), both included.
	// Zero: DefaultMinDateTime and DefaultMaxDateTime.
	MinDateTime, MaxDateTime time.Time
	// QuotaBytes is the most bytes of calendar data the calendars of one
	// user may hold, counted as DAV:quota-used-bytes counts them
	// (RFC 4331); 0: no quota.
	QuotaBytes int64
	// MaxAttendees is the most attendees an event the server schedules
	// may invite (RFC 4791 §5.2.9, CALDAV:max-attendees-per-instance);
	// 0: DefaultMaxAttendees. Every attendee costs a message on each
	// change, so this bounds what one write can make the server send.
	// The scheduling hook enforces it (see CheckAttendees).
	MaxAttendees int
}

// DefaultMaxAttendees is the attendee limit unless configured: what
// Google Calendar has allowed for the guests of one event invited one by
// one, and Exchange Online's default limit on the recipients of one
// message. Larger audiences are invited as a group address or a mailing
// list.
const DefaultMaxAttendees = 500

// The default date range spans two centuries: it holds the birthdays of
// people alive today and any future anyone plans for, and keeps out the
// years such as 0001 or 9999 that only a broken client writes.
var (
	DefaultMinDateTime = time.Date(1900, 1, 1, 0, 0, 0, 0, time.UTC)
	DefaultMaxDateTime = time.Date(2100, 1, 1, 0, 0, 0, 0, time.UTC)
)

func (l Limits) withDefaults() Limits {
	if l.MinDateTime.IsZero() {
		l.MinDateTime = DefaultMinDateTime
	}
	if l.MaxDateTime.IsZero() {
		l.MaxDateTime = DefaultMaxDateTime
	}
	l.MinDateTime, l.MaxDateTime = l.MinDateTime.UTC(), l.MaxDateTime.UTC()
	if l.MaxResourceSize == 0 {
		l.MaxResourceSize = 1 << 20
	}
	if l.MaxAttendees == 0 {
		l.MaxAttendees = DefaultMaxAttendees
	}
	if l.IndexHorizon == 0 {
		l.IndexHorizon = 2 * 366 * 24 * time.Hour
	}
	if l.MaxQuerySpan == 0 {
		l.MaxQuerySpan = 10 * 366 * 24 * time.Hour
	}
	return l
}

// Limits returns the limits in force.
func (s *Service) Limits() Limits { return s.lim }

// RecurrenceLimits returns the bounds on recurring objects in force.
func (s *Service) RecurrenceLimits() recurrence.Limits { return s.recur }

// RoleOf returns the caller's role on a calendar: owner of their own, the
// shared role on others', none otherwise. It is read on every request, so
// revoking a share takes effect on the next one.
func (s *Service) RoleOf(ctx context.Context, u *store.User, cal *store.Calendar) (Role, error) {
	if u == nil {
		return RoleNone, nil
	}
	if cal.OwnerID == u.ID {
		return RoleOwner, nil
	}
	sh, err := s.st.GetShare(ctx, cal.ID, u.ID)
	if errors.Is(err, store.ErrNotFound) {
		return RoleNone, nil
	} else if err != nil {
		return RoleNone, err
	}
	role, _ := ParseRole(sh.Role)
	return role, nil
}

// authorize returns ErrNotFound when the caller may not know the calendar
// exists and ErrForbidden when they may know it but not do act.
func (s *Service) authorize(ctx context.Context, u *store.User, cal *store.Calendar, act Action) (Role, error) {
	role, err := s.RoleOf(ctx, u, cal)
	if err != nil {
		return RoleNone, err
	}
	if role == RoleNone {
		return role, store.ErrNotFound
	}
	if !role.Can(act) {
		return role, ErrForbidden
	}
	return role, nil
}

// Calendar returns the calendar with the public id if the caller may do
// act on it.
func (s *Service) Calendar(ctx context.Context, u *store.User, uuid string, act Action) (*store.Calendar, Role, error) {
	cal, err := s.st.GetCalendarByUUID(ctx, uuid)
	if err != nil {
		return nil, RoleNone, err
	}
	role, err := s.authorize(ctx, u, cal, act)
	if err != nil {
		return nil, role, err
	}
	return cal, role, nil
}

// CalendarAt returns the calendar at name in owner's calendar home if the
// caller may do act on it.
func (s *Service) CalendarAt(ctx context.Context, u *store.User, ownerID int64, name string, act Action) (*store.Calendar, Role, error) {
	cal, err := s.st.GetCalendarByName(ctx, ownerID, name)
	if err != nil {
		return nil, RoleNone, err
	}
	role, err := s.authorize(ctx, u, cal, act)
	if err != nil {
		return nil, role, err
	}
	return cal, role, nil
}

// Visible is a calendar the caller can see, with their role. Share is the
// caller's share when the calendar is someone else's (their own name,
// colour and order for it), nil for their own calendars.
type Visible struct {
	*store.Calendar
	Role  Role
	Share *store.Share
}

// Calendars lists the calendars the user can see: their own, then those
// shared with them.
func (s *Service) Calendars(ctx context.Context, u *store.User) ([]Visible, error) {
	own, err := s.st.ListCalendars(ctx, u.ID)
	if err != nil {
		return nil, err
	}
	shares, err := s.st.SharesOfUser(ctx, u.ID)
	if err != nil {
		return nil, err
	}
	out := make([]Visible, 0, len(own)+len(shares))
	for _, c := range own {
		out = append(out, Visible{Calendar: c, Role: RoleOwner})
	}
	for _, sh := range shares {
		c, err := s.st.GetCalendar(ctx, sh.CalendarID)
		if err != nil {
			return nil, err
		}
		role, _ := ParseRole(sh.Role)
		out = append(out, Visible{Calendar: c, Role: role, Share: sh})
	}
	return out, nil
}

var colorRE = regexp.MustCompile(`^#[0-9A-Fa-f]{6}([0-9A-Fa-f]{2})?$`)

// maxNameBytes bounds a calendar's name, one segment of its URL.
const maxNameBytes = 255

// checkName accepts any name a client can put in a URL segment (RFC 3986
// §3.3: spaces and other letters travel percent-encoded, and the server
// escapes them again in every href it writes), so that a collection made
// by Apple Calendar or vdirsyncer keeps the name it was given. What would
// not round-trip is refused: '/', control characters, invalid UTF-8, and
// the dot segments that RFC 3986 §5.2.4 removes.
func checkName(name string) error {
	msg := "must be 1 to 255 bytes of UTF-8 text without '/' or control characters, and not '.' or '..'"
	if name == "" || len(name) > maxNameBytes || name == "." || name == ".." || !utf8.ValidString(name) {
		return &InvalidError{"name", msg}
	}
	for _, r := range name {
		if r == '/' || r == '\\' || unicode.IsControl(r) {
			return &InvalidError{"name", msg}
		}
	}
	return nil
}

// CheckCalendar validates a calendar's fields before it is stored.
func CheckCalendar(c *store.Calendar) error {
	if err := checkName(c.Name); err != nil {
		return err
	}
	if len(c.DisplayName) > 500 {
		return &InvalidError{"display_name", "must be at most 500 bytes"}
	}
	if len(c.Description) > 10_000 {
		return &InvalidError{"description", "must be at most 10,000 bytes"}
	}
	if c.Color != "" && !colorRE.MatchString(c.Color) {
		return &InvalidError{"color", "must be #RRGGBB or #RRGGBBAA"}
	}
	if c.TimeZone != "" {
		loc, ok := timezone.Lookup(c.TimeZone)
		if !ok {
			return &InvalidError{"time_zone", "must be an IANA time zone name such as Europe/Berlin"}
		}
		c.TimeZone = loc.String()
	}
	known := strings.Join(store.ComponentTypes, ", ")
	if len(c.Components) == 0 {
		return &InvalidError{"components", "must name at least one of " + known}
	}
	for i, comp := range c.Components {
		comp = strings.ToUpper(comp)
		if !slices.Contains(store.ComponentTypes, comp) {
			return &InvalidError{"components", fmt.Sprintf("%q is not one of %s", comp, known)}
		}
		c.Components[i] = comp
	}
	return nil
}

// CreateCalendar makes a calendar owned by the caller. A calendar without
// a name gets one made from its display name, free in the caller's home
// (see Slug). It returns an *InvalidError or store.ErrExists (the name is
// taken).
func (s *Service) CreateCalendar(ctx context.Context, u *store.User, c *store.Calendar) error {
	c.OwnerID = u.ID
	if len(c.Components) == 0 {
		c.Components = slices.Clone(store.ComponentTypes)
	}
	if err := s.insertCalendar(ctx, c, func() error { return s.st.CreateCalendar(ctx, c) }); err != nil {
		return err
	}
	s.notify.Changed(ctx, Change{CalendarID: c.ID, CalendarUUID: c.UUID, OwnerID: c.OwnerID, Revision: c.Revision,
		Kind: AccessGranted, UserID: c.OwnerID})
	return nil
}

// UpdateCalendar writes c's descriptive fields; the caller must own it.
func (s *Service) UpdateCalendar(ctx context.Context, u *store.User, c *store.Calendar) error {
	if _, err := s.authorize(ctx, u, c, ActEditCalendar); err != nil {
		return err
	}
	if err := CheckCalendar(c); err != nil {
		return err
	}
	if err := s.st.UpdateCalendar(ctx, c); err != nil {
		return err
	}
	s.notify.Changed(ctx, Change{CalendarID: c.ID, CalendarUUID: c.UUID, OwnerID: c.OwnerID, Revision: c.Revision, Kind: CalendarUpdated})
	return nil
}

// RenameCalendar moves a calendar to another name in its owner's home
// (WebDAV MOVE of the collection). Only its owner may. It returns an
// *InvalidError for a bad name, store.ErrExists when the name is taken,
// or ErrForbidden.
func (s *Service) RenameCalendar(ctx context.Context, u *store.User, c *store.Calendar, name string) error {
	if _, err := s.authorize(ctx, u, c, ActDeleteCalendar); err != nil {
		return err
	}
	if c.OwnerID != u.ID {
		return ErrForbidden
	}
	if err := checkName(name); err != nil {
		return err
	}
	if err := s.st.RenameCalendar(ctx, c.ID, name); err != nil {
		return err
	}
	c.Name = name
	s.notify.Changed(ctx, Change{CalendarID: c.ID, CalendarUUID: c.UUID, OwnerID: c.OwnerID, Revision: c.Revision, Kind: CalendarUpdated})
	return nil
}

// DeleteCalendar removes a calendar with everything in it. Only the user
// who owns it may; a sharee, even with the owner role, can only leave it
// (LeaveCalendar).
func (s *Service) DeleteCalendar(ctx context.Context, u *store.User, c *store.Calendar) error {
	if _, err := s.authorize(ctx, u, c, ActDeleteCalendar); err != nil {
		return err
	}
	if c.OwnerID != u.ID {
		return ErrForbidden
	}
	if err := s.st.DeleteCalendar(ctx, c.ID); err != nil {
		return err
	}
	s.notify.Changed(ctx, Change{CalendarID: c.ID, CalendarUUID: c.UUID, OwnerID: c.OwnerID, Kind: CalendarDeleted})
	return nil
}

// CreateSourceCalendar makes a read-only calendar owned by the caller
// whose content comes from src (see package external), in one
// transaction. It returns an *InvalidError or store.ErrExists.
func (s *Service) CreateSourceCalendar(ctx context.Context, u *store.User, c *store.Calendar, src *store.Source) error {
	c.OwnerID, c.Source = u.ID, src.Kind
	if len(c.Components) == 0 {
		c.Components = []string{"VEVENT", "VTODO", "VJOURNAL"}
	}
	if err := s.insertCalendar(ctx, c, func() error { return s.st.CreateSourceCalendar(ctx, c, src) }); err != nil {
		return err
	}
	s.notify.Changed(ctx, Change{CalendarID: c.ID, CalendarUUID: c.UUID, OwnerID: c.OwnerID, Revision: c.Revision,
		Kind: AccessGranted, UserID: c.OwnerID})
	return nil
}
