package store

import (
	"context"
	"fmt"
	"strings"
)

// CreateCalendarWithProperties is CreateCalendar that also stores dead
// properties, in the same transaction: a MKCALENDAR either creates the
// collection with every property it asked for or nothing (RFC 4791
// §5.3.1). It returns ErrExists if the owner already has c.Name.
func (s *Store) CreateCalendarWithProperties(ctx context.Context, c *Calendar, props []DeadProperty) error {
	now := s.nowMicro()
	err := s.inTx(ctx, func(q querier) error {
		if err := insertCalendar(ctx, q, c, now); err != nil {
			return err
		}
		return writeProperties(ctx, q, c.ID, props)
	})
	if _, ok := uniqueViolation(err); ok {
		return ErrExists
	}
	if err != nil {
		return fmt.Errorf("store: create calendar: %w", err)
	}
	return nil
}

// UpdateCalendarWithProperties writes c's descriptive fields and sets or
// removes dead properties in one transaction, so that a PROPPATCH is all or
// nothing (RFC 4918 §9.2). It bumps the revision once and returns
// ErrNotFound.
func (s *Store) UpdateCalendarWithProperties(ctx context.Context, c *Calendar, props []DeadProperty) error {
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
		if err != nil {
			return err
		}
		return writeProperties(ctx, q, c.ID, props)
	})
	if err == nil {
		c.UpdatedAt = FromMicro(now)
	}
	return err
}

// writeProperties sets (XML non-empty) or removes (XML empty) dead
// properties of a calendar.
func writeProperties(ctx context.Context, q querier, calID int64, props []DeadProperty) error {
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
}

// Usage returns the bytes of calendar data a user's calendars hold, for
// DAV:quota-used-bytes (RFC 4331); with calID > 0, of that calendar only.
func (s *Store) Usage(ctx context.Context, ownerID, calID int64) (int64, error) {
	// calendars.bytes_used is kept by triggers on objects (migration 0016).
	var n int64
	var err error
	if calID > 0 {
		err = s.read.queryRow(ctx, `SELECT bytes_used FROM calendars WHERE id = $1`, calID).Scan(&n)
		if isNoRows(err) {
			return 0, nil
		}
	} else {
		err = s.read.queryRow(ctx, `SELECT COALESCE(SUM(bytes_used), 0) FROM calendars WHERE owner_id = $1`, ownerID).Scan(&n)
	}
	return n, err
}

// UsageReplacing returns what Usage(ownerID, 0) does, and the bytes of the
// resource name of calendar calID among them (0 when there is none): what
// a write replacing that resource gives back.
func (s *Store) UsageReplacing(ctx context.Context, ownerID, calID int64, name string) (used, replaced int64, err error) {
	// calendars.bytes_used is kept by triggers on objects (migration 0016).
	err = s.read.queryRow(ctx, `SELECT COALESCE(SUM(bytes_used), 0),
		COALESCE((SELECT o.size FROM objects o JOIN calendars oc ON oc.id = o.calendar_id
			WHERE o.calendar_id = $2 AND o.name = $3 AND oc.owner_id = $1), 0)
		FROM calendars WHERE owner_id = $1`, ownerID, calID, name).Scan(&used, &replaced)
	return used, replaced, err
}
