package client

import (
	"context"
	"net/url"
	"strconv"
	"time"

	"github.com/almanac/almanac/jsonapi"
)

// CreateEvent makes an event in the calendar in.CalendarID names.
func (c *Client) CreateEvent(ctx context.Context, in jsonapi.EventRequest) (*jsonapi.Event, error) {
	var out jsonapi.Event
	_, err := c.Do(ctx, "POST", "/events", in, &out)
	return &out, err
}

// GetEvent reads an event, or one instance of a series by its instance id.
func (c *Client) GetEvent(ctx context.Context, id string) (*jsonapi.Event, error) {
	var out jsonapi.Event
	_, err := c.Do(ctx, "GET", "/events/"+url.PathEscape(id), nil, &out)
	return &out, err
}

// Scope says which instances of a series a change touches: "this",
// "following" or "all"; empty takes the server's default (this for an
// instance id, all for an event id).
type Scope string

// Change describes how UpdateEvent and DeleteEvent apply.
type Change struct {
	Scope Scope
	// IfMatch is the ETag the change is based on; a mismatch fails with a
	// 412 *Error whose Problem carries the current version.
	IfMatch string
	// Replace sends PUT (the whole event) instead of PATCH (the fields
	// set in the request).
	Replace bool
}

func (ch Change) path(id string) string {
	p := "/events/" + url.PathEscape(id)
	if ch.Scope != "" {
		p += "?scope=" + url.QueryEscape(string(ch.Scope))
	}
	return p
}

func (ch Change) header() []string {
	if ch.IfMatch == "" {
		return nil
	}
	return []string{"If-Match", ch.IfMatch}
}

// UpdateEvent changes an event, an instance, or the instances from one on.
func (c *Client) UpdateEvent(ctx context.Context, id string, in jsonapi.EventRequest, ch Change) (*jsonapi.Event, error) {
	method := "PATCH"
	if ch.Replace {
		method = "PUT"
	}
	var out jsonapi.Event
	_, err := c.Do(ctx, method, ch.path(id), in, &out, ch.header()...)
	return &out, err
}

// DeleteEvent deletes an event, an instance, or the instances from one on.
func (c *Client) DeleteEvent(ctx context.Context, id string, ch Change) error {
	_, err := c.Do(ctx, "DELETE", ch.path(id), nil, nil, ch.header()...)
	return err
}

// EventQuery selects events for ListEvents and CalendarEvents.
type EventQuery struct {
	CalendarID, UserID string
	Start, End         time.Time // both or neither
	// Series lists whole events instead of instances (single_events=false).
	Series     bool
	MaxResults int
	PageToken  string
	TimeZone   string // where all-day and floating events are read
}

func (q EventQuery) values() url.Values {
	v := url.Values{}
	set := func(k, s string) {
		if s != "" {
			v.Set(k, s)
		}
	}
	set("calendar_id", q.CalendarID)
	set("user_id", q.UserID)
	if !q.Start.IsZero() {
		v.Set("start_time", q.Start.Format(time.RFC3339))
		v.Set("end_time", q.End.Format(time.RFC3339))
	}
	if q.Series {
		v.Set("single_events", "false")
	}
	if q.MaxResults > 0 {
		v.Set("max_results", strconv.Itoa(q.MaxResults))
	}
	set("page_token", q.PageToken)
	set("tz", q.TimeZone)
	return v
}

// ListEvents returns one page of GET /events.
func (c *Client) ListEvents(ctx context.Context, q EventQuery) (*jsonapi.EventList, error) {
	var out jsonapi.EventList
	_, err := c.Do(ctx, "GET", "/events?"+q.values().Encode(), nil, &out)
	return &out, err
}

// CalendarEvents returns one page of a calendar's events
// (q.CalendarID and q.UserID are ignored).
func (c *Client) CalendarEvents(ctx context.Context, calendarID string, q EventQuery) (*jsonapi.EventList, error) {
	q.CalendarID, q.UserID = "", ""
	var out jsonapi.EventList
	_, err := c.Do(ctx, "GET", "/calendars/"+url.PathEscape(calendarID)+"/events?"+q.values().Encode(), nil, &out)
	return &out, err
}

// View returns a calendar's day, week, month or year around date
// (YYYY-MM-DD; empty: today) in the time zone tz (empty: the user's).
func (c *Client) View(ctx context.Context, calendarID, viewType, date, tz string) (*jsonapi.View, error) {
	v := url.Values{"view_type": {viewType}}
	if date != "" {
		v.Set("date", date)
	}
	if tz != "" {
		v.Set("tz", tz)
	}
	var out jsonapi.View
	_, err := c.Do(ctx, "GET", "/calendars/"+url.PathEscape(calendarID)+"/view?"+v.Encode(), nil, &out)
	return &out, err
}

// FreeBusy asks for the busy time of calendars and users.
func (c *Client) FreeBusy(ctx context.Context, in jsonapi.FreeBusyRequest) (*jsonapi.FreeBusy, error) {
	var out jsonapi.FreeBusy
	_, err := c.Do(ctx, "POST", "/freebusy", in, &out)
	return &out, err
}
