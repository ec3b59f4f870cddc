package store

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"
)

// Calendar is a calendar collection owned by a user.
type Calendar struct {
	ID          int64
	UUID        string
	OwnerID     int64
	Name        string // URL segment in the owner's calendar home
	DisplayName string
	Description string
	Color       string // #RRGGBB or #RRGGBBAA
	Order       int
	TimeZone    string // IANA name used for floating and all-day events
	Components  []string
	Revision    int64 // the CTag and sync token: bumped by every change
	SyncFloor   int64 // tokens older than this can no longer be answered
	MaxSpan     int64 // longest indexed instance, µs
	// Source says where the data comes from: "" when the calendar's users
	// write it, SourceICS or SourceCalDAV when it mirrors a calendar
	// elsewhere and is read-only to them.
	Source    string
	CreatedAt time.Time
	UpdatedAt time.Time
}

// ComponentTypes are the components a calendar collection can hold
// (RFC 4791 §5.2.3, RFC 7953 §7.1 for VAVAILABILITY). A calendar made
// without a list takes them all: "in the absence of this property, the
// server MUST accept all component types" (RFC 4791 §5.2.3).
var ComponentTypes = []string{"VEVENT", "VTODO", "VJOURNAL", "VFREEBUSY", "VAVAILABILITY"}

// Sources of calendars that mirror data from elsewhere.
const (
	SourceICS    = "ics"    // a published iCalendar feed
	SourceCalDAV = "caldav" // a collection on another CalDAV server
)

// ReadOnly reports whether the calendar's contents come from elsewhere, so
// that its users may read but not change them.
func (c *Calendar) ReadOnly() bool { return c.Source != "" }

// Supports reports whether the calendar accepts components of type comp.
func (c *Calendar) Supports(comp string) bool {
	for _, x := range c.Components {
		if x == comp {
			return true
		}
	}
	return false
}

const calendarColumns = `id, uuid, owner_id, name, display_name, description, color, sort_order,
	time_zone, components, revision, sync_floor, max_span, source, created_at, updated_at`

func scanCalendar(r row) (*Calendar, error) {
	var c Calendar
	var comps string
	var created, updated int64
	err := r.Scan(&c.ID, &c.UUID, &c.OwnerID, &c.Name, &c.DisplayName, &c.Description, &c.Color, &c.Order,
		&c.TimeZone, &comps, &c.Revision, &c.SyncFloor, &c.MaxSpan, &c.Source, &created, &updated)
	if isNoRows(err) {
		return nil, ErrNotFound
	}
	if err != nil {
		return nil, err
	}
	if comps != "" {
		c.Components = strings.Split(comps, ",")
	}
	c.CreatedAt, c.UpdatedAt = FromMicro(created), FromMicro(updated)
	return &c, nil
}

// CreateCalendar stores c and fills in its ID, UUID and timestamps. It
// returns ErrExists if the owner already has a calendar with c.Name.
func (s *Store) CreateCalendar(ctx context.Context, c *Calendar) error {
	now := s.nowMicro()
	err := s.inTx(ctx, func(q querier) error { return insertCalendar(ctx, q, c, now) })
	if _, ok := uniqueViolation(err); ok {
		return ErrExists
	}
	if err != nil {
		return fmt.Errorf("store: create calendar: %w", err)
	}
	return nil
}

// insertCalendar adds c in a transaction and fills in its ID, UUID and
// timestamps.
func insertCalendar(ctx context.Context, q querier, c *Calendar, now int64) error {
	if c.UUID == "" {
		c.UUID = NewUUID()
	}
	if len(c.Components) == 0 {
		c.Components = slices.Clone(ComponentTypes)
	}
	err := q.queryRow(ctx, `INSERT INTO calendars (uuid, owner_id, name, display_name, description, color,
		sort_order, time_zone, components, source, created_at, updated_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $11) RETURNING id`,
		c.UUID, c.OwnerID, c.Name, c.DisplayName, c.Description, c.Color, c.Order, c.TimeZone,
		joinComponents(c.Components), c.Source, now).Scan(&c.ID)
	if err == nil {
		c.CreatedAt, c.UpdatedAt = FromMicro(now), FromMicro(now)
	}
	return err
}

func joinComponents(comps []string) string {
	if len(comps) == 0 {
		comps = ComponentTypes
	}
	return strings.Join(comps, ",")
}

// GetCalendar returns the calendar with the internal id, or ErrNotFound.
func (s *Store) GetCalendar(ctx context.Context, id int64) (*Calendar, error) {
	return scanCalendar(s.read.queryRow(ctx, `SELECT `+calendarColumns+` FROM calendars WHERE id = $1`, id))
}

// GetCalendarByUUID returns the calendar with the public id, or ErrNotFound.
func (s *Store) GetCalendarByUUID(ctx context.Context, uuid string) (*Calendar, error) {
	return scanCalendar(s.read.queryRow(ctx, `SELECT `+calendarColumns+` FROM calendars WHERE uuid = $1`, uuid))
}

// GetCalendarByName returns the owner's calendar at the URL segment name, or
// ErrNotFound.
func (s *Store) GetCalendarByName(ctx context.Context, ownerID int64, name string) (*Calendar, error) {
	return scanCalendar(s.read.queryRow(ctx, `SELECT `+calendarColumns+` FROM calendars
		WHERE owner_id = $1 AND name = $2`, ownerID, name))
}

// ListCalendars returns the calendars a user owns, in display order.
func (s *Store) ListCalendars(ctx context.Context, ownerID int64) ([]*Calendar, error) {
	rs, err := s.read.query(ctx, `SELECT `+calendarColumns+` FROM calendars
		WHERE owner_id = $1 ORDER BY sort_order, name`, ownerID)
	if err != nil {
		return nil, err
	}
	defer rs.Close()
	var out []*Calendar
	for rs.Next() {
		c, err := scanCalendar(rs)
		if err != nil {
			return nil, err
		}
		out = append(out, c)
	}
	return out, rs.Err()
}

// UpdateCalendar writes the descriptive fields of c (display name,
// description, color, order, time zone, components). Changing them bumps the
// revision, so CTag-polling clients notice. It returns ErrNotFound.
func (s *Store) UpdateCalendar(ctx context.Context, c *Calendar) error {
	now := s.nowMicro()
	err := s.inTx(ctx, func(q querier) error {
		err := q.queryRow(ctx, `UPDATE calendars SET display_name = $2, description = $3, color = $4,
			sort_order = $5, time_zone = $6, components = $7, updated_at = $8, revision = revision + 1
			WHERE id = $1 RETURNING revision`,
			c.ID, c.DisplayName, c.Description, c.Color, c.Order, c.TimeZone,
			strings.Join(c.Components, ","), now).Scan(&c.Revision)
		if isNoRows(err) {
			return ErrNotFound
		}
		return err
	})
	if err == nil {
		c.UpdatedAt = FromMicro(now)
	}
	return err
}

// DeleteCalendar removes a calendar with its objects, index and change log.
// It returns ErrNotFound.
func (s *Store) DeleteCalendar(ctx context.Context, id int64) error {
	return s.inTx(ctx, func(q querier) error {
		if err := cancelCalendarReminders(ctx, q, id, s.nowMicro()); err != nil {
			return err
		}
		n, err := q.exec(ctx, `DELETE FROM calendars WHERE id = $1`, id)
		if err == nil && n == 0 {
			return ErrNotFound
		}
		return err
	})
}

// DeadProperty is a WebDAV property set by a client and stored verbatim.
type DeadProperty struct {
	Namespace, Name string
	XML             string // the whole property element
}

// PatchCalendarProperties sets (XML non-empty) or removes (XML empty) dead
// properties in one transaction and bumps the calendar's revision.
func (s *Store) PatchCalendarProperties(ctx context.Context, calID int64, props []DeadProperty) error {
	return s.inTx(ctx, func(q querier) error {
		if _, _, err := bumpRevision(ctx, q, calID, s.nowMicro()); err != nil {
			return err
		}
		for _, p := range props {
			var err error
			if p.XML == "" {
				_, err = q.exec(ctx, `DELETE FROM calendar_properties WHERE calendar_id = $1 AND namespace = $2 AND name = $3`,
					calID, p.Namespace, p.Name)
			} else {
				_, err = q.exec(ctx, `INSERT INTO calendar_properties (calendar_id, namespace, name, xml) VALUES ($1, $2, $3, $4)
					ON CONFLICT (calendar_id, namespace, name) DO UPDATE SET xml = excluded.xml`,
					calID, p.Namespace, p.Name, p.XML)
			}
			if err != nil {
				return err
			}
		}
		return nil
	})
}

// CalendarProperties returns the dead properties of a calendar.
func (s *Store) CalendarProperties(ctx context.Context, calID int64) ([]DeadProperty, error) {
	rs, err := s.read.query(ctx, `SELECT namespace, name, xml FROM calendar_properties
		WHERE calendar_id = $1 ORDER BY namespace, name`, calID)
	if err != nil {
		return nil, err
	}
	defer rs.Close()
	var out []DeadProperty
	for rs.Next() {
		var p DeadProperty
		if err := rs.Scan(&p.Namespace, &p.Name, &p.XML); err != nil {
			return nil, err
		}
		out = append(out, p)
	}
	return out, rs.Err()
}

// bumpRevision takes the calendar's row lock (serialising writers to one
// calendar on PostgreSQL; SQLite has a single writer anyway) and returns the
// new revision and the calendar's max span.
func bumpRevision(ctx context.Context, q querier, calID, now int64) (rev, maxSpan int64, err error) {
	err = q.queryRow(ctx, `UPDATE calendars SET revision = revision + 1, updated_at = $2
		WHERE id = $1 RETURNING revision, max_span`, calID, now).Scan(&rev, &maxSpan)
	if isNoRows(err) {
		return 0, 0, ErrNotFound
	}
	return rev, maxSpan, err
}

// RenameCalendar gives a calendar another name in its owner's home and
// bumps its revision. It returns ErrNotFound, or ErrExists when the owner
// has a calendar of that name already.
func (s *Store) RenameCalendar(ctx context.Context, id int64, name string) error {
	now := s.nowMicro()
	err := s.inTx(ctx, func(q querier) error {
		n, err := q.exec(ctx, `UPDATE calendars SET name = $2, revision = revision + 1, updated_at = $3 WHERE id = $1`, id, name, now)
		if err == nil && n == 0 {
			return ErrNotFound
		}
		return err
	})
	if _, ok := uniqueViolation(err); ok {
		return ErrExists
	}
	return err
}
