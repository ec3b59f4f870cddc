// Package client is a Go client for Almanac's JSON API (/api/v1). The
// server's own integration tests and benchmarks use it, so it stays in
// step with the API.
package client

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"

	"github.com/almanac/almanac/jsonapi"
)

// Client talks to one server as one user (once logged in).
type Client struct {
	base  string // e.g. http://127.0.0.1:8080
	hc    *http.Client
	token string
}

// New returns a client for the server at base.
func New(base string, hc *http.Client) *Client {
	if hc == nil {
		hc = http.DefaultClient
	}
	return &Client{base: strings.TrimRight(base, "/"), hc: hc}
}

// Token is the bearer token of the logged-in session.
func (c *Client) Token() string { return c.token }

// WithToken returns a copy of the client using token.
func (c *Client) WithToken(token string) *Client {
	cp := *c
	cp.token = token
	return &cp
}

// Error is a problem document returned by the server.
type Error struct {
	Status  int
	Problem jsonapi.Problem
}

func (e *Error) Error() string {
	return fmt.Sprintf("almanac: %d %s: %s", e.Status, e.Problem.Title, e.Problem.Detail)
}

// Do sends a request with a JSON body (when in is not nil) and decodes a
// JSON answer into out (when not nil). Non-2xx answers are *Error.
func (c *Client) Do(ctx context.Context, method, path string, in, out any, header ...string) (*http.Response, error) {
	var body io.Reader
	if in != nil {
		b, err := json.Marshal(in)
		if err != nil {
			return nil, err
		}
		body = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, c.base+"/api/v1"+path, body)
	if err != nil {
		return nil, err
	}
	if in != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if c.token != "" {
		req.Header.Set("Authorization", "Bearer "+c.token)
	}
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	resp, err := c.hc.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	if resp.StatusCode >= 300 {
		e := &Error{Status: resp.StatusCode}
		_ = json.NewDecoder(resp.Body).Decode(&e.Problem)
		return resp, e
	}
	if out != nil && resp.StatusCode != http.StatusNoContent {
		if err := json.NewDecoder(resp.Body).Decode(out); err != nil {
			return resp, fmt.Errorf("almanac: decoding %s %s: %w", method, path, err)
		}
	}
	return resp, nil
}

// Register creates an account.
func (c *Client) Register(ctx context.Context, in jsonapi.RegisterRequest) (*jsonapi.User, error) {
	var u jsonapi.User
	_, err := c.Do(ctx, "POST", "/users/register", in, &u)
	return &u, err
}

// Login signs in; the client then acts as that user.
func (c *Client) Login(ctx context.Context, login, password string) (*jsonapi.LoginResponse, error) {
	var r jsonapi.LoginResponse
	if _, err := c.Do(ctx, "POST", "/users/login", jsonapi.LoginRequest{Login: login, Password: password}, &r); err != nil {
		return nil, err
	}
	c.token = r.Token
	return &r, nil
}

// Me returns the signed-in user.
func (c *Client) Me(ctx context.Context) (*jsonapi.User, error) {
	var u jsonapi.User
	_, err := c.Do(ctx, "GET", "/users/me", nil, &u)
	return &u, err
}

// Calendars lists the calendars the user can see.
func (c *Client) Calendars(ctx context.Context) ([]jsonapi.Calendar, error) {
	var out []jsonapi.Calendar
	_, err := c.Do(ctx, "GET", "/calendars", nil, &out)
	return out, err
}

// CreateCalendar makes a calendar.
func (c *Client) CreateCalendar(ctx context.Context, in jsonapi.CalendarRequest) (*jsonapi.Calendar, error) {
	var out jsonapi.Calendar
	_, err := c.Do(ctx, "POST", "/calendars", in, &out)
	return &out, err
}

// UpdateCalendar changes the fields set in in.
func (c *Client) UpdateCalendar(ctx context.Context, id string, in jsonapi.CalendarRequest) (*jsonapi.Calendar, error) {
	var out jsonapi.Calendar
	_, err := c.Do(ctx, "PATCH", "/calendars/"+id, in, &out)
	return &out, err
}

// Share gives a user (by id or e-mail) a role on a calendar.
func (c *Client) Share(ctx context.Context, calendarID string, in jsonapi.ShareRequest) error {
	_, err := c.Do(ctx, "POST", "/calendars/"+calendarID+"/share", in, nil)
	return err
}

// StreamEvent is one Server-Sent Event of the change stream.
type StreamEvent struct {
	ID, Type string
	Data     []byte
}

// Stream opens the change stream; events arrive on the channel until ctx
// ends or the server closes the stream.
func (c *Client) Stream(ctx context.Context, lastEventID string) (<-chan StreamEvent, error) {
	req, err := http.NewRequestWithContext(ctx, "GET", c.base+"/api/v1/stream", nil)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Authorization", "Bearer "+c.token)
	req.Header.Set("Accept", "text/event-stream")
	if lastEventID != "" {
		req.Header.Set("Last-Event-ID", lastEventID)
	}
	resp, err := c.hc.Do(req)
	if err != nil {
		return nil, err
	}
	if resp.StatusCode != http.StatusOK {
		resp.Body.Close()
		return nil, &Error{Status: resp.StatusCode}
	}
	out := make(chan StreamEvent, 64)
	go readEvents(resp.Body, out)
	return out, nil
}

func readEvents(body io.ReadCloser, out chan<- StreamEvent) {
	defer close(out)
	defer body.Close()
	sc := bufio.NewScanner(body)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	var ev StreamEvent
	for sc.Scan() {
		line := sc.Text()
		switch {
		case line == "":
			if ev.Type != "" {
				out <- ev
			}
			ev = StreamEvent{}
		case strings.HasPrefix(line, "id: "):
			ev.ID = line[4:]
		case strings.HasPrefix(line, "event: "):
			ev.Type = line[7:]
		case strings.HasPrefix(line, "data: "):
			ev.Data = []byte(line[6:])
		}
	}
}

// GetRaw sends GET path and returns the answer's body undecoded, for
// callers that pass it on or only measure it. Non-2xx answers are *Error.
func (c *Client) GetRaw(ctx context.Context, path string) ([]byte, error) {
	req, err := http.NewRequestWithContext(ctx, "GET", c.base+"/api/v1"+path, nil)
	if err != nil {
		return nil, err
	}
	if c.token != "" {
		req.Header.Set("Authorization", "Bearer "+c.token)
	}
	resp, err := c.hc.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	if resp.StatusCode >= 300 {
		e := &Error{Status: resp.StatusCode}
		_ = json.NewDecoder(resp.Body).Decode(&e.Problem)
		return nil, e
	}
	if n := resp.ContentLength; n > 0 && n < 1<<30 {
		b := make([]byte, n) // a year view is megabytes: read it in one piece
		_, err := io.ReadFull(resp.Body, b)
		return b, err
	}
	return io.ReadAll(resp.Body)
}
